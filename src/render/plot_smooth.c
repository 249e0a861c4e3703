/* Smoothing a noisy learning curve before it is drawn: a centred moving average that skips
 * non-finite rows (a NaN return does not poison its neighbours) and keeps them as gaps. */
#include <math.h>
#include <stdlib.h>
#include "render/plot.h"

void cm_plot_smooth(const double *y, int n, int window, double *out) {
  int half = window > 1 ? window / 2 : 0;
  /* running sums over the finite values: O(n) whatever the window */
  double sum = 0;
  int count = 0, lo = 0, hi = 0; /* the window [lo, hi) currently summed */
  for (int i = 0; i < n; i++) {
    int want_lo = i - half < 0 ? 0 : i - half, want_hi = i + half + 1 > n ? n : i + half + 1;
    for (; hi < want_hi; hi++)
      if (isfinite(y[hi])) sum += y[hi], count++;
    for (; lo < want_lo; lo++)
      if (isfinite(y[lo])) sum -= y[lo], count--;
    out[i] = isfinite(y[i]) ? (half == 0 ? y[i] : sum / count) : NAN;
  }
}
