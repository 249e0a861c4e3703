/* Running normalizer: statistics streamed in uneven chunks equal the two-pass mean and
 * population std of the same data; the min_std floor; freezing after normalizer_samples;
 * clipping; set/load of mean and std; normalize/unnormalize round trip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/normalizer.h"

enum { D = 4, N = 1000 };
static cm_err err;
static float data[N * D];

/* column 0: N(3, 2); column 1: N(-1000, 0.01) (large offset, tiny spread);
 * column 2: constant 5 (std floors at min_std); column 3: uniform [0, 1) */
static void make_data(void) {
  cm_rng r = cm_rng_make(17, 0, 0, 0);
  for (int i = 0; i < N; i++) {
    data[i * D + 0] = 3.f + 2.f * cm_rng_normal(&r);
    data[i * D + 1] = -1000.f + 0.01f * cm_rng_normal(&r);
    data[i * D + 2] = 5.f;
    data[i * D + 3] = cm_rng_uniform(&r);
  }
}

static void two_pass(int rows, double *mean, double *std) {
  for (int j = 0; j < D; j++) {
    double s = 0, ss = 0;
    for (int i = 0; i < rows; i++) s += data[i * D + j];
    mean[j] = s / rows;
    for (int i = 0; i < rows; i++) { double d = data[i * D + j] - mean[j]; ss += d * d; }
    std[j] = sqrt(ss / rows);
  }
}

static void check_stats(const cm_normalizer *n, int rows, float min_std) {
  double mean[D], std[D];
  float m[D], s[D];
  two_pass(rows, mean, std);
  cm_norm_get(n, m, s);
  CHECK(n->count == rows);
  for (int j = 0; j < D; j++) {
    double want = fmax(std[j], min_std);
    CHECK_NEAR(m[j], mean[j], 1e-6 * (1 + fabs(mean[j])));
    CHECK_NEAR(s[j], want, 1e-4 * want);
  }
}

static void test_streaming(void) {
  cm_normalizer n;
  CHECK_OK(cm_norm_create(&n, cm_dev_cpu(), "_obs_norm", D, 10.f, 1e-4f, INFINITY, &err), &err);
  CHECK(n.count == 0);
  float m[D], s[D];
  cm_norm_get(&n, m, s);
  CHECK(m[0] == 0.f && s[0] == 1.f);
  const int chunks[] = {1, 7, 100, 13, 250, 2, 127, 300, 200};
  int at = 0;
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
    /* two records per update for odd chunks: a rollout records every step, updates once */
    int len = chunks[c];
    if (c % 2) {
      int half = len / 2;
      cm_norm_record(&n, data + (size_t)at * D, half);
      cm_norm_record(&n, data + (size_t)(at + half) * D, len - half);
    } else {
      cm_norm_record(&n, data + (size_t)at * D, len);
    }
    /* recorded samples do not move the statistics until update */
    CHECK(n.count == at);
    at += len;
    CHECK_OK(cm_norm_update(&n, &err), &err);
    if (at > 1) check_stats(&n, at, 1e-4f);
  }
  CHECK(at == N);
  CHECK_NEAR(n.std[2], 1e-4, 1e-9); /* constant column: the min_std floor */
  /* an update with nothing recorded changes nothing */
  CHECK_OK(cm_norm_update(&n, &err), &err);
  check_stats(&n, N, 1e-4f);
  cm_norm_destroy(&n);
}

static void test_freeze(void) {
  cm_normalizer n;
  CHECK_OK(cm_norm_create(&n, cm_dev_cpu(), "_obs_norm", D, 10.f, 1e-4f, 250, &err), &err);
  for (int c = 0; c < 5; c++) {
    cm_norm_record(&n, data + (size_t)c * 100 * D, 100);
    CHECK_OK(cm_norm_update(&n, &err), &err);
  }
  /* counts 100, 200, 300 (recorded while below 250), then frozen */
  CHECK(cm_norm_frozen(&n));
  check_stats(&n, 300, 1e-4f);
  CHECK(n.new_count == 0);
  cm_norm_destroy(&n);
}

static void test_normalize(void) {
  cm_normalizer n;
  CHECK_OK(cm_norm_create(&n, cm_dev_cpu(), "_obs_norm", D, 10.f, 1e-4f, INFINITY, &err), &err);
  float mean[D] = {1.f, -2.f, 0.f, 10.f}, std[D] = {2.f, 0.5f, 1.f, 4.f};
  CHECK_OK(cm_norm_set_mean_std(&n, mean, std, &err), &err);
  float x[2 * D] = {3.f, -2.5f, 100.f, 10.f, /* row 2 */ -1.f, -1.f, -50.f, 2.f};
  float y[2 * D], back[2 * D];
  cm_norm_normalize(&n, y, x, 2);
  CHECK_NEAR(y[0], 1.0, 1e-6); CHECK_NEAR(y[1], -1.0, 1e-6);
  CHECK(y[2] == 10.f);    /* clipped */
  CHECK(y[6] == -10.f);   /* clipped */
  CHECK_NEAR(y[3], 0.0, 1e-6); CHECK_NEAR(y[4], -1.0, 1e-6); CHECK_NEAR(y[5], 2.0, 1e-6);
  CHECK_NEAR(y[7], -2.0, 1e-6);
  cm_norm_unnormalize(&n, back, y, 2);
  for (int i = 0; i < 2 * D; i++)
    if (i != 2 && i != 6) CHECK_NEAR(back[i], x[i], 1e-5);
  CHECK_NEAR(back[2], 10.f, 1e-5); /* unnormalizing the clipped value gives mean + clip * std */
  /* the action normalizer has no clip */
  cm_normalizer a;
  CHECK_OK(cm_norm_create(&a, cm_dev_cpu(), "_a_norm", D, INFINITY, 1e-4f, INFINITY, &err), &err);
  CHECK_OK(cm_norm_set_mean_std(&a, mean, std, &err), &err);
  cm_norm_normalize(&a, y, x, 2);
  CHECK_NEAR(y[2], 100.0, 1e-4);
  /* checkpoint restore keeps the count and continues merging from it */
  CHECK_OK(cm_norm_load(&a, 1000, mean, std, &err), &err);
  CHECK(a.count == 1000);
  float row[D] = {1.f, -2.f, 0.f, 10.f};
  cm_norm_record(&a, row, 1);
  CHECK_OK(cm_norm_update(&a, &err), &err);
  float m[D], s[D];
  cm_norm_get(&a, m, s);
  CHECK(a.count == 1001);
  /* adding a sample at the mean shrinks the variance by 1000/1001 */
  CHECK_NEAR(s[0], 2.0 * sqrt(1000.0 / 1001.0), 1e-6);
  CHECK_NEAR(m[0], 1.0, 1e-6);
  /* bad input: non-positive std, negative count, zero dim */
  float bad_std[D] = {1.f, 0.f, 1.f, 1.f};
  CHECK(cm_norm_set_mean_std(&a, mean, bad_std, &err) == -1 && strstr(err.msg, "entry 1"));
  CHECK(cm_norm_load(&a, -1, mean, std, &err) == -1);
  cm_normalizer z;
  CHECK(cm_norm_create(&z, cm_dev_cpu(), "_obs_norm", 0, 10.f, 1e-4f, INFINITY, &err) == -1);
  cm_norm_destroy(&a);
  cm_norm_destroy(&n);
}

int main(void) {
  make_data();
  test_streaming();
  test_freeze();
  test_normalize();
  return check_report("test_normalizer");
}
