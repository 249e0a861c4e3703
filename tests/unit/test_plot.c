/* Plots: tick choice and labels, smoothing against a brute-force mean, a chart written by cairo
 * and read back with libpng (white corners, both series' colours, antialiased edges, a rising
 * series higher on the right, a dark frame, nothing drawn outside it), NaN/single-point input,
 * and `cmimic plot` end to end with its error messages. The SVG side is read by python's
 * xml.etree in tests/cli/test_plot.sh. */
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "core/fileio.h"
#include "io/run_log.h"
#include "render/plot.h"
#include "render/png.h"

static char g_dir[256];

/* A path under the test's folder; the ring is larger than the number of calls made. */
static const char *tmp_path(const char *name) {
  static char buf[64][512];
  static int k = 0;
  if (k == 64) fprintf(stderr, "tmp_path: ring exhausted\n"), exit(1);
  char *b = buf[k++];
  snprintf(b, sizeof buf[0], "%s/%s", g_dir, name);
  return b;
}

static void test_ticks(void) {
  double t[32], step;
  int n = cm_plot_ticks(-10.46, 533.1, 6, t, 32, &step);
  CHECK(step == 100 && n == 6 && t[0] == 0 && t[5] == 500);
  n = cm_plot_ticks(-5.4, 3.9, 6, t, 32, &step);
  CHECK(step == 2 && n == 4 && t[0] == -4 && t[3] == 2);
  n = cm_plot_ticks(0.101, 0.139, 4, t, 32, &step);
  CHECK_NEAR(step, 0.01, 1e-15);
  CHECK(n == 3);
  CHECK(cm_plot_ticks(1, 1, 5, t, 32, &step) == 0);
  CHECK(cm_plot_ticks(0, 1, 5, t, 3, &step) == 3); /* respects max */
  struct { double v, step, maxabs; const char *want; } lab[] = {
      {2e8, 1e8, 5e8, "200M"}, {1.5e6, 5e5, 2e6, "1.5M"}, {250000, 50000, 250000, "250k"},
      {0, 1e8, 5e8, "0"}, {0.2, 0.2, 2, "0.2"}, {-4, 2, 4, "-4"}, {500, 100, 500, "500"},
      {0.12, 0.01, 0.14, "0.12"}, {3e9, 1e9, 5e9, "3G"}, {2e-5, 1e-5, 5e-5, "2e-05"}, {1250, 250, 2000, "1250"}};
  char buf[32];
  for (size_t i = 0; i < sizeof lab / sizeof lab[0]; i++) {
    cm_plot_tick_label(lab[i].v, lab[i].step, lab[i].maxabs, buf, sizeof buf);
    if (strcmp(buf, lab[i].want)) fprintf(stderr, "tick %g: got '%s' want '%s'\n", lab[i].v, buf, lab[i].want);
    CHECK(strcmp(buf, lab[i].want) == 0);
  }
}

/* The mean of the finite y[j], |j - i| <= half, summed afresh for each i. */
static double brute_mean(const double *y, int n, int i, int half) {
  double sum = 0;
  int count = 0;
  for (int j = i - half; j <= i + half; j++)
    if (j >= 0 && j < n && isfinite(y[j])) sum += y[j], count++;
  return sum / count;
}

static void test_smooth(void) {
  enum { N = 50 };
  double y[N], out[N];
  for (int i = 0; i < N; i++) y[i] = sin(i * 0.7) * 100 + i;
  y[10] = NAN, y[11] = INFINITY, y[30] = NAN;
  for (int window = 1; window <= 12; window++) {
    cm_plot_smooth(y, N, window, out);
    int half = window > 1 ? window / 2 : 0, bad = 0;
    for (int i = 0; i < N; i++) {
      if (!isfinite(y[i])) bad += !isnan(out[i]); /* gaps stay gaps */
      else bad += fabs(out[i] - brute_mean(y, N, i, half)) > 1e-9;
    }
    if (bad) fprintf(stderr, "smooth window %d: %d rows off\n", window, bad);
    CHECK(bad == 0);
  }
  cm_plot_smooth(y, N, 1, out); /* window 1: the data itself */
  CHECK(out[0] == y[0] && out[49] == y[49]);
  /* a window wider than the data: every finite row is the overall mean */
  cm_plot_smooth(y, N, 1000, out);
  CHECK_NEAR(out[0], out[49], 1e-9);
  CHECK_NEAR(out[0], brute_mean(y, N, 0, N), 1e-9);
  cm_plot_smooth(y, 0, 5, out); /* nothing to do, nothing touched */
}

static unsigned char *read_png(const char *path, int *w, int *h) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path)) return NULL;
  img.format = PNG_FORMAT_RGB;
  unsigned char *buf = malloc(PNG_IMAGE_SIZE(img));
  if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
    free(buf);
    png_image_free(&img);
    return NULL;
  }
  *w = (int)img.width, *h = (int)img.height;
  return buf;
}

/* Draws the chart to a PNG and reads it back as RGB with libpng. */
static unsigned char *render(const cm_plot_series *s, int ns, const cm_plot_opts *o, int *w, int *h, int *pts,
                             cm_err *err) {
  const char *path = tmp_path("render.png");
  if (cm_plot_write(path, s, ns, o, pts, err)) return NULL;
  return read_png(path, w, h);
}

static const unsigned char *px(const unsigned char *im, int w, int x, int y) { return im + 3 * ((size_t)y * w + x); }
static int is_color(const unsigned char *p, const unsigned char c[3]) { return p[0] == c[0] && p[1] == c[1] && p[2] == c[2]; }
static int is_white(const unsigned char *p) { return p[0] == 255 && p[1] == 255 && p[2] == 255; }
static int is_dark(const unsigned char *p) { return p[0] < 80 && p[1] < 80 && p[2] < 80; }

/* Mean row of the pixels of colour c in columns [x0, x1). */
static double mean_row(const unsigned char *im, int w, int h, int x0, int x1, const unsigned char c[3], int *count) {
  double sum = 0;
  *count = 0;
  for (int y = 0; y < h; y++)
    for (int x = x0; x < x1; x++)
      if (is_color(px(im, w, x, y), c)) sum += y, ++*count;
  return *count ? sum / *count : -1;
}

static void test_render(void) {
  enum { N = 60 };
  double x[N], up[N], down[N];
  for (int i = 0; i < N; i++) {
    x[i] = i * 1e6;
    up[i] = 10.0 * i / (N - 1);
    down[i] = 7.0 - 4.0 * i / (N - 1);
  }
  cm_plot_series s[2] = {{"rising", x, up, N}, {"falling", x, down, N}};
  cm_plot_opts o = {.width = 800, .height = 500, .title = "Two runs", .xlabel = "Samples", .ylabel = "Test_Return",
                    .legend = 0};
  int w = 0, h = 0, pts = 0;
  cm_err err = {{0}};
  const char *path = tmp_path("two.png");
  CHECK_OK(cm_plot_write(path, s, 2, &o, &pts, &err), &err);
  CHECK(pts == 2 * N);

  int rw = 0, rh = 0;
  unsigned char *im = read_png(path, &rw, &rh);
  CHECK(im != NULL && rw == 800 && rh == 500);
  (void)w, (void)h;
  if (!im) return;
  CHECK(is_white(px(im, rw, 0, 0)) && is_white(px(im, rw, rw - 1, 0)) && is_white(px(im, rw, 0, rh - 1)) &&
        is_white(px(im, rw, rw - 1, rh - 1)));

  /* The frame: the first dark column from the left on the middle row, dark over a long run;
   * likewise the bottom edge from below on the middle column. */
  int fx0 = -1, fx1 = -1, fy0 = -1, fy1 = -1;
  for (int xx = 0; xx < rw / 2 && fx0 < 0; xx++)
    if (is_dark(px(im, rw, xx, rh / 2)) && is_dark(px(im, rw, xx, rh / 2 + 40)) && is_dark(px(im, rw, xx, rh / 2 - 40)))
      fx0 = xx;
  for (int xx = rw - 1; xx > rw / 2 && fx1 < 0; xx--)
    if (is_dark(px(im, rw, xx, rh / 2)) && is_dark(px(im, rw, xx, rh / 2 + 40))) fx1 = xx;
  for (int yy = rh - 1; yy > rh / 2 && fy1 < 0; yy--)
    if (is_dark(px(im, rw, rw / 2, yy)) && is_dark(px(im, rw, rw / 2 + 50, yy)) && is_dark(px(im, rw, rw / 2 - 50, yy)))
      fy1 = yy;
  for (int yy = 0; yy < rh / 2 && fy0 < 0; yy++)
    if (is_dark(px(im, rw, rw / 2 + 50, yy)) && is_dark(px(im, rw, rw / 2 - 50, yy)) &&
        is_dark(px(im, rw, rw / 2 + 100, yy)))
      fy0 = yy;
  CHECK(fx0 > 20 && fx1 > fx0 + 400 && fy0 > 20 && fy1 > fy0 + 250);
  int dark_run = 0;
  for (int yy = fy0; fx0 >= 0 && yy <= fy1 && fy0 >= 0; yy++) dark_run += is_dark(px(im, rw, fx0, yy));
  CHECK(dark_run == fy1 - fy0 + 1);
  /* Tick marks stick out of the frame below it. */
  int ticks = 0;
  for (int xx = fx0; fx0 >= 0 && xx <= fx1; xx++) ticks += is_dark(px(im, rw, xx, fy1 + 3));
  CHECK(ticks >= 4 && ticks < 20);

  unsigned char c0[3], c1[3];
  cm_plot_color(0, c0);
  cm_plot_color(1, c1);
  CHECK(memcmp(c0, c1, 3) != 0);
  int n0l, n0r, n1l, n1r;
  int q = (fx1 - fx0) / 4;
  double r0l = mean_row(im, rw, rh, fx0, fx0 + q, c0, &n0l), r0r = mean_row(im, rw, rh, fx1 - q, fx1, c0, &n0r);
  double r1l = mean_row(im, rw, rh, fx0, fx0 + q, c1, &n1l), r1r = mean_row(im, rw, rh, fx1 - q, fx1, c1, &n1r);
  CHECK(n0l > 20 && n0r > 20 && n1l > 20 && n1r > 20); /* both colours present */
  /* Antialiased: many pixels are blends of a series colour with the white background. */
  int blends = 0;
  for (int i = 0; i < rw * rh; i++) {
    const unsigned char *p = im + 3 * i;
    double t = (255.0 - p[0]) / (255.0 - c0[0]); /* how much of c0 the red channel says */
    if (t < 0.15 || t > 0.85) continue;
    int on_segment = 1;
    for (int k = 1; k < 3; k++) on_segment &= fabs(255.0 - t * (255.0 - c0[k]) - p[k]) < 4;
    blends += on_segment;
  }
  CHECK(blends > 100);
  CHECK(r0r < r0l - 100); /* rising: higher (smaller row) on the right */
  CHECK(r1r > r1l + 50);  /* falling */
  /* Clipping: no series pixel outside the frame. */
  int outside = 0;
  for (int yy = 0; yy < rh; yy++)
    for (int xx = 0; xx < rw; xx++) {
      const unsigned char *p = px(im, rw, xx, yy);
      if ((is_color(p, c0) || is_color(p, c1)) && (xx <= fx0 || xx >= fx1 || yy <= fy0 || yy >= fy1)) outside++;
    }
  CHECK(outside == 0);
  free(im);
}

static void test_render_edges(void) {
  cm_err err = {{0}};
  unsigned char *rgb = NULL, c0[3];
  int w, h, pts = -1;
  cm_plot_color(0, c0);
  /* NaN and inf break the line; a lone finite point is a dot. */
  double x[7] = {0, 1, 2, 3, 4, 5, 6}, y[7] = {NAN, 1, 2, INFINITY, 3, NAN, 1.5};
  cm_plot_series s = {"gappy", x, y, 7};
  cm_plot_opts o = {.width = 300, .height = 200};
  CHECK((rgb = render(&s, 1, &o, &w, &h, &pts, &err)) != NULL);
  CHECK(pts == 4);
  int found = 0;
  for (int i = 0; rgb && i < w * h; i++) found += is_color(rgb + 3 * i, c0);
  CHECK(found > 10);
  free(rgb);
  /* One point only. */
  double x1 = 5, y1 = 3.5;
  cm_plot_series one = {"one", &x1, &y1, 1};
  CHECK((rgb = render(&one, 1, &o, &w, &h, &pts, &err)) != NULL);
  found = 0;
  for (int i = 0; rgb && i < w * h; i++) found += is_color(rgb + 3 * i, c0);
  CHECK(pts == 1 && found >= 9); /* a dot of radius 3 */
  free(rgb);
  /* Nothing finite: empty axes, no error. */
  double yn[2] = {NAN, NAN};
  cm_plot_series none = {"none", x, yn, 2};
  CHECK((rgb = render(&none, 1, &o, &w, &h, &pts, &err)) != NULL);
  CHECK(pts == 0);
  free(rgb);
  rgb = NULL;
  /* Too small or too large a picture is refused. */
  cm_plot_opts tiny = {.width = 100, .height = 80};
  CHECK(cm_plot_write(tmp_path("tiny.png"), &s, 1, &tiny, &pts, &err) != 0 && !cm_file_exists(tmp_path("tiny.png")));
  /* Only .png and .svg names. */
  CHECK(cm_plot_write(tmp_path("x.jpg"), &s, 1, &o, &pts, &err) != 0 && strstr(err.msg, ".png or .svg"));
  /* Labels in UTF-8 and in no encoding at all (cairo draws only UTF-8: the bad bytes become '?'). */
  cm_plot_series named[2] = {{"run_\xff\xfe_latin1", x, y, 7}, {"L\xc3\xa4ufe \xe2\x86\x92 ok", x, y, 7}};
  cm_plot_opts labelled = {.width = 400, .height = 300, .title = "caf\xe9", .xlabel = "Samples", .legend = 1};
  CHECK_OK(cm_plot_write(tmp_path("names.png"), named, 2, &labelled, &pts, &err), &err);
  CHECK_OK(cm_plot_write(tmp_path("names.svg"), named, 2, &labelled, &pts, &err), &err);
  /* Spans beyond the double range. */
  double xb[2] = {-1.7e308, 1.7e308};
  cm_plot_series big = {"big", xb, xb, 2};
  CHECK(cm_plot_write(tmp_path("big.png"), &big, 1, &o, &pts, &err) != 0);
}

/* Runs cm_cmd_plot with stderr captured into *msg (malloc'd). */
static int run_plot(char **argv, int argc, char **msg) {
  const char *cap = tmp_path("stderr.txt");
  fflush(stderr);
  int saved = dup(2);
  int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 2);
  close(fd);
  int rc = cm_cmd_plot(argc, argv);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  cm_err err;
  *msg = NULL;
  if (cm_read_file(cap, msg, NULL, &err)) *msg = strdup("");
  return rc;
}

static void write_log(const char *path, double rate) {
  cm_err err = {{0}};
  cm_log *log = NULL;
  CHECK_OK(cm_log_open(path, 0, &log, &err), &err);
  for (int i = 0; log && i < 40; i++) {
    cm_log_set_ex(log, "Iteration", i, CM_LOG_INT, &err);
    cm_log_set(log, "Wall_Time", i * 0.01, &err);
    cm_log_set_ex(log, "Samples", i * 4096.0, CM_LOG_INT, &err);
    cm_log_set(log, "Test_Return", rate * i, &err);
    cm_log_set(log, "Train_Return", rate * i * 0.8, &err);
    CHECK_OK(cm_log_write_row(log, &err), &err);
  }
  cm_log_close(log);
}

static void test_command(void) {
  const char *a = tmp_path("run_a/log.txt"), *b = tmp_path("run_b/log.txt"), *out = tmp_path("curve.png");
  write_log(a, 1.0);
  write_log(b, 0.5);
  char *msg = NULL;
  cm_err err = {{0}};
  char *ok[] = {(char *)a, (char *)b, "-o", (char *)out, "--x", "Wall_Time", "--y", "Test_Return,Train_Return",
                "--title", "Runs"};
  CHECK(run_plot(ok, 10, &msg) == 0);
  free(msg);
  int w = 0, h = 0;
  unsigned char *im = read_png(out, &w, &h);
  CHECK(im && w == 960 && h == 640);
  /* Four series (two logs x two columns): four colours in the picture. */
  for (int k = 0; im && k < 4; k++) {
    unsigned char c[3];
    cm_plot_color(k, c);
    int n = 0;
    for (int i = 0; i < w * h; i++) n += is_color(im + 3 * i, c);
    CHECK(n > 50);
  }
  free(im);

  /* SVG and smoothing through the command; the file's content is read by tests/cli/test_plot.sh */
  char *svg[] = {(char *)a, "-o", (char *)tmp_path("curve.svg"), "--smooth", "5"};
  CHECK(run_plot(svg, 5, &msg) == 0);
  free(msg);
  char *text = NULL;
  CHECK(cm_read_file(tmp_path("curve.svg"), &text, NULL, &err) == 0 && text && strstr(text, "<svg") != NULL);
  free(text);
  char *jpg[] = {(char *)a, "-o", (char *)tmp_path("curve.jpg")};
  CHECK(run_plot(jpg, 3, &msg) == 2);
  CHECK(strstr(msg, "must end in .png or .svg") != NULL && !cm_file_exists(tmp_path("curve.jpg")));
  free(msg);
  char *smooth0[] = {(char *)a, "-o", (char *)out, "--smooth", "0"};
  CHECK(run_plot(smooth0, 5, &msg) == 2);
  CHECK(strstr(msg, "--smooth must be a whole number") != NULL);
  free(msg);

  char *typo[] = {(char *)a, "-o", (char *)out, "--y", "Test_Retrun"};
  CHECK(run_plot(typo, 5, &msg) == 2);
  CHECK(strstr(msg, "log.txt has no column 'Test_Retrun' (did you mean 'Test_Return'?)") != NULL);
  free(msg);
  char *missing[] = {(char *)tmp_path("nope/log.txt"), "-o", (char *)out};
  CHECK(run_plot(missing, 3, &msg) == 2);
  CHECK(strstr(msg, "nope/log.txt: cannot open") != NULL);
  free(msg);
  const char *bad = tmp_path("bad/log.txt");
  cm_mkdirs(tmp_path("bad"), &err);
  cm_write_file_atomic(bad, "Samples Test_Return\r1 2\r3\r", 26, &err);
  char *malformed[] = {(char *)bad, "-o", (char *)out};
  CHECK(run_plot(malformed, 3, &msg) == 2);
  CHECK(strstr(msg, "bad/log.txt:3: row has 1 values") != NULL);
  free(msg);
  char *noout[] = {(char *)a};
  CHECK(run_plot(noout, 1, &msg) == 2);
  CHECK(strstr(msg, "missing -o") != NULL);
  free(msg);
  char *flag[] = {(char *)a, "-o", (char *)out, "--titel", "T"};
  CHECK(run_plot(flag, 5, &msg) == 2);
  CHECK(strstr(msg, "unknown flag --titel (did you mean --title?)") != NULL);
  free(msg);
  char *size[] = {(char *)a, "-o", (char *)out, "--width=50"};
  CHECK(run_plot(size, 4, &msg) == 2);
  free(msg);
  char *badout[] = {(char *)a, "-o", (char *)tmp_path("no_dir/x/curve.png")};
  CHECK(run_plot(badout, 3, &msg) == 1);
  CHECK(strstr(msg, "curve.png") != NULL);
  free(msg);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/cm_test_plot_%ld", (long)getpid());
  cm_err err;
  cm_mkdirs(g_dir, &err);
  test_smooth();
  test_ticks();
  test_render();
  test_render_edges();
  test_command();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  return check_report("test_plot");
}
