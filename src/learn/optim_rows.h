/* The optimizer's per-element formulas that the host and the device share (CM_HD). */
#ifndef CM_LEARN_OPTIM_ROWS_H
#define CM_LEARN_OPTIM_ROWS_H
#include <math.h>
#include "core/hd.h"

/* torch clip_grad_norm_'s coefficient from the parameters' sums of squared gradients sq[count]
 * (summed in order, as one global norm): clip / (norm + 1e-6); the gradients are scaled by it
 * only where it is below 1 (a NaN norm leaves them as they are). */
CM_HD static inline double cm_clip_coef(const double *sq, int count, float clip) {
  double s = 0;
  for (int i = 0; i < count; i++) s += sq[i];
  return clip / (sqrt(s) + 1e-6);
}
#endif
