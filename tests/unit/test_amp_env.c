/* The amp-family envs against independent expectations: the discriminator observation of two
 * hand-built frames worked out by hand (AMP local / global / root-tracked anchors, ADD), the
 * history after a reset (root heights of the clip's raw frames at t0 - k dt) and its shift by
 * one frame per step (velocities read straight from the engine), demo observations at known
 * times (rand_reset off: the clip's first frame and its forward-difference velocity), ADD's
 * reference observation at the env's motion time, ASE's default resets, amp's episode end
 * (no success at the clip's end), the task observations and rewards at known states, the
 * seven-part tracking error for known perturbations and its test-mode bookkeeping, and the
 * rl_env bridge's disc_obs copy before a reset. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "anim/motion.h"
#include "check.h"
#include "yaml_variant.h"
#include "env/amp.h"
#include "env/amp_disc.h"
#include "env/deepmimic.h"
#include "env/deepmimic_track.h"
#include "env/env.h"
#include "env/task_location.h"
#include "env/task_steering.h"
#include "learn/rl_env_char.h"

#define AMP_YAML "data/envs/amp_humanoid_env.yaml"
#define ADD_YAML "data/envs/add_humanoid_env.yaml"
#define ASE_YAML "data/envs/ase_humanoid_env.yaml"
#define SPINKICK "data/motions/humanoid/humanoid_spinkick.pkl" /* wraps */
#define KICK "data/motions/humanoid/humanoid_kick.pkl"         /* clamps */
enum { HEAD = 2 };

static cm_engine_cfg engine_cfg(void) {
  cm_engine_cfg c = {.engine_name = "mujoco", .control_mode = CM_CTRL_POS, .control_freq = 30, .sim_freq = 120,
                     .env_spacing = 5, .ground_contact_height = 0.3f, .num_threads = 2};
  return c;
}

/* yaml `base` with substrings replaced, built into n envs. */
static cm_env *make_variant(const char *base, const char *const *from, const char *const *to, int n_sub, int envs,
                            uint64_t seed) {
  char path[128];
  if (yaml_variant(base, from, to, n_sub, "amp", path, sizeof path)) return NULL;
  cm_env *e = NULL;
  cm_err err = {{0}};
  cm_engine_cfg c = engine_cfg();
  CHECK_OK(cm_env_create(path, &c, envs, seed, &e, &err), &err);
  unlink(path);
  return e;
}

/* The root height of a raw clip at time t (wrapped or clamped to the clip, linear between frames). */
static double raw_z(const cm_motion *m, double t) {
  double len = (m->num_frames - 1) / m->fps;
  if (m->loop_mode == CM_LOOP_WRAP) t -= floor(t / len) * len;
  double x = fmin(fmax(t, 0), len) * m->fps;
  int f0 = (int)x, f1 = f0 + 1 < m->num_frames ? f0 + 1 : f0;
  double a = x - f0;
  return (1 - a) * m->frames[f0 * m->frame_dim + 2] + a * m->frames[f1 * m->frame_dim + 2];
}

/* ---- the observation of hand-built frames ---------------------------------------------- */

typedef struct {
  float f[2][512];
} two_frames;

/* Frame 0 (older): root (0.5, 2, 0.8) unrotated, vel (0, 1, 0), ang vel (0, 0, 1), head 0.5 above.
 * Frame 1 (newest): root (1, 2, 0.9) turned 90 deg about z, vel (1, 0, 0), ang vel (0, 0, 2),
 * head at root + (0.1, 0, 0.5). Joints at rest, dof velocity d of frame k = 0.01 d + k. */
static void build_frames(const cm_char *c, two_frames *fr) {
  cm_disc_layout l = cm_disc_layout_of(c);
  memset(fr, 0, sizeof *fr);
  const float root[2][3] = {{0.5f, 2.f, 0.8f}, {1.f, 2.f, 0.9f}}, vel[2][3] = {{0, 1, 0}, {1, 0, 0}},
              ang[2][3] = {{0, 0, 1}, {0, 0, 2}}, head[2][3] = {{0, 0, 0.5f}, {0.1f, 0, 0.5f}};
  for (int k = 0; k < 2; k++) {
    float *f = fr->f[k];
    cm_v3_copy(f + l.rp, root[k]);
    const float z[3] = {0, 0, 1};
    cm_q_from_axis_angle(f + l.rr, z, k ? CM_PI / 2 : 0.f);
    cm_v3_copy(f + l.rv, vel[k]);
    cm_v3_copy(f + l.rav, ang[k]);
    for (int j = 0; j < c->num_bodies - 1; j++) cm_q_identity(f + l.jr + 4 * j);
    for (int d = 0; d < c->num_dofs; d++) f[l.dv + d] = 0.01f * d + k;
    for (int b = 0; b < c->num_bodies; b++) cm_v3_copy(f + l.bp + 3 * b, root[k]);
    cm_v3_add(f + l.bp + 3 * HEAD, root[k], head[k]);
  }
}

static void check_vec(const float *got, const float *want, int n, double tol) {
  for (int k = 0; k < n; k++) CHECK_NEAR(got[k], want[k], tol);
}

static void test_disc_obs_by_hand(const cm_char *c) {
  two_frames fr;
  build_frames(c, &fr);
  int R = cm_disc_layout_of(c).size, B = c->num_bodies, D = c->num_dofs;
  float ring[2 * 512], out[2 * 512];
  /* ring with head 1: slot 1 holds the older frame, slot 0 the newest */
  memcpy(ring + R, fr.f[0], sizeof(float) * R);
  memcpy(ring, fr.f[1], sizeof(float) * R);
  cm_disc_params p = {.steps = 2, .add = 0, .global_obs = 0, .root_height_obs = 1, .track_root = 0,
                      .num_keys = 1, .dt = 1.f / 30};
  p.key_ids[0] = HEAD;
  int fd = 3 + 6 + 6 * (B - 1) + 3 + 6 + D;
  CHECK(cm_disc_frame_dim(c, &p) == fd && fd == 130);
  CHECK(cm_disc_obs(c, &p, ring, 1, out) == 2 * fd);
  /* heading frame of the newest root (turned +90 deg): world (x, y) -> (y, -x) */
  const float f0_pos[] = {0.f, 0.5f, 0.8f, 0, -1, 0, 0, 0, 1}, f1_pos[] = {0, 0, 0.9f, 1, 0, 0, 0, 0, 1};
  check_vec(out, f0_pos, 9, 1e-6);
  check_vec(out + fd, f1_pos, 9, 1e-6);
  const float rest[6] = {1, 0, 0, 0, 0, 1};
  for (int j = 0; j < B - 1; j++) check_vec(out + 9 + 6 * j, rest, 6, 1e-6);
  int kp = 9 + 6 * (B - 1);
  const float key0[] = {0, 0, 0.5f}, key1[] = {0, -0.1f, 0.5f};
  check_vec(out + kp, key0, 3, 1e-6);
  check_vec(out + fd + kp, key1, 3, 1e-6);
  const float v0[] = {1, 0, 0, 0, 0, 1}, v1[] = {0, -1, 0, 0, 0, 2};
  check_vec(out + kp + 3, v0, 6, 1e-6);
  check_vec(out + fd + kp + 3, v1, 6, 1e-6);
  for (int d = 0; d < D; d++) {
    CHECK_NEAR(out[kp + 9 + d], 0.01 * d, 1e-6);
    CHECK_NEAR(out[fd + kp + 9 + d], 0.01 * d + 1, 1e-6);
  }
  /* global_obs: nothing rotated, positions still from the newest root */
  p.global_obs = 1;
  cm_disc_obs(c, &p, ring, 1, out);
  const float g0[] = {-0.5f, 0, 0.8f, 1, 0, 0, 0, 0, 1}, g1[] = {0, 0, 0.9f, 0, 1, 0, 0, 0, 1};
  check_vec(out, g0, 9, 1e-6);
  check_vec(out + fd, g1, 9, 1e-6);
  const float gk1[] = {0.1f, 0, 0.5f}, gv1[] = {1, 0, 0, 0, 0, 2};
  check_vec(out + fd + kp, gk1, 3, 1e-6);
  check_vec(out + fd + kp + 3, gv1, 6, 1e-6);
  /* global root tracking: positions from the origin */
  p.track_root = 1;
  cm_disc_obs(c, &p, ring, 1, out);
  const float t0[] = {0.5f, 2, 0.8f};
  check_vec(out, t0, 3, 1e-6);
  /* no root height: x, y only */
  p.track_root = 0;
  p.global_obs = 0;
  p.root_height_obs = 0;
  CHECK(cm_disc_frame_dim(c, &p) == fd - 1);
  cm_disc_obs(c, &p, ring, 1, out);
  CHECK_NEAR(out[0], 0, 1e-6);
  CHECK_NEAR(out[1], 0.5, 1e-6);
  CHECK_NEAR(out[2], 0, 1e-6); /* the root rotation's tangent x */
  CHECK_NEAR(out[3], -1, 1e-6);
  /* ADD: each frame in its own heading frame, all bodies, root x, y zeroed */
  cm_disc_params a = {.steps = 2, .add = 1, .global_obs = 0};
  int ad = 3 + 6 + 6 * (B - 1) + 3 * B + 6 + D;
  CHECK(cm_disc_frame_dim(c, &a) == ad && ad == 172);
  cm_disc_obs(c, &a, ring, 1, out);
  const float a0[] = {0, 0, 0.8f, 1, 0, 0, 0, 0, 1}, a1[] = {0, 0, 0.9f, 1, 0, 0, 0, 0, 1};
  check_vec(out, a0, 9, 1e-6);
  check_vec(out + ad, a1, 9, 1e-6);
  int bp = 9 + 6 * (B - 1);
  const float head1[] = {0, -0.1f, 0.5f}, zero[3] = {0, 0, 0};
  check_vec(out + ad + bp, zero, 3, 1e-6); /* the root body */
  check_vec(out + ad + bp + 3 * HEAD, head1, 3, 1e-6);
  const float av0[] = {0, 1, 0, 0, 0, 1}, av1[] = {0, -1, 0, 0, 0, 2};
  check_vec(out + bp + 3 * B, av0, 6, 1e-6);
  check_vec(out + ad + bp + 3 * B, av1, 6, 1e-6);
  a.global_obs = 1;
  cm_disc_obs(c, &a, ring, 1, out);
  const float ag1[] = {1, 2, 0.9f, 0, 1, 0};
  check_vec(out + ad, ag1, 6, 1e-6);
}

/* ---- history after reset and after steps ------------------------------------------------ */

static void test_history(void) {
  static const char *const from[] = {"num_disc_obs_steps: 10", "rand_reset: True", "humanoid_spinkick.pkl"},
                           *const to[] = {"num_disc_obs_steps: 3", "rand_reset: False", "humanoid_kick.pkl"};
  cm_env *e = make_variant(AMP_YAML, from, to, 3, 2, 5);
  if (!e) return;
  cm_motion kick;
  cm_err err = {{0}};
  CHECK_OK(cm_motion_load(KICK, &kick, &err), &err);
  const cm_char *c = &e->chr;
  int B = c->num_bodies, D = c->num_dofs, fd = 3 + 6 + 6 * (B - 1) + 3 * 5 + 6 + D, T = 3;
  CHECK(e->disc_obs_dim == T * fd);
  double dt = cm_env_dt(e);
  /* after the reset (time 0 of the clip): frames at -2 dt, -dt, 0 all hold the first frame */
  for (int k = 0; k < T; k++) CHECK_NEAR(e->disc_obs[fd * k + 2], raw_z(&kick, 0), 1e-5);
  /* steps: the older frames are the previous observation's newer ones; the newest is the
   * engine's state (global_obs: velocities are not rotated) */
  float *prev = malloc(sizeof(float) * e->disc_obs_dim * 2), *act = calloc((size_t)e->act_dim * 2, sizeof(float));
  int vel = 3 + 6 + 6 * (B - 1) + 15;
  for (int s = 0; s < 4; s++) {
    memcpy(prev, e->disc_obs, sizeof(float) * e->disc_obs_dim * 2);
    CHECK_OK(cm_env_step(e, act, &err), &err);
    for (int i = 0; i < 2; i++) {
      const float *o = e->disc_obs + e->disc_obs_dim * i, *po = prev + e->disc_obs_dim * i;
      for (int k = 0; k < T - 1; k++)
        for (int j = 2; j < fd; j++) CHECK_NEAR(o[fd * k + j], po[fd * (k + 1) + j], 1e-6);
      const float *nw = o + fd * (T - 1);
      const cm_sim_state *st = &e->engine->st;
      CHECK_NEAR(nw[2], st->root_pos[3 * i + 2], 1e-6);
      check_vec(nw + vel, st->root_vel + 3 * i, 3, 1e-6);
      check_vec(nw + vel + 3, st->root_ang_vel + 3 * i, 3, 1e-6);
      check_vec(nw + vel + 6, st->dof_vel + (size_t)D * i, D, 1e-6);
    }
  }
  /* a reset of env 1 refills its history from the clip; env 0 keeps its own */
  memcpy(prev, e->disc_obs, sizeof(float) * e->disc_obs_dim * 2);
  int one = 1;
  cm_env_reset(e, &one, 1);
  for (int k = 0; k < T; k++) CHECK_NEAR(e->disc_obs[e->disc_obs_dim + fd * k + 2], raw_z(&kick, 0), 1e-5);
  for (int j = 0; j < e->disc_obs_dim; j++) CHECK_NEAR(e->disc_obs[j], prev[j], 0);
  /* with a start time t0 the history holds the clip at t0 - 2 dt, t0 - dt, t0 */
  cm_dm_buf *b = cm_deepmimic_buf(e);
  cm_amp_env *a = cm_amp_of(e);
  const cm_motion_lib_view *v = cm_deepmimic_motions(e);
  float t0 = 0.7f;
  cm_disc_fill_from_motion(c, &a->dp, v, 0, t0, a->hist + (size_t)T * a->frame_size, a->head);
  b->time_offset[1] = t0;
  cm_amp_env_compute_obs(e);
  for (int k = 0; k < T; k++) CHECK_NEAR(e->disc_obs[e->disc_obs_dim + fd * k + 2], raw_z(&kick, t0 - (T - 1 - k) * dt), 1e-5);
  /* amp episodes do not end at the clip's end (deepmimic's would succeed there) */
  CHECK(cm_deepmimic_params(e)->motion_end_succ == 0);
  free(prev);
  free(act);
  cm_motion_free(&kick);
  cm_env_destroy(e);
}

/* ---- demo observations ------------------------------------------------------------------ */

static void test_demo_obs(void) {
  static const char *const from[] = {"num_disc_obs_steps: 10", "rand_reset: True", "humanoid_spinkick.pkl"},
                           *const to[] = {"num_disc_obs_steps: 2", "rand_reset: False", "humanoid_kick.pkl"};
  cm_env *e = make_variant(AMP_YAML, from, to, 3, 1, 3);
  if (!e) return;
  cm_motion kick;
  cm_err err = {{0}};
  CHECK_OK(cm_motion_load(KICK, &kick, &err), &err);
  int B = e->chr.num_bodies, fd = e->disc_obs_dim / 2, vel = 3 + 6 + 6 * (B - 1) + 15;
  float *d = malloc(sizeof(float) * e->disc_obs_dim * 5);
  CHECK_OK(cm_env_fetch_disc_obs_demo(e, 5, d, &err), &err);
  /* time 0 of a clamp clip: both frames are the first one; root velocity its forward difference */
  const float *f0 = kick.frames, *f1 = kick.frames + kick.frame_dim;
  for (int j = 0; j < 5; j++)
    for (int k = 0; k < 2; k++) {
      const float *o = d + e->disc_obs_dim * j + fd * k;
      CHECK_NEAR(o[0], 0, 1e-6); /* relative to the newest root: the same point */
      CHECK_NEAR(o[2], f0[2], 1e-6);
      for (int x = 0; x < 3; x++) CHECK_NEAR(o[vel + x], (f1[x] - f0[x]) * kick.fps, 1e-3);
    }
  cm_env_destroy(e);
  /* with rand_reset: different draws per sample and per call, the same for the same seed */
  cm_env *a = make_variant(AMP_YAML, NULL, NULL, 0, 1, 11), *b = make_variant(AMP_YAML, NULL, NULL, 0, 1, 11);
  if (a && b) {
    int n = a->disc_obs_dim;
    float *x = malloc(sizeof(float) * n * 4), *y = malloc(sizeof(float) * n * 4);
    CHECK_OK(cm_env_fetch_disc_obs_demo(a, 4, x, &err), &err);
    CHECK_OK(cm_env_fetch_disc_obs_demo(b, 4, y, &err), &err);
    CHECK(memcmp(x, y, sizeof(float) * n * 4) == 0);
    CHECK(memcmp(x, x + n, sizeof(float) * n) != 0);
    CHECK_OK(cm_env_fetch_disc_obs_demo(a, 4, y, &err), &err);
    CHECK(memcmp(x, y, sizeof(float) * n * 4) != 0);
    free(x);
    free(y);
  }
  cm_env_destroy(a);
  cm_env_destroy(b);
  /* deepmimic has none */
  cm_env *dm = make_variant("data/envs/deepmimic_humanoid_env.yaml", NULL, NULL, 0, 1, 1);
  if (dm) {
    CHECK(dm->disc_obs_dim == 0 && cm_env_fetch_disc_obs_demo(dm, 1, d, &err) == -1);
    cm_env_destroy(dm);
  }
  free(d);
  cm_motion_free(&kick);
}

/* ADD: disc_obs_demo is the reference at the env's motion time (global_obs: absolute root). */
static void test_add(void) {
  cm_env *e = make_variant(ADD_YAML, NULL, NULL, 0, 2, 4);
  if (!e) return;
  cm_motion kick;
  cm_err err = {{0}};
  CHECK_OK(cm_motion_load(SPINKICK, &kick, &err), &err);
  CHECK(e->disc_obs_dim == 172 && e->disc_obs_demo != NULL);
  CHECK(cm_deepmimic_params(e)->motion_end_succ == 1);
  cm_dm_buf *b = cm_deepmimic_buf(e);
  cm_rl_env rl;
  CHECK_OK(cm_rl_env_from_char(&rl, e, &err), &err);
  CHECK(rl.disc_obs_dim == 172 && rl.disc_obs && rl.disc_obs_demo && rl.fetch_disc_obs_demo && rl.env_stats);
  float *obs = malloc(sizeof(float) * e->obs_dim * 4), *act = calloc((size_t)e->act_dim * 2, sizeof(float)), r[2];
  uint8_t done[2];
  CHECK_OK(rl.reset(rl.ctx, obs, &err), &err);
  for (int s = 0; s < 3; s++) {
    CHECK_OK(rl.step(rl.ctx, act, obs, obs + e->obs_dim * 2, r, done, &err), &err);
    for (int i = 0; i < 2; i++) {
      if (done[i]) continue;
      double t = e->time[i] + b->time_offset[i];
      CHECK_NEAR(rl.disc_obs_demo[172 * i + 2], raw_z(&kick, t), 1e-4);
      CHECK_NEAR(rl.disc_obs[172 * i + 2], e->engine->st.root_pos[3 * i + 2], 1e-6);
      CHECK(r[i] == 0.f);
    }
  }
  /* the bridge keeps the step's values from the reset: force env 0 to fail and compare */
  cm_env_reset(e, NULL, 0);
  b->time_offset[0] = 0.f;
  e->engine->st.root_pos[2] = 0.05f; /* on the ground: pose termination ends it */
  e->engine->ops->push_state(e->engine, NULL, 0);
  CHECK_OK(rl.step(rl.ctx, act, obs, obs + e->obs_dim * 2, r, done, &err), &err);
  if (done[0] == CM_DONE_FAIL) CHECK(rl.disc_obs[2] < 0.5f && e->disc_obs[2] > 0.5f);
  CHECK(done[0] == CM_DONE_FAIL);
  cm_rl_env_destroy(&rl);
  free(obs);
  free(act);
  cm_motion_free(&kick);
  cm_env_destroy(e);
}

/* ASE: default_reset_prob 1 puts every reset in the init pose at rest; 0 in the reference. */
static void test_ase_default_reset(void) {
  static const char *const one[] = {"default_reset_prob: 0.5"}, *const p1[] = {"default_reset_prob: 1.0"},
                           *const p0[] = {"default_reset_prob: 0.0"};
  (void)one;
  cm_env *e = make_variant(ASE_YAML, one, p1, 1, 3, 2), *f = make_variant(ASE_YAML, one, p0, 1, 3, 2);
  if (e && f) {
    const cm_sim_state *s = &e->engine->st, *t = &f->engine->st;
    cm_dm_buf *b = cm_deepmimic_buf(f);
    for (int i = 0; i < 3; i++) {
      CHECK_NEAR(s->root_pos[3 * i + 2], 0.882416, 1e-5);
      CHECK_NEAR(s->dof_pos[28 * i + 6], 1.5708, 1e-5);  /* init_pose's arm dofs */
      CHECK_NEAR(s->dof_pos[28 * i + 10], -1.5708, 1e-5);
      CHECK_NEAR(cm_v3_norm(s->root_vel + 3 * i), 0, 0);
      CHECK_NEAR(t->root_pos[3 * i + 2], b->root_pos[3 * i + 2], 1e-6);
    }
  }
  cm_env_destroy(e);
  cm_env_destroy(f);
}

/* ---- tasks ------------------------------------------------------------------------------ */

static void test_task_functions(void) {
  const float z[3] = {0, 0, 1}, root[3] = {0, 0, 0.9f};
  float id[4], r90[4], out[8];
  cm_q_identity(id);
  cm_q_from_axis_angle(r90, z, CM_PI / 2);
  cm_loc_params lp = {.tar_speed = 1.f, .dt = 0.1f};
  /* moving at 1 m/s straight at a target 5 m away, facing +x */
  float tar[3] = {3, 4, 0}, prev[3] = {-0.06f, -0.08f, 0.9f};
  CHECK_NEAR(cm_loc_reward(&lp, root, prev, id, tar), 0.5 * exp(-12.5) + 0.4 + 0.1 * 0.6, 1e-5);
  /* moving away: no velocity term */
  float tar2[3] = {3, 0, 0}, away[3] = {0.1f, 0, 0.9f};
  CHECK_NEAR(cm_loc_reward(&lp, root, away, id, tar2), 0.5 * exp(-4.5) + 0.1, 1e-5);
  /* within sqrt(0.5) m: velocity and facing terms are full */
  float near[3] = {0.5f, 0, 0};
  CHECK_NEAR(cm_loc_reward(&lp, root, root, r90, near), 0.5 * exp(-0.125) + 0.5, 1e-5);
  /* obs in the heading frame: turned +90 deg, the target (3, 4) reads (4, -3) */
  CHECK(cm_loc_obs(root, r90, tar, out) == 2);
  CHECK_NEAR(out[0], 4, 1e-5);
  CHECK_NEAR(out[1], -3, 1e-5);
  cm_steer_params sp = {.tar_w = 0.7f, .face_w = 0.3f, .vel_scale = 0.5f, .dt = 0.1f};
  float dir[2] = {1, 0}, face[2] = {0, 1};
  float p2[3] = {-0.2f, 0, 0.9f}, p11[3] = {-0.1f, -0.1f, 0.9f}, back[3] = {0.1f, 0, 0.9f};
  CHECK_NEAR(cm_steer_reward(&sp, root, p2, r90, dir, 2.f, face), 1.0, 1e-5);
  CHECK_NEAR(cm_steer_reward(&sp, root, p11, id, dir, 2.f, face), 0.7 * exp(-1.0), 1e-5);
  CHECK_NEAR(cm_steer_reward(&sp, root, back, r90, dir, 2.f, face), 0.3, 1e-5);
  cm_steer_errors(&sp, root, p11, id, dir, 2.f, face, out);
  CHECK_NEAR(out[0], 1.0, 1e-5);
  CHECK_NEAR(out[1], CM_PI / 2, 1e-5);
  CHECK(cm_steer_obs(r90, dir, 2.f, face, out) == 5);
  const float so[5] = {0, -1, 2, 1, 0};
  check_vec(out, so, 5, 1e-6);
  /* draws stay in their ranges; without rand_face_dir the facing is the direction */
  cm_steer_params dp = {.rand_tar_dir = 1, .rand_face_dir = 0, .tar_speed_min = 0.5f, .tar_speed_max = 5.f};
  for (int k = 0; k < 50; k++) {
    cm_rng rng = cm_rng_make(1, (uint32_t)k, 0, 7);
    float d[2], f[2], s;
    cm_steer_draw(&dp, &rng, d, f, &s);
    CHECK(s >= 0.5f && s <= 5.f);
    CHECK_NEAR(hypot(d[0], d[1]), 1, 1e-6);
    CHECK(d[0] == f[0] && d[1] == f[1]);
    float t[3];
    cm_loc_params l2 = {.tar_dist_max = 10.f};
    cm_loc_draw_target(&l2, root, &rng, t);
    CHECK(hypot(t[0], t[1]) <= 10.f + 1e-5 && t[2] == 0.f);
  }
}

/* The task envs: obs size, reward within its range, target changes, test figures. */
static void test_task_envs(void) {
  cm_err err = {{0}};
  const char *yamls[] = {"data/envs/amp_location_humanoid_env.yaml", "data/envs/amp_steering_humanoid_env.yaml"};
  const char *key[] = {"Location_Success_Rate", "Steering_Speed_Err"};
  int extra[] = {2, 5};
  for (int y = 0; y < 2; y++) {
    static const char *const from[] = {"tar_change_time_min: ", "tar_change_time_max: "},
                             *const to[] = {"tar_change_time_min: 0.1 #", "tar_change_time_max: 0.1 #"};
    cm_env *e = make_variant(yamls[y], from, to, 2, 2, 8);
    if (!e) continue;
    CHECK(e->obs_dim == 140 + extra[y] && e->disc_obs_dim == 10 * 142);
    const char *k[16];
    double v[16];
    cm_env_set_mode(e, 1);
    float *act = calloc((size_t)e->act_dim * 2, sizeof(float)), first[3];
    cm_marker m[4];
    CHECK(cm_env_markers(e, 0, m, 4) == 2);
    memcpy(first, m[0].pos, sizeof first);
    for (int s = 0; s < 6; s++) {
      CHECK_OK(cm_env_step(e, act, &err), &err);
      for (int i = 0; i < 2; i++) CHECK(e->reward[i] >= 0.f && e->reward[i] <= 1.f + 1e-6f);
    }
    /* the target changed after 0.1 s (3 steps) */
    CHECK(cm_env_markers(e, 0, m, 4) == 2);
    CHECK(memcmp(first, m[0].pos, sizeof first) != 0 || y == 1);
    int n = cm_env_stats(e, k, v, 16);
    CHECK(n == 3 && !strcmp(k[0], key[y]) && isfinite(v[0]) && isfinite(v[1]) && v[0] >= 0);
    if (y == 0) CHECK(v[0] <= 1.0 && v[1] > 0);
    free(act);
    cm_env_destroy(e);
  }
}

/* Location success bookkeeping: a target drawn at the root (tar_dist_max 0) is reached, one
 * 1000 m away is not; a target's trial ends at the episode's reset; train steps do not count. */
static void test_location_success(void) {
  const char *dist[] = {"tar_dist_max: 0.0 #", "tar_dist_max: 1000.0 #"};
  double want_rate[] = {1.0, 0.0};
  for (int y = 0; y < 2; y++) {
    static const char *const from[] = {"tar_dist_max: ", "tar_change_time_min: ", "tar_change_time_max: "};
    const char *to[] = {dist[y], "tar_change_time_min: 1000 #", "tar_change_time_max: 1000 #"};
    cm_env *e = make_variant("data/envs/amp_location_humanoid_env.yaml", from, to, 3, 1, 2);
    if (!e) continue;
    cm_err err = {{0}};
    float *act = calloc((size_t)e->act_dim, sizeof(float));
    const char *k[16];
    double v[16];
    CHECK_OK(cm_env_step(e, act, &err), &err); /* train mode: not counted */
    CHECK(cm_env_stats(e, k, v, 16) == 3 && v[0] == 0 && v[1] == 0);
    cm_env_set_mode(e, 1);
    cm_env_reset(e, NULL, 0); /* closes nothing: no test step yet */
    for (int s = 0; s < 2; s++) CHECK_OK(cm_env_step(e, act, &err), &err);
    cm_env_reset(e, NULL, 0); /* the trial ends with the episode */
    CHECK(cm_env_stats(e, k, v, 16) == 3);
    CHECK_NEAR(v[0], want_rate[y], 0);
    if (y == 0) CHECK(v[1] < CM_LOC_SUCCESS_DIST);
    else CHECK(v[1] > 1.0);
    free(act);
    cm_env_destroy(e);
  }
}

/* ---- tracking error --------------------------------------------------------------------- */

static void test_tracking_error(void) {
  static const char *const from[] = {"log_tracking_error: "}, *const to[] = {"log_tracking_error: True #"};
  cm_env *e = make_variant("data/envs/deepmimic_humanoid_env.yaml", from, to, 1, 1, 6);
  if (!e) return;
  cm_dm_buf *b = cm_deepmimic_buf(e);
  cm_sim_state *s = &e->engine->st;
  float err7[7];
  /* after reference-state init the character is the reference */
  cm_dm_tracking_error(&e->chr, s, b, 0, err7);
  for (int k = 0; k < 7; k++) CHECK_NEAR(err7[k], 0, 2e-4);
  /* known perturbations: root (and every body) moved 0.3 m, root turned 0.2 rad about z,
   * one dof velocity off by 0.56 (28 dofs), root angular velocity off by 0.9 on one axis,
   * root velocity off by (0.3, -0.6, 0) */
  for (int bb = 0; bb < e->chr.num_bodies; bb++) s->body_pos[3 * bb] += 0.3f;
  s->root_pos[0] += 0.3f;
  float q[4], rz[4];
  const float z[3] = {0, 0, 1};
  cm_q_from_axis_angle(rz, z, 0.2f);
  cm_q_mul(q, rz, s->root_rot);
  cm_q_copy(s->root_rot, q);
  s->dof_vel[5] += 0.56f;
  s->root_ang_vel[1] += 0.9f;
  s->root_vel[0] += 0.3f;
  s->root_vel[1] -= 0.6f;
  cm_dm_tracking_error(&e->chr, s, b, 0, err7);
  const float want[7] = {0.3f, 0.2f, 0, 0, 0.02f, 0.3f, 0.3f};
  check_vec(err7, want, 7, 3e-4);
  /* bookkeeping: nothing in train mode; test mode starts afresh and reports means */
  cm_env_reset(e, NULL, 0);
  float *act = calloc((size_t)e->act_dim, sizeof(float));
  cm_err er = {{0}};
  const char *k[16];
  double v[16];
  CHECK_OK(cm_env_step(e, act, &er), &er);
  CHECK(cm_env_stats(e, k, v, 16) == 8 && !strcmp(k[0], "Root_Pos_Err") && !strcmp(k[6], "Root_Ang_Vel_Err"));
  /* the engine's count of non-finite resets comes last: none in a sane run */
  CHECK(!strcmp(k[7], "Engine_Resets") && v[7] == 0);
  for (int j = 0; j < 7; j++) CHECK(v[j] == 0);
  cm_env_set_mode(e, 1);
  for (int st = 0; st < 5; st++) CHECK_OK(cm_env_step(e, act, &er), &er);
  CHECK(cm_env_stats(e, k, v, 16) == 8);
  for (int j = 0; j < 7; j++) CHECK(v[j] > 0 && isfinite(v[j]));
  double again[16];
  CHECK(cm_env_stats(e, k, again, 16) == 8 && again[0] == v[0]); /* nothing new: the last means */
  free(act);
  cm_env_destroy(e);
  /* the shipped deepmimic and add configs report it in test mode */
  const char *shipped[] = {"data/envs/deepmimic_humanoid_env.yaml", ADD_YAML};
  for (int y = 0; y < 2; y++) {
    cm_env *x = make_variant(shipped[y], NULL, NULL, 0, 1, 1);
    if (!x) continue;
    float *a0 = calloc((size_t)x->act_dim, sizeof(float));
    cm_env_set_mode(x, 1);
    CHECK_OK(cm_env_step(x, a0, &er), &er);
    CHECK(cm_env_stats(x, k, v, 16) == 8 && v[0] > 0);
    free(a0);
    cm_env_destroy(x);
  }
}

int main(void) {
  cm_char *c = malloc(sizeof *c);
  cm_err err = {{0}};
  CHECK_OK(cm_char_load("data/assets/humanoid/humanoid.xml", c, &err), &err);
  test_disc_obs_by_hand(c);
  free(c);
  test_history();
  test_demo_obs();
  test_add();
  test_ase_default_reset();
  test_task_functions();
  test_task_envs();
  test_location_success();
  test_tracking_error();
  return check_report("test_amp_env");
}
