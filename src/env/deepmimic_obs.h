/* The DeepMimic observation of one environment (MimicKit compute_deepmimic_obs), CPU and GPU:
 *   char observation (char_obs.h)
 *   [phase obs]  enable_phase_obs: the clip phase in [0, 1], then, for k < num_phase_encoding,
 *                sin(2 pi 2^k phase) ..., cos(2 pi 2^k phase) ...
 *   [target obs] enable_tar_obs: for each entry n of tar_obs_steps, the reference at
 *                motion time + n control steps:
 *                  root position (3, or 2 without root_height_obs) relative to an anchor,
 *                  with its z replaced by the target's own root height;
 *                  root rotation (tan-norm 6); joint rotations (tan-norm 6 per non-root body);
 *                  key body positions relative to that target's own root (3 each).
 *                With global_obs the anchor is the simulated root and nothing is rotated;
 *                otherwise the anchor is the first target step's root, and positions and the
 *                root rotation are taken into that root's heading frame. */
#ifndef CM_DEEPMIMIC_OBS_H
#define CM_DEEPMIMIC_OBS_H
#include <math.h>
#include "env/char_obs.h"
#include "env/deepmimic_params.h"
#include "env/deepmimic_ref.h"

CM_HD static inline int cm_dm_phase_obs_dim(const cm_dm_params *p) {
  return p->enable_phase_obs ? 1 + 2 * p->num_phase_encoding : 0;
}

/* Values per target step. */
CM_HD static inline int cm_dm_tar_step_dim(const cm_char *c, const cm_dm_params *p) {
  return (p->root_height_obs ? 3 : 2) + 6 + 6 * (c->num_bodies - 1) + 3 * p->num_keys;
}

CM_HD static inline int cm_dm_obs_dim(const cm_char *c, const cm_dm_params *p) {
  int n = cm_char_obs_dim(c, p->num_keys, p->root_height_obs) + cm_dm_phase_obs_dim(p);
  if (p->enable_tar_obs) n += p->num_tar_steps * cm_dm_tar_step_dim(c, p);
  return n;
}

CM_HD static inline int cm_dm_phase_obs(const cm_dm_params *p, float phase, float *out) {
  int n = 0, E = p->num_phase_encoding;
  out[n++] = phase;
  for (int k = 0; k < E; k++) {
    float a = 2.f * CM_PI * ldexpf(1.f, k) * phase;
    out[n + k] = sinf(a);
    out[n + E + k] = cosf(a);
  }
  return n + 2 * E;
}

/* The target observation for one env: sim_root_pos is the anchor with global_obs (otherwise
 * target step 0 is). Returns the number of values written. */
CM_HD static inline int cm_dm_tar_obs(const cm_char *c, const cm_dm_params *p, const cm_motion_lib_view *v, int motion,
                                      float motion_time, const float *sim_root_pos, float *out) {
  int n = 0, B = c->num_bodies;
  float heading_inv[4], anchor[3], rel[3];
  cm_q_identity(heading_inv);
  cm_v3_copy(anchor, sim_root_pos);
  for (int j = 0; j < p->num_tar_steps; j++) {
    float rp[3], rr[4], jr[(CM_MAX_BODIES - 1) * 4], bp[CM_MAX_BODIES * 3], br[CM_MAX_BODIES * 4], q[4];
    float t = motion_time + p->control_dt * (float)p->tar_obs_steps[j];
    cm_mlib_calc_frame(v, motion, t, rp, rr, NULL, NULL, jr, NULL);
    if (!p->global_obs && j == 0) {
      cm_v3_copy(anchor, rp);
      cm_q_heading_inv(heading_inv, rr);
    }
    cm_v3_sub(rel, rp, anchor);
    cm_q_rotate(rel, heading_inv, rel);
    out[n++] = rel[0];
    out[n++] = rel[1];
    if (p->root_height_obs) out[n++] = rp[2];
    cm_q_mul(q, heading_inv, rr);
    cm_q_to_tan_norm(out + n, q);
    n += 6;
    for (int b = 0; b < B - 1; b++, n += 6) cm_q_to_tan_norm(out + n, jr + 4 * b);
    if (p->num_keys > 0) {
      cm_kin_fk(c, rp, rr, jr, bp, br);
      for (int k = 0; k < p->num_keys; k++, n += 3) {
        cm_v3_sub(rel, bp + 3 * p->key_ids[k], rp);
        cm_q_rotate(out + n, heading_inv, rel);
      }
    }
  }
  return n;
}

/* The whole observation of env i; motion_time = env time + its time offset. */
CM_HD static inline int cm_dm_obs(const cm_char *c, const cm_dm_params *p, const cm_motion_lib_view *v,
                                  const cm_sim_state *s, int i, int motion, float motion_time, float *out) {
  int B = s->num_bodies, D = s->num_dofs;
  const float *root_pos = s->root_pos + 3 * i, *root_rot = s->root_rot + 4 * i;
  int n = cm_char_obs(c, root_pos, root_rot, s->root_vel + 3 * i, s->root_ang_vel + 3 * i, s->dof_pos + (long)D * i,
                      s->dof_vel + (long)D * i, s->body_pos + (long)3 * B * i, p->key_ids, p->num_keys, p->global_obs,
                      p->root_height_obs, out);
  if (p->enable_phase_obs) n += cm_dm_phase_obs(p, cm_mlib_phase(v, motion, motion_time), out + n);
  if (p->enable_tar_obs) n += cm_dm_tar_obs(c, p, v, motion, motion_time, root_pos, out + n);
  return n;
}
#endif
