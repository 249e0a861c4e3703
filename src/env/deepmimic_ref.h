/* The DeepMimic reference motion of one environment (CPU and GPU): which clip it follows and
 * from which start time, the reference frame at the env's motion time (root, joint rotations,
 * velocities, body positions by FK, dofs), reference-state initialisation on reset, and the
 * reference character's pose for the video (MimicKit DeepMimicEnv _reset_ref_motion,
 * _ref_state_init, _update_ref_motion, _update_ref_char). */
#ifndef CM_DEEPMIMIC_REF_H
#define CM_DEEPMIMIC_REF_H
#include <stdint.h>
#include "anim/kin.h"
#include "anim/motion_lib_eval.h"
#include "core/hd.h"
#include "core/quat.h"
#include "core/rng.h"
#include "env/deepmimic_params.h"
#include "sim/engine.h"

/* rng stream of reset draws (motion and start time), keyed by (seed, env, episode) */
#define CM_DM_RNG_STREAM_RESET 0x444d5253u

/* The batched DeepMimic state of all envs: [N][...] arrays, reference quantities as in
 * cm_sim_state (joint_rot: [N][B-1][4]). */
typedef struct cm_dm_buf {
  int *motion_id;
  float *time_offset;      /* motion time = env time + time_offset */
  uint32_t *episode;       /* resets so far: the rng key of the next reset's draws */
  float *root_pos, *root_rot, *root_vel, *root_ang_vel, *joint_rot, *dof_pos, *dof_vel, *body_pos;
} cm_dm_buf;

/* One env's character state as rewards and terminations read it, for the simulated character
 * and the reference alike: root pos 3, rot 4, vel 3, ang vel 3, joint rotations (B-1)*4, dof
 * velocities D, body positions B*3 (all world frame). */
typedef struct cm_dm_state {
  const float *root_pos, *root_rot, *root_vel, *root_ang_vel, *joint_rot, *dof_vel, *body_pos;
} cm_dm_state;

CM_HD static inline cm_dm_state cm_dm_ref_state(const cm_dm_buf *b, int num_bodies, int num_dofs, int i) {
  cm_dm_state r;
  r.root_pos = b->root_pos + 3 * i;
  r.root_rot = b->root_rot + 4 * i;
  r.root_vel = b->root_vel + 3 * i;
  r.root_ang_vel = b->root_ang_vel + 3 * i;
  r.joint_rot = b->joint_rot + (long)4 * (num_bodies - 1) * i;
  r.dof_vel = b->dof_vel + (long)num_dofs * i;
  r.body_pos = b->body_pos + (long)3 * num_bodies * i;
  return r;
}

/* The simulated character of env i; its joint rotations are formed from the dofs into jrot
 * ((B-1)*4 floats the caller provides). */
CM_HD static inline cm_dm_state cm_dm_sim_state(const cm_char *c, const cm_sim_state *s, int i, float *jrot) {
  cm_dm_state r;
  int B = s->num_bodies, D = s->num_dofs;
  cm_kin_dof_to_rot(c, s->dof_pos + (long)D * i, jrot);
  r.root_pos = s->root_pos + 3 * i;
  r.root_rot = s->root_rot + 4 * i;
  r.root_vel = s->root_vel + 3 * i;
  r.root_ang_vel = s->root_ang_vel + 3 * i;
  r.joint_rot = jrot;
  r.dof_vel = s->dof_vel + (long)D * i;
  r.body_pos = s->body_pos + (long)3 * B * i;
  return r;
}

/* Env i's reference frame at its motion time env_time + time_offset, into the buffers; with
 * p->visualize_ref_char also the reference character's pose (root shifted by ref_char_offset)
 * into the engine's ref_* arrays (s may be NULL to skip that). */
CM_HD static inline void cm_dm_update_ref(const cm_char *c, const cm_dm_params *p, const cm_motion_lib_view *v,
                                          cm_dm_buf *b, cm_sim_state *s, int i, float env_time) {
  int B = c->num_bodies, D = c->num_dofs;
  float *rp = b->root_pos + 3 * i, *rr = b->root_rot + 4 * i, *jr = b->joint_rot + (long)4 * (B - 1) * i;
  float *dp = b->dof_pos + (long)D * i, body_rot[CM_MAX_BODIES * 4];
  float t = env_time + b->time_offset[i];
  cm_mlib_calc_frame(v, b->motion_id[i], t, rp, rr, b->root_vel + 3 * i, b->root_ang_vel + 3 * i, jr,
                     b->dof_vel + (long)D * i);
  cm_kin_fk(c, rp, rr, jr, b->body_pos + (long)3 * B * i, body_rot);
  cm_mlib_joint_rot_to_dof(c, jr, dp);
  if (s && p->visualize_ref_char) {
    cm_v3_add(s->ref_root_pos + 3 * i, rp, p->ref_char_offset);
    cm_q_copy(s->ref_root_rot + 4 * i, rr);
    for (int k = 0; k < D; k++) s->ref_dof_pos[(long)D * i + k] = dp[k];
  }
}

/* Reset of env i (before the engine's push_state): draw the clip by weight and, with
 * rand_reset, a start time uniform over its length (else 0), from the rng keyed by
 * (seed, env0 + i, episode); evaluate the reference there; put the simulated character in the
 * reference pose with the reference's root and dof velocities (reference-state init). */
CM_HD static inline void cm_dm_reset_env(const cm_char *c, const cm_dm_params *p, const cm_motion_lib_view *v,
                                         cm_dm_buf *b, cm_sim_state *s, uint64_t seed, uint32_t env0, int i) {
  int D = c->num_dofs;
  cm_rng rng = cm_rng_make(seed, env0 + (uint32_t)i, b->episode[i], CM_DM_RNG_STREAM_RESET);
  b->episode[i]++;
  int m = cm_mlib_sample_motion(v, &rng);
  b->motion_id[i] = m;
  b->time_offset[i] = p->rand_reset ? cm_mlib_sample_time(v, m, 0.f, &rng) : 0.f;
  cm_dm_update_ref(c, p, v, b, s, i, 0.f);
  cm_v3_copy(s->root_pos + 3 * i, b->root_pos + 3 * i);
  cm_q_copy(s->root_rot + 4 * i, b->root_rot + 4 * i);
  cm_v3_copy(s->root_vel + 3 * i, b->root_vel + 3 * i);
  cm_v3_copy(s->root_ang_vel + 3 * i, b->root_ang_vel + 3 * i);
  for (int k = 0; k < D; k++) {
    s->dof_pos[(long)D * i + k] = b->dof_pos[(long)D * i + k];
    s->dof_vel[(long)D * i + k] = b->dof_vel[(long)D * i + k];
  }
}
#endif
