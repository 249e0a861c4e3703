/* Where a chart's ticks go and how their labels read: plain arithmetic, kept apart from the
 * drawing so that it is there (and tested) in every build. */
#include <math.h>
#include <stdio.h>
#include "render/plot.h"

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
