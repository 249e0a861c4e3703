/* Drawing a chart with cairo onto a PNG (image surface) or SVG (vector surface) and writing it
 * atomically. The same drawing code serves both: only the surface differs. */
#include "render/plot.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/bytebuf.h"
#include "core/fileio.h"

/* ------------------------------------------------------------------ look */

#define FONT "DejaVu Sans"
enum {
  PAD = 12,
  TICK_LEN = 5,
  TICK_GAP = 4, /* between a tick mark and its label */
  LABEL_MAX_CHARS = 48,
};
static const double k_tick_size = 13, k_label_size = 14, k_title_size = 17, k_legend_size = 13;
static const double k_line_width = 2, k_dot_radius = 3.5;
static const double k_raw_alpha = 0.25; /* the unsmoothed series under a smoothed one */
static const double k_ink[3] = {0.12, 0.12, 0.12};
static const double k_grid[3] = {0.78, 0.78, 0.78};
static const double k_legend_edge[3] = {0.75, 0.75, 0.75};

/* matplotlib's default colour cycle (tab10). */
static const unsigned char k_tab10[10][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28}, {0x94, 0x67, 0xbd},
    {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f}, {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}};

void cm_plot_color(int i, unsigned char rgb[3]) {
  memcpy(rgb, k_tab10[((i % 10) + 10) % 10], 3);
}

static void set_series_color(cairo_t *cr, int i, double alpha) {
  unsigned char c[3];
  cm_plot_color(i, c);
  cairo_set_source_rgba(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0, alpha);
}

static void set_rgb(cairo_t *cr, const double c[3]) { cairo_set_source_rgb(cr, c[0], c[1], c[2]); }

/* ------------------------------------------------------------------ text */

static void font(cairo_t *cr, double size, int bold) {
  cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

/* 1 when s is well-formed UTF-8 (cairo refuses anything else and stops drawing). */
static int utf8_ok(const unsigned char *s) {
  while (*s) {
    int n = *s < 0x80 ? 0 : (*s & 0xE0) == 0xC0 && *s >= 0xC2 ? 1 : (*s & 0xF0) == 0xE0 ? 2
          : (*s & 0xF8) == 0xF0 && *s <= 0xF4 ? 3 : -1;
    if (n < 0) return 0;
    s++;
    for (int i = 0; i < n; i++, s++)
      if ((*s & 0xC0) != 0x80) return 0;
  }
  return 1;
}

enum { TEXT_MAX = 512 };
/* s as cairo can draw it: itself, or (a folder name in another encoding) a copy in buf with
 * every byte outside ASCII shown as '?'. */
static const char *drawable_text(const char *s, char buf[TEXT_MAX]) {
  if (utf8_ok((const unsigned char *)s)) return s;
  size_t i = 0;
  for (; s[i] && i + 1 < TEXT_MAX; i++) buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
  buf[i] = 0;
  return buf;
}

static double text_width(cairo_t *cr, const char *s) {
  char buf[TEXT_MAX];
  cairo_text_extents_t e;
  cairo_text_extents(cr, drawable_text(s, buf), &e);
  return e.x_advance;
}

/* Height of a digit above the baseline in the current font: what centres a number on a tick. */
static double digit_height(cairo_t *cr) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, "0", &e);
  return -e.y_bearing;
}

static double line_height(cairo_t *cr) {
  cairo_font_extents_t e;
  cairo_font_extents(cr, &e);
  return e.ascent + e.descent;
}

/* s with its baseline at y, starting at x - align * width (align 0 left, 0.5 centre, 1 right). */
static void show(cairo_t *cr, double x, double y, double align, const char *s) {
  char buf[TEXT_MAX];
  cairo_move_to(cr, x - align * text_width(cr, s), y);
  cairo_show_text(cr, drawable_text(s, buf));
}

/* ------------------------------------------------------------------ layout */

typedef struct plot_area {
  double x0, y0, x1, y1; /* frame corners on pixel centres; data is drawn inside */
  double xlo, xhi, ylo, yhi;
} plot_area;

static double map_x(const plot_area *a, double x) { return a->x0 + (x - a->xlo) / (a->xhi - a->xlo) * (a->x1 - a->x0); }
static double map_y(const plot_area *a, double y) { return a->y1 - (y - a->ylo) / (a->yhi - a->ylo) * (a->y1 - a->y0); }

static int drawable(const double *x, const double *y, int i) { return isfinite(x[i]) && isfinite(y[i]); }

static void data_range(const cm_plot_series *s, int ns, double *xlo, double *xhi, double *ylo, double *yhi, int *count) {
  *xlo = *ylo = INFINITY;
  *xhi = *yhi = -INFINITY;
  *count = 0;
  for (int k = 0; k < ns; k++)
    for (int i = 0; i < s[k].n; i++) {
      if (!drawable(s[k].x, s[k].y, i)) continue;
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

typedef struct axis_ticks {
  int n;
  double at[32];
  char label[32][32];
  double max_width; /* widest label in the tick font */
} axis_ticks;

static void make_ticks(cairo_t *cr, double lo, double hi, int target, axis_ticks *t) {
  double step;
  t->n = cm_plot_ticks(lo, hi, target, t->at, 32, &step);
  double maxabs = 0;
  for (int i = 0; i < t->n; i++) maxabs = fmax(maxabs, fabs(t->at[i]));
  t->max_width = 0;
  for (int i = 0; i < t->n; i++) {
    cm_plot_tick_label(t->at[i], step, maxabs, t->label[i], 32);
    t->max_width = fmax(t->max_width, text_width(cr, t->label[i]));
  }
}

/* ------------------------------------------------------------------ series */

/* One stroke per series: a subpath per run of finite points, so the SVG holds one <path> each. */
static void stroke_series(cairo_t *cr, const plot_area *a, const double *x, const double *y, int n) {
  cairo_new_path(cr);
  int dots = 0;
  for (int i = 0; i < n; i++) {
    if (!drawable(x, y, i)) continue;
    int prev = i > 0 && drawable(x, y, i - 1), next = i + 1 < n && drawable(x, y, i + 1);
    if (prev) cairo_line_to(cr, map_x(a, x[i]), map_y(a, y[i]));
    else if (next) cairo_move_to(cr, map_x(a, x[i]), map_y(a, y[i]));
    else dots++;
  }
  cairo_stroke(cr);
  if (dots == 0) return;
  for (int i = 0; i < n; i++) {
    if (!drawable(x, y, i) || (i > 0 && drawable(x, y, i - 1)) || (i + 1 < n && drawable(x, y, i + 1))) continue;
    cairo_new_sub_path(cr);
    cairo_arc(cr, map_x(a, x[i]), map_y(a, y[i]), k_dot_radius, 0, 2 * M_PI);
  }
  cairo_fill(cr);
}

/* ------------------------------------------------------------------ legend */

/* How many points of the drawn series fall in the box (segments sampled along their length):
 * the legend goes where it hides the least, like matplotlib's loc="best". */
static long points_in_box(const plot_area *a, const cm_plot_series *s, int ns, double bx, double by, double bw, double bh) {
  long count = 0;
  for (int k = 0; k < ns; k++)
    for (int i = 0; i < s[k].n; i++) {
      if (!drawable(s[k].x, s[k].y, i)) continue;
      double px = map_x(a, s[k].x[i]), py = map_y(a, s[k].y[i]);
      int next = i + 1 < s[k].n && drawable(s[k].x, s[k].y, i + 1);
      double qx = next ? map_x(a, s[k].x[i + 1]) : px, qy = next ? map_y(a, s[k].y[i + 1]) : py;
      for (int j = 0; j < 8; j++) {
        double t = j / 8.0, x = px + t * (qx - px), y = py + t * (qy - py);
        count += x >= bx && x <= bx + bw && y >= by && y <= by + bh;
      }
    }
  return count;
}

static void draw_legend(cairo_t *cr, const plot_area *a, const cm_plot_series *s, int ns) {
  enum { SWATCH = 24, INNER = 8, MARGIN = 10 };
  font(cr, k_legend_size, 0);
  double row = line_height(cr) + 3, tw = 0;
  char(*labels)[LABEL_MAX_CHARS + 1] = malloc((size_t)ns * sizeof *labels);
  if (!labels) return;
  for (int i = 0; i < ns; i++) {
    const char *l = s[i].label ? s[i].label : "";
    size_t n = strlen(l);
    if (n > LABEL_MAX_CHARS) { /* keep the end: run folders differ there */
      memcpy(labels[i], "...", 3);
      memcpy(labels[i] + 3, l + n - (LABEL_MAX_CHARS - 3), LABEL_MAX_CHARS - 3);
      labels[i][LABEL_MAX_CHARS] = 0;
    } else {
      memcpy(labels[i], l, n + 1);
    }
    tw = fmax(tw, text_width(cr, labels[i]));
  }
  double bw = INNER + SWATCH + INNER + tw + INNER, bh = INNER + ns * row + INNER - 3;
  double corners[4][2] = {{a->x0 + MARGIN, a->y0 + MARGIN}, {a->x1 - MARGIN - bw, a->y0 + MARGIN},
                          {a->x0 + MARGIN, a->y1 - MARGIN - bh}, {a->x1 - MARGIN - bw, a->y1 - MARGIN - bh}};
  int best = 0;
  long best_count = -1;
  for (int c = 0; c < 4; c++) {
    long count = points_in_box(a, s, ns, corners[c][0], corners[c][1], bw, bh);
    if (best_count < 0 || count < best_count) best_count = count, best = c;
  }
  double bx = round(corners[best][0]) + 0.5, by = round(corners[best][1]) + 0.5;
  cairo_rectangle(cr, bx, by, bw, bh);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_fill_preserve(cr);
  set_rgb(cr, k_legend_edge);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  double dh = digit_height(cr);
  for (int i = 0; i < ns; i++) {
    double mid = by + INNER + i * row + row / 2 - 1.5;
    /* a filled swatch, not a stroke: the SVG's stroked paths are the series alone */
    cairo_rectangle(cr, bx + INNER, mid - k_line_width / 2, SWATCH, k_line_width);
    set_series_color(cr, i, 1);
    cairo_fill(cr);
    set_rgb(cr, k_ink);
    show(cr, bx + INNER + SWATCH + INNER, mid + dh / 2, 0, labels[i]);
  }
  free(labels);
}

/* ------------------------------------------------------------------ chart */

static void draw_chart(cairo_t *cr, int W, int H, const cm_plot_series *series, int ns, const cm_plot_opts *opts,
                       const plot_area *range, double *const *smoothed) {
  plot_area a = *range;
  int has_title = opts->title && *opts->title, has_xl = opts->xlabel && *opts->xlabel,
      has_yl = opts->ylabel && *opts->ylabel;
  set_rgb(cr, (const double[3]){1, 1, 1});
  cairo_paint(cr);

  /* Layout: room for the y tick labels, the axis labels and the title. */
  font(cr, k_tick_size, 0);
  double tick_h = line_height(cr), dh = digit_height(cr);
  axis_ticks xt, yt;
  make_ticks(cr, a.ylo, a.yhi, 6, &yt);
  font(cr, k_label_size, 0);
  double label_h = line_height(cr);
  font(cr, k_title_size, 1);
  double title_h = line_height(cr);
  font(cr, k_tick_size, 0);
  double left = PAD + (has_yl ? label_h + PAD / 2 : 0) + yt.max_width + TICK_LEN + TICK_GAP;
  /* Fewer x ticks until their labels leave at least two label heights between them. */
  for (int target = 8; target >= 2; target--) {
    make_ticks(cr, a.xlo, a.xhi, target, &xt);
    double need = 0;
    for (int i = 0; i < xt.n; i++) need += text_width(cr, xt.label[i]) + 2 * tick_h;
    if (need <= W - left - PAD) break;
  }
  a.x0 = floor(left) + 0.5;
  a.y0 = floor(has_title ? PAD + title_h + PAD / 2 : PAD + dh) + 0.5;
  a.x1 = floor(W - PAD - xt.max_width / 2) + 0.5;
  a.y1 = floor(H - PAD - (has_xl ? label_h + PAD / 2 : 0) - tick_h - TICK_LEN - TICK_GAP) + 0.5;

  /* Grid under the data. */
  cairo_set_line_width(cr, 1);
  cairo_set_dash(cr, (const double[2]){1, 3}, 2, 0);
  set_rgb(cr, k_grid);
  for (int i = 0; i < xt.n; i++) {
    double x = floor(map_x(&a, xt.at[i])) + 0.5;
    if (x <= a.x0 || x >= a.x1) continue;
    cairo_move_to(cr, x, a.y0), cairo_line_to(cr, x, a.y1);
  }
  for (int i = 0; i < yt.n; i++) {
    double y = floor(map_y(&a, yt.at[i])) + 0.5;
    if (y <= a.y0 || y >= a.y1) continue;
    cairo_move_to(cr, a.x0, y), cairo_line_to(cr, a.x1, y);
  }
  cairo_stroke(cr);
  cairo_set_dash(cr, NULL, 0, 0);

  /* The series, clipped to the inside of the frame. */
  cairo_save(cr);
  cairo_rectangle(cr, a.x0 + 0.5, a.y0 + 0.5, a.x1 - a.x0 - 1, a.y1 - a.y0 - 1);
  cairo_clip(cr);
  cairo_set_line_width(cr, k_line_width);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  for (int k = 0; k < ns; k++) {
    set_series_color(cr, k, smoothed ? k_raw_alpha : 1);
    stroke_series(cr, &a, series[k].x, series[k].y, series[k].n);
    if (smoothed) {
      set_series_color(cr, k, 1);
      stroke_series(cr, &a, series[k].x, smoothed[k], series[k].n);
    }
  }
  if (opts->legend && ns > 0) draw_legend(cr, &a, series, ns);
  cairo_restore(cr);

  /* Frame, ticks and their labels over everything. */
  set_rgb(cr, k_ink);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, a.x0, a.y0, a.x1 - a.x0, a.y1 - a.y0);
  for (int i = 0; i < xt.n; i++) {
    double x = floor(map_x(&a, xt.at[i])) + 0.5;
    if (x < a.x0 - 0.5 || x > a.x1 + 0.5) continue;
    cairo_move_to(cr, x, a.y1), cairo_line_to(cr, x, a.y1 + TICK_LEN);
  }
  for (int i = 0; i < yt.n; i++) {
    double y = floor(map_y(&a, yt.at[i])) + 0.5;
    if (y < a.y0 - 0.5 || y > a.y1 + 0.5) continue;
    cairo_move_to(cr, a.x0, y), cairo_line_to(cr, a.x0 - TICK_LEN, y);
  }
  cairo_stroke(cr);
  font(cr, k_tick_size, 0);
  for (int i = 0; i < xt.n; i++) {
    double x = floor(map_x(&a, xt.at[i])) + 0.5;
    if (x < a.x0 - 0.5 || x > a.x1 + 0.5) continue;
    show(cr, x, a.y1 + TICK_LEN + TICK_GAP + dh, 0.5, xt.label[i]);
  }
  for (int i = 0; i < yt.n; i++) {
    double y = floor(map_y(&a, yt.at[i])) + 0.5;
    if (y < a.y0 - 0.5 || y > a.y1 + 0.5) continue;
    show(cr, a.x0 - TICK_LEN - TICK_GAP, y + dh / 2, 1, yt.label[i]);
  }
  if (has_xl) {
    font(cr, k_label_size, 0);
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    show(cr, (a.x0 + a.x1) / 2, H - PAD - fe.descent, 0.5, opts->xlabel);
  }
  if (has_yl) {
    font(cr, k_label_size, 0);
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    cairo_save(cr);
    cairo_translate(cr, PAD + fe.ascent, (a.y0 + a.y1) / 2);
    cairo_rotate(cr, -M_PI / 2);
    show(cr, 0, 0, 0.5, opts->ylabel);
    cairo_restore(cr);
  }
  if (has_title) {
    font(cr, k_title_size, 1);
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    double x = (a.x0 + a.x1) / 2, w = text_width(cr, opts->title);
    if (x - w / 2 < PAD) x = PAD + w / 2;
    show(cr, x, PAD + fe.ascent, 0.5, opts->title);
  }
}

/* ------------------------------------------------------------------ files */

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len) {
  return cm_buf_put(closure, data, len) ? CAIRO_STATUS_NO_MEMORY : CAIRO_STATUS_SUCCESS;
}

int cm_plot_write(const char *path, const cm_plot_series *series, int ns, const cm_plot_opts *opts,
                  int *finite_points, cm_err *err) {
  cm_plot_format format = cm_plot_format_of(path);
  int svg = format == CM_PLOT_SVG;
  if (format == CM_PLOT_UNKNOWN)
    return cm_fail(err, "%s: a plot is written as .png or .svg (the name says which)", path);
  int W = opts->width > 0 ? opts->width : 960, H = opts->height > 0 ? opts->height : 640;
  if (W < 200 || H < 150 || W > 10000 || H > 10000)
    return cm_fail(err, "plot size %dx%d is outside 200x150 .. 10000x10000", W, H);
  for (int k = 0; k < ns; k++)
    if (series[k].n < 0 || (series[k].n > 0 && (!series[k].x || !series[k].y)))
      return cm_fail(err, "plot: series %d has no data arrays", k);
  int count;
  plot_area range;
  data_range(series, ns, &range.xlo, &range.xhi, &range.ylo, &range.yhi, &count);
  pad_range(&range.xlo, &range.xhi, 0.02);
  pad_range(&range.ylo, &range.yhi, 0.05);
  if (!isfinite(range.xhi - range.xlo) || !isfinite(range.yhi - range.ylo))
    return cm_fail(err, "plot: the data span is too large to draw (beyond the double range)");
  if (finite_points) *finite_points = count;

  int rc = -1;
  double **smoothed = NULL;
  if (opts->smooth > 1 && ns > 0) {
    smoothed = calloc((size_t)ns, sizeof *smoothed);
    for (int k = 0; smoothed && k < ns; k++) {
      smoothed[k] = malloc(((size_t)series[k].n + 1) * sizeof **smoothed);
      if (!smoothed[k]) break;
      cm_plot_smooth(series[k].y, series[k].n, opts->smooth, smoothed[k]);
    }
    if (!smoothed || !smoothed[ns - 1]) {
      cm_fail(err, "plot: out of memory");
      goto done;
    }
  }
  cm_buf out = {0};
  cairo_surface_t *surface = svg ? cairo_svg_surface_create_for_stream(to_buf, &out, W, H)
                                 : cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
  if (svg) cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PX);
  cairo_t *cr = cairo_create(surface);
  draw_chart(cr, W, H, series, ns, opts, &range, smoothed);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  if (st == CAIRO_STATUS_SUCCESS) {
    if (svg) cairo_surface_finish(surface);
    else st = cairo_surface_write_to_png_stream(surface, to_buf, &out);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(surface);
  }
  cairo_surface_destroy(surface);
  if (st != CAIRO_STATUS_SUCCESS || out.failed)
    cm_fail(err, "%s: cairo could not draw the plot: %s", path,
            out.failed ? "out of memory" : cairo_status_to_string(st));
  else
    rc = cm_write_file_atomic(path, out.data, out.len, err);
  cm_buf_free(&out);
done:
  if (smoothed)
    for (int k = 0; k < ns; k++) free(smoothed[k]);
  free(smoothed);
  return rc;
}
