#include "render/plot.h"

#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include "core/bytebuf.h"
#include "core/fileio.h"

/* ------------------------------------------------------------------ look */

enum {
  TEXT_SCALE = 2,   /* 5x7 glyphs drawn as 10x14 */
  TITLE_SCALE = 3,
  TICK_LEN = 6,
  PAD = 12,
  LINE_HALF_WIDTH_X10 = 11, /* lines 2.2 px wide */
  DOT_RADIUS = 3,
};
static const unsigned char k_white[3] = {255, 255, 255};
static const unsigned char k_ink[3] = {30, 30, 30};      /* text, frame, ticks */
static const unsigned char k_grid[3] = {200, 200, 200};  /* dotted grid */
static const unsigned char k_legend_edge[3] = {190, 190, 190};

/* matplotlib's default colour cycle (tab10). */
static const unsigned char k_tab10[10][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28}, {0x94, 0x67, 0xbd},
    {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f}, {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}};

void cm_plot_color(int i, unsigned char rgb[3]) {
  memcpy(rgb, k_tab10[((i % 10) + 10) % 10], 3);
}

typedef struct image {
  int w, h;
  unsigned char *px;
} image;

static void put(image *im, int x, int y, const unsigned char c[3]) {
  if (x < 0 || y < 0 || x >= im->w || y >= im->h) return;
  memcpy(im->px + 3 * ((size_t)y * (size_t)im->w + (size_t)x), c, 3);
}

static void blend(image *im, int x, int y, const unsigned char c[3], float a) {
  if (x < 0 || y < 0 || x >= im->w || y >= im->h || a <= 0) return;
  if (a > 1) a = 1;
  unsigned char *p = im->px + 3 * ((size_t)y * (size_t)im->w + (size_t)x);
  for (int k = 0; k < 3; k++) p[k] = (unsigned char)lrintf((float)p[k] * (1 - a) + (float)c[k] * a);
}

static void fill_rect(image *im, int x0, int y0, int x1, int y1, const unsigned char c[3]) {
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) put(im, x, y, c);
}

static void hline(image *im, int x0, int x1, int y, const unsigned char c[3], int dotted) {
  for (int x = x0; x <= x1; x++)
    if (!dotted || (x - x0) % 4 < 2) put(im, x, y, c);
}

static void vline(image *im, int x, int y0, int y1, const unsigned char c[3], int dotted) {
  for (int y = y0; y <= y1; y++)
    if (!dotted || (y - y0) % 4 < 2) put(im, x, y, c);
}

/* ------------------------------------------------------------------ text */

static int text_width(const char *s, int scale) {
  int n = (int)strlen(s);
  return n > 0 ? (n * (CM_FONT_W + 1) - 1) * scale : 0;
}

/* Horizontal text with its top-left corner at (x, y). */
static void draw_text(image *im, int x, int y, const char *s, int scale, const unsigned char c[3]) {
  for (int k = 0; s[k]; k++)
    for (int r = 0; r < CM_FONT_H + CM_FONT_DESCENT; r++)
      for (int col = 0; col < CM_FONT_W; col++)
        if (cm_font5x7_pixel((unsigned char)s[k], r, col))
          fill_rect(im, x + (k * (CM_FONT_W + 1) + col) * scale, y + r * scale,
                    x + (k * (CM_FONT_W + 1) + col + 1) * scale, y + (r + 1) * scale, c);
}

/* Text turned 90 degrees counter-clockwise (read bottom to top), its bottom-left at (x, y). */
static void draw_text_up(image *im, int x, int y, const char *s, int scale, const unsigned char c[3]) {
  for (int k = 0; s[k]; k++)
    for (int r = 0; r < CM_FONT_H + CM_FONT_DESCENT; r++)
      for (int col = 0; col < CM_FONT_W; col++)
        if (cm_font5x7_pixel((unsigned char)s[k], r, col)) {
          int along = k * (CM_FONT_W + 1) + col;
          fill_rect(im, x + r * scale, y - (along + 1) * scale, x + (r + 1) * scale, y - along * scale, c);
        }
}

/* ------------------------------------------------------------------ ticks */

static double nice_step(double raw) {
  double e = pow(10.0, floor(log10(raw)));
  double f = raw / e;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * e;
}

int cm_plot_ticks(double lo, double hi, int target, double *ticks, int max, double *step) {
  if (!(hi > lo) || !isfinite(hi - lo) || target < 1) {
    *step = 0;
    return 0;
  }
  double s = nice_step((hi - lo) / target);
  *step = s;
  double k0 = ceil(lo / s - 1e-9), k1 = floor(hi / s + 1e-9);
  int n = 0;
  for (double k = k0; k <= k1 && n < max; k += 1) ticks[n++] = k == 0 ? 0.0 : k * s;
  return n;
}

void cm_plot_tick_label(double v, double step, double maxabs, char *buf, int n) {
  if (v == 0 || !(step > 0)) { /* "0", never "-0" or "0.00" */
    snprintf(buf, (size_t)n, v == 0 ? "0" : "%g", v);
    return;
  }
  static const struct { double unit; const char *suffix; } units[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  double unit = 1;
  const char *suffix = "";
  if (maxabs >= 1e4 && maxabs < 1e15) {
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
      if (maxabs >= units[i].unit) {
        unit = units[i].unit;
        suffix = units[i].suffix;
        break;
      }
  } else if (maxabs >= 1e15 || step < 1e-4) {
    snprintf(buf, (size_t)n, "%.3g", v);
    return;
  }
  int decimals = (int)ceil(-log10(step / unit) - 1e-9);
  if (decimals < 0) decimals = 0;
  if (decimals > 6) decimals = 6;
  snprintf(buf, (size_t)n, "%.*f%s", decimals, v / unit, suffix);
}

/* ------------------------------------------------------------------ lines */

typedef struct plot_area {
  int x0, y0, x1, y1; /* inclusive frame corners; data is drawn strictly inside */
  double xlo, xhi, ylo, yhi;
} plot_area;

static double map_x(const plot_area *a, double x) {
  return a->x0 + 0.5 + (x - a->xlo) / (a->xhi - a->xlo) * (a->x1 - a->x0);
}

static double map_y(const plot_area *a, double y) {
  return a->y1 + 0.5 - (y - a->ylo) / (a->yhi - a->ylo) * (a->y1 - a->y0);
}

/* Coverage of a segment (or a dot when both ends coincide) of half-width hw, kept as the
 * per-pixel maximum so that joints between segments are not drawn twice as dark. */
static void cover_segment(float *cov, const plot_area *a, double ax, double ay, double bx, double by, double hw) {
  int cx0 = a->x0 + 1, cy0 = a->y0 + 1, cw = a->x1 - a->x0 - 1, ch = a->y1 - a->y0 - 1;
  double lo_x = fmin(ax, bx) - hw - 1, hi_x = fmax(ax, bx) + hw + 1;
  double lo_y = fmin(ay, by) - hw - 1, hi_y = fmax(ay, by) + hw + 1;
  /* Clip the box to the inside of the frame before converting to int. */
  lo_x = fmax(lo_x, cx0), hi_x = fmin(hi_x, cx0 + cw - 1);
  lo_y = fmax(lo_y, cy0), hi_y = fmin(hi_y, cy0 + ch - 1);
  if (!(lo_x <= hi_x) || !(lo_y <= hi_y)) return;
  double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
  for (int py = (int)lo_y; py <= (int)hi_y; py++)
    for (int px = (int)lo_x; px <= (int)hi_x; px++) {
      double qx = px + 0.5 - ax, qy = py + 0.5 - ay;
      double t = len2 > 0 ? (qx * dx + qy * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      double ex = qx - t * dx, ey = qy - t * dy;
      double c = hw + 0.5 - sqrt(ex * ex + ey * ey);
      if (c <= 0) continue;
      float *p = &cov[(size_t)(py - cy0) * (size_t)cw + (size_t)(px - cx0)];
      if ((float)c > *p) *p = c > 1 ? 1.0f : (float)c;
    }
}

static int drawable(const cm_plot_series *s, int i) {
  return isfinite(s->x[i]) && isfinite(s->y[i]);
}

static void draw_series(image *im, const plot_area *a, const cm_plot_series *s, const unsigned char col[3], float *cov,
                        unsigned char *occupied) {
  int cw = a->x1 - a->x0 - 1, ch = a->y1 - a->y0 - 1;
  memset(cov, 0, (size_t)cw * (size_t)ch * sizeof *cov);
  double hw = LINE_HALF_WIDTH_X10 / 10.0;
  for (int i = 0; i < s->n; i++) {
    if (!drawable(s, i)) continue;
    double px = map_x(a, s->x[i]), py = map_y(a, s->y[i]);
    int prev = i > 0 && drawable(s, i - 1), next = i + 1 < s->n && drawable(s, i + 1);
    if (next) {
      double qx = map_x(a, s->x[i + 1]), qy = map_y(a, s->y[i + 1]);
      if (isfinite(px) && isfinite(py) && isfinite(qx) && isfinite(qy)) cover_segment(cov, a, px, py, qx, qy, hw);
    } else if (!prev && isfinite(px) && isfinite(py)) {
      cover_segment(cov, a, px, py, px, py, DOT_RADIUS);
    }
  }
  for (int y = 0; y < ch; y++)
    for (int x = 0; x < cw; x++) {
      float c = cov[(size_t)y * (size_t)cw + (size_t)x];
      if (c <= 0) continue;
      blend(im, a->x0 + 1 + x, a->y0 + 1 + y, col, c);
      if (c > 0.3f) occupied[(size_t)y * (size_t)cw + (size_t)x] = 1;
    }
}

/* ------------------------------------------------------------------ legend */

static void draw_legend(image *im, const plot_area *a, const cm_plot_series *s, int ns, const unsigned char *occupied) {
  enum { SWATCH = 26, ROW = 20, INNER = 8, MARGIN = 10, MAX_CHARS = 48 };
  char(*labels)[MAX_CHARS + 1] = malloc((size_t)ns * sizeof *labels);
  if (!labels) return;
  int tw = 0;
  for (int i = 0; i < ns; i++) {
    const char *l = s[i].label ? s[i].label : "";
    size_t n = strlen(l);
    if (n > MAX_CHARS) { /* keep the end: run folders differ there */
      memcpy(labels[i], "...", 3);
      memcpy(labels[i] + 3, l + n - (MAX_CHARS - 3), MAX_CHARS - 3);
      labels[i][MAX_CHARS] = 0;
    } else {
      memcpy(labels[i], l, n + 1);
    }
    int w = text_width(labels[i], TEXT_SCALE);
    if (w > tw) tw = w;
  }
  int bw = INNER + SWATCH + INNER + tw + INNER, bh = INNER + ns * ROW - (ROW - CM_FONT_H * TEXT_SCALE) + INNER;
  int cw = a->x1 - a->x0 - 1, ch = a->y1 - a->y0 - 1;
  /* Like matplotlib's loc="best": the inside corner whose box covers the fewest line pixels. */
  int best = 0;
  long best_count = -1;
  int corners[4][2] = {{a->x0 + MARGIN, a->y0 + MARGIN}, {a->x1 - MARGIN - bw, a->y0 + MARGIN},
                       {a->x0 + MARGIN, a->y1 - MARGIN - bh}, {a->x1 - MARGIN - bw, a->y1 - MARGIN - bh}};
  for (int c = 0; c < 4; c++) {
    long count = 0;
    for (int y = corners[c][1]; y < corners[c][1] + bh; y++)
      for (int x = corners[c][0]; x < corners[c][0] + bw; x++) {
        int ix = x - a->x0 - 1, iy = y - a->y0 - 1;
        if (ix >= 0 && iy >= 0 && ix < cw && iy < ch) count += occupied[(size_t)iy * (size_t)cw + (size_t)ix];
      }
    if (best_count < 0 || count < best_count) best_count = count, best = c;
  }
  int bx = corners[best][0], by = corners[best][1];
  fill_rect(im, bx, by, bx + bw, by + bh, k_white);
  hline(im, bx, bx + bw - 1, by, k_legend_edge, 0);
  hline(im, bx, bx + bw - 1, by + bh - 1, k_legend_edge, 0);
  vline(im, bx, by, by + bh - 1, k_legend_edge, 0);
  vline(im, bx + bw - 1, by, by + bh - 1, k_legend_edge, 0);
  for (int i = 0; i < ns; i++) {
    unsigned char col[3];
    cm_plot_color(i, col);
    int ty = by + INNER + i * ROW, mid = ty + CM_FONT_H * TEXT_SCALE / 2;
    fill_rect(im, bx + INNER, mid - 1, bx + INNER + SWATCH, mid + 2, col);
    draw_text(im, bx + INNER + SWATCH + INNER, ty, labels[i], TEXT_SCALE, k_ink);
  }
  free(labels);
}

/* ------------------------------------------------------------------ chart */

static void data_range(const cm_plot_series *s, int ns, double *xlo, double *xhi, double *ylo, double *yhi, int *count) {
  *xlo = *ylo = INFINITY;
  *xhi = *yhi = -INFINITY;
  *count = 0;
  for (int k = 0; k < ns; k++)
    for (int i = 0; i < s[k].n; i++) {
      if (!drawable(&s[k], i)) continue;
      ++*count;
      *xlo = fmin(*xlo, s[k].x[i]), *xhi = fmax(*xhi, s[k].x[i]);
      *ylo = fmin(*ylo, s[k].y[i]), *yhi = fmax(*yhi, s[k].y[i]);
    }
  if (*count == 0) *xlo = *ylo = 0, *xhi = *yhi = 1;
}

/* Pads [lo, hi] by frac of its span each side; a single value gets a span of its own size. */
static void pad_range(double *lo, double *hi, double frac) {
  if (*hi == *lo) {
    double d = fabs(*lo) > 0 ? 0.1 * fabs(*lo) : 1.0;
    *lo -= d, *hi += d;
    return;
  }
  double d = (*hi - *lo) * frac;
  *lo -= d, *hi += d;
}

static int tick_labels(double lo, double hi, int target, double *ticks, char (*labels)[32], int *maxw) {
  double step;
  int n = cm_plot_ticks(lo, hi, target, ticks, 32, &step);
  double maxabs = 0;
  for (int i = 0; i < n; i++) maxabs = fmax(maxabs, fabs(ticks[i]));
  *maxw = 0;
  for (int i = 0; i < n; i++) {
    cm_plot_tick_label(ticks[i], step, maxabs, labels[i], 32);
    int w = text_width(labels[i], TEXT_SCALE);
    if (w > *maxw) *maxw = w;
  }
  return n;
}

int cm_plot_render(const cm_plot_series *series, int ns, const cm_plot_opts *opts, unsigned char **rgb, int *width,
                   int *height, int *finite_points, cm_err *err) {
  *rgb = NULL;
  int W = opts->width > 0 ? opts->width : 960, H = opts->height > 0 ? opts->height : 640;
  if (W < 200 || H < 150 || W > 10000 || H > 10000)
    return cm_fail(err, "plot size %dx%d is outside 200x150 .. 10000x10000", W, H);
  for (int k = 0; k < ns; k++)
    if (series[k].n < 0 || (series[k].n > 0 && (!series[k].x || !series[k].y)))
      return cm_fail(err, "plot: series %d has no data arrays", k);
  plot_area a;
  int count;
  data_range(series, ns, &a.xlo, &a.xhi, &a.ylo, &a.yhi, &count);
  pad_range(&a.xlo, &a.xhi, 0.02);
  pad_range(&a.ylo, &a.yhi, 0.05);
  if (!isfinite(a.xhi - a.xlo) || !isfinite(a.yhi - a.ylo))
    return cm_fail(err, "plot: the data span is too large to draw (beyond the double range)");
  if (finite_points) *finite_points = count;

  /* Layout: reserve room for the y tick labels, the axis labels and the title. */
  double xt[32], yt[32];
  char xl[32][32], yl[32][32];
  int xw, yw;
  int nyt = tick_labels(a.ylo, a.yhi, 6, yt, yl, &yw);
  int nxt = 0;
  /* Fewer x ticks until their labels leave at least three characters between them. */
  for (int target = 8; target >= 2; target--) {
    nxt = tick_labels(a.xlo, a.xhi, target, xt, xl, &xw);
    int need = 0, gap = 3 * (CM_FONT_W + 1) * TEXT_SCALE;
    for (int i = 0; i < nxt; i++) need += text_width(xl[i], TEXT_SCALE) + gap;
    if (need <= W - 2 * PAD - (yw + 60)) break;
  }
  int glyph_h = CM_FONT_H * TEXT_SCALE;
  int has_title = opts->title && *opts->title, has_xl = opts->xlabel && *opts->xlabel,
      has_yl = opts->ylabel && *opts->ylabel;
  a.x0 = PAD + (has_yl ? glyph_h + PAD : 0) + yw + TICK_LEN + 6;
  a.y0 = has_title ? PAD + CM_FONT_H * TITLE_SCALE + PAD : PAD + glyph_h / 2;
  a.x1 = W - 1 - (xw / 2 + PAD);
  a.y1 = H - 1 - (PAD + (has_xl ? glyph_h + PAD : 0) + glyph_h + TICK_LEN + 6);
  if (a.x1 - a.x0 < 40 || a.y1 - a.y0 < 40) return cm_fail(err, "plot: %dx%d is too small for its labels", W, H);

  image im = {W, H, malloc((size_t)W * (size_t)H * 3)};
  int cw = a.x1 - a.x0 - 1, ch = a.y1 - a.y0 - 1;
  float *cov = malloc((size_t)cw * (size_t)ch * sizeof *cov);
  unsigned char *occupied = calloc((size_t)cw * (size_t)ch, 1);
  if (!im.px || !cov || !occupied) {
    free(im.px), free(cov), free(occupied);
    return cm_fail(err, "plot: out of memory");
  }
  memset(im.px, 255, (size_t)W * (size_t)H * 3);

  /* Grid under the data, ticks and labels outside the frame. */
  for (int i = 0; i < nxt; i++) {
    int x = (int)floor(map_x(&a, xt[i]));
    if (x <= a.x0 || x >= a.x1) continue;
    vline(&im, x, a.y0 + 1, a.y1 - 1, k_grid, 1);
  }
  for (int i = 0; i < nyt; i++) {
    int y = (int)floor(map_y(&a, yt[i]));
    if (y <= a.y0 || y >= a.y1) continue;
    hline(&im, a.x0 + 1, a.x1 - 1, y, k_grid, 1);
  }
  for (int k = 0; k < ns; k++) {
    unsigned char col[3];
    cm_plot_color(k, col);
    draw_series(&im, &a, &series[k], col, cov, occupied);
  }
  if (opts->legend && ns > 0) draw_legend(&im, &a, series, ns, occupied);

  hline(&im, a.x0, a.x1, a.y0, k_ink, 0);
  hline(&im, a.x0, a.x1, a.y1, k_ink, 0);
  vline(&im, a.x0, a.y0, a.y1, k_ink, 0);
  vline(&im, a.x1, a.y0, a.y1, k_ink, 0);
  for (int i = 0; i < nxt; i++) {
    int x = (int)floor(map_x(&a, xt[i]));
    if (x < a.x0 || x > a.x1) continue;
    vline(&im, x, a.y1 + 1, a.y1 + TICK_LEN, k_ink, 0);
    draw_text(&im, x - text_width(xl[i], TEXT_SCALE) / 2, a.y1 + TICK_LEN + 6, xl[i], TEXT_SCALE, k_ink);
  }
  for (int i = 0; i < nyt; i++) {
    int y = (int)floor(map_y(&a, yt[i]));
    if (y < a.y0 || y > a.y1) continue;
    hline(&im, a.x0 - TICK_LEN, a.x0 - 1, y, k_ink, 0);
    draw_text(&im, a.x0 - TICK_LEN - 6 - text_width(yl[i], TEXT_SCALE), y - glyph_h / 2, yl[i], TEXT_SCALE, k_ink);
  }
  if (has_xl) {
    int x = (a.x0 + a.x1) / 2 - text_width(opts->xlabel, TEXT_SCALE) / 2;
    draw_text(&im, x, H - PAD - glyph_h, opts->xlabel, TEXT_SCALE, k_ink);
  }
  if (has_yl) {
    int y = (a.y0 + a.y1) / 2 + text_width(opts->ylabel, TEXT_SCALE) / 2;
    draw_text_up(&im, PAD, y, opts->ylabel, TEXT_SCALE, k_ink);
  }
  if (has_title) {
    int x = (a.x0 + a.x1) / 2 - text_width(opts->title, TITLE_SCALE) / 2;
    draw_text(&im, x < PAD ? PAD : x, PAD, opts->title, TITLE_SCALE, k_ink);
  }
  free(cov);
  free(occupied);
  *rgb = im.px;
  *width = W;
  *height = H;
  return 0;
}

/* ------------------------------------------------------------------ PNG */

static void png_mem_write(png_structp png, png_bytep bytes, png_size_t n) {
  cm_buf_put(png_get_io_ptr(png), bytes, n);
}

static void png_mem_flush(png_structp png) { (void)png; }

int cm_plot_write_png(const char *path, const unsigned char *rgb, int width, int height, cm_err *err) {
  cm_buf mem = {0};
  png_bytep *rows = malloc((size_t)height * sizeof *rows);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  int rc = 0;
  if (!rows || !png || !info) {
    rc = cm_fail(err, "%s: out of memory encoding PNG", path);
    goto done;
  }
  if (setjmp(png_jmpbuf(png))) {
    rc = cm_fail(err, "%s: libpng failed to encode the image", path);
    goto done;
  }
  png_set_write_fn(png, &mem, png_mem_write, png_mem_flush);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  for (int y = 0; y < height; y++) rows[y] = (png_bytep)(rgb + (size_t)y * (size_t)width * 3);
  png_set_rows(png, info, rows);
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
  if (mem.failed) {
    rc = cm_fail(err, "%s: out of memory encoding PNG", path);
    goto done;
  }
  rc = cm_write_file_atomic(path, mem.data, mem.len, err);
done:
  if (png) png_destroy_write_struct(&png, info ? &info : NULL);
  free(rows);
  cm_buf_free(&mem);
  return rc;
}
