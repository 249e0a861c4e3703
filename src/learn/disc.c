#include "learn/disc.h"

#include <stdlib.h>
#include <string.h>

#define DISC_CHUNK 8192 /* rows per forward when evaluating rewards (memory only) */

int cm_disc_create(cm_disc *d, const cm_dev *dev, const char *net_name, int in_dim, uint64_t seed, uint32_t stream,
                   cm_err *err) {
  memset(d, 0, sizeof *d);
  if (cm_mlp_create(&d->net, dev, net_name, in_dim, 1, "_model._disc_layers", "_model._disc_logits", err) ||
      cm_mlp_init(&d->net, seed, stream, 1.f, err) ||
      !(d->sums = (double *)cm_dev_alloc(dev, 2 * CM_DISC_SUMS, err)))
    return cm_wrap(err, "discriminator");
  return 0;
}

void cm_disc_destroy(cm_disc *d) {
  if (d->net.dev) {
    cm_dev_free(d->net.dev, d->dlogit);
    cm_dev_free(d->net.dev, (float *)d->sums);
    cm_gp_ws_destroy(&d->gp);
    cm_mlp_destroy(&d->net);
  }
  memset(d, 0, sizeof *d);
}

static int reserve(cm_disc *d, int rows, cm_err *err) {
  if (rows <= d->capacity) return 0;
  cm_dev_free(d->net.dev, d->dlogit);
  d->dlogit = cm_dev_alloc(d->net.dev, (size_t)rows, err);
  d->capacity = d->dlogit ? rows : 0;
  if (!d->capacity) return cm_fail(err, "%s:%d: discriminator: out of memory for %d rows", __FILE__, __LINE__, rows);
  return 0;
}

int cm_disc_logits(cm_disc *d, const float *x, int rows, float *out, cm_err *err) {
  int in = d->net.dims[0];
  for (int r0 = 0; r0 < rows; r0 += DISC_CHUNK) {
    int n = rows - r0 < DISC_CHUNK ? rows - r0 : DISC_CHUNK;
    if (cm_mlp_forward(&d->net, x + (size_t)r0 * in, n, err)) return -1;
    d->net.dev->ops->copy(out + r0, cm_mlp_out(&d->net), (size_t)n);
  }
  return 0;
}

void cm_disc_term_of(const double *sums, int rows, cm_disc_term *out) {
  memset(out, 0, sizeof *out);
  if (rows <= 0) return;
  out->loss = sums[CM_BCE_LOSS] / rows;
  out->acc = sums[CM_BCE_ACC] / rows;
  out->logit_mean = sums[CM_BCE_LOGIT] / rows;
  out->grad_penalty = sums[CM_DISC_GP] / rows;
}

/* d->sums zeroed, filled by fill_sums, read back into h (CM_DISC_SUMS doubles) */
static const double *scratch_sums(cm_disc *d, double *h) {
  return (const double *)cm_dev_read(d->net.dev, (const float *)d->sums, (float *)h, 2 * CM_DISC_SUMS);
}

int cm_disc_bce(cm_disc *d, const float *x, int rows, int target, float weight, float gp_weight, cm_disc_term *out,
                cm_err *err) {
  double h[CM_DISC_SUMS];
  d->net.dev->ops->fill((float *)d->sums, 0.f, 2 * CM_DISC_SUMS);
  memset(out, 0, sizeof *out);
  if (cm_disc_bce_dev(d, x, rows, target, weight, gp_weight, d->sums, err)) return -1;
  cm_disc_term_of(scratch_sums(d, h), rows, out);
  return 0;
}

int cm_disc_bce_dev(cm_disc *d, const float *x, int rows, int target, float weight, float gp_weight, double *sums,
                    cm_err *err) {
  if (rows <= 0) return 0;
  if (reserve(d, rows, err) || cm_mlp_forward(&d->net, x, rows, err)) return -1;
  d->net.dev->ops->disc_bce_rows_dev(d->dlogit, cm_mlp_out(&d->net), rows, target, weight, sums);
  if (gp_weight != 0.f && cm_mlp_grad_penalty_dev(&d->net, &d->gp, gp_weight, sums + CM_DISC_GP, err)) return -1;
  return cm_mlp_backward(&d->net, d->dlogit, NULL, err);
}

double cm_disc_weight_sq(cm_disc *d, int logit_only, float scale) {
  double h[CM_DISC_SUMS];
  d->net.dev->ops->fill((float *)d->sums, 0.f, 2);
  cm_disc_weight_sq_dev(d, logit_only, scale, d->sums);
  return scratch_sums(d, h)[0];
}

void cm_disc_weight_sq_dev(cm_disc *d, int logit_only, float scale, double *out) {
  const cm_ops *ops = d->net.dev->ops;
  for (int i = logit_only ? d->net.num_linear - 1 : 0; i < d->net.num_linear; i++) {
    cm_param *w = &d->net.w[i];
    ops->sum_sq_dev(w->data, w->n, out);
    if (scale != 0.f) ops->axpy(w->n, 2.f * scale, w->data, w->grad);
  }
}
