/* PPO (MimicKit learning/ppo_agent.py): advantages normalized over the random-action samples
 * and clipped to +-norm_adv_clip; the actor minimises the negated clipped surrogate
 *   -mean(min(adv r, adv clamp(r, 1 - eps, 1 + eps))),  r = exp(log p(a) - log p_old(a)). */
#include <math.h>
#include "learn/ppo.h"

#include <stdlib.h>
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

/* One rank: the advantages' statistics stay on the device, normalised from there and logged
 * with the update's stats; ranks exchange theirs through the host (cm_agent_compute_advantages). */
int cm_ppo_build_train_data(cm_agent *a, cm_stats *out, cm_err *err) {
  const cm_ppo_params *p = a->impl;
  size_t n = (size_t)cm_exp_capacity(&a->buf), off;
  float clip = (float)p->norm_adv_clip;
  if (a->comm->size <= 1) {
    if (cm_agent_raw_advantages(a, err) ||
        cm_agent_late_mean_std(a, a->buf.adv, a->buf.rand_mask, n, "Adv_Mean", "Adv_Std", 0.0, out, &off, err))
      return -1;
    a->dev->ops->adv_normalize_dev(a->buf.adv, n, cm_agent_its_at(a, off), clip);
    return 0;
  }
  double mean, std;
  if (cm_agent_compute_advantages(a, &mean, &std, err)) return -1;
  a->dev->ops->adv_normalize(a->buf.adv, n, (float)mean, (float)std, clip);
  cm_stats_set(out, "Adv_Mean", mean);
  cm_stats_set(out, "Adv_Std", std);
  return 0;
}

const cm_agent_type cm_agent_ppo = {
    .name = "PPO",
    .keys = k_ppo_keys,
    .create = ppo_create,
    .build_train_data = cm_ppo_build_train_data,
    .objective = CM_ACTOR_PPO, /* the surrogate: loss_rows.h cm_actor_loss_row */
};
