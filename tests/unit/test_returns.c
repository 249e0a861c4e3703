/* TD(lambda) returns against a hand-worked example with failure, timeout and success
 * endings, against the lambda-weighted average of n-step returns, and advantage
 * normalisation against hand-computed values. */
#include <math.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/agent.h"
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

/* The return tracker (cm_rtrack_row through the rtrack ops on the CPU device) over a hand-made
 * sequence of three envs, five steps ([T][N], time-major):
 *   env 0: r 1 2 3 4 5, FAIL at t=1, TIME at t=4: episodes of return 3 (2 steps) and 12 (3 steps)
 *   env 1: r .5 at every step, SUCC at t=0: an episode of return .5 (1 step), then 2.0 over 4 running
 *   env 2: r -1 0 1 2 3, never done: 5 over 5 steps running, no episode
 * after t=1: episodes 3 (env 0) and .5 (env 1): mean return 1.75, mean length 1.5;
 * at the end: 3 episodes, mean return 15.5 / 3, mean length 6 / 3 = 2. */
static void test_return_tracker(void) {
  enum { T = 5, N = 3 };
  const float r[T * N] = {1, .5f, -1, 2, .5f, 0, 3, .5f, 1, 4, .5f, 2, 5, .5f, 3};
  const uint8_t d[T * N] = {0, CM_DONE_SUCC, 0, CM_DONE_FAIL, 0, 0, 0, 0, 0, 0, 0, 0, CM_DONE_TIME, 0, 0};
  cm_err err = {{0}};
  cm_return_tracker t;
  CHECK_OK(cm_rtrack_create(&t, cm_dev_cpu(), N, &err), &err);
  cm_rtrack_reset(&t);
  for (int s = 0; s < T; s++) {
    cm_rtrack_update(&t, r + s * N, d + s * N);
    if (s == 1) {
      cm_rtrack_read(&t, 1);
      CHECK(t.episodes == 2 && t.bad == 0 && t.below == 1); /* env 2 has none */
      CHECK_NEAR(t.mean_return, 1.75, 1e-12);
      CHECK_NEAR(t.mean_ep_len, 1.5, 1e-12);
    }
  }
  cm_rtrack_read(&t, 2);
  CHECK(t.episodes == 3 && t.bad == 0 && t.below == 2); /* env 1 has one, env 2 none */
  CHECK_NEAR(t.mean_return, 15.5 / 3, 1e-12);
  CHECK_NEAR(t.mean_ep_len, 2.0, 1e-12);
  /* the same totals added into slots (rtrack_sums_dev, the iteration's stats) and set from them */
  double slot[CM_RT_N] = {0, 0, 0, 0, 100};
  cm_ops_cpu.rtrack_sums_dev(&t.rows, N, 2, slot);
  CHECK(slot[CM_RT_EPISODES] == 3 && slot[CM_RT_SUM_RET] == 15.5 && slot[CM_RT_SUM_LEN] == 6);
  CHECK(slot[CM_RT_BAD] == 0 && slot[CM_RT_BELOW] == 102);
  slot[CM_RT_BELOW] = 2;
  cm_return_tracker u = t;
  cm_rtrack_set(&u, slot);
  CHECK(u.episodes == 3 && u.below == 2 && u.mean_return == t.mean_return && u.mean_ep_len == t.mean_ep_len);
  /* the running episodes: env 0 restarted at t=4, env 1 at 2.0 over 4 steps, env 2 at 5 over 5 */
  const cm_rtrack_rows *w = &t.rows;
  CHECK(w->ret[0] == 0.f && w->len[0] == 0 && w->eps[0] == 2);
  CHECK(w->ret[1] == 2.f && w->len[1] == 4 && w->eps[1] == 1);
  CHECK(w->ret[2] == 5.f && w->len[2] == 5 && w->eps[2] == 0);
  CHECK(w->ep_ret[0] == 15.0 && w->ep_len[0] == 5.0 && w->ep_ret[1] == 0.5 && w->ep_len[1] == 1.0);
  cm_rtrack_read(&t, 0);
  CHECK(t.below == 0);
  /* a non-finite reward (env 1) and a done flag beyond TIME (env 2) mark their envs bad */
  const float rb[N] = {1, NAN, 1};
  const uint8_t db[N] = {0, 0, CM_DONE_TIME + 1};
  cm_rtrack_update(&t, rb, db);
  cm_rtrack_read(&t, 0);
  CHECK(t.bad == 2);
  CHECK(w->bad[0] == 0 && w->bad[1] == 1 && w->bad[2] == 1);
  /* reset: no episodes, nothing running, nothing bad */
  cm_rtrack_reset(&t);
  cm_rtrack_read(&t, 1);
  CHECK(t.episodes == 0 && t.mean_return == 0 && t.mean_ep_len == 0 && t.bad == 0 && t.below == N);
  CHECK(w->ret[1] == 0.f && w->len[2] == 0 && w->ep_ret[0] == 0.0);
  cm_rtrack_destroy(&t);
}

int main(void) {
  test_return_tracker();
  test_hand_example();
  test_lambda_average();
  test_adv_normalize();
  return check_report("test_returns");
}
