/* BVH conversion (anim/bvh.h) against an independent forward kinematics: the test composes each
 * joint's rotation matrices in the BVH's own Y-up frame (channel order as written, degrees) and
 * maps the world joint positions to Z-up by (x, y, z) -> (z, x, y) and cm -> m; the converted
 * MJCF (loaded as a cm_char) and clip (through cm_kin) must put every joint at the same points.
 * Also: bad BVH input fails with a line number. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "anim/bvh.h"
#include "anim/char.h"
#include "anim/kin.h"
#include "core/fileio.h"

static const char k_bvh[] =
    "HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0 0\n  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
    "  JOINT LeftUpLeg\n  {\n    OFFSET 10 -5 0\n    CHANNELS 3 Zrotation Xrotation Yrotation\n"
    "    JOINT LeftLeg\n    {\n      OFFSET 0 -40 2\n      CHANNELS 3 Zrotation Xrotation Yrotation\n"
    "      End Site\n      {\n        OFFSET 0 -42 0\n      }\n    }\n  }\n"
    "  JOINT Spine\n  {\n    OFFSET 0 12 -1\n    CHANNELS 3 Xrotation Yrotation Zrotation\n"
    "    End Site\n    {\n      OFFSET 0 30 0\n    }\n  }\n}\n"
    "MOTION\nFrames: 3\nFrame Time: 0.0333333\n"
    "0 90 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "5 88 -3 10 20 -30 15 -5 40 60 10 -20 30 -10 25\n"
    "-2 91 7 -45 5 170 -80 30 10 0 -90 45 5 60 -120\n";

typedef struct { double m[3][3]; } mat;

static mat mat_mul(mat a, mat b) {
  mat r;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) r.m[i][j] = a.m[i][0] * b.m[0][j] + a.m[i][1] * b.m[1][j] + a.m[i][2] * b.m[2][j];
  return r;
}

static mat rot(char axis, double deg) {
  double a = deg * M_PI / 180, c = cos(a), s = sin(a);
  mat r = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  int i = axis == 'X' ? 1 : 0, j = axis == 'Z' ? 1 : 2; /* the plane the rotation turns */
  if (axis == 'Y') { i = 2; j = 0; }
  r.m[i][i] = c; r.m[i][j] = -s; r.m[j][i] = s; r.m[j][j] = c;
  return r;
}

int main(void) {
  cm_err err = {0};
  static cm_bvh b;
  CHECK_OK(cm_bvh_parse(k_bvh, "t.bvh", &b, &err), &err);
  CHECK(b.num_joints == 6 && b.num_frames == 3 && b.channels_per_frame == 15);
  char *xml = NULL;
  CHECK_OK(cm_bvh_mjcf(&b, 0.01, &xml, &err), &err);
  const char *path = "/tmp/cmimic_test_bvh_char.xml";
  CHECK_OK(cm_write_file_atomic(path, xml, strlen(xml), &err), &err);
  free(xml);
  static cm_char c;
  CHECK_OK(cm_char_load(path, &c, &err), &err);
  cm_motion m;
  CHECK_OK(cm_bvh_motion(&b, 0.01, CM_LOOP_WRAP, &m, &err), &err);
  CHECK(c.num_bodies == 6 && c.num_dofs == 9 && m.frame_dim == 15);
  CHECK_NEAR(m.fps, 30.0, 1e-3);
  double worst = 0;
  for (int f = 0; f < b.num_frames; f++) {
    const double *v = b.values + f * b.channels_per_frame;
    /* independent FK in the BVH frame */
    mat R[6];
    double P[6][3];
    for (int j = 0; j < b.num_joints; j++) {
      mat local = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
      for (int k = 0; k < b.num_channels[j]; k++)
        if (b.channel[j][k] >= 'X' && b.channel[j][k] <= 'Z')
          local = mat_mul(local, rot(b.channel[j][k], v[b.first_channel[j] + k]));
      if (b.parent[j] < 0) {
        P[j][0] = v[0]; P[j][1] = v[1]; P[j][2] = v[2];
        R[j] = local;
      } else {
        int p = b.parent[j];
        for (int a = 0; a < 3; a++)
          P[j][a] = P[p][a] + R[p].m[a][0] * b.offset[j][0] + R[p].m[a][1] * b.offset[j][1] + R[p].m[a][2] * b.offset[j][2];
        R[j] = mat_mul(R[p], local);
      }
    }
    const float *fr = m.frames + f * m.frame_dim;
    float rr[4], jr[CM_MAX_BODIES * 4], bp[CM_MAX_BODIES * 3], br[CM_MAX_BODIES * 4];
    cm_exp_map_to_quat(rr, fr + 3);
    cm_kin_dof_to_rot(&c, fr + 6, jr);
    cm_kin_fk(&c, fr, rr, jr, bp, br);
    for (int j = 0; j < b.num_joints; j++) {
      int id = cm_char_body_id(&c, b.name[j]);
      CHECK(id >= 0);
      if (id < 0) continue;
      double want[3] = {0.01 * P[j][2], 0.01 * P[j][0], 0.01 * P[j][1]};
      for (int a = 0; a < 3; a++) worst = fmax(worst, fabs(bp[3 * id + a] - want[a]));
    }
  }
  printf("bvh: worst joint position difference %.2e m over %d frames\n", worst, b.num_frames);
  CHECK(worst < 1e-5);
  cm_motion_free(&m);
  cm_bvh_free(&b);

  /* bad input names the line */
  static cm_bvh bad;
  CHECK(cm_bvh_parse("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0 oops\n}\n", "bad.bvh", &bad, &err) == -1);
  CHECK(strstr(err.msg, "bad.bvh:4") != NULL);
  CHECK(cm_bvh_parse("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xrotation Yrotation Zrotation\n"
                     " JOINT A\n {\n  OFFSET 0 1 0\n  CHANNELS 4 Xposition Xrotation Yrotation Zrotation\n }\n}\n",
                     "pos.bvh", &bad, &err) == -1);
  CHECK(strstr(err.msg, "only the root may move") != NULL);
  CHECK(cm_bvh_parse("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xrotation Yrotation Zrotation\n}\n"
                     "MOTION\nFrames: 2\nFrame Time: 0.1\n0 0 0\n1 2\n", "short.bvh", &bad, &err) == -1);
  CHECK(strstr(err.msg, "short.bvh") != NULL);
  return check_report("test_bvh");
}
