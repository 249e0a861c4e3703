/* ASE's latent arithmetic (MimicKit ase_agent.py / ase_model.py), one row at a time:
 * latents and encoder outputs are unit vectors (torch.nn.functional.normalize, eps 1e-12).
 * The rows built on them (latents, encoder reward and loss, diversity) are in ase_rows.h. */
#ifndef CM_LEARN_LATENT_H
#define CM_LEARN_LATENT_H
#include <math.h>
#include "core/hd.h"

/* |x| as torch.nn.functional.normalize divides by it: at least 1e-12. */
CM_HD static inline float cm_unit_len(int Z, const float *x) {
  double n2 = 0;
  for (int j = 0; j < Z; j++) n2 += (double)x[j] * x[j];
  return fmaxf((float)sqrt(n2), 1e-12f);
}

/* Scales x [Z] to unit length; returns the length before (cm_unit_len). */
CM_HD static inline float cm_unit_normalize(int Z, float *x) {
  float len = cm_unit_len(Z, x);
  for (int j = 0; j < Z; j++) x[j] /= len;
  return len;
}

CM_HD static inline float cm_dot(int Z, const float *x, const float *y) {
  double d = 0;
  for (int j = 0; j < Z; j++) d += (double)x[j] * y[j];
  return (float)d;
}

#endif
