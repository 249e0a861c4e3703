#include "learn/diff_norm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "learn/trainer.h"

static void refresh(cm_diff_norm *n) {
  float *h = malloc((size_t)n->dim * sizeof(float));
  if (!h) return;
  for (int j = 0; j < n->dim; j++) h[j] = fmaxf((float)n->mean_abs_h[j], n->min_diff);
  cm_dev_upload(n->dev, n->scale, h, (size_t)n->dim);
  free(h);
}

int cm_diff_norm_create(cm_diff_norm *n, const cm_dev *dev, const char *prefix, int dim, cm_err *err) {
  memset(n, 0, sizeof *n);
  n->dev = dev;
  n->comm = cm_comm_world();
  snprintf(n->prefix, sizeof n->prefix, "%s", prefix);
  n->dim = dim;
  n->min_diff = 1e-4f;
  n->clip = INFINITY;
  n->mean_abs_h = malloc((size_t)dim * sizeof(double));
  n->new_sum_abs = calloc((size_t)dim, sizeof(double));
  n->scale = cm_dev_alloc(dev, (size_t)dim, err);
  n->zero = cm_dev_alloc(dev, (size_t)dim, err);
  if (!n->mean_abs_h || !n->new_sum_abs || !n->scale || !n->zero) {
    cm_diff_norm_destroy(n);
    return cm_fail(err, "%s:%d: difference normalizer: out of memory", __FILE__, __LINE__);
  }
  for (int j = 0; j < dim; j++) n->mean_abs_h[j] = 1.0; /* torch.ones */
  refresh(n);
  return 0;
}

void cm_diff_norm_destroy(cm_diff_norm *n) {
  if (n->dev) {
    cm_dev_free(n->dev, n->scale);
    cm_dev_free(n->dev, n->zero);
  }
  free(n->mean_abs_h);
  free(n->new_sum_abs);
  memset(n, 0, sizeof *n);
}

void cm_diff_norm_record(cm_diff_norm *n, const float *x, int rows) {
  n->dev->ops->col_abs_sum(x, rows, n->dim, n->new_sum_abs);
  n->new_count += rows;
}

/* MimicKit diff_normalizer.update's reduce_sum */
int cm_diff_norm_reduce(cm_diff_norm *n, cm_err *err) {
  if (cm_comm_allreduce_i64(n->comm, &n->new_count, 1, n->prefix, err) ||
      cm_comm_allreduce_f64(n->comm, n->new_sum_abs, (size_t)n->dim, CM_RED_SUM, n->prefix, err))
    return -1;
  return 0;
}

void cm_diff_norm_update(cm_diff_norm *n) {
  if (n->new_count == 0) return;
  double total = (double)(n->count + n->new_count);
  double w_old = (double)n->count / total, w_new = (double)n->new_count / total;
  for (int j = 0; j < n->dim; j++)
    n->mean_abs_h[j] = w_old * n->mean_abs_h[j] + w_new * (n->new_sum_abs[j] / (double)n->new_count);
  n->count += n->new_count;
  n->new_count = 0;
  memset(n->new_sum_abs, 0, (size_t)n->dim * sizeof(double));
  refresh(n);
}

void cm_diff_norm_normalize(const cm_diff_norm *n, float *y, const float *x, int rows) {
  n->dev->ops->normalize(y, x, n->zero, n->scale, n->clip, rows, n->dim);
}

int cm_diff_norm_save(const cm_diff_norm *n, cm_state_dict *sd, cm_err *err) {
  char name[160];
  int64_t one[1] = {1}, dim[1] = {n->dim};
  float cnt = (float)n->count, *m = malloc((size_t)n->dim * sizeof(float));
  if (!m) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  for (int j = 0; j < n->dim; j++) m[j] = (float)n->mean_abs_h[j];
  snprintf(name, sizeof name, "%s._count", n->prefix);
  int rc = cm_sd_add(sd, name, 1, one, &cnt, err);
  snprintf(name, sizeof name, "%s._mean_abs", n->prefix);
  if (!rc) rc = cm_sd_add(sd, name, 1, dim, m, err);
  free(m);
  return rc;
}

int cm_diff_norm_load(cm_diff_norm *n, const cm_state_dict *sd, const char *src, cm_err *err) {
  char name[160];
  snprintf(name, sizeof name, "%s._count", n->prefix);
  const cm_sd_entry *c = cm_ckpt_need(sd, src, name, 1, 1, 0, err);
  snprintf(name, sizeof name, "%s._mean_abs", n->prefix);
  const cm_sd_entry *m = c ? cm_ckpt_need(sd, src, name, 1, n->dim, 0, err) : NULL;
  if (!m) return -1;
  for (int j = 0; j < n->dim; j++)
    if (!isfinite(m->data[j]) || m->data[j] < 0)
      return cm_fail(err, "%s: tensor '%s' holds %g at %d", src, name, (double)m->data[j], j);
  n->count = (int64_t)llround(c->data[0]);
  for (int j = 0; j < n->dim; j++) n->mean_abs_h[j] = m->data[j];
  refresh(n);
  return 0;
}
