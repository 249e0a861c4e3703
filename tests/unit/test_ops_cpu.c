/* The CPU ops on arrays large enough to be split over the thread pool, against plain loops
 * written here: element-wise results must be identical, and the column reductions must add
 * every column in row order, so they match a serial loop exactly whatever the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/ops.h"
#include "learn/optim_rows.h"

#define ROWS 700
#define COLS 523 /* odd, so tasks end mid-row */
#define N ((size_t)ROWS * COLS)

static float *randf(size_t n, float lo, float hi, uint32_t stream) {
  float *x = malloc(n * sizeof(float));
  cm_rng r = cm_rng_make(17, 0, 0, stream);
  for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * cm_rng_uniform(&r);
  return x;
}

static float *dup(const float *x, size_t n) {
  float *y = malloc(n * sizeof(float));
  memcpy(y, x, n * sizeof(float));
  return y;
}

static int same(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

/* The ops that add into device doubles (the iteration's stats), on the CPU against hand values:
 * each adds to what its slot holds. */
static void test_dev_sums(void) {
  const cm_ops *o = &cm_ops_cpu;
  float x[4] = {1.f, -2.f, 3.f, 0.5f};
  double slot = 10.0;
  o->sum_sq_dev(x, 4, &slot);
  CHECK(slot == 10.0 + 1 + 4 + 9 + 0.25);
  o->sum_sq_dev(x, 0, &slot);
  CHECK(slot == 24.25);

  /* torch clip_grad_norm_: sums 9 and 16 (norm 5) against clip 1 and clip 10 */
  double sq[2] = {9.0, 16.0}, bad[2] = {9.0, NAN};
  CHECK(cm_clip_coef(sq, 2, 1.f) == 1.0 / (5.0 + 1e-6));
  CHECK(cm_clip_coef(sq, 2, 10.f) == 10.0 / (5.0 + 1e-6));
  CHECK(isnan(cm_clip_coef(bad, 2, 1.f)));
  float gr[2] = {3.f, 4.f};
  o->clip_grads(gr, 2, sq, 2, 1.f);
  CHECK(gr[0] == 3.f * (float)(1.0 / (5.0 + 1e-6)) && gr[1] == 4.f * (float)(1.0 / (5.0 + 1e-6)));
  float keep[2] = {3.f, 4.f};
  o->clip_grads(keep, 2, sq, 2, 10.f); /* coefficient above 1: untouched */
  CHECK(keep[0] == 3.f && keep[1] == 4.f);
  o->clip_grads(keep, 2, bad, 2, 1.f); /* a NaN norm leaves them too (the NaN guard names it) */
  CHECK(keep[0] == 3.f && keep[1] == 4.f);

  /* BCE rows at logit 0 (sigmoid 1/2): loss ln 2 each, accuracy 0 (0 is not > 0), logit 0 */
  float z[2] = {0.f, 0.f}, dz[2];
  double bce[CM_BCE_N] = {1.0, 2.0, 3.0};
  o->disc_bce_rows_dev(dz, z, 2, 1, 0.5f, bce);
  CHECK_NEAR(bce[CM_BCE_LOSS], 1.0 + 2 * log(2.0), 1e-6);
  CHECK(bce[CM_BCE_ACC] == 2.0 && bce[CM_BCE_LOGIT] == 3.0);

  /* masked_stats2: entries 1, 2, 3 (10 masked out): count 3, sum 6, squares 14; then centred on
   * the mean 2: sum 0, squares 2, min 1, max 3 */
  float v[4] = {1.f, 2.f, 3.f, 10.f}, mask[4] = {1.f, 1.f, 1.f, 0.f};
  double st[2 * CM_STATS_N];
  o->masked_stats2(v, mask, 4, st);
  CHECK(st[CM_STAT_COUNT] == 3 && st[CM_STAT_SUM] == 6 && st[CM_STAT_SUM_SQ] == 14);
  CHECK(cm_stats_center(st) == 2.0);
  const double *c2 = st + CM_STATS_N;
  CHECK(c2[CM_STAT_COUNT] == 3 && c2[CM_STAT_SUM] == 0 && c2[CM_STAT_SUM_SQ] == 2);
  CHECK(c2[CM_STAT_MIN] == 1 && c2[CM_STAT_MAX] == 3);
  o->masked_stats2(v, mask, 0, st); /* nothing counted: centre 0 */
  CHECK(st[CM_STAT_COUNT] == 0 && cm_stats_center(st) == 0.0);
}

int main(void) {
  test_dev_sums();
  const cm_ops *o = &cm_ops_cpu;
  float *x = randf(N, -2.f, 2.f, 1), *g = randf(N, -1.f, 1.f, 2), *bias = randf(COLS, -1.f, 1.f, 3);
  float *mean = randf(COLS, -0.5f, 0.5f, 4), *sd = randf(COLS, 0.2f, 2.f, 5);

  float *y = malloc(N * sizeof(float)), *want = malloc(N * sizeof(float));
  o->fill(y, 3.5f, N);
  for (size_t i = 0; i < N; i++) want[i] = 3.5f;
  CHECK(same(y, want, N));

  o->relu_fwd(y, x, N);
  for (size_t i = 0; i < N; i++) want[i] = x[i] > 0.f ? x[i] : 0.f;
  CHECK(same(y, want, N));
  float *fwd = dup(want, N);
  o->relu_bwd(y, g, fwd, N);
  for (size_t i = 0; i < N; i++) want[i] = fwd[i] > 0.f ? g[i] : 0.f;
  CHECK(same(y, want, N));

  memcpy(y, x, N * sizeof(float));
  o->add_bias(y, bias, ROWS, COLS);
  for (size_t i = 0; i < N; i++) want[i] = x[i] + bias[i % COLS];
  CHECK(same(y, want, N));

  memcpy(y, x, N * sizeof(float));
  o->axpy(N, -0.75f, g, y);
  for (size_t i = 0; i < N; i++) want[i] = x[i] + -0.75f * g[i];
  CHECK(same(y, want, N));
  o->scale(N, 1.25f, y);
  for (size_t i = 0; i < N; i++) want[i] *= 1.25f;
  CHECK(same(y, want, N));

  /* SGD with momentum and weight decay, two steps */
  float *p = dup(x, N), *buf = calloc(N, sizeof(float)), *wp = dup(x, N), *wbuf = calloc(N, sizeof(float));
  for (int step = 0; step < 2; step++) {
    o->sgd_step(p, g, buf, N, 0.01f, 0.9f, 0.001f);
    for (size_t i = 0; i < N; i++) {
      float d = g[i] + 0.001f * wp[i];
      wbuf[i] = 0.9f * wbuf[i] + d;
      wp[i] -= 0.01f * wbuf[i];
    }
  }
  CHECK(same(p, wp, N) && same(buf, wbuf, N));

  /* AdamW, one step */
  cm_adam_coef c = {0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.99999f, 0.001f / 0.1f, sqrtf(0.001f)};
  float *m = calloc(N, sizeof(float)), *v = calloc(N, sizeof(float));
  float *wm = calloc(N, sizeof(float)), *wv = calloc(N, sizeof(float));
  memcpy(p, x, N * sizeof(float));
  memcpy(wp, x, N * sizeof(float));
  o->adam_step(p, g, m, v, N, c);
  for (size_t i = 0; i < N; i++) {
    wp[i] *= c.decay;
    wm[i] = c.beta1 * wm[i] + c.one_minus_beta1 * g[i];
    wv[i] = c.beta2 * wv[i] + c.one_minus_beta2 * g[i] * g[i];
    wp[i] -= c.step_size * wm[i] / (sqrtf(wv[i]) / c.bias_c2_sqrt + c.eps);
  }
  CHECK(same(p, wp, N) && same(m, wm, N) && same(v, wv, N));

  /* normalize (clipped) and back */
  o->normalize(y, x, mean, sd, 1.5f, ROWS, COLS);
  for (size_t i = 0; i < N; i++) {
    float z = (x[i] - mean[i % COLS]) / sd[i % COLS];
    want[i] = z < -1.5f ? -1.5f : (z > 1.5f ? 1.5f : z);
  }
  CHECK(same(y, want, N));
  float *back = malloc(N * sizeof(float));
  o->unnormalize(back, y, mean, sd, ROWS, COLS);
  for (size_t i = 0; i < N; i++) want[i] = y[i] * sd[i % COLS] + mean[i % COLS];
  CHECK(same(back, want, N));

  /* column reductions: exactly the serial row-order sums, added to what was there */
  float *cs = calloc(COLS, sizeof(float)), *wcs = calloc(COLS, sizeof(float));
  double *s1 = calloc(COLS, sizeof(double)), *s2 = calloc(COLS, sizeof(double));
  double *w1 = calloc(COLS, sizeof(double)), *w2 = calloc(COLS, sizeof(double));
  for (int k = 0; k < COLS; k++) wcs[k] = cs[k] = 0.5f * (float)k;
  o->col_sum(cs, x, ROWS, COLS);
  o->col_moments(x, ROWS, COLS, s1, s2);
  for (int r = 0; r < ROWS; r++)
    for (int k = 0; k < COLS; k++) {
      double xv = x[(size_t)r * COLS + k];
      wcs[k] += x[(size_t)r * COLS + k];
      w1[k] += xv;
      w2[k] += xv * xv;
    }
  CHECK(same(cs, wcs, COLS));
  CHECK(memcmp(s1, w1, COLS * sizeof(double)) == 0 && memcmp(s2, w2, COLS * sizeof(double)) == 0);

  free(x); free(g); free(bias); free(mean); free(sd); free(y); free(want); free(fwd); free(p); free(buf);
  free(wp); free(wbuf); free(m); free(v); free(wm); free(wv); free(back); free(cs); free(wcs);
  free(s1); free(s2); free(w1); free(w2);
  return check_report("test_ops_cpu");
}
