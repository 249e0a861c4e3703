/* The discriminator observation of one environment (MimicKit amp_env / add_env compute_disc_obs),
 * CPU and GPU, over num_disc_obs_steps frames of a character, oldest first:
 *
 * A frame record holds what the observation reads of one pose: root position 3, rotation 4,
 * velocity 3, angular velocity 3, joint rotations 4 per non-root body, dof velocities, body
 * positions 3 per body (world frame). The simulated character's records live in a history ring
 * [N][T][R] with one write position (head) shared by all envs, as MimicKit's CircularBuffer:
 * frame k (0 = oldest) of env i is slot (head + k) % T, each step writes slot head and advances
 * it, a reset fills all T slots of the env from its reference motion at times
 * t0 - (T-1-k) dt (dt = control step). Demo observations take the same records from the motion
 * library at sampled (clip, time) pairs.
 *
 * AMP (per frame, then frames concatenated): with r = the anchor root position and H = the
 * anchor heading inverse,
 *   H (root_pos - r): x, y and, with root_height_obs, the root height itself (else x, y only);
 *   tan-norm(H root_rot); tan-norm of each joint rotation; H (key body - that frame's root) per
 *   key body; H root_vel; H root_ang_vel; dof velocities.
 * The anchor is the newest frame's root (H its heading inverse, identity with global_obs); with
 * global root tracking (enable_tar_obs and global_obs) it is the origin and H is identity.
 * ADD (per frame, each frame its own anchor): root position (x, y zeroed without global_obs),
 * tan-norm(H root_rot), tan-norm of each joint rotation, H (body - root) for EVERY body,
 * H root_vel, H root_ang_vel, dof velocities, with H = that frame's heading inverse
 * (identity with global_obs). */
#ifndef CM_AMP_DISC_H
#define CM_AMP_DISC_H
#include "anim/kin.h"
#include "anim/motion_lib_eval.h"
#include "core/hd.h"
#include "core/quat.h"
#include "sim/engine.h"

#define CM_DISC_MAX_STEPS 64

typedef struct cm_disc_params {
  int steps;              /* num_disc_obs_steps (T) */
  int add;                /* ADD's observation instead of AMP's */
  int global_obs, root_height_obs, track_root;
  int key_ids[CM_MAX_BODIES], num_keys;
  float dt;               /* control step (s): demo frames lie this far apart */
} cm_disc_params;

/* Offsets of the parts of a frame record and its size (floats). */
typedef struct cm_disc_layout {
  int rp, rr, rv, rav, jr, dv, bp, size;
} cm_disc_layout;

CM_HD static inline cm_disc_layout cm_disc_layout_of(const cm_char *c) {
  cm_disc_layout l;
  l.rp = 0; l.rr = 3; l.rv = 7; l.rav = 10; l.jr = 13;
  l.dv = l.jr + 4 * (c->num_bodies - 1);
  l.bp = l.dv + c->num_dofs;
  l.size = l.bp + 3 * c->num_bodies;
  return l;
}

CM_HD static inline int cm_disc_frame_dim(const cm_char *c, const cm_disc_params *p) {
  int B = c->num_bodies, D = c->num_dofs;
  if (p->add) return 3 + 6 + 6 * (B - 1) + 3 * B + 6 + D;
  return (p->root_height_obs ? 3 : 2) + 6 + 6 * (B - 1) + 3 * p->num_keys + 6 + D;
}

CM_HD static inline int cm_disc_obs_dim(const cm_char *c, const cm_disc_params *p) {
  return p->steps * cm_disc_frame_dim(c, p);
}

/* The simulated character of env i as a frame record. */
CM_HD static inline void cm_disc_frame_from_sim(const cm_char *c, const cm_sim_state *s, int i, float *f) {
  cm_disc_layout l = cm_disc_layout_of(c);
  int B = c->num_bodies, D = c->num_dofs;
  cm_v3_copy(f + l.rp, s->root_pos + 3 * i);
  cm_q_copy(f + l.rr, s->root_rot + 4 * i);
  cm_v3_copy(f + l.rv, s->root_vel + 3 * i);
  cm_v3_copy(f + l.rav, s->root_ang_vel + 3 * i);
  cm_kin_dof_to_rot(c, s->dof_pos + (long)D * i, f + l.jr);
  for (int k = 0; k < D; k++) f[l.dv + k] = s->dof_vel[(long)D * i + k];
  for (int k = 0; k < 3 * B; k++) f[l.bp + k] = s->body_pos[(long)3 * B * i + k];
}

/* Motion m of the library at time t as a frame record (body positions by forward kinematics). */
CM_HD static inline void cm_disc_frame_from_motion(const cm_char *c, const cm_motion_lib_view *v, int m, float t,
                                                   float *f) {
  cm_disc_layout l = cm_disc_layout_of(c);
  float body_rot[CM_MAX_BODIES * 4];
  cm_mlib_calc_frame(v, m, t, f + l.rp, f + l.rr, f + l.rv, f + l.rav, f + l.jr, f + l.dv);
  cm_kin_fk(c, f + l.rp, f + l.rr, f + l.jr, f + l.bp, body_rot);
}

/* Writes the T records of motion m ending at time t0 into a ring (slot (head + k) % T holds
 * frame k, time t0 - (T-1-k) dt): an env's history after a reset, or a demo sample (head 0). */
CM_HD static inline void cm_disc_fill_from_motion(const cm_char *c, const cm_disc_params *p,
                                                  const cm_motion_lib_view *v, int m, float t0, float *ring,
                                                  int head) {
  int T = p->steps, R = cm_disc_layout_of(c).size;
  for (int k = 0; k < T; k++)
    cm_disc_frame_from_motion(c, v, m, t0 - (float)(T - 1 - k) * p->dt, ring + (long)R * ((head + k) % T));
}

CM_HD static inline int cm_amp_disc_frame_obs(const cm_char *c, const cm_disc_params *p, const float *f,
                                              const float *anchor, const float *h, float *out) {
  cm_disc_layout l = cm_disc_layout_of(c);
  int n = 0, B = c->num_bodies;
  float rel[3], q[4];
  cm_v3_sub(rel, f + l.rp, anchor);
  cm_q_rotate(rel, h, rel);
  out[n++] = rel[0];
  out[n++] = rel[1];
  if (p->root_height_obs) out[n++] = f[l.rp + 2];
  cm_q_mul(q, h, f + l.rr);
  cm_q_to_tan_norm(out + n, q);
  n += 6;
  for (int j = 0; j < B - 1; j++, n += 6) cm_q_to_tan_norm(out + n, f + l.jr + 4 * j);
  for (int k = 0; k < p->num_keys; k++, n += 3) {
    cm_v3_sub(rel, f + l.bp + 3 * p->key_ids[k], f + l.rp);
    cm_q_rotate(out + n, h, rel);
  }
  cm_q_rotate(out + n, h, f + l.rv);
  cm_q_rotate(out + n + 3, h, f + l.rav);
  n += 6;
  for (int d = 0; d < c->num_dofs; d++) out[n++] = f[l.dv + d];
  return n;
}

CM_HD static inline int cm_add_disc_frame_obs(const cm_char *c, const cm_disc_params *p, const float *f, float *out) {
  cm_disc_layout l = cm_disc_layout_of(c);
  int n = 0, B = c->num_bodies;
  float h[4], q[4], rel[3];
  cm_q_identity(h);
  if (!p->global_obs) cm_q_heading_inv(h, f + l.rr);
  cm_v3_copy(out, f + l.rp);
  if (!p->global_obs) out[0] = out[1] = 0.f;
  n += 3;
  cm_q_mul(q, h, f + l.rr);
  cm_q_to_tan_norm(out + n, q);
  n += 6;
  for (int j = 0; j < B - 1; j++, n += 6) cm_q_to_tan_norm(out + n, f + l.jr + 4 * j);
  for (int b = 0; b < B; b++, n += 3) {
    cm_v3_sub(rel, f + l.bp + 3 * b, f + l.rp);
    cm_q_rotate(out + n, h, rel);
  }
  cm_q_rotate(out + n, h, f + l.rv);
  cm_q_rotate(out + n + 3, h, f + l.rav);
  n += 6;
  for (int d = 0; d < c->num_dofs; d++) out[n++] = f[l.dv + d];
  return n;
}

/* The observation of the T records in ring (frame k at slot (head + k) % T); returns its size. */
CM_HD static inline int cm_disc_obs(const cm_char *c, const cm_disc_params *p, const float *ring, int head,
                                    float *out) {
  int T = p->steps, R = cm_disc_layout_of(c).size, n = 0;
  const float *newest = ring + (long)R * ((head + T - 1) % T);
  float anchor[3] = {0.f, 0.f, 0.f}, h[4];
  cm_q_identity(h);
  if (!p->add && !p->track_root) {
    cm_v3_copy(anchor, newest + cm_disc_layout_of(c).rp);
    if (!p->global_obs) cm_q_heading_inv(h, newest + cm_disc_layout_of(c).rr);
  }
  for (int k = 0; k < T; k++) {
    const float *f = ring + (long)R * ((head + k) % T);
    n += p->add ? cm_add_disc_frame_obs(c, p, f, out + n) : cm_amp_disc_frame_obs(c, p, f, anchor, h, out + n);
  }
  return n;
}
#endif
