/* The DeepMimic reward and episode end of one environment (MimicKit deepmimic_env
 * compute_reward / compute_done), CPU and GPU.
 *
 * Reward = w_pose r_pose + w_vel r_vel + w_root_pose r_root_pose + w_root_vel r_root_vel
 *          + w_key_pos r_key_pos, every r = exp(-scale * err) in (0, 1], so the maximum is the
 * sum of the weights (1 for the humanoid yaml), reached when the character matches the
 * reference:
 *   pose:      sum over non-root bodies of joint_err_w * angle(joint rotation vs reference)^2
 *   vel:       sum over dofs of (its joint's joint_err_w) * (dof velocity error)^2
 *   root_pose: |root position error|^2 + 0.1 * root rotation angle^2; the horizontal part only
 *              when the root is tracked (enable_tar_obs and global_obs), the height part only
 *              with root_height_obs
 *   root_vel:  |root velocity error|^2 + 0.1 * |root angular velocity error|^2
 *   key_pos:   sum over key bodies of |(key - root) error|^2 (0 without key bodies)
 * Without root tracking, root rotation, velocities and key offsets are compared in each
 * character's own heading frame.
 *
 * Episode end, later rules winning: time >= episode_length -> TIME; a clamp (non-looping) clip
 * played to its end -> SUCC (motion_end_succ: not in amp, whose episodes outlast the clip); with enable_early_termination, after the first step -> FAIL when
 * a body not listed in contact_bodies touches the ground with its origin at most
 * ground_contact_height high (checked only when contact_bodies is not empty, as MimicKit does),
 * or, with pose_termination, when some body lies farther than pose_termination_dist from its
 * reference position (world positions with root tracking; else offsets from the root, in the
 * root's frame without global_obs). */
#ifndef CM_DEEPMIMIC_REWARD_H
#define CM_DEEPMIMIC_REWARD_H
#include <math.h>
#include <stdint.h>
#include "anim/motion.h"
#include "core/hd.h"
#include "core/quat.h"
#include "env/deepmimic_params.h"
#include "env/deepmimic_ref.h"
#include "env/env.h"

/* The angle of the rotation taking q0 to q1 (q1 q0^-1), in [0, pi]. */
CM_HD static inline float cm_dm_quat_diff_angle(const float *q0, const float *q1) {
  float c0[4], dq[4];
  cm_q_conj(c0, q0);
  cm_q_mul(dq, q1, c0);
  cm_q_pos(dq);
  float len = sqrtf(dq[0] * dq[0] + dq[1] * dq[1] + dq[2] * dq[2]);
  return len > 1e-5f ? 2.f * atan2f(len, dq[3]) : 0.f;
}

/* The five factors r = exp(-scale * err), each in (0, 1]. */
typedef struct cm_dm_reward_terms {
  float pose, vel, root_pose, root_vel, key_pos;
} cm_dm_reward_terms;

/* Root rotation, velocities and the key offsets (key - root) of one character, in world
 * coordinates or, local = 1, in its heading frame. */
CM_HD static inline void cm_dm_root_terms(const cm_dm_params *p, const cm_dm_state *x, int local, float *rot,
                                          float *vel, float *ang_vel, float *keys) {
  float h[4];
  cm_q_identity(h);
  if (local) cm_q_heading_inv(h, x->root_rot);
  cm_q_mul(rot, h, x->root_rot);
  cm_q_rotate(vel, h, x->root_vel);
  cm_q_rotate(ang_vel, h, x->root_ang_vel);
  for (int k = 0; k < p->num_keys; k++) {
    float rel[3];
    cm_v3_sub(rel, x->body_pos + 3 * p->key_ids[k], x->root_pos);
    cm_q_rotate(keys + 3 * k, h, rel);
  }
}

CM_HD static inline float cm_dm_reward(const cm_char *c, const cm_dm_params *p, const cm_dm_state *sim,
                                       const cm_dm_state *ref, cm_dm_reward_terms *terms) {
  int track = cm_dm_track_root(p);
  float pose_err = 0.f, vel_err = 0.f, key_err = 0.f;
  for (int j = 0; j < c->num_bodies - 1; j++) {
    float a = cm_dm_quat_diff_angle(sim->joint_rot + 4 * j, ref->joint_rot + 4 * j);
    pose_err += p->joint_err_w[j] * a * a;
  }
  for (int d = 0; d < c->num_dofs; d++) {
    float e = ref->dof_vel[d] - sim->dof_vel[d];
    vel_err += p->dof_err_w[d] * e * e;
  }
  float dpos[3];
  cm_v3_sub(dpos, ref->root_pos, sim->root_pos);
  if (!track) dpos[0] = dpos[1] = 0.f;
  if (!p->root_height_obs) dpos[2] = 0.f;
  float root_pos_err = cm_v3_dot(dpos, dpos);

  float srot[4], svel[3], sang[3], skeys[CM_MAX_BODIES * 3];
  float rrot[4], rvel[3], rang[3], rkeys[CM_MAX_BODIES * 3], dv[3], dw[3];
  cm_dm_root_terms(p, sim, !track, srot, svel, sang, skeys);
  cm_dm_root_terms(p, ref, !track, rrot, rvel, rang, rkeys);
  float rot_angle = cm_dm_quat_diff_angle(srot, rrot);
  cm_v3_sub(dv, rvel, svel);
  cm_v3_sub(dw, rang, sang);
  for (int k = 0; k < 3 * p->num_keys; k++) {
    float e = rkeys[k] - skeys[k];
    key_err += e * e;
  }
  cm_dm_reward_terms r;
  r.pose = expf(-p->s_pose * pose_err);
  r.vel = expf(-p->s_vel * vel_err);
  r.root_pose = expf(-p->s_root_pose * (root_pos_err + 0.1f * rot_angle * rot_angle));
  r.root_vel = expf(-p->s_root_vel * (cm_v3_dot(dv, dv) + 0.1f * cm_v3_dot(dw, dw)));
  r.key_pos = expf(-p->s_key_pos * key_err);
  if (terms) *terms = r;
  return p->w_pose * r.pose + p->w_vel * r.vel + p->w_root_pose * r.root_pose + p->w_root_vel * r.root_vel +
         p->w_key_pos * r.key_pos;
}

/* A body touching the ground that should not (MimicKit's masked ground-contact test). */
CM_HD static inline int cm_dm_fallen(const cm_dm_params *p, int num_bodies, const float *body_pos,
                                     const uint8_t *ground_contact) {
  if (p->num_contact_bodies == 0) return 0;
  for (int b = 0; b < num_bodies; b++)
    if (ground_contact[b] && !p->contact_ok[b] && body_pos[3 * b + 2] <= p->ground_contact_height) return 1;
  return 0;
}

/* The largest squared distance of a body from its reference position, in the frame the
 * settings ask for (see the file comment). */
CM_HD static inline float cm_dm_max_body_dist2(const cm_dm_params *p, int num_bodies, const cm_dm_state *sim,
                                               const cm_dm_state *ref) {
  int track = cm_dm_track_root(p);
  float sinv[4], rinv[4], worst = 0.f;
  cm_q_conj(sinv, sim->root_rot);
  cm_q_conj(rinv, ref->root_rot);
  /* with root tracking the root body itself counts (MimicKit's separate root check is the same test) */
  for (int b = track ? 0 : 1; b < num_bodies; b++) {
    float a[3], t[3], d[3];
    cm_v3_copy(a, sim->body_pos + 3 * b);
    cm_v3_copy(t, ref->body_pos + 3 * b);
    if (!track) {
      cm_v3_sub(a, a, sim->body_pos);
      cm_v3_sub(t, t, ref->body_pos);
      if (!p->global_obs) {
        cm_q_rotate(a, sinv, a);
        cm_q_rotate(t, rinv, t);
      }
    }
    cm_v3_sub(d, t, a);
    float d2 = cm_v3_dot(d, d);
    if (d2 > worst) worst = d2;
  }
  return worst;
}

/* motion_time = env time + time offset; motion_len and loop_mode describe the env's clip. */
CM_HD static inline int cm_dm_done(const cm_dm_params *p, int num_bodies, const cm_dm_state *sim,
                                   const cm_dm_state *ref, const uint8_t *ground_contact, float time,
                                   float motion_time, float motion_len, int loop_mode) {
  int done = CM_DONE_NULL;
  if (time >= p->episode_length) done = CM_DONE_TIME;
  if (p->motion_end_succ && loop_mode != CM_LOOP_WRAP && motion_time >= motion_len) done = CM_DONE_SUCC;
  if (p->enable_early_termination && time > 0.f) {
    int failed = cm_dm_fallen(p, num_bodies, sim->body_pos, ground_contact);
    if (p->pose_termination &&
        cm_dm_max_body_dist2(p, num_bodies, sim, ref) > p->pose_termination_dist * p->pose_termination_dist)
      failed = 1;
    if (failed) done = CM_DONE_FAIL;
  }
  return done;
}

/* Env i's reward and episode end from the engine state and the reference buffers. */
CM_HD static inline void cm_dm_env_reward_done(const cm_char *c, const cm_dm_params *p, const cm_motion_lib_view *v,
                                               const cm_sim_state *s, const cm_dm_buf *b, int i, float time,
                                               float *reward, int *done) {
  float jrot[(CM_MAX_BODIES - 1) * 4];
  cm_dm_state sim = cm_dm_sim_state(c, s, i, jrot);
  cm_dm_state ref = cm_dm_ref_state(b, c->num_bodies, c->num_dofs, i);
  int m = b->motion_id[i];
  *reward = cm_dm_reward(c, p, &sim, &ref, NULL);
  *done = cm_dm_done(p, c->num_bodies, &sim, &ref, s->ground_contact + (long)s->num_bodies * i, time,
                     time + b->time_offset[i], v->length[m], v->loop_mode[m]);
}
#endif
