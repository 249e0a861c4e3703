/* Retargeting (anim/retarget.h), checked against independent expectations:
 *   - humanoid -> humanoid with the identity map reproduces the clip: every joint rotation
 *     within 0.01 rad, every body's horizontal position within 1 cm (the floor fix may move the
 *     root vertically, by the same amount for every body);
 *   - humanoid -> G1 walk: every dof inside its MJCF range; MuJoCo itself (the character and a
 *     floor, mj_forward) finds no foot deeper than 2 mm in the floor in any frame; frame-to-frame
 *     dof changes no larger than twice the source's largest joint rotation per frame; key-body
 *     error below 10 cm on average;
 *   - a clip with the wrong number of values per frame is refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "anim/kin.h"
#include "anim/retarget.h"
#include "anim/mjcf.h"

#define WALK "data/motions/humanoid/humanoid_walk.pkl"

static int load_pair(const char *map_file, cm_char *src, cm_char *dst, cm_retarget_map *map, cm_err *err) {
  if (cm_retarget_map_load(map_file, NULL, NULL, map, err) || cm_char_load(map->src_file, src, err) ||
      cm_char_load(map->dst_file, dst, err))
    return -1;
  return cm_retarget_map_load(map_file, src, dst, map, err);
}

static float quat_angle(const float *a, const float *b) {
  float c[4], r[4];
  cm_q_conj(c, a);
  cm_q_mul(r, c, b);
  return 2.f * atan2f(sqrtf(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]), fabsf(r[3]));
}

static void frame_fk(const cm_char *c, const float *fr, float *jrot, float *bp, float *br) {
  float rr[4];
  cm_exp_map_to_quat(rr, fr + 3);
  cm_kin_dof_to_rot(c, fr + 6, jrot);
  cm_kin_fk(c, fr, rr, jrot, bp, br);
}

static cm_char src, dst;
static cm_retarget_map map;

static void identity(void) {
  cm_err err = {0};
  CHECK_OK(load_pair("data/retarget/humanoid_to_humanoid.yaml", &src, &dst, &map, &err), &err);
  cm_motion in, out;
  cm_retarget_stats st;
  CHECK_OK(cm_motion_load(WALK, &in, &err), &err);
  CHECK_OK(cm_retarget(&src, &dst, &map, &in, &out, &st, &err), &err);
  CHECK(out.num_frames == in.num_frames && out.frame_dim == in.frame_dim);
  float ja[CM_MAX_BODIES * 4], jb[CM_MAX_BODIES * 4], pa[CM_MAX_BODIES * 3], pb[CM_MAX_BODIES * 3],
      ra[CM_MAX_BODIES * 4], rb[CM_MAX_BODIES * 4];
  float max_rot = 0, max_xy = 0, max_dz_spread = 0;
  for (int f = 0; f < in.num_frames; f++) {
    frame_fk(&src, in.frames + f * in.frame_dim, ja, pa, ra);
    frame_fk(&dst, out.frames + f * out.frame_dim, jb, pb, rb);
    float dz0 = pb[2] - pa[2];
    for (int b = 0; b < src.num_bodies; b++) {
      max_rot = fmaxf(max_rot, quat_angle(ra + 4 * b, rb + 4 * b));
      max_xy = fmaxf(max_xy, hypotf(pb[3 * b] - pa[3 * b], pb[3 * b + 1] - pa[3 * b + 1]));
      max_dz_spread = fmaxf(max_dz_spread, fabsf((pb[3 * b + 2] - pa[3 * b + 2]) - dz0));
    }
  }
  printf("identity: max body rotation error %.5f rad, horizontal %.5f m, vertical spread %.5f m, scale %.3f\n",
         max_rot, max_xy, max_dz_spread, st.scale);
  CHECK(max_rot < 0.01f);
  CHECK(max_xy < 0.01f);
  CHECK(max_dz_spread < 0.01f);
  CHECK_NEAR(st.scale, 1.0, 1e-6);
  cm_motion_free(&out);

  /* wrong frame width */
  cm_motion bad = in;
  bad.frame_dim = in.frame_dim - 1;
  CHECK(cm_retarget(&src, &dst, &map, &bad, &out, &st, &err) == -1);
  CHECK(strstr(err.msg, "values per frame") != NULL);
  cm_motion_free(&in);
}

static void g1_walk(void) {
  cm_err err = {0};
  CHECK_OK(load_pair("data/retarget/humanoid_to_g1.yaml", &src, &dst, &map, &err), &err);
  cm_motion in, out;
  cm_retarget_stats st;
  CHECK_OK(cm_motion_load(WALK, &in, &err), &err);
  CHECK_OK(cm_retarget(&src, &dst, &map, &in, &out, &st, &err), &err);
  CHECK(out.frame_dim == 6 + 29);
  int outside = 0;
  float max_step = 0, src_step = 0;
  float ja[CM_MAX_BODIES * 4], jb[CM_MAX_BODIES * 4];
  for (int f = 0; f < out.num_frames; f++) {
    const float *d = out.frames + f * out.frame_dim + 6;
    for (int k = 0; k < dst.num_dofs; k++) {
      outside += d[k] < dst.dof_low[k] - 1e-5f || d[k] > dst.dof_high[k] + 1e-5f;
      if (f > 0) max_step = fmaxf(max_step, fabsf(d[k] - d[k - out.frame_dim]));
    }
    if (f > 0) {
      cm_kin_dof_to_rot(&src, in.frames + f * in.frame_dim + 6, ja);
      cm_kin_dof_to_rot(&src, in.frames + (f - 1) * in.frame_dim + 6, jb);
      for (int b = 0; b < src.num_bodies - 1; b++) src_step = fmaxf(src_step, quat_angle(ja + 4 * b, jb + 4 * b));
    }
  }
  /* the MuJoCo oracle for the floor */
  cm_mjcf_opts o = {.add_scene = 1};
  mjModel *m = NULL;
  CHECK_OK(cm_mjcf_compile(map.dst_file, &o, &m, NULL, &err), &err);
  double deepest = 0;
  if (m) {
    mjData *d = mj_makeData(m);
    int floor = mj_name2id(m, mjOBJ_GEOM, "cm_floor");
    float qpos[256], rr[4];
    for (int f = 0; f < out.num_frames; f++) {
      const float *fr = out.frames + f * out.frame_dim;
      cm_exp_map_to_quat(rr, fr + 3);
      cm_kin_pose_to_qpos(&dst, fr, rr, fr + 6, qpos);
      for (int i = 0; i < m->nq; i++) d->qpos[i] = qpos[i];
      mj_forward(m, d);
      for (int i = 0; i < d->ncon; i++)
        if (d->contact[i].geom1 == floor || d->contact[i].geom2 == floor) deepest = fmin(deepest, d->contact[i].dist);
    }
    mj_deleteData(d);
    mj_deleteModel(m);
  }
  printf("g1 walk: %d dofs outside ranges, deepest floor contact %.4f m, largest dof step %.3f rad (source joint "
         "%.3f rad), key-body error mean %.4f max %.4f m\n",
         outside, deepest, max_step, src_step, st.mean_pos_err, st.max_pos_err);
  CHECK(outside == 0 && st.limit_violations == 0);
  CHECK(deepest > -0.002);
  CHECK(max_step <= 2.f * src_step);
  CHECK(st.mean_pos_err < 0.1);
  cm_motion_free(&in);
  cm_motion_free(&out);
}

static void quiet(const char *msg) { (void)msg; }

int main(void) {
  mju_user_warning = quiet;
  identity();
  g1_walk();
  return check_report("test_retarget");
}
