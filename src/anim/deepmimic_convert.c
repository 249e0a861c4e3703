/* DeepMimic humanoid3d -> MimicKit humanoid frames. Derivation of the mapping:
 *
 * Axes. DeepMimic: x forward, y up, z = the character's right. MimicKit: x forward, y = left,
 * z up. So v_mk = M v_dm with M = Rx(+90 deg): (x, y, z) -> (x, -z, y). A rotation R_dm becomes
 * M R_dm M^-1; for a quaternion (w, v) that is simply (w, M v).
 *
 * Offsets. After M, every DeepMimic joint offset equals the MimicKit body offset, except below
 * the shoulders: DeepMimic's arms hang down (elbow at -z_mk), MimicKit's are a T-pose (right
 * elbow at -y, left at +y). With C_r = Rx(+90) (takes -y to -z) and C_l = Rx(-90) (takes +y to
 * -z), an upper-arm body whose world rotation is R_dm' in DeepMimic needs R_dm' C in MimicKit
 * for the elbow (and everything under it) to land in the same place. Hence:
 *   shoulder: q_mk = q_dm' C                      (the parent, the torso, is unchanged)
 *   elbow:    q_mk = C^-1 q_dm' C                 (so the lower arm is again R_dm' C)
 * DeepMimic's revolute joints turn about their local z: z_dm maps to -y_mk, so a knee angle a
 * becomes a rotation about +y_mk (MimicKit's knee axis) by -a; an elbow about -y_mk by a,
 * conjugated by C, becomes a rotation about +z_mk by a (right arm, C_r^-1 (-y) = +z) or by -a
 * (left arm, C_l^-1 (-y) = -z); MimicKit's elbow axis is z, right range 0..160, left -160..0.
 * The hand bodies are fixed under the lower arms at the same offsets, so hands, feet and head
 * end up at the same world points in both skeletons (tests/unit/test_convert.c checks it). */
#include "anim/deepmimic_convert.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

/* Where each joint's values start in a DeepMimic frame. */
enum {
  DM_DUR = 0, DM_ROOT_POS = 1, DM_ROOT_ROT = 4, DM_CHEST = 8, DM_NECK = 12, DM_R_HIP = 16,
  DM_R_KNEE = 20, DM_R_ANKLE = 21, DM_R_SHOULDER = 25, DM_R_ELBOW = 29, DM_L_HIP = 30,
  DM_L_KNEE = 34, DM_L_ANKLE = 35, DM_L_SHOULDER = 39, DM_L_ELBOW = 43
};
/* Where each body's dofs start in a MimicKit humanoid frame (after root pos 3, root rot 3). */
enum {
  MK_ROOT_POS = 0, MK_ROOT_ROT = 3, MK_TORSO = 6, MK_HEAD = 9, MK_R_UPPER_ARM = 12,
  MK_R_LOWER_ARM = 15, MK_L_UPPER_ARM = 16, MK_L_LOWER_ARM = 19, MK_R_THIGH = 20, MK_R_SHIN = 23,
  MK_R_FOOT = 24, MK_L_THIGH = 27, MK_L_SHIN = 30, MK_L_FOOT = 31
};

/* Quaternions here are x, y, z, w in doubles (the conversion keeps full precision until the
 * final float store). */
static void qd_mul(double *o, const double *a, const double *b) {
  double x = a[3] * b[0] + a[0] * b[3] + a[1] * b[2] - a[2] * b[1];
  double y = a[3] * b[1] - a[0] * b[2] + a[1] * b[3] + a[2] * b[0];
  double z = a[3] * b[2] + a[0] * b[1] - a[1] * b[0] + a[2] * b[3];
  double w = a[3] * b[3] - a[0] * b[0] - a[1] * b[1] - a[2] * b[2];
  o[0] = x; o[1] = y; o[2] = z; o[3] = w;
}

/* DeepMimic w-first quaternion -> unit xyzw quaternion conjugated by M. */
static void dm_quat_to_mk(double *q, const double *wxyz) {
  double w = wxyz[0], x = wxyz[1], y = wxyz[2], z = wxyz[3];
  double n = sqrt(w * w + x * x + y * y + z * z);
  if (n < 1e-12) { q[0] = q[1] = q[2] = 0; q[3] = 1; return; }
  q[0] = x / n; q[1] = -z / n; q[2] = y / n; q[3] = w / n;
}

/* Axis * angle with angle in [0, pi] (MimicKit's convention: take the w >= 0 representative). */
static void qd_to_exp_map(float *e, const double *qin) {
  double q[4] = {qin[0], qin[1], qin[2], qin[3]};
  if (q[3] < 0) for (int i = 0; i < 4; i++) q[i] = -q[i];
  double s = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
  double angle = 2.0 * atan2(s, q[3]);
  double k = s > 1e-12 ? angle / s : 2.0;
  for (int i = 0; i < 3; i++) e[i] = (float)(q[i] * k);
}

static void sphere_dof(float *mk, const double *dm_wxyz) {
  double q[4];
  dm_quat_to_mk(q, dm_wxyz);
  qd_to_exp_map(mk, q);
}

static void shoulder_dof(float *mk, const double *dm_wxyz, double c_angle) {
  double q[4], c[4] = {sin(0.5 * c_angle), 0, 0, cos(0.5 * c_angle)}, r[4];
  dm_quat_to_mk(q, dm_wxyz);
  qd_mul(r, q, c);
  qd_to_exp_map(mk, r);
}

void cm_deepmimic_frame_to_mimickit(const double *dm, float *mk) {
  const double *p = dm + DM_ROOT_POS;
  mk[MK_ROOT_POS + 0] = (float)p[0];
  mk[MK_ROOT_POS + 1] = (float)-p[2];
  mk[MK_ROOT_POS + 2] = (float)p[1];
  sphere_dof(mk + MK_ROOT_ROT, dm + DM_ROOT_ROT);
  sphere_dof(mk + MK_TORSO, dm + DM_CHEST);
  sphere_dof(mk + MK_HEAD, dm + DM_NECK);
  const double half_pi = 1.57079632679489661923;
  shoulder_dof(mk + MK_R_UPPER_ARM, dm + DM_R_SHOULDER, half_pi);
  mk[MK_R_LOWER_ARM] = (float)dm[DM_R_ELBOW];
  shoulder_dof(mk + MK_L_UPPER_ARM, dm + DM_L_SHOULDER, -half_pi);
  mk[MK_L_LOWER_ARM] = (float)-dm[DM_L_ELBOW];
  sphere_dof(mk + MK_R_THIGH, dm + DM_R_HIP);
  mk[MK_R_SHIN] = (float)-dm[DM_R_KNEE];
  sphere_dof(mk + MK_R_FOOT, dm + DM_R_ANKLE);
  sphere_dof(mk + MK_L_THIGH, dm + DM_L_HIP);
  mk[MK_L_SHIN] = (float)-dm[DM_L_KNEE];
  sphere_dof(mk + MK_L_FOOT, dm + DM_L_ANKLE);
}

/* 1-based line of a position in text, for JSON syntax errors. */
static int line_of(const char *text, const char *pos) {
  int line = 1;
  for (const char *c = text; c < pos && *c; c++) line += *c == '\n';
  return line;
}

/* How one DeepMimic frame becomes one MimicKit frame: the humanoid's fixed layout, or the
 * generic layout of a character whose bodies follow the DeepMimic joints. */
typedef struct {
  int dm_dim, mk_dim;
  const cm_char *chr; /* NULL: humanoid3d */
} frame_layout;

static void convert_frame(const frame_layout *l, const double *dm, float *mk) {
  if (!l->chr) {
    cm_deepmimic_frame_to_mimickit(dm, mk);
    return;
  }
  const cm_char *c = l->chr;
  const double *p = dm + DM_ROOT_POS;
  mk[0] = (float)p[0];
  mk[1] = (float)-p[2];
  mk[2] = (float)p[1];
  sphere_dof(mk + 3, dm + DM_ROOT_ROT);
  int k = DM_ROOT_ROT + 4;
  for (int b = 1; b < c->num_bodies; b++) {
    float *d = mk + 6 + c->dof_idx[b];
    if (c->joint_type[b] == CM_JOINT_SPHERE) {
      sphere_dof(d, dm + k);
      k += 4;
    } else if (c->joint_type[b] == CM_JOINT_HINGE) {
      d[0] = (float)dm[k]; /* the MJCF hinge axis is DeepMimic's z mapped to Z-up (-y) */
      k += 1;
    }
  }
}

static int parse_clip(const char *json_text, const char *name, const frame_layout *layout, cm_motion *out,
                      cm_err *warn, cm_err *err) {
  memset(out, 0, sizeof *out);
  if (warn) warn->msg[0] = 0;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(json_text, &end, 0);
  if (!root) {
    int line = end ? line_of(json_text, end) : 1;
    return cm_fail(err, "%s:%d: not valid JSON (a DeepMimic clip is a JSON object with \"Loop\" "
                   "and \"Frames\")", name, line);
  }
  int rc = -1;
  double *dm = NULL;
  if (!cJSON_IsObject(root)) {
    cm_fail(err, "%s: expected a JSON object with \"Loop\" and \"Frames\"", name);
    goto done;
  }
  int loop_mode = CM_LOOP_CLAMP;
  const cJSON *loop = cJSON_GetObjectItemCaseSensitive(root, "Loop");
  if (loop && !cJSON_IsNull(loop)) {
    if (!cJSON_IsString(loop)) {
      cm_fail(err, "%s: \"Loop\" must be the string \"wrap\" or \"none\"", name);
      goto done;
    }
    if (!strcmp(loop->valuestring, "wrap")) loop_mode = CM_LOOP_WRAP;
    else if (!strcmp(loop->valuestring, "none")) loop_mode = CM_LOOP_CLAMP;
    else {
      cm_fail(err, "%s: unknown \"Loop\" value '%s' (expected \"wrap\" or \"none\")", name,
              loop->valuestring);
      goto done;
    }
  }
  const cJSON *frames = cJSON_GetObjectItemCaseSensitive(root, "Frames");
  if (!frames) {
    cm_fail(err, "%s: no \"Frames\" array", name);
    goto done;
  }
  if (!cJSON_IsArray(frames)) {
    cm_fail(err, "%s: \"Frames\" must be an array of frames", name);
    goto done;
  }
  int n = cJSON_GetArraySize(frames);
  if (n < 2) {
    cm_fail(err, "%s: \"Frames\" has %d frame%s, a clip needs at least 2", name, n, n == 1 ? "" : "s");
    goto done;
  }
  dm = malloc(sizeof(double) * (size_t)layout->dm_dim);
  out->frames = malloc(sizeof(float) * (size_t)n * (size_t)layout->mk_dim);
  if (!dm || !out->frames) {
    cm_fail(err, "%s: out of memory for %d frames", name, n);
    goto done;
  }
  double dur0 = 0;
  int fi = 0;
  const cJSON *fr;
  cJSON_ArrayForEach(fr, frames) {
    int m = cJSON_IsArray(fr) ? cJSON_GetArraySize(fr) : -1;
    if (m != layout->dm_dim) {
      if (m < 0) cm_fail(err, "%s: Frames[%d] is not an array", name, fi);
      else if (!layout->chr)
        cm_fail(err, "%s: Frames[%d] has %d values, expected %d (duration, root pos 3, root "
                "quat 4, 12 joints 36) for a humanoid3d clip", name, fi, m, layout->dm_dim);
      else
        cm_fail(err, "%s: Frames[%d] has %d values, expected %d (duration, root pos 3, root quat 4, "
                "4 per spherical joint and 1 per revolute joint of the character)", name, fi, m, layout->dm_dim);
      goto done;
    }
    int k = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, fr) {
      if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
        cm_fail(err, "%s: Frames[%d][%d] is not a finite number", name, fi, k);
        goto done;
      }
      dm[k++] = v->valuedouble;
    }
    if (fi == 0) {
      dur0 = dm[DM_DUR];
      if (!(dur0 > 0)) {
        cm_fail(err, "%s: Frames[0] has duration %g, expected a positive frame time", name, dur0);
        goto done;
      }
    } else if (fi < n - 1 && fabs(dm[DM_DUR] - dur0) > 1e-4 * dur0 && warn && !warn->msg[0]) {
      snprintf(warn->msg, sizeof warn->msg, "%s: Frames[%d] lasts %g s but Frames[0] %g s; "
               "using a constant %g fps", name, fi, dm[DM_DUR], dur0, 1.0 / dur0);
    }
    convert_frame(layout, dm, out->frames + (size_t)fi * (size_t)layout->mk_dim);
    fi++;
  }
  out->loop_mode = loop_mode;
  out->fps = 1.0 / dur0;
  out->num_frames = n;
  out->frame_dim = layout->mk_dim;
  rc = 0;
done:
  free(dm);
  cJSON_Delete(root);
  if (rc) {
    free(out->frames);
    memset(out, 0, sizeof *out);
  }
  return rc;
}

int cm_deepmimic_parse(const char *json_text, const char *name, cm_motion *out, cm_err *warn,
                       cm_err *err) {
  frame_layout l = {CM_DM_HUMANOID_FRAME_DIM, CM_MK_HUMANOID_FRAME_DIM, NULL};
  return parse_clip(json_text, name, &l, out, warn, err);
}

int cm_deepmimic_parse_char(const char *json_text, const char *name, const cm_char *chr, cm_motion *out,
                            cm_err *warn, cm_err *err) {
  frame_layout l = {1 + 3 + 4, 6 + chr->num_dofs, chr};
  for (int b = 1; b < chr->num_bodies; b++)
    l.dm_dim += chr->joint_type[b] == CM_JOINT_SPHERE ? 4 : chr->joint_type[b] == CM_JOINT_HINGE ? 1 : 0;
  return parse_clip(json_text, name, &l, out, warn, err);
}

int cm_convert_deepmimic_file(const char *in, const char *out, const cm_char *chr, cm_err *err) {
  char *text = NULL;
  size_t len = 0;
  if (cm_read_file(in, &text, &len, err)) return -1;
  cm_motion m;
  cm_err warn;
  int rc = chr ? cm_deepmimic_parse_char(text, in, chr, &m, &warn, err) : cm_deepmimic_parse(text, in, &m, &warn, err);
  free(text);
  if (rc) return -1;
  if (warn.msg[0]) fprintf(stderr, "warning: %s\n", warn.msg);
  rc = cm_motion_save(out, &m, err);
  if (rc) cm_wrap(err, "converting %s", in);
  cm_motion_free(&m);
  return rc;
}
