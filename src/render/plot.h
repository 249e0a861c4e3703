/* Learning-curve line charts as PNG (libpng), drawn in memory with our own rasteriser:
 * white background, a framed plot area with outward tick marks, numeric tick labels, dotted
 * grid lines, axis labels, optional title and legend, one colour per series (matplotlib's
 * tab10 cycle, as MimicKit's plot_log.py gets by default), anti-aliased lines clipped to the
 * plot area. NaN or infinite points break a line; a point with no finite neighbour is a dot. */
#ifndef CM_RENDER_PLOT_H
#define CM_RENDER_PLOT_H
#include "core/err.h"

/* 5x7 bitmap font (src/render/font5x7.c): 1 when the cell (row 0 top, col 0 left) of the
 * glyph for ch is on; characters outside ASCII 32..126 draw as '?'. Rows run to
 * CM_FONT_H + CM_FONT_DESCENT - 1: the tails of g, p, q, y hang below the baseline (row 6). */
#define CM_FONT_W 5
#define CM_FONT_H 7
#define CM_FONT_DESCENT 2
int cm_font5x7_pixel(int ch, int row, int col);

typedef struct cm_plot_series {
  const char *label; /* legend text */
  const double *x, *y;
  int n;
} cm_plot_series;

typedef struct cm_plot_opts {
  int width, height;  /* pixels; 0 -> 960 x 640 */
  const char *title;  /* NULL or "" -> no title */
  const char *xlabel, *ylabel;
  int legend;         /* draw a legend naming the series */
} cm_plot_opts;

/* Colour of series i (tab10, cycling). */
void cm_plot_color(int i, unsigned char rgb[3]);

/* Renders the chart; *rgb is malloc'd width*height*3 bytes, top row first. *finite_points
 * (may be NULL) gets how many points were drawable. */
int cm_plot_render(const cm_plot_series *series, int num_series, const cm_plot_opts *opts, unsigned char **rgb,
                   int *width, int *height, int *finite_points, cm_err *err);

/* Encodes 8-bit RGB as PNG and writes it with cm_write_file_atomic. */
int cm_plot_write_png(const char *path, const unsigned char *rgb, int width, int height, cm_err *err);

/* "Nice" tick positions (1, 2, 5 x 10^k steps) inside [lo, hi], about `target` of them.
 * Returns the count (at most max); *step gets the spacing. */
int cm_plot_ticks(double lo, double hi, int target, double *ticks, int max, double *step);
/* Tick label for v on an axis whose ticks are `step` apart and reach `maxabs`: plain decimals
 * with as many digits as the step needs, k/M/G suffixes from 10^4 up ("250k", "1.5M"). */
void cm_plot_tick_label(double v, double step, double maxabs, char *buf, int n);

/* `cmimic plot log.txt [more...] -o curve.png [--x K] [--y A[,B]] [--title T]`. */
int cm_cmd_plot(int argc, char **argv);
#endif
