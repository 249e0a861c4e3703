/* AWR (MimicKit learning/awr_agent.py): advantages normalized over the random-action samples
 * (not clipped) become weights w = min(exp(adv / awr_temp), a_weight_clip); the actor minimises
 * the weighted negative log-likelihood -mean(w log p(a)). */
#include <math.h>
#include <stdlib.h>
#include "learn/agent.h"
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
  size_t n = (size_t)cm_exp_capacity(&a->buf);
  const awr_params *p = a->impl;
  const cm_ops *ops = a->dev->ops;
  ops->adv_normalize(a->buf.adv, n, (float)mean, (float)std, INFINITY);
  ops->awr_weights(a->buf.adv, n, (float)p->temp, (float)p->a_weight_clip);
  double w[CM_STATS_N];
  ops->masked_stats(a->buf.adv, NULL, n, 0.0, w);
  cm_stats_set(out, "Adv_Mean", mean);
  cm_stats_set(out, "Adv_Std", std);
  cm_stats_set(out, "A_Weight_Mean", w[CM_STAT_SUM] / (double)n);
  cm_stats_set(out, "A_Weight_Min", w[CM_STAT_MIN]);
  cm_stats_set(out, "A_Weight_Max", w[CM_STAT_MAX]);
  return 0;
}

const cm_agent_type cm_agent_awr = {
    .name = "AWR",
    .keys = k_awr_keys,
    .create = awr_create,
    .build_train_data = awr_build_train_data,
    .objective = CM_ACTOR_AWR, /* -mean(w log p): loss_rows.h cm_actor_loss_row */
};
