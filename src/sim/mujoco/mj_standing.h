/* A common start for measurements and comparisons: every env of a "mujoco" engine in the
 * character file's rest pose (zero dofs, identity root rotation, at rest), lifted so that its
 * lowest geom clears the ground by `clearance` metres. Works for any character MJCF, since the
 * height comes from the compiled geoms, not from knowledge of the humanoid. */
#ifndef CM_MJ_STANDING_H
#define CM_MJ_STANDING_H
#include "sim/engine.h"

/* e must be a "mujoco" engine; its state arrays and simulation are both set. */
void cm_mj_place_standing(cm_engine *e, double clearance);
#endif
