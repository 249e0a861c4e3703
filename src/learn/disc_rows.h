/* The discriminator's per-row formulas (amp_agent.py), written once as CM_HD functions:
 * ops_cpu.c loops over them, ops_cuda.cu runs them as kernels (the disc_reward and
 * disc_bce_rows ops, ops.h). */
#ifndef CM_LEARN_DISC_ROWS_H
#define CM_LEARN_DISC_ROWS_H
#include <math.h>
#include "core/hd.h"
#include "learn/ops.h"

/* BCE-with-logits per row, written stably. */
CM_HD static inline double cm_bce_logit(float z, int target) {
  double x = target ? -(double)z : (double)z; /* softplus(x) */
  return (x > 0 ? x : 0) + log1p(exp(-fabs(x)));
}
CM_HD static inline float cm_sigmoid(float z) { return 1.f / (1.f + expf(-z)); }
/* The style reward of a logit: -log(max(1 - sigmoid(logit), 1e-4)) * scale. 1 - sigmoid(z) is
 * computed as sigmoid(-z): the subtraction cancels for confident logits (z = 5: 1 - 0.9933 keeps
 * 2 of float's 7 digits), and the H200 run of test_ops_cuda saw GPU and CPU differ by 3.8e-6
 * relative there, from expf's last bit amplified by the cancellation. */
CM_HD static inline float cm_disc_reward(float logit, float scale) {
  return -logf(fmaxf(cm_sigmoid(-logit), 1e-4f)) * scale;
}

/* One row of the mean BCE over m rows at logit z against target (0 or 1): *dz = dL/dz scaled by
 * weight, and the row's terms: its BCE, 1 when classified right (z > 0 for target 1, z < 0 for
 * target 0), the logit. */
CM_HD static inline void cm_disc_bce_row(float z, int target, float weight, float m, float *dz, double *terms) {
  terms[CM_BCE_LOSS] = cm_bce_logit(z, target);
  terms[CM_BCE_ACC] = target ? z > 0.f : z < 0.f;
  terms[CM_BCE_LOGIT] = z;
  *dz = weight * (cm_sigmoid(z) - (float)target) / m;
}
#endif
