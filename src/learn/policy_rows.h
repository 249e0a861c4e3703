/* The policy's action of one env (one row), written once for the CPU loop (ops_cpu.c) and the
 * CUDA kernel (ops_cuda.cu): from the actor's mean of the normalized action and the fixed
 * log-std, in training a Gaussian sample with the counter-based rng (seed, env0 + row, step,
 * STREAM_ACTION_NOISE), kept with probability exp_prob (the exploration mask, stream
 * STREAM_EXPLORE_MASK, drawn only when exp_prob < 1) and otherwise replaced by the mean; in test
 * the mean. Then its log-prob under (mean, std) and the action in env units through the action
 * normalizer (x * std + mean; the env clips to its bounds). The draws and the arithmetic are
 * those of cm_gauss_sample, the mask loop, cm_gauss_log_prob and cm_norm_unnormalize in that
 * order, so the CPU numbers are the same bits as before. */
#ifndef CM_LEARN_POLICY_ROWS_H
#define CM_LEARN_POLICY_ROWS_H
#include <stdint.h>
#include "core/hd.h"
#include "core/rng.h"
#include "learn/gaussian.h"

/* rng streams of the rollout (the initialisation uses 11, 12: agent.c) */
#define STREAM_ACTION_NOISE 1u
#define STREAM_EXPLORE_MASK 2u

/* All arrays on the op's device: [rows][act_dim] for mean/norm_a/action, [rows] for logp and
 * rand_mask, [act_dim] for logstd, a_mean and a_std. */
typedef struct cm_policy_act_args {
  int act_dim;
  int train;       /* 1: sample (masked), 0: the mean */
  double exp_prob; /* probability of a sampled action per env in training */
  uint64_t seed, step;
  uint32_t env0;   /* global index of row 0 (rank * num_envs) */
  const float *mean, *logstd, *a_mean, *a_std;
  float *norm_a, *logp, *rand_mask, *action;
} cm_policy_act_args;

/* 1 with probability p (always when p >= 1, without a draw). */
CM_HD static inline float cm_policy_explore_mask(double p, uint64_t seed, uint32_t env, uint64_t step) {
  if (!(p < 1.0)) return 1.f;
  cm_rng rng = cm_rng_make(seed, env, step, STREAM_EXPLORE_MASK);
  return cm_rng_uniform(&rng) < p ? 1.f : 0.f;
}

/* y = x * std + mean (cm_norm_unnormalize's arithmetic) */
CM_HD static inline void cm_policy_unnormalize_row(int dim, const float *x, const float *mean, const float *std, float *y) {
  for (int k = 0; k < dim; k++) y[k] = x[k] * std[k] + mean[k];
}

CM_HD static inline void cm_policy_act_row(const cm_policy_act_args *p, int i) {
  int A = p->act_dim;
  const float *mu = p->mean + (size_t)i * A;
  float *na = p->norm_a + (size_t)i * A;
  float m = 0.f;
  if (p->train) {
    cm_rng rng = cm_rng_make(p->seed, p->env0 + (uint32_t)i, p->step, STREAM_ACTION_NOISE);
    cm_gauss_sample_row(A, mu, p->logstd, &rng, na);
    m = cm_policy_explore_mask(p->exp_prob, p->seed, p->env0 + (uint32_t)i, p->step);
  }
  if (m == 0.f)
    for (int j = 0; j < A; j++) na[j] = mu[j];
  p->rand_mask[i] = m;
  p->logp[i] = cm_gauss_log_prob_row(A, mu, p->logstd, na);
  cm_policy_unnormalize_row(A, na, p->a_mean, p->a_std, p->action + (size_t)i * A);
}
#endif
