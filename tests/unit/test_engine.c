/* The mujoco engine against independent oracles: MuJoCo's own kinematics and our FK after
 * push_state, round trips of the state arrays, finite differences of the root rotation and body
 * positions, analytic PD / clamping behaviour on a one-hinge fixture, fixed roots, ground
 * contact flags, determinism across runs and thread counts, and switched-off motors. */
#include <mujoco/mujoco.h>
#include <stdlib.h>
#include <string.h>
#include "anim/char.h"
#include "anim/kin.h"
#include "check.h"
#include "core/rng.h"
#include "sim/engine.h"
#include "sim/mujoco/mj_engine.h"
#include "anim/mjcf.h"

#define HUMANOID "data/assets/humanoid/humanoid.xml"
#define HINGE "tests/data/engine/pd_hinge.xml"

static cm_char hum, hin; /* large: keep off the stack */

static cm_engine_cfg make_cfg(int control_freq, int sim_freq, int mode, int threads) {
  cm_engine_cfg c = {.engine_name = "mujoco", .control_mode = mode, .control_freq = control_freq,
                     .sim_freq = sim_freq, .env_spacing = 5, .ground_contact_height = 0.3f, .num_threads = threads};
  return c;
}

static cm_engine *make(const cm_char *c, const char *file, cm_engine_cfg cfg, cm_engine_opts opts, int n) {
  cm_engine *e = NULL;
  cm_err err = {0};
  CHECK_OK(cm_engine_create(&cfg, &opts, file, c, n, &e, &err), &err);
  return e;
}

static float urand(cm_rng *r, float lo, float hi) { return lo + (hi - lo) * cm_rng_uniform(r); }

/* A random pose and velocity for env i: hinges inside their range, exp-maps up to 1.5 rad. */
static void random_state(cm_engine *e, int i, uint64_t seed) {
  const cm_char *c = e->chr;
  cm_sim_state *s = &e->st;
  cm_rng r = cm_rng_make(seed, (uint32_t)i, 0, 3);
  float *rp = s->root_pos + 3 * i, *rr = s->root_rot + 4 * i;
  cm_v3_set(rp, urand(&r, -1, 1), urand(&r, -1, 1), urand(&r, 1.5f, 2.5f));
  float ax[3] = {urand(&r, -1, 1), urand(&r, -1, 1), urand(&r, -1, 1)};
  cm_exp_map_to_quat(rr, ax);
  for (int k = 0; k < 3; k++) {
    s->root_vel[3 * i + k] = urand(&r, -2, 2);
    s->root_ang_vel[3 * i + k] = urand(&r, -3, 3);
  }
  int nd = c->num_dofs;
  for (int b = 1; b < c->num_bodies; b++) {
    int d = c->dof_idx[b];
    if (c->joint_type[b] == CM_JOINT_HINGE) {
      s->dof_pos[nd * i + d] = urand(&r, c->dof_low[d], c->dof_high[d]);
    } else if (c->joint_type[b] == CM_JOINT_SPHERE) {
      float e3[3] = {urand(&r, -1, 1), urand(&r, -1, 1), urand(&r, -1, 1)};
      float n = cm_v3_norm(e3), ang = urand(&r, 0, 1.5f);
      for (int k = 0; k < 3; k++) s->dof_pos[nd * i + d + k] = e3[k] / n * ang;
    }
  }
  for (int k = 0; k < nd; k++) s->dof_vel[nd * i + k] = urand(&r, -2, 2);
}

static void test_errors(void) {
  cm_err err = {0};
  cm_engine *e = NULL;
  cm_engine_cfg cfg = make_cfg(30, 120, CM_CTRL_POS, 1);
  cm_engine_opts opts = {0};
  strcpy(cfg.engine_name, "physx");
  CHECK(cm_engine_create(&cfg, &opts, HUMANOID, &hum, 1, &e, &err) == -1 && !e);
  CHECK(!strcmp(err.msg, "unknown engine_name 'physx' (known: mujoco, cuda)"));
  cfg = make_cfg(30, 100, CM_CTRL_POS, 1);
  CHECK(cm_engine_create(&cfg, &opts, HUMANOID, &hum, 1, &e, &err) == -1 && !e);
  CHECK(strstr(err.msg, "sim_freq 100 is not a multiple of control_freq 30") != NULL);
  cfg = make_cfg(30, 120, CM_CTRL_VEL, 1);
  CHECK(cm_engine_create(&cfg, &opts, HUMANOID, &hum, 1, &e, &err) == -1 && !e);
  CHECK(strstr(err.msg, "'vel' is not supported") != NULL);
  cfg = make_cfg(30, 120, CM_CTRL_POS, 1);
  CHECK(cm_engine_create(&cfg, &opts, "tests/data/engine/missing.xml", &hum, 1, &e, &err) == -1 && !e);
  CHECK(strstr(err.msg, "missing.xml") != NULL);
  /* a character that does not belong to the file */
  CHECK(cm_engine_create(&cfg, &opts, HINGE, &hum, 1, &e, &err) == -1 && !e);
  CHECK(strstr(err.msg, "pelvis") != NULL);
  cfg = make_cfg(30, 120, CM_CTRL_POS, 1);
  e = make(&hum, HUMANOID, cfg, opts, 2);
  CHECK(e && e->sim_dt == 1.0 / 120 && e->control_dt == 1.0 / 30);
  CHECK(e && cm_mj_model(e)->opt.timestep == 1.0 / 120);
  cm_engine_destroy(e);
}

/* After push_state, bodies equal MuJoCo's kinematics of the same qpos (a separate model without
 * the scene) and our own FK; reading the state back returns what was pushed. */
static void test_push_state_oracles(void) {
  const int n = 3;
  cm_engine *e = make(&hum, HUMANOID, make_cfg(30, 120, CM_CTRL_POS, 2), (cm_engine_opts){0}, n);
  if (!e) return;
  cm_sim_state *s = &e->st;
  int nd = hum.num_dofs, nb = hum.num_bodies;
  for (int i = 0; i < n; i++) random_state(e, i, 11);
  size_t dsz = sizeof(float) * (size_t)n * nd;
  float *dof_pos = malloc(dsz), *dof_vel = malloc(dsz), root[n][13];
  memcpy(dof_pos, s->dof_pos, dsz);
  memcpy(dof_vel, s->dof_vel, dsz);
  for (int i = 0; i < n; i++) {
    memcpy(root[i], s->root_pos + 3 * i, 12);
    memcpy(root[i] + 3, s->root_rot + 4 * i, 16);
    memcpy(root[i] + 7, s->root_vel + 3 * i, 12);
    memcpy(root[i] + 10, s->root_ang_vel + 3 * i, 12);
  }
  e->ops->push_state(e, NULL, 0);

  mjModel *m2 = NULL;
  cm_err err = {0};
  cm_mjcf_opts mo = {0};
  CHECK_OK(cm_mjcf_compile(HUMANOID, &mo, &m2, NULL, &err), &err);
  if (!m2) return;
  mjData *d2 = mj_makeData(m2);
  float qpos[64], jrot[CM_MAX_BODIES * 4], fk_pos[CM_MAX_BODIES * 3], fk_rot[CM_MAX_BODIES * 4];
  double worst_mj = 0, worst_fk = 0, worst_dof = 0, worst_vel = 0, worst_root = 0;
  for (int i = 0; i < n; i++) {
    cm_kin_pose_to_qpos(&hum, root[i], root[i] + 3, dof_pos + nd * i, qpos);
    for (int k = 0; k < m2->nq; k++) d2->qpos[k] = qpos[k];
    mj_kinematics(m2, d2);
    cm_kin_dof_to_rot(&hum, dof_pos + nd * i, jrot);
    cm_kin_fk(&hum, root[i], root[i] + 3, jrot, fk_pos, fk_rot);
    for (int b = 0; b < nb; b++) {
      const float *bp = s->body_pos + 3 * (nb * i + b), *br = s->body_rot + 4 * (nb * i + b);
      int mb = hum.mj_body[b];
      const double *mq = d2->xquat + 4 * mb;
      float mjq[4] = {(float)mq[1], (float)mq[2], (float)mq[3], (float)mq[0]};
      float dot_mj = 0, dot_fk = 0;
      for (int k = 0; k < 4; k++) {
        dot_mj += br[k] * mjq[k];
        dot_fk += br[k] * fk_rot[4 * b + k];
      }
      worst_mj = fmax(worst_mj, 1 - fabsf(dot_mj));
      worst_fk = fmax(worst_fk, 1 - fabsf(dot_fk));
      for (int k = 0; k < 3; k++) {
        worst_mj = fmax(worst_mj, fabs(bp[k] - d2->xpos[3 * mb + k]));
        worst_fk = fmax(worst_fk, fabs(bp[k] - fk_pos[3 * b + k]));
      }
    }
    for (int k = 0; k < nd; k++) {
      worst_dof = fmax(worst_dof, fabs(s->dof_pos[nd * i + k] - dof_pos[nd * i + k]));
      worst_vel = fmax(worst_vel, fabs(s->dof_vel[nd * i + k] - dof_vel[nd * i + k]));
    }
    float back[13];
    memcpy(back, s->root_pos + 3 * i, 12);
    memcpy(back + 3, s->root_rot + 4 * i, 16);
    memcpy(back + 7, s->root_vel + 3 * i, 12);
    memcpy(back + 10, s->root_ang_vel + 3 * i, 12);
    float sign = back[3] * root[i][3] + back[4] * root[i][4] + back[5] * root[i][5] + back[6] * root[i][6] < 0 ? -1.f : 1.f;
    for (int k = 0; k < 13; k++) worst_root = fmax(worst_root, fabs(back[k] * (k >= 3 && k < 7 ? sign : 1.f) - root[i][k]));
  }
  CHECK(worst_mj < 1e-5);
  CHECK(worst_fk < 1e-5);
  CHECK(worst_dof < 1e-5);
  CHECK(worst_vel < 1e-4);
  CHECK(worst_root < 1e-5);
  printf("push_state: |body - mj_kinematics| %.2g, |body - FK| %.2g, dof pos %.2g, dof vel %.2g, root %.2g\n",
         worst_mj, worst_fk, worst_dof, worst_vel, worst_root);
  mj_deleteData(d2);
  mj_deleteModel(m2);
  free(dof_pos);
  free(dof_vel);
  cm_engine_destroy(e);
}

/* One substep per control step: the world angular velocity read back equals the finite
 * difference of the root rotation over the step, and body velocities (of the body frames'
 * origins) match finite differences of body positions. The body spins freely in the air. */
static void test_velocities_finite_differences(void) {
  cm_engine_opts opts = {.disable_motors = 1};
  cm_engine *e = make(&hum, HUMANOID, make_cfg(1200, 1200, CM_CTRL_POS, 1), opts, 1);
  if (!e) return;
  cm_sim_state *s = &e->st;
  random_state(e, 0, 5);
  for (int k = 0; k < hum.num_dofs; k++) s->dof_vel[k] *= 0.5f;
  e->ops->push_state(e, NULL, 0);
  int nb = hum.num_bodies;
  float q0[4], p0[CM_MAX_BODIES * 3];
  cm_q_copy(q0, s->root_rot);
  memcpy(p0, s->body_pos, sizeof(float) * 3 * nb);
  cm_err err = {0};
  CHECK_OK(e->ops->step(e, &err), &err);
  float dq[4], q0i[4], w[3];
  cm_q_conj(q0i, q0);
  cm_q_mul(dq, s->root_rot, q0i); /* world-frame increment */
  cm_quat_to_exp_map(w, dq);
  double h = e->sim_dt, worst = 0, local_diff = 0;
  const mjData *d = cm_mj_data(e, 0);
  for (int k = 0; k < 3; k++) {
    worst = fmax(worst, fabs(w[k] / h - s->root_ang_vel[k]));
    local_diff = fmax(local_diff, fabs(w[k] / h - d->qvel[3 + k]));
  }
  CHECK(worst < 2e-3 * cm_v3_norm(s->root_ang_vel) + 1e-3);
  CHECK(local_diff > 0.1); /* MuJoCo's body-frame value would not pass */
  double worst_lin = 0, spread = 0;
  for (int b = 0; b < nb; b++)
    for (int k = 0; k < 3; k++) {
      double fd = (s->body_pos[3 * b + k] - p0[3 * b + k]) / h;
      worst_lin = fmax(worst_lin, fabs(fd - s->body_vel[3 * b + k]));
      spread = fmax(spread, fabs(s->body_vel[3 * b + k] - s->root_vel[k]));
    }
  printf("finite differences: root ang vel %.2g, body vel %.2g (bodies differ from root by %.2g)\n", worst,
         worst_lin, spread);
  CHECK(worst_lin < 0.02);
  CHECK(spread > 0.5);
  cm_engine_destroy(e);
}

/* A single hinge about the vertical axis driven by PD from rest. */
static void test_pd_hinge(void) {
  cm_engine_opts opts = {.fix_root = 1};
  cm_err err = {0};
  CHECK(hin.num_dofs == 1);
  CHECK_NEAR(hin.kp[0], 50, 0);
  CHECK_NEAR(hin.kd[0], 5, 0);
  CHECK_NEAR(hin.torque_limit[0], 2, 0);
  /* clamping: kp * 2 rad = 100 N m, far above the 2 N m limit; one substep per control step */
  cm_engine *e = make(&hin, HINGE, make_cfg(120, 120, CM_CTRL_POS, 1), opts, 1);
  if (!e) return;
  mjData *d = cm_mj_data(e, 0);
  const mjModel *m = cm_mj_model(e);
  CHECK(m->nv == 1 && m->dof_damping[0] == 5 && m->jnt_stiffness[0] == 0);
  float tgt = 2.f;
  e->ops->set_targets(e, &tgt);
  double M = d->qM[0], h = e->sim_dt, kd = 5;
  CHECK_OK(e->ops->step(e, &err), &err);
  /* net torque = limit: (M + h kd) qvel1 = h * limit with implicit damping */
  CHECK_NEAR(d->qvel[0], h * 2.0 / (M + h * kd), 1e-9);
  CHECK_NEAR(d->qfrc_applied[0], 2.0, 1e-12);
  double v1 = d->qvel[0];
  CHECK_OK(e->ops->step(e, &err), &err);
  /* still saturated: applied force minus MuJoCo's damping force at that state is the limit */
  CHECK_NEAR(d->qfrc_applied[0] - kd * v1, 2.0, 1e-9);
  cm_engine_destroy(e);

  /* convergence with the yaml's rates */
  e = make(&hin, HINGE, make_cfg(30, 120, CM_CTRL_POS, 1), opts, 1);
  if (!e) return;
  d = cm_mj_data(e, 0);
  tgt = 0.5f;
  e->ops->set_targets(e, &tgt);
  for (int t = 0; t < 90; t++) CHECK_OK(e->ops->step(e, &err), &err);
  CHECK_NEAR(e->st.dof_pos[0], 0.5, 1e-4);
  CHECK_NEAR(e->st.dof_vel[0], 0, 1e-3);
  cm_engine_destroy(e);

  /* explicit damping integrates the same controller to the same target */
  e = make(&hin, HINGE, make_cfg(30, 240, CM_CTRL_POS, 1), opts, 1);
  if (!e) return;
  cm_mj_engine_set_implicit_damping(e, 0);
  CHECK(cm_mj_model(e)->dof_damping[0] == 0);
  tgt = -0.7f;
  e->ops->set_targets(e, &tgt);
  for (int t = 0; t < 90; t++) CHECK_OK(e->ops->step(e, &err), &err);
  CHECK_NEAR(e->st.dof_pos[0], -0.7, 1e-4);
  cm_engine_destroy(e);

  /* torque mode: commands are clamped to the limit; no damping added by the model */
  e = make(&hin, HINGE, make_cfg(120, 120, CM_CTRL_TORQUE, 1), opts, 1);
  if (!e) return;
  d = cm_mj_data(e, 0);
  CHECK(cm_mj_model(e)->dof_damping[0] == 0);
  float cmd = 1.5f;
  e->ops->set_targets(e, &cmd);
  CHECK_OK(e->ops->step(e, &err), &err);
  CHECK_NEAR(d->qfrc_applied[0], 1.5, 1e-7);
  CHECK_NEAR(d->qvel[0], h * 1.5 / d->qM[0], 1e-9);
  cmd = -9.f;
  e->ops->set_targets(e, &cmd);
  CHECK_OK(e->ops->step(e, &err), &err);
  CHECK_NEAR(d->qfrc_applied[0], -2.0, 1e-12);
  cm_engine_destroy(e);
}

/* Exp-map targets reach the joints: with gravity and contacts off and the root fixed, every joint
 * of the humanoid settles at its target, and the bodies at the FK of the target pose. */
static void test_pose_targets(void) {
  cm_engine_opts opts = {.fix_root = 1};
  cm_engine *e = make(&hum, HUMANOID, make_cfg(30, 120, CM_CTRL_POS, 1), opts, 1);
  if (!e) return;
  /* test only: no sag under gravity, no self-collision between the legs */
  ((mjModel *)cm_mj_model(e))->opt.gravity[2] = 0;
  ((mjModel *)cm_mj_model(e))->opt.disableflags |= mjDSBL_CONTACT;
  cm_err err = {0};
  e->st.root_pos[2] = 1.5f;
  e->ops->push_state(e, NULL, 0);
  float tgt[CM_MAX_DOFS] = {0};
  cm_rng r = cm_rng_make(21, 0, 0, 0);
  for (int b = 1; b < hum.num_bodies; b++) {
    int d = hum.dof_idx[b];
    if (hum.joint_type[b] == CM_JOINT_HINGE) {
      tgt[d] = fminf(fmaxf(urand(&r, -0.4f, 0.4f), hum.dof_low[d] + 0.05f), hum.dof_high[d] - 0.05f);
    } else if (hum.joint_type[b] == CM_JOINT_SPHERE) {
      for (int k = 0; k < 3; k++) tgt[d + k] = urand(&r, -0.25f, 0.25f);
    }
  }
  e->ops->set_targets(e, tgt);
  for (int t = 0; t < 60; t++) CHECK_OK(e->ops->step(e, &err), &err);
  double worst = 0, worst_body = 0;
  for (int k = 0; k < hum.num_dofs; k++) worst = fmax(worst, fabs(e->st.dof_pos[k] - tgt[k]));
  float jrot[CM_MAX_BODIES * 4] = {0}, bp[CM_MAX_BODIES * 3], br[CM_MAX_BODIES * 4];
  cm_kin_dof_to_rot(&hum, tgt, jrot);
  cm_kin_fk(&hum, e->st.root_pos, e->st.root_rot, jrot, bp, br);
  for (int k = 0; k < 3 * hum.num_bodies; k++) worst_body = fmax(worst_body, fabs(bp[k] - e->st.body_pos[k]));
  printf("pose targets: worst dof error %.2g rad, worst body position error %.2g m\n", worst, worst_body);
  CHECK(worst < 2e-3);
  CHECK(worst_body < 2e-3);
  cm_engine_destroy(e);
}

static void random_targets(const cm_char *c, float *tgt, int n, int t) {
  for (int i = 0; i < n; i++) {
    cm_rng r = cm_rng_make(3, (uint32_t)i, (uint64_t)t, 1);
    for (int k = 0; k < c->num_dofs; k++) tgt[i * c->num_dofs + k] = urand(&r, c->action_low[k], c->action_high[k]);
  }
}

/* fix_root: each env's root stays exactly where push_state put it (MimicKit's dof_test places
 * it at init_pose 0 0 1.2) while the joints move. */
static void test_fix_root(void) {
  cm_engine_opts opts = {.fix_root = 1};
  cm_engine *e = make(&hum, HUMANOID, make_cfg(30, 120, CM_CTRL_POS, 2), opts, 2);
  if (!e) return;
  cm_err err = {0};
  float tgt[2 * CM_MAX_DOFS];
  float p0[6] = {0, 0, 1.2f, 3, -1, 1.5f}, r0[8] = {0, 0, 0, 1}, e1[3] = {0.3f, -0.2f, 1.0f};
  cm_exp_map_to_quat(r0 + 4, e1);
  memcpy(e->st.root_pos, p0, sizeof p0);
  memcpy(e->st.root_rot, r0, sizeof r0);
  e->ops->push_state(e, NULL, 0);
  double moved = 0;
  for (int t = 0; t < 30; t++) {
    random_targets(&hum, tgt, 2, t);
    e->ops->set_targets(e, tgt);
    CHECK_OK(e->ops->step(e, &err), &err);
  }
  int nb = hum.num_bodies;
  for (int k = 0; k < 6; k++) {
    CHECK_NEAR(e->st.root_pos[k], p0[k], 1e-6);
    CHECK(e->st.root_vel[k] == 0 && e->st.root_ang_vel[k] == 0);
    CHECK_NEAR(e->st.body_pos[3 * nb * (k / 3) + k % 3], p0[k], 1e-6);
  }
  for (int k = 0; k < 8; k++) CHECK_NEAR(e->st.root_rot[k], r0[k], 1e-6);
  for (int k = 0; k < 3; k++) CHECK_NEAR(e->st.body_vel[k], 0, 1e-9);
  for (int k = 0; k < hum.num_dofs; k++) moved = fmax(moved, fabs(e->st.dof_pos[k]));
  CHECK(moved > 0.3); /* the joints did move */
  CHECK(cm_mj_model(e)->nq == hum.num_dofs);
  cm_engine_destroy(e);
}

/* T-pose with the soles 9 mm above the ground, zero targets: after 0.5 s the feet rest on the
 * ground and nothing else touches it. */
static void test_ground_contact(void) {
  cm_engine *e = make(&hum, HUMANOID, make_cfg(30, 120, CM_CTRL_POS, 1), (cm_engine_opts){0}, 1);
  if (!e) return;
  cm_err err = {0};
  e->st.root_pos[2] = 0.89f; /* sole = pelvis - 0.4215 - 0.4099 - 0.05 */
  e->ops->push_state(e, NULL, 0);
  int lf = cm_char_body_id(&hum, "left_foot"), rf = cm_char_body_id(&hum, "right_foot"),
      head = cm_char_body_id(&hum, "head");
  CHECK(!e->st.ground_contact[lf] && !e->st.ground_contact[rf]);
  float tgt[CM_MAX_DOFS] = {0};
  e->ops->set_targets(e, tgt);
  for (int t = 0; t < 15; t++) CHECK_OK(e->ops->step(e, &err), &err);
  CHECK(e->st.root_pos[2] > 0.8f); /* still standing */
  CHECK(e->st.ground_contact[lf] && e->st.ground_contact[rf]);
  int others = 0;
  for (int b = 0; b < hum.num_bodies; b++) others += b != lf && b != rf && e->st.ground_contact[b];
  CHECK(others == 0 && !e->st.ground_contact[head]);
  CHECK(e->st.body_pos[3 * lf + 2] < 0.06f); /* independent: the foot really is at the ground */
  /* lifting the character by push_state clears the flags at once */
  e->st.root_pos[2] = 2.f;
  e->ops->push_state(e, NULL, 0);
  CHECK(!e->st.ground_contact[lf] && !e->st.ground_contact[rf]);
  cm_engine_destroy(e);
}

/* Runs 4 envs for 1 s of random targets with a reset of envs 1 and 3 half way; returns the
 * concatenated state arrays (caller frees). */
static float *run_for_determinism(int threads, size_t *len) {
  const int n = 4;
  cm_engine *e = make(&hum, HUMANOID, make_cfg(30, 120, CM_CTRL_POS, threads), (cm_engine_opts){0}, n);
  if (!e) return NULL;
  cm_err err = {0};
  for (int i = 0; i < n; i++) {
    random_state(e, i, 9);
    e->st.root_pos[3 * i + 2] = 1.0f;
  }
  e->ops->push_state(e, NULL, 0);
  float tgt[4 * CM_MAX_DOFS];
  for (int t = 0; t < 30; t++) {
    if (t == 15) {
      int ids[2] = {1, 3};
      random_state(e, 1, 10);
      random_state(e, 3, 10);
      e->ops->push_state(e, ids, 2);
    }
    random_targets(&hum, tgt, n, t);
    e->ops->set_targets(e, tgt);
    CHECK_OK(e->ops->step(e, &err), &err);
  }
  int nd = hum.num_dofs, nb = hum.num_bodies;
  *len = (size_t)n * (3 + 4 + 3 + 3 + 2 * nd + nb * 13);
  float *out = malloc(sizeof(float) * *len), *o = out;
  const cm_sim_state *s = &e->st;
#define PUT(arr, cnt) do { memcpy(o, arr, sizeof(float) * (size_t)(cnt)); o += (cnt); } while (0)
  PUT(s->root_pos, 3 * n); PUT(s->root_rot, 4 * n); PUT(s->root_vel, 3 * n); PUT(s->root_ang_vel, 3 * n);
  PUT(s->dof_pos, nd * n); PUT(s->dof_vel, nd * n);
  PUT(s->body_pos, 3 * nb * n); PUT(s->body_rot, 4 * nb * n); PUT(s->body_vel, 3 * nb * n);
  PUT(s->body_ang_vel, 3 * nb * n);
#undef PUT
  cm_engine_destroy(e);
  return out;
}

static void test_determinism(void) {
  size_t l1, l2, l3;
  float *a = run_for_determinism(2, &l1), *b = run_for_determinism(2, &l2), *c = run_for_determinism(1, &l3);
  CHECK(a && b && c && l1 == l2 && l1 == l3);
  if (a && b && c) {
    CHECK(!memcmp(a, b, sizeof(float) * l1));
    CHECK(!memcmp(a, c, sizeof(float) * l1));
    double moved = 0;
    for (size_t k = 0; k < 12; k++) moved = fmax(moved, fabs(a[k]));
    CHECK(moved > 0); /* the comparison covers real data */
  }
  free(a);
  free(b);
  free(c);
}

/* disable_motors: no actuation at all, whatever the targets; the limp body falls exactly as
 * with control_mode none. */
static void test_disable_motors(void) {
  cm_engine_opts off = {.disable_motors = 1};
  cm_engine *e = make(&hum, HUMANOID, make_cfg(30, 120, CM_CTRL_POS, 1), off, 1);
  cm_engine *ref = make(&hum, HUMANOID, make_cfg(30, 120, CM_CTRL_NONE, 1), (cm_engine_opts){0}, 1);
  if (!e || !ref) return;
  cm_err err = {0};
  for (cm_engine *x = e; x; x = x == e ? ref : NULL) {
    random_state(x, 0, 4);
    x->ops->push_state(x, NULL, 0);
  }
  float tgt[CM_MAX_DOFS];
  const mjModel *m = cm_mj_model(e);
  for (int v = 0; v < m->nv; v++) CHECK(m->dof_damping[v] == 0 && m->jnt_stiffness[m->dof_jntid[v]] == 0);
  double worst = 0;
  for (int t = 0; t < 10; t++) {
    random_targets(&hum, tgt, 1, t);
    e->ops->set_targets(e, tgt);
    ref->ops->set_targets(ref, tgt);
    CHECK_OK(e->ops->step(e, &err), &err);
    CHECK_OK(ref->ops->step(ref, &err), &err);
    const mjData *d = cm_mj_data(e, 0);
    for (int v = 0; v < m->nv; v++) worst = fmax(worst, fabs(d->qfrc_applied[v]) + fabs(d->qfrc_actuator[v]));
  }
  CHECK(worst == 0);
  CHECK(!memcmp(e->st.dof_pos, ref->st.dof_pos, sizeof(float) * hum.num_dofs));
  CHECK(!memcmp(e->st.body_pos, ref->st.body_pos, sizeof(float) * 3 * hum.num_bodies));
  cm_engine_destroy(e);
  cm_engine_destroy(ref);
}

static void quiet(const char *msg) { (void)msg; }

int main(void) {
  mju_user_warning = quiet;
  cm_err err = {0};
  CHECK_OK(cm_char_load(HUMANOID, &hum, &err), &err);
  CHECK_OK(cm_char_load(HINGE, &hin, &err), &err);
  test_errors();
  test_push_state_oracles();
  test_velocities_finite_differences();
  test_pd_hinge();
  test_fix_root();
  test_pose_targets();
  test_ground_contact();
  test_determinism();
  test_disable_motors();
  return check_report("test_engine");
}
