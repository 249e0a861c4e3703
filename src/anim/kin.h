/* Kinematics of one character pose (float, CPU and GPU): MimicKit dofs <-> joint rotations,
 * forward kinematics, and the bridge to MuJoCo's generalised coordinates.
 *
 * Layouts (MimicKit's): dof[c->num_dofs]; joint rotations jrot[(num_bodies - 1) * 4], entry
 * b - 1 for body b, x,y,z,w; body_pos[num_bodies * 3], body_rot[num_bodies * 4].
 *
 * MuJoCo models a spherical joint as three hinges a1, a2, a3 applied in order, each about its
 * axis in the frame left by the previous ones: R = R(a1, t1) R(a2, t2) R(a3, t3), an intrinsic
 * Euler decomposition. MimicKit's dofs for the same joint are the exp-map of R. The functions
 * below convert between the two for any orthonormal axis triple (a left-handed triple is
 * handled by flipping the third axis and the sign of its angle).
 *
 * Gimbal lock: when the middle hinge is at +-90 degrees the first and third axes coincide and
 * only a combination of t1 and t3 is determined. The decomposition then sets t3 = 0 and puts the
 * whole rotation in t1; it stays an exact decomposition of R. Near the lock the angles are
 * ill-conditioned (tiny changes of R move t1 and t3 a lot), and the velocity map divides by
 * cos(t2): we damp that division (det / (det^2 + eps^2), eps = 1e-4), so hinge velocities stay
 * finite (at most ~|w| / (2 eps)) exactly at the lock and are exact to ~eps^2/det^2 elsewhere. */
#ifndef CM_KIN_H
#define CM_KIN_H
#include "anim/char.h"
#include "core/hd.h"
#include "core/quat.h"

#define CM_KIN_LOCK_EPS 1e-4f

/* ---------------- dofs <-> joint rotations ---------------- */

CM_HD static inline void cm_kin_dof_to_rot(const cm_char *c, const float *dof, float *jrot) {
  for (int b = 1; b < c->num_bodies; b++) {
    float *q = jrot + 4 * (b - 1);
    const float *d = dof + c->dof_idx[b];
    if (c->joint_type[b] == CM_JOINT_HINGE) cm_q_from_axis_angle(q, c->hinge_axis[b][0], d[0]);
    else if (c->joint_type[b] == CM_JOINT_SPHERE) cm_exp_map_to_quat(q, d);
    else cm_q_identity(q);
  }
}

/* Hinge: the twist of the rotation about the hinge axis; sphere: its exp-map. */
CM_HD static inline void cm_kin_rot_to_dof(const cm_char *c, const float *jrot, float *dof) {
  for (int b = 1; b < c->num_bodies; b++) {
    const float *q = jrot + 4 * (b - 1);
    float *d = dof + c->dof_idx[b];
    if (c->joint_type[b] == CM_JOINT_HINGE) d[0] = cm_q_twist_angle(q, c->hinge_axis[b][0]);
    else if (c->joint_type[b] == CM_JOINT_SPHERE) cm_quat_to_exp_map(d, q);
  }
}

/* ---------------- forward kinematics ---------------- */

/* body_rot = parent_rot * local_rot * joint_rot, body_pos = parent_pos + parent_rot * local_pos.
 * Bodies are in depth-first order, so a parent is always computed before its children. */
CM_HD static inline void cm_kin_fk(const cm_char *c, const float *root_pos, const float *root_rot, const float *jrot,
                                   float *body_pos, float *body_rot) {
  cm_v3_copy(body_pos, root_pos);
  cm_q_copy(body_rot, root_rot);
  for (int b = 1; b < c->num_bodies; b++) {
    int p = c->parent[b];
    float off[3], lr[4];
    cm_q_rotate(off, body_rot + 4 * p, c->local_pos[b]);
    cm_v3_add(body_pos + 3 * b, body_pos + 3 * p, off);
    cm_q_mul(lr, c->local_rot[b], jrot + 4 * (b - 1));
    cm_q_mul(body_rot + 4 * b, body_rot + 4 * p, lr);
  }
}

/* ---------------- three hinges <-> one rotation ---------------- */

CM_HD static inline float cm_kin_wrap_angle(float a) {
  while (a > CM_PI) a -= 2.f * CM_PI;
  while (a <= -CM_PI) a += 2.f * CM_PI;
  return a;
}

/* R(a1, t1) R(a2, t2) R(a3, t3). */
CM_HD static inline void cm_kin_hinges_to_quat(const float axes[3][3], const float *t, float *q) {
  float q1[4], q2[4], q3[4];
  cm_q_from_axis_angle(q1, axes[0], t[0]);
  cm_q_from_axis_angle(q2, axes[1], t[1]);
  cm_q_from_axis_angle(q3, axes[2], t[2]);
  cm_q_mul(q, q1, q2);
  cm_q_mul(q, q, q3);
}

/* +1 for a right-handed triple, -1 for a left-handed one. */
CM_HD static inline float cm_kin_axes_handedness(const float axes[3][3]) {
  float x[3];
  cm_v3_cross(x, axes[0], axes[1]);
  return cm_v3_dot(x, axes[2]) >= 0.f ? 1.f : -1.f;
}

/* The principal decomposition: t2 in [-pi/2, pi/2], t1 and t3 in [-pi, pi]. */
CM_HD static inline void cm_kin_quat_to_hinges(const float axes[3][3], const float *q, float *t) {
  float s = cm_kin_axes_handedness(axes);
  float a3[3], v[3][3], m[3][3];
  cm_v3_scale(a3, axes[2], s);
  const float *a[3] = {axes[0], axes[1], a3};
  /* m = B^T R B with B = [a1 a2 a3]: R in the axes' own basis, where it reads
   * Rx(t1) Ry(t2) Rz(s t3) */
  for (int j = 0; j < 3; j++) cm_q_rotate(v[j], q, a[j]);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) m[i][j] = cm_v3_dot(a[i], v[j]);
  float cb = sqrtf(m[0][0] * m[0][0] + m[0][1] * m[0][1]);
  float sb = fminf(1.f, fmaxf(-1.f, m[0][2]));
  t[1] = atan2f(sb, cb);
  /* t1 from the last column; at the lock that column is ~0 and t1 is free: take the whole
   * rotation about the shared axis, t1 = atan2(m21, m11), which leaves t3 = 0 */
  t[0] = cb > 1e-6f ? atan2f(-m[1][2], m[2][2]) : atan2f(m[2][1], m[1][1]);
  /* t3 from Rx(t1)^T m = Ry(t2) Rz(t3), whose row 1 is (sin t3, cos t3, 0): entries of size 1,
   * so t3 stays consistent with t1 and the product reproduces m even near the lock, where
   * t1 and t3 separately are ill-conditioned */
  float c1 = cosf(t[0]), s1 = sinf(t[0]);
  t[2] = atan2f(c1 * m[1][0] + s1 * m[2][0], c1 * m[1][1] + s1 * m[2][1]);
  t[2] *= s;
}

/* How far an angle lies outside [lo, hi] (0 inside). */
CM_HD static inline float cm_kin_range_excess(float a, float lo, float hi) {
  return a < lo ? lo - a : (a > hi ? a - hi : 0.f);
}

/* Of a, a - 2 pi, a + 2 pi: the one closest to [lo, hi] (a itself on ties). */
CM_HD static inline float cm_kin_fit_angle(float a, float lo, float hi) {
  float best = a, e = cm_kin_range_excess(a, lo, hi);
  float c1 = a - 2.f * CM_PI, c2 = a + 2.f * CM_PI;
  float e1 = cm_kin_range_excess(c1, lo, hi), e2 = cm_kin_range_excess(c2, lo, hi);
  if (e1 < e) { best = c1; e = e1; }
  if (e2 < e) best = c2;
  return best;
}

/* Every rotation has two Euler triples along the same axes, (t1, t2, t3) and
 * (t1 + pi, pi - t2, t3 + pi) (signs of pi adjusted for the axes' handedness), each defined
 * up to 2 pi per angle. Joint ranges such as the hip's -140..60 degrees about y need the second
 * one: this picks the triple (and 2 pi shifts) that violates the hinge ranges [lo, hi] least,
 * the principal one on ties. */
CM_HD static inline void cm_kin_quat_to_hinges_ranged(const float axes[3][3], const float *q, const float *lo,
                                                      const float *hi, float *t) {
  float p[3], alt[3];
  cm_kin_quat_to_hinges(axes, q, p);
  float s = cm_kin_axes_handedness(axes);
  alt[0] = cm_kin_wrap_angle(p[0] + CM_PI);
  alt[1] = cm_kin_wrap_angle(CM_PI - p[1]);
  alt[2] = cm_kin_wrap_angle(p[2] + s * CM_PI);
  float ep = 0.f, ea = 0.f;
  for (int k = 0; k < 3; k++) {
    p[k] = cm_kin_fit_angle(p[k], lo[k], hi[k]);
    alt[k] = cm_kin_fit_angle(alt[k], lo[k], hi[k]);
    ep += cm_kin_range_excess(p[k], lo[k], hi[k]);
    ea += cm_kin_range_excess(alt[k], lo[k], hi[k]);
  }
  const float *r = ea < ep ? alt : p;
  t[0] = r[0]; t[1] = r[1]; t[2] = r[2];
}

/* Of a, a - 2 pi, a + 2 pi: the one closest to ref. */
CM_HD static inline float cm_kin_near_angle(float a, float ref) {
  float best = a, d = fabsf(a - ref);
  float c1 = a - 2.f * CM_PI, c2 = a + 2.f * CM_PI;
  if (fabsf(c1 - ref) < d) { best = c1; d = fabsf(c1 - ref); }
  if (fabsf(c2 - ref) < d) best = c2;
  return best;
}

/* The Euler triple (of the two, with 2 pi shifts) closest to reference angles ref, e.g. the
 * joint's current hinge angles: for PD targets that must not jump to the other branch. */
CM_HD static inline void cm_kin_quat_to_hinges_near(const float axes[3][3], const float *q, const float *ref,
                                                    float *t) {
  float p[3], alt[3];
  cm_kin_quat_to_hinges(axes, q, p);
  float s = cm_kin_axes_handedness(axes);
  alt[0] = p[0] + CM_PI;
  alt[1] = CM_PI - p[1];
  alt[2] = p[2] + s * CM_PI;
  float dp = 0.f, da = 0.f;
  for (int k = 0; k < 3; k++) {
    p[k] = cm_kin_near_angle(cm_kin_wrap_angle(p[k]), ref[k]);
    alt[k] = cm_kin_near_angle(cm_kin_wrap_angle(alt[k]), ref[k]);
    dp += (p[k] - ref[k]) * (p[k] - ref[k]);
    da += (alt[k] - ref[k]) * (alt[k] - ref[k]);
  }
  const float *r = da < dp ? alt : p;
  t[0] = r[0]; t[1] = r[1]; t[2] = r[2];
}

/* Columns of the map from hinge velocities to the joint's local angular velocity (expressed in
 * the child frame, after all three rotations, as MimicKit's exp-map dof velocity is):
 * w = J dt with J = [(R2 R3)^T a1, R3^T a2, a3]. */
CM_HD static inline void cm_kin_hinge_jacobian(const float axes[3][3], const float *t, float J[3][3]) {
  float q2[4], q3[4], tmp[3];
  cm_q_from_axis_angle(q2, axes[1], t[1]);
  cm_q_from_axis_angle(q3, axes[2], t[2]);
  cm_q_rotate_inv(tmp, q2, axes[0]);
  cm_q_rotate_inv(J[0], q3, tmp);
  cm_q_rotate_inv(J[1], q3, axes[1]);
  cm_v3_copy(J[2], axes[2]);
}

CM_HD static inline void cm_kin_hinge_vel_to_ang_vel(const float axes[3][3], const float *t, const float *dt,
                                                     float *w) {
  float J[3][3];
  cm_kin_hinge_jacobian(axes, t, J);
  for (int k = 0; k < 3; k++) w[k] = J[0][k] * dt[0] + J[1][k] * dt[1] + J[2][k] * dt[2];
}

/* Solves J dt = w by Cramer's rule with the damped inverse determinant described above. */
CM_HD static inline void cm_kin_ang_vel_to_hinge_vel(const float axes[3][3], const float *t, const float *w,
                                                     float *dt) {
  float J[3][3], x[3];
  cm_kin_hinge_jacobian(axes, t, J);
  cm_v3_cross(x, J[1], J[2]);
  float det = cm_v3_dot(J[0], x);
  float inv = det / (det * det + CM_KIN_LOCK_EPS * CM_KIN_LOCK_EPS);
  /* rows of J^-1 are (J1 x J2, J2 x J0, J0 x J1) / det */
  float r[3];
  dt[0] = cm_v3_dot(x, w) * inv;
  cm_v3_cross(r, J[2], J[0]);
  dt[1] = cm_v3_dot(r, w) * inv;
  cm_v3_cross(r, J[0], J[1]);
  dt[2] = cm_v3_dot(r, w) * inv;
}

/* Spherical joint exp-map <-> hinge angles (ranged choice as cm_kin_quat_to_hinges_ranged). */
CM_HD static inline void cm_kin_exp_map_to_hinges(const float axes[3][3], const float *e, const float *lo,
                                                  const float *hi, float *t) {
  float q[4];
  cm_exp_map_to_quat(q, e);
  cm_kin_quat_to_hinges_ranged(axes, q, lo, hi, t);
}

CM_HD static inline void cm_kin_hinges_to_exp_map(const float axes[3][3], const float *t, float *e) {
  float q[4];
  cm_kin_hinges_to_quat(axes, t, q);
  cm_quat_to_exp_map(e, q);
}

/* ---------------- MimicKit pose <-> MuJoCo qpos / qvel ----------------
 * qpos[c->mj_nq]: the free root joint (position, then quaternion w,x,y,z), then the hinges.
 * qvel[c->mj_nv]: MuJoCo's free joint has its linear velocity in the world frame and its angular
 * velocity in the root body's frame; MimicKit keeps both in the world frame. A root without
 * a free joint (mj_qpos_adr[0] < 0) is skipped. */

CM_HD static inline void cm_kin_pose_to_qpos(const cm_char *c, const float *root_pos, const float *root_rot,
                                             const float *dof, float *qpos) {
  if (c->mj_qpos_adr[0] >= 0) {
    float *r = qpos + c->mj_qpos_adr[0];
    r[0] = root_pos[0]; r[1] = root_pos[1]; r[2] = root_pos[2];
    r[3] = root_rot[3]; r[4] = root_rot[0]; r[5] = root_rot[1]; r[6] = root_rot[2];
  }
  for (int b = 1; b < c->num_bodies; b++) {
    int i = c->dof_idx[b];
    float *h = qpos + c->mj_qpos_adr[b];
    if (c->joint_type[b] == CM_JOINT_HINGE) h[0] = dof[i];
    else if (c->joint_type[b] == CM_JOINT_SPHERE)
      cm_kin_exp_map_to_hinges(c->hinge_axis[b], dof + i, c->dof_low + i, c->dof_high + i, h);
  }
}

CM_HD static inline void cm_kin_qpos_to_pose(const cm_char *c, const float *qpos, float *root_pos, float *root_rot,
                                             float *dof) {
  if (c->mj_qpos_adr[0] >= 0) {
    const float *r = qpos + c->mj_qpos_adr[0];
    root_pos[0] = r[0]; root_pos[1] = r[1]; root_pos[2] = r[2];
    root_rot[0] = r[4]; root_rot[1] = r[5]; root_rot[2] = r[6]; root_rot[3] = r[3];
    cm_q_normalize(root_rot);
  } else {
    cm_v3_copy(root_pos, c->local_pos[0]);
    cm_q_copy(root_rot, c->local_rot[0]);
  }
  for (int b = 1; b < c->num_bodies; b++) {
    int i = c->dof_idx[b];
    const float *h = qpos + c->mj_qpos_adr[b];
    if (c->joint_type[b] == CM_JOINT_HINGE) dof[i] = h[0];
    else if (c->joint_type[b] == CM_JOINT_SPHERE) cm_kin_hinges_to_exp_map(c->hinge_axis[b], h, dof + i);
  }
}

/* qpos supplies the hinge angles the velocity map depends on (and the root rotation). */
CM_HD static inline void cm_kin_vel_to_qvel(const cm_char *c, const float *qpos, const float *root_vel,
                                            const float *root_ang_vel, const float *dof_vel, float *qvel) {
  if (c->mj_dof_adr[0] >= 0) {
    const float *r = qpos + c->mj_qpos_adr[0];
    float rot[4] = {r[4], r[5], r[6], r[3]};
    cm_q_normalize(rot);
    float *v = qvel + c->mj_dof_adr[0];
    cm_v3_copy(v, root_vel);
    cm_q_rotate_inv(v + 3, rot, root_ang_vel);
  }
  for (int b = 1; b < c->num_bodies; b++) {
    int i = c->dof_idx[b];
    float *v = qvel + c->mj_dof_adr[b];
    if (c->joint_type[b] == CM_JOINT_HINGE) v[0] = dof_vel[i];
    else if (c->joint_type[b] == CM_JOINT_SPHERE)
      cm_kin_ang_vel_to_hinge_vel(c->hinge_axis[b], qpos + c->mj_qpos_adr[b], dof_vel + i, v);
  }
}

CM_HD static inline void cm_kin_qvel_to_vel(const cm_char *c, const float *qpos, const float *qvel, float *root_vel,
                                            float *root_ang_vel, float *dof_vel) {
  if (c->mj_dof_adr[0] >= 0) {
    const float *r = qpos + c->mj_qpos_adr[0];
    float rot[4] = {r[4], r[5], r[6], r[3]};
    cm_q_normalize(rot);
    const float *v = qvel + c->mj_dof_adr[0];
    cm_v3_copy(root_vel, v);
    cm_q_rotate(root_ang_vel, rot, v + 3);
  } else {
    cm_v3_set(root_vel, 0.f, 0.f, 0.f);
    cm_v3_set(root_ang_vel, 0.f, 0.f, 0.f);
  }
  for (int b = 1; b < c->num_bodies; b++) {
    int i = c->dof_idx[b];
    const float *v = qvel + c->mj_dof_adr[b];
    if (c->joint_type[b] == CM_JOINT_HINGE) dof_vel[i] = v[0];
    else if (c->joint_type[b] == CM_JOINT_SPHERE)
      cm_kin_hinge_vel_to_ang_vel(c->hinge_axis[b], qpos + c->mj_qpos_adr[b], v, dof_vel + i);
  }
}
#endif
