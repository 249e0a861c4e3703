/* Kinematics against MuJoCo as the oracle (FK, qpos/qvel conventions) and against double-precision
 * finite differences (hinge velocities), plus round trips of every conversion. */
#include <mujoco/mujoco.h>
#include <string.h>
#include "anim/kin.h"
#include "check.h"
#include "core/rng.h"
#include "anim/mjcf.h"

#define HUMANOID "data/assets/humanoid/humanoid.xml"
#define MINI "tests/data/char/mini_frcrange.xml"

static cm_char ch;
static cm_rng rng;

static float uni(float lo, float hi) { return lo + (hi - lo) * cm_rng_uniform(&rng); }

static void random_quat(float *q) {
  for (int k = 0; k < 4; k++) q[k] = cm_rng_normal(&rng);
  cm_q_normalize(q);
}

/* The angle of the rotation between a and b (sign-insensitive), in double. */
static double quat_angle(const float *a, const float *b) {
  double x = (double)a[3] * b[0] - (double)a[0] * b[3] - (double)a[1] * b[2] + (double)a[2] * b[1];
  double y = (double)a[3] * b[1] + (double)a[0] * b[2] - (double)a[1] * b[3] - (double)a[2] * b[0];
  double z = (double)a[3] * b[2] - (double)a[0] * b[1] + (double)a[1] * b[0] - (double)a[2] * b[3];
  double w = (double)a[3] * b[3] + (double)a[0] * b[0] + (double)a[1] * b[1] + (double)a[2] * b[2];
  return 2 * atan2(sqrt(x * x + y * y + z * z), fabs(w));
}

/* A random MimicKit pose: root anywhere, spherical exp-maps of angle < 2.5 rad, hinges in range. */
static void random_pose(float *root_pos, float *root_rot, float *dof) {
  cm_v3_set(root_pos, uni(-2, 2), uni(-2, 2), uni(0, 2));
  random_quat(root_rot);
  for (int b = 1; b < ch.num_bodies; b++) {
    int i = ch.dof_idx[b];
    if (ch.joint_type[b] == CM_JOINT_HINGE) dof[i] = uni(ch.dof_low[i], ch.dof_high[i]);
    if (ch.joint_type[b] == CM_JOINT_SPHERE) {
      float q[4];
      random_quat(q);
      cm_quat_to_exp_map(dof + i, q);
      float n = cm_v3_norm(dof + i);
      if (n > 2.5f) cm_v3_scale(dof + i, dof + i, 2.5f / n);
    }
  }
}

/* Our FK against mj_kinematics on the same pose, for every body. */
static void compare_fk_with_mujoco(const mjModel *m, mjData *d, const float *root_pos, const float *root_rot,
                                   const float *dof, double *max_pos, double *max_rot) {
  float qpos[256], jrot[CM_MAX_BODIES * 4], bpos[CM_MAX_BODIES * 3], brot[CM_MAX_BODIES * 4];
  cm_kin_pose_to_qpos(&ch, root_pos, root_rot, dof, qpos);
  for (int k = 0; k < m->nq; k++) d->qpos[k] = qpos[k];
  mj_kinematics(m, d);
  cm_kin_dof_to_rot(&ch, dof, jrot);
  cm_kin_fk(&ch, root_pos, root_rot, jrot, bpos, brot);
  for (int b = 0; b < ch.num_bodies; b++) {
    int mb = ch.mj_body[b];
    for (int k = 0; k < 3; k++) {
      double e = fabs(d->xpos[3 * mb + k] - bpos[3 * b + k]);
      if (e > *max_pos) *max_pos = e;
    }
    const mjtNum *x = d->xquat + 4 * mb;
    float mq[4] = {(float)x[1], (float)x[2], (float)x[3], (float)x[0]};
    double e = quat_angle(mq, brot + 4 * b);
    if (e > *max_rot) *max_rot = e;
  }
}

static void test_fk_against_mujoco(const char *path, int trials) {
  cm_err err = {0};
  mjModel *m = NULL;
  cm_mjcf_opts opts = {0};
  CHECK_OK(cm_char_load(path, &ch, &err), &err);
  CHECK_OK(cm_mjcf_compile(path, &opts, &m, NULL, &err), &err);
  if (!m) return;
  mjData *d = mj_makeData(m);
  float root_pos[3], root_rot[4], dof[CM_MAX_DOFS];
  double max_pos = 0, max_rot = 0;
  for (int t = 0; t < trials; t++) {
    random_pose(root_pos, root_rot, dof);
    compare_fk_with_mujoco(m, d, root_pos, root_rot, dof, &max_pos, &max_rot);
  }
  printf("%s: FK vs mj_kinematics over %d poses: max |dpos| %.2e m, max rotation error %.2e rad\n", path, trials,
         max_pos, max_rot);
  CHECK(max_pos <= 1e-5);
  CHECK(max_rot <= 1e-5);
  /* a sharper rotation check: component-wise after sign alignment */
  random_pose(root_pos, root_rot, dof);
  float qpos[256], jrot[CM_MAX_BODIES * 4], bpos[CM_MAX_BODIES * 3], brot[CM_MAX_BODIES * 4];
  cm_kin_pose_to_qpos(&ch, root_pos, root_rot, dof, qpos);
  for (int k = 0; k < m->nq; k++) d->qpos[k] = qpos[k];
  mj_kinematics(m, d);
  cm_kin_dof_to_rot(&ch, dof, jrot);
  cm_kin_fk(&ch, root_pos, root_rot, jrot, bpos, brot);
  for (int b = 0; b < ch.num_bodies; b++) {
    const mjtNum *x = d->xquat + 4 * ch.mj_body[b];
    double mq[4] = {x[1], x[2], x[3], x[0]}, s = 0;
    for (int k = 0; k < 4; k++) s += mq[k] * brot[4 * b + k];
    for (int k = 0; k < 4; k++) CHECK_NEAR(brot[4 * b + k], s < 0 ? -mq[k] : mq[k], 1e-5);
  }
  mj_deleteData(d);
  mj_deleteModel(m);
}

/* Random hinge angles (in range) -> MuJoCo FK, and our qpos -> pose -> FK must agree; then the
 * pose maps back to a qpos with the same rotations whose angles are in range. */
static void test_qpos_round_trip(const char *path) {
  cm_err err = {0};
  mjModel *m = NULL;
  cm_mjcf_opts opts = {0};
  CHECK_OK(cm_char_load(path, &ch, &err), &err);
  CHECK_OK(cm_mjcf_compile(path, &opts, &m, NULL, &err), &err);
  if (!m) return;
  mjData *d = mj_makeData(m);
  double max_pos = 0, max_rot = 0, max_dof = 0, max_hinge_rot = 0;
  int out_of_range = 0;
  for (int t = 0; t < 200; t++) {
    float qpos[256], qpos2[256], root_pos[3], root_rot[4], dof[CM_MAX_DOFS], dof2[CM_MAX_DOFS];
    float rp[3], rr[4];
    cm_v3_set(rp, uni(-1, 1), uni(-1, 1), uni(0.5f, 1.5f));
    random_quat(rr);
    qpos[0] = rp[0]; qpos[1] = rp[1]; qpos[2] = rp[2];
    qpos[3] = rr[3]; qpos[4] = rr[0]; qpos[5] = rr[1]; qpos[6] = rr[2];
    for (int i = 0; i < ch.num_dofs; i++) {
      /* each hinge's qpos slot is 7 + MimicKit dof index in these models */
      float lo = ch.dof_low[i], hi = ch.dof_high[i];
      qpos[7 + i] = uni(lo, hi);
    }
    cm_kin_qpos_to_pose(&ch, qpos, root_pos, root_rot, dof);
    for (int k = 0; k < 3; k++) CHECK_NEAR(root_pos[k], rp[k], 0);
    CHECK(quat_angle(root_rot, rr) < 1e-5);
    compare_fk_with_mujoco(m, d, root_pos, root_rot, dof, &max_pos, &max_rot);
    /* pose -> qpos: same rotations, angles within the joint ranges */
    cm_kin_pose_to_qpos(&ch, root_pos, root_rot, dof, qpos2);
    for (int b = 1; b < ch.num_bodies; b++) {
      if (ch.joint_type[b] != CM_JOINT_SPHERE) continue;
      int a = ch.mj_qpos_adr[b], i = ch.dof_idx[b];
      float q1[4], q2[4];
      cm_kin_hinges_to_quat(ch.hinge_axis[b], qpos + a, q1);
      cm_kin_hinges_to_quat(ch.hinge_axis[b], qpos2 + a, q2);
      double e = quat_angle(q1, q2);
      if (e > max_hinge_rot) max_hinge_rot = e;
      for (int k = 0; k < 3; k++)
        out_of_range += qpos2[a + k] < ch.dof_low[i + k] - 1e-4f || qpos2[a + k] > ch.dof_high[i + k] + 1e-4f;
    }
    /* and back to the same dofs */
    cm_kin_qpos_to_pose(&ch, qpos2, root_pos, root_rot, dof2);
    for (int i = 0; i < ch.num_dofs; i++) {
      double e = fabs(dof2[i] - dof[i]);
      if (e > max_dof) max_dof = e;
    }
  }
  printf("%s: qpos->pose FK max |dpos| %.2e, pose->qpos->pose max |ddof| %.2e, hinge rotation error %.2e, "
         "out-of-range hinges %d\n", path, max_pos, max_dof, max_hinge_rot, out_of_range);
  CHECK(max_pos <= 1e-5);
  CHECK(max_rot <= 1e-5);
  CHECK(max_dof <= 1e-5);
  CHECK(max_hinge_rot <= 1e-5);
  CHECK(out_of_range == 0);
  mj_deleteData(d);
  mj_deleteModel(m);
}

/* dof -> joint rotations -> dof is the identity (exp-maps with angle < pi, hinges in (-pi, pi)). */
static void test_dof_rot_round_trip(void) {
  cm_err err = {0};
  CHECK_OK(cm_char_load(MINI, &ch, &err), &err);
  float rp[3], rr[4], dof[CM_MAX_DOFS], dof2[CM_MAX_DOFS], jrot[CM_MAX_BODIES * 4];
  double max_e = 0;
  for (int t = 0; t < 500; t++) {
    random_pose(rp, rr, dof);
    cm_kin_dof_to_rot(&ch, dof, jrot);
    cm_kin_rot_to_dof(&ch, jrot, dof2);
    for (int i = 0; i < ch.num_dofs; i++)
      if (fabs(dof[i] - dof2[i]) > max_e) max_e = fabs(dof[i] - dof2[i]);
  }
  CHECK(max_e < 2e-5);
  /* the fixed hand's joint rotation is the identity */
  int hand = cm_char_body_id(&ch, "hand");
  CHECK(jrot[4 * (hand - 1) + 3] == 1.f);
}

/* Random orthonormal axis triples: the three coordinate axes in every order, both handednesses,
 * and random rotations of them. */
static void random_axes(float axes[3][3], int t) {
  static const int perms[6][3] = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {2, 1, 0}, {1, 0, 2}};
  const int *p = perms[t % 6];
  for (int k = 0; k < 3; k++) cm_v3_set(axes[k], p[k] == 0, p[k] == 1, p[k] == 2);
  if (t % 4 == 3) cm_v3_scale(axes[2], axes[2], -1.f);
  if (t % 3 == 2) {
    float q[4];
    random_quat(q);
    for (int k = 0; k < 3; k++) cm_q_rotate(axes[k], q, axes[k]);
  }
}

static void test_euler_round_trips(void) {
  double max_rot = 0, max_ang = 0;
  for (int t = 0; t < 3000; t++) {
    float axes[3][3], q[4], ang[3], q2[4];
    random_axes(axes, t);
    random_quat(q);
    cm_kin_quat_to_hinges(axes, q, ang);
    CHECK(fabsf(ang[1]) <= CM_PI / 2 + 1e-6f);
    cm_kin_hinges_to_quat(axes, ang, q2);
    double e = quat_angle(q, q2);
    if (e > max_rot) max_rot = e;
    /* angles -> rotation -> angles, for angles away from the lock */
    float a0[3] = {uni(-3.1f, 3.1f), uni(-1.4f, 1.4f), uni(-3.1f, 3.1f)}, a1[3];
    cm_kin_hinges_to_quat(axes, a0, q);
    cm_kin_quat_to_hinges(axes, q, a1);
    for (int k = 0; k < 3; k++)
      if (fabs(a1[k] - a0[k]) > max_ang) max_ang = fabs(a1[k] - a0[k]);
    /* the other Euler triple, which the ranged decomposition finds when only it fits */
    float lo[3], hi[3], alt[3] = {cm_kin_wrap_angle(a0[0] + CM_PI), cm_kin_wrap_angle(CM_PI - a0[1]),
                                  cm_kin_wrap_angle(a0[2] + CM_PI)};
    for (int k = 0; k < 3; k++) { lo[k] = alt[k] - 0.05f; hi[k] = alt[k] + 0.05f; }
    cm_kin_quat_to_hinges_ranged(axes, q, lo, hi, a1);
    for (int k = 0; k < 3; k++) CHECK_NEAR(a1[k], alt[k], 1e-3);
    /* near a reference: a slightly moved copy of either triple (shifted by 2 pi) is found again */
    float ref[3], want[3];
    for (int k = 0; k < 3; k++) {
      want[k] = ((t & 1) ? alt[k] : a0[k]) + ((t & 6) == 2 && k == 0 ? 2.f * CM_PI : 0.f);
      ref[k] = want[k] + uni(-0.1f, 0.1f);
    }
    cm_kin_quat_to_hinges_near(axes, q, ref, a1);
    for (int k = 0; k < 3; k++) CHECK_NEAR(a1[k], want[k], 1e-3);
  }
  printf("Euler: random rotations max error %.2e rad, angle round trip max error %.2e rad\n", max_rot, max_ang);
  CHECK(max_rot < 1e-5);
  CHECK(max_ang < 5e-5);
  /* exactly at the gimbal lock the decomposition still reproduces the rotation */
  for (int t = 0; t < 200; t++) {
    float axes[3][3], q[4], q2[4], ang[3];
    random_axes(axes, t);
    float a0[3] = {uni(-3, 3), (t & 1) ? CM_PI / 2 : -CM_PI / 2, uni(-3, 3)};
    cm_kin_hinges_to_quat(axes, a0, q);
    cm_kin_quat_to_hinges(axes, q, ang);
    cm_kin_hinges_to_quat(axes, ang, q2);
    CHECK(quat_angle(q, q2) < 1e-5);
    CHECK(isfinite(ang[0]) && isfinite(ang[2]));
  }
  /* the hip case: 120 degrees of flexion about y alone must come back as (0, -120, 0), in range,
   * not as the principal (180, -60, 180) */
  float axes[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, q[4], ang[3];
  float lo[3] = {-60 * CM_PI / 180, -140 * CM_PI / 180, -60 * CM_PI / 180};
  float hi[3] = {30 * CM_PI / 180, 60 * CM_PI / 180, 60 * CM_PI / 180};
  cm_q_from_axis_angle(q, axes[1], -120 * CM_PI / 180);
  cm_kin_quat_to_hinges(axes, q, ang);
  CHECK_NEAR(fabsf(ang[0]), CM_PI, 1e-5);
  cm_kin_quat_to_hinges_ranged(axes, q, lo, hi, ang);
  CHECK_NEAR(ang[0], 0, 1e-5); CHECK_NEAR(ang[1], -120 * CM_PI / 180, 1e-5); CHECK_NEAR(ang[2], 0, 1e-5);
}

/* Double-precision oracle: R(a1,t1)R(a2,t2)R(a3,t3) with MuJoCo's own quaternion functions. */
static void hinges_quat_d(const float axes[3][3], const double *t, double *q) {
  double q1[4], q2[4], q3[4], ax[3][3];
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 3; j++) ax[k][j] = axes[k][j];
  mju_axisAngle2Quat(q1, ax[0], t[0]);
  mju_axisAngle2Quat(q2, ax[1], t[1]);
  mju_axisAngle2Quat(q3, ax[2], t[2]);
  mju_mulQuat(q, q1, q2);
  mju_mulQuat(q, q, q3);
}

/* Local angular velocity from hinge velocities vs the central difference of the rotation:
 * w = log(R(t - h dt)^T R(t + h dt)) / 2h, in double. Then the inverse map recovers dt. */
static void test_ang_vel_finite_diff(void) {
  double max_w = 0, max_inv = 0;
  const double h = 1e-5;
  for (int t = 0; t < 2000; t++) {
    float axes[3][3], ang[3], dang[3], w[3], back[3];
    random_axes(axes, t);
    cm_v3_set(ang, uni(-3, 3), uni(-1.3f, 1.3f), uni(-3, 3));
    cm_v3_set(dang, uni(-5, 5), uni(-5, 5), uni(-5, 5));
    double tp[3], tm[3], qp[4], qm[4], qmc[4], dq[4], wd[3];
    for (int k = 0; k < 3; k++) { tp[k] = ang[k] + h * dang[k]; tm[k] = ang[k] - h * dang[k]; }
    hinges_quat_d(axes, tp, qp);
    hinges_quat_d(axes, tm, qm);
    mju_negQuat(qmc, qm);
    mju_mulQuat(dq, qmc, qp);
    mju_quat2Vel(wd, dq, 2 * h);
    cm_kin_hinge_vel_to_ang_vel(axes, ang, dang, w);
    for (int k = 0; k < 3; k++)
      if (fabs(w[k] - wd[k]) > max_w) max_w = fabs(w[k] - wd[k]);
    cm_kin_ang_vel_to_hinge_vel(axes, ang, w, back);
    for (int k = 0; k < 3; k++)
      if (fabs(back[k] - dang[k]) > max_inv) max_inv = fabs(back[k] - dang[k]);
  }
  printf("hinge velocities -> angular velocity vs finite differences: max error %.2e; inverse max error %.2e\n",
         max_w, max_inv);
  CHECK(max_w < 5e-5);
  CHECK(max_inv < 1e-4);
  /* at the lock the inverse stays finite */
  float axes[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, ang[3] = {0.3f, CM_PI / 2, -0.2f}, w[3] = {1, 2, 3}, dt[3];
  cm_kin_ang_vel_to_hinge_vel(axes, ang, w, dt);
  for (int k = 0; k < 3; k++) CHECK(isfinite(dt[k]) && fabsf(dt[k]) < 1e5f);
}

/* MimicKit velocities -> qvel -> MuJoCo body angular velocities: the root's world angular
 * velocity and each spherical joint's local angular velocity (child minus parent, in the child
 * frame) must be what we put in. */
static void test_qvel_against_mujoco(void) {
  cm_err err = {0};
  mjModel *m = NULL;
  cm_mjcf_opts opts = {0};
  CHECK_OK(cm_char_load(MINI, &ch, &err), &err);
  CHECK_OK(cm_mjcf_compile(MINI, &opts, &m, NULL, &err), &err);
  if (!m) return;
  mjData *d = mj_makeData(m);
  double max_e = 0;
  for (int t = 0; t < 100; t++) {
    float rp[3], rr[4], dof[CM_MAX_DOFS], qpos[256], qvel[256], rv[3], rw[3], dv[CM_MAX_DOFS];
    float rv2[3], rw2[3], dv2[CM_MAX_DOFS];
    random_pose(rp, rr, dof);
    /* keep the joints away from the gimbal lock so the inverse map is exact */
    cm_kin_pose_to_qpos(&ch, rp, rr, dof, qpos);
    int locked = 0;
    for (int b = 1; b < ch.num_bodies; b++)
      if (ch.joint_type[b] == CM_JOINT_SPHERE) locked |= cosf(qpos[ch.mj_qpos_adr[b] + 1]) < 0.2f;
    if (locked) { t--; continue; }
    cm_v3_set(rv, uni(-2, 2), uni(-2, 2), uni(-2, 2));
    cm_v3_set(rw, uni(-4, 4), uni(-4, 4), uni(-4, 4));
    for (int i = 0; i < ch.num_dofs; i++) dv[i] = uni(-5, 5);
    cm_kin_vel_to_qvel(&ch, qpos, rv, rw, dv, qvel);
    for (int k = 0; k < m->nq; k++) d->qpos[k] = qpos[k];
    for (int k = 0; k < m->nv; k++) d->qvel[k] = qvel[k];
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_comVel(m, d);
    double vel[6];
    mj_objectVelocity(m, d, mjOBJ_BODY, ch.mj_body[0], vel, 0); /* world frame: [ang, lin at origin] */
    for (int k = 0; k < 3; k++) {
      max_e = fmax(max_e, fabs(vel[k] - rw[k]));
      max_e = fmax(max_e, fabs(vel[3 + k] - rv[k]));
    }
    for (int b = 1; b < ch.num_bodies; b++) {
      if (ch.joint_type[b] != CM_JOINT_SPHERE) continue;
      double vc[6], vp[6], dw[3], local[3];
      mj_objectVelocity(m, d, mjOBJ_BODY, ch.mj_body[b], vc, 0);
      mj_objectVelocity(m, d, mjOBJ_BODY, ch.mj_body[ch.parent[b]], vp, 0);
      for (int k = 0; k < 3; k++) dw[k] = vc[k] - vp[k];
      mju_rotVecMatT(local, dw, d->xmat + 9 * ch.mj_body[b]);
      for (int k = 0; k < 3; k++) max_e = fmax(max_e, fabs(local[k] - dv[ch.dof_idx[b] + k]));
    }
    /* and back */
    cm_kin_qvel_to_vel(&ch, qpos, qvel, rv2, rw2, dv2);
    for (int k = 0; k < 3; k++) { CHECK_NEAR(rv2[k], rv[k], 1e-5); CHECK_NEAR(rw2[k], rw[k], 1e-4); }
    for (int i = 0; i < ch.num_dofs; i++) CHECK_NEAR(dv2[i], dv[i], 1e-3);
  }
  printf("qvel vs MuJoCo body velocities: max error %.2e\n", max_e);
  CHECK(max_e < 2e-5);
  mj_deleteData(d);
  mj_deleteModel(m);
}

/* One analytic pose: the T-pose right hand sits at the sum of the offsets; bending the right
 * elbow by 90 degrees about z swings the hand from -y to +x. */
static void test_fk_analytic(void) {
  cm_err err = {0};
  CHECK_OK(cm_char_load(HUMANOID, &ch, &err), &err);
  float dof[CM_MAX_DOFS] = {0}, jrot[CM_MAX_BODIES * 4], bpos[CM_MAX_BODIES * 3], brot[CM_MAX_BODIES * 4];
  float rp[3] = {0, 0, 1}, rr[4] = {0, 0, 0, 1};
  int hand = cm_char_body_id(&ch, "right_hand"), elbow = cm_char_body_id(&ch, "right_lower_arm");
  cm_kin_dof_to_rot(&ch, dof, jrot);
  cm_kin_fk(&ch, rp, rr, jrot, bpos, brot);
  CHECK_NEAR(bpos[3 * hand + 0], -0.02405, 1e-6);
  CHECK_NEAR(bpos[3 * hand + 1], -0.18311 - 0.274788 - 0.258947, 1e-6);
  CHECK_NEAR(bpos[3 * hand + 2], 1 + 0.236151 + 0.24350, 1e-6);
  dof[ch.dof_idx[elbow]] = CM_PI / 2;
  cm_kin_dof_to_rot(&ch, dof, jrot);
  cm_kin_fk(&ch, rp, rr, jrot, bpos, brot);
  CHECK_NEAR(bpos[3 * hand + 0], -0.02405 + 0.258947, 1e-6);
  CHECK_NEAR(bpos[3 * hand + 1], -0.18311 - 0.274788, 1e-6);
}

int main(void) {
  mju_user_warning = NULL;
  rng = cm_rng_make(1234, 0, 0, 0);
  test_fk_analytic();
  test_fk_against_mujoco(HUMANOID, 300);
  test_fk_against_mujoco(MINI, 300);
  test_qpos_round_trip(HUMANOID);
  test_dof_rot_round_trip();
  test_euler_round_trips();
  test_ang_vel_finite_diff();
  test_qvel_against_mujoco();
  return check_report("test_kin");
}
