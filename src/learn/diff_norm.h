/* ADD's normalizer of differences (MimicKit learning/diff_normalizer.py): a running mean of
 * |x| per column, merged at update() like the mean normalizer, and
 *   y = clamp(x / max(mean_abs, min_diff), -clip, clip),  min_diff 1e-4, clip none.
 * State-dict entries: <prefix>._count (float32 [1] here, int64 in torch), <prefix>._mean_abs. */
#ifndef CM_LEARN_DIFF_NORM_H
#define CM_LEARN_DIFF_NORM_H
#include <stdint.h>
#include "io/torch_ckpt.h"
#include "dist/comm.h"
#include "learn/ops.h"

typedef struct cm_diff_norm {
  const cm_dev *dev;
  cm_comm *comm; /* cm_comm_world at create: update merges every rank's batch */
  char prefix[64];
  int dim;
  float min_diff, clip;
  int64_t count, new_count;
  double *mean_abs_h, *new_sum_abs; /* host [dim] */
  float *scale;                     /* device [dim]: max(mean_abs, min_diff) */
  float *zero;                      /* device [dim] zeros: normalize() is (x - 0) / scale */
} cm_diff_norm;

int cm_diff_norm_create(cm_diff_norm *n, const cm_dev *dev, const char *prefix, int dim, cm_err *err);
void cm_diff_norm_destroy(cm_diff_norm *n);
void cm_diff_norm_record(cm_diff_norm *n, const float *x, int rows); /* x [rows][dim] on the device */
void cm_diff_norm_update(cm_diff_norm *n);
/* Sums every rank's recorded batch into each rank's (before update; a no-op for one rank). */
int cm_diff_norm_reduce(cm_diff_norm *n, cm_err *err);
void cm_diff_norm_normalize(const cm_diff_norm *n, float *y, const float *x, int rows);
int cm_diff_norm_save(const cm_diff_norm *n, cm_state_dict *sd, cm_err *err);
int cm_diff_norm_load(cm_diff_norm *n, const cm_state_dict *sd, const char *src, cm_err *err);
#endif
