/* PPO's pieces that the methods extending it (AMP, ASE, ADD) reuse by pointer. A method's impl
 * struct starts with cm_ppo_params, so a->impl reads as one wherever these run. */
#ifndef CM_LEARN_PPO_H
#define CM_LEARN_PPO_H
#include "learn/agent.h"

typedef struct cm_ppo_params {
  double clip_ratio;    /* ppo_clip_ratio */
  double norm_adv_clip; /* norm_adv_clip */
} cm_ppo_params;

/* Reads PPO's keys into p. */
int cm_ppo_load(cm_ppo_params *p, const cm_cfg *root, cm_err *err);
/* Advantages normalized over the random-action samples and clipped (buf.adv), Adv_Mean/Std. */
int cm_ppo_build_train_data(cm_agent *a, cm_stats *out, cm_err *err);
#endif
