/* Learning-curve line charts drawn with cairo (antialiased vector drawing, DejaVu Sans through
 * fontconfig) and written as PNG or SVG: white background, a framed plot area with outward tick
 * marks, numeric tick labels, dotted grid lines, axis labels, optional title and legend, one
 * colour per series (matplotlib's tab10 cycle, as MimicKit's plot_log.py gets by default), lines
 * clipped to the plot area. NaN or infinite points break a line; a point with no finite neighbour
 * is a dot. A build without rendering (-DCMIMIC_RENDER=OFF, no cairo) fails cm_plot_write with
 * one clear line; the tick and smoothing helpers are always there. */
#ifndef CM_RENDER_PLOT_H
#define CM_RENDER_PLOT_H
#include <string.h>
#include <strings.h>
#include "core/err.h"

typedef struct cm_plot_series {
  const char *label; /* legend text */
  const double *x, *y;
  int n;
} cm_plot_series;

typedef struct cm_plot_opts {
  int width, height;  /* pixels (PNG) or CSS pixels (SVG); 0 -> 960 x 640 */
  const char *title;  /* NULL or "" -> no title */
  const char *xlabel, *ylabel;
  int legend;         /* draw a legend naming the series */
  /* > 1: each series is drawn as its moving average over `smooth` rows (cm_plot_smooth), over
   * the raw series drawn faint in the same colour, as TensorBoard shows smoothed scalars. */
  int smooth;
} cm_plot_opts;

/* Colour of series i (tab10, cycling). */
void cm_plot_color(int i, unsigned char rgb[3]);

/* The format a plot's file name picks, by its extension (any case). */
typedef enum cm_plot_format { CM_PLOT_UNKNOWN, CM_PLOT_PNG, CM_PLOT_SVG } cm_plot_format;
static inline cm_plot_format cm_plot_format_of(const char *path) {
  size_t n = strlen(path);
  if (n < 4) return CM_PLOT_UNKNOWN;
  return !strcasecmp(path + n - 4, ".png") ? CM_PLOT_PNG : !strcasecmp(path + n - 4, ".svg") ? CM_PLOT_SVG : CM_PLOT_UNKNOWN;
}

/* Draws the chart into path in the format its name picks (CM_PLOT_UNKNOWN is refused), written with cm_write_file_atomic. *finite_points (may be NULL)
 * gets how many points were drawable. */
int cm_plot_write(const char *path, const cm_plot_series *series, int num_series, const cm_plot_opts *opts,
                  int *finite_points, cm_err *err);

/* "Nice" tick positions (1, 2, 5 x 10^k steps) inside [lo, hi], about `target` of them.
 * Returns the count (at most max); *step gets the spacing. */
int cm_plot_ticks(double lo, double hi, int target, double *ticks, int max, double *step);
/* Tick label for v on an axis whose ticks are `step` apart and reach `maxabs`: plain decimals
 * with as many digits as the step needs, k/M/G suffixes from 10^4 up ("250k", "1.5M"). */
void cm_plot_tick_label(double v, double step, double maxabs, char *buf, int n);

/* Centred moving average: out[i] is the mean of the finite y[j] with |j - i| <= window / 2
 * (window rows when window is odd, window + 1 when even), NaN where y[i] itself is not finite
 * so that gaps stay gaps. window <= 1 copies y. out may not alias y. */
void cm_plot_smooth(const double *y, int n, int window, double *out);

/* `cmimic plot log.txt [more...] -o curve.png|curve.svg [--x K] [--y A[,B]] [--smooth N] [--title T]`. */
int cm_cmd_plot(int argc, char **argv);
#endif
