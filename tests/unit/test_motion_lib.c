/* Motion library: loading (clip, dataset, bad inputs), per-frame preprocessing, interpolation at
 * and between frames, wrap/clamp behaviour past the ends, velocities against finite differences
 * of the interpolated motion, and weighted sampling frequencies. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anim/char.h"
#include "anim/kin.h"
#include "anim/motion.h"
#include "anim/motion_lib.h"
#include "anim/motion_lib_eval.h"
#include "check.h"
#include "core/quat.h"
#include "core/rng.h"

#define HUMANOID_XML "data/assets/humanoid/humanoid.xml"
#define WALK "data/motions/humanoid/humanoid_walk.pkl" /* wrap, 39 frames */
#define KICK "data/motions/humanoid/humanoid_kick.pkl" /* clamp, 47 frames */
#define STEALTHY "data/motions/humanoid/humanoid_stealthy_walk.pkl" /* wrap, an exact cycle */

/* Rotation angle between two unit quaternions (sign-insensitive). */
static double q_angle(const float *a, const float *b) {
  double d = fabs((double)a[0] * b[0] + (double)a[1] * b[1] + (double)a[2] * b[2] + (double)a[3] * b[3]);
  if (d > 1) d = 1;
  return 2 * acos(d);
}

typedef struct {
  float root_pos[3], root_rot[4], root_vel[3], root_ang_vel[3];
  float joint_rot[4 * CM_MAX_BODIES], dof_vel[CM_MAX_DOFS];
} pose;

static pose eval(const cm_motion_lib_view *v, int m, float t) {
  pose p;
  cm_mlib_calc_frame(v, m, t, p.root_pos, p.root_rot, p.root_vel, p.root_ang_vel, p.joint_rot, p.dof_vel);
  return p;
}

static double max_joint_angle(const pose *a, const pose *b, int nj) {
  double w = 0;
  for (int j = 0; j < nj; j++) w = fmax(w, q_angle(a->joint_rot + 4 * j, b->joint_rot + 4 * j));
  return w;
}

static int contains(const char *s, const char *sub) {
  if (!strstr(s, sub)) { fprintf(stderr, "  message '%s' lacks '%s'\n", s, sub); return 0; }
  return 1;
}

static void test_preprocessing(const cm_char *c, const cm_motion_lib *L, const cm_motion *raw) {
  CHECK(L->num_motions == 1 && L->total_frames == 39 && L->num_dofs == 28 && L->num_joints == c->num_bodies - 1);
  CHECK_NEAR(L->weight[0], 1, 0);
  CHECK_NEAR(L->fps[0], raw->fps, 1e-4);
  CHECK_NEAR(L->length[0], 38 / raw->fps, 1e-6);
  CHECK(L->loop_mode[0] == CM_LOOP_WRAP);
  const float *first = raw->frames, *last = raw->frames + 38 * 34;
  CHECK_NEAR(L->root_pos_delta[0], last[0] - first[0], 1e-6);
  CHECK_NEAR(L->root_pos_delta[1], last[1] - first[1], 1e-6);
  CHECK_NEAR(L->root_pos_delta[2], 0, 0);
  CHECK(L->root_pos_delta[0] > 1.0f); /* the walk travels forward along +x */
  int w_nonneg = 1;
  for (int k = 0; k < L->total_frames * L->num_joints; k++) w_nonneg &= L->joint_rot[4 * k + 3] >= 0;
  CHECK(w_nonneg);
  /* last frame's velocities repeat the one before */
  for (int k = 0; k < 3; k++) {
    CHECK_NEAR(L->root_vel[3 * 38 + k], L->root_vel[3 * 37 + k], 0);
    CHECK_NEAR(L->root_ang_vel[3 * 38 + k], L->root_ang_vel[3 * 37 + k], 0);
  }
  for (int k = 0; k < 28; k++) CHECK_NEAR(L->dof_vel[28 * 38 + k], L->dof_vel[28 * 37 + k], 0);
  /* raw frames kept */
  CHECK(memcmp(L->frames, raw->frames, sizeof(float) * 39 * 34) == 0);
}

/* At frame times the interpolated pose is the frame itself; halfway it is the mean position and
 * the rotation halfway along the geodesic. */
static void test_interpolation(const cm_char *c, const cm_motion_lib_view *v, const cm_motion *raw, int m,
                               int last_checked) {
  double fps = raw->fps, worst_pos = 0, worst_rot = 0, worst_dof = 0;
  for (int i = 0; i <= last_checked; i++) {
    pose p = eval(v, m, (float)(i / fps));
    const float *fr = raw->frames + (size_t)i * raw->frame_dim;
    for (int k = 0; k < 3; k++) worst_pos = fmax(worst_pos, fabs(p.root_pos[k] - fr[k]));
    float q[4], dof[CM_MAX_DOFS];
    cm_exp_map_to_quat(q, fr + 3);
    worst_rot = fmax(worst_rot, q_angle(q, p.root_rot));
    cm_mlib_joint_rot_to_dof(c, p.joint_rot, dof);
    float jr[4 * CM_MAX_BODIES];
    cm_kin_dof_to_rot(c, fr + 6, jr);
    for (int j = 0; j < v->num_joints; j++) worst_rot = fmax(worst_rot, q_angle(jr + 4 * j, p.joint_rot + 4 * j));
    for (int k = 0; k < c->num_dofs; k++) worst_dof = fmax(worst_dof, fabs(dof[k] - fr[6 + k]));
  }
  CHECK(worst_pos <= 2e-6);
  CHECK(worst_rot <= 2e-3); /* float acos near 1: 2e-3 rad is cos error 5e-7 */
  CHECK(worst_dof <= 2e-4);
  if (worst_pos > 2e-6 || worst_rot > 2e-3 || worst_dof > 2e-4)
    fprintf(stderr, "frames: pos %.3g rot %.3g dof %.3g\n", worst_pos, worst_rot, worst_dof);

  double worst_mid_pos = 0, worst_mid_rot = 0;
  for (int i = 0; i + 1 <= last_checked; i++) {
    pose p = eval(v, m, (float)((i + 0.5) / fps));
    const float *f0 = raw->frames + (size_t)i * raw->frame_dim, *f1 = f0 + raw->frame_dim;
    for (int k = 0; k < 3; k++) worst_mid_pos = fmax(worst_mid_pos, fabs(p.root_pos[k] - 0.5 * (f0[k] + f1[k])));
    /* expected midpoint: q0 * exp(0.5 * log(q0^-1 q1)) */
    float q0[4], q1[4], inv[4], d[4], e[3], half[4], mid[4];
    cm_exp_map_to_quat(q0, f0 + 3);
    cm_exp_map_to_quat(q1, f1 + 3);
    cm_q_conj(inv, q0);
    cm_q_mul(d, inv, q1);
    cm_quat_to_exp_map(e, d);
    cm_v3_scale(e, e, 0.5f);
    cm_exp_map_to_quat(half, e);
    cm_q_mul(mid, q0, half);
    worst_mid_rot = fmax(worst_mid_rot, q_angle(mid, p.root_rot));
    /* and the same for every joint */
    float j0[4 * CM_MAX_BODIES], j1[4 * CM_MAX_BODIES];
    cm_kin_dof_to_rot(c, f0 + 6, j0);
    cm_kin_dof_to_rot(c, f1 + 6, j1);
    for (int j = 0; j < v->num_joints; j++) {
      cm_q_conj(inv, j0 + 4 * j);
      cm_q_mul(d, inv, j1 + 4 * j);
      cm_quat_to_exp_map(e, d);
      cm_v3_scale(e, e, 0.5f);
      cm_exp_map_to_quat(half, e);
      cm_q_mul(mid, j0 + 4 * j, half);
      worst_mid_rot = fmax(worst_mid_rot, q_angle(mid, p.joint_rot + 4 * j));
    }
  }
  CHECK(worst_mid_pos <= 2e-6);
  CHECK(worst_mid_rot <= 2e-3);
  if (worst_mid_pos > 2e-6 || worst_mid_rot > 2e-3)
    fprintf(stderr, "midpoints: pos %.3g rot %.3g\n", worst_mid_pos, worst_mid_rot);
}

/* Wrap: across the clip end the pose is continuous once the root offset is added (stealthy_walk
 * is an exact cycle: its last pose is its first; DeepMimic's walk is not, it ends 0.12 rad off in
 * heading), and the root offset accumulates by root_pos_delta per cycle (also backwards). */
static void test_wrap(const cm_motion_lib_view *v) {
  float len = v->length[0], eps = 1e-3f;
  pose a = eval(v, 0, len - eps), b = eval(v, 0, len + eps);
  double speed = cm_v3_norm(a.root_vel) + cm_v3_norm(b.root_vel);
  for (int k = 0; k < 3; k++) CHECK_NEAR(a.root_pos[k], b.root_pos[k], 2 * eps * speed + 6e-3);
  CHECK(q_angle(a.root_rot, b.root_rot) < 0.01);
  CHECK(max_joint_angle(&a, &b, v->num_joints) < 0.02);
  /* without the offset the two ends are a whole stride apart */
  CHECK(fabs(b.root_pos[0] - v->root_pos_delta[0] - a.root_pos[0]) > 1.0);

  const float ts[] = {0.1f, 0.37f, 0.9f};
  const int cycles[] = {1, 2, 5, -1, -3};
  for (size_t i = 0; i < 3; i++) {
    pose p0 = eval(v, 0, ts[i]);
    for (size_t c = 0; c < 5; c++) {
      pose p = eval(v, 0, ts[i] + cycles[c] * len);
      for (int k = 0; k < 3; k++)
        CHECK_NEAR(p.root_pos[k], p0.root_pos[k] + cycles[c] * v->root_pos_delta[k], 2e-4 * (1 + abs(cycles[c])));
      CHECK(q_angle(p.root_rot, p0.root_rot) < 2e-3);
      CHECK(max_joint_angle(&p, &p0, v->num_joints) < 2e-3);
    }
  }
  CHECK_NEAR(cm_mlib_phase(v, 0, -0.25f * len), 0.75, 1e-5);
  CHECK_NEAR(cm_mlib_phase(v, 0, 2.5f * len), 0.5, 1e-5);
}

/* Clamp: before the start the first frame, past the end the last frame, no root offset. */
static void test_clamp(const cm_char *c, const cm_motion_lib_view *v, int m, const cm_motion *raw) {
  float len = v->length[m];
  const float *first = raw->frames, *last = raw->frames + (size_t)(raw->num_frames - 1) * raw->frame_dim;
  CHECK_NEAR(cm_mlib_phase(v, m, -1.f), 0, 0);
  CHECK_NEAR(cm_mlib_phase(v, m, 3 * len), 1, 0);
  const float times[] = {len, len + 0.01f, len + 1.f, 4 * len};
  for (size_t i = 0; i < 4; i++) {
    pose p = eval(v, m, times[i]);
    for (int k = 0; k < 3; k++) CHECK_NEAR(p.root_pos[k], last[k], 2e-6);
    float dof[CM_MAX_DOFS];
    cm_mlib_joint_rot_to_dof(c, p.joint_rot, dof);
    for (int k = 0; k < c->num_dofs; k++) CHECK_NEAR(dof[k], last[6 + k], 2e-4);
  }
  pose p = eval(v, m, -0.5f);
  for (int k = 0; k < 3; k++) CHECK_NEAR(p.root_pos[k], first[k], 2e-6);
}

/* Velocities against central differences of calc_frame inside a frame interval (where lerp and
 * slerp move at constant rates, so the difference quotient is exact up to float rounding). */
static void test_velocities(const cm_char *c, const cm_motion_lib_view *v, int m) {
  int n = v->num_frames[m];
  double fps = v->fps[m], h = 0.1 / fps;
  double e_lin = 0, e_ang = 0, e_dof = 0, scale_dof = 0;
  for (int i = 0; i < n - 1; i++) {
    double t = (i + 0.4) / fps;
    pose p = eval(v, m, (float)t), a = eval(v, m, (float)(t - h)), b = eval(v, m, (float)(t + h));
    for (int k = 0; k < 3; k++) e_lin = fmax(e_lin, fabs((b.root_pos[k] - a.root_pos[k]) / (2 * h) - p.root_vel[k]));
    /* world frame: exp-map of q(t+h) q(t-h)^-1 */
    float inv[4], d[4], w[3];
    cm_q_conj(inv, a.root_rot);
    cm_q_mul(d, b.root_rot, inv);
    cm_quat_to_exp_map(w, d);
    for (int k = 0; k < 3; k++) e_ang = fmax(e_ang, fabs(w[k] / (2 * h) - p.root_ang_vel[k]));
    /* joints: local (child-frame) rates for spheres, angle rates for hinges */
    for (int bd = 1; bd < c->num_bodies; bd++) {
      int jt = c->joint_type[bd], di = c->dof_idx[bd];
      const float *qa = a.joint_rot + 4 * (bd - 1), *qb = b.joint_rot + 4 * (bd - 1);
      if (jt == CM_JOINT_SPHERE) {
        cm_q_conj(inv, qa);
        cm_q_mul(d, inv, qb);
        cm_quat_to_exp_map(w, d);
        for (int k = 0; k < 3; k++) {
          e_dof = fmax(e_dof, fabs(w[k] / (2 * h) - p.dof_vel[di + k]));
          scale_dof = fmax(scale_dof, fabs(p.dof_vel[di + k]));
        }
      } else if (jt == CM_JOINT_HINGE) {
        float ang_a = cm_q_twist_angle(qa, c->hinge_axis[bd][0]), ang_b = cm_q_twist_angle(qb, c->hinge_axis[bd][0]);
        e_dof = fmax(e_dof, fabs((ang_b - ang_a) / (2 * h) - p.dof_vel[di]));
        scale_dof = fmax(scale_dof, fabs(p.dof_vel[di]));
      }
    }
  }
  if (e_lin > 2e-3 || e_ang > 1e-2 || e_dof > 1e-2)
    fprintf(stderr, "velocities: lin %.3g ang %.3g dof %.3g (dof scale %.3g)\n", e_lin, e_ang, e_dof, scale_dof);
  CHECK(e_lin <= 2e-3);
  CHECK(e_ang <= 1e-2);
  CHECK(e_dof <= 1e-2);
  CHECK(scale_dof > 1.0); /* the clip really moves, so the comparison means something */
}

/* Three synthetic clips with weights 1, 0, 3: sampled frequencies 1/4, 0, 3/4. */
static void test_sampling(const cm_char *c) {
  int dim = 6 + c->num_dofs;
  cm_motion clips[3];
  float *buf = calloc((size_t)dim * (2 + 3 + 4), sizeof(float));
  int frames[3] = {2, 3, 4};
  float *p = buf;
  for (int i = 0; i < 3; i++) {
    clips[i] = (cm_motion){.loop_mode = i == 1 ? CM_LOOP_CLAMP : CM_LOOP_WRAP, .fps = 10.0 * (i + 1),
                           .num_frames = frames[i], .frame_dim = dim, .frames = p};
    for (int f = 0; f < frames[i]; f++) p[f * dim + 0] = 0.1f * f; /* walk along x */
    p += frames[i] * dim;
  }
  const double weights[3] = {1, 0, 3};
  const char *names[3] = {"a", "b", "c"};
  cm_motion_lib L;
  cm_err err;
  CHECK_OK(cm_motion_lib_build(clips, weights, names, 3, c, &L, &err), &err);
  cm_motion_lib_view v = cm_motion_lib_host_view(&L);
  CHECK_NEAR(L.weight[0], 0.25, 1e-7);
  CHECK_NEAR(L.weight[2], 0.75, 1e-7);
  CHECK(L.start[0] == 0 && L.start[1] == 2 && L.start[2] == 5 && L.total_frames == 9);
  CHECK_NEAR(L.length[2], 3.0 / 30.0, 1e-7);
  CHECK_NEAR(cm_motion_lib_total_length(&L), 0.1 + 0.1 + 0.1, 1e-6);
  CHECK(cm_mlib_sample_motion_u(&v, 0.f) == 0);
  CHECK(cm_mlib_sample_motion_u(&v, 0.2499f) == 0);
  CHECK(cm_mlib_sample_motion_u(&v, 0.25f) == 2);
  CHECK(cm_mlib_sample_motion_u(&v, 0.99999994f) == 2);
  int counts[3] = {0, 0, 0}, N = 200000, time_ok = 1;
  cm_rng rng = cm_rng_make(1234, 0, 0, 7);
  double tsum = 0;
  for (int i = 0; i < N; i++) {
    int m = cm_mlib_sample_motion(&v, &rng);
    counts[m]++;
    float t = cm_mlib_sample_time(&v, m, 0.02f, &rng);
    time_ok &= t >= 0 && t < v.length[m] - 0.02f + 1e-6f;
    if (m == 0) tsum += t;
  }
  CHECK(counts[1] == 0);
  CHECK_NEAR(counts[0] / (double)N, 0.25, 0.005); /* ~5 standard deviations */
  CHECK_NEAR(counts[2] / (double)N, 0.75, 0.005);
  CHECK(time_ok);
  CHECK_NEAR(tsum / counts[0], 0.5 * (0.1 - 0.02), 0.002); /* uniform over [0, len - truncate) */
  /* a 2-frame wrap clip: root offset is 0.1 per cycle */
  float rp[3];
  cm_mlib_calc_frame(&v, 0, 0.25f, rp, NULL, NULL, NULL, NULL, NULL);
  CHECK_NEAR(rp[0], 0.2 + 0.05, 1e-6);
  cm_motion_lib_free(&L);

  /* bad weights */
  const double zero[3] = {0, 0, 0}, nan_w[3] = {1, NAN, 1};
  CHECK(cm_motion_lib_build(clips, zero, names, 3, c, &L, &err) == -1);
  CHECK(contains(err.msg, "all 3 motion weights are 0"));
  CHECK(cm_motion_lib_build(clips, nan_w, names, 3, c, &L, &err) == -1);
  CHECK(contains(err.msg, "b: weight"));
  /* a one-frame clip */
  clips[0].num_frames = 1;
  CHECK(cm_motion_lib_build(clips, weights, names, 3, c, &L, &err) == -1);
  CHECK(contains(err.msg, "a: motion has 1 frame"));
  free(buf);
}

static void test_dataset(const cm_char *c) {
  cm_motion_lib L;
  cm_err err;
  CHECK_OK(cm_motion_lib_load("tests/data/motionlib/dataset_ok.yaml", c, &L, &err), &err);
  CHECK(L.num_motions == 2 && L.total_frames == 39 + 47);
  CHECK_NEAR(L.weight[0], 0.75, 1e-7);
  CHECK_NEAR(L.weight[1], 0.25, 1e-7);
  CHECK(L.loop_mode[0] == CM_LOOP_WRAP && L.loop_mode[1] == CM_LOOP_CLAMP);
  CHECK(L.start[1] == 39);
  CHECK(!strcmp(L.files[1], KICK));
  /* the second clip's frames are its own: evaluate at its frame 3 */
  cm_motion kick;
  if (cm_motion_load(KICK, &kick, &err) == 0) {
    cm_motion_lib_view v = cm_motion_lib_host_view(&L);
    pose p = eval(&v, 1, (float)(3 / kick.fps));
    for (int k = 0; k < 3; k++) CHECK_NEAR(p.root_pos[k], kick.frames[3 * 34 + k], 2e-6);
    cm_motion_free(&kick);
  }
  cm_motion_lib_free(&L);

  /* the shipped locomotion dataset */
  CHECK_OK(cm_motion_lib_load("data/datasets/dataset_humanoid_locomotion.yaml", c, &L, &err), &err);
  CHECK(L.num_motions == 5);
  double wsum = 0;
  for (int m = 0; m < L.num_motions; m++) wsum += L.weight[m];
  CHECK_NEAR(wsum, 1, 1e-6);
  CHECK_NEAR(L.weight[0], 0.3, 1e-6); /* walk: 3 of 10 */
  cm_motion_lib_free(&L);

  struct { const char *file, *a, *b; } bad[] = {
    {"tests/data/motionlib/dataset_bad_weight.yaml", "dataset_bad_weight.yaml:5: motions[1]", "weight -1 must be"},
    {"tests/data/motionlib/dataset_wrong_dofs.yaml", "dataset_wrong_dofs.yaml:4: motions[1]",
     "motion_33_values.pkl: motion has 33 values per frame but the character has 28 dofs (+6 root)"},
    {"tests/data/motionlib/dataset_missing_file.yaml", "dataset_missing_file.yaml:4: motions[1]", "humanoid_moonwalk.pkl"},
    {"tests/data/motionlib/dataset_zero_weights.yaml", "dataset_zero_weights.yaml:2: 'motions'", "weights sum to 0"},
    {"tests/data/motionlib/dataset_no_motions.yaml", "dataset_no_motions.yaml", "missing required key 'motions'"},
    {"tests/data/motionlib/motion_33_values.pkl", "motion_33_values.pkl: motion has 33 values", "28 dofs"},
    {"tests/data/motionlib/nothing_here.pkl", "nothing_here.pkl", ""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err.msg[0] = 0;
    CHECK(cm_motion_lib_load(bad[i].file, c, &L, &err) == -1);
    CHECK(contains(err.msg, bad[i].a));
    CHECK(contains(err.msg, bad[i].b));
    CHECK(L.num_motions == 0 && L.root_pos == NULL);
  }
}

int main(void) {
  cm_char *c = malloc(sizeof *c);
  cm_err err;
  if (cm_char_load(HUMANOID_XML, c, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    free(c);
    return 1;
  }
  cm_motion walk, kick;
  cm_motion_lib L, K, S;
  CHECK_OK(cm_motion_load(WALK, &walk, &err), &err);
  CHECK_OK(cm_motion_load(KICK, &kick, &err), &err);
  CHECK_OK(cm_motion_lib_load(WALK, c, &L, &err), &err);
  CHECK_OK(cm_motion_lib_load(KICK, c, &K, &err), &err);
  CHECK_OK(cm_motion_lib_load(STEALTHY, c, &S, &err), &err);
  if (check_failures == 0) {
    cm_motion_lib_view v = cm_motion_lib_host_view(&L), vk = cm_motion_lib_host_view(&K),
                       vs = cm_motion_lib_host_view(&S);
    test_preprocessing(c, &L, &walk);
    test_interpolation(c, &v, &walk, 0, walk.num_frames - 2); /* wrap: the last frame time is cycle 2's start */
    test_interpolation(c, &vk, &kick, 0, kick.num_frames - 1);
    test_wrap(&vs);
    test_clamp(c, &vk, 0, &kick);
    test_velocities(c, &v, 0);
    test_velocities(c, &vk, 0);
    cm_motion_lib_free(&L);
    cm_motion_lib_free(&K);
    cm_motion_lib_free(&S);
  }
  test_sampling(c);
  test_dataset(c);
  cm_motion_free(&walk);
  cm_motion_free(&kick);
  free(c);
  return check_report("test_motion_lib");
}
