/* MimicKit motion .pkl files: C save -> C load bit-exact; python3's pickle reads what we save as
 * {"loop_mode": int, "fps": float, "frames": list of lists of float} and writes it back in the
 * shapes users have (protocols 0/2/5, numpy frames float32/float64, numpy fps) for C to read;
 * committed numpy fixtures; each validation error names the file and the field. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "anim/motion.h"
#include "check.h"
#include "python_oracle.h"
#include "core/fileio.h"
#include "io/pickle.h"

static char tmpdir[64];


/* Values exactly representable in float32, so every trip must be bit-exact. */
static float value(int i, int j) { return (float)((i * 64 + j) / 8.0 - 10.0); }

static void check_motion(const cm_motion *m, int frames, int dim, int loop, double fps, const char *label) {
  int before = check_failures;
  CHECK(m->num_frames == frames && m->frame_dim == dim && m->loop_mode == loop && m->fps == fps);
  int ok = m->frames != NULL && m->num_frames == frames && m->frame_dim == dim;
  for (int i = 0; ok && i < frames; i++)
    for (int j = 0; j < dim; j++) ok &= m->frames[i * dim + j] == value(i, j);
  CHECK(ok);
  if (check_failures != before) fprintf(stderr, "  (motion %s)\n", label);
}

static void test_round_trip_and_python(void) {
  enum { F = 20, D = 34 };
  cm_err err;
  cm_motion m = {.loop_mode = CM_LOOP_WRAP, .fps = 30.0, .num_frames = F, .frame_dim = D};
  m.frames = malloc(sizeof(float) * F * D);
  for (int i = 0; i < F; i++)
    for (int j = 0; j < D; j++) m.frames[i * D + j] = value(i, j);
  char path[128];
  snprintf(path, sizeof path, "%s/clip.pkl", tmpdir);
  CHECK_OK(cm_motion_save(path, &m, &err), &err);
  cm_motion back;
  CHECK_OK(cm_motion_load(path, &back, &err), &err);
  check_motion(&back, F, D, 1, 30.0, "C -> C");
  CHECK(cm_motion_length(&back) == (F - 1) / 30.0);
  cm_motion_free(&back);
  free(m.frames);

  const char *py = python_find("pickle");
  if (!py) {
    printf("SKIP: python3 not found; python round trip of motion files not run\n");
    return;
  }
  int np = python_has(py, "pickle, numpy");
  const char *pynp = np ? py : python_find("pickle, numpy");
  /* python3 checks the exact types and values MimicKit's load_motion sees, then re-dumps */
  const char *script =
      "import pickle, sys\n"
      "d = pickle.load(open(sys.argv[1], 'rb'))\n"
      "assert sorted(d) == ['fps', 'frames', 'loop_mode'], d.keys()\n"
      "assert type(d['loop_mode']) is int and d['loop_mode'] == 1\n"
      "assert type(d['fps']) is float and d['fps'] == 30.0\n"
      "fr = d['frames']\n"
      "assert type(fr) is list and len(fr) == 20\n"
      "for i, row in enumerate(fr):\n"
      "  assert type(row) is list and len(row) == 34\n"
      "  for j, x in enumerate(row):\n"
      "    assert type(x) is float and x == (i * 64 + j) / 8 - 10, (i, j, x)\n"
      "out = sys.argv[2]\n"
      "for p in (0, 2, 5):\n"
      "  pickle.dump(d, open(out + '/list_p%d.pkl' % p, 'wb'), protocol=p)\n"
      "if len(sys.argv) > 3:\n"
      "  import numpy as np\n"
      "  for p in (2, 4, 5):\n"
      "    for t in ('float32', 'float64'):\n"
      "      e = dict(d, frames=np.array(fr, dtype=t), fps=np.float64(d['fps']))\n"
      "      pickle.dump(e, open(out + '/np_%s_p%d.pkl' % (t, p), 'wb'), protocol=p)\n";
  char args[512];
  snprintf(args, sizeof args, "%s %s%s", path, tmpdir, np ? " numpy" : "");
  int rc = python_run(py, tmpdir, script, args);
  CHECK(rc == 0);
  if (rc) return;
  if (!np && pynp) { /* numpy lives in another interpreter: have that one write the numpy variants */
    snprintf(args, sizeof args, "%s %s numpy", path, tmpdir);
    rc = python_run(pynp, tmpdir, script, args);
    CHECK(rc == 0);
    np = rc == 0;
  }
  if (!np) printf("SKIP: no python3 with numpy; numpy-frame motion files not tested\n");
  const char *names[] = {"list_p0", "list_p2", "list_p5", "np_float32_p2", "np_float64_p2", "np_float32_p4",
                         "np_float64_p4", "np_float32_p5", "np_float64_p5"};
  for (int k = 0; k < (np ? 9 : 3); k++) {
    char p2[160];
    snprintf(p2, sizeof p2, "%s/%s.pkl", tmpdir, names[k]);
    CHECK_OK(cm_motion_load(p2, &back, &err), &err);
    check_motion(&back, F, D, 1, 30.0, names[k]);
    cm_motion_free(&back);
  }
}

static void test_fixtures(void) {
  cm_err err;
  cm_motion m;
  CHECK_OK(cm_motion_load("tests/data/formats/motion_np_p2.pkl", &m, &err), &err);
  check_motion(&m, 4, 7, 1, 30.0, "fixture motion_np_p2.pkl");
  cm_motion_free(&m);
  CHECK_OK(cm_motion_load("tests/data/formats/motion_list_p0.pkl", &m, &err), &err);
  check_motion(&m, 4, 7, 0, 60.0, "fixture motion_list_p0.pkl");
  cm_motion_free(&m);
}

/* Writes {"loop_mode": lm, "fps": fps, "frames": rows x dims} with optional defects. */
typedef struct bad_spec {
  int omit;      /* 1: no loop_mode, 2: no fps, 3: no frames */
  int lm;
  double fps;
  int rows, dim, ragged_row, ragged_dim;
  int str_value; /* put a string at frame 1 value 2 */
  int top_list;  /* top level is a list */
} bad_spec;

static void expect_load_error(const bad_spec *s, const char *expected_suffix) {
  char path[128];
  snprintf(path, sizeof path, "%s/bad.pkl", tmpdir);
  cm_pkw w;
  cm_pkw_init(&w, 4);
  if (s->top_list) {
    cm_pkw_empty_list(&w);
  } else {
    cm_pkw_empty_dict(&w);
    cm_pkw_mark(&w);
    if (s->omit != 1) { cm_pkw_str(&w, "loop_mode"); cm_pkw_int(&w, s->lm); }
    if (s->omit != 2) { cm_pkw_str(&w, "fps"); cm_pkw_float(&w, s->fps); }
    if (s->omit != 3) {
      cm_pkw_str(&w, "frames");
      cm_pkw_empty_list(&w);
      cm_pkw_mark(&w);
      for (int i = 0; i < s->rows; i++) {
        cm_pkw_empty_list(&w);
        cm_pkw_mark(&w);
        int n = i == s->ragged_row ? s->ragged_dim : s->dim;
        for (int j = 0; j < n; j++) {
          if (s->str_value && i == 1 && j == 2) cm_pkw_str(&w, "x");
          else cm_pkw_float(&w, value(i, j));
        }
        cm_pkw_appends(&w);
      }
      cm_pkw_appends(&w);
    }
    cm_pkw_setitems(&w);
  }
  cm_err err;
  CHECK_OK(cm_pkw_finish(&w, &err), &err);
  CHECK_OK(cm_write_file_atomic(path, w.out.data, w.out.len, &err), &err);
  cm_pkw_free(&w);
  cm_motion m;
  int rc = cm_motion_load(path, &m, &err);
  CHECK(rc == -1);
  if (rc == 0) {
    cm_motion_free(&m);
    return;
  }
  char expected[512];
  snprintf(expected, sizeof expected, "%s: motion: %s", path, expected_suffix);
  if (strcmp(err.msg, expected) != 0) {
    check_failures++;
    fprintf(stderr, "expected \"%s\"\n     got \"%s\"\n", expected, err.msg);
  }
  CHECK(m.frames == NULL);
}

static void test_validation(void) {
  bad_spec ok = {.lm = 0, .fps = 30, .rows = 15, .dim = 34, .ragged_row = -1};
  bad_spec s = ok;
  s.omit = 2;
  expect_load_error(&s, "missing key 'fps'");
  s = ok, s.omit = 1;
  expect_load_error(&s, "missing key 'loop_mode'");
  s = ok, s.omit = 3;
  expect_load_error(&s, "missing key 'frames'");
  s = ok, s.ragged_row = 12, s.ragged_dim = 33;
  expect_load_error(&s, "frame 12 has 33 values, expected 34");
  s = ok, s.lm = 2;
  expect_load_error(&s, "'loop_mode' is 2, expected 0 (clamp) or 1 (wrap)");
  s = ok, s.fps = 0;
  expect_load_error(&s, "'fps' is 0, expected a positive number");
  s = ok, s.fps = -30;
  expect_load_error(&s, "'fps' is -30, expected a positive number");
  s = ok, s.rows = 0;
  expect_load_error(&s, "'frames' is empty");
  s = ok, s.str_value = 1;
  expect_load_error(&s, "frame 1 value 2 is a str, expected a number");
  s = ok, s.top_list = 1;
  expect_load_error(&s, "top level is a list, expected a dict");

  /* saving refuses what loading would refuse */
  cm_err err;
  float one = 1;
  cm_motion m = {.loop_mode = 3, .fps = 30, .num_frames = 1, .frame_dim = 1, .frames = &one};
  CHECK(cm_motion_save("/nonexistent/x.pkl", &m, &err) == -1 && strstr(err.msg, "loop_mode 3"));
  m.loop_mode = 0, m.fps = 0;
  CHECK(cm_motion_save("/nonexistent/x.pkl", &m, &err) == -1 && strstr(err.msg, "fps 0"));
  /* a pickle error surfaces with the file name and byte offset */
  char path[128];
  snprintf(path, sizeof path, "%s/garbage.pkl", tmpdir);
  CHECK_OK(cm_write_file_atomic(path, "\x80\x04\xfe", 3, &err), &err);
  cm_motion out;
  CHECK(cm_motion_load(path, &out, &err) == -1);
  char expected[256];
  snprintf(expected, sizeof expected, "%s: pickle: unknown opcode 0xfe at byte 2", path);
  CHECK(strcmp(err.msg, expected) == 0);
  CHECK(cm_motion_load("/nonexistent/x.pkl", &out, &err) == -1 && strstr(err.msg, "/nonexistent/x.pkl"));
}

/* A saved clip cut at every byte must fail cleanly. */
static void test_truncation(void) {
  cm_err err;
  float fr[3 * 5];
  for (int k = 0; k < 15; k++) fr[k] = value(k / 5, k % 5);
  cm_motion m = {.loop_mode = 0, .fps = 24, .num_frames = 3, .frame_dim = 5, .frames = fr};
  char path[128], cut[128];
  snprintf(path, sizeof path, "%s/t.pkl", tmpdir);
  snprintf(cut, sizeof cut, "%s/cut.pkl", tmpdir);
  CHECK_OK(cm_motion_save(path, &m, &err), &err);
  char *buf;
  size_t n;
  CHECK_OK(cm_read_file(path, &buf, &n, &err), &err);
  int all_failed = 1;
  for (size_t k = 0; k < n; k++) {
    cm_motion out;
    FILE *f = fopen(cut, "wb");
    if (!f) break;
    fwrite(buf, 1, k, f);
    fclose(f);
    if (cm_motion_load(cut, &out, &err) == 0) {
      all_failed = 0;
      cm_motion_free(&out);
    }
  }
  CHECK(all_failed);
  free(buf);
}

int main(void) {
  strcpy(tmpdir, "/tmp/cm_test_motion_XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  test_round_trip_and_python();
  test_fixtures();
  test_validation();
  test_truncation();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  return check_report("test_motion_file");
}
