/* The train and test loops (MimicKit BaseAgent.train_model / test_model) and agent
 * checkpoints as state dicts.
 *
 * Train loop: envs reset; then iterations until the sample count reaches max_samples. Each
 * iteration runs cm_agent_train_iter; the sample count is the experience buffer's running
 * total. An output iteration (iteration % iters_per_output == 0, or the last one) first runs a
 * test phase of test_episodes; then the callback sees the iteration's columns; after an output
 * iteration the train return tracker restarts and every env is reset, as MimicKit does. Other
 * iterations report the last test result again.
 *
 * Columns, in MimicKit's log order: Iteration, Wall_Time (hours), Samples, Test_Return,
 * Test_Episode_Length, Test_Episodes, Train_Return, Train_Episode_Length, Train_Episodes, the
 * agent's losses (Loss, Critic_Loss, Actor_Loss, Clip_Frac, Imp_Ratio, Action_Bound_Loss, ...),
 * its data statistics (Adv_Mean, Adv_Std, ...), Obs_Norm_Mean, Obs_Norm_Std, Exp_Prob.
 * MimicKit writes a log.txt row and model.pt only on output iterations (info->output). */
#ifndef CM_LEARN_TRAINER_H
#define CM_LEARN_TRAINER_H
#include "io/torch_ckpt.h"
#include "learn/agent.h"

typedef struct cm_iter_info {
  int64_t iter, samples;
  double wall_time_h;
  int output;          /* an output iteration: log row and checkpoint */
  cm_test_result test; /* the latest test phase */
  cm_stats cols;       /* every column, in log order */
} cm_iter_info;

/* Called after every iteration; a non-zero return stops training with that error. */
typedef int (*cm_iter_cb)(cm_agent *a, const cm_iter_info *info, void *user, cm_err *err);

typedef struct cm_train_opts {
  int64_t max_samples;
  int resume;          /* keep the agent's iteration and sample counters (after cm_agent_load of a
                          checkpoint with train state); MimicKit always restarts them at 0 */
  cm_iter_cb callback; /* may be NULL */
  void *user;
} cm_train_opts;

int cm_train(cm_agent *a, const cm_train_opts *opts, cm_err *err);

/* ---- checkpoints ----
 * Model entries, in agent.state_dict() order with MimicKit's names (docs/LEARN.md): the two
 * normalizers (_count stored as float32 [1]: the file format holds float32 only), the actor
 * layers, _logstd_net, the mean head, the critic; then the method's (AMP/ASE/ADD:
 * _disc_obs_norm._count/_mean/_std, ADD's _mean_abs instead, _model._disc_layers.*,
 * _model._disc_logits.*, ASE's _model._enc_layers.*, _model._enc_out.*). That is the model.pt
 * MimicKit loads.
 * with_train_state adds what resuming needs, under names torch never uses:
 *   _optimizer.<param>.momentum_buffer (SGD) or .exp_avg / .exp_avg_sq (Adam)
 *   _train.iter, _train.samples, _train.optim_steps, _train.rng_step, _train.shuffles,
 *   _train.obs_norm_count, _train.wall_ms (_train.disc_obs_norm_count): exact integers as float32 [2] = (v >> 24, v & 0xffffff)
 * Loading requires every model entry with its exact shape ("<file>: missing tensor 'x'" /
 * "<file>: tensor 'x' has shape [..], expected [..]"); train-state entries are restored when
 * present (all or none), and ignored entries are allowed. */
int cm_agent_state_dict(cm_agent *a, int with_train_state, cm_state_dict *sd, cm_err *err);
int cm_agent_load_state_dict(cm_agent *a, const cm_state_dict *sd, const char *source, cm_err *err);
int cm_agent_save(cm_agent *a, const char *path, int with_train_state, cm_err *err);
int cm_agent_load(cm_agent *a, const char *path, cm_err *err);

/* Pieces of the above for a method's own entries (its save/load hooks). */
int cm_ckpt_add_norm(cm_state_dict *sd, const cm_normalizer *n, cm_err *err);
int cm_ckpt_load_norm(cm_normalizer *n, const cm_state_dict *sd, const char *src, cm_err *err);
/* An exact integer as float32 [2] (see above). */
int cm_ckpt_add_i64(cm_state_dict *sd, const char *name, int64_t v, cm_err *err);
int cm_ckpt_get_i64(const cm_state_dict *sd, const char *src, const char *name, int64_t *v, cm_err *err);
/* The entry with exactly this shape (s1 ignored for ndim 1), or NULL and an error naming it. */
const cm_sd_entry *cm_ckpt_need(const cm_state_dict *sd, const char *src, const char *name, int ndim, int64_t s0,
                                int64_t s1, cm_err *err);
#endif
