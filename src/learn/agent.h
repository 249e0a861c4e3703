/* RL agents (MimicKit learning/base_agent.py, ppo_agent.py, awr_agent.py, amp_agent.py,
 * ase_agent.py, add_agent.py), chosen by agent_name from the agent yaml. One core (agent.c:
 * construction, rollouts, test; agent_update.c: the mini-batch update; agent_cfg.c: the yaml)
 * holds the model (actor MLP with a FIXED-std Gaussian head, critic MLP), observation and action
 * normalizers, experience buffer, TD(lambda) targets and the update loop. A method is a
 * cm_agent_type table of hooks (ppo.c, awr.c, amp.c, ase.c, add.c) with its own state behind
 * a->impl: yaml keys, extra networks and state-dict entries, per-step recording, reward shaping
 * and advantage weights, the actor's surrogate loss, extra losses. Adding one is a file and a
 * line in agent_cfg.c's table.
 *
 * Units, as MimicKit defines them:
 *   steps_per_iter      rollout steps of EVERY env per iteration (T); one iteration records
 *                       T * num_envs samples
 *   batch_size          in steps of all envs: a mini-batch holds batch_size * num_envs samples,
 *                       an epoch ceil(T * num_envs / that) mini-batches (= ceil(T / batch_size));
 *                       "auto" picks it at creation by cm_auto_batch_size (exp_buffer.h)
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
 * The networks, normalizer statistics, optimizer state, experience buffer, mini-batch
 * workspaces and the rollout's per-step arrays (a->d) live on a->dev; a host env's arrays cross
 * at the env boundary only (cm_exp_store takes rows from either side); the host reads device
 * results only through cm_dev_read / cm_dev_download (a GPU's buffers are plain device memory). */
#ifndef CM_LEARN_AGENT_H
#define CM_LEARN_AGENT_H
#include <stdint.h>
#include "dist/comm.h"
#include "io/config.h"
#include "learn/exp_buffer.h"
#include "learn/loss_rows.h"
#include "learn/mlp.h"
#include "learn/normalizer.h"
#include "learn/optim.h"
#include "learn/rl_env.h"

/* model parameters of the core and a method together (actor, critic, discriminator, encoder) */
#define CM_AGENT_MAX_PARAMS (10 * CM_MLP_MAX_LINEAR)

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

/* ---- episode returns (return_tracker.py) ----
 * Per env on the device (cm_rtrack_rows, one allocation; learn/returns.h cm_rtrack_row): every step is one
 * rtrack_step op on the step's device reward and done; the totals come to the host only when
 * read (one rtrack_sums reduction of CM_RT_N doubles: once per training iteration, and every
 * test step for the stopping rule). */
typedef struct cm_return_tracker {
  const cm_dev *dev;
  int num_envs;
  float *block;        /* the rows' arrays on dev */
  cm_rtrack_rows rows; /* pointers into block */
  /* at the last cm_rtrack_read, over the episodes since the reset */
  int64_t episodes;
  double mean_return, mean_ep_len; /* sums / episodes (0 with none) */
  int bad;   /* envs that had a step with a non-finite reward or a done flag beyond CM_DONE_TIME */
  int below; /* envs with fewer than the min_eps episodes asked */
} cm_return_tracker;
int cm_rtrack_create(cm_return_tracker *t, const cm_dev *dev, int num_envs, cm_err *err);
void cm_rtrack_destroy(cm_return_tracker *t);
void cm_rtrack_reset(cm_return_tracker *t);
/* One step's rewards and done flags [N] (device arrays of t->dev). */
void cm_rtrack_update(cm_return_tracker *t, const float *reward, const uint8_t *done);
/* The totals into t's host fields (one reduction and download). */
void cm_rtrack_read(cm_return_tracker *t, int min_eps);
/* The same figures from totals s[CM_RT_N] already on the host (rtrack_sums_dev's, read back). */
void cm_rtrack_set(cm_return_tracker *t, const double *s);

/* ---- configuration (the agent yaml): the actor-critic core every method shares ----
 * A method's own keys (ppo_clip_ratio, disc_*, latent_*, ...) live in its impl struct. */
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
  /* actor-critic update (ppo_agent / awr_agent share these) */
  int update_epochs, batch_size; /* batch_size: CM_BATCH_AUTO until cm_agent_create resolves it */
  double td_lambda;
  double action_bound_weight, action_entropy_weight, action_reg_weight, critic_loss_weight;
  double exp_anneal_samples, exp_prob_beg, exp_prob_end; /* INFINITY, 1, 1 when absent */
  int critic_eval_batch_size;                            /* 0: all at once */
} cm_agent_cfg;

typedef struct cm_agent cm_agent;
struct cm_state_dict;

/* A method as a table of hooks over the core, the way MimicKit's agent classes override
 * BaseAgent/PPOAgent. NULL hooks do nothing. A method that extends another (AMP extends PPO,
 * ASE and ADD extend AMP) names it in `base`: its yaml keys are inherited, and it reuses the
 * base's hooks by pointer; its impl struct starts with the base's impl struct. */
/* A method's part of one mini-batch's record (aux_loss, aux_stats). */
#define CM_LATE_MAX 4 /* late statistics an iteration's train data takes (PPO, AMP, ASE: 3) */

typedef struct cm_aux_rec {
  size_t off;       /* the iteration-stats offset of its first slot */
  int rows;         /* the mini-batch's rows */
  size_t off2;      /* a derived method's own slots (ASE: the encoder loss sum) */
  int rows2;        /* and the rows they sum over */
} cm_aux_rec;

typedef struct cm_agent_type {
  const char *name;
  const struct cm_agent_type *base;
  const char *const *keys;       /* own top-level yaml keys, all required (NULL-terminated) */
  const char *const *opt_keys;   /* own optional top-level keys */
  const char *const *model_keys; /* own keys under model:, all required */
  /* Reads the method's keys and allocates a->impl; may set a->cond_dim (inputs appended to the
   * actor's and critic's observation, e.g. ASE's latent). Runs before the core builds its nets. */
  int (*create)(cm_agent *a, const cm_cfg *root, cm_err *err);
  void (*destroy)(cm_agent *a);
  /* The method's trainable parameters (discriminator, encoder), in state-dict order; they join
   * the optimizer and model.pt after the core's. Returns how many. */
  int (*params)(cm_agent *a, cm_param **out, int max);
  /* The method's non-trainable state-dict entries (its normalizers): save adds them, load
   * checks and restores them (before the core changes anything). */
  int (*save)(cm_agent *a, struct cm_state_dict *sd, int with_train_state, cm_err *err);
  int (*load)(cm_agent *a, const struct cm_state_dict *sd, const char *src, cm_err *err);
  /* After every env reset of all envs (train start, test start). */
  void (*on_reset)(cm_agent *a);
  /* After every env step, train and test: slot is the flat buffer offset of env 0 in training,
   * -1 in test. AMP records disc_obs here; ASE resamples latents. */
  int (*after_step)(cm_agent *a, int slot, cm_err *err);
  /* After the rollout: fills buf.tar_val and buf.adv (the per-sample actor weights) and puts
   * the data statistics (Adv_Mean, ...) into out. Reward shaping (AMP's style reward) goes
   * here, before the advantages. */
  int (*build_train_data)(cm_agent *a, cm_stats *out, cm_err *err);
  /* The actor's surrogate objective over the mini-batch's random-action rows (loss_rows.h
   * cm_actor_loss_row): CM_ACTOR_PPO (the default; the clip ratio is the cm_ppo_params at the
   * start of a->impl) or CM_ACTOR_AWR (adv holds the advantage weights). */
  cm_actor_objective objective;
  /* Extra actor rows evaluated in the same forward and backward as the m loss rows (ASE's
   * diversity loss: the same observations at fresh latents). in: the m actor input rows
   * [m][obs_dim + cond_dim] (a->dev); writes up to m rows into extra_in (a->dev) and returns how many. */
  int (*actor_extra_rows)(cm_agent *a, int m, const float *in, float *extra_in);
  /* Their loss: mean [m][A] of the loss rows, extra_mean [k][A] of the extra rows (a->dev); adds
   * the gradients into dmean and writes dextra's (a->dev); the loss's sum added into *sum, a
   * slot of the iteration's stats (a->dev). */
  void (*actor_extra_loss)(cm_agent *a, int m, const float *mean, const float *in, int k, const float *extra_mean,
                           float *dmean, float *dextra, double *sum);
  /* Once that sum is on the host: its statistics into st; returns the weighted loss that joins
   * Actor_Loss. */
  double (*actor_extra_stats)(cm_agent *a, int k, double sum, cm_stats *st);
  /* The method's own losses on a mini-batch (flat sample indices idx[rows], host; the same
   * on the device in a->aux_idx_d): adds gradients into its params; the sums its statistics
   * need are added into slots of the iteration's stats it takes (cm_agent_its_take; their
   * first offset in rec->off; a derived method's own in rec->off2). */
  int (*aux_loss)(cm_agent *a, const int *idx, int rows, cm_aux_rec *rec, cm_err *err);
  /* Once those stats are on the host (its: the host array, rec the mini-batch's record): the
   * weighted loss that joins Loss (AMP's disc loss) into *loss and the statistics into st. */
  void (*aux_stats)(cm_agent *a, const cm_aux_rec *rec, const double *its, double *loss, cm_stats *st);
  /* At the normalizer update (while the sample count is below normalizer_samples). */
  int (*update_normalizers)(cm_agent *a, cm_err *err);
} cm_agent_type;

extern const cm_agent_type cm_agent_ppo, cm_agent_awr, cm_agent_amp, cm_agent_ase, cm_agent_add;

struct cm_agent {
  const cm_agent_type *type;
  void *impl; /* the method's own state (type->create allocates it) */
  cm_agent_cfg cfg;
  cm_rl_env *env;  /* borrowed */
  const cm_dev *dev;
  uint64_t seed;
  int num_envs, obs_dim, act_dim;
  /* data-parallel: the process's communicator (one rank: every reduction is a no-op) and the
   * global index of env 0, which keys the per-env random streams (rank * num_envs) */
  cm_comm *comm;
  uint32_t env0;
  float *grad_flat; /* [every trained element] host: the gradients in one all-reduce (ranks > 1) */
  /* The iteration's stats: device doubles that the iteration's ops add into instead of
   * sending each result down (the rollout's policy-input guards and return-tracker totals,
   * each mini-batch's loss sums, gradient sums of squares and method terms, the parameter
   * check), its_h their host copy. cm_agent_its_take hands out slots, cm_agent_its_read
   * brings the slots taken since the last read down in one copy. */
  double *its_d, *its_h;
  size_t its_cap, its_used, its_read;
  size_t guard_slot; /* 1 + the slot of the policy-input guard while a rollout step decides, else 0 */
  struct cm_row_guard *guards; /* [guard_n] the rollout's NaN guards waiting in slots, in order */
  int guard_n, guard_cap;
  /* the train data's logged means and deviations waiting in slots (cm_agent_late_mean_std) */
  struct cm_late_stat { const char *mean_key, *std_key; double if_single; size_t off; } late[CM_LATE_MAX];
  int late_n;
  struct cm_mb_rec *mb_rec; /* [mb_rec_cap] the mini-batches' records (agent_update.c) */
  int mb_rec_cap;
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
  struct {
    double policy, env, train_data, update, grad_allreduce;
    /* inside update: mini-batch gathers, network forward/backward, loss rows and their
     * reduction (with the method's losses), optimizer step (with grad_allreduce) */
    double upd_gather, upd_nets, upd_losses, upd_optim;
    /* what the device sent to the host inside the training iterations (cm_agent_train_iter;
     * the trainer counts them) and in the test phase */
    double d2h_bytes, d2h_copies, test_d2h_bytes;
    int iters;
  } prof;
  /* host arrays of the rollout (pinned on a GPU): a host env's inputs and outputs (its reward
   * and done go up to d.reward, d.done, where the return tracker and the buffer take them; a
   * device env's stay on the device), and what cm_agent_policy_to_host or a check's search
   * bring down */
  float *obs, *next_obs, *reward;      /* [N][obs_dim], [N][obs_dim], [N] */
  uint8_t *done;
  float *norm_a, *action, *logp, *rand_mask; /* decide_action outputs, host */
  float *norm_obs;                     /* [N][obs_dim] device: the normalized policy input */
  /* The same arrays on a->dev, where decide_action, the normalizer's record and a device env
   * (env_dev: it steps on a->dev's GPU through reset_dev / step_dev) work: on the CPU device
   * they ARE the host arrays above; on a GPU they are device arrays, and a host env's arrays
   * cross at the env boundary only (actions down, observations, rewards and done up). */
  struct { float *obs, *next_obs, *reward, *norm_a, *action, *logp, *rand_mask; uint8_t *done; } d;
  int env_dev;
  /* update workspace, sized for one mini-batch (or the critic evaluation chunk); device arrays
   * unless marked host */
  int ws_rows;
  float *mb_obs, *mb_nobs, *mb_act, *mb_na, *mb_tar, *mb_adv, *mb_logp, *mb_dout;
  float *mb_dmean; /* [2 ws_rows][A] with room for the method's extra actor rows */
  float *mb_terms; /* [ws_rows][CM_LOSS_TERMS] per-row loss terms (ops.h) */
  /* one iteration's mini-batch indices (idx_cap of them): idx_h in the buffer's sampling order
   * (the methods' losses read it), idx_hd idx_h on the device (the partition's input and
   * aux_loss's gathers; aux_idx_d its mini-batch's rows while aux_loss runs), idx_d each
   * mini-batch's random-action rows first (the rows the actor's loss takes; the partition_rows
   * op forms it on the device); mb_rand[k] such rows in mini-batch k */
  size_t idx_cap;
  int *idx_h, *idx_d, *idx_hd, *mb_rand;
  const int *aux_idx_d;
  int mb_rand_cap;
  /* [2 ws_rows][obs_dim + cond_dim] device: the actor input rows, then the method's extra
   * rows (ASE) */
  float *mb_aobs;
  /* host copy of the log-std [A] (cm_dev_read: the device's own array on the CPU, a pinned
   * download on a GPU) */
  float *logstd_h;
  /* conditioning (ASE's latent): cond_dim columns appended, unnormalized, to the normalized
   * observation at the actor's and critic's input. The method fills cond before each action.
   * All on a->dev. */
  int cond_dim;
  float *cond;              /* [N][cond_dim] current inputs */
  float *buf_cond;          /* [T*N][cond_dim] recorded with each sample */
  float *mb_cond;           /* [ws_rows][cond_dim] gathered for a mini-batch */
  float *in_dev;            /* [max(N, ws_rows)][obs_dim + cond_dim] assembly rows */
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
/* Resets every env into a->d.obs (a->obs too on the CPU device or with a host env). */
int cm_agent_reset_envs(cm_agent *a, cm_err *err);
/* MimicKit _get_exp_prob: the probability of a sampled (not mean) action in training. */
double cm_agent_exp_prob(const cm_agent *a);
/* Policy on a->d.obs: fills a->d.action (env units), d.norm_a, d.logp, d.rand_mask on a->dev
 * (one policy_act op: policy_rows.h). Train mode samples (with probability exp_prob per env),
 * test mode takes the mean. */
int cm_agent_decide_action(cm_agent *a, cm_err *err);
/* a->action, norm_a, logp, rand_mask and obs (host) made current from the device arrays (a
 * no-op on the CPU device), for tests and messages. */
void cm_agent_policy_to_host(cm_agent *a);

/* One training iteration (_train_iter): rollout of steps_per_iter steps, train data, update,
 * normalizer update. info gets the agent's statistics and Train_Return & co. The caller
 * (trainer) advances a->sample_count and a->iter. */
int cm_agent_train_iter(cm_agent *a, cm_stats *info, cm_err *err);
/* Mini-batch epochs over the buffer (_update_model); the averaged losses go into info. */
int cm_agent_update_model(cm_agent *a, cm_stats *info, cm_err *err);
/* Shared part of _build_train_data: critic on next_obs with done bootstraps, TD(lambda) into
 * buf.tar_val, raw advantages into buf.adv, and their mean/std over random-action samples. */
int cm_agent_compute_advantages(cm_agent *a, double *adv_mean, double *adv_std, cm_err *err);
/* The same up to the raw advantages in buf.adv, with no statistics (nothing comes down). */
int cm_agent_raw_advantages(cm_agent *a, cm_err *err);
/* A mean and sample deviation (torch.std_mean; if_single where one entry or none counts) of
 * the train data, over x [n] where mask is NULL or non-zero, whose sums wait on the device for
 * the update's one download: both passes into slots (masked_stats2_dev), mean_key and std_key
 * set into out now as NaN (their place among the logged keys) and to their values by
 * cm_agent_late_stats once the slots are on the host. *off (may be NULL): the slots, for a
 * device consumer (the advantages' normalisation: adv_normalize_dev). */
int cm_agent_late_mean_std(cm_agent *a, const float *x, const float *mask, size_t n, const char *mean_key,
                           const char *std_key, double if_single, cm_stats *out, size_t *off, cm_err *err);
void cm_agent_late_stats(cm_agent *a, cm_stats *out);
/* Critic values of rows of raw observations (normalized inside), chunked. */
int cm_agent_eval_critic(cm_agent *a, const float *obs, int rows, float *vals, cm_err *err);
/* The same with the conditioning rows cond [rows][cond_dim] (NULL when cond_dim is 0). */
int cm_agent_eval_critic_cond(cm_agent *a, const float *obs, const float *cond, int rows, float *vals, cm_err *err);
/* Net input rows [rows][obs_dim + cond_dim] on the device: normalized obs (host rows) with the
 * cond rows appended. Returns a device pointer valid until the next call (or nobs itself,
 * filled, when cond_dim is 0). */
const float *cm_agent_net_input(cm_agent *a, float *nobs, const float *obs, const float *cond, int rows);
/* The policy's log-std [act_dim] where the host can read it (a download on a GPU). */
const float *cm_agent_logstd(cm_agent *a);
/* MimicKit _need_normalizer_update: sample count below normalizer_samples. */
int cm_agent_need_norm_update(const cm_agent *a);
/* Stops with one line naming the first non-finite model parameter (NaN guard). */
int cm_agent_check_finite(cm_agent *a, cm_err *err);
/* The iteration's stats (the a->its_* fields): all slots released and zeroed at the start of
 * a training iteration; n more zeroed device doubles from *off (the array may move: take
 * pointers with cm_agent_its_at after the last take); the slots taken since the last read
 * brought down in one copy (none on the CPU device, whose slots are host memory), returning
 * the host array (index it by the offsets; valid until the next take). */
void cm_agent_its_reset(cm_agent *a);
/* A rollout NaN guard on device rows x [rows][dim] (cm_agent_check_dev_rows' arguments; x must
 * keep its values until the rollout ends, as the buffers' rows do): their sum of squares into
 * a slot, checked with the others in order by cm_agent_check_rollout (the search and message
 * of cm_agent_check_dev_rows where it is not finite). x NULL: step step0's policy input
 * (decide_action's sum into *slot; cm_agent_input_guard_failed's search). */
typedef struct cm_row_guard {
  size_t slot;
  const float *x;
  int rows, dim, step0;
  const char *what, *source;
  /* a guard's own search and message (NULL: cm_agent_check_dev_rows'); set after taking it */
  int (*search)(cm_agent *a, const struct cm_row_guard *g, cm_err *err);
} cm_row_guard;
int cm_agent_guard_rows(cm_agent *a, const float *x, int rows, int dim, int step0, const char *what,
                        const char *source, size_t *slot, cm_err *err);
/* The guards taken since the last check, in order, against the host copy its of their slots
 * (cm_agent_its_read's): the first non-finite one searched and named. cm_agent_check_rollout
 * checks the rollout's; the update checks those its train data took (AMP's demo rows). */
int cm_agent_check_guards(cm_agent *a, const double *its, cm_err *err);
int cm_agent_its_take(cm_agent *a, size_t n, size_t *off, cm_err *err);
double *cm_agent_its_at(cm_agent *a, size_t off);
const double *cm_agent_its_read(cm_agent *a);
/* NaN guard on what the env produced, each stopping with one line naming env, element and step.
 * A training step's policy input (normalizing keeps a NaN and clips an infinity) adds its sum
 * of squares into the step's slot of the iteration's stats, a fraction 1/hidden of the first
 * layer's product; the slots are checked once the rollout is done (cm_agent_check_rollout),
 * and for the first non-finite one, cm_agent_input_guard_failed names step t's observation
 * (the buffer's row) or latent, else the normalizer's statistics. Always fails. */
int cm_agent_input_guard_failed(cm_agent *a, int t, cm_err *err);
/* Rows x [rows][dim] (host) of the rollout, row r being env r % num_envs at step step0 + r / num_envs
 * (what: "discriminator observation"; source: "the env produced it"): the first non-finite
 * element, named with its env, element and step. */
int cm_agent_check_env_rows(const cm_agent *a, const float *x, int rows, int dim, int step0, const char *what,
                            const char *source, cm_err *err);
/* The same on device rows (a->dev): one reduction (sum_sq), the host search only when it is not
 * finite (a finite overflow of the sum searches and passes). */
int cm_agent_check_dev_rows(const cm_agent *a, const float *x, int rows, int dim, int step0, const char *what,
                            const char *source, cm_err *err);
/* n floats of a->dev's array x readable on the host for a NaN guard's search: x itself on the
 * CPU device, else a copy in a malloc'd *tmp (free it); NULL with err set when out of memory. */
const float *cm_agent_rows_for_search(const cm_agent *a, const float *x, size_t n, float **tmp, const char *what,
                                      cm_err *err);
/* 1 while the env steps on a->dev (env_dev and the env ready for its device entries now). */
int cm_agent_env_on_dev(const cm_agent *a);
/* Once per rollout, in one download of the iteration's stats: the policy-input guards of the
 * steps (the first non-finite one searched, cm_agent_input_guard_failed) and the return
 * tracker's totals; where the tracker saw a bad step, the buffer's rewards and done flags are
 * searched for the first. */
int cm_agent_check_rollout(cm_agent *a, cm_err *err);
/* After an observation normalizer update: an infinite observation leaves its statistics non-finite. */
int cm_agent_check_obs_norm(cm_agent *a, cm_err *err);
/* The actor-loss rows' settings for m loss rows (objective, clip ratio, bound and regulariser
 * scales from the yaml); with_extras 0 leaves the bound loss and regulariser off. */
cm_actor_loss_cfg cm_agent_actor_loss_cfg(cm_agent *a, int m, int with_extras);
/* The method's surrogate loss alone over m rows of device arrays (mean, norm_a [m][A], old_logp,
 * adv [m]): returns it, writes dloss/dmean into dmean [m][A] and Clip_Frac / Imp_Ratio (PPO)
 * into st. The update computes the same rows inside its fused mini-batch step. */
double cm_agent_actor_loss(cm_agent *a, int m, const float *mean, const float *norm_a, const float *old_logp,
                           const float *adv, float *dmean, cm_stats *st, cm_err *err);

/* test_model: test mode, all envs reset, episodes as MimicKit counts them. */
typedef struct cm_test_result {
  double mean_return, mean_ep_len;
  int64_t episodes;
  cm_stats env; /* the env's figures (env_stats) over exactly the test's episodes */
} cm_test_result;
/* The env's figures (env_stats) are cleared when the test starts and read into res->env when it
 * ends. */
int cm_agent_test(cm_agent *a, int num_episodes, cm_test_result *res, cm_err *err);
/* The env's own figures (tracking error, task success) since the last call, set into out (NULL:
 * just cleared). */
void cm_agent_env_stats(cm_agent *a, cm_stats *out);
#endif
