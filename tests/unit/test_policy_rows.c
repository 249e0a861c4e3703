/* The policy's per-row action (learn/policy_rows.h) through the CPU op: the same bits as the
 * agent's former host code (cm_gauss_sample over all rows, the exploration-mask loop, the means
 * copied into the masked rows, cm_gauss_log_prob, cm_norm_unnormalize's arithmetic) for train
 * and test mode; sample mean and variance, the mask's frequency, the log-prob against the
 * Gaussian density in double and the action against x * std + mean. With a GPU, the CUDA op
 * against the CPU op on the same rows (the same rng words; only expf/logf/cosf rounding
 * differs); without one that part prints SKIP. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/dev_cuda.h"
#include "learn/gaussian.h"
#include "learn/ops.h"
#include "learn/policy_rows.h"

enum { ROWS = 6000, A = 28 };
#define SEED 1234u
#define ENV0 96u
#define STEP 17u

typedef struct {
  float *mean, *norm_a, *logp, *mask, *action;
} rows_out;

static float logstd[A], a_mean[A], a_std[A];

static void alloc_rows(rows_out *r) {
  r->mean = malloc(sizeof(float) * ROWS * A);
  r->norm_a = malloc(sizeof(float) * ROWS * A);
  r->logp = malloc(sizeof(float) * ROWS);
  r->mask = malloc(sizeof(float) * ROWS);
  r->action = malloc(sizeof(float) * ROWS * A);
}
static void free_rows(rows_out *r) { free(r->mean); free(r->norm_a); free(r->logp); free(r->mask); free(r->action); }

/* The agent's decide_action before the row function existed, step for step. */
static void old_code(const float *mean, int train, double p, rows_out *o) {
  if (train) {
    cm_gauss_sample(ROWS, A, mean, logstd, SEED, ENV0, STEP, STREAM_ACTION_NOISE, o->norm_a);
    for (int i = 0; i < ROWS; i++) {
      float m = 1.f;
      if (p < 1.0) {
        cm_rng rng = cm_rng_make(SEED, ENV0 + (uint32_t)i, STEP, STREAM_EXPLORE_MASK);
        m = cm_rng_uniform(&rng) < p ? 1.f : 0.f;
      }
      o->mask[i] = m;
      if (m == 0.f) memcpy(o->norm_a + (size_t)i * A, mean + (size_t)i * A, A * sizeof(float));
    }
  } else {
    memcpy(o->norm_a, mean, sizeof(float) * ROWS * A);
    memset(o->mask, 0, sizeof(float) * ROWS);
  }
  cm_gauss_log_prob(ROWS, A, mean, logstd, o->norm_a, o->logp);
  cm_ops_cpu.unnormalize(o->action, o->norm_a, a_mean, a_std, ROWS, A);
}

static cm_policy_act_args args_of(const float *mean, int train, double p, rows_out *o) {
  cm_policy_act_args a = {.act_dim = A, .train = train, .exp_prob = p, .seed = SEED, .step = STEP, .env0 = ENV0,
                          .mean = mean, .logstd = logstd, .a_mean = a_mean, .a_std = a_std,
                          .norm_a = o->norm_a, .logp = o->logp, .rand_mask = o->mask, .action = o->action};
  return a;
}

static int same_bits(const rows_out *x, const rows_out *y) {
  return !memcmp(x->norm_a, y->norm_a, sizeof(float) * ROWS * A) && !memcmp(x->logp, y->logp, sizeof(float) * ROWS) &&
         !memcmp(x->mask, y->mask, sizeof(float) * ROWS) && !memcmp(x->action, y->action, sizeof(float) * ROWS * A);
}

static void test_old_code_bits(const float *mean) {
  const struct { int train; double p; } cases[] = {{1, 1.0}, {1, 0.6}, {1, 0.0}, {0, 1.0}};
  rows_out o, n;
  alloc_rows(&o);
  alloc_rows(&n);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    old_code(mean, cases[c].train, cases[c].p, &o);
    cm_policy_act_args a = args_of(mean, cases[c].train, cases[c].p, &n);
    memset(n.norm_a, 0xff, sizeof(float) * ROWS * A); /* no stale output can pass */
    cm_ops_cpu.policy_act(&a, ROWS);
    int same = same_bits(&o, &n);
    if (!same) fprintf(stderr, "case train %d p %g: the row function differs from the old code\n", cases[c].train, cases[c].p);
    CHECK(same);
  }
  free_rows(&o);
  free_rows(&n);
}

/* Every row the same mean: moments of the sampled rows, mask frequency, log-prob, action. */
static void test_distribution(void) {
  rows_out r;
  alloc_rows(&r);
  float mu[A];
  for (int j = 0; j < A; j++) mu[j] = 0.1f * (float)(j % 7) - 0.3f;
  for (int i = 0; i < ROWS; i++) memcpy(r.mean + (size_t)i * A, mu, sizeof mu);
  const double p = 0.7;
  cm_policy_act_args a = args_of(r.mean, 1, p, &r);
  cm_ops_cpu.policy_act(&a, ROWS);
  int sampled = 0, masked_ok = 1, logp_ok = 1, act_ok = 1;
  double s[A] = {0}, ss[A] = {0};
  for (int i = 0; i < ROWS; i++) {
    const float *x = r.norm_a + (size_t)i * A;
    double lp = 0;
    for (int j = 0; j < A; j++) {
      double sd = exp((double)logstd[j]), z = (x[j] - mu[j]) / sd;
      lp += -0.5 * z * z - log(sd) - 0.5 * log(2 * M_PI);
      double act = (double)x[j] * a_std[j] + a_mean[j];
      if (!(fabs(r.action[(size_t)i * A + j] - act) <= 1e-5 * (1 + fabs(act)))) act_ok = 0;
    }
    if (!(fabs(r.logp[i] - lp) <= 1e-4 * (1 + fabs(lp)))) logp_ok = 0;
    if (r.mask[i] == 1.f) {
      sampled++;
      for (int j = 0; j < A; j++) { s[j] += x[j]; ss[j] += (double)x[j] * x[j]; }
    } else if (r.mask[i] != 0.f || memcmp(x, mu, sizeof mu)) {
      masked_ok = 0; /* a mean action is the mean exactly */
    }
  }
  CHECK(logp_ok);
  CHECK(act_ok);
  CHECK(masked_ok);
  /* binomial: sd sqrt(p (1-p) / n) ~ 0.006 */
  CHECK_NEAR((double)sampled / ROWS, p, 0.03);
  for (int j = 0; j < A && sampled > 1; j++) {
    double m = s[j] / sampled, var = (ss[j] - sampled * m * m) / (sampled - 1), sd = exp((double)logstd[j]);
    CHECK_NEAR(m, mu[j], 5 * sd / sqrt(sampled));
    CHECK_NEAR(sqrt(var), sd, 0.06 * sd); /* relative sd of a sample sd: 1/sqrt(2n) ~ 0.011 */
  }
  free_rows(&r);
}

/* The CUDA op on device copies of the same rows against the CPU op. */
static void test_cuda(const float *mean) {
  const cm_dev *gpu = NULL;
  cm_err err = {{0}};
  if (cm_dev_from_name("cuda:0", &gpu, &err)) {
    printf("SKIP: CUDA part (%s)\n", err.msg);
    return;
  }
  rows_out c, g;
  alloc_rows(&c);
  alloc_rows(&g);
  size_t n = (size_t)ROWS * A;
  float *d_mean = cm_dev_alloc(gpu, n, &err), *d_ls = cm_dev_alloc(gpu, A, &err), *d_am = cm_dev_alloc(gpu, A, &err),
        *d_as = cm_dev_alloc(gpu, A, &err), *d_na = cm_dev_alloc(gpu, n, &err), *d_lp = cm_dev_alloc(gpu, ROWS, &err),
        *d_m = cm_dev_alloc(gpu, ROWS, &err), *d_act = cm_dev_alloc(gpu, n, &err);
  CHECK(d_mean && d_ls && d_am && d_as && d_na && d_lp && d_m && d_act);
  if (d_mean && d_ls && d_am && d_as && d_na && d_lp && d_m && d_act) {
    cm_dev_upload(gpu, d_mean, mean, n);
    cm_dev_upload(gpu, d_ls, logstd, A);
    cm_dev_upload(gpu, d_am, a_mean, A);
    cm_dev_upload(gpu, d_as, a_std, A);
    for (int train = 1; train >= 0; train--) {
      cm_policy_act_args ac = args_of(mean, train, 0.6, &c);
      cm_ops_cpu.policy_act(&ac, ROWS);
      cm_policy_act_args ag = {.act_dim = A, .train = train, .exp_prob = 0.6, .seed = SEED, .step = STEP, .env0 = ENV0,
                               .mean = d_mean, .logstd = d_ls, .a_mean = d_am, .a_std = d_as,
                               .norm_a = d_na, .logp = d_lp, .rand_mask = d_m, .action = d_act};
      gpu->ops->policy_act(&ag, ROWS);
      CHECK_OK(cm_dev_cuda_check(&err), &err);
      cm_dev_download(gpu, g.norm_a, d_na, n);
      cm_dev_download(gpu, g.logp, d_lp, ROWS);
      cm_dev_download(gpu, g.mask, d_m, ROWS);
      cm_dev_download(gpu, g.action, d_act, n);
      CHECK(!memcmp(c.mask, g.mask, sizeof(float) * ROWS)); /* the mask is rng words and one compare */
      double worst = 0;
      for (size_t k = 0; k < n; k++) {
        double e = fabs((double)g.norm_a[k] - c.norm_a[k]) + fabs((double)g.action[k] - c.action[k]);
        if (!(e <= worst)) worst = e;
      }
      for (int i = 0; i < ROWS; i++) {
        double e = fabs((double)g.logp[i] - c.logp[i]) / (1 + fabs(c.logp[i]));
        if (!(e <= worst)) worst = e;
      }
      printf("cuda vs cpu policy_act (train %d): largest difference %.3g\n", train, worst);
      CHECK(worst <= 1e-5);
    }
  }
  float *all[] = {d_mean, d_ls, d_am, d_as, d_na, d_lp, d_m, d_act};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) cm_dev_free(gpu, all[k]);
  free_rows(&c);
  free_rows(&g);
}

int main(void) {
  for (int j = 0; j < A; j++) {
    logstd[j] = logf(0.05f + 0.02f * (float)(j % 5));
    a_mean[j] = 0.2f * (float)(j % 3) - 0.1f;
    a_std[j] = 0.5f + 0.25f * (float)(j % 4);
  }
  float *mean = malloc(sizeof(float) * ROWS * A);
  cm_rng r = cm_rng_make(5, 0, 0, 9);
  for (int k = 0; k < ROWS * A; k++) mean[k] = 2.f * cm_rng_uniform(&r) - 1.f;
  test_old_code_bits(mean);
  test_distribution();
  test_cuda(mean);
  free(mean);
  return check_report("test_policy_rows");
}
