/* PPO (MimicKit learning/ppo_agent.py): advantages normalized over the random-action samples
 * and clipped to +-norm_adv_clip; the actor minimises the negated clipped surrogate
 *   -mean(min(adv r, adv clamp(r, 1 - eps, 1 + eps))),  r = exp(log p(a) - log p_old(a)). */
#include <math.h>
#include "learn/ppo.h"

#include <stdlib.h>
#include "learn/gaussian.h"
#include "learn/returns.h"

static const char *const k_ppo_keys[] = {"ppo_clip_ratio", "norm_adv_clip", NULL};

int cm_ppo_load(cm_ppo_params *p, const cm_cfg *root, cm_err *err) {
  if (cm_cfg_positive(root, "ppo_clip_ratio", 0, &p->clip_ratio, err) ||
      cm_cfg_positive(root, "norm_adv_clip", 0, &p->norm_adv_clip, err))
    return -1;
  return 0;
}

static int ppo_create(cm_agent *a, const cm_cfg *root, cm_err *err) {
  cm_ppo_params *p = calloc(1, sizeof *p);
  if (!p) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  a->impl = p;
  return cm_ppo_load(p, root, err);
}

int cm_ppo_build_train_data(cm_agent *a, cm_stats *out, cm_err *err) {
  const cm_ppo_params *p = a->impl;
  double mean, std;
  if (cm_agent_compute_advantages(a, &mean, &std, err)) return -1;
  cm_adv_apply(cm_exp_capacity(&a->buf), a->buf.adv, (float)mean, (float)std, (float)p->norm_adv_clip);
  cm_stats_set(out, "Adv_Mean", mean);
  cm_stats_set(out, "Adv_Std", std);
  return 0;
}

double cm_ppo_actor_loss(cm_agent *a, int m, const float *mean, const float *norm_a, const float *old_logp,
                         const float *adv, float *dmean, cm_stats *st) {
  int A = a->act_dim;
  float eps = (float)((const cm_ppo_params *)a->impl)->clip_ratio;
  const float *logstd = cm_agent_logstd(a);
  double loss = 0, clipped = 0, ratio_sum = 0;
  for (int i = 0; i < m; i++) {
    const float *mu = mean + (size_t)i * A, *x = norm_a + (size_t)i * A;
    float r = expf(cm_gauss_log_prob_row(A, mu, logstd, x) - old_logp[i]);
    float rc = fminf(fmaxf(r, 1.f - eps), 1.f + eps);
    float l0 = adv[i] * r, l1 = adv[i] * rc;
    loss += fminf(l0, l1);
    clipped += fabsf(r - 1.f) > eps;
    ratio_sum += r;
    /* d min/d log p: the unclipped term carries adv r; the clipped one only inside the clip range,
     * where both terms coincide */
    int in_range = r >= 1.f - eps && r <= 1.f + eps;
    float g = (l0 < l1 || in_range) ? adv[i] * r : 0.f;
    cm_gauss_log_prob_grad_mean_row(A, mu, logstd, x, -g / (float)m, dmean + (size_t)i * A);
  }
  cm_stats_set(st, "Clip_Frac", clipped / m);
  cm_stats_set(st, "Imp_Ratio", ratio_sum / m);
  return -loss / m;
}

const cm_agent_type cm_agent_ppo = {
    .name = "PPO",
    .keys = k_ppo_keys,
    .create = ppo_create,
    .build_train_data = cm_ppo_build_train_data,
    .actor_loss = cm_ppo_actor_loss,
};
