/* MimicKit's character observation (CharEnv compute_char_obs), for one environment:
 * [root height], root rotation (tan-norm 6), root velocity 3, root angular velocity 3,
 * joint rotations (tan-norm 6 per non-root body, fixed joints included), dof velocities,
 * key body positions relative to the root (3 each). Without global_obs the root terms and
 * key positions are expressed in the heading frame. */
#ifndef CM_CHAR_OBS_H
#define CM_CHAR_OBS_H
#include "anim/kin.h"
#include "core/hd.h"
#include "core/quat.h"

CM_HD static inline int cm_char_obs_dim(const cm_char *c, int num_key_bodies, int root_height_obs) {
  return (root_height_obs ? 1 : 0) + 12 + 6 * (c->num_bodies - 1) + c->num_dofs + 3 * num_key_bodies;
}

/* body_pos: [B][3] of this env (for key bodies); returns the number of values written. */
CM_HD static inline int cm_char_obs(const cm_char *c, const float *root_pos, const float *root_rot,
                                    const float *root_vel, const float *root_ang_vel, const float *dof_pos,
                                    const float *dof_vel, const float *body_pos, const int *key_ids, int num_keys,
                                    int global_obs, int root_height_obs, float *out) {
  int n = 0;
  float heading_inv[4], q[4];
  cm_q_heading_inv(heading_inv, root_rot);
  if (root_height_obs) out[n++] = root_pos[2];
  if (global_obs) {
    cm_q_to_tan_norm(out + n, root_rot);
    cm_v3_copy(out + n + 6, root_vel);
    cm_v3_copy(out + n + 9, root_ang_vel);
  } else {
    cm_q_mul(q, heading_inv, root_rot);
    cm_q_to_tan_norm(out + n, q);
    cm_q_rotate(out + n + 6, heading_inv, root_vel);
    cm_q_rotate(out + n + 9, heading_inv, root_ang_vel);
  }
  n += 12;
  float jrot[(CM_MAX_BODIES - 1) * 4];
  cm_kin_dof_to_rot(c, dof_pos, jrot);
  for (int j = 0; j < c->num_bodies - 1; j++, n += 6) cm_q_to_tan_norm(out + n, jrot + 4 * j);
  for (int d = 0; d < c->num_dofs; d++) out[n++] = dof_vel[d];
  for (int k = 0; k < num_keys; k++, n += 3) {
    float rel[3];
    cm_v3_sub(rel, body_pos + 3 * key_ids[k], root_pos);
    if (global_obs) cm_v3_copy(out + n, rel);
    else cm_q_rotate(out + n, heading_inv, rel);
  }
  return n;
}

struct cm_env;
/* Fills env->obs for every env with the character observation (thread pool). */
void cm_char_obs_batch(struct cm_env *e);
#endif
