/* Every artefact writer survives a failing write: with CMIMIC_FAULT_WRITE_FAIL making the write
 * fail (ENOSPC, EIO, EROFS), the call returns -1 with a message naming the file and the errno's
 * text, the previous good file is byte-for-byte what it was, and no temporary file is left.
 * Writers: the atomic helper (model.pt and resume.pt through cm_torch_save, config.yaml,
 * motions, attempts.json, best_by_case.tsv, progress.json, PNGs) and log.txt rows, whose failed
 * row (CM_LOG_IO_ERROR, told apart from usage errors) leaves the file with whole rows only so
 * later rows stay aligned. A temporary file left by a writer that died is removed by the next
 * write of the same path. A real full disk (a 64 KB
 * tmpfs) is tried when mounting works (root); otherwise that part says it is skipped. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "anim/motion.h"
#include "core/fileio.h"
#include "harness/attempts.h"
#include "harness/progress.h"
#include "harness/summary.h"
#include "io/config.h"
#include "io/run_log.h"
#include "io/torch_ckpt.h"
#include "render/png.h"
#include "render/video.h"

static char g_dir[256];

static char *slurp(const char *path, size_t *len) {
  char *t = NULL;
  cm_err e;
  if (cm_read_file(path, &t, len, &e)) return NULL;
  return t;
}

/* Files in g_dir whose name contains ".tmp." (left-over temporaries). */
static int temp_files(void) {
  DIR *d = opendir(g_dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
  if (d) closedir(d);
  return n;
}

/* The write through fn failed as injected and left path exactly as `before`. */
static void check_kept(const char *what, int rc, const cm_err *e, const char *path, const char *want_errno_text,
                       const char *before, size_t before_len) {
  CHECK(rc == -1);
  if (!strstr(e->msg, path) || !strstr(e->msg, want_errno_text)) {
    check_failures++;
    fprintf(stderr, "%s: message '%s' does not name %s and '%s'\n", what, e->msg, path, want_errno_text);
  }
  check_count++;
  size_t len = 0;
  char *now = slurp(path, &len);
  CHECK(now && len == before_len && !memcmp(now, before, len));
  if (!now || len != before_len) fprintf(stderr, "%s: previous file not kept\n", what);
  free(now);
  CHECK(temp_files() == 0);
}

static void path_in(char *buf, size_t cap, const char *name) { snprintf(buf, cap, "%s/%s", g_dir, name); }

static void test_torch(void) {
  char path[512];
  path_in(path, sizeof path, "model.pt");
  cm_state_dict sd;
  cm_sd_init(&sd);
  cm_err e = {{0}};
  int64_t shape[1] = {3};
  float v1[3] = {1, 2, 3}, v2[3] = {4, 5, 6};
  CHECK_OK(cm_sd_add(&sd, "w", 1, shape, v1, &e), &e);
  CHECK_OK(cm_torch_save(path, &sd, &e), &e);
  size_t n0;
  char *before = slurp(path, &n0);
  memcpy(sd.entries[0].data, v2, sizeof v2);
  setenv("CMIMIC_FAULT_WRITE_FAIL", "model.pt:ENOSPC", 1);
  int rc = cm_torch_save(path, &sd, &e);
  unsetenv("CMIMIC_FAULT_WRITE_FAIL");
  check_kept("model.pt", rc, &e, path, strerror(ENOSPC), before, n0);
  /* and the kept file still loads with the old values */
  cm_state_dict back;
  cm_sd_init(&back);
  CHECK_OK(cm_torch_load(path, &back, &e), &e);
  CHECK(back.count == 1 && back.entries[0].data[0] == 1.f);
  cm_sd_free(&back);
  cm_sd_free(&sd);
  free(before);
}

static void test_config_and_motion(void) {
  char path[512], mpath[512];
  cm_err e = {{0}};
  path_in(path, sizeof path, "config.yaml");
  cm_cfg *c = NULL;
  CHECK_OK(cm_cfg_parse("t", "a: 1\n", &c, &e), &e);
  CHECK_OK(cm_cfg_save(c, path, &e), &e);
  size_t n0;
  char *before = slurp(path, &n0);
  CHECK_OK(cm_cfg_set(c, "a", "2", "t", &e), &e);
  setenv("CMIMIC_FAULT_WRITE_FAIL", "config.yaml:EIO", 1);
  int rc = cm_cfg_save(c, path, &e);
  unsetenv("CMIMIC_FAULT_WRITE_FAIL");
  check_kept("config.yaml", rc, &e, path, strerror(EIO), before, n0);
  free(before);
  cm_cfg_free(c);

  path_in(mpath, sizeof mpath, "clip.pkl");
  float frames[4] = {0, 1, 2, 3};
  cm_motion m = {.loop_mode = CM_LOOP_WRAP, .fps = 30, .num_frames = 2, .frame_dim = 2, .frames = frames};
  CHECK_OK(cm_motion_save(mpath, &m, &e), &e);
  before = slurp(mpath, &n0);
  frames[0] = 9;
  setenv("CMIMIC_FAULT_WRITE_FAIL", "clip.pkl:EROFS", 1);
  rc = cm_motion_save(mpath, &m, &e);
  unsetenv("CMIMIC_FAULT_WRITE_FAIL");
  check_kept("clip.pkl", rc, &e, mpath, strerror(EROFS), before, n0);
  free(before);
}

static void test_harness_files(void) {
  char apath[512], tpath[512], ppath[512];
  cm_err e = {{0}};
  path_in(apath, sizeof apath, "attempts.json");
  path_in(tpath, sizeof tpath, "best_by_case.tsv");
  path_in(ppath, sizeof ppath, "progress.json");
  cm_attempts a;
  memset(&a, 0, sizeof a);
  cm_attempt at;
  cm_attempt_init(&at, "train", "base", 4);
  cm_attempts_add(&a, &at);
  CHECK_OK(cm_attempts_save(&a, apath, &e), &e);
  cm_results rs = {0};
  cm_results_get(&rs, "case_a");
  CHECK_OK(cm_results_write(&rs, tpath, &e), &e);
  cm_progress p;
  memset(&p, 0, sizeof p);
  snprintf(p.path, sizeof p.path, "%s", ppath);
  p.results = &rs;
  CHECK_OK(cm_progress_write(&p, &e), &e);
  size_t na, nt, np;
  char *ba = slurp(apath, &na), *bt = slurp(tpath, &nt), *bp = slurp(ppath, &np);
  cm_attempts_add(&a, &at);
  cm_results_get(&rs, "case_b");
  p.k = 2;
  /* One rule per file; "json" matches both JSON files. */
  setenv("CMIMIC_FAULT_WRITE_FAIL", "json:ENOSPC,best_by_case:EIO", 1);
  int rc = cm_attempts_save(&a, apath, &e);
  check_kept("attempts.json", rc, &e, apath, strerror(ENOSPC), ba, na);
  rc = cm_results_write(&rs, tpath, &e);
  check_kept("best_by_case.tsv", rc, &e, tpath, strerror(EIO), bt, nt);
  rc = cm_progress_write(&p, &e);
  check_kept("progress.json", rc, &e, ppath, strerror(ENOSPC), bp, np);
  unsetenv("CMIMIC_FAULT_WRITE_FAIL");
  free(ba);
  free(bt);
  free(bp);
  cm_attempts_free(&a);
  cm_results_free(&rs);
}

static void test_png(void) {
  char path[512];
  cm_err e = {{0}};
  path_in(path, sizeof path, "frame.png");
  unsigned char rgb[2 * 2 * 3] = {0};
  CHECK_OK(cm_png_write_rgb(path, rgb, 2, 2, &e), &e);
  size_t n0;
  char *before = slurp(path, &n0);
  rgb[0] = 255;
  setenv("CMIMIC_FAULT_WRITE_FAIL", "frame.png:ENOSPC", 1);
  int rc = cm_png_write_rgb(path, rgb, 2, 2, &e);
  unsetenv("CMIMIC_FAULT_WRITE_FAIL");
  check_kept("frame.png", rc, &e, path, strerror(ENOSPC), before, n0);
  free(before);
}

/* Videos: ffmpeg writes a temporary file that is renamed into place only when all went well. */
static int write_video(const char *path, unsigned char shade, cm_err *e) {
  cm_video *v = NULL;
  unsigned char rgb[16 * 16 * 3];
  memset(rgb, shade, sizeof rgb);
  if (cm_video_open(path, 16, 16, 30, &v, e)) return -1;
  for (int i = 0; i < 3; i++)
    if (cm_video_write(v, rgb, e)) {
      cm_video_abort(v);
      return -1;
    }
  return cm_video_close(v, e);
}

static void test_video(void) {
  if (!cm_have_program("ffmpeg")) {
    printf("video part skipped: no ffmpeg on PATH\n");
    return;
  }
  char path[512];
  cm_err e = {{0}};
  path_in(path, sizeof path, "video.mp4");
  CHECK_OK(write_video(path, 10, &e), &e);
  size_t n0;
  char *before = slurp(path, &n0);
  setenv("CMIMIC_FAULT_WRITE_FAIL", "video.mp4:ENOSPC", 1);
  int rc = write_video(path, 200, &e);
  unsetenv("CMIMIC_FAULT_WRITE_FAIL");
  if (before) check_kept("video.mp4", rc, &e, path, strerror(ENOSPC), before, n0);
  free(before);
}

/* SKIP: the first writes pass, the later ones fail; another path is untouched by the rule. */
static void test_skip_count(void) {
  char path[512], other[512];
  cm_err e = {{0}};
  path_in(path, sizeof path, "resume.pt");
  path_in(other, sizeof other, "other.bin");
  setenv("CMIMIC_FAULT_WRITE_FAIL", "resume.pt:ENOSPC:2", 1);
  CHECK(cm_write_file_atomic(path, "1", 1, &e) == 0);
  CHECK(cm_write_file_atomic(other, "x", 1, &e) == 0);
  CHECK(cm_write_file_atomic(path, "2", 1, &e) == 0);
  CHECK(cm_write_file_atomic(path, "3", 1, &e) == -1);
  CHECK(cm_write_file_atomic(path, "4", 1, &e) == -1);
  unsetenv("CMIMIC_FAULT_WRITE_FAIL");
  size_t n;
  char *t = slurp(path, &n);
  CHECK(t && n == 1 && t[0] == '2');
  free(t);
}

/* log.txt: a failed row is reported, leaves whole rows only, and the next row lands aligned. */
static void test_log_rows(void) {
  char path[512];
  cm_err e = {{0}};
  path_in(path, sizeof path, "log.txt");
  cm_log *log = NULL;
  CHECK_OK(cm_log_open(path, 0, &log, &e), &e);
  if (!log) return;
  CHECK_OK(cm_log_set_ex(log, "Iteration", 0, CM_LOG_INT, &e), &e);
  CHECK_OK(cm_log_set(log, "Loss", 0.5, &e), &e);
  CHECK_OK(cm_log_write_row(log, &e), &e);
  setenv("CMIMIC_FAULT_WRITE_FAIL", "log.txt:ENOSPC", 1);
  cm_log_set_ex(log, "Iteration", 1, CM_LOG_INT, &e);
  int rc = cm_log_write_row(log, &e);
  unsetenv("CMIMIC_FAULT_WRITE_FAIL");
  CHECK(rc == CM_LOG_IO_ERROR && strstr(e.msg, path) && strstr(e.msg, strerror(ENOSPC)));
  cm_log_set_ex(log, "Iteration", 2, CM_LOG_INT, &e);
  CHECK_OK(cm_log_write_row(log, &e), &e);
  cm_log_close(log);
  cm_log_table t;
  CHECK_OK(cm_log_read(path, &t, &e), &e);
  int it = cm_log_table_find(&t, "Iteration");
  CHECK(t.num_rows == 2 && it >= 0);
  if (t.num_rows == 2 && it >= 0) CHECK(t.cols[it][0] == 0 && t.cols[it][1] == 2);
  cm_log_table_free(&t);
}

/* A temp file whose writer died (a pid that has exited) is removed by the next write of that
 * path; one of a live process (our parent) and one of another artefact are left alone. */
static void test_stale_temps(void) {
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, NULL, 0);
  char dead[600], live[600], other[600], path[512];
  path_in(path, sizeof path, "resume.pt");
  snprintf(dead, sizeof dead, "%s.tmp.%ld", path, (long)child);
  snprintf(live, sizeof live, "%s.tmp.%ld", path, (long)getppid());
  snprintf(other, sizeof other, "%s/model.pt.tmp.%ld", g_dir, (long)child);
  cm_err e = {{0}};
  CHECK_OK(cm_write_file_atomic(dead, "x", 1, &e), &e);
  CHECK_OK(cm_write_file_atomic(live, "x", 1, &e), &e);
  CHECK_OK(cm_write_file_atomic(other, "x", 1, &e), &e);
  CHECK_OK(cm_write_file_atomic(path, "new", 3, &e), &e);
  CHECK(!cm_file_exists(dead));
  CHECK(cm_file_exists(live) && cm_file_exists(other));
  unlink(live);
  unlink(other);
}

/* A real full disk: a 64 KB tmpfs. */
static void test_tmpfs(void) {
  char mnt[300], path[400];
  snprintf(mnt, sizeof mnt, "%s/small", g_dir);
  mkdir(mnt, 0755);
  if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
    printf("tmpfs part skipped: cannot mount a tmpfs here (%s)\n", strerror(errno));
    rmdir(mnt);
    return;
  }
  snprintf(path, sizeof path, "%s/model.pt", mnt);
  cm_err e = {{0}};
  CHECK_OK(cm_write_file_atomic(path, "good", 4, &e), &e);
  size_t big = 256 * 1024;
  char *junk = calloc(big, 1);
  int rc = cm_write_file_atomic(path, junk, big, &e);
  CHECK(rc == -1 && strstr(e.msg, path) && strstr(e.msg, strerror(ENOSPC)));
  size_t n;
  char *t = slurp(path, &n);
  CHECK(t && n == 4 && !memcmp(t, "good", 4));
  free(t);
  free(junk);
  DIR *d = opendir(mnt);
  int files = 0;
  for (struct dirent *de; d && (de = readdir(d));) files += de->d_name[0] != '.';
  if (d) closedir(d);
  CHECK(files == 1); /* the temporary file is gone */
  CHECK(umount(mnt) == 0);
  rmdir(mnt);
}

int main(void) {
  const char *base = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/cm_write_faults_XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(g_dir)) return 1;
  test_torch();
  test_config_and_motion();
  test_harness_files();
  test_png();
  test_video();
  test_skip_count();
  test_stale_temps();
  test_log_rows();
  test_tmpfs();
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  return check_report("test_write_faults");
}
