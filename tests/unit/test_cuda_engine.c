/* The "cuda" engine (CPU path) against the "mujoco" engine as the oracle, through the engine
 * interface: state round trips and derived body state at random states; the humanoid holding
 * a fixed PD target on the ground for 1 s (body positions within 2 cm of MuJoCo's); a 30
 * control-step random-action rollout whose divergence from MuJoCo stays within 3x MuJoCo's own
 * divergence under a 1e-6 start perturbation (plus a 1 mm floor, float32 against float64); a
 * welded root; an env made non-finite is reset and counted without touching the others; and
 * models the engine cannot simulate are refused with the file, element and feature named. */
#include <math.h>
#include <mujoco/mujoco.h>
#include <stdlib.h>
#include <string.h>
#include "anim/char.h"
#include "check.h"
#include "core/fileio.h"
#include "core/rng.h"
#include "sim/cuda/cuda_engine.h"
#include "sim/engine.h"
#include "anim/mjcf.h"
#include "sim/mujoco/mj_standing.h"

#define HUMANOID "data/assets/humanoid/humanoid.xml"
/* test_cuda_engine_f64.c includes this file with CM_PHYS_DOUBLE: the same checks on the engine
 * built in double, and a wider rollout, to separate the algorithm's error from float's */
#ifndef CM_ROLLOUT_ENVS
#define CM_ROLLOUT_ENVS 4
#define CM_TEST_NAME "test_cuda_engine"
#endif

static cm_char hum;

static cm_engine *make_file(const char *name, const char *file, const cm_char *chr, int mode, cm_engine_opts opts, int n) {
  cm_engine_cfg c = {.control_mode = mode, .control_freq = 30, .sim_freq = 120, .env_spacing = 5,
                     .ground_contact_height = 0.3f, .num_threads = 1};
  snprintf(c.engine_name, sizeof c.engine_name, "%s", name);
  cm_engine *e = NULL;
  cm_err err = {0};
#ifdef CM_PHYS_DOUBLE
  if (!strcmp(name, "cuda")) {
    CHECK_OK(cm_cuda_engine_create(&c, &opts, file, chr, n, &e, &err), &err);
    return e;
  }
#endif
  CHECK_OK(cm_engine_create(&c, &opts, file, chr, n, &e, &err), &err);
  return e;
}

static cm_engine *make(const char *name, int mode, cm_engine_opts opts, int n) {
  return make_file(name, HUMANOID, &hum, mode, opts, n);
}

static float urand(cm_rng *r, float lo, float hi) { return lo + (hi - lo) * cm_rng_uniform(r); }

/* env i of both engines gets the same state: root at (0, 0, z), upright, rotated about z by
 * yaw, dofs scaled random (scale 0: the T-pose), velocities scaled by vscale */
static void set_state(cm_engine *e, int i, uint64_t seed, float z, float scale, float vscale) {
  const cm_char *c = e->chr;
  cm_sim_state *s = &e->st;
  cm_rng r = cm_rng_make(seed, (uint32_t)i, 0, 5);
  float yaw = urand(&r, -3, 3);
  cm_v3_set(s->root_pos + 3 * i, 0, 0, z);
  float ax[3] = {0, 0, yaw};
  cm_exp_map_to_quat(s->root_rot + 4 * i, ax);
  for (int k = 0; k < 3; k++) {
    s->root_vel[3 * i + k] = vscale * urand(&r, -1, 1);
    s->root_ang_vel[3 * i + k] = vscale * urand(&r, -1, 1);
  }
  int nd = c->num_dofs;
  for (int k = 0; k < nd; k++) {
    float mid = 0.5f * (c->dof_low[k] + c->dof_high[k]), half = 0.5f * (c->dof_high[k] - c->dof_low[k]);
    float v = mid + half * urand(&r, -1, 1);
    if (c->joint_type[0] == CM_JOINT_ROOT && v > 1.2f) v = 1.2f;
    if (v < -1.2f) v = -1.2f;
    s->dof_pos[nd * i + k] = scale * v;
    s->dof_vel[nd * i + k] = vscale * urand(&r, -2, 2);
  }
}

static double body_pos_err(const cm_engine *a, const cm_engine *b, int i) {
  int nb = a->st.num_bodies;
  double w = 0;
  for (int k = 0; k < 3 * nb; k++) w = fmax(w, fabs(a->st.body_pos[3 * nb * i + k] - b->st.body_pos[3 * nb * i + k]));
  return w;
}

/* push_state then read-back at random airborne states: every state array as MuJoCo's */
static void test_push_state(void) {
  int n = 6;
  cm_engine *mj = make("mujoco", CM_CTRL_POS, (cm_engine_opts){0}, n), *cu = make("cuda", CM_CTRL_POS, (cm_engine_opts){0}, n);
  if (!mj || !cu) return;
  for (int i = 0; i < n; i++) {
    set_state(mj, i, 7, 2.0f, 1.f, 1.f);
    set_state(cu, i, 7, 2.0f, 1.f, 1.f);
  }
  mj->ops->push_state(mj, NULL, n);
  cu->ops->push_state(cu, NULL, n);
  const cm_sim_state *a = &mj->st, *b = &cu->st;
  int nb = a->num_bodies, nd = a->num_dofs;
  double w[6] = {0};
  for (int k = 0; k < n * nb * 3; k++) {
    w[0] = fmax(w[0], fabs(a->body_pos[k] - b->body_pos[k]));
    w[2] = fmax(w[2], fabs(a->body_vel[k] - b->body_vel[k]));
    w[3] = fmax(w[3], fabs(a->body_ang_vel[k] - b->body_ang_vel[k]));
  }
  for (int k = 0; k < n * nb * 4; k++) w[1] = fmax(w[1], fabs(a->body_rot[k] - b->body_rot[k]));
  for (int k = 0; k < n * nd; k++) {
    w[4] = fmax(w[4], fabs(a->dof_pos[k] - b->dof_pos[k]));
    w[5] = fmax(w[5], fabs(a->dof_vel[k] - b->dof_vel[k]));
  }
  printf("push_state vs mujoco: body pos %.2e rot %.2e vel %.2e ang_vel %.2e, dof pos %.2e vel %.2e\n", w[0], w[1], w[2],
         w[3], w[4], w[5]);
  CHECK(w[0] < 1e-5 && w[1] < 1e-5 && w[2] < 1e-4 && w[3] < 1e-4 && w[4] < 1e-4 && w[5] < 1e-3);
  cm_engine_destroy(mj);
  cm_engine_destroy(cu);
}

/* T-pose target, standing start: 30 control steps (1 s) */
static void test_stand(void) {
  cm_engine *mj = make("mujoco", CM_CTRL_POS, (cm_engine_opts){0}, 1), *cu = make("cuda", CM_CTRL_POS, (cm_engine_opts){0}, 1);
  if (!mj || !cu) return;
  set_state(mj, 0, 1, 0.9f, 0.f, 0.f);
  set_state(cu, 0, 1, 0.9f, 0.f, 0.f);
  mj->ops->push_state(mj, NULL, 1);
  cu->ops->push_state(cu, NULL, 1);
  float tgt[CM_MAX_DOFS] = {0};
  mj->ops->set_targets(mj, tgt);
  cu->ops->set_targets(cu, tgt);
  double worst = 0;
  cm_err err;
  for (int s = 0; s < 30; s++) {
    CHECK_OK(mj->ops->step(mj, &err), &err);
    CHECK_OK(cu->ops->step(cu, &err), &err);
    worst = fmax(worst, body_pos_err(mj, cu, 0));
  }
  int feet = cu->st.ground_contact[11] + cu->st.ground_contact[14];
  printf("standing 1 s under the T-pose target: worst body position error %.2e m, root z %.4f (mujoco %.4f), feet on ground %d\n",
         worst, cu->st.root_pos[2], mj->st.root_pos[2], feet);
  CHECK(worst <= 0.02);
  CHECK(cu->st.root_pos[2] > 0.8f);
  CHECK(feet == 2);
  cm_engine_destroy(mj);
  cm_engine_destroy(cu);
}

/* random PD targets over the action range for 30 control steps, four envs */
static void rollout_yardstick(const char *file, const char *label) {
  int n = CM_ROLLOUT_ENVS;
  static cm_char chr;
  cm_err err;
  CHECK_OK(cm_char_load(file, &chr, &err), &err);
  cm_engine_opts o = {0};
  cm_engine *mj = make_file("mujoco", file, &chr, CM_CTRL_POS, o, n), *mp = make_file("mujoco", file, &chr, CM_CTRL_POS, o, n),
            *cu = make_file("cuda", file, &chr, CM_CTRL_POS, o, n);
  if (!mj || !mp || !cu) return;
  cm_engine *all[3] = {mj, mp, cu};
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < n; i++) set_state(all[k], i, 3, 0.92f, 0.2f, 0.f);
  }
  int nd = chr.num_dofs;
  for (int i = 0; i < n * nd; i++) mp->st.dof_pos[i] += 1e-6f; /* the yardstick's perturbation */
  for (int k = 0; k < 3; k++) all[k]->ops->push_state(all[k], NULL, n);
  float *tgt = malloc(sizeof(float) * n * nd);
  double worst_ratio = 0, final_ours = 0, final_yard = 0;
  int fails = 0;
  for (int s = 0; s < 30; s++) {
    for (int i = 0; i < n; i++) {
      cm_rng r = cm_rng_make(11, (uint32_t)i, (uint64_t)s, 9);
      for (int k = 0; k < nd; k++) tgt[i * nd + k] = urand(&r, chr.action_low[k], chr.action_high[k]);
    }
    for (int k = 0; k < 3; k++) {
      all[k]->ops->set_targets(all[k], tgt);
      CHECK_OK(all[k]->ops->step(all[k], &err), &err);
    }
    for (int i = 0; i < n; i++) {
      double ours = body_pos_err(mj, cu, i), yard = body_pos_err(mj, mp, i);
      double bound = 3 * yard + 1e-3;
      worst_ratio = fmax(worst_ratio, ours / bound);
      if (ours > bound) {
        fails++;
        if (fails < 5) printf("  step %d env %d: ours %.3e m, 3x yardstick + 1 mm %.3e m\n", s, i, ours, bound);
      }
      if (s == 29) { final_ours = fmax(final_ours, ours); final_yard = fmax(final_yard, yard); }
    }
  }
  printf("random-action rollout (%s), 30 control steps x %d envs: worst (ours / (3x yardstick + 1 mm)) %.3f; at the end ours %.3e m, yardstick %.3e m\n",
         label, n, worst_ratio, final_ours, final_yard);
  CHECK(fails == 0);
  free(tgt);
  for (int k = 0; k < 3; k++) cm_engine_destroy(all[k]);
}

/* The shipped humanoid (self-collisions on: its box feet touch in these rollouts) */
static void test_rollout_yardstick(void) { rollout_yardstick(HUMANOID, "humanoid"); }

#ifdef CM_PHYS_DOUBLE
/* The G1 (armature, hinge limits with solimplimit dmin 0, box feet, quat-rotated bodies, 5-139
 * N m torque limits) from engine-check's start (standing, 2 cm up) under random PD targets: in
 * double every body position is MuJoCo's at every step, so what the float build differs by in
 * `engine-check` on it is float32 rounding, not the algorithm (docs/ENGINE.md, float32). */
static void test_rollout_g1_exact(void) {
  const char *file = "data/assets/g1/g1.xml";
  static cm_char chr;
  cm_err err;
  CHECK_OK(cm_char_load(file, &chr, &err), &err);
  int n = 8, nd = chr.num_dofs;
  cm_engine *mj = make_file("mujoco", file, &chr, CM_CTRL_POS, (cm_engine_opts){0}, n),
            *cu = make_file("cuda", file, &chr, CM_CTRL_POS, (cm_engine_opts){0}, n);
  if (!mj || !cu) return;
  cm_mj_place_standing(mj, 0.02);
  const cm_sim_state *a = &mj->st;
  cm_sim_state *b = &cu->st;
  memcpy(b->root_pos, a->root_pos, sizeof(float) * 3 * n);
  memcpy(b->root_rot, a->root_rot, sizeof(float) * 4 * n);
  memcpy(b->root_vel, a->root_vel, sizeof(float) * 3 * n);
  memcpy(b->root_ang_vel, a->root_ang_vel, sizeof(float) * 3 * n);
  memcpy(b->dof_pos, a->dof_pos, sizeof(float) * nd * n);
  memcpy(b->dof_vel, a->dof_vel, sizeof(float) * nd * n);
  cu->ops->push_state(cu, NULL, n);
  float *tgt = malloc(sizeof(float) * n * nd);
  double worst = 0;
  for (int s = 0; s <= 30; s++) {
    for (int i = 0; i < n; i++) {
      cm_rng r = cm_rng_make(13, (uint32_t)i, (uint64_t)s, 9);
      for (int k = 0; k < nd; k++) tgt[i * nd + k] = urand(&r, chr.action_low[k], chr.action_high[k]);
    }
    if (s == 0) continue;
    mj->ops->set_targets(mj, tgt);
    cu->ops->set_targets(cu, tgt);
    CHECK_OK(mj->ops->step(mj, &err), &err);
    CHECK_OK(cu->ops->step(cu, &err), &err);
    for (int i = 0; i < n; i++) worst = fmax(worst, body_pos_err(mj, cu, i));
  }
  printf("g1 in double, 30 control steps x %d envs from standing: largest body position error against MuJoCo %.3e m (MuJoCo resets %ld)\n",
         n, worst, mj->ops->num_resets(mj));
  CHECK(mj->ops->num_resets(mj) == 0);
  CHECK(worst <= 1e-6);
  free(tgt);
  cm_engine_destroy(mj);
  cm_engine_destroy(cu);
}
#endif

/* <exclude> is honoured: with the feet's pair excluded in both engines they still agree */
static void test_rollout_exclude(void) {
  char *text = NULL, path[] = "/tmp/cm_cuda_hum_XXXXXX.xml";
  cm_err err;
  CHECK_OK(cm_read_file(HUMANOID, &text, NULL, &err), &err);
  char *wb = text ? strstr(text, "</worldbody>") : NULL;
  CHECK(wb != NULL);
  if (!wb) { free(text); return; }
  int fd = mkstemps(path, 4);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "%.*s</worldbody><contact><exclude body1=\"right_foot\" body2=\"left_foot\"/></contact>%s",
          (int)(wb - text), text, wb + strlen("</worldbody>"));
  fclose(f);
  free(text);
  rollout_yardstick(path, "humanoid, feet pair excluded");
  remove(path);
}

/* torque control (commands are clamped torques, no damping) and no control, airborne */
static void test_torque_and_none(void) {
  int modes[2] = {CM_CTRL_TORQUE, CM_CTRL_NONE};
  for (int k = 0; k < 2; k++) {
    cm_engine *mj = make("mujoco", modes[k], (cm_engine_opts){0}, 2), *cu = make("cuda", modes[k], (cm_engine_opts){0}, 2);
    if (!mj || !cu) return;
    for (int i = 0; i < 2; i++) {
      set_state(mj, i, 9, 2.5f, 0.5f, 0.5f);
      set_state(cu, i, 9, 2.5f, 0.5f, 0.5f);
    }
    mj->ops->push_state(mj, NULL, 2);
    cu->ops->push_state(cu, NULL, 2);
    float tgt[2 * CM_MAX_DOFS];
    cm_err err;
    double worst = 0;
    for (int s = 0; s < 10; s++) {
      cm_rng r = cm_rng_make(4, 0, (uint64_t)s, 1);
      for (int j = 0; j < 2 * hum.num_dofs; j++) tgt[j] = urand(&r, -60, 60); /* past the neck and ankle limits */
      mj->ops->set_targets(mj, tgt);
      cu->ops->set_targets(cu, tgt);
      CHECK_OK(mj->ops->step(mj, &err), &err);
      CHECK_OK(cu->ops->step(cu, &err), &err);
      for (int i = 0; i < 2; i++) worst = fmax(worst, body_pos_err(mj, cu, i));
    }
    long resets = cm_cuda_engine_num_resets(cu);
    printf("%s control, 10 steps in the air: worst body position error %.2e m, %ld resets\n", k ? "no" : "torque", worst, resets);
    CHECK(worst < 1e-3);
    CHECK(resets == 0);
    cm_engine_destroy(mj);
    cm_engine_destroy(cu);
  }
}

/* fix_root: the welded root stays where it was put, the limbs move as MuJoCo's */
static void test_fix_root(void) {
  cm_engine_opts o = {.fix_root = 1};
  cm_engine *mj = make("mujoco", CM_CTRL_POS, o, 1), *cu = make("cuda", CM_CTRL_POS, o, 1);
  if (!mj || !cu) return;
  set_state(mj, 0, 5, 1.5f, 0.5f, 0.f);
  set_state(cu, 0, 5, 1.5f, 0.5f, 0.f);
  mj->ops->push_state(mj, NULL, 1);
  cu->ops->push_state(cu, NULL, 1);
  float tgt[CM_MAX_DOFS] = {0};
  mj->ops->set_targets(mj, tgt);
  cu->ops->set_targets(cu, tgt);
  cm_err err;
  double worst = 0;
  for (int s = 0; s < 15; s++) {
    CHECK_OK(mj->ops->step(mj, &err), &err);
    CHECK_OK(cu->ops->step(cu, &err), &err);
    worst = fmax(worst, body_pos_err(mj, cu, 0));
  }
  printf("fixed root, 0.5 s: worst body position error %.2e m, root z %.4f\n", worst, cu->st.root_pos[2]);
  CHECK(worst < 2e-3);
  CHECK_NEAR(cu->st.root_pos[2], 1.5, 1e-6);
  cm_engine_destroy(mj);
  cm_engine_destroy(cu);
}

/* env 1 gets a NaN velocity: it is reset and counted, env 0 steps exactly as when alone */
static void test_nonfinite_reset(void) {
  cm_engine *a = make("cuda", CM_CTRL_POS, (cm_engine_opts){0}, 2), *b = make("cuda", CM_CTRL_POS, (cm_engine_opts){0}, 1);
  if (!a || !b) return;
  set_state(a, 0, 2, 0.95f, 0.3f, 0.5f);
  set_state(a, 1, 2, 0.95f, 0.3f, 0.5f);
  set_state(b, 0, 2, 0.95f, 0.3f, 0.5f);
  a->st.dof_vel[hum.num_dofs + 3] = NAN;
  a->ops->push_state(a, NULL, 2);
  b->ops->push_state(b, NULL, 1);
  float tgt[2 * CM_MAX_DOFS] = {0};
  a->ops->set_targets(a, tgt);
  b->ops->set_targets(b, tgt);
  cm_err err;
  for (int s = 0; s < 3; s++) {
    CHECK_OK(a->ops->step(a, &err), &err);
    CHECK_OK(b->ops->step(b, &err), &err);
  }
  int finite = 1;
  for (int k = 0; k < 2 * 3 * hum.num_bodies; k++) finite &= isfinite(a->st.body_pos[k]);
  long resets = cm_cuda_engine_num_resets(a);
  CHECK(a->ops->num_resets && a->ops->num_resets(a) == resets);
  printf("NaN in env 1: %ld reset(s), all finite %d, env 0 error vs alone %.1e\n", resets, finite, body_pos_err(a, b, 0));
  CHECK(resets >= 1);
  CHECK(finite);
  CHECK(body_pos_err(a, b, 0) == 0.0);
  CHECK(cm_cuda_engine_num_resets(b) == 0);
  cm_engine_destroy(a);
  cm_engine_destroy(b);
}

/* A velocity below MuJoCo's mjMAXVAL whose bias force drives qacc past it: MuJoCo's
 * mj_checkAcc resets the env before the integration, which then starts it from rest; the
 * engine must do the same (it used to reset only after integrating, one substep later). */
static void quiet(const char *msg) { (void)msg; }

static void test_bad_qacc_reset(void) {
  mju_user_warning = quiet; /* MuJoCo's warning of the reset, expected here */
  cm_engine *mj = make("mujoco", CM_CTRL_POS, (cm_engine_opts){0}, 1), *cu = make("cuda", CM_CTRL_POS, (cm_engine_opts){0}, 1);
  if (!mj || !cu) return;
  cm_engine *both[2] = {mj, cu};
  float tgt[CM_MAX_DOFS] = {0};
  cm_err err;
  for (int k = 0; k < 2; k++) {
    set_state(both[k], 0, 2, 0.95f, 0.3f, 0.f);
    both[k]->st.dof_vel[3] = 1e9f;
    both[k]->ops->push_state(both[k], NULL, 1);
    both[k]->ops->set_targets(both[k], tgt);
    CHECK_OK(both[k]->ops->step(both[k], &err), &err);
  }
  double e = body_pos_err(mj, cu, 0);
  printf("qacc past mjMAXVAL: resets mujoco %ld cuda %ld, body error after the control step %.3e m\n", mj->ops->num_resets(mj),
         cu->ops->num_resets(cu), e);
  CHECK(mj->ops->num_resets(mj) == 1 && cu->ops->num_resets(cu) == 1);
  CHECK(e <= 1e-5);
  cm_engine_destroy(mj);
  cm_engine_destroy(cu);
  mju_user_warning = NULL;
}

/* an MJCF using what the engine cannot simulate: one line naming the file, element and feature */
static void refused(const char *what, const char *body_xml, const char *extra, const char *expect) {
  char path[] = "/tmp/cm_cuda_refuse_XXXXXX.xml";
  int fd = mkstemps(path, 4);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "<mujoco><worldbody><body name='b' pos='0 0 1'><freejoint/><geom type='sphere' size='0.1'/>%s</body></worldbody>%s</mujoco>",
          body_xml, extra);
  fclose(f);
  mjModel *m = NULL;
  cm_err err = {0};
  cm_mjcf_opts mo = {.add_scene = 1};
  CHECK_OK(cm_mjcf_compile(path, &mo, &m, NULL, &err), &err);
  if (m) {
    cm_phys_model *pm = malloc(sizeof *pm);
    int rc = cm_phys_model_compile(m, path, pm, &err);
    printf("refused %s: %s\n", what, rc ? err.msg : "(accepted!)");
    CHECK(rc == -1);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(strstr(err.msg, expect) != NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
    free(pm);
    mj_deleteModel(m);
  }
  remove(path);
}

static void test_refusals(void) {
  refused("ball joint", "<body name='c' pos='0 0 -0.3'><joint name='ball1' type='ball'/><geom type='sphere' size='0.05'/></body>", "",
          "<joint> 'ball1': ball joints");
  refused("MPR settings", "<geom type='cylinder' size='0.05 0.1' pos='0 0 -0.3'/>", "<option mpr_iterations='20'/>",
          "<option mpr_iterations/mpr_tolerance>");
  refused("colliding ellipsoid", "<geom name='ell' type='ellipsoid' size='0.05 0.1 0.1' pos='0 0 -0.3'/>", "", "<geom> 'ell': colliding ellipsoid");
  refused("tendon", "<body name='c' pos='0 0 -0.3'><joint name='h' type='hinge'/><geom type='sphere' size='0.05'/></body>",
          "<tendon><fixed name='tn'><joint joint='h' coef='1'/></fixed></tendon>", "<tendon> 'tn': tendons");
  refused("equality", "<body name='c' pos='0 0 -0.3'><joint name='h' type='hinge'/><geom type='sphere' size='0.05'/></body>",
          "<equality><joint name='eq1' joint1='h'/></equality>", "<equality> 'eq1'");
  refused("slide joint", "<body name='c' pos='0 0 -0.3'><joint name='sl' type='slide'/><geom type='sphere' size='0.05'/></body>", "",
          "<joint> 'sl': slide joints");
  refused("frictionloss", "<body name='c' pos='0 0 -0.3'><joint name='fl' type='hinge' frictionloss='1'/><geom type='sphere' size='0.05'/></body>",
          "", "<joint> 'fl': frictionloss");
}

/* A character the repository does not ship: a box torso on four legs (spherical hips, knees
 * about tilted axes, sphere and capsule feet), a tail, rotated bodies and geoms, armature. */
static const char k_critter[] =
    "<mujoco model='critter'><default><geom condim='3' friction='0.9 0.05 0.05' density='800'/>"
    "<joint type='hinge' limited='true' range='-60 60' stiffness='150' damping='8' armature='0.01'/></default>"
    "<worldbody><body name='torso' pos='0 0 0.5' quat='0.98 0 0 0.2'><freejoint/>"
    "<geom type='box' size='0.3 0.12 0.06'/>"
    "%s"
    "<body name='tail' pos='-0.3 0 0.03' quat='0.92 0 0.38 0'><joint name='tail' axis='1 1 0'/>"
    "<geom type='capsule' fromto='0 0 0 -0.2 0 0' size='0.025'/></body>"
    "</body></worldbody>"
    "<actuator><motor joint='tail' gear='20' ctrllimited='true' ctrlrange='-1 1'/></actuator></mujoco>";
static const char k_leg[] =
    "<body name='hip%d' pos='%g %g -0.06'><joint axis='1 0 0'/><joint axis='0 1 0'/><joint axis='0 0 1'/>"
    "<geom type='capsule' fromto='0 0 0 0 0 -0.18' size='0.03'/>"
    "<body name='shin%d' pos='0 0 -0.2' quat='0.99 0.1 0 0'><joint axis='0 1 0.2' range='-100 10'/>"
    "<geom type='capsule' fromto='0 0 0 0 0 -0.17' size='0.025'/>"
    "<body name='foot%d' pos='0 0 -0.19'>%s</body></body></body>";

static void test_new_character(void) {
  char legs[4096] = "", xml[8192], path[] = "/tmp/cm_cuda_critter_XXXXXX.xml";
  for (int k = 0; k < 4; k++) {
    size_t used = strlen(legs);
    snprintf(legs + used, sizeof legs - used, k_leg, k, k < 2 ? 0.22 : -0.22, k % 2 ? 0.1 : -0.1, k, k,
             k % 2 ? "<geom type='sphere' size='0.04'/>" : "<geom type='capsule' fromto='-0.03 0 0 0.05 0 0' size='0.03'/>");
  }
  snprintf(xml, sizeof xml, k_critter, legs);
  int fd = mkstemps(path, 4);
  FILE *f = fdopen(fd, "w");
  fputs(xml, f);
  fclose(f);
  rollout_yardstick(path, "a new 4-legged character");
  remove(path);
}

int main(void) {
  cm_err err;
  CHECK_OK(cm_char_load(HUMANOID, &hum, &err), &err);
  test_refusals();
  test_push_state();
  test_stand();
  test_fix_root();
  test_torque_and_none();
  test_nonfinite_reset();
  test_bad_qacc_reset();
  test_rollout_yardstick();
  test_rollout_exclude();
#ifdef CM_PHYS_DOUBLE
  test_rollout_g1_exact();
#endif
  test_new_character();
  return check_report(CM_TEST_NAME);
}
