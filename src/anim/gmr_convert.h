/* GMR motion pickles -> MimicKit motions. GMR (github.com/YanjieZe/GMR, the retargeter robot
 * users bring clips from) stores a dict {"fps": number, "root_pos": (N, 3), "root_rot": (N, 4)
 * quaternions x, y, z, w, "dof_pos": (N, D), ...}; MimicKit frames are [root_pos 3, root_rot
 * exp-map 3, dof_pos D]. Other keys (local_body_pos, link_body_list) are ignored. */
#ifndef CM_GMR_CONVERT_H
#define CM_GMR_CONVERT_H
#include "anim/motion.h"
#include "core/err.h"

/* loop_mode: CM_LOOP_WRAP or CM_LOOP_CLAMP (GMR files carry none). */
int cm_gmr_load(const char *path, int loop_mode, cm_motion *out, cm_err *err);
#endif
