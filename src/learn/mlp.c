#include "learn/mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"

/* MimicKit's fc nets (learning/nets/fc_*.py at b2d3cfa): hidden widths, ReLU after each. */
static const struct { const char *name; int count; int sizes[3]; } k_nets[] = {
  {"fc_2layers_128units", 2, {128, 64, 0}},
  {"fc_2layers_256units", 2, {256, 128, 0}},
  {"fc_2layers_512units", 2, {512, 256, 0}},
  {"fc_2layers_1024units", 2, {1024, 512, 0}},
  {"fc_3layers_1024units", 3, {1024, 1024, 512}},
};

int cm_net_hidden_sizes(const char *net_name, int *sizes, int max_sizes, int *count, cm_err *err) {
  for (size_t i = 0; i < sizeof k_nets / sizeof k_nets[0]; i++) {
    if (strcmp(net_name, k_nets[i].name) != 0) continue;
    if (k_nets[i].count > max_sizes)
      return cm_fail(err, "%s:%d: net '%s' has %d layers, more than %d", __FILE__, __LINE__, net_name,
                     k_nets[i].count, max_sizes);
    memcpy(sizes, k_nets[i].sizes, sizeof(int) * (size_t)k_nets[i].count);
    *count = k_nets[i].count;
    return 0;
  }
  return cm_fail(err, "%s:%d: unsupported net '%s' (known: fc_2layers_{128,256,512,1024}units, fc_3layers_1024units)",
                 __FILE__, __LINE__, net_name);
}

int cm_mlp_create(cm_mlp *net, const cm_dev *dev, const char *net_name, int in_dim, int head_dim,
                  const char *body_prefix, const char *head_name, cm_err *err) {
  memset(net, 0, sizeof *net);
  int hidden[CM_MLP_MAX_LINEAR], nh = 0;
  if (cm_net_hidden_sizes(net_name, hidden, CM_MLP_MAX_LINEAR - 1, &nh, err)) return -1;
  if (cm_mlp_create_sizes(net, dev, in_dim, hidden, nh, head_dim, body_prefix, head_name, err))
    return cm_wrap(err, "net '%s'", net_name);
  return 0;
}

int cm_mlp_create_sizes(cm_mlp *net, const cm_dev *dev, int in_dim, const int *hidden, int num_hidden, int head_dim,
                        const char *body_prefix, const char *head_name, cm_err *err) {
  memset(net, 0, sizeof *net);
  net->dev = dev;
  if (in_dim <= 0) return cm_fail(err, "%s:%d: MLP input dim %d must be positive", __FILE__, __LINE__, in_dim);
  if (head_dim < 0) return cm_fail(err, "%s:%d: MLP head dim %d is negative", __FILE__, __LINE__, head_dim);
  if (num_hidden < 0 || num_hidden + (head_dim > 0) > CM_MLP_MAX_LINEAR || num_hidden + (head_dim > 0) == 0)
    return cm_fail(err, "%s:%d: MLP needs 1..%d linear layers, got %d hidden + %s head", __FILE__, __LINE__,
                   CM_MLP_MAX_LINEAR, num_hidden, head_dim > 0 ? "a" : "no");
  net->num_hidden = num_hidden;
  net->num_linear = num_hidden + (head_dim > 0);
  net->dims[0] = in_dim;
  for (int i = 0; i < num_hidden; i++) {
    if (hidden[i] <= 0) return cm_fail(err, "%s:%d: MLP hidden layer %d width %d must be positive", __FILE__, __LINE__, i, hidden[i]);
    net->dims[i + 1] = hidden[i];
  }
  if (head_dim > 0) net->dims[num_hidden + 1] = head_dim;

  char name[CM_PARAM_NAME_MAX + 32];
  for (int i = 0; i < net->num_linear; i++) {
    int is_head = i >= num_hidden;
    for (int k = 0; k < 2; k++) {
      const char *suffix = k ? "bias" : "weight";
      if (is_head) snprintf(name, sizeof name, "%s.%s", head_name ? head_name : "head", suffix);
      else snprintf(name, sizeof name, "%s.%d.%s", body_prefix ? body_prefix : "layers", 2 * i, suffix);
      cm_param *p = k ? &net->b[i] : &net->w[i];
      if (cm_param_alloc(p, dev, name, net->dims[i + 1], k ? 0 : net->dims[i], 1, err)) {
        cm_mlp_destroy(net);
        return -1;
      }
    }
  }
  return 0;
}

static void release_workspace(cm_mlp *net) {
  for (int i = 0; i <= CM_MLP_MAX_LINEAR; i++) { cm_dev_free(net->dev, net->act[i]); net->act[i] = NULL; }
  for (int i = 0; i < 2; i++) { cm_dev_free(net->dev, net->gbuf[i]); net->gbuf[i] = NULL; }
  net->capacity = 0;
}

void cm_mlp_destroy(cm_mlp *net) {
  if (!net->dev) return;
  for (int i = 0; i < CM_MLP_MAX_LINEAR; i++) {
    cm_param_release(&net->w[i], net->dev);
    cm_param_release(&net->b[i], net->dev);
  }
  release_workspace(net);
}

/* Uniform(-bound, bound) on the host, then one upload. */
static int init_uniform(cm_param *p, const cm_dev *dev, float bound, cm_rng *rng, cm_err *err) {
  float *h = malloc(p->n * sizeof(float));
  if (!h) return cm_fail(err, "%s:%d: out of memory initialising '%s'", __FILE__, __LINE__, p->name);
  for (size_t i = 0; i < p->n; i++) h[i] = bound * (2.f * cm_rng_uniform(rng) - 1.f);
  cm_dev_upload(dev, p->data, h, p->n);
  free(h);
  return 0;
}

int cm_mlp_init(cm_mlp *net, uint64_t seed, uint32_t stream, float head_init_scale, cm_err *err) {
  for (int i = 0; i < net->num_linear; i++) {
    int is_head = i >= net->num_hidden;
    float bound = (is_head && head_init_scale > 0.f) ? head_init_scale : 1.f / sqrtf((float)net->dims[i]);
    cm_rng rng = cm_rng_make(seed, (uint32_t)i, 0, stream);
    if (init_uniform(&net->w[i], net->dev, bound, &rng, err)) return -1;
    net->dev->ops->fill(net->b[i].data, 0.f, net->b[i].n);
  }
  return 0;
}

static int reserve(cm_mlp *net, int batch, cm_err *err) {
  if (batch <= net->capacity) return 0;
  release_workspace(net);
  int widest = 0;
  for (int i = 1; i <= net->num_linear; i++) {
    net->act[i] = cm_dev_alloc(net->dev, (size_t)batch * net->dims[i], err);
    if (!net->act[i]) goto fail;
    if (net->dims[i] > widest) widest = net->dims[i];
  }
  for (int k = 0; k < 2; k++) {
    net->gbuf[k] = cm_dev_alloc(net->dev, (size_t)batch * widest, err);
    if (!net->gbuf[k]) goto fail;
  }
  net->capacity = batch;
  return 0;
fail:
  release_workspace(net);
  return cm_wrap(err, "%s:%d: MLP workspace for %d rows", __FILE__, __LINE__, batch);
}

int cm_mlp_forward(cm_mlp *net, const float *x, int batch, cm_err *err) {
  if (batch <= 0) return cm_fail(err, "%s:%d: MLP forward: batch %d must be positive", __FILE__, __LINE__, batch);
  if (reserve(net, batch, err)) return -1;
  const cm_ops *ops = net->dev->ops;
  net->input = x;
  net->batch = batch;
  const float *h = x;
  for (int i = 0; i < net->num_linear; i++) {
    int in = net->dims[i], out = net->dims[i + 1];
    float *y = net->act[i + 1];
    /* y = h W^T + b with W stored [out][in] */
    ops->gemm(false, true, batch, out, in, 1.f, h, in, net->w[i].data, in, 0.f, y, out);
    ops->add_bias(y, net->b[i].data, batch, out);
    if (i < net->num_hidden) ops->relu_fwd(y, y, (size_t)batch * out);
    h = y;
  }
  return 0;
}

int cm_mlp_backward(cm_mlp *net, const float *dout, float *dx, cm_err *err) {
  if (!net->input || net->batch <= 0)
    return cm_fail(err, "%s:%d: MLP backward without a forward pass", __FILE__, __LINE__);
  const cm_ops *ops = net->dev->ops;
  int batch = net->batch;
  const float *g = dout; /* dL/d(output of layer i) */
  int slot = -1;         /* which gbuf holds g, -1: the caller's buffer */
  for (int i = net->num_linear - 1; i >= 0; i--) {
    int in = net->dims[i], out = net->dims[i + 1];
    const float *dz = g;
    if (i < net->num_hidden) { /* through the ReLU: in place when g is ours */
      int s = slot < 0 ? 0 : slot;
      ops->relu_bwd(net->gbuf[s], g, net->act[i + 1], (size_t)batch * out);
      dz = net->gbuf[s];
      slot = s;
    }
    const float *h = i == 0 ? net->input : net->act[i];
    ops->gemm(true, false, out, in, batch, 1.f, dz, out, h, in, 1.f, net->w[i].grad, in); /* dW += dz^T h */
    ops->col_sum(net->b[i].grad, dz, batch, out);                                         /* db += sum dz */
    if (i > 0) {
      int s = slot < 0 ? 0 : 1 - slot;
      ops->gemm(false, false, batch, in, out, 1.f, dz, out, net->w[i].data, in, 0.f, net->gbuf[s], in);
      g = net->gbuf[s];
      slot = s;
    } else if (dx) {
      ops->gemm(false, false, batch, in, out, 1.f, dz, out, net->w[i].data, in, 0.f, dx, in);
    }
  }
  return 0;
}

void cm_mlp_zero_grad(cm_mlp *net) {
  for (int i = 0; i < net->num_linear; i++) {
    net->dev->ops->fill(net->w[i].grad, 0.f, net->w[i].n);
    net->dev->ops->fill(net->b[i].grad, 0.f, net->b[i].n);
  }
}

int cm_mlp_params(cm_mlp *net, cm_param **out, int max_out) {
  int n = 0;
  for (int i = 0; i < net->num_linear; i++) {
    if (n < max_out) out[n] = &net->w[i];
    n++;
    if (n < max_out) out[n] = &net->b[i];
    n++;
  }
  return n;
}
