/* The CPU ops on arrays large enough to be split over the thread pool, against plain loops
 * written here: element-wise results must be identical, and the column reductions must add
 * every column in row order, so they match a serial loop exactly whatever the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/ops.h"

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

int main(void) {
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
