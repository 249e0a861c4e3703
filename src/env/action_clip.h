/* The default action of a character env (MimicKit CharEnv._apply_action): each PD target is
 * the action clipped to its bounds. One env's row, CPU and GPU. */
#ifndef CM_ACTION_CLIP_H
#define CM_ACTION_CLIP_H
#include <math.h>
#include "core/hd.h"

CM_HD static inline void cm_env_clip_action(const float *action, const float *low, const float *high, int act_dim,
                                            float *target) {
  for (int k = 0; k < act_dim; k++) target[k] = fminf(fmaxf(action[k], low[k]), high[k]);
}
#endif
