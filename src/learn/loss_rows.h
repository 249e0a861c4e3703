/* The update's per-row and per-element formulas (ppo_agent/awr_agent._compute_loss,
 * _build_train_data), written once as CM_HD functions: ops_cpu.c loops over them, ops_cuda.cu
 * runs them as kernels. Each row function writes its row of dloss/d(output) and its row of
 * loss terms (ops.h CM_TERM_*); the sums come to the host in one column reduction. */
#ifndef CM_LEARN_LOSS_ROWS_H
#define CM_LEARN_LOSS_ROWS_H
#include <math.h>
#include <stddef.h>
#include "core/hd.h"
#include "learn/gaussian.h"
#include "learn/ops.h"

/* element j of row k of a gathered mini-batch: src[idx[k]][j] */
CM_HD static inline float cm_gather_at(int width, const float *src, const int *idx, size_t k, int j) {
  return src[(size_t)idx[k] * width + j];
}

/* Critic: loss (tar - pred)^2 per row; dout = dloss/dpred scaled (scale = 2 critic_loss_weight / rows). */
CM_HD static inline void cm_critic_loss_row(float pred, float tar, float scale, float *dout, float *terms) {
  float d = tar - pred;
  *dout = -scale * d;
  terms[CM_TERM_CRITIC_DIFF] = d;
}

/* Action bound loss of one row of normalized means (MimicKit _compute_action_bound_loss):
 * sum_j min(mu_j + 1, 0)^2 + max(mu_j - 1, 0)^2. With dmean, adds scale * d/dmu. */
CM_HD static inline double cm_action_bound_loss_row(int dim, const float *mu, float scale, float *dmean) {
  double loss = 0;
  for (int j = 0; j < dim; j++) {
    float lo = fminf(mu[j] + 1.f, 0.f), hi = fmaxf(mu[j] - 1.f, 0.f);
    loss += (double)lo * lo + (double)hi * hi;
    if (dmean) dmean[j] += scale * 2.f * (lo + hi);
  }
  return loss;
}

/* One actor loss row: mu the actor's mean, x the normalized action, old_logp its rollout
 * log-prob, adv the advantage (PPO) or weight (AWR). dmean (the row) is overwritten.
 *   PPO: -mean(min(adv r, adv clamp(r, 1 - eps, 1 + eps))), r = exp(log p(x) - old_logp);
 *        d min/d log p is adv r from the unclipped term, or inside the clip range where both
 *        terms coincide, else 0.
 *   AWR: -mean(w log p(x)).
 * then the bound loss and the regulariser mean(sum_j mu_j^2) when on. */
CM_HD static inline void cm_actor_loss_row(const cm_actor_loss_cfg *c, const float *logstd, const float *mu,
                                           const float *x, float old_logp, float adv, float *dmean, float *terms) {
  int A = c->act_dim;
  for (int j = 0; j < A; j++) dmean[j] = 0.f;
  float lp = cm_gauss_log_prob_row(A, mu, logstd, x);
  if (c->objective == CM_ACTOR_PPO) {
    float eps = c->clip_eps;
    float r = expf(lp - old_logp);
    float rc = fminf(fmaxf(r, 1.f - eps), 1.f + eps);
    float l0 = adv * r, l1 = adv * rc;
    int in_range = r >= 1.f - eps && r <= 1.f + eps;
    float g = (l0 < l1 || in_range) ? adv * r : 0.f;
    cm_gauss_log_prob_grad_mean_row(A, mu, logstd, x, -g / c->m, dmean);
    terms[CM_TERM_SURR] = fminf(l0, l1);
    terms[CM_TERM_CLIPPED] = fabsf(r - 1.f) > eps ? 1.f : 0.f;
    terms[CM_TERM_RATIO] = r;
  } else {
    cm_gauss_log_prob_grad_mean_row(A, mu, logstd, x, -adv / c->m, dmean);
    terms[CM_TERM_SURR] = adv * lp;
    terms[CM_TERM_CLIPPED] = 0.f;
    terms[CM_TERM_RATIO] = 0.f;
  }
  terms[CM_TERM_BOUND] = c->bound ? (float)cm_action_bound_loss_row(A, mu, c->bound_scale, dmean) : 0.f;
  double reg = 0;
  if (c->reg)
    for (int j = 0; j < A; j++) {
      reg += (double)mu[j] * mu[j];
      dmean[j] += c->reg_scale * mu[j];
    }
  terms[CM_TERM_REG] = (float)reg;
}

#endif
