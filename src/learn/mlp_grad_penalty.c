#include "learn/mlp_grad_penalty.h"

#include <string.h>

void cm_gp_ws_destroy(cm_gp_ws *ws) {
  if (!ws->dev) return;
  for (int i = 0; i < CM_MLP_MAX_LINEAR; i++) cm_dev_free(ws->dev, ws->delta[i]);
  cm_dev_free(ws->dev, ws->t[0]);
  cm_dev_free(ws->dev, ws->t[1]);
  cm_dev_free(ws->dev, ws->g);
  cm_dev_free(ws->dev, ws->ones);
  cm_dev_free(ws->dev, (float *)ws->sq);
  memset(ws, 0, sizeof *ws);
}

static int reserve(cm_gp_ws *ws, const cm_mlp *net, int rows, cm_err *err) {
  if (ws->dev && rows <= ws->capacity) return 0;
  cm_gp_ws_destroy(ws);
  ws->dev = net->dev;
  size_t B = (size_t)rows;
  int widest = net->dims[0];
  for (int i = 0; i < net->num_hidden; i++) {
    if (net->dims[i + 1] > widest) widest = net->dims[i + 1];
    if (!(ws->delta[i] = cm_dev_alloc(ws->dev, B * net->dims[i + 1], err))) return -1;
  }
  if (!(ws->t[0] = cm_dev_alloc(ws->dev, B * widest, err)) || !(ws->t[1] = cm_dev_alloc(ws->dev, B * widest, err)) ||
      !(ws->g = cm_dev_alloc(ws->dev, B * net->dims[0], err)) || !(ws->ones = cm_dev_alloc(ws->dev, B, err)) ||
      !(ws->sq = (double *)cm_dev_alloc(ws->dev, 2, err)))
    return -1;
  ws->dev->ops->fill(ws->ones, 1.f, B);
  ws->capacity = rows;
  return 0;
}

int cm_mlp_grad_penalty(cm_mlp *net, cm_gp_ws *ws, float weight, double *penalty, cm_err *err) {
  *penalty = 0;
  if (!net->input || net->batch <= 0) return cm_mlp_grad_penalty_dev(net, ws, weight, NULL, err); /* its message */
  if (reserve(ws, net, net->batch, err)) return cm_wrap(err, "gradient penalty workspace for %d rows", net->batch);
  net->dev->ops->fill((float *)ws->sq, 0.f, 2);
  if (cm_mlp_grad_penalty_dev(net, ws, weight, ws->sq, err)) return -1;
  double h;
  *penalty = *(const double *)cm_dev_read(net->dev, (const float *)ws->sq, (float *)&h, 2) / net->batch;
  return 0;
}

int cm_mlp_grad_penalty_dev(cm_mlp *net, cm_gp_ws *ws, float weight, double *sq, cm_err *err) {
  int H = net->num_hidden, B = net->batch;
  if (H < 1 || net->num_linear != H + 1 || net->dims[H + 1] != 1)
    return cm_fail(err, "%s:%d: gradient penalty needs hidden layers and a 1-wide head", __FILE__, __LINE__);
  if (!net->input || B <= 0) return cm_fail(err, "%s:%d: gradient penalty without a forward pass", __FILE__, __LINE__);
  if (reserve(ws, net, B, err)) return cm_wrap(err, "gradient penalty workspace for %d rows", B);
  const cm_ops *ops = net->dev->ops;
  const int *d = net->dims;
  /* backward to the input: delta_{H-1} = mask(act_H) * w_head (one row broadcast by a rank-1 gemm) */
  ops->gemm(false, false, B, d[H], 1, 1.f, ws->ones, 1, net->w[H].data, d[H], 0.f, ws->delta[H - 1], d[H]);
  ops->relu_bwd(ws->delta[H - 1], ws->delta[H - 1], net->act[H], (size_t)B * d[H]);
  for (int i = H - 1; i >= 1; i--) {
    ops->gemm(false, false, B, d[i], d[i + 1], 1.f, ws->delta[i], d[i + 1], net->w[i].data, d[i], 0.f, ws->delta[i - 1],
              d[i]);
    ops->relu_bwd(ws->delta[i - 1], ws->delta[i - 1], net->act[i], (size_t)B * d[i]);
  }
  ops->gemm(false, false, B, d[0], d[1], 1.f, ws->delta[0], d[1], net->w[0].data, d[0], 0.f, ws->g, d[0]);
  ops->sum_sq_dev(ws->g, (size_t)B * d[0], sq);
  if (weight == 0.f) return 0;
  /* tangent pass: t = weight * dP/dg, then forward through the masked linear layers */
  ops->scale((size_t)B * d[0], 2.f * weight / (float)B, ws->g);
  const float *t = ws->g;
  for (int i = 0; i < H; i++) {
    ops->gemm(true, false, d[i + 1], d[i], B, 1.f, ws->delta[i], d[i + 1], t, d[i], 1.f, net->w[i].grad, d[i]);
    float *s = ws->t[i & 1];
    ops->gemm(false, true, B, d[i + 1], d[i], 1.f, t, d[i], net->w[i].data, d[i], 0.f, s, d[i + 1]);
    ops->relu_bwd(s, s, net->act[i + 1], (size_t)B * d[i + 1]);
    t = s;
  }
  ops->col_sum(net->w[H].grad, t, B, d[H]);
  return 0;
}
