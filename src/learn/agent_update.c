/* The mini-batch update (ppo_agent/awr_agent._update_model and _compute_loss): critic, actor
 * and the method's own losses in one optimizer step, with a NaN guard. */
#include "learn/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/fault.h"
#include "learn/gaussian.h"
#include "learn/ppo.h"
#include "learn/returns.h"

/* ---------------- update ---------------- */

/* Every rank's gradients averaged before the step (MimicKit MPOptimizer._aggregate_mp_grads):
 * one all-reduce over all of them packed together, or one per tensor on the device (NCCL). */
static int allreduce_grads(cm_agent *a, cm_err *err) {
  cm_comm *c = a->comm;
  if (c->size <= 1) return 0;
  const cm_optim *o = &a->optim;
  if (a->dev->kind != CM_DEV_CPU && c->ops->allreduce_f32_dev) {
    for (int i = 0; i < o->count; i++)
      if (cm_comm_allreduce_dev(c, a->dev, o->params[i]->grad, o->params[i]->n, CM_RED_MEAN, "gradients", err)) return -1;
    return 0;
  }
  double t0 = cm_now_seconds();
  size_t total = 0, off = 0;
  for (int i = 0; i < o->count; i++) total += o->params[i]->n;
  if (!a->grad_flat && !(a->grad_flat = malloc((total ? total : 1) * sizeof(float))))
    return cm_fail(err, "%s:%d: out of memory for %zu gradients", __FILE__, __LINE__, total);
  for (int i = 0; i < o->count; off += o->params[i]->n, i++)
    cm_dev_download(a->dev, a->grad_flat + off, o->params[i]->grad, o->params[i]->n);
  if (cm_comm_allreduce_f32(c, a->grad_flat, total, CM_RED_MEAN, "gradients", err)) return -1;
  off = 0;
  for (int i = 0; i < o->count; off += o->params[i]->n, i++)
    cm_dev_upload(a->dev, o->params[i]->grad, a->grad_flat + off, o->params[i]->n);
  a->prof.grad_allreduce += cm_now_seconds() - t0;
  return 0;
}

cm_actor_loss_cfg cm_agent_actor_loss_cfg(cm_agent *a, int m, int with_extras) {
  const cm_agent_cfg *c = &a->cfg;
  cm_actor_loss_cfg k = {.objective = a->type->objective, .act_dim = a->act_dim, .m = (float)m};
  if (k.objective == CM_ACTOR_PPO) k.clip_eps = (float)((const cm_ppo_params *)a->impl)->clip_ratio;
  if (with_extras && m > 0) {
    k.bound = c->action_bound_weight != 0 && a->bounds_finite;
    k.bound_scale = (float)(c->action_bound_weight / m);
    k.reg = c->action_reg_weight != 0;
    k.reg_scale = (float)(2.0 * c->action_reg_weight / m);
  }
  return k;
}

/* Statistics of the surrogate from the column sums of the loss terms; returns its loss. */
static double surrogate_stats(const cm_agent *a, int m, const double *sum, cm_stats *st) {
  if (a->type->objective == CM_ACTOR_PPO) {
    cm_stats_set(st, "Clip_Frac", sum[CM_TERM_CLIPPED] / m);
    cm_stats_set(st, "Imp_Ratio", sum[CM_TERM_RATIO] / m);
  }
  return -sum[CM_TERM_SURR] / m;
}

double cm_agent_actor_loss(cm_agent *a, int m, const float *mean, const float *norm_a, const float *old_logp,
                           const float *adv, float *dmean, cm_stats *st, cm_err *err) {
  if (m <= 0) return 0;
  if (m > a->ws_rows) {
    cm_fail(err, "%s:%d: %d actor loss rows, the workspace holds %d", __FILE__, __LINE__, m, a->ws_rows);
    return NAN;
  }
  const cm_ops *ops = a->dev->ops;
  ops->fill(a->mb_terms, 0.f, (size_t)m * CM_LOSS_TERMS);
  ops->actor_loss_rows(dmean, a->mb_terms, CM_LOSS_TERMS, mean, norm_a, old_logp, adv, a->logstd.data, m,
                       cm_agent_actor_loss_cfg(a, m, 0));
  double sum[CM_LOSS_TERMS] = {0}, sq[CM_LOSS_TERMS] = {0};
  ops->col_moments(a->mb_terms, m, CM_LOSS_TERMS, sum, sq);
  return surrogate_stats(a, m, sum, st);
}

/* The method's extra actor rows (ASE) on the device: the loss rows' inputs, then the method's
 * rows after them (mb_aobs); their gradients go into dmean's rows where they live, their
 * loss's sum into the slot *sum. extra_rows_input returns the rows added (k). */
static int extra_rows_input(cm_agent *a, const float *in, int m) {
  int IN = a->obs_dim + a->cond_dim;
  a->dev->ops->copy(a->mb_aobs, in, (size_t)m * IN);
  return a->type->actor_extra_rows(a, m, a->mb_aobs, a->mb_aobs + (size_t)m * IN);
}
static void extra_rows_loss(cm_agent *a, int m, int k, double *sum) {
  int A = a->act_dim;
  const float *mean = cm_mlp_out(&a->actor);
  a->type->actor_extra_loss(a, m, mean, a->mb_aobs, k, mean + (size_t)m * A, a->mb_dmean,
                            a->mb_dmean + (size_t)m * A, sum);
}

/* One mini-batch's record: what its statistics and NaN guards need once the iteration's
 * stats are on the host. */
typedef struct cm_mb_rec {
  int rows, m, k;       /* loss rows, random-action rows, the method's extra actor rows */
  int64_t step;         /* optimizer steps before this one */
  size_t terms, gsq;    /* slots: the loss terms' column sums and sums of squares [2][CM_LOSS_TERMS],
                         * the trained tensors' sums of squared gradients [optim.count] */
  size_t extra;         /* slot: the extra actor rows' loss sum (ASE), where k > 0 */
  cm_aux_rec aux;
} cm_mb_rec;

/* One optimizer step on mini-batch rows whose buffer indices are idx_d (device; the m
 * random-action rows first); the method's losses get idx_h, the sampling order. Loss terms as
 * ppo_agent/awr_agent._compute_loss, each row's on the device, their sums, the gradient norm
 * and the method's sums into slots of the iteration's stats (minibatch_stats reads them once
 * every mini-batch has run). */
static int minibatch_step(cm_agent *a, int rows, int m, const int *idx_h, const int *idx_d, cm_mb_rec *rec,
                          cm_err *err) {
  const cm_agent_cfg *c = &a->cfg;
  const cm_ops *ops = a->dev->ops;
  cm_exp_buffer *b = &a->buf;
  int A = a->act_dim, O = a->obs_dim;
  double t0 = cm_now_seconds();
  rec->rows = rows;
  rec->m = m;
  rec->k = 0;
  rec->step = a->optim.steps;
  rec->extra = 0;
  memset(&rec->aux, 0, sizeof rec->aux);
  rec->aux.rows = rows;
  if (cm_agent_its_take(a, 2 * CM_LOSS_TERMS, &rec->terms, err) ||
      cm_agent_its_take(a, (size_t)a->optim.count, &rec->gsq, err))
    return -1;
  ops->gather_rows(a->mb_obs, b->obs, O, idx_d, rows);
  ops->gather_rows(a->mb_act, b->action, A, idx_d, rows);
  ops->gather_rows(a->mb_tar, b->tar_val, 1, idx_d, rows);
  ops->gather_rows(a->mb_adv, b->adv, 1, idx_d, rows);
  ops->gather_rows(a->mb_logp, b->a_logp, 1, idx_d, rows);
  if (a->cond_dim) ops->gather_rows(a->mb_cond, a->buf_cond, a->cond_dim, idx_d, rows);
  cm_optim_zero_grad(&a->optim);
  const float *in = cm_agent_net_input(a, a->mb_nobs, a->mb_obs, a->mb_cond, rows);
  cm_norm_normalize(&a->a_norm, a->mb_na, a->mb_act, rows);
  double t1 = cm_now_seconds(), t_loss = 0;
  a->prof.upd_gather += t1 - t0;

  /* critic: mean (tar - pred)^2, weighted into the total; actor: the m random-action rows */
  if (cm_mlp_forward(&a->critic, in, rows, err)) return -1;
  double tl = cm_now_seconds();
  ops->fill(a->mb_terms, 0.f, (size_t)rows * CM_LOSS_TERMS);
  ops->critic_loss_rows(a->mb_dout, a->mb_terms, CM_LOSS_TERMS, cm_mlp_out(&a->critic), a->mb_tar, rows,
                        (float)(2.0 * c->critic_loss_weight / rows));
  t_loss += cm_now_seconds() - tl;
  if (cm_mlp_backward(&a->critic, a->mb_dout, NULL, err)) return -1;
  if (m > 0) {
    /* the method's extra rows (ASE: the same observations at fresh latents) ride in the same
     * forward and backward, after the m loss rows */
    const float *actor_in = in;
    int k = 0;
    if (a->type->actor_extra_rows && (k = extra_rows_input(a, in, m)) > 0) actor_in = a->mb_aobs;
    rec->k = k;
    if (cm_mlp_forward(&a->actor, actor_in, m + k, err)) return -1;
    tl = cm_now_seconds();
    ops->actor_loss_rows(a->mb_dmean, a->mb_terms, CM_LOSS_TERMS, cm_mlp_out(&a->actor), a->mb_na, a->mb_logp,
                         a->mb_adv, a->logstd.data, m, cm_agent_actor_loss_cfg(a, m, 1));
    if (k > 0) {
      if (cm_agent_its_take(a, 1, &rec->extra, err)) return -1;
      extra_rows_loss(a, m, k, cm_agent_its_at(a, rec->extra));
    }
    t_loss += cm_now_seconds() - tl;
    if (cm_mlp_backward(&a->actor, a->mb_dmean, NULL, err)) return -1;
  }
  tl = cm_now_seconds();
  double *terms = cm_agent_its_at(a, rec->terms);
  ops->col_moments_dev(a->mb_terms, rows, CM_LOSS_TERMS, terms, terms + CM_LOSS_TERMS);
  a->aux_idx_d = a->idx_hd ? a->idx_hd + (idx_h - a->idx_h) : NULL;
  int aux_rc = a->type->aux_loss ? a->type->aux_loss(a, idx_h, rows, &rec->aux, err) : 0;
  a->aux_idx_d = NULL; /* only while this mini-batch's aux_loss runs */
  if (aux_rc) return -1;
  double t2 = cm_now_seconds();
  t_loss += t2 - tl;
  a->prof.upd_losses += t_loss;
  a->prof.upd_nets += t2 - t1 - t_loss;
  if (cm_fault_nan_at((long)a->iter, "grad")) cm_dev_upload(a->dev, a->optim.params[0]->grad, &(float){NAN}, 1);
  if (allreduce_grads(a, err)) return -1;
  cm_optim_step_dev(&a->optim, cm_agent_its_at(a, rec->gsq));
  a->prof.upd_optim += cm_now_seconds() - t2;
  return 0;
}

/* A mini-batch's statistics from its record and the iteration's stats on the host (its), and
 * its NaN guards: a non-finite loss names its first non-finite term, a non-finite gradient
 * norm its first tensor. ent: the policy's entropy (its log-std is fixed). */
static int minibatch_stats(cm_agent *a, const cm_mb_rec *rec, const double *its, double ent, cm_stats *st,
                           cm_err *err) {
  const cm_agent_cfg *c = &a->cfg;
  int rows = rec->rows, m = rec->m;
  const double *sum = its + rec->terms, *sq = sum + CM_LOSS_TERMS;
  cm_stats_set(st, "Loss", 0);
  cm_stats_set(st, "Critic_Loss", 0);
  cm_stats_set(st, "Actor_Loss", 0);
  double closs = sq[CM_TERM_CRITIC_DIFF] / rows, aloss = 0;
  if (m > 0) {
    aloss = surrogate_stats(a, m, sum, st);
    if (c->action_bound_weight != 0 && a->bounds_finite) {
      double bl = sum[CM_TERM_BOUND] / m;
      aloss += c->action_bound_weight * bl;
      cm_stats_set(st, "Action_Bound_Loss", bl);
    }
    if (c->action_entropy_weight != 0) {
      /* FIXED std: the entropy is a constant, no gradient */
      aloss -= c->action_entropy_weight * ent;
      cm_stats_set(st, "Action_Entropy", ent);
    }
    if (c->action_reg_weight != 0) {
      double reg = sum[CM_TERM_REG] / m;
      aloss += c->action_reg_weight * reg;
      cm_stats_set(st, "Action_Reg_Loss", reg);
    }
    if (rec->k > 0) aloss += a->type->actor_extra_stats(a, rec->k, its[rec->extra], st);
  }
  double aux = 0;
  if (a->type->aux_stats) a->type->aux_stats(a, &rec->aux, its, &aux, st);
  double loss = aloss + c->critic_loss_weight * closs + aux;
  if (!isfinite(loss)) { /* name the first non-finite term: the method's statistics, then ours */
    const char *what = !isfinite(closs) ? "Critic_Loss" : !isfinite(aloss) ? "Actor_Loss" : "the method's loss";
    for (int i = 0; i < st->count; i++)
      if (!isfinite(st->values[i])) {
        what = st->keys[i];
        break;
      }
    return cm_fail(err, "NaN guard: %s became non-finite at optimizer step %lld (Actor_Loss %g, Critic_Loss %g, "
                   "method loss %g); the last checkpoint written is the last good one", what,
                   (long long)rec->step, aloss, closs, aux);
  }
  const double *gsq = its + rec->gsq;
  for (int i = 0; i < a->optim.count; i++)
    if (!isfinite(gsq[i]))
      return cm_fail(err, "NaN guard: the gradient of '%s' became non-finite at optimizer step %lld; the last "
                     "checkpoint written is the last good one", a->optim.params[i]->name, (long long)rec->step + 1);
  cm_stats_set(st, "Loss", loss);
  cm_stats_set(st, "Critic_Loss", closs);
  cm_stats_set(st, "Actor_Loss", aloss);
  return 0;
}

static int param_sums(cm_agent *a, size_t *off, cm_err *err);
static int params_finite(cm_agent *a, const double *sq, cm_err *err);

/* One iteration's mini-batch indices: the buffer's sampling order into idx_h (host), uploaded
 * at once into idx_hd; each mini-batch's random-action rows moved first (stable) on the device
 * into idx_d by the buffer's rand_mask (partition_rows: only the counts come down, into mb_rand). */
static int plan_minibatches(cm_agent *a, int mb, int count, cm_err *err) {
  cm_exp_buffer *b = &a->buf;
  size_t total = (size_t)mb * count;
  if (total > a->idx_cap) {
    free(a->idx_h);
    if (a->idx_d) a->dev->ops->free(a->idx_d);
    if (a->idx_hd) a->dev->ops->free(a->idx_hd);
    a->idx_hd = NULL;
    a->idx_cap = 0;
    a->idx_h = malloc(total * sizeof(int));
    a->idx_d = a->dev->ops->alloc(total * sizeof(int));
    a->idx_hd = a->dev->ops->alloc(total * sizeof(int));
    if (!a->idx_h || !a->idx_d || !a->idx_hd)
      return cm_fail(err, "%s:%d: out of memory for %zu mini-batch indices", __FILE__, __LINE__, total);
    a->idx_cap = total;
  }
  if (count > a->mb_rand_cap) {
    free(a->mb_rand);
    if (!(a->mb_rand = malloc((size_t)count * sizeof(int))))
      return a->mb_rand_cap = 0, cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
    a->mb_rand_cap = count;
  }
  for (int q = 0; q < count; q++) cm_exp_sample_idx(b, mb, a->idx_h + (size_t)q * mb);
  const cm_ops *ops = a->dev->ops;
  ops->upload(a->idx_hd, a->idx_h, total * sizeof(int));
  ops->partition_rows(a->idx_d, a->mb_rand, a->idx_hd, b->rand_mask, mb, count);
  return 0;
}

int cm_agent_update_model(cm_agent *a, cm_stats *info, cm_err *err) {
  cm_exp_buffer *b = &a->buf;
  int num_samples = cm_exp_sample_count(b);
  int mb = cm_minibatch_size(a->cfg.batch_size, a->num_envs);
  if (mb > cm_exp_capacity(b)) mb = cm_exp_capacity(b);
  int nb = cm_minibatch_count(num_samples, a->cfg.batch_size, a->num_envs);
  int steps_n = a->cfg.update_epochs * nb;
  double t0 = cm_now_seconds();
  if (steps_n > 0 && plan_minibatches(a, mb, steps_n, err)) return -1;
  a->prof.upd_gather += cm_now_seconds() - t0;
  if (steps_n > a->mb_rec_cap) {
    free(a->mb_rec);
    if (!(a->mb_rec = malloc((size_t)steps_n * sizeof *a->mb_rec)))
      return a->mb_rec_cap = 0, cm_fail(err, "%s:%d: out of memory for %d mini-batch records", __FILE__, __LINE__, steps_n);
    a->mb_rec_cap = steps_n;
  }
  /* the rollout's slots were read and checked; else the train data's guards and late stats wait */
  if (!a->guard_n && !a->late_n) cm_agent_its_reset(a);
  for (int q = 0; q < steps_n; q++) {
    size_t off = (size_t)q * mb;
    if (minibatch_step(a, mb, a->mb_rand[q], a->idx_h + off, a->idx_d + off, a->mb_rec + q, err))
      return -1;
  }
  if (cm_fault_nan_at((long)a->iter, "param")) cm_dev_upload(a->dev, a->optim.params[0]->data, &(float){NAN}, 1);
  size_t psq;
  if (param_sums(a, &psq, err)) return -1;
  /* the update's one download: the train data's guards, every mini-batch's sums, the parameters' */
  const double *its = cm_agent_its_read(a);
  if (cm_agent_check_guards(a, its, err)) return -1;
  cm_stats sum = {0}, st;
  double ent = a->cfg.action_entropy_weight != 0 ? cm_gauss_entropy_row(a->act_dim, cm_agent_logstd(a)) : 0;
  for (int q = 0; q < steps_n; q++) {
    cm_stats_clear(&st);
    if (minibatch_stats(a, a->mb_rec + q, its, ent, &st, err)) return -1;
    for (int i = 0; i < st.count; i++) cm_stats_add(&sum, st.keys[i], st.values[i]);
  }
  double steps = (double)steps_n;
  for (int i = 0; i < sum.count; i++) cm_stats_set(info, sum.keys[i], sum.values[i] / steps);
  return params_finite(a, its + psq, err);
}

/* Every parameter the optimizer trains (actor, critic, the method's nets): their sums of
 * squares into slots of the iteration's stats, from *off. */
static int param_sums(cm_agent *a, size_t *off, cm_err *err) {
  const cm_optim *o = &a->optim;
  if (cm_agent_its_take(a, (size_t)o->count, off, err)) return -1;
  double *sq = cm_agent_its_at(a, *off);
  for (int i = 0; i < o->count; i++) a->dev->ops->sum_sq_dev(o->params[i]->data, o->params[i]->n, sq + i);
  return 0;
}

/* The NaN guard on them: the first non-finite one named. */
static int params_finite(cm_agent *a, const double *sq, cm_err *err) {
  for (int i = 0; i < a->optim.count; i++)
    if (!isfinite(sq[i]))
      return cm_fail(err, "NaN guard: parameter '%s' became non-finite at optimizer step %lld; the last checkpoint "
                     "written is the last good one", a->optim.params[i]->name, (long long)a->optim.steps);
  return 0;
}

int cm_agent_check_finite(cm_agent *a, cm_err *err) {
  size_t off;
  if (param_sums(a, &off, err)) return -1;
  return params_finite(a, cm_agent_its_read(a) + off, err);
}

int cm_agent_check_env_rows(const cm_agent *a, const float *x, int rows, int dim, int step0, const char *what,
                            const char *source, cm_err *err) {
  int N = a->num_envs;
  for (size_t k = 0; k < (size_t)rows * dim; k++)
    if (!isfinite(x[k])) {
      int r = (int)(k / dim);
      return cm_fail(err, "NaN guard: element %d of the %s of env %d is %g at step %d of training iteration %lld's "
                     "rollout (%s); the last checkpoint written is the last good one",
                     (int)(k % dim), what, r % N, (double)x[k], step0 + r / N, (long long)a->iter, source);
    }
  return 0;
}

const float *cm_agent_rows_for_search(const cm_agent *a, const float *x, size_t n, float **tmp, const char *what,
                                      cm_err *err) {
  *tmp = NULL;
  if (a->dev->kind != CM_DEV_CPU && !(*tmp = malloc(n * sizeof(float)))) {
    cm_fail(err, "%s:%d: out of memory for the NaN guard's search of %zu %s values", __FILE__, __LINE__, n, what);
    return NULL;
  }
  return cm_dev_read(a->dev, x, *tmp, n);
}

int cm_agent_check_dev_rows(const cm_agent *a, const float *x, int rows, int dim, int step0, const char *what,
                            const char *source, cm_err *err) {
  size_t n = (size_t)rows * dim;
  if (n == 0 || isfinite(a->dev->ops->sum_sq(x, n))) return 0;
  float *tmp;
  const float *v = cm_agent_rows_for_search(a, x, n, &tmp, what, err);
  int rc = v ? cm_agent_check_env_rows(a, v, rows, dim, step0, what, source, err) : -1;
  free(tmp);
  return rc;
}

int cm_agent_input_guard_failed(cm_agent *a, int t, cm_err *err) {
  cm_exp_buffer *b = &a->buf;
  int N = a->num_envs, O = a->obs_dim, C = a->cond_dim;
  size_t s = (size_t)t * N;
  if (cm_agent_check_dev_rows(a, b->obs + s * O, N, O, t, "observation", "the env produced it", err) ||
      (C && cm_agent_check_dev_rows(a, a->buf_cond + s * C, N, C, t, "latent", "the agent drew it", err)))
    return -1;
  return cm_fail(err, "NaN guard: the policy's input became non-finite at step %d of training iteration %lld though "
                 "the observations%s are finite (the normalizer's statistics); the last checkpoint "
                 "written is the last good one", t, (long long)a->iter, C ? " and latents" : "");
}

int cm_agent_check_guards(cm_agent *a, const double *its, cm_err *err) {
  int n = a->guard_n;
  a->guard_n = 0;
  for (int i = 0; i < n; i++) { /* in the order they were taken */
    const cm_row_guard *g = &a->guards[i];
    if (isfinite(its[g->slot])) continue;
    if (!g->x) return cm_agent_input_guard_failed(a, g->step0, err);
    if (g->search ? g->search(a, g, err)
                  : cm_agent_check_dev_rows(a, g->x, g->rows, g->dim, g->step0, g->what, g->source, err))
      return -1;
  }
  return 0;
}

int cm_agent_check_rollout(cm_agent *a, cm_err *err) {
  cm_exp_buffer *b = &a->buf;
  int N = b->num_envs, n = cm_exp_sample_count(b), k = 0;
  size_t rt;
  if (cm_agent_its_take(a, CM_RT_N, &rt, err)) return -1;
  cm_return_tracker *tr = &a->train_ret;
  a->dev->ops->rtrack_sums_dev(&tr->rows, tr->num_envs, 0, cm_agent_its_at(a, rt));
  const double *its = cm_agent_its_read(a); /* the rollout's guards and the tracker's totals */
  if (cm_agent_check_guards(a, its, err)) return -1;
  cm_rtrack_set(tr, its + rt); /* the logged returns and the bad-step count */
  if (!tr->bad) return 0;
  const float *reward = cm_exp_host_view(b, b->reward);
  while (k < n && isfinite(reward[k])) k++;
  if (k < n)
    return cm_fail(err, "NaN guard: the reward of env %d is %g at step %d of training iteration %lld's rollout (the env "
                   "produced it); the last checkpoint written is the last good one",
                   k % N, (double)reward[k], k / N, (long long)a->iter);
  uint8_t *done = n > 0 ? malloc((size_t)n) : NULL;
  if (n > 0 && !done) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  if (n > 0) a->dev->ops->download(done, b->done, (size_t)n);
  for (k = 0; k < n && done[k] <= CM_DONE_TIME; k++) {}
  int flag = k < n ? done[k] : -1;
  free(done);
  if (flag >= 0)
    return cm_fail(err, "environment step: env %d returned done flag %d (beyond %d) at step %d of training iteration "
                   "%lld's rollout", k % N, flag, CM_DONE_TIME, k / N, (long long)a->iter);
  return cm_fail(err, "%s:%d: the return tracker counted a bad step that the rollout's buffer does not hold", __FILE__,
                 __LINE__);
}

int cm_agent_check_obs_norm(cm_agent *a, cm_err *err) {
  const cm_normalizer *n = &a->obs_norm;
  for (int j = 0; j < n->dim; j++)
    if (!isfinite(n->mean_h[j]) || !isfinite(n->var_h[j]))
      return cm_fail(err, "NaN guard: the observation normalizer's statistics of element %d became non-finite (mean %g) "
                     "at training iteration %lld: an observation recorded this iteration was infinite; the last "
                     "checkpoint written is the last good one", j, n->mean_h[j], (long long)a->iter);
  return 0;
}
