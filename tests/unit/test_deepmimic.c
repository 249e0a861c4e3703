/* The deepmimic env against independent expectations: the shipped humanoid config's
 * observation size from MimicKit's formula; reward 1 with every term at its maximum when the
 * simulated character is pushed into the reference state; each reward term against values
 * worked by hand for known perturbations (one joint turned by a known angle, root moved,
 * turned, sped up, a key body moved), with and without global root tracking; the target
 * observation of a still reference against analytic values and MuJoCo's body positions;
 * pose / contact / time / clip-end terminations; reset draws keyed by seed, env and episode;
 * the reference character's pose arrays against the clip's raw frames; bad yaml input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "anim/motion.h"
#include "anim/motion_lib.h"
#include "check.h"
#include "yaml_variant.h"
#include "env/deepmimic.h"
#include "env/deepmimic_obs.h"
#include "env/deepmimic_reward.h"
#include "env/env.h"
#include "io/args.h"
#include "io/config.h"

#define SHIPPED "data/envs/deepmimic_humanoid_env.yaml"
#define SPINKICK "data/motions/humanoid/humanoid_spinkick.pkl"
#define WALK "data/motions/humanoid/humanoid_walk.pkl"

/* humanoid body indices (MJCF depth-first order) */
enum { PELVIS = 0, TORSO = 1, HEAD = 2, R_LOWER_ARM = 4, R_HAND = 5, R_THIGH = 9, R_FOOT = 11, L_FOOT = 14 };

static cm_engine_cfg engine_cfg(void) {
  cm_engine_cfg c = {.engine_name = "mujoco", .control_mode = CM_CTRL_POS, .control_freq = 30, .sim_freq = 120,
                     .env_spacing = 5, .ground_contact_height = 0.3f, .num_threads = 2};
  return c;
}

static cm_env *make_env(const char *path, int n, uint64_t seed) {
  cm_env *e = NULL;
  cm_err err = {{0}};
  cm_engine_cfg c = engine_cfg();
  CHECK_OK(cm_env_create(path, &c, n, seed, &e, &err), &err);
  return e;
}

/* The shipped yaml with substrings replaced (from[k] -> to[k]), written to a temporary file. */
static void write_variant(char *path, size_t cap, const char *const *from, const char *const *to, int n) {
  yaml_variant(SHIPPED, from, to, n, "deepmimic", path, cap);
}

static cm_env *make_variant(const char *const *from, const char *const *to, int n, int envs, uint64_t seed) {
  char path[128];
  write_variant(path, sizeof path, from, to, n);
  cm_env *e = make_env(path, envs, seed);
  unlink(path);
  return e;
}

static void step_tracking(cm_env *e, int steps) {
  cm_err err = {{0}};
  cm_dm_buf *b = cm_deepmimic_buf(e);
  size_t n = (size_t)e->num_envs * e->act_dim;
  float *act = malloc(n * sizeof(float));
  for (int s = 0; s < steps; s++) {
    memcpy(act, b->dof_pos, n * sizeof(float)); /* PD targets = the reference pose */
    CHECK_OK(cm_env_step(e, act, &err), &err);
  }
  free(act);
}

/* ---- config and observation size ------------------------------------------------------- */

static void test_shipped_config(void) {
  cm_env *e = make_env(SHIPPED, 2, 1);
  if (!e) return;
  const cm_dm_params *p = cm_deepmimic_params(e);
  CHECK(e->chr.num_bodies == 15 && e->chr.num_dofs == 28 && e->act_dim == 28);
  /* MimicKit: char obs = root h 1 + root rot 6 + root vel 3 + ang vel 3 + 6 per joint (14)
   * + dof vel 28 + 3 per key body (5) = 140; target obs per step = root pos 3 + root rot 6
   * + 6 per joint + 3 per key body = 108, three steps -> 464 */
  CHECK(e->obs_dim == 464);
  CHECK(e->obs_dim == (1 + 6 + 3 + 3 + 6 * 14 + 28 + 3 * 5) + 3 * (3 + 6 + 6 * 14 + 3 * 5));
  CHECK(p->global_obs == 1 && p->enable_tar_obs == 1 && p->enable_phase_obs == 0 && cm_dm_track_root(p));
  CHECK(p->num_tar_steps == 3 && p->tar_obs_steps[2] == 3 && p->num_phase_encoding == 4);
  CHECK_NEAR(p->w_pose + p->w_vel + p->w_root_pose + p->w_root_vel + p->w_key_pos, 1.0, 1e-6);
  CHECK_NEAR(p->s_key_pos, 10.0, 0);
  CHECK_NEAR(p->control_dt, 1.0 / 30, 1e-7);
  CHECK(p->num_contact_bodies == 2 && p->contact_ok[R_FOOT] && p->contact_ok[L_FOOT] && !p->contact_ok[HEAD]);
  /* dof weights come from their joint: right elbow (hinge, joint_err_w[3] = 0.4), right thigh
   * (sphere, 1.0), and the hands are fixed bodies without dofs */
  CHECK_NEAR(p->dof_err_w[e->chr.dof_idx[R_LOWER_ARM]], 0.4, 1e-7);
  for (int k = 0; k < 3; k++) CHECK_NEAR(p->dof_err_w[e->chr.dof_idx[R_THIGH] + k], 1.0, 0);
  CHECK(e->chr.dof_dim[R_HAND] == 0 && p->joint_err_w[R_HAND - 1] == 0.f);
  CHECK(e->engine->opts.with_ref_char == 1);
  /* the obs after reset is finite and the step produces rewards in (0, 1] */
  step_tracking(e, 2);
  for (int i = 0; i < e->num_envs; i++) {
    CHECK(e->reward[i] > 0.f && e->reward[i] <= 1.f + 1e-6f);
    for (int k = 0; k < e->obs_dim; k++) CHECK(isfinite(e->obs[(size_t)e->obs_dim * i + k]));
  }
  cm_env_destroy(e);
}

/* The arg files name files that exist, with MimicKit's env count; the walk yaml plays the walk
 * clip; the agent yamls carry MimicKit's key settings. */
static void test_shipped_files(void) {
  const char *args[] = {"args/deepmimic_humanoid_ppo_args.txt", "args/deepmimic_humanoid_awr_args.txt"};
  const char *agents[] = {"PPO", "AWR"};
  for (int k = 0; k < 2; k++) {
    cm_args a = {0};
    cm_err err = {{0}};
    CHECK_OK(cm_args_load_file(&a, args[k], &err), &err);
    long n = 0;
    CHECK_OK(cm_args_int(&a, "num_envs", 0, &n, &err), &err);
    CHECK(n == 4096);
    const char *keys[] = {"engine_config", "env_config", "agent_config"};
    for (int j = 0; j < 3; j++) {
      const char *f = cm_args_str(&a, keys[j], NULL);
      CHECK(f && access(f, R_OK) == 0);
    }
    CHECK(!strcmp(cm_args_str(&a, "env_config", ""), SHIPPED));
    cm_cfg *agent = NULL;
    const char *name = NULL;
    long steps = 0;
    CHECK_OK(cm_cfg_load(cm_args_str(&a, "agent_config", ""), &agent, &err), &err);
    CHECK_OK(cm_cfg_str(agent, "agent_name", NULL, &name, &err), &err);
    CHECK(name && !strcmp(name, agents[k]));
    CHECK_OK(cm_cfg_int(agent, "steps_per_iter", 0, &steps, &err), &err);
    CHECK(steps == 32);
    cm_cfg_free(agent);
    cm_args_free(&a);
  }
  cm_env *e = make_env("data/envs/deepmimic_humanoid_walk_env.yaml", 1, 0);
  if (!e) return;
  CHECK(cm_deepmimic_motions(e)->num_frames[0] == 39 && cm_deepmimic_motions(e)->loop_mode[0] == CM_LOOP_WRAP);
  CHECK(e->obs_dim == 464);
  cm_env_destroy(e);
}

/* ---- reward ------------------------------------------------------------------------------ */

/* Pushes every env's reference state into the simulated character. */
static void push_reference(cm_env *e) {
  cm_sim_state *s = &e->engine->st;
  cm_dm_buf *b = cm_deepmimic_buf(e);
  int N = e->num_envs, D = e->chr.num_dofs;
  memcpy(s->root_pos, b->root_pos, sizeof(float) * 3 * N);
  memcpy(s->root_rot, b->root_rot, sizeof(float) * 4 * N);
  memcpy(s->root_vel, b->root_vel, sizeof(float) * 3 * N);
  memcpy(s->root_ang_vel, b->root_ang_vel, sizeof(float) * 3 * N);
  memcpy(s->dof_pos, b->dof_pos, sizeof(float) * D * N);
  memcpy(s->dof_vel, b->dof_vel, sizeof(float) * D * N);
  e->engine->ops->push_state(e->engine, NULL, N);
}

static void test_reward_max_at_reference(void) {
  cm_env *e = make_env(SHIPPED, 4, 3);
  if (!e) return;
  step_tracking(e, 3);
  push_reference(e);
  const cm_dm_params *p = cm_deepmimic_params(e);
  cm_dm_buf *b = cm_deepmimic_buf(e);
  for (int i = 0; i < e->num_envs; i++) {
    float jrot[(CM_MAX_BODIES - 1) * 4], r;
    int done;
    cm_dm_state sim = cm_dm_sim_state(&e->chr, &e->engine->st, i, jrot);
    cm_dm_state ref = cm_dm_ref_state(b, e->chr.num_bodies, e->chr.num_dofs, i);
    cm_dm_reward_terms t;
    r = cm_dm_reward(&e->chr, p, &sim, &ref, &t);
    CHECK_NEAR(r, 1.0, 1e-5);
    CHECK_NEAR(t.pose, 1.0, 1e-5);
    CHECK_NEAR(t.vel, 1.0, 1e-5);
    CHECK_NEAR(t.root_pose, 1.0, 1e-5);
    CHECK_NEAR(t.root_vel, 1.0, 1e-5);
    CHECK_NEAR(t.key_pos, 1.0, 1e-5);
    /* the env's own reward pass agrees, and the reference state never ends an episode early */
    cm_dm_env_reward_done(&e->chr, p, cm_deepmimic_motions(e), &e->engine->st, b, i, e->time[i], &r, &done);
    CHECK_NEAR(r, 1.0, 1e-5);
    CHECK(done == CM_DONE_NULL);
  }
  cm_env_destroy(e);
}

/* A copy of one env's reference state that a test can perturb. */
typedef struct {
  float root_pos[3], root_rot[4], root_vel[3], root_ang_vel[3];
  float joint_rot[(CM_MAX_BODIES - 1) * 4], dof_vel[CM_MAX_DOFS], body_pos[CM_MAX_BODIES * 3];
} pose_copy;

static void copy_state(pose_copy *c, const cm_dm_state *s, int B, int D) {
  memcpy(c->root_pos, s->root_pos, sizeof c->root_pos);
  memcpy(c->root_rot, s->root_rot, sizeof c->root_rot);
  memcpy(c->root_vel, s->root_vel, sizeof c->root_vel);
  memcpy(c->root_ang_vel, s->root_ang_vel, sizeof c->root_ang_vel);
  memcpy(c->joint_rot, s->joint_rot, sizeof(float) * 4 * (B - 1));
  memcpy(c->dof_vel, s->dof_vel, sizeof(float) * D);
  memcpy(c->body_pos, s->body_pos, sizeof(float) * 3 * B);
}

static cm_dm_state view_of(const pose_copy *c) {
  cm_dm_state s = {c->root_pos, c->root_rot, c->root_vel, c->root_ang_vel, c->joint_rot, c->dof_vel, c->body_pos};
  return s;
}

static void test_reward_hand_values(void) {
  cm_env *e = make_env(SHIPPED, 1, 5);
  if (!e) return;
  step_tracking(e, 1);
  const cm_char *c = &e->chr;
  int B = c->num_bodies, D = c->num_dofs;
  cm_dm_params tracked = *cm_deepmimic_params(e), local = tracked;
  local.global_obs = 0; /* no root tracking: root terms in each character's heading frame */
  cm_dm_state ref = cm_dm_ref_state(cm_deepmimic_buf(e), B, D, 0);
  pose_copy base, x;
  copy_state(&base, &ref, B, D);
  cm_dm_state sim;
  cm_dm_reward_terms t;
  float r;

  /* right thigh turned by 0.3 rad about a tilted axis: pose r = exp(-0.25 * 1.0 * 0.3^2), and
   * the total loses w_pose (0.5) times (1 - that) */
  {
    const float axis[3] = {0.6f, 0.0f, 0.8f};
    float dq[4], *q = NULL;
    x = base;
    q = x.joint_rot + 4 * (R_THIGH - 1);
    cm_q_from_axis_angle(dq, axis, 0.3f);
    cm_q_mul(q, q, dq);
    sim = view_of(&x);
    r = cm_dm_reward(c, &tracked, &sim, &ref, &t);
    double want = exp(-0.25 * 1.0 * 0.09);
    CHECK_NEAR(t.pose, want, 1e-5);
    CHECK_NEAR(r, 1.0 - 0.5 * (1.0 - want), 1e-5);
    CHECK_NEAR(t.vel * t.root_pose * t.root_vel * t.key_pos, 1.0, 1e-6);
    /* the head (joint weight 0.6) turned by 0.5 rad the other way round (rotation applied first) */
    x = base;
    q = x.joint_rot + 4 * (HEAD - 1);
    cm_q_from_axis_angle(dq, axis, -0.5f);
    cm_q_mul(q, dq, q);
    sim = view_of(&x);
    cm_dm_reward(c, &tracked, &sim, &ref, &t);
    CHECK_NEAR(t.pose, exp(-0.25 * 0.6 * 0.25), 1e-5);
    /* a hand has weight 0: no effect */
    x = base;
    q = x.joint_rot + 4 * (R_HAND - 1);
    cm_q_from_axis_angle(dq, axis, 1.0f);
    cm_q_mul(q, q, dq);
    sim = view_of(&x);
    cm_dm_reward(c, &tracked, &sim, &ref, &t);
    CHECK_NEAR(t.pose, 1.0, 1e-6);
  }
  /* elbow velocity off by 2 rad/s: vel r = exp(-0.01 * 0.4 * 4) */
  x = base;
  x.dof_vel[c->dof_idx[R_LOWER_ARM]] += 2.f;
  sim = view_of(&x);
  cm_dm_reward(c, &tracked, &sim, &ref, &t);
  CHECK_NEAR(t.vel, exp(-0.01 * 0.4 * 4.0), 1e-6);
  /* whole character 0.1 m higher: root_pose r = exp(-5 * 0.01); key offsets unchanged */
  x = base;
  for (int b = 0; b < B; b++) x.body_pos[3 * b + 2] += 0.1f;
  x.root_pos[2] += 0.1f;
  sim = view_of(&x);
  cm_dm_reward(c, &tracked, &sim, &ref, &t);
  CHECK_NEAR(t.root_pose, exp(-5.0 * 0.01), 1e-5);
  CHECK_NEAR(t.key_pos, 1.0, 1e-5);
  /* 0.2 m sideways: counts only when the root is tracked */
  x = base;
  for (int b = 0; b < B; b++) x.body_pos[3 * b] += 0.2f;
  x.root_pos[0] += 0.2f;
  sim = view_of(&x);
  cm_dm_reward(c, &tracked, &sim, &ref, &t);
  CHECK_NEAR(t.root_pose, exp(-5.0 * 0.04), 1e-5);
  cm_dm_reward(c, &local, &sim, &ref, &t);
  CHECK_NEAR(t.root_pose, 1.0, 1e-5);
  /* root yawed by 0.4 rad: root_pose r = exp(-5 * 0.1 * 0.4^2) when tracked; in the heading
   * frame a pure yaw disappears */
  {
    const float z[3] = {0, 0, 1};
    float dq[4];
    x = base;
    cm_q_from_axis_angle(dq, z, 0.4f);
    cm_q_mul(x.root_rot, dq, x.root_rot);
    sim = view_of(&x);
    cm_dm_reward(c, &tracked, &sim, &ref, &t);
    CHECK_NEAR(t.root_pose, exp(-5.0 * 0.1 * 0.16), 1e-5);
    cm_dm_reward(c, &local, &sim, &ref, &t);
    CHECK_NEAR(t.root_pose, 1.0, 1e-4);
  }
  /* root velocity off by (0.3, 0, 0) and angular velocity by (0, 0, 0.5):
   * root_vel r = exp(-1 * (0.09 + 0.1 * 0.25)) */
  x = base;
  x.root_vel[0] += 0.3f;
  x.root_ang_vel[2] += 0.5f;
  sim = view_of(&x);
  cm_dm_reward(c, &tracked, &sim, &ref, &t);
  CHECK_NEAR(t.root_vel, exp(-(0.09 + 0.1 * 0.25)), 1e-5);
  cm_dm_reward(c, &local, &sim, &ref, &t); /* a rotation keeps lengths */
  CHECK_NEAR(t.root_vel, exp(-(0.09 + 0.1 * 0.25)), 1e-5);
  /* head 5 cm higher than its reference: key_pos r = exp(-10 * 0.0025) */
  x = base;
  x.body_pos[3 * HEAD + 2] += 0.05f;
  sim = view_of(&x);
  r = cm_dm_reward(c, &tracked, &sim, &ref, &t);
  CHECK_NEAR(t.key_pos, exp(-10.0 * 0.0025), 1e-5);
  CHECK_NEAR(r, 1.0 - 0.15 * (1.0 - exp(-10.0 * 0.0025)), 1e-5);
  /* the angle helper: q and -q are the same rotation */
  {
    float q[4] = {0.1f, -0.2f, 0.3f, 0.927362f}, nq[4];
    cm_q_normalize(q);
    for (int k = 0; k < 4; k++) nq[k] = -q[k];
    CHECK_NEAR(cm_dm_quat_diff_angle(q, nq), 0.0, 1e-6);
  }
  cm_env_destroy(e);
}

/* ---- observation ----------------------------------------------------------------------- */

/* A still clip: both frames root at (1, 2, 0.9) yawed by 90 degrees, right elbow bent 0.5 rad,
 * every other joint at rest. */
static int still_lib(const cm_char *c, cm_motion_lib *lib) {
  int F = 6 + c->num_dofs;
  float frames[2 * (6 + CM_MAX_DOFS)];
  memset(frames, 0, sizeof frames);
  for (int f = 0; f < 2; f++) {
    float *fr = frames + F * f;
    fr[0] = 1.f; fr[1] = 2.f; fr[2] = 0.9f;
    fr[5] = (float)(M_PI / 2);
    fr[6 + c->dof_idx[R_LOWER_ARM]] = 0.5f;
  }
  cm_motion m = {.loop_mode = CM_LOOP_WRAP, .fps = 30, .num_frames = 2, .frame_dim = F, .frames = frames};
  double w = 1;
  const char *name = "still";
  cm_err err = {{0}};
  int rc = cm_motion_lib_build(&m, &w, &name, 1, c, lib, &err);
  CHECK_OK(rc, &err);
  return rc;
}

static void check_tan_norm(const float *o, const float *tan, const float *norm) {
  for (int k = 0; k < 3; k++) {
    CHECK_NEAR(o[k], tan[k], 1e-5);
    CHECK_NEAR(o[3 + k], norm[k], 1e-5);
  }
}

static void test_still_target_obs(void) {
  cm_env *e = make_env(SHIPPED, 1, 2);
  if (!e) return;
  const cm_char *c = &e->chr;
  int B = c->num_bodies, D = c->num_dofs;
  cm_motion_lib lib;
  if (still_lib(c, &lib)) {
    cm_env_destroy(e);
    return;
  }
  cm_motion_lib_view v = cm_motion_lib_host_view(&lib);
  /* MuJoCo's body positions of the still pose: the key offsets every target step must show */
  cm_sim_state *s = &e->engine->st;
  float jr[(CM_MAX_BODIES - 1) * 4];
  cm_mlib_calc_frame(&v, 0, 0.f, s->root_pos, s->root_rot, NULL, NULL, jr, NULL);
  cm_mlib_joint_rot_to_dof(c, jr, s->dof_pos);
  memset(s->root_vel, 0, 3 * sizeof(float));
  memset(s->root_ang_vel, 0, 3 * sizeof(float));
  memset(s->dof_vel, 0, (size_t)D * sizeof(float));
  e->engine->ops->push_state(e->engine, NULL, 1);
  float mj_keys[5][3];
  const cm_dm_params *pg = cm_deepmimic_params(e);
  for (int k = 0; k < pg->num_keys; k++) cm_v3_sub(mj_keys[k], s->body_pos + 3 * pg->key_ids[k], s->root_pos);

  const float sim_root[3] = {0.5f, -1.f, 0.8f};
  const float ex[3] = {1, 0, 0}, ey[3] = {0, 1, 0}, ez[3] = {0, 0, 1};
  const float elbow_tan[3] = {cosf(0.5f), sinf(0.5f), 0.f}; /* elbow axis is z */
  float out[3 * 200];
  for (int global = 1; global >= 0; global--) {
    cm_dm_params p = *pg;
    p.global_obs = global;
    int step = cm_dm_tar_step_dim(c, &p);
    CHECK(step == 108);
    int n = cm_dm_tar_obs(c, &p, &v, 0, 0.37f, sim_root, out);
    CHECK(n == 3 * step);
    for (int j = 0; j < 3; j++) {
      const float *o = out + step * j;
      if (global) {
        /* offset from the simulated root, height as is; world rotation (x axis -> y) */
        CHECK_NEAR(o[0], 0.5, 1e-6);
        CHECK_NEAR(o[1], 3.0, 1e-6);
        CHECK_NEAR(o[2], 0.9, 1e-6);
        check_tan_norm(o + 3, ey, ez);
      } else {
        /* relative to target step 0 (itself, still): zero offset, no heading left */
        CHECK_NEAR(o[0], 0.0, 1e-6);
        CHECK_NEAR(o[1], 0.0, 1e-6);
        CHECK_NEAR(o[2], 0.9, 1e-6);
        check_tan_norm(o + 3, ex, ez);
      }
      for (int b = 1; b < B; b++) check_tan_norm(o + 9 + 6 * (b - 1), b == R_LOWER_ARM ? elbow_tan : ex, ez);
      const float *keys = o + 9 + 6 * (B - 1);
      for (int k = 0; k < p.num_keys; k++) {
        /* non-global: world offsets turned by -90 degrees about z: (x, y) -> (y, -x) */
        float want[3] = {mj_keys[k][0], mj_keys[k][1], mj_keys[k][2]};
        if (!global) {
          want[0] = mj_keys[k][1];
          want[1] = -mj_keys[k][0];
        }
        for (int a = 0; a < 3; a++) CHECK_NEAR(keys[3 * k + a], want[a], 1e-5);
      }
    }
  }
  /* without root_height_obs the root part is only the horizontal offset */
  {
    cm_dm_params p = *pg;
    p.root_height_obs = 0;
    CHECK(cm_dm_tar_step_dim(c, &p) == 107);
    cm_dm_tar_obs(c, &p, &v, 0, 0.f, sim_root, out);
    CHECK_NEAR(out[0], 0.5, 1e-6);
    CHECK_NEAR(out[1], 3.0, 1e-6);
    check_tan_norm(out + 2, ey, ez);
  }
  cm_motion_lib_free(&lib);
  cm_env_destroy(e);
}

static void test_phase_obs(void) {
  static const char *const from[] = {"enable_phase_obs: False"}, *const to[] = {"enable_phase_obs: True"};
  cm_env *e = make_variant(from, to, 1, 2, 4);
  if (!e) return;
  const cm_dm_params *p = cm_deepmimic_params(e);
  CHECK(e->obs_dim == 464 + 1 + 2 * 4);
  step_tracking(e, 2);
  const cm_motion_lib_view *v = cm_deepmimic_motions(e);
  const cm_dm_buf *b = cm_deepmimic_buf(e);
  for (int i = 0; i < e->num_envs; i++) {
    double t = e->time[i] + b->time_offset[i], len = v->length[b->motion_id[i]];
    double phase = t / len - floor(t / len); /* spinkick wraps */
    const float *o = e->obs + (size_t)e->obs_dim * i + 140;
    CHECK_NEAR(o[0], phase, 1e-5);
    for (int k = 0; k < p->num_phase_encoding; k++) {
      CHECK_NEAR(o[1 + k], sin(2 * M_PI * pow(2, k) * phase), 1e-4);
      CHECK_NEAR(o[5 + k], cos(2 * M_PI * pow(2, k) * phase), 1e-4);
    }
  }
  cm_env_destroy(e);
}

/* ---- terminations ---------------------------------------------------------------------- */

static void test_pose_and_time_termination(void) {
  cm_env *e = make_env(SHIPPED, 1, 6);
  if (!e) return;
  step_tracking(e, 1);
  const cm_char *c = &e->chr;
  int B = c->num_bodies, D = c->num_dofs;
  cm_dm_params tracked = *cm_deepmimic_params(e), local = tracked;
  local.global_obs = 0;
  cm_dm_state ref = cm_dm_ref_state(cm_deepmimic_buf(e), B, D, 0);
  pose_copy x;
  uint8_t contact[CM_MAX_BODIES] = {0};
  const float dt = 1.f / 30, len = 2.f;
  copy_state(&x, &ref, B, D);
  cm_dm_state sim = view_of(&x);
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, dt, dt, len, CM_LOOP_WRAP) == CM_DONE_NULL);
  /* the whole character 1.2 m away: beyond pose_termination_dist when the root is tracked; a
   * rigid shift leaves the root-relative body positions alone */
  for (int b = 0; b < B; b++) x.body_pos[3 * b] += 1.2f;
  x.root_pos[0] += 1.2f;
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, dt, dt, len, CM_LOOP_WRAP) == CM_DONE_FAIL);
  CHECK(cm_dm_done(&local, B, &sim, &ref, contact, dt, dt, len, CM_LOOP_WRAP) == CM_DONE_NULL);
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, 0.f, 0.f, len, CM_LOOP_WRAP) == CM_DONE_NULL); /* first step */
  cm_dm_params off = tracked;
  off.enable_early_termination = 0;
  CHECK(cm_dm_done(&off, B, &sim, &ref, contact, dt, dt, len, CM_LOOP_WRAP) == CM_DONE_NULL);
  off = tracked;
  off.pose_termination = 0;
  CHECK(cm_dm_done(&off, B, &sim, &ref, contact, dt, dt, len, CM_LOOP_WRAP) == CM_DONE_NULL);
  /* only the root body 1.2 m off, the other bodies where the reference has them: with root
   * tracking the root's own distance fails the episode */
  copy_state(&x, &ref, B, D);
  x.body_pos[0] += 1.2f;
  x.root_pos[0] += 1.2f;
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, dt, dt, len, CM_LOOP_WRAP) == CM_DONE_FAIL);
  /* 0.8 m is inside the limit */
  copy_state(&x, &ref, B, D);
  for (int b = 0; b < B; b++) x.body_pos[3 * b] += 0.8f;
  x.root_pos[0] += 0.8f;
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, dt, dt, len, CM_LOOP_WRAP) == CM_DONE_NULL);
  /* a hand 1.1 m off its place fails in every frame choice */
  copy_state(&x, &ref, B, D);
  x.body_pos[3 * R_HAND + 1] += 1.1f;
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, dt, dt, len, CM_LOOP_WRAP) == CM_DONE_FAIL);
  CHECK(cm_dm_done(&local, B, &sim, &ref, contact, dt, dt, len, CM_LOOP_WRAP) == CM_DONE_FAIL);
  /* time-out, end of a clamp clip (success), a wrap clip never ends; failure wins */
  copy_state(&x, &ref, B, D);
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, 10.f, 1.f, len, CM_LOOP_WRAP) == CM_DONE_TIME);
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, 9.f, 2.f, len, CM_LOOP_CLAMP) == CM_DONE_SUCC);
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, 9.f, 1.9f, len, CM_LOOP_CLAMP) == CM_DONE_NULL);
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, 9.f, 5.f, len, CM_LOOP_WRAP) == CM_DONE_NULL);
  x.body_pos[3 * R_HAND + 1] += 1.1f;
  CHECK(cm_dm_done(&tracked, B, &sim, &ref, contact, 10.f, 2.f, len, CM_LOOP_CLAMP) == CM_DONE_FAIL);

  /* through the env: the root moved 1.5 m away in the engine ends the episode as failed */
  cm_sim_state *s = &e->engine->st;
  s->root_pos[1] += 1.5f;
  e->engine->ops->push_state(e->engine, NULL, 1);
  float r;
  int done;
  cm_dm_env_reward_done(c, &tracked, cm_deepmimic_motions(e), s, cm_deepmimic_buf(e), 0, e->time[0], &r, &done);
  CHECK(done == CM_DONE_FAIL);
  CHECK(r < 0.9f);
  cm_env_destroy(e);
}

/* The upside-down humanoid resting on its head (head sphere 0.635 m below the pelvis). */
static void stand_on_head(cm_env *e, int i) {
  cm_sim_state *s = &e->engine->st;
  int D = e->chr.num_dofs;
  cm_v3_set(s->root_pos + 3 * i, 0.f, 0.f, 0.72f);
  const float xaxis[3] = {1, 0, 0};
  cm_q_from_axis_angle(s->root_rot + 4 * i, xaxis, (float)M_PI);
  memset(s->root_vel + 3 * i, 0, 3 * sizeof(float));
  memset(s->root_ang_vel + 3 * i, 0, 3 * sizeof(float));
  memset(s->dof_pos + (size_t)D * i, 0, (size_t)D * sizeof(float));
  memset(s->dof_vel + (size_t)D * i, 0, (size_t)D * sizeof(float));
}

static void test_contact_termination(void) {
  cm_env *e = make_env(SHIPPED, 2, 8);
  if (!e) return;
  const cm_char *c = &e->chr;
  int B = c->num_bodies;
  cm_dm_params p = *cm_deepmimic_params(e);
  p.pose_termination = 0; /* contacts alone */
  /* env 0 tracks its clip for a few steps: feet on the ground; env 1 stands on its head */
  step_tracking(e, 4);
  stand_on_head(e, 1);
  int one = 1;
  e->engine->ops->push_state(e->engine, &one, 1);
  const cm_sim_state *s = &e->engine->st;
  const uint8_t *gc0 = s->ground_contact, *gc1 = s->ground_contact + B;
  CHECK(gc0[R_FOOT] || gc0[L_FOOT]);
  int others = 0;
  for (int b = 0; b < B; b++) others += (b != R_FOOT && b != L_FOOT) && gc0[b];
  CHECK(others == 0);
  CHECK(gc1[HEAD]);
  CHECK(s->body_pos[3 * (B + HEAD) + 2] <= 0.3f);
  CHECK(!cm_dm_fallen(&p, B, s->body_pos, gc0));
  CHECK(cm_dm_fallen(&p, B, s->body_pos + 3 * B, gc1));
  /* through cm_dm_done: only after the first step */
  float jrot[2][(CM_MAX_BODIES - 1) * 4];
  cm_dm_state sim1 = cm_dm_sim_state(c, s, 1, jrot[1]);
  cm_dm_state ref1 = cm_dm_ref_state(cm_deepmimic_buf(e), B, c->num_dofs, 1);
  CHECK(cm_dm_done(&p, B, &sim1, &ref1, gc1, 0.1f, 0.1f, 5.f, CM_LOOP_WRAP) == CM_DONE_FAIL);
  CHECK(cm_dm_done(&p, B, &sim1, &ref1, gc1, 0.f, 0.f, 5.f, CM_LOOP_WRAP) == CM_DONE_NULL);
  /* synthetic flags: the height rule, and an empty contact_bodies list switches the check off */
  uint8_t flags[CM_MAX_BODIES] = {0};
  float bp[CM_MAX_BODIES * 3] = {0};
  flags[HEAD] = 1;
  bp[3 * HEAD + 2] = 0.31f;
  CHECK(!cm_dm_fallen(&p, B, bp, flags));
  bp[3 * HEAD + 2] = 0.3f;
  CHECK(cm_dm_fallen(&p, B, bp, flags));
  cm_dm_params none = p;
  none.num_contact_bodies = 0;
  memset(none.contact_ok, 0, sizeof none.contact_ok);
  CHECK(!cm_dm_fallen(&none, B, bp, flags));
  cm_env_destroy(e);
}

/* ---- resets and the reference character ------------------------------------------------ */

static void test_rand_reset(void) {
  enum { N = 6 };
  cm_env *a = make_env(SHIPPED, N, 7), *b = make_env(SHIPPED, N, 7), *d = make_env(SHIPPED, N, 8);
  if (!a || !b || !d) return;
  const cm_dm_buf *ba = cm_deepmimic_buf(a), *bb = cm_deepmimic_buf(b), *bd = cm_deepmimic_buf(d);
  float len = cm_deepmimic_motions(a)->length[0], first[N];
  int same_seed = 1, other_seed = 0, distinct = 1;
  for (int i = 0; i < N; i++) {
    first[i] = ba->time_offset[i];
    CHECK(ba->time_offset[i] >= 0.f && ba->time_offset[i] < len);
    same_seed &= ba->time_offset[i] == bb->time_offset[i];
    other_seed += ba->time_offset[i] != bd->time_offset[i];
    for (int j = 0; j < i; j++) distinct &= ba->time_offset[i] != ba->time_offset[j];
    /* reference-state init: the simulated root starts on the reference at that time */
    float rp[3], rv[3];
    cm_mlib_calc_frame(cm_deepmimic_motions(a), 0, ba->time_offset[i], rp, NULL, rv, NULL, NULL, NULL);
    for (int k = 0; k < 3; k++) {
      CHECK_NEAR(a->engine->st.root_pos[3 * i + k], rp[k], 1e-5);
      CHECK_NEAR(a->engine->st.root_vel[3 * i + k], rv[k], 1e-4);
    }
  }
  CHECK(same_seed);
  CHECK(distinct);
  CHECK(other_seed == N);
  /* the next episode of the same env draws anew; envs not reset keep theirs */
  int ids[2] = {1, 4};
  cm_env_reset(a, ids, 2);
  CHECK(ba->time_offset[1] != first[1] && ba->time_offset[4] != first[4]);
  CHECK(ba->time_offset[0] == first[0] && ba->time_offset[5] == first[5]);
  cm_env_destroy(a);
  cm_env_destroy(b);
  cm_env_destroy(d);
}

/* Root position of a raw clip frame lerp at time t (no wrap past the end needed here). */
static void raw_root_pos(const cm_motion *m, double t, float *out) {
  double x = t * m->fps;
  int f0 = (int)x, f1 = f0 + 1 < m->num_frames ? f0 + 1 : f0;
  double a = x - f0;
  for (int k = 0; k < 3; k++)
    out[k] = (float)((1 - a) * m->frames[f0 * m->frame_dim + k] + a * m->frames[f1 * m->frame_dim + k]);
}

static void test_ref_char_follows_motion(void) {
  static const char *const from[] = {"rand_reset: True", "humanoid_spinkick.pkl"},
                           *const to[] = {"rand_reset: False", "humanoid_walk.pkl"};
  cm_env *e = make_variant(from, to, 2, 2, 9);
  if (!e) return;
  cm_motion walk;
  cm_err err = {{0}};
  CHECK_OK(cm_motion_load(WALK, &walk, &err), &err);
  const cm_dm_buf *b = cm_deepmimic_buf(e);
  const cm_sim_state *s = &e->engine->st;
  const cm_motion_lib_view *v = cm_deepmimic_motions(e);
  int D = e->chr.num_dofs;
  CHECK(b->time_offset[0] == 0.f && b->time_offset[1] == 0.f);
  float prev_x = s->ref_root_pos[0];
  for (int step = 1; step <= 5; step++) {
    step_tracking(e, 1);
    for (int i = 0; i < e->num_envs; i++) {
      float want[3], rr[4], jr[(CM_MAX_BODIES - 1) * 4], dof[CM_MAX_DOFS];
      raw_root_pos(&walk, e->time[i], want);
      CHECK_NEAR(s->ref_root_pos[3 * i + 0], want[0] + 2.0, 1e-4); /* ref_char_offset (2, 0, 0) */
      CHECK_NEAR(s->ref_root_pos[3 * i + 1], want[1], 1e-4);
      CHECK_NEAR(s->ref_root_pos[3 * i + 2], want[2], 1e-4);
      cm_mlib_calc_frame(v, 0, e->time[i], NULL, rr, NULL, NULL, jr, NULL);
      cm_mlib_joint_rot_to_dof(&e->chr, jr, dof);
      for (int k = 0; k < 4; k++) CHECK_NEAR(s->ref_root_rot[4 * i + k], rr[k], 1e-6);
      for (int k = 0; k < D; k++) CHECK_NEAR(s->ref_dof_pos[(size_t)D * i + k], dof[k], 1e-6);
    }
    CHECK(s->ref_root_pos[0] != prev_x); /* it walks */
    /* target obs of the walking reference at 1, 2, 3 steps ahead, against the raw frames:
     * with global_obs offsets from the simulated root; without, distances from target step 0
     * (rotation leaves horizontal lengths alone) */
    cm_dm_params p = *cm_deepmimic_params(e);
    int sd = cm_dm_tar_step_dim(&e->chr, &p);
    float out[3 * 200], r0[3];
    raw_root_pos(&walk, e->time[0] + p.control_dt, r0);
    for (int global = 0; global < 2; global++) {
      p.global_obs = global;
      cm_dm_tar_obs(&e->chr, &p, v, 0, e->time[0], s->root_pos, out);
      for (int j = 0; j < 3; j++) {
        float rj[3];
        raw_root_pos(&walk, e->time[0] + p.control_dt * (j + 1), rj);
        const float *o = out + sd * j;
        CHECK_NEAR(o[2], rj[2], 1e-4);
        if (global) {
          CHECK_NEAR(o[0], rj[0] - s->root_pos[0], 1e-4);
          CHECK_NEAR(o[1], rj[1] - s->root_pos[1], 1e-4);
        } else {
          CHECK_NEAR(hypot(o[0], o[1]), hypot(rj[0] - r0[0], rj[1] - r0[1]), 1e-4);
          if (j > 0) CHECK(hypot(o[0], o[1]) > 0.01);
        }
      }
    }
    prev_x = s->ref_root_pos[0];
  }
  cm_motion_free(&walk);
  cm_env_destroy(e);
}

/* ---- bad input ------------------------------------------------------------------------- */

static void expect_error(const char *from, const char *to, const char *needle) {
  char path[128];
  const char *const f[] = {from}, *const t[] = {to};
  write_variant(path, sizeof path, f, t, 1);
  cm_env *e = NULL;
  cm_err err = {{0}};
  cm_engine_cfg c = engine_cfg();
  int rc = cm_env_create(path, &c, 1, 0, &e, &err);
  CHECK(rc == -1 && e == NULL);
  if (!strstr(err.msg, needle)) fprintf(stderr, "message lacks '%s': %s\n", needle, err.msg);
  CHECK(strstr(err.msg, needle) != NULL);
  unlink(path);
}

static void test_bad_input(void) {
  expect_error("reward_pose_w:", "reward_pos_w:", "did you mean 'reward_pose_w'");
  expect_error("reward_vel_w: 0.1\n", "", "reward_vel_w");
  expect_error("joint_err_w: [1.0, ", "joint_err_w: [", "joint_err_w");
  expect_error("contact_bodies: [\"right_foot\"", "contact_bodies: [\"right_feet\"", "right_feet");
  expect_error("tar_obs_steps: [1, 2, 3]", "tar_obs_steps: [1, 2.5, 3]", "tar_obs_steps");
  expect_error("ref_char_offset: [2.0, 0.0, 0.0]", "ref_char_offset: [2.0, 0.0]", "ref_char_offset");
  expect_error("humanoid_spinkick.pkl", "humanoid_nothing.pkl", "humanoid_nothing.pkl");
}

int main(void) {
  test_shipped_config();
  test_shipped_files();
  test_reward_max_at_reference();
  test_reward_hand_values();
  test_still_target_obs();
  test_phase_obs();
  test_pose_and_time_termination();
  test_contact_termination();
  test_rand_reset();
  test_ref_char_follows_motion();
  test_bad_input();
  return check_report("test_deepmimic");
}
