/* Agent tests: a toy env (points chasing targets in 2-D, fixed-length episodes, reward
 * exp(-d^2)) and the agent yaml they train on it, shared by test_agent_units.c and
 * test_agent_cuda.c (each picks its own sizes, seed and bounds). */
#ifndef CM_TEST_TOY_AGENT_H
#define CM_TEST_TOY_AGENT_H
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/rng.h"
#include "learn/trainer.h"

#define TOY_ADIM 2
#define TOY_MAXN 16

typedef struct toy_cfg {
  int n, ep_len;
  int time_obs;  /* a third observation: the fraction of the episode left */
  int rewind;    /* a reset of every env draws the same targets again */
  uint32_t seed; /* of the targets */
  float lo[TOY_ADIM], hi[TOY_ADIM];
} toy_cfg;

typedef struct toy {
  toy_cfg c;
  float x[TOY_MAXN][TOY_ADIM], g[TOY_MAXN][TOY_ADIM];
  int t[TOY_MAXN];
  uint64_t starts;
} toy;

static inline int toy_obs_dim(const toy *e) { return TOY_ADIM + e->c.time_obs; }

static inline void toy_obs_of(const toy *e, int i, float *o) {
  for (int j = 0; j < TOY_ADIM; j++) o[j] = e->g[i][j] - e->x[i][j];
  if (e->c.time_obs) o[TOY_ADIM] = (float)(e->c.ep_len - e->t[i]) / e->c.ep_len;
}

static inline void toy_reset_one(toy *e, int i) {
  cm_rng r = cm_rng_make(e->c.seed, (uint32_t)i, e->starts++, 1);
  for (int j = 0; j < TOY_ADIM; j++) {
    e->g[i][j] = 2.f * cm_rng_uniform(&r) - 1.f;
    e->x[i][j] = 0.f;
  }
  e->t[i] = 0;
}

static inline int toy_reset(void *ctx, float *obs, cm_err *err) {
  (void)err;
  toy *e = ctx;
  if (e->c.rewind) e->starts = 0;
  for (int i = 0; i < e->c.n; i++) {
    toy_reset_one(e, i);
    toy_obs_of(e, i, obs + i * toy_obs_dim(e));
  }
  return 0;
}

static inline int toy_step(void *ctx, const float *a, float *next_obs, float *obs, float *rew, uint8_t *done,
                           cm_err *err) {
  (void)err;
  toy *e = ctx;
  int O = toy_obs_dim(e);
  for (int i = 0; i < e->c.n; i++) {
    float d2 = 0;
    for (int j = 0; j < TOY_ADIM; j++) {
      e->x[i][j] += 0.3f * fminf(fmaxf(a[i * TOY_ADIM + j], e->c.lo[j]), e->c.hi[j]);
      float d = e->g[i][j] - e->x[i][j];
      d2 += d * d;
    }
    rew[i] = expf(-d2);
    e->t[i]++;
    toy_obs_of(e, i, next_obs + i * O); /* before the reset: the episode's last observation */
    done[i] = e->t[i] >= e->c.ep_len ? 3 : 0;
    if (done[i]) toy_reset_one(e, i);
    toy_obs_of(e, i, obs + i * O);
  }
  return 0;
}

static inline cm_rl_env toy_env(toy *e, const toy_cfg *c) {
  memset(e, 0, sizeof *e);
  e->c = *c;
  cm_rl_env env = {.ctx = e, .num_envs = c->n, .obs_dim = toy_obs_dim(e), .act_dim = TOY_ADIM,
                   .action_low = e->c.lo, .action_high = e->c.hi, .reset = toy_reset, .step = toy_step};
  return env;
}

/* The agent yaml: a PPO or AWR agent (name) with 2x128 nets, a fixed action std of 0.3. */
typedef struct toy_yaml {
  const char *name, *optimizer, *lr, *norm_samples, *entropy_weight, *reg_weight;
  int steps, batch, epochs, iters_per_output;
} toy_yaml;

static inline const char *toy_agent_yaml(const toy_yaml *y) {
  static char buf[2048];
  const char *extra = !strcmp(y->name, "AWR") ? "awr_temp: 0.5\na_weight_clip: 20.0\n"
                                              : "ppo_clip_ratio: 0.2\nnorm_adv_clip: 4.0\n";
  snprintf(buf, sizeof buf,
           "agent_name: %s\nmodel:\n  actor_net: fc_2layers_128units\n  actor_init_output_scale: 0.01\n"
           "  actor_std_type: FIXED\n  action_std: 0.3\n  critic_net: fc_2layers_128units\n"
           "optimizer:\n  type: %s\n  learning_rate: %s\n"
           "discount: 0.9\nsteps_per_iter: %d\niters_per_output: %d\ntest_episodes: 4\nnormalizer_samples: %s\n"
           "update_epochs: %d\nbatch_size: %d\ntd_lambda: 0.95\n%s"
           "action_bound_weight: 10.0\naction_entropy_weight: %s\naction_reg_weight: %s\ncritic_loss_weight: 1.0\n",
           y->name, y->optimizer, y->lr, y->steps, y->iters_per_output, y->norm_samples, y->epochs, y->batch, extra,
           y->entropy_weight, y->reg_weight);
  return buf;
}

/* An agent from yaml text on dev; NULL with err filled when the yaml or the agent is refused. */
static inline cm_agent *toy_make_agent(const char *text, cm_rl_env *env, const cm_dev *dev, uint64_t seed, cm_err *err) {
  cm_cfg *cfg = NULL;
  cm_agent *a = NULL;
  if (cm_cfg_parse("agent.yaml", text, &cfg, err) == 0) cm_agent_create(cfg, env, dev, seed, &a, err);
  cm_cfg_free(cfg);
  return a;
}
#endif
