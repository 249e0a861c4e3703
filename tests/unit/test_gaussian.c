/* Diagonal Gaussian: log-prob against the product of 1-D densities, entropy against the
 * closed form and a Monte Carlo estimate, sample moments, reproducible sampling, and the
 * log-prob gradients against central finite differences. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "learn/gaussian.h"

static cm_err err;
enum { D = 3 };
static const float mean[D] = {0.3f, -1.2f, 2.0f};
static const float logstd[D] = {-0.5f, 0.2f, -2.9957323f}; /* last: log(0.05), MimicKit's action_std */

static void test_log_prob_entropy(void) {
  const float x[D] = {0.1f, -0.4f, 2.03f};
  double dens = 1.0;
  for (int j = 0; j < D; j++) {
    double s = exp((double)logstd[j]), z = (x[j] - mean[j]) / s;
    dens *= exp(-0.5 * z * z) / (s * sqrt(2.0 * M_PI));
  }
  CHECK_NEAR(cm_gauss_log_prob_row(D, mean, logstd, x), log(dens), 1e-5);
  double ent = 0;
  for (int j = 0; j < D; j++) ent += 0.5 * log(2.0 * M_PI * M_E * exp(2.0 * logstd[j]));
  CHECK_NEAR(cm_gauss_entropy_row(D, logstd), ent, 1e-5);
  /* the mode is the most likely point */
  CHECK(cm_gauss_log_prob_row(D, mean, logstd, mean) > cm_gauss_log_prob_row(D, mean, logstd, x));
}

static void test_sampling(void) {
  enum { B = 20000 };
  float *mu = malloc(sizeof(float) * B * D), *x = malloc(sizeof(float) * B * D), *lp = malloc(sizeof(float) * B);
  for (int i = 0; i < B; i++) memcpy(mu + i * D, mean, sizeof mean);
  cm_gauss_sample(B, D, mu, logstd, 42, 0, 7, 1, x);
  cm_gauss_log_prob(B, D, mu, logstd, x, lp);
  double neg_lp = 0;
  for (int i = 0; i < B; i++) neg_lp -= lp[i] / B;
  /* Monte Carlo entropy: Var(log p) = D/2, so the standard error is sqrt(1.5 / B) ~ 0.009 */
  CHECK_NEAR(neg_lp, cm_gauss_entropy_row(D, logstd), 0.04);
  for (int j = 0; j < D; j++) {
    double s = 0, ss = 0, sd = exp((double)logstd[j]);
    for (int i = 0; i < B; i++) s += x[i * D + j];
    s /= B;
    for (int i = 0; i < B; i++) ss += (x[i * D + j] - s) * (x[i * D + j] - s);
    ss = sqrt(ss / (B - 1));
    CHECK_NEAR(s, mean[j], 4 * sd / sqrt(B));
    CHECK_NEAR(ss, sd, 0.03 * sd);
  }
  /* reproducible: the same (seed, env, step, stream) gives the same draw, row by row */
  float again[2 * D];
  cm_gauss_sample(2, D, mu, logstd, 42, 100, 7, 1, again);
  CHECK(memcmp(again, x + 100 * D, sizeof again) == 0);
  cm_gauss_sample(2, D, mu, logstd, 42, 100, 8, 1, again);
  CHECK(memcmp(again, x + 100 * D, sizeof again) != 0);
  free(mu); free(x); free(lp);
}

/* d log p / d mean and d log p / d logstd against central differences in double-checked floats. */
static void test_gradients(void) {
  const float x[D] = {0.1f, -0.4f, 2.03f};
  float m[D], ls[D], g[D] = {0}, gl[D] = {0};
  memcpy(m, mean, sizeof m);
  memcpy(ls, logstd, sizeof ls);
  cm_gauss_log_prob_grad_mean_row(D, m, ls, x, 1.f, g);
  cm_gauss_log_prob_grad_logstd_row(D, m, ls, x, 1.f, gl);
  for (int j = 0; j < D; j++) {
    double h = 1e-2 * exp((double)ls[j]); /* step relative to the scale */
    float keep = m[j];
    m[j] = keep + (float)h; double lp = cm_gauss_log_prob_row(D, m, ls, x);
    m[j] = keep - (float)h; double lm = cm_gauss_log_prob_row(D, m, ls, x);
    m[j] = keep;
    double fd = (lp - lm) / (2 * h);
    CHECK_NEAR(g[j], fd, 1e-3 * (1 + fabs(fd)));
    keep = ls[j];
    ls[j] = keep + 1e-3f; lp = cm_gauss_log_prob_row(D, m, ls, x);
    ls[j] = keep - 1e-3f; lm = cm_gauss_log_prob_row(D, m, ls, x);
    ls[j] = keep;
    fd = (lp - lm) / 2e-3;
    CHECK_NEAR(gl[j], fd, 2e-3 * (1 + fabs(fd)));
  }
  /* batch driver: weights per row, accumulated into dmean */
  float mu2[2 * D], x2[2 * D], w[2] = {2.f, -0.5f}, dm[2 * D];
  for (int i = 0; i < 2; i++) { memcpy(mu2 + i * D, mean, sizeof mean); memcpy(x2 + i * D, x, sizeof x); }
  for (int i = 0; i < 2 * D; i++) dm[i] = 1.f;
  cm_gauss_log_prob_grad_mean(2, D, mu2, logstd, x2, w, dm);
  for (int j = 0; j < D; j++) {
    CHECK_NEAR(dm[j], 1.f + 2.f * g[j], 1e-4 * (1 + fabs(g[j])));
    CHECK_NEAR(dm[D + j], 1.f - 0.5f * g[j], 1e-4 * (1 + fabs(g[j])));
  }
}

static void test_logstd_param(void) {
  cm_param p;
  CHECK_OK(cm_gauss_logstd_create(&p, cm_dev_cpu(), 28, 0.05f, &err), &err);
  CHECK(strcmp(p.name, "_model._action_dist._logstd_net") == 0);
  CHECK(p.ndim == 1 && p.shape[0] == 28 && p.grad == NULL);
  CHECK_NEAR(p.data[27], log(0.05), 1e-6);
  cm_param_release(&p, cm_dev_cpu());
  CHECK(cm_gauss_logstd_create(&p, cm_dev_cpu(), 28, 0.f, &err) == -1);
}

int main(void) {
  test_log_prob_entropy();
  test_sampling();
  test_gradients();
  test_logstd_param();
  return check_report("test_gaussian");
}
