/* AWR (MimicKit learning/awr_agent.py): advantages normalized over the random-action samples
 * (not clipped) become weights w = min(exp(adv / awr_temp), a_weight_clip); the actor minimises
 * the weighted negative log-likelihood -mean(w log p(a)). */
#include <math.h>
#include <stdlib.h>
#include "learn/agent.h"
#include "learn/gaussian.h"
#include "learn/returns.h"

static const char *const k_awr_keys[] = {"awr_temp", "a_weight_clip", NULL};

typedef struct awr_params {
  double temp, a_weight_clip; /* awr_temp, a_weight_clip */
} awr_params;

static int awr_create(cm_agent *a, const cm_cfg *root, cm_err *err) {
  awr_params *p = calloc(1, sizeof *p);
  if (!p) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  a->impl = p;
  if (cm_cfg_positive(root, "awr_temp", 0, &p->temp, err) || cm_cfg_positive(root, "a_weight_clip", 0, &p->a_weight_clip, err))
    return -1;
  return 0;
}

static int awr_build_train_data(cm_agent *a, cm_stats *out, cm_err *err) {
  double mean, std;
  if (cm_agent_compute_advantages(a, &mean, &std, err)) return -1;
  int n = cm_exp_capacity(&a->buf);
  float *w = a->buf.adv;
  cm_adv_apply(n, w, (float)mean, (float)std, INFINITY);
  const awr_params *p = a->impl;
  float temp = (float)p->temp, clip = (float)p->a_weight_clip;
  double sum = 0, lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < n; i++) {
    w[i] = fminf(expf(w[i] / temp), clip);
    sum += w[i];
    lo = fmin(lo, w[i]);
    hi = fmax(hi, w[i]);
  }
  cm_stats_set(out, "Adv_Mean", mean);
  cm_stats_set(out, "Adv_Std", std);
  cm_stats_set(out, "A_Weight_Mean", sum / n);
  cm_stats_set(out, "A_Weight_Min", lo);
  cm_stats_set(out, "A_Weight_Max", hi);
  return 0;
}

static double awr_actor_loss(cm_agent *a, int m, const float *mean, const float *norm_a, const float *old_logp,
                             const float *weight, float *dmean, cm_stats *st) {
  (void)old_logp;
  (void)st;
  int A = a->act_dim;
  const float *logstd = cm_agent_logstd(a);
  double loss = 0;
  for (int i = 0; i < m; i++) {
    const float *mu = mean + (size_t)i * A, *x = norm_a + (size_t)i * A;
    loss += (double)weight[i] * cm_gauss_log_prob_row(A, mu, logstd, x);
    cm_gauss_log_prob_grad_mean_row(A, mu, logstd, x, -weight[i] / (float)m, dmean + (size_t)i * A);
  }
  return -loss / m;
}

const cm_agent_type cm_agent_awr = {
    .name = "AWR",
    .keys = k_awr_keys,
    .create = awr_create,
    .build_train_data = awr_build_train_data,
    .actor_loss = awr_actor_loss,
};
