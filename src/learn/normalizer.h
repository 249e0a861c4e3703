/* Running mean/std normalizer (MimicKit learning/normalizer.py). Samples are recorded in
 * batches during a rollout and merged into the running statistics by update() at the end of
 * an iteration; normalize() uses the statistics of the last update:
 *   y = clamp((x - mean) / std, -clip, clip),  std = sqrt(max(var, min_std^2)),
 * var being the population variance of every sample merged so far (min_std 1e-4; clip 10 for
 * observations, none for actions). MimicKit stops recording and updating once the agent has
 * seen normalizer_samples samples; here the gate is the normalizer's own merged count, which
 * equals the agent's sample count when every step's observations are recorded.
 * State-dict entries: <prefix>._count (int64 [1]), <prefix>._mean, <prefix>._std (float [dim]),
 * e.g. prefix "_obs_norm" or "_a_norm". */
#ifndef CM_LEARN_NORMALIZER_H
#define CM_LEARN_NORMALIZER_H
#include <stdint.h>
#include "dist/comm.h"
#include "learn/ops.h"

typedef struct cm_normalizer {
  const cm_dev *dev;
  cm_comm *comm;          /* the process's (cm_comm_world at create): update merges every rank's batch */
  char prefix[64];
  int dim;
  float clip;             /* INFINITY: no clipping */
  double min_var;         /* min_std^2 */
  double max_samples;     /* normalizer_samples; INFINITY: never frozen */
  int64_t count;          /* samples merged ("_count") */
  double *mean_h, *var_h; /* host running statistics; var before the min_std clamp */
  float *mean, *std;      /* device copies that normalize() reads ("_mean", "_std") */
  /* Recorded since the last update: the sums accumulate on the device (acc [2][dim]: sums, then
   * sums of squares) and come down once, at update, into new_sum and new_sum_sq (host), which a
   * distributed run all-reduces before the merge. */
  int64_t new_count;
  double *acc;
  double *new_sum, *new_sum_sq;
} cm_normalizer;

/* Starts at count 0, mean 0, std 1. */
int cm_norm_create(cm_normalizer *n, const cm_dev *dev, const char *prefix, int dim, float clip, float min_std,
                   double max_samples, cm_err *err);
void cm_norm_destroy(cm_normalizer *n);

/* Sets mean and std (host arrays, std > 0; count unchanged), as MimicKit's init_mean/init_std. */
int cm_norm_set_mean_std(cm_normalizer *n, const float *mean, const float *std, cm_err *err);
/* Restores a checkpoint's _count, _mean, _std. */
int cm_norm_load(cm_normalizer *n, int64_t count, const float *mean, const float *std, cm_err *err);
/* Host copies of _mean and _std for a checkpoint. */
void cm_norm_get(const cm_normalizer *n, float *mean, float *std);

static inline int cm_norm_frozen(const cm_normalizer *n) { return (double)n->count >= n->max_samples; }
/* x: [rows][dim] on the device. Both are no-ops once frozen; update is one with nothing recorded. */
void cm_norm_record(cm_normalizer *n, const float *x, int rows);
int cm_norm_update(cm_normalizer *n, cm_err *err);

void cm_norm_normalize(const cm_normalizer *n, float *y, const float *x, int rows);
void cm_norm_unnormalize(const cm_normalizer *n, float *y, const float *x, int rows);
#endif
