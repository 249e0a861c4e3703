/* DeepMimic -> MimicKit clip conversion, checked against an independent forward kinematics on
 * DeepMimic's own Y-up skeleton (humanoid3d.txt offsets, raw w-first quaternions, revolute
 * joints about z, arms hanging down): hands, feet, head, elbows and knees must land on the same
 * world points (mapped by M: (x, y, z) -> (x, -z, y)) as our FK of the converted MimicKit pose
 * on humanoid.xml. Also: clip metadata, the written .pkl read back by us and by Python, and the
 * error messages for bad inputs. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anim/char.h"
#include "anim/deepmimic_convert.h"
#include "anim/kin.h"
#include "anim/motion.h"
#include "check.h"
#include "core/fileio.h"

/* a few unchanged DeepMimic files (MIT licence) kept as fixtures */
#define DM_DIR "tests/data/motionlib/deepmimic"
#define DM_SKELETON DM_DIR "/humanoid3d.txt"
#define HUMANOID_XML "data/assets/humanoid/humanoid.xml"

/* ---- DeepMimic-side kinematics, in doubles, w-first quaternions ---- */

typedef struct { double w, x, y, z; } dq;

static dq dq_mul(dq a, dq b) {
  dq o = {a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z, a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
          a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x, a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w};
  return o;
}

static void dq_rotate(dq q, const double *v, double *o) {
  dq p = {0, v[0], v[1], v[2]}, c = {q.w, -q.x, -q.y, -q.z};
  dq r = dq_mul(dq_mul(q, p), c);
  o[0] = r.x; o[1] = r.y; o[2] = r.z;
}

static dq dq_unit(const double *wxyz) {
  double n = sqrt(wxyz[0] * wxyz[0] + wxyz[1] * wxyz[1] + wxyz[2] * wxyz[2] + wxyz[3] * wxyz[3]);
  dq q = {wxyz[0] / n, wxyz[1] / n, wxyz[2] / n, wxyz[3] / n};
  return q;
}

#define DM_JOINTS 15
typedef struct {
  char name[32];
  int parent;
  double attach[3];
  int frame_offset; /* where its values start in a frame, -1 for root / fixed */
  int dim;          /* 4 quaternion, 1 revolute angle, 0 none */
} dm_joint;

/* The frame layout documented in /work/shared/data/README.md, by joint name. */
static void dm_layout(const char *name, int *off, int *dim) {
  static const struct { const char *n; int off, dim; } t[] = {
    {"chest", 8, 4}, {"neck", 12, 4}, {"right_hip", 16, 4}, {"right_knee", 20, 1}, {"right_ankle", 21, 4},
    {"right_shoulder", 25, 4}, {"right_elbow", 29, 1}, {"left_hip", 30, 4}, {"left_knee", 34, 1},
    {"left_ankle", 35, 4}, {"left_shoulder", 39, 4}, {"left_elbow", 43, 1}};
  *off = -1; *dim = 0;
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!strcmp(t[i].n, name)) { *off = t[i].off; *dim = t[i].dim; }
}

static int load_dm_skeleton(dm_joint *j) {
  char *text; size_t len; cm_err err;
  if (cm_read_file(DM_SKELETON, &text, &len, &err)) { fprintf(stderr, "%s\n", err.msg); return -1; }
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *joints = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "Skeleton"), "Joints");
  int n = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, joints) {
    int id = cJSON_GetObjectItem(e, "ID")->valueint;
    if (id != n || n >= DM_JOINTS) { cJSON_Delete(root); return -1; }
    snprintf(j[n].name, sizeof j[n].name, "%s", cJSON_GetObjectItem(e, "Name")->valuestring);
    j[n].parent = cJSON_GetObjectItem(e, "Parent")->valueint;
    j[n].attach[0] = cJSON_GetObjectItem(e, "AttachX")->valuedouble;
    j[n].attach[1] = cJSON_GetObjectItem(e, "AttachY")->valuedouble;
    j[n].attach[2] = cJSON_GetObjectItem(e, "AttachZ")->valuedouble;
    dm_layout(j[n].name, &j[n].frame_offset, &j[n].dim);
    n++;
  }
  cJSON_Delete(root);
  return n == DM_JOINTS ? 0 : -1;
}

/* World positions of every DeepMimic joint for one raw frame (duration first). */
static void dm_fk(const dm_joint *j, const double *fr, double pos[DM_JOINTS][3]) {
  dq rot[DM_JOINTS];
  for (int i = 0; i < DM_JOINTS; i++) {
    if (j[i].parent < 0) {
      memcpy(pos[i], fr + 1, sizeof pos[i]);
      rot[i] = dq_unit(fr + 4);
      continue;
    }
    int p = j[i].parent;
    double off[3];
    dq_rotate(rot[p], j[i].attach, off);
    for (int k = 0; k < 3; k++) pos[i][k] = pos[p][k] + off[k];
    dq local = {1, 0, 0, 0};
    if (j[i].dim == 4) local = dq_unit(fr + j[i].frame_offset);
    if (j[i].dim == 1) { /* revolute joints turn about their local z */
      double a = fr[j[i].frame_offset];
      dq r = {cos(0.5 * a), 0, 0, sin(0.5 * a)};
      local = r;
    }
    rot[i] = dq_mul(rot[p], local);
  }
}

static int dm_joint_id(const dm_joint *j, const char *name) {
  for (int i = 0; i < DM_JOINTS; i++)
    if (!strcmp(j[i].name, name)) return i;
  return -1;
}

/* Reads a DeepMimic clip's raw frames (with cJSON, independently of the converter). */
static double *read_dm_frames(const char *path, int *n) {
  char *text; size_t len; cm_err err;
  if (cm_read_file(path, &text, &len, &err)) return NULL;
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *frames = cJSON_GetObjectItem(root, "Frames");
  *n = cJSON_GetArraySize(frames);
  double *out = malloc(sizeof(double) * 44 * (size_t)*n);
  int i = 0;
  const cJSON *fr;
  cJSON_ArrayForEach(fr, frames) {
    int k = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, fr) if (k < 44) out[44 * i + k++] = v->valuedouble;
    i++;
  }
  cJSON_Delete(root);
  return out;
}

/* Pairs of (MimicKit body, DeepMimic joint) whose origins coincide. */
static const char *const PAIRS[][2] = {
  {"pelvis", "root"}, {"torso", "chest"}, {"head", "neck"},
  {"right_upper_arm", "right_shoulder"}, {"right_lower_arm", "right_elbow"}, {"right_hand", "right_wrist"},
  {"left_upper_arm", "left_shoulder"}, {"left_lower_arm", "left_elbow"}, {"left_hand", "left_wrist"},
  {"right_thigh", "right_hip"}, {"right_shin", "right_knee"}, {"right_foot", "right_ankle"},
  {"left_thigh", "left_hip"}, {"left_shin", "left_knee"}, {"left_foot", "left_ankle"}};
#define NPAIRS ((int)(sizeof PAIRS / sizeof PAIRS[0]))

/* Converts a whole clip and compares FK point by point; returns the largest error (m). */
static double clip_fk_error(const cm_char *c, const dm_joint *dj, const char *clip, int *frames_checked) {
  char path[512];
  snprintf(path, sizeof path, DM_DIR "/humanoid3d_%s.txt", clip);
  char *text; size_t len; cm_err err, warn;
  CHECK_OK(cm_read_file(path, &text, &len, &err), &err);
  cm_motion m;
  int rc = cm_deepmimic_parse(text, path, &m, &warn, &err);
  free(text);
  CHECK_OK(rc, &err);
  if (rc) return INFINITY;
  int n = 0;
  double *raw = read_dm_frames(path, &n);
  CHECK(raw != NULL && n == m.num_frames);
  int mk_body[NPAIRS], dm_id[NPAIRS];
  for (int p = 0; p < NPAIRS; p++) {
    mk_body[p] = cm_char_body_id(c, PAIRS[p][0]);
    dm_id[p] = dm_joint_id(dj, PAIRS[p][1]);
    CHECK(mk_body[p] >= 0 && dm_id[p] >= 0);
  }
  double worst = 0;
  for (int f = 0; raw && f < n; f++) {
    const float *fr = m.frames + (size_t)f * m.frame_dim;
    float root_rot[4], jrot[4 * CM_MAX_BODIES], bpos[3 * CM_MAX_BODIES], brot[4 * CM_MAX_BODIES];
    cm_exp_map_to_quat(root_rot, fr + 3);
    cm_kin_dof_to_rot(c, fr + 6, jrot);
    cm_kin_fk(c, fr, root_rot, jrot, bpos, brot);
    double dpos[DM_JOINTS][3];
    dm_fk(dj, raw + 44 * f, dpos);
    for (int p = 0; p < NPAIRS; p++) {
      const double *d = dpos[dm_id[p]];
      double mapped[3] = {d[0], -d[2], d[1]}; /* M: Y-up, z right -> Z-up, y left */
      for (int k = 0; k < 3; k++) {
        double e = fabs(mapped[k] - bpos[3 * mk_body[p] + k]);
        if (e > worst) worst = e;
      }
    }
  }
  *frames_checked = n;
  free(raw);
  cm_motion_free(&m);
  return worst;
}

static void test_fk_matches(const cm_char *c, const dm_joint *dj) {
  static const char *const clips[] = {"walk", "run", "jog", "spinkick", "backflip", "cartwheel", "roll", "kick"};
  for (size_t i = 0; i < sizeof clips / sizeof clips[0]; i++) {
    int n = 0;
    double e = clip_fk_error(c, dj, clips[i], &n);
    if (!(e <= 1e-4)) fprintf(stderr, "clip %s: largest FK error %.3g m over %d frames\n", clips[i], e, n);
    CHECK(e <= 1e-4);
    CHECK(n > 20);
  }
}

/* The DeepMimic offsets mapped by M are MimicKit's body offsets, except the arms (T-pose vs
 * hanging): a check that the two skeletons really are the same character. */
static void test_skeletons_agree(const cm_char *c, const dm_joint *dj) {
  for (int p = 1; p < NPAIRS; p++) {
    const char *mk = PAIRS[p][0];
    if (strstr(mk, "lower_arm") || strstr(mk, "hand")) continue;
    int b = cm_char_body_id(c, mk), d = dm_joint_id(dj, PAIRS[p][1]);
    const double *a = dj[d].attach;
    CHECK_NEAR(c->local_pos[b][0], a[0], 1e-6);
    CHECK_NEAR(c->local_pos[b][1], -a[2], 1e-6);
    CHECK_NEAR(c->local_pos[b][2], a[1], 1e-6);
  }
}

/* Hand-computed values: identity pose, a bent right knee and elbows. */
static void test_frame_by_hand(void) {
  double dm[44] = {0};
  for (int s = 4; s < 44; s++) dm[s] = 0;
  const int quats[] = {4, 8, 12, 16, 21, 25, 30, 35, 39};
  for (size_t i = 0; i < sizeof quats / sizeof quats[0]; i++) dm[quats[i]] = 1; /* w = 1 */
  dm[0] = 1.0 / 30; dm[1] = 1; dm[2] = 0.9; dm[3] = 2; /* root at x 1, height 0.9, right 2 */
  dm[20] = -1.0; /* right knee (DeepMimic range -3.14..0) */
  dm[29] = 0.5; dm[43] = 0.7; /* elbows (0..3.14) */
  float mk[34];
  cm_deepmimic_frame_to_mimickit(dm, mk);
  CHECK_NEAR(mk[0], 1, 1e-7); CHECK_NEAR(mk[1], -2, 1e-7); CHECK_NEAR(mk[2], 0.9, 1e-7);
  for (int k = 3; k < 12; k++) CHECK_NEAR(mk[k], 0, 1e-7);
  /* shoulders at rest: the arms must hang down, i.e. +-90 deg about x */
  CHECK_NEAR(mk[12], CM_PI / 2, 1e-6); CHECK_NEAR(mk[13], 0, 1e-7); CHECK_NEAR(mk[14], 0, 1e-7);
  CHECK_NEAR(mk[16], -CM_PI / 2, 1e-6); CHECK_NEAR(mk[17], 0, 1e-7); CHECK_NEAR(mk[18], 0, 1e-7);
  CHECK_NEAR(mk[15], 0.5, 1e-7);  /* right elbow: +theta about z */
  CHECK_NEAR(mk[19], -0.7, 1e-7); /* left elbow: -theta */
  CHECK_NEAR(mk[23], 1.0, 1e-7);  /* right knee: -angle about +y */
  CHECK_NEAR(mk[30], 0, 1e-7);
}

static int contains(const char *s, const char *sub) {
  if (!strstr(s, sub)) { fprintf(stderr, "  message '%s' lacks '%s'\n", s, sub); return 0; }
  return 1;
}

static void test_errors(const char *tmpdir) {
  cm_err err;
  char out[512];
  snprintf(out, sizeof out, "%s/out.pkl", tmpdir);
  struct { const char *file, *a, *b; } cases[] = {
    {"tests/data/motionlib/missing.txt", "missing.txt", ""},
    {"tests/data/motionlib/dm_not_json.txt", "dm_not_json.txt:3", "not valid JSON"},
    {"tests/data/motionlib/dm_no_frames.txt", "dm_no_frames.txt", "no \"Frames\""},
    {"tests/data/motionlib/dm_bad_43.txt", "dm_bad_43.txt: Frames[2]", "has 43 values, expected 44"},
    {"tests/data/motionlib/dm_bad_loop.txt", "dm_bad_loop.txt", "unknown \"Loop\" value 'pingpong'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    err.msg[0] = 0;
    CHECK(cm_convert_deepmimic_file(cases[i].file, out, NULL, &err) == -1);
    CHECK(contains(err.msg, cases[i].a));
    CHECK(contains(err.msg, cases[i].b));
    CHECK(!cm_file_exists(out));
  }
  cm_motion m;
  CHECK(cm_deepmimic_parse("[1, 2]", "x.txt", &m, NULL, &err) == -1);
  CHECK(contains(err.msg, "x.txt"));
  CHECK(cm_deepmimic_parse("{\"Frames\": [[0.1]]}", "one.txt", &m, NULL, &err) == -1);
  CHECK(contains(err.msg, "at least 2"));
}

/* Converts walk to a .pkl, reads it back with our loader and with Python's pickle. */
static void test_file_round_trip(const char *tmpdir) {
  char out[512];
  snprintf(out, sizeof out, "%s/walk.pkl", tmpdir);
  cm_err err;
  CHECK_OK(cm_convert_deepmimic_file(DM_DIR "/humanoid3d_walk.txt", out, NULL, &err), &err);
  cm_motion m, direct;
  CHECK_OK(cm_motion_load(out, &m, &err), &err);
  char *text; size_t len;
  CHECK_OK(cm_read_file(DM_DIR "/humanoid3d_walk.txt", &text, &len, &err), &err);
  CHECK_OK(cm_deepmimic_parse(text, "walk", &direct, NULL, &err), &err);
  free(text);
  CHECK(m.num_frames == 39 && m.frame_dim == 34 && m.loop_mode == CM_LOOP_WRAP);
  CHECK_NEAR(m.fps, 1.0 / 0.033332, 1e-9);
  int same = m.num_frames == direct.num_frames;
  for (int i = 0; same && i < m.num_frames * m.frame_dim; i++) same = m.frames[i] == direct.frames[i];
  CHECK(same);
  /* Python as the oracle for the file format */
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "python3 -c \"import pickle; d = pickle.load(open('%s', 'rb')); "
           "print(d['loop_mode'], repr(d['fps']), len(d['frames']), len(d['frames'][0]), repr(d['frames'][5][23]))\"",
           out);
  FILE *p = popen(cmd, "r");
  char line[256] = {0};
  int ok = p && fgets(line, sizeof line, p) != NULL;
  if (p) pclose(p);
  CHECK(ok);
  int loop = -1, nf = 0, dim = 0;
  double fps = 0, v = 0;
  CHECK(sscanf(line, "%d %lf %d %d %lf", &loop, &fps, &nf, &dim, &v) == 5);
  CHECK(loop == 1 && nf == 39 && dim == 34);
  CHECK_NEAR(fps, 1.0 / 0.033332, 1e-9);
  CHECK_NEAR(v, direct.frames[5 * 34 + 23], 1e-7);
  cm_motion_free(&m);
  cm_motion_free(&direct);
  unlink(out);
}

/* The shipped data/motions/humanoid/humanoid_<name>.pkl are what the converter makes of the same clips now
 * (catches stale files after a converter change). */
static void test_shipped_clips_current(void) {
  static const char *const clips[] = {"walk", "run", "jog", "spinkick", "backflip", "cartwheel", "roll", "kick"};
  for (size_t i = 0; i < sizeof clips / sizeof clips[0]; i++) {
    char src[512], pkl[512];
    snprintf(src, sizeof src, DM_DIR "/humanoid3d_%s.txt", clips[i]);
    snprintf(pkl, sizeof pkl, "data/motions/humanoid/humanoid_%s.pkl", clips[i]);
    char *text; size_t len; cm_err err;
    cm_motion fresh, shipped;
    CHECK_OK(cm_read_file(src, &text, &len, &err), &err);
    CHECK_OK(cm_deepmimic_parse(text, src, &fresh, NULL, &err), &err);
    free(text);
    CHECK_OK(cm_motion_load(pkl, &shipped, &err), &err);
    int same = fresh.num_frames == shipped.num_frames && fresh.frame_dim == shipped.frame_dim &&
               fresh.fps == shipped.fps && fresh.loop_mode == shipped.loop_mode;
    for (int k = 0; same && k < fresh.num_frames * fresh.frame_dim; k++) same = fresh.frames[k] == shipped.frames[k];
    if (!same) fprintf(stderr, "%s differs from converting %s: run tools/convert_deepmimic_motions.sh\n", pkl, src);
    CHECK(same);
    cm_motion_free(&fresh);
    cm_motion_free(&shipped);
  }
}

static void test_metadata(void) {
  cm_err err, warn;
  char *text; size_t len;
  cm_motion m;
  CHECK_OK(cm_read_file(DM_DIR "/humanoid3d_kick.txt", &text, &len, &err), &err);
  CHECK_OK(cm_deepmimic_parse(text, "kick", &m, &warn, &err), &err);
  free(text);
  CHECK(m.loop_mode == CM_LOOP_CLAMP && m.num_frames == 47);
  CHECK(warn.msg[0] == 0);
  cm_motion_free(&m);
  /* roll has one frame of another duration: converted with a warning naming it */
  CHECK_OK(cm_read_file(DM_DIR "/humanoid3d_roll.txt", &text, &len, &err), &err);
  CHECK_OK(cm_deepmimic_parse(text, "roll", &m, &warn, &err), &err);
  free(text);
  CHECK(contains(warn.msg, "roll: Frames["));
  CHECK_NEAR(m.fps, 1.0 / 0.016666, 1e-9);
  cm_motion_free(&m);
}

int main(void) {
  cm_char *c = malloc(sizeof *c);
  cm_err err;
  dm_joint dj[DM_JOINTS];
  char tmpdir[] = "/tmp/cm_test_convert_XXXXXX";
  CHECK(mkdtemp(tmpdir) != NULL);
  CHECK(load_dm_skeleton(dj) == 0);
  int rc = cm_char_load(HUMANOID_XML, c, &err);
  CHECK_OK(rc, &err);
  test_frame_by_hand();
  if (!rc) {
    CHECK(c->num_dofs == 28);
    test_skeletons_agree(c, dj);
    test_fk_matches(c, dj);
  }
  test_errors(tmpdir);
  test_file_round_trip(tmpdir);
  test_metadata();
  test_shipped_clips_current();
  rmdir(tmpdir);
  free(c);
  return check_report("test_convert");
}
