#include "learn/returns.h"

#include <math.h>

void cm_bootstrap_done_values(int T, int N, const uint8_t *done, float succ_val, float fail_val, float *next_vals) {
  size_t n = (size_t)T * N;
  for (size_t i = 0; i < n; i++) next_vals[i] = cm_bootstrap_done_value(done[i], next_vals[i], succ_val, fail_val);
}

void cm_td_lambda_returns(int T, int N, const float *r, const float *next_vals, const uint8_t *done, float discount,
                          float lambda, float *ret) {
  if (T <= 0) return;
  for (int e = 0; e < N; e++) cm_td_lambda_env(T, N, e, r, next_vals, done, discount, lambda, ret);
}

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

void cm_adv_apply(int n, float *adv, float mean, float std, float clip) {
  float s = fmaxf(std, 1e-5f);
  for (int i = 0; i < n; i++) adv[i] = cm_adv_norm_value(adv[i], mean, s, clip);
}

void cm_adv_normalize(int n, float *adv, const float *mask, float clip, float *mean_out, float *std_out) {
  double mean, var;
  cm_adv_stats(n, adv, mask, &mean, &var);
  float std = (float)sqrt(var);
  cm_adv_apply(n, adv, (float)mean, std, clip);
  if (mean_out) *mean_out = (float)mean;
  if (std_out) *std_out = std;
}
