/* The cuda engine's smooth dynamics against MuJoCo as the oracle, at random states of the
 * humanoid and of a tiny inline 2-body hinge model: body poses (mj_kinematics), the mass matrix
 * (mj_fullM), bias forces (qfrc_bias), qacc_smooth, and one Euler step with implicit damping
 * (mj_step with constraints disabled). Then free fall and a pendulum against analytic values. */
#include <math.h>
#include <mujoco/mujoco.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "mj_xml.h"
#include "phys_one_env.h"
#include "core/fileio.h"
#include "sim/cuda/phys_step.h"
#include "anim/mjcf.h"

static const char k_two_body[] =
    "<mujoco><option gravity='0.3 -0.5 -9.81'/><worldbody>"
    "<body pos='0.1 0.2 1' quat='0.9 0.1 0.3 0.2'><joint type='hinge' axis='0 1 0' pos='0 0 0.1' damping='2' armature='0.05'/>"
    "<geom type='capsule' fromto='0 0 0 0.3 0 0' size='0.05'/>"
    "<body pos='0.3 0 0'><joint type='hinge' axis='1 0.5 0' pos='0.02 0 0' damping='1'/>"
    "<geom type='box' pos='0.1 0.02 0' size='0.1 0.05 0.03' quat='0.8 0.6 0 0'/></body></body>"
    "</worldbody></mujoco>";

static double uniform(unsigned *s) { *s = *s * 1664525u + 1013904223u; return (*s >> 8) / 16777216.0; }

static void random_state(const mjModel *m, mjData *md, unsigned *seed) {
  for (int j = 0; j < m->njnt; j++) {
    int qa = m->jnt_qposadr[j];
    if (m->jnt_type[j] == mjJNT_FREE) {
      for (int k = 0; k < 3; k++) md->qpos[qa + k] = 2 * uniform(seed) - 1;
      double q[4], n = 0;
      for (int k = 0; k < 4; k++) { q[k] = 2 * uniform(seed) - 1; n += q[k] * q[k]; }
      for (int k = 0; k < 4; k++) md->qpos[qa + 3 + k] = q[k] / sqrt(n);
    } else {
      md->qpos[qa] = 2.4 * uniform(seed) - 1.2;
    }
  }
  for (int v = 0; v < m->nv; v++) md->qvel[v] = 4 * uniform(seed) - 2;
}

static double max_abs(const double *a, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s = fmax(s, fabs(a[i]));
  return s;
}

/* FK, qM, bias, qacc_smooth and one Euler step at `trials` random states */
static void compare_smooth(const char *name, mjModel *m, int trials) {
  one_env o;
  CHECK(one_env_make(m, 0, &o) == 0);
  mjData *md = mj_makeData(m);
  int nv = m->nv;
  double *M = calloc((size_t)nv * nv, sizeof(double));
  double worst_pos = 0, worst_quat = 0, worst_M = 0, worst_bias = 0, worst_acc = 0, worst_step = 0;
  unsigned seed = 12345;
  for (int t = 0; t < trials; t++) {
    random_state(m, md, &seed);
    for (int k = 0; k < m->nq; k++) o.d.qpos[k] = (float)md->qpos[k];
    for (int k = 0; k < nv; k++) o.d.qvel[k] = (float)md->qvel[k];
    for (int k = 0; k < nv; k++) o.d.qfrc_applied[k] = 0.f;
    mj_forward(m, md);
    cm_phys_forward(&o.pm, &o.d);
    for (int b = 0; b < m->nbody; b++) {
      for (int k = 0; k < 3; k++) worst_pos = fmax(worst_pos, fabs(o.d.xpos[3 * b + k] - md->xpos[3 * b + k]));
      double dot = 0;
      for (int k = 0; k < 4; k++) dot += o.d.xquat[4 * b + k] * md->xquat[4 * b + k];
      double sgn = dot < 0 ? -1 : 1;
      for (int k = 0; k < 4; k++) worst_quat = fmax(worst_quat, fabs(sgn * o.d.xquat[4 * b + k] - md->xquat[4 * b + k]));
    }
    mj_fullM(m, M, md->qM);
    double Mmax = max_abs(M, nv * nv), bmax = max_abs(md->qfrc_bias, nv), amax = max_abs(md->qacc_smooth, nv);
    for (int k = 0; k < nv * nv; k++) worst_M = fmax(worst_M, fabs(o.d.qM[k] - M[k]) / Mmax);
    for (int k = 0; k < nv; k++) worst_bias = fmax(worst_bias, fabs(o.d.qfrc_bias[k] - md->qfrc_bias[k]) / bmax);
    /* qacc_smooth and the Euler step need the control stage (none) and the solver (disabled) */
    cm_phys_control(cm_lanes_one(), &o.pm, &o.d);
    cm_phys_fwd_acceleration(cm_lanes_one(), &o.pm, &o.d);
    for (int k = 0; k < nv; k++) worst_acc = fmax(worst_acc, fabs(o.d.qacc_smooth[k] - md->qacc_smooth[k]) / amax);
    cm_phys_fwd_constraint(cm_lanes_one(), &o.pm, &o.d);
    cm_phys_euler(cm_lanes_one(), &o.pm, &o.d);
    mj_step(m, md);
    double vmax = max_abs(md->qvel, nv);
    for (int k = 0; k < nv; k++) worst_step = fmax(worst_step, fabs(o.d.qvel[k] - md->qvel[k]) / vmax);
  }
  printf("%s (%d states): xpos %.2e m, xquat %.2e, qM %.2e, qfrc_bias %.2e, qacc_smooth %.2e, Euler qvel %.2e (relative)\n",
         name, trials, worst_pos, worst_quat, worst_M, worst_bias, worst_acc, worst_step);
  CHECK(worst_pos <= 1e-5);
  CHECK(worst_quat <= 1e-5);
  CHECK(worst_M <= 1e-4);
  CHECK(worst_bias <= 1e-4);
  CHECK(worst_acc <= 1e-3); /* M^-1 amplifies float rounding by its condition number */
#ifdef CM_TEST_M_BOUND /* the mass-matrix path in double: the humanoid's qM cancellation gone
                          (phys_real.h; the two-body model has no such cancellation) */
  if (!strcmp(name, "humanoid")) CHECK(worst_acc <= CM_TEST_M_BOUND);
#endif
  CHECK(worst_step <= 1e-3);
  free(M);
  free(o.block);
  mj_deleteData(md);
}

static void test_humanoid(void) {
  mjModel *m = NULL;
  cm_err err;
  cm_mjcf_opts mo = {.add_scene = 1};
  CHECK_OK(cm_mjcf_compile("data/assets/humanoid/humanoid.xml", &mo, &m, NULL, &err), &err);
  if (!m) return;
  /* the engine's setting: stiffness off, PD kd as implicit dof damping; no constraints here */
  for (int j = 0; j < m->njnt; j++) m->jnt_stiffness[j] = 0;
  m->opt.timestep = 1.0 / 120;
  m->opt.disableflags |= mjDSBL_CONSTRAINT;
  compare_smooth("humanoid", m, 20);
  mj_deleteModel(m);
}

static void test_two_body(void) {
  mjModel *m = mj_xml_load(k_two_body);
  CHECK(m != NULL);
  if (!m) return;
  m->opt.timestep = 0.01;
  compare_smooth("two-body hinge", m, 50);
  mj_deleteModel(m);
}

/* A free sphere falling for 1 s: semi-implicit Euler's exact discrete solution
 * v_n = -g n h, z_n = z0 - g h^2 n (n + 1) / 2, and within g h t of the continuous one. */
static void test_free_fall(void) {
  mjModel *m = mj_xml_load("<mujoco><option timestep='0.008333333333'/><worldbody><body pos='0 0 10'><freejoint/>"
                           "<geom type='sphere' size='0.1'/></body></worldbody></mujoco>");
  CHECK(m != NULL);
  if (!m) return;
  one_env o;
  CHECK(one_env_make(m, 0, &o) == 0);
  for (int k = 0; k < m->nq; k++) o.d.qpos[k] = (float)m->qpos0[k];
  o.d.qvel[0] = 1.f; /* and a sideways push: x = t */
  cm_phys_forward(&o.pm, &o.d);
  int n = 120;
  double h = m->opt.timestep, g = 9.81;
  cm_phys_step_env(&o.pm, &o.d, n);
  double z_discrete = 10 - g * h * h * n * (n + 1) / 2, t = n * h;
  printf("free fall 1 s: z %.6f (discrete %.6f, continuous %.6f), vz %.5f, x %.5f\n", o.d.qpos[2], z_discrete,
         10 - 0.5 * g * t * t, o.d.qvel[2], o.d.qpos[0]);
  CHECK_NEAR(o.d.qpos[2], z_discrete, 1e-4);
  CHECK_NEAR(o.d.qvel[2], -g * t, 1e-4);
  CHECK_NEAR(o.d.qpos[2], 10 - 0.5 * g * t * t, g * h * t);
  CHECK_NEAR(o.d.qpos[0], t, 1e-5);
  CHECK_NEAR(o.d.xpos[3 * 1 + 2], o.d.qpos[2], 1e-6);
  free(o.block);
  mj_deleteModel(m);
}

/* A compound pendulum (rod of point-like sphere at L below the hinge) swinging at 0.05 rad:
 * period 2 pi sqrt(I / (m g L)) (1 + theta0^2 / 16), I = m L^2 + 2/5 m r^2. */
static void test_pendulum(void) {
  mjModel *m = mj_xml_load("<mujoco><option timestep='0.0005'/><worldbody><body pos='0 0 2'>"
                           "<joint type='hinge' axis='0 1 0'/><geom type='sphere' pos='0 0 -0.8' size='0.05' mass='2'/>"
                           "</body></worldbody></mujoco>");
  CHECK(m != NULL);
  if (!m) return;
  one_env o;
  CHECK(one_env_make(m, 0, &o) == 0);
  double th0 = 0.05, L = 0.8, r = 0.05, g = 9.81;
  o.d.qpos[0] = (float)th0;
  cm_phys_forward(&o.pm, &o.d);
  double I = L * L + 0.4 * r * r, T = 2 * M_PI * sqrt(I / (g * L)) * (1 + th0 * th0 / 16);
  /* time of the downward zero crossings: the 1st is at T/4, then every T/2 */
  double h = m->opt.timestep, prev = th0, first = -1, last = -1;
  int crossings = 0;
  for (int s = 1; s <= (int)(3.2 * T / h); s++) {
    cm_phys_substep(cm_lanes_one(), &o.pm, &o.d);
    double q = o.d.qpos[0];
    if ((prev > 0) != (q > 0)) {
      double tc = h * (s - 1 + prev / (prev - q));
      if (first < 0) first = tc;
      last = tc;
      crossings++;
    }
    prev = q;
  }
  double measured = crossings > 1 ? 2 * (last - first) / (crossings - 1) : 0;
  printf("pendulum: period %.5f s (analytic %.5f), %d crossings, first at %.5f (T/4 = %.5f)\n", measured, T, crossings,
         first, T / 4);
  CHECK(crossings >= 6);
  CHECK_NEAR(measured, T, 2e-3 * T);
  CHECK_NEAR(first, T / 4, 5e-3 * T);
  free(o.block);
  mj_deleteModel(m);
}

/* The layout: state slabs of N envs first and contiguous, then per-env work (double fields two
 * float slots each, double-aligned, under -DCM_PHYS_M_DOUBLE); a view with the
 * work in a caller's buffer (as a GPU kernel may keep it) steps bit-identically. */
static void test_layout(void) {
  mjModel *m = mj_xml_load(k_two_body);
  CHECK(m != NULL);
  if (!m) return;
  cm_phys_model pm;
  cm_err err;
  CHECK_OK(cm_phys_model_compile(m, "test", &pm, &err), &err);
  cm_phys_layout L;
  int n = 3;
  cm_phys_layout_make(&pm, n, &L);
  CHECK(L.off[CM_PHYS_F_qpos] == 0 && L.off[CM_PHYS_F_qvel] == (long)n * pm.nq);
  /* the work starts aligned for cm_preal_m (a double boundary when the mass-matrix path is double) */
  CHECK(L.work_off >= L.state_total && L.work_off < L.state_total + CM_PHYS_ALIGN && L.work_off % CM_PHYS_ALIGN == 0 &&
        L.work_stride % CM_PHYS_ALIGN == 0);
  CHECK(L.total == L.work_off + n * L.work_stride);
  CHECK(L.off[CM_PHYS_F_crb] % CM_PHYS_ALIGN == 0 && L.size[CM_PHYS_F_crb] == CM_PHYS_SLOTS(cm_preal_m) * 10 * pm.nbody);
  CHECK(!strcmp(cm_phys_field_name(CM_PHYS_F_qM), "qM") && CM_PHYS_F_nbad < CM_PHYS_NSTATE && CM_PHYS_F_xpos >= CM_PHYS_NSTATE);
  float *block = calloc((size_t)L.total, 4), *work = calloc((size_t)L.work_stride, 4);
  cm_phys_data a, b;
  cm_phys_data_at(&L, block, 0, &a);
  cm_phys_data_at_work(&L, block, 2, work, &b);
  a.qpos[0] = b.qpos[0] = 0.3f;
  a.qvel[1] = b.qvel[1] = -1.f;
  cm_phys_forward(&pm, &a);
  cm_phys_forward(&pm, &b);
  cm_phys_step_env(&pm, &a, 50);
  cm_phys_step_env(&pm, &b, 50);
  CHECK(!memcmp(a.qpos, b.qpos, sizeof(float) * pm.nq) && !memcmp(a.xpos, b.xpos, sizeof(float) * 3 * pm.nbody));
  CHECK(a.qpos[0] != 0.3f);
  /* field-by-field comparison: the external-work env equals env 0 once copied into the block */
  cm_phys_diff df;
  float *copy = malloc(sizeof(float) * (size_t)L.total);
  memcpy(copy, block, sizeof(float) * (size_t)L.total);
  CHECK(cm_phys_block_diff(&L, &pm, block, copy, 0, 0, 1, &df) == 0);
  copy[L.off[CM_PHYS_F_qvel] + 1 * pm.nv + 1] += 1e-3f; /* env 1, dof 1 */
  CHECK(cm_phys_block_diff(&L, &pm, block, copy, 1e-6, 1e-6, 0, &df) == 1);
  CHECK(df.field == CM_PHYS_F_qvel && df.env == 1 && df.index == 1);
  printf("block diff names %s env %d [%ld]: %g vs %g\n", cm_phys_field_name(df.field), df.env, df.index, df.a, df.b);
  CHECK(cm_phys_block_diff(&L, &pm, block, copy, 2e-3, 0, 0, &df) == 0); /* inside the tolerance */
  free(copy);
  /* env 1 was never touched */
  cm_phys_data c;
  cm_phys_data_at(&L, block, 1, &c);
  CHECK(c.qpos[0] == 0.f && c.xpos[3] == 0.f);
  free(block);
  free(work);
  mj_deleteModel(m);
}

int main(void) {
  test_layout();
  test_two_body();
  test_humanoid();
  test_free_fall();
  test_pendulum();
#ifdef CM_TEST_NAME
  return check_report(CM_TEST_NAME);
#else
  return check_report("test_phys_smooth");
#endif
}
