/* ASE's latent arithmetic (MimicKit ase_agent.py / ase_model.py), one row at a time:
 * latents and encoder outputs are unit vectors (torch.nn.functional.normalize, eps 1e-12), and
 * the encoder error of a target z against an output u is  err = -z . (u / |u|). */
#ifndef CM_LEARN_LATENT_H
#define CM_LEARN_LATENT_H
#include <math.h>
#include "core/hd.h"

/* Scales x [Z] to unit length; returns the length before (at least 1e-12). */
CM_HD static inline float cm_unit_normalize(int Z, float *x) {
  double n2 = 0;
  for (int j = 0; j < Z; j++) n2 += (double)x[j] * x[j];
  float len = fmaxf((float)sqrt(n2), 1e-12f);
  for (int j = 0; j < Z; j++) x[j] /= len;
  return len;
}

CM_HD static inline float cm_dot(int Z, const float *x, const float *y) {
  double d = 0;
  for (int j = 0; j < Z; j++) d += (double)x[j] * y[j];
  return (float)d;
}

/* err = -z . q for q = u / len (q already normalized, len its pre-normalization length);
 * du += scale * d err / du = -scale (z - (z . q) q) / len. */
CM_HD static inline float cm_enc_error_grad(int Z, const float *q, float len, const float *z, float scale, float *du) {
  float zq = cm_dot(Z, z, q);
  if (du)
    for (int j = 0; j < Z; j++) du[j] += -scale * (z[j] - zq * q[j]) / len;
  return -zq;
}
#endif
