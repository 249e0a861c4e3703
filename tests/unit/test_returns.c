/* TD(lambda) returns against a hand-worked example with failure, timeout and success
 * endings, against the lambda-weighted average of n-step returns, and advantage
 * normalisation against hand-computed values. */
#include <math.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/ops.h"
#include "learn/returns.h"

/* mean/std as the agent takes them (cm_adv_stats's sums), then the adv_normalize op */
static void adv_normalize(int n, float *adv, const float *mask, float clip, float *mean, float *std) {
  double m, v;
  cm_adv_stats(n, adv, mask, &m, &v);
  *mean = (float)m;
  *std = (float)sqrt(v);
  cm_ops_cpu.adv_normalize(adv, (size_t)n, *mean, *std, clip);
}

/* Two envs, four steps, discount 0.9, lambda 0.5 ([T][N], time-major).
 * env 0: r 1 2 3 4, V(next) 10 20 30 40, FAIL at t=1 (fail value 0):
 *   ret3 = 4 + 0.9*40 = 40;  ret2 = 3 + 0.9*(0.5*30 + 0.5*40) = 34.5
 *   ret1 = 2 + 0.9*0 = 2 (episode end);  ret0 = 1 + 0.9*(0.5*10 + 0.5*2) = 6.4
 * env 1: r .5 .5 1 1, V(next) 2 4 6 8, TIME at t=2 (critic value kept), SUCC at t=3 (value 10):
 *   ret3 = 1 + 0.9*10 = 10;  ret2 = 1 + 0.9*6 = 6.4
 *   ret1 = .5 + 0.9*(0.5*4 + 0.5*6.4) = 5.18;  ret0 = .5 + 0.9*(0.5*2 + 0.5*5.18) = 3.731 */
static void test_hand_example(void) {
  enum { T = 4, N = 2 };
  float r[T * N] = {1, .5f, 2, .5f, 3, 1, 4, 1};
  float nv[T * N] = {10, 2, 20, 4, 30, 6, 40, 8};
  uint8_t done[T * N] = {CM_DONE_NULL, CM_DONE_NULL, CM_DONE_FAIL, CM_DONE_NULL,
                         CM_DONE_NULL, CM_DONE_TIME, CM_DONE_NULL, CM_DONE_SUCC};
  float ret[T * N];
  const float discount = 0.9f, r_fail = 0.f, r_succ = 1.f;
  cm_ops_cpu.bootstrap_done(nv, done, T * N, r_succ / (1 - discount), r_fail / (1 - discount));
  CHECK(nv[2] == 0.f);            /* fail */
  CHECK(nv[5] == 6.f);            /* timeout keeps the critic's value */
  CHECK_NEAR(nv[7], 10.0, 1e-5);  /* success */
  cm_ops_cpu.td_lambda(T, N, r, nv, done, discount, 0.5f, ret);
  const double want[T * N] = {6.4, 3.731, 2, 5.18, 34.5, 6.4, 40, 10};
  for (int i = 0; i < T * N; i++) CHECK_NEAR(ret[i], want[i], 1e-5);
}

/* Without episode ends, TD(lambda) is (1-l) sum_n l^(n-1) G(n) + l^(T-t-1) G(T-t), where the
 * n-step return G(n) = sum_k<n g^k r[t+k] + g^n V(next)[t+n-1]. */
static void test_lambda_average(void) {
  enum { T = 6, N = 3 };
  float r[T * N], nv[T * N], ret[T * N];
  uint8_t done[T * N];
  memset(done, CM_DONE_NULL, sizeof done);
  cm_rng g = cm_rng_make(5, 0, 0, 0);
  for (int i = 0; i < T * N; i++) { r[i] = cm_rng_uniform(&g); nv[i] = 5.f * cm_rng_uniform(&g); }
  const float lambdas[3] = {0.f, 0.95f, 1.f};
  const double disc = 0.99;
  for (int li = 0; li < 3; li++) {
    double lam = lambdas[li];
    cm_ops_cpu.td_lambda(T, N, r, nv, done, (float)disc, (float)lam, ret);
    for (int e = 0; e < N; e++)
      for (int t = 0; t < T; t++) {
        int H = T - t;
        double total = 0;
        for (int n = 1; n <= H; n++) {
          double gn = 0;
          for (int k = 0; k < n; k++) gn += pow(disc, k) * r[(t + k) * N + e];
          gn += pow(disc, n) * nv[(t + n - 1) * N + e];
          double w = n < H ? (1 - lam) * pow(lam, n - 1) : pow(lam, H - 1);
          total += w * gn;
        }
        CHECK_NEAR(ret[t * N + e], total, 1e-4);
      }
  }
}

/* adv 1 2 3 4 | 10 (last not a random action): mean 2.5, unbiased std sqrt(5/3) = 1.2909944;
 * every entry is normalised with those and clipped to +-4 (10 -> 5.81 -> 4). */
static void test_adv_normalize(void) {
  float adv[5] = {1, 2, 3, 4, 10}, mask[5] = {1, 1, 1, 1, 0}, mean, std;
  adv_normalize(5, adv, mask, 4.f, &mean, &std);
  CHECK_NEAR(mean, 2.5, 1e-6);
  CHECK_NEAR(std, 1.2909944, 1e-6);
  const double want[5] = {-1.5 / 1.2909944, -0.5 / 1.2909944, 0.5 / 1.2909944, 1.5 / 1.2909944, 4.0};
  for (int i = 0; i < 5; i++) CHECK_NEAR(adv[i], want[i], 1e-5);
  /* no mask: all entries count */
  float adv2[4] = {-3, -1, 1, 3};
  adv_normalize(4, adv2, NULL, 4.f, &mean, &std);
  CHECK_NEAR(mean, 0, 1e-7);
  CHECK_NEAR(std, sqrt(20.0 / 3.0), 1e-6);
  CHECK_NEAR(adv2[3], 3 / sqrt(20.0 / 3.0), 1e-6);
  /* a single masked entry: zero spread, the std floor 1e-5 applies, clipping bounds the rest */
  float adv3[3] = {1, 1.00001f, 0}, m3[3] = {1, 0, 0};
  double dm, dv;
  CHECK(cm_adv_stats(3, adv3, m3, &dm, &dv) == 1 && dm == 1.0 && dv == 0.0);
  adv_normalize(3, adv3, m3, 4.f, &mean, &std);
  CHECK(adv3[0] == 0.f);
  CHECK(adv3[2] == -4.f);
  CHECK(isfinite(adv3[1]) && fabsf(adv3[1]) <= 4.f);
}

int main(void) {
  test_hand_example();
  test_lambda_average();
  test_adv_normalize();
  return check_report("test_returns");
}
