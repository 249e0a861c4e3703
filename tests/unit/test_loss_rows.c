/* The update's device ops on the CPU device against independent expectations: gather_rows
 * against a naive copy, the actor rows' gradient (PPO and AWR, with the action-bound loss and
 * the regulariser) and the critic rows' against finite differences of the loss they sum to,
 * td_lambda / bootstrap_done against a hand-worked example, masked_stats / adv_normalize /
 * awr_weights, reward_mix against plain loops. test_ops_cuda compares the GPU's kernels with these. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/loss_rows.h"
#include "learn/returns.h"

static const cm_ops *ops;

static void check_gather(void) {
  enum { ROWS = 50, W = 7, K = 2000 }; /* K rows: enough for several thread-pool tasks */
  float *src = malloc(ROWS * W * sizeof(float)), *dst = malloc((size_t)K * W * sizeof(float));
  int idx[K];
  cm_rng r = cm_rng_make(3, 0, 0, 1);
  for (int i = 0; i < ROWS * W; i++) src[i] = cm_rng_normal(&r);
  for (int k = 0; k < K; k++) idx[k] = (int)(cm_rng_u32(&r) % ROWS);
  ops->gather_rows(dst, src, W, idx, K);
  int ok = 1;
  for (int k = 0; k < K; k++)
    for (int j = 0; j < W; j++) ok &= dst[k * W + j] == src[idx[k] * W + j];
  CHECK(ok);
  free(src);
  free(dst);
}

enum { M = 6, A = 3 };
static float logstd[A] = {-0.4f, -1.2f, 0.1f};

/* the total actor loss the rows sum to: -mean(surr) + wb mean(bound) + wr mean(reg) */
static double actor_total(cm_actor_loss_cfg c, double wb, double wr, const float *mean, const float *x,
                          const float *old, const float *adv, float *dmean) {
  float terms[M * CM_LOSS_TERMS] = {0};
  ops->actor_loss_rows(dmean, terms, CM_LOSS_TERMS, mean, x, old, adv, logstd, M, c);
  double s = 0, b = 0, g = 0;
  for (int i = 0; i < M; i++) {
    s += terms[i * CM_LOSS_TERMS + CM_TERM_SURR];
    b += terms[i * CM_LOSS_TERMS + CM_TERM_BOUND];
    g += terms[i * CM_LOSS_TERMS + CM_TERM_REG];
  }
  return -s / M + wb * b / M + wr * g / M;
}

static void check_actor_rows(int objective) {
  const double wb = 10.0, wr = 0.3;
  cm_actor_loss_cfg c = {.objective = objective, .act_dim = A, .m = (float)M, .clip_eps = 0.2f, .bound = 1,
                         .bound_scale = (float)(wb / M), .reg = 1, .reg_scale = (float)(2.0 * wr / M)};
  float mean[M * A], x[M * A], old[M], adv[M], dmean[M * A], scratch[M * A];
  cm_rng r = cm_rng_make(5, 0, 0, 2);
  for (int k = 0; k < M * A; k++) {
    mean[k] = 1.1f * cm_rng_normal(&r); /* some beyond +-1: the bound loss is active */
    x[k] = mean[k] + 0.3f * cm_rng_normal(&r);
  }
  const float ratios[M] = {0.5f, 0.95f, 1.1f, 1.5f, 0.7f, 1.35f};
  const float advs[M] = {1.2f, -0.7f, 0.4f, 0.9f, -1.1f, -0.5f};
  for (int i = 0; i < M; i++) {
    old[i] = cm_gauss_log_prob_row(A, mean + i * A, logstd, x + i * A) - logf(ratios[i]);
    adv[i] = objective == CM_ACTOR_PPO ? advs[i] : expf(advs[i]); /* AWR: positive weights */
  }
  memset(dmean, 0x7f, sizeof dmean); /* overwritten, not accumulated */
  double l0 = actor_total(c, wb, wr, mean, x, old, adv, dmean);
  CHECK(isfinite(l0));
  double worst = 0;
  for (int k = 0; k < M * A; k++) {
    const float h = 1e-3f;
    float saved = mean[k];
    mean[k] = saved + h;
    double lp = actor_total(c, wb, wr, mean, x, old, adv, scratch);
    mean[k] = saved - h;
    double lm = actor_total(c, wb, wr, mean, x, old, adv, scratch);
    mean[k] = saved;
    double fd = (lp - lm) / (2.0 * h);
    worst = fmax(worst, fabs(fd - dmean[k]) / fmax(1.0, fabs(fd)));
  }
  printf("%s rows: loss %.5f, max grad error vs finite differences %.2e\n", objective == CM_ACTOR_PPO ? "PPO" : "AWR",
         l0, worst);
  CHECK(worst < 3e-3);
  if (objective == CM_ACTOR_PPO) { /* the clip statistics by hand: |r - 1| > 0.2 for 0.5, 1.5, 0.7, 1.35 */
    float terms[M * CM_LOSS_TERMS] = {0};
    ops->actor_loss_rows(scratch, terms, CM_LOSS_TERMS, mean, x, old, adv, logstd, M, c);
    double clipped = 0, ratio = 0;
    for (int i = 0; i < M; i++) {
      clipped += terms[i * CM_LOSS_TERMS + CM_TERM_CLIPPED];
      ratio += terms[i * CM_LOSS_TERMS + CM_TERM_RATIO];
    }
    CHECK(clipped == 4);
    CHECK_NEAR(ratio, 0.5 + 0.95 + 1.1 + 1.5 + 0.7 + 1.35, 1e-5);
  }
}

static void check_critic_rows(void) {
  enum { R = 5 };
  const float pred[R] = {0.1f, -2.f, 3.f, 0.f, 1.5f}, tar[R] = {1.f, -1.f, 3.f, 2.f, -0.5f};
  float dout[R], terms[R * CM_LOSS_TERMS] = {0};
  const float w = 0.7f; /* critic_loss_weight: loss w mean((tar - pred)^2) */
  ops->critic_loss_rows(dout, terms, CM_LOSS_TERMS, pred, tar, R, 2.f * w / R);
  for (int i = 0; i < R; i++) {
    CHECK(terms[i * CM_LOSS_TERMS + CM_TERM_CRITIC_DIFF] == tar[i] - pred[i]);
    CHECK_NEAR(dout[i], 2.0 * w * (pred[i] - tar[i]) / R, 1e-6); /* d/dpred of w mean(d^2) */
  }
}

/* test_returns.c's hand example (discount 0.9, lambda 0.5) through the ops */
static void check_returns(void) {
  enum { T = 4, N = 2 };
  float r[T * N] = {1, .5f, 2, .5f, 3, 1, 4, 1};
  float nv[T * N] = {10, 2, 20, 4, 30, 6, 40, 8};
  unsigned char done[T * N] = {CM_DONE_NULL, CM_DONE_NULL, CM_DONE_FAIL, CM_DONE_NULL,
                               CM_DONE_NULL, CM_DONE_TIME, CM_DONE_NULL, CM_DONE_SUCC};
  float ret[T * N];
  ops->bootstrap_done(nv, done, T * N, 1.f / 0.1f, 0.f);
  CHECK(nv[2] == 0.f && nv[5] == 6.f);
  CHECK_NEAR(nv[7], 10.0, 1e-5);
  ops->td_lambda(T, N, r, nv, done, 0.9f, 0.5f, ret);
  const double want[T * N] = {6.4, 3.731, 2, 5.18, 34.5, 6.4, 40, 10};
  for (int i = 0; i < T * N; i++) CHECK_NEAR(ret[i], want[i], 1e-4);
}

static void check_stats(void) {
  enum { n = 1001 };
  float x[n], mask[n], y[n];
  cm_rng r = cm_rng_make(8, 0, 0, 3);
  double cnt = 0, sum = 0, lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < n; i++) {
    x[i] = 3.f * cm_rng_normal(&r) + 1.f;
    mask[i] = i % 3 ? 1.f : 0.f;
    if (mask[i] != 0.f) cnt++, sum += x[i], lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
  }
  double mean = sum / cnt, ss = 0;
  for (int i = 0; i < n; i++)
    if (mask[i] != 0.f) ss += ((double)x[i] - mean) * ((double)x[i] - mean);
  double st[CM_STATS_N];
  ops->masked_stats(x, mask, n, 0.0, st);
  CHECK(st[CM_STAT_COUNT] == cnt);
  CHECK_NEAR(st[CM_STAT_SUM], sum, 1e-9 * fabs(sum) + 1e-9);
  CHECK(st[CM_STAT_MIN] == lo && st[CM_STAT_MAX] == hi);
  ops->masked_stats(x, mask, n, mean, st);
  CHECK_NEAR(st[CM_STAT_SUM_SQ], ss, 1e-9 * ss);
  /* the same numbers as returns.c's cm_adv_stats, bit for bit */
  double m2, v2;
  cm_adv_stats(n, x, mask, &m2, &v2);
  CHECK(m2 == mean && v2 == st[CM_STAT_SUM_SQ] / (cnt - 1));
  ops->masked_stats(x, NULL, 0, 0.0, st);
  CHECK(st[CM_STAT_COUNT] == 0 && st[CM_STAT_MIN] == INFINITY);
  /* normalisation and clipping, then AWR's weights */
  memcpy(y, x, sizeof x);
  ops->adv_normalize(y, n, 1.f, 3.f, 0.8f);
  int ok = 1;
  for (int i = 0; i < n; i++) ok &= y[i] == fminf(fmaxf((x[i] - 1.f) / 3.f, -0.8f), 0.8f);
  CHECK(ok);
  memcpy(y, x, sizeof x);
  ops->adv_normalize(y, n, 0.f, 0.f, INFINITY); /* std 0 divides by 1e-5 */
  CHECK(y[1] == x[1] / 1e-5f);
  memcpy(y, x, sizeof x);
  ops->awr_weights(y, n, 0.5f, 20.f);
  ok = 1;
  for (int i = 0; i < n; i++) ok &= y[i] == fminf(expf(x[i] / 0.5f), 20.f);
  CHECK(ok);
  /* AMP's reward mix, with and without the extra reward: amp.c's former host loop */
  for (int with_e = 0; with_e < 2; with_e++) {
    float d[n], e[n];
    for (int i = 0; i < n; i++) d[i] = 0.25f * (float)i - 1.f, e[i] = x[(i + 3) % n];
    memcpy(y, x, sizeof x);
    ops->reward_mix(y, d, with_e ? e : NULL, n, 0.3f, 0.7f, 0.5f);
    ok = 1;
    for (int i = 0; i < n; i++) ok &= y[i] == 0.3f * x[i] + 0.7f * d[i] + (with_e ? 0.5f * e[i] : 0.f);
    CHECK(ok);
  }
}

int main(void) {
  ops = cm_dev_cpu()->ops;
  check_gather();
  check_actor_rows(CM_ACTOR_PPO);
  check_actor_rows(CM_ACTOR_AWR);
  check_critic_rows();
  check_returns();
  check_stats();
  return check_report("test_loss_rows");
}
