/* Offscreen rendering, video, PNG and viewer checks on a one-capsule fixture scene.
 * Pictures are judged by colour classes of pixels: the fixture's capsule is pure red,
 * the reference character is green, the sky is blue-ish and the floor grid is grey. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "core/fileio.h"
#include "render/offscreen.h"
#include "render/png.h"
#include "render/video.h"
#include "render/viewer.h"
#include "anim/mjcf.h"

#define W 160
#define H 120
static const char *k_fixture = "tests/data/render/capsule.xml";

/* OSMesa keeps a framebuffer record per buffer it was made current on, in a process-wide
 * list that it never frees (480 bytes here); not ours to free. Any test that renders
 * needs this suppression. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libOSMesa\n"; }

static const unsigned char *px(const unsigned char *img, int x, int y) { return img + ((size_t)y * W + (size_t)x) * 3; }
static int is_red(const unsigned char *p) { return p[0] > 80 && p[0] > 2 * p[1] && p[0] > 2 * p[2]; }
static int is_green(const unsigned char *p) { return p[1] > 80 && p[1] > p[0] + 40 && p[1] > p[2] + 20; }
/* The skybox gradient runs from (.55 .68 .85) to (.92 .94 .97); the floor's greys are only
 * slightly bluish (blue - red < 20), the sky well above the horizon is clearly so. */
static int is_sky(const unsigned char *p) { return p[2] > 180 && p[2] >= p[1] && p[1] >= p[0] && p[2] > p[0] + 30; }
static int is_grey(const unsigned char *p) {
  int mx = p[0], mn = p[0];
  for (int c = 1; c < 3; c++) {
    if (p[c] > mx) mx = p[c];
    if (p[c] < mn) mn = p[c];
  }
  return mx - mn < 30;
}

/* Centroid of the pixels of one colour class; returns their count. */
static int centroid(const unsigned char *img, int (*cls)(const unsigned char *), double *cx, double *cy) {
  double sx = 0, sy = 0;
  int n = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      if (cls(px(img, x, y))) {
        sx += x;
        sy += y;
        n++;
      }
  *cx = n ? sx / n : -1;
  *cy = n ? sy / n : -1;
  return n;
}

static int count_children(void) {
  /* waitpid(-1, WNOHANG) fails with ECHILD only when no child, live or zombie, is left. */
  int st;
  pid_t p = waitpid(-1, &st, WNOHANG);
  return p < 0 && errno == ECHILD ? 0 : 1;
}

static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  if (!d) return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void test_scene(const mjModel *m, cm_renderer *r, unsigned char *img) {
  mjData *d = mj_makeData(m), *ref = mj_makeData(m);
  cm_err err;
  mj_forward(m, d);
  cm_camera cam;
  cm_camera_default(&cam, CM_CAMERA_TRACK);
  cam.lookat[2] = 1.0; /* the capsule's centre height */
  CHECK_OK(cm_render_frame(r, m, d, NULL, &cam, img, &err), &err);

  /* Tracked: the capsule is at the centre of the picture. */
  double cx, cy;
  int red = centroid(img, is_red, &cx, &cy);
  CHECK(red > 200);
  CHECK_NEAR(cx, W / 2.0, 4);
  CHECK_NEAR(cy, H / 2.0, 8);
  CHECK(is_red(px(img, W / 2, H / 2)));
  /* Top rows: sky. */
  int sky = 0;
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < W; x++) sky += is_sky(px(img, x, y));
  CHECK(sky == 8 * W);
  /* Bottom quarter away from the capsule: grey floor with two checker shades plus grid lines. */
  int grey = 0, total = 0, lo = 255, hi = 0;
  for (int y = 3 * H / 4; y < H; y++)
    for (int x = 0; x < W; x++) {
      if (x > W / 2 - 25 && x < W / 2 + 25) continue;
      const unsigned char *p = px(img, x, y);
      total++;
      grey += is_grey(p);
      if (p[1] < lo) lo = p[1];
      if (p[1] > hi) hi = p[1];
    }
  CHECK(grey == total);
  int sky_low = 0;
  for (int y = 3 * H / 4; y < H; y++)
    for (int x = 0; x < W; x++) sky_low += is_sky(px(img, x, y));
  CHECK(sky_low == 0);
  CHECK(hi - lo > 25);
  int green0 = centroid(img, is_green, &cx, &cy);
  CHECK(green0 == 0);

  /* The reference pose 0.6 m along +x shows up green, to the right (camera azimuth 120:
   * +x points right and a little away), and the character stays red in the centre. */
  mju_copy(ref->qpos, d->qpos, m->nq);
  ref->qpos[0] += 0.6;
  mj_forward(m, ref);
  CHECK_OK(cm_render_frame(r, m, d, ref, &cam, img, &err), &err);
  int green = centroid(img, is_green, &cx, &cy);
  CHECK(green > 100);
  CHECK(cx > W / 2.0 + 10);
  double rx, ry;
  CHECK(centroid(img, is_red, &rx, &ry) > 100);
  CHECK_NEAR(rx, W / 2.0, 4);

  /* A reference far out of view changes nothing: its floor is not drawn a second time. */
  unsigned char *plain = malloc(W * H * 3);
  CHECK_OK(cm_render_frame(r, m, d, NULL, &cam, plain, &err), &err);
  ref->qpos[0] = 80;
  mj_forward(m, ref);
  CHECK_OK(cm_render_frame(r, m, d, ref, &cam, img, &err), &err);
  CHECK(memcmp(plain, img, W * H * 3) == 0);

  /* Still camera: the capsule moves right in the picture when the body moves along +x;
   * a tracking camera keeps it centred. */
  cm_camera still;
  cm_camera_default(&still, CM_CAMERA_STILL);
  still.lookat[2] = 1.0;
  CHECK_OK(cm_render_frame(r, m, d, NULL, &still, img, &err), &err);
  double x0, y0, x1, y1;
  CHECK(centroid(img, is_red, &x0, &y0) > 50);
  CHECK_NEAR(x0, W / 2.0, 4);
  d->qpos[0] += 0.5;
  mj_forward(m, d);
  CHECK_OK(cm_render_frame(r, m, d, NULL, &still, img, &err), &err);
  CHECK(centroid(img, is_red, &x1, &y1) > 50);
  /* expected shift: 0.5 m * cos(30 deg) seen from about 5 m with a 145 px focal length */
  CHECK_NEAR(x1 - x0, 0.5 * 0.866 * (H / 2.0) / tan(22.5 * M_PI / 180) / 5.0, 4);
  cm_renderer_reset_camera(r);
  cam.smoothing = 0;
  CHECK_OK(cm_render_frame(r, m, d, NULL, &cam, img, &err), &err);
  CHECK(centroid(img, is_red, &x1, &y1) > 100);
  CHECK_NEAR(x1, W / 2.0, 4);
  /* Smoothed tracking lags: after a jump the body sits between the old and the new centre. */
  cam.smoothing = 0.5;
  d->qpos[0] += 1.0;
  mj_forward(m, d);
  CHECK_OK(cm_render_frame(r, m, d, NULL, &cam, img, &err), &err);
  CHECK(centroid(img, is_red, &x1, &y1) > 50);
  CHECK(x1 > W / 2.0 + 5);

  /* Bad input is an error, not a crash. */
  cam.body = 99;
  CHECK(cm_render_frame(r, m, d, NULL, &cam, img, &err) == -1);
  CHECK(strstr(err.msg, "camera.body") != NULL);
  free(plain);
  mj_deleteData(d);
  mj_deleteData(ref);
}

static void test_png(const unsigned char *img, const char *dir) {
  cm_err err;
  char path[512], sheet_path[512];
  snprintf(path, sizeof path, "%s/frame.png", dir);
  CHECK_OK(cm_png_write_rgb(path, img, W, H, &err), &err);
  unsigned char *back = NULL;
  int w = 0, h = 0;
  CHECK_OK(cm_png_read_rgb(path, &back, &w, &h, &err), &err);
  CHECK(w == W && h == H);
  CHECK(back && memcmp(back, img, W * H * 3) == 0);
  free(back);
  CHECK(cm_png_read_rgb("tests/data/render/capsule.xml", &back, &w, &h, &err) == -1);

  /* Contact sheet of 7 solid frames in 4 columns: 2 rows, each tile its frame's colour. */
  enum { K = 7 };
  unsigned char *frames[K];
  for (int i = 0; i < K; i++) {
    frames[i] = malloc(W * H * 3);
    for (int p = 0; p < W * H; p++) {
      frames[i][3 * p + 0] = (unsigned char)(30 * i);
      frames[i][3 * p + 1] = (unsigned char)(200 - 20 * i);
      frames[i][3 * p + 2] = (unsigned char)(p % 2 ? 100 : 50); /* averages to 75 */
    }
  }
  CHECK_OK(cm_contact_sheet_path("out/run.mp4", sheet_path, sizeof sheet_path, &err), &err);
  CHECK(strcmp(sheet_path, "out/run.png") == 0);
  CHECK_OK(cm_contact_sheet_path("out.d/video", sheet_path, sizeof sheet_path, &err), &err);
  CHECK(strcmp(sheet_path, "out.d/video.png") == 0);
  CHECK(cm_contact_sheet_path("a.png", sheet_path, sizeof sheet_path, &err) == -1);
  snprintf(sheet_path, sizeof sheet_path, "%s/sheet.png", dir);
  CHECK_OK(cm_png_write_contact_sheet(sheet_path, (const unsigned char *const *)frames, K, W, H, 4, 80, &err), &err);
  CHECK_OK(cm_png_read_rgb(sheet_path, &back, &w, &h, &err), &err);
  int tile_h = 80 * H / W;
  CHECK(w == 4 * 80 + 5 * CM_SHEET_GAP);
  CHECK(h == 2 * tile_h + 3 * CM_SHEET_GAP);
  for (int i = 0; back && i < K; i++) {
    int x = CM_SHEET_GAP + (i % 4) * (80 + CM_SHEET_GAP) + 40, y = CM_SHEET_GAP + (i / 4) * (tile_h + CM_SHEET_GAP) + 30;
    const unsigned char *p = back + ((size_t)y * (size_t)w + (size_t)x) * 3;
    CHECK(p[0] == 30 * i && p[1] == 200 - 20 * i && p[2] == 75);
  }
  /* The eighth cell is empty: background. */
  if (back) {
    const unsigned char *p = back + ((size_t)(h - 10) * (size_t)w + (size_t)(w - 10)) * 3;
    CHECK(p[0] == 40 && p[1] == 40 && p[2] == 40);
  }
  free(back);
  for (int i = 0; i < K; i++) free(frames[i]);
}

static void test_video(const unsigned char *img, const char *dir) {
  cm_err err;
  char path[512], cmd[1024];
  snprintf(path, sizeof path, "%s/vid/clip.mp4", dir);
  char sub[512];
  snprintf(sub, sizeof sub, "%s/vid", dir);
  CHECK(mkdir(sub, 0755) == 0);
  cm_video *v = NULL;
  CHECK(cm_video_open(path, W + 1, H, 30, &v, &err) == -1 && strstr(err.msg, "even"));

  enum { N = 17 };
  CHECK_OK(cm_video_open(path, W, H, 30, &v, &err), &err);
  unsigned char *frame = malloc(W * H * 3);
  for (int i = 0; v && i < N; i++) {
    memcpy(frame, img, W * H * 3);
    for (int y = 0; y < 10; y++) memset(frame + (size_t)y * W * 3, (i * 15) & 255, 10 * 3); /* a changing corner */
    CHECK_OK(cm_video_write(v, frame, &err), &err);
  }
  CHECK(cm_video_frames(v) == N);
  CHECK(!cm_file_exists(path)); /* only a temporary name until closed */
  CHECK_OK(cm_video_close(v, &err), &err);
  CHECK(cm_file_exists(path));
  CHECK(count_files(sub) == 1); /* no temporary left */
  CHECK(count_children() == 0);
  if (cm_have_program("ffprobe")) {
    snprintf(cmd, sizeof cmd,
             "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height "
             "-of csv=p=0 '%s'",
             path);
    FILE *p = popen(cmd, "r");
    int fw = 0, fh = 0, frames = -1;
    CHECK(p && fscanf(p, "%d,%d,%d", &fw, &fh, &frames) == 3);
    if (p) pclose(p);
    CHECK(frames == N);
    CHECK(fw == W && fh == H);
  } else {
    printf("SKIP: ffprobe not found, MP4 frame count not checked\n");
  }

  /* ffmpeg failing (its output folder does not exist) is reported, and kills neither us
   * (SIGPIPE) nor leaves a zombie. */
  snprintf(path, sizeof path, "%s/no/such/dir/clip.mp4", dir);
  CHECK_OK(cm_video_open(path, W, H, 30, &v, &err), &err);
  int failed = 0;
  for (int i = 0; v && i < 200 && !failed; i++) failed = cm_video_write(v, img, &err) != 0;
  if (failed) {
    CHECK(strstr(err.msg, "ffmpeg") != NULL);
    CHECK(cm_video_close(v, &err) == -1);
  } else {
    CHECK(cm_video_close(v, &err) == -1);
  }
  CHECK(strstr(err.msg, "ffmpeg") != NULL);
  CHECK(count_children() == 0);

  /* Abort: nothing left behind. */
  snprintf(path, sizeof path, "%s/vid/aborted.mp4", dir);
  CHECK_OK(cm_video_open(path, W, H, 30, &v, &err), &err);
  CHECK_OK(cm_video_write(v, img, &err), &err);
  cm_video_abort(v);
  CHECK(count_files(sub) == 1);
  CHECK(count_children() == 0);

  /* No ffmpeg on PATH: a clear error. */
  char *old = strdup(getenv("PATH") ? getenv("PATH") : "");
  setenv("PATH", "/nonexistent", 1);
  CHECK(cm_video_open(path, W, H, 30, &v, &err) == -1);
  CHECK(strstr(err.msg, "ffmpeg was not found") != NULL);
  setenv("PATH", old, 1);
  free(old);
  free(frame);
}

static void test_viewer_without_display(void) {
  cm_err err;
  cm_viewer *v = NULL;
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  CHECK(cm_viewer_open("test", 320, 240, &v, &err) == -1);
  CHECK(v == NULL);
  CHECK(strcmp(err.msg, "cannot open a window: no display found (DISPLAY is not set); use --visualize false, "
                        "optionally with --video out.mp4") == 0);
}

int main(void) {
  cm_err err;
  mjModel *m = NULL;
  cm_mjcf_opts opts = {.add_scene = 1};
  CHECK_OK(cm_mjcf_compile(k_fixture, &opts, &m, NULL, &err), &err);
  if (!m) return check_report("test_render");
  cm_renderer *r = NULL;
  CHECK(cm_renderer_create(m, 0, 10, &r, &err) == -1);
  CHECK_OK(cm_renderer_create(m, W, H, &r, &err), &err);
  unsigned char *img = malloc(W * H * 3);
  char dir[] = "/tmp/cm_test_render_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  if (r) {
    test_scene(m, r, img);
    /* A fresh upright frame for the file tests. */
    mjData *d = mj_makeData(m);
    mj_forward(m, d);
    cm_camera cam;
    cm_camera_default(&cam, CM_CAMERA_TRACK);
    CHECK_OK(cm_render_frame(r, m, d, NULL, &cam, img, &err), &err);
    if (getenv("CM_RENDER_TEST_KEEP")) cm_png_write_rgb(getenv("CM_RENDER_TEST_KEEP"), img, W, H, &err);
    mj_deleteData(d);
    test_png(img, dir);
    test_video(img, dir);
  }
  test_viewer_without_display();
  cm_renderer_destroy(r);
  mj_deleteModel(m);
  free(img);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
  return check_report("test_render");
}
