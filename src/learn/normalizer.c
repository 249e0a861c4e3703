#include "learn/normalizer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cm_norm_create(cm_normalizer *n, const cm_dev *dev, const char *prefix, int dim, float clip, float min_std,
                   double max_samples, cm_err *err) {
  memset(n, 0, sizeof *n);
  n->dev = dev;
  n->comm = cm_comm_world();
  if (dim <= 0) return cm_fail(err, "%s:%d: normalizer '%s': dim %d must be positive", __FILE__, __LINE__, prefix, dim);
  if (!(clip > 0.f)) return cm_fail(err, "%s:%d: normalizer '%s': clip %g must be positive", __FILE__, __LINE__, prefix, (double)clip);
  if (!(min_std >= 0.f)) return cm_fail(err, "%s:%d: normalizer '%s': min_std %g is negative", __FILE__, __LINE__, prefix, (double)min_std);
  snprintf(n->prefix, sizeof n->prefix, "%s", prefix);
  n->dim = dim;
  n->clip = clip;
  n->min_var = (double)min_std * min_std;
  n->max_samples = max_samples;
  size_t d = (size_t)dim;
  n->mean_h = calloc(d, sizeof(double));
  n->var_h = calloc(d, sizeof(double));
  n->new_sum = calloc(2 * d, sizeof(double));
  n->new_sum_sq = n->new_sum ? n->new_sum + d : NULL; /* one block: acc's layout, one download */
  if (!n->mean_h || !n->var_h || !n->new_sum) {
    cm_norm_destroy(n);
    return cm_fail(err, "%s:%d: normalizer '%s': out of memory", __FILE__, __LINE__, prefix);
  }
  n->acc = dev->ops->alloc(2 * d * sizeof(double));
  if (!n->acc) {
    cm_norm_destroy(n);
    return cm_fail(err, "%s:%d: normalizer '%s': out of device memory", __FILE__, __LINE__, prefix);
  }
  n->mean = cm_dev_alloc(dev, d, err);
  n->std = n->mean ? cm_dev_alloc(dev, d, err) : NULL;
  if (!n->std) {
    cm_norm_destroy(n);
    return cm_wrap(err, "normalizer '%s'", prefix);
  }
  for (int i = 0; i < dim; i++) n->var_h[i] = 1.0;
  dev->ops->fill(n->std, 1.f, d);
  return 0;
}

void cm_norm_destroy(cm_normalizer *n) {
  free(n->mean_h);
  free(n->var_h);
  free(n->new_sum);
  if (n->dev) {
    if (n->acc) n->dev->ops->free(n->acc);
    cm_dev_free(n->dev, n->mean);
    cm_dev_free(n->dev, n->std);
  }
  memset(n, 0, sizeof *n);
}

/* Pushes the host statistics to the device arrays normalize() reads. */
static int publish(cm_normalizer *n) {
  float *buf = malloc(2 * (size_t)n->dim * sizeof(float));
  if (!buf) return -1;
  for (int i = 0; i < n->dim; i++) {
    buf[i] = (float)n->mean_h[i];
    buf[n->dim + i] = (float)sqrt(fmax(n->var_h[i], n->min_var));
  }
  cm_dev_upload(n->dev, n->mean, buf, (size_t)n->dim);
  cm_dev_upload(n->dev, n->std, buf + n->dim, (size_t)n->dim);
  free(buf);
  return 0;
}

int cm_norm_set_mean_std(cm_normalizer *n, const float *mean, const float *std, cm_err *err) {
  for (int i = 0; i < n->dim; i++) {
    if (!isfinite(mean[i]) || !isfinite(std[i]) || !(std[i] > 0.f))
      return cm_fail(err, "%s:%d: normalizer '%s': entry %d has mean %g, std %g", __FILE__, __LINE__, n->prefix, i,
                     (double)mean[i], (double)std[i]);
  }
  for (int i = 0; i < n->dim; i++) {
    n->mean_h[i] = mean[i];
    n->var_h[i] = (double)std[i] * std[i];
  }
  /* MimicKit stores the std as given (not clamped) until the next update. */
  cm_dev_upload(n->dev, n->mean, mean, (size_t)n->dim);
  cm_dev_upload(n->dev, n->std, std, (size_t)n->dim);
  return 0;
}

int cm_norm_load(cm_normalizer *n, int64_t count, const float *mean, const float *std, cm_err *err) {
  if (count < 0) return cm_fail(err, "%s:%d: %s._count %lld is negative", __FILE__, __LINE__, n->prefix, (long long)count);
  if (cm_norm_set_mean_std(n, mean, std, err)) return -1;
  n->count = count;
  return 0;
}

void cm_norm_get(const cm_normalizer *n, float *mean, float *std) {
  cm_dev_download(n->dev, mean, n->mean, (size_t)n->dim);
  cm_dev_download(n->dev, std, n->std, (size_t)n->dim);
}

void cm_norm_record(cm_normalizer *n, const float *x, int rows) {
  if (rows <= 0 || cm_norm_frozen(n)) return;
  n->dev->ops->col_moments_dev(x, rows, n->dim, n->acc, n->acc + n->dim);
  n->new_count += rows;
}

int cm_norm_update(cm_normalizer *n, cm_err *err) {
  if (cm_norm_frozen(n)) return 0;
  /* the batch's sums come down (one copy) and the device's start again from zero */
  size_t d = (size_t)n->dim;
  if (n->new_count > 0) {
    n->dev->ops->download(n->new_sum, n->acc, 2 * d * sizeof(double));
    n->dev->ops->fill((float *)n->acc, 0.f, 4 * d); /* zero bits: 0.0 */
  }
  /* every rank's recorded batch, summed (MimicKit normalizer.update's reduce_sum); every rank
   * then merges the same numbers */
  if (cm_comm_allreduce_i64(n->comm, &n->new_count, 1, n->prefix, err) ||
      cm_comm_allreduce_f64(n->comm, n->new_sum, (size_t)n->dim, CM_RED_SUM, n->prefix, err) ||
      cm_comm_allreduce_f64(n->comm, n->new_sum_sq, (size_t)n->dim, CM_RED_SUM, n->prefix, err))
    return -1;
  if (n->new_count <= 0) return 0;
  /* Chan et al.'s merge of (count, mean, var) with the new batch's moments. */
  double na = (double)n->count, nb = (double)n->new_count, nt = na + nb;
  for (int i = 0; i < n->dim; i++) {
    double mb = n->new_sum[i] / nb;
    double vb = fmax(n->new_sum_sq[i] / nb - mb * mb, 0.0);
    double delta = mb - n->mean_h[i];
    double m2 = n->var_h[i] * na + vb * nb + delta * delta * na * nb / nt;
    n->mean_h[i] += delta * nb / nt;
    n->var_h[i] = m2 / nt;
    n->new_sum[i] = n->new_sum_sq[i] = 0.0;
  }
  n->count += n->new_count;
  n->new_count = 0;
  if (publish(n)) return cm_fail(err, "%s:%d: normalizer '%s': out of memory", __FILE__, __LINE__, n->prefix);
  return 0;
}

void cm_norm_normalize(const cm_normalizer *n, float *y, const float *x, int rows) {
  n->dev->ops->normalize(y, x, n->mean, n->std, n->clip, rows, n->dim);
}

void cm_norm_unnormalize(const cm_normalizer *n, float *y, const float *x, int rows) {
  n->dev->ops->unnormalize(y, x, n->mean, n->std, rows, n->dim);
}
