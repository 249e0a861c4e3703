/* RL agents (MimicKit learning/base_agent.py, ppo_agent.py, awr_agent.py), chosen by agent_name
 * from the agent yaml. The shared machinery lives in agent.c: model (actor MLP with a FIXED-std
 * Gaussian head, critic MLP), observation and action normalizers, experience buffer, rollouts,
 * TD(lambda) targets and the mini-batch update loop. A cm_agent_type supplies what differs
 * between methods: its yaml keys, how advantages become per-sample weights, and the actor's
 * surrogate loss with its gradient.
 *
 * Units, as MimicKit defines them:
 *   steps_per_iter      rollout steps of EVERY env per iteration (T); one iteration records
 *                       T * num_envs samples
 *   batch_size          in steps of all envs: a mini-batch holds batch_size * num_envs samples,
 *                       an epoch ceil(T * num_envs / that) mini-batches (= ceil(T / batch_size))
 *   update_epochs       passes over the buffer per iteration; optimizer steps per iteration =
 *                       update_epochs * mini-batches
 *   normalizer_samples  the observation normalizer records and updates (after the model update)
 *                       while the sample count at the start of the iteration is below it
 *   iters_per_output    a test phase, log row and checkpoint when iteration % it == 0 and at
 *                       the last iteration
 *   test_episodes       at least ceil(test_episodes / num_envs) episodes of every env
 * Actions live in normalized space ([-1, 1] over the env's bounds, `_a_norm`): the actor's mean,
 * the log-probs, the bound loss and the entropy are all taken there.
 *
 * CPU only for now: arrays are host memory (the CPU device's pointers). */
#ifndef CM_LEARN_AGENT_H
#define CM_LEARN_AGENT_H
#include <stdint.h>
#include "io/config.h"
#include "learn/exp_buffer.h"
#include "learn/mlp.h"
#include "learn/normalizer.h"
#include "learn/optim.h"
#include "learn/rl_env.h"

/* ---- key/value statistics (the columns MimicKit logs; keys are static strings) ---- */
#define CM_STATS_MAX 48
typedef struct cm_stats {
  int count;
  const char *keys[CM_STATS_MAX];
  double values[CM_STATS_MAX];
} cm_stats;
void cm_stats_clear(cm_stats *s);
/* Sets key (replacing its value where it exists, else appending; beyond CM_STATS_MAX ignored). */
void cm_stats_set(cm_stats *s, const char *key, double v);
void cm_stats_add(cm_stats *s, const char *key, double v);
/* Appends every entry of src (set semantics). */
void cm_stats_merge(cm_stats *dst, const cm_stats *src);
/* def when absent. */
double cm_stats_get(const cm_stats *s, const char *key, double def);

/* ---- episode returns (return_tracker.py) ---- */
typedef struct cm_return_tracker {
  int num_envs;
  int64_t episodes;
  double mean_return, mean_ep_len;
  float *ret;           /* [N] running return of the current episode */
  int64_t *len;         /* [N] its length in steps */
  int64_t *eps_per_env; /* [N] finished episodes per env */
} cm_return_tracker;
int cm_rtrack_create(cm_return_tracker *t, int num_envs, cm_err *err);
void cm_rtrack_destroy(cm_return_tracker *t);
void cm_rtrack_reset(cm_return_tracker *t);
/* Adds a step's rewards; episodes with done != NULL are folded into the running means. */
void cm_rtrack_update(cm_return_tracker *t, const float *reward, const uint8_t *done);

/* ---- configuration (the agent yaml) ---- */
typedef struct cm_agent_cfg {
  char agent_name[32];
  /* model */
  char actor_net[64], critic_net[64];
  float actor_init_output_scale, action_std;
  /* optimizer */
  cm_optim_config optim;
  /* base agent */
  double discount;
  int steps_per_iter, iters_per_output, test_episodes;
  double normalizer_samples; /* INFINITY when absent */
  /* PPO / AWR */
  int update_epochs, batch_size;
  double td_lambda;
  double ppo_clip_ratio, norm_adv_clip; /* PPO */
  double awr_temp, a_weight_clip;       /* AWR */
  double action_bound_weight, action_entropy_weight, action_reg_weight, critic_loss_weight;
  double exp_anneal_samples, exp_prob_beg, exp_prob_end; /* INFINITY, 1, 1 when absent */
  int critic_eval_batch_size;                            /* 0: all at once */
} cm_agent_cfg;

typedef struct cm_agent cm_agent;

typedef struct cm_agent_type {
  const char *name;
  const char *const *keys; /* the type's own top-level yaml keys (all required) */
  int (*load_params)(cm_agent_cfg *cfg, const cm_cfg *root, cm_err *err);
  /* After the rollout: fills buf.tar_val and buf.adv (the per-sample actor weights) and puts
   * the data statistics (Adv_Mean, ...) into out. */
  int (*build_train_data)(cm_agent *a, cm_stats *out, cm_err *err);
  /* Surrogate loss over m random-action rows of a mini-batch: mean [m][A] is the actor output,
   * norm_a the normalized actions, old_logp and adv from the buffer. Returns the loss; adds
   * dloss/dmean into dmean; puts its own statistics (Clip_Frac, ...) into st. */
  double (*actor_loss)(cm_agent *a, int m, const float *mean, const float *norm_a, const float *old_logp,
                       const float *adv, float *dmean, cm_stats *st);
} cm_agent_type;

extern const cm_agent_type cm_agent_ppo, cm_agent_awr;

struct cm_agent {
  const cm_agent_type *type;
  cm_agent_cfg cfg;
  cm_rl_env *env;  /* borrowed */
  const cm_dev *dev;
  uint64_t seed;
  int num_envs, obs_dim, act_dim;
  cm_rl_mode mode;
  /* model and state, in state-dict order */
  cm_normalizer obs_norm, a_norm;
  cm_mlp actor, critic;
  cm_param logstd;
  cm_optim optim;
  int bounds_finite;
  /* rollout */
  cm_exp_buffer buf;
  cm_return_tracker train_ret, test_ret;
  int64_t iter, sample_count;
  double wall_time_s; /* training wall time so far, carried across --resume */
  uint64_t rng_step;  /* rollout steps taken, train and test: keys the action noise */
  /* wall seconds per phase since the trainer last cleared them (CMIMIC_PROFILE prints them);
   * policy and env count training rollouts only, the trainer times the test phase */
  struct { double policy, env, train_data, update; } prof;
  float *obs, *next_obs, *reward;      /* [N][obs_dim], [N][obs_dim], [N] */
  uint8_t *done;
  float *norm_obs, *norm_a, *action, *logp, *rand_mask; /* decide_action outputs */
  /* update workspace, sized for one mini-batch (or the critic evaluation chunk) */
  int ws_rows;
  int *mb_idx;
  float *mb_obs, *mb_nobs, *mb_act, *mb_na, *mb_tar, *mb_adv, *mb_logp, *mb_mask, *mb_dout;
  float *mb_aobs, *mb_dmean; /* mb_aobs: host rows of the actor when some actions were means */
};

/* Agent names the table knows, comma separated (for messages). */
const char *cm_agent_type_names(void);
const cm_agent_type *cm_agent_type_find(const char *name);

/* Parses the agent yaml (all keys checked; unknown keys are typos). */
int cm_agent_cfg_load(const cm_cfg *root, cm_agent_cfg *cfg, const cm_agent_type **type, cm_err *err);

/* Builds the agent for env (borrowed; it must outlive the agent). */
int cm_agent_create(const cm_cfg *agent_cfg, cm_rl_env *env, const cm_dev *dev, uint64_t seed, cm_agent **out,
                    cm_err *err);
int cm_agent_create_file(const char *agent_yaml, cm_rl_env *env, const cm_dev *dev, uint64_t seed, cm_agent **out,
                         cm_err *err);
void cm_agent_destroy(cm_agent *a);

void cm_agent_set_mode(cm_agent *a, cm_rl_mode mode);
/* Resets every env into a->obs. */
int cm_agent_reset_envs(cm_agent *a, cm_err *err);
/* MimicKit _get_exp_prob: the probability of a sampled (not mean) action in training. */
double cm_agent_exp_prob(const cm_agent *a);
/* Policy on a->obs: fills a->action (env units), a->norm_a, a->logp, a->rand_mask. Train mode
 * samples (with probability exp_prob per env), test mode takes the mean. */
int cm_agent_decide_action(cm_agent *a, cm_err *err);

/* One training iteration (_train_iter): rollout of steps_per_iter steps, train data, update,
 * normalizer update. info gets the agent's statistics and Train_Return & co. The caller
 * (trainer) advances a->sample_count and a->iter. */
int cm_agent_train_iter(cm_agent *a, cm_stats *info, cm_err *err);
/* Mini-batch epochs over the buffer (_update_model); the averaged losses go into info. */
int cm_agent_update_model(cm_agent *a, cm_stats *info, cm_err *err);
/* Shared part of _build_train_data: critic on next_obs with done bootstraps, TD(lambda) into
 * buf.tar_val, raw advantages into buf.adv, and their mean/std over random-action samples. */
int cm_agent_compute_advantages(cm_agent *a, double *adv_mean, double *adv_std, cm_err *err);
/* Critic values of rows of raw observations (normalized inside), chunked. */
int cm_agent_eval_critic(cm_agent *a, const float *obs, int rows, float *vals, cm_err *err);
/* Action bound loss per row (MimicKit _compute_action_bound_loss) of normalized means:
 * sum_j min(mu_j + 1, 0)^2 + max(mu_j - 1, 0)^2. With dmean, adds scale * d/dmu. */
double cm_action_bound_loss_row(int dim, const float *mu, float scale, float *dmean);

/* test_model: test mode, all envs reset, episodes as MimicKit counts them. */
typedef struct cm_test_result {
  double mean_return, mean_ep_len;
  int64_t episodes;
} cm_test_result;
int cm_agent_test(cm_agent *a, int num_episodes, cm_test_result *res, cm_err *err);
#endif
