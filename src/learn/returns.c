#include "learn/returns.h"

#include <math.h>

int cm_adv_stats(int n, const float *adv, const float *mask, double *mean, double *var) {
  int count = 0;
  double sum = 0;
  for (int i = 0; i < n; i++)
    if (!mask || mask[i] != 0.f) { sum += adv[i]; count++; }
  *mean = count ? sum / count : 0.0;
  double ss = 0;
  for (int i = 0; i < n; i++)
    if (!mask || mask[i] != 0.f) { double d = adv[i] - *mean; ss += d * d; }
  *var = count > 1 ? ss / (count - 1) : 0.0;
  return count;
}

