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

/* ---------------- update ---------------- */

double cm_action_bound_loss_row(int dim, const float *mu, float scale, float *dmean) {
  /* normalized actions are meant to stay in [-1, 1] */
  double loss = 0;
  for (int j = 0; j < dim; j++) {
    float lo = fminf(mu[j] + 1.f, 0.f), hi = fmaxf(mu[j] - 1.f, 0.f);
    loss += (double)lo * lo + (double)hi * hi;
    if (dmean) dmean[j] += scale * 2.f * (lo + hi);
  }
  return loss;
}

/* The first trained parameter whose data (or gradient) holds a NaN or an infinity. */
static const cm_param *first_nonfinite(const cm_agent *a, int grad) {
  for (int i = 0; i < a->optim.count; i++) {
    const cm_param *p = a->optim.params[i];
    if (!isfinite(a->dev->ops->sum_sq(grad ? p->grad : p->data, p->n))) return p;
  }
  return NULL;
}

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

/* One optimizer step on the mini-batch gathered in the workspace (rows b); loss terms as
 * ppo_agent/awr_agent._compute_loss. */
static int minibatch_step(cm_agent *a, int rows, cm_stats *st, cm_err *err) {
  const cm_agent_cfg *c = &a->cfg;
  int A = a->act_dim, O = a->obs_dim;
  cm_stats_set(st, "Loss", 0);
  cm_stats_set(st, "Critic_Loss", 0);
  cm_stats_set(st, "Actor_Loss", 0);
  cm_optim_zero_grad(&a->optim);

  /* critic: mean (tar - pred)^2, weighted into the total */
  int IN = O + a->cond_dim;
  const float *in = cm_agent_net_input(a, a->mb_nobs, a->mb_obs, a->mb_cond, rows);
  if (cm_mlp_forward(&a->critic, in, rows, err)) return -1;
  const float *pred = cm_dev_read(a->dev, cm_mlp_out(&a->critic), a->mb_pred, (size_t)rows);
  double closs = 0;
  float cscale = (float)(2.0 * c->critic_loss_weight / rows);
  for (int i = 0; i < rows; i++) {
    float d = a->mb_tar[i] - pred[i];
    closs += (double)d * d;
    a->mb_dout[i] = -cscale * d;
  }
  closs /= rows;
  if (cm_mlp_backward(&a->critic, a->mb_dout, NULL, err)) return -1;

  /* actor: only rows whose action was sampled */
  cm_norm_normalize(&a->a_norm, a->mb_na, a->mb_act, rows);
  int m = 0;
  while (m < rows && a->mb_mask[m] == 1.f) m++;
  const float *actor_obs = in; /* every row sampled (the usual case): the critic's rows */
  int extra = a->type->actor_extra_rows != NULL;
  if (m < rows || extra) cm_dev_download(a->dev, a->mb_aobs, in, (size_t)rows * IN);
  if (m < rows) { /* keep the sampled rows, compacted in place (row m <= row i) */
    m = 0;
    for (int i = 0; i < rows; i++) {
      if (a->mb_mask[i] != 1.f) continue;
      memmove(a->mb_aobs + (size_t)m * IN, a->mb_aobs + (size_t)i * IN, (size_t)IN * sizeof(float));
      memmove(a->mb_na + (size_t)m * A, a->mb_na + (size_t)i * A, (size_t)A * sizeof(float));
      a->mb_logp[m] = a->mb_logp[i];
      a->mb_adv[m] = a->mb_adv[i];
      m++;
    }
    actor_obs = a->mb_aobs;
  }
  double aloss = 0;
  if (m > 0) {
    /* the method's extra rows (ASE: the same observations at fresh latents) ride in the same
     * forward and backward, after the m loss rows */
    int k = extra ? a->type->actor_extra_rows(a, m, a->mb_aobs, a->mb_aobs + (size_t)m * IN) : 0;
    if (k > 0) actor_obs = a->mb_aobs;
    if (cm_mlp_forward(&a->actor, actor_obs, m + k, err)) return -1;
    const float *mean = cm_dev_read(a->dev, cm_mlp_out(&a->actor), a->mb_mean, (size_t)(m + k) * A);
    memset(a->mb_dmean, 0, (size_t)(m + k) * A * sizeof(float));
    aloss = a->type->actor_loss(a, m, mean, a->mb_na, a->mb_logp, a->mb_adv, a->mb_dmean, st);
    if (c->action_bound_weight != 0 && a->bounds_finite) {
      float scale = (float)(c->action_bound_weight / m);
      double bl = 0;
      for (int i = 0; i < m; i++)
        bl += cm_action_bound_loss_row(A, mean + (size_t)i * A, scale, a->mb_dmean + (size_t)i * A);
      bl /= m;
      aloss += c->action_bound_weight * bl;
      cm_stats_set(st, "Action_Bound_Loss", bl);
    }
    if (c->action_entropy_weight != 0) {
      /* FIXED std: the entropy is a constant, no gradient */
      double ent = cm_gauss_entropy_row(A, cm_agent_logstd(a));
      aloss -= c->action_entropy_weight * ent;
      cm_stats_set(st, "Action_Entropy", ent);
    }
    if (c->action_reg_weight != 0) {
      double reg = 0;
      float scale = (float)(2.0 * c->action_reg_weight / m);
      for (size_t q = 0; q < (size_t)m * A; q++) {
        reg += (double)mean[q] * mean[q];
        a->mb_dmean[q] += scale * mean[q];
      }
      reg /= m;
      aloss += c->action_reg_weight * reg;
      cm_stats_set(st, "Action_Reg_Loss", reg);
    }
    if (k > 0)
      aloss += a->type->actor_extra_loss(a, m, mean, a->mb_aobs, k, mean + (size_t)m * A, a->mb_dmean,
                                         a->mb_dmean + (size_t)m * A, st);
    if (cm_mlp_backward(&a->actor, a->mb_dmean, NULL, err)) return -1;
  }
  double aux = 0;
  if (a->type->aux_loss && a->type->aux_loss(a, a->mb_idx, rows, &aux, st, err)) return -1;
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
                   (long long)a->optim.steps, aloss, closs, aux);
  }
  if (cm_fault_nan_at((long)a->iter, "grad")) cm_dev_upload(a->dev, a->optim.params[0]->grad, &(float){NAN}, 1);
  if (allreduce_grads(a, err)) return -1;
  cm_optim_step(&a->optim);
  if (!isfinite(a->optim.last_grad_norm)) {
    const cm_param *p = first_nonfinite(a, 1);
    return cm_fail(err, "NaN guard: the gradient of '%s' became non-finite at optimizer step %lld; the last "
                   "checkpoint written is the last good one", p ? p->name : "?", (long long)a->optim.steps);
  }
  cm_stats_set(st, "Loss", loss);
  cm_stats_set(st, "Critic_Loss", closs);
  cm_stats_set(st, "Actor_Loss", aloss);
  return 0;
}

int cm_agent_update_model(cm_agent *a, cm_stats *info, cm_err *err) {
  cm_exp_buffer *b = &a->buf;
  int O = a->obs_dim, A = a->act_dim;
  int num_samples = cm_exp_sample_count(b);
  int mb = cm_minibatch_size(a->cfg.batch_size, a->num_envs);
  if (mb > cm_exp_capacity(b)) mb = cm_exp_capacity(b);
  int nb = cm_minibatch_count(num_samples, a->cfg.batch_size, a->num_envs);
  cm_stats sum = {0}, st;
  for (int e = 0; e < a->cfg.update_epochs; e++) {
    for (int k = 0; k < nb; k++) {
      cm_exp_sample_idx(b, mb, a->mb_idx);
      cm_exp_gather(b->obs, O, a->mb_idx, mb, a->mb_obs);
      cm_exp_gather(b->action, A, a->mb_idx, mb, a->mb_act);
      cm_exp_gather(b->tar_val, 1, a->mb_idx, mb, a->mb_tar);
      cm_exp_gather(b->adv, 1, a->mb_idx, mb, a->mb_adv);
      cm_exp_gather(b->a_logp, 1, a->mb_idx, mb, a->mb_logp);
      cm_exp_gather(b->rand_mask, 1, a->mb_idx, mb, a->mb_mask);
      if (a->cond_dim) cm_exp_gather(a->buf_cond, a->cond_dim, a->mb_idx, mb, a->mb_cond);
      cm_stats_clear(&st);
      if (minibatch_step(a, mb, &st, err)) return -1;
      for (int i = 0; i < st.count; i++) cm_stats_add(&sum, st.keys[i], st.values[i]);
    }
  }
  double steps = (double)a->cfg.update_epochs * nb;
  for (int i = 0; i < sum.count; i++) cm_stats_set(info, sum.keys[i], sum.values[i] / steps);
  if (cm_fault_nan_at((long)a->iter, "param")) cm_dev_upload(a->dev, a->optim.params[0]->data, &(float){NAN}, 1);
  return cm_agent_check_finite(a, err);
}

/* Once per update: every parameter the optimizer trains (actor, critic, the method's nets). */
int cm_agent_check_finite(cm_agent *a, cm_err *err) {
  const cm_param *p = first_nonfinite(a, 0);
  if (p)
    return cm_fail(err, "NaN guard: parameter '%s' became non-finite at optimizer step %lld; the last checkpoint "
                   "written is the last good one", p->name, (long long)a->optim.steps);
  return 0;
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

int cm_agent_check_input(cm_agent *a, const float *in, cm_err *err) {
  int N = a->num_envs, O = a->obs_dim, t = a->buf.head;
  if (isfinite(a->dev->ops->sum_sq(in, (size_t)N * (O + a->cond_dim)))) return 0;
  if (cm_agent_check_env_rows(a, a->obs, N, O, t, "observation", "the env produced it", err) ||
      (a->cond_dim && cm_agent_check_env_rows(a, a->cond, N, a->cond_dim, t, "latent", "the agent drew it", err)))
    return -1;
  return cm_fail(err, "NaN guard: the policy's input became non-finite at step %d of training iteration %lld though "
                 "the observations%s are finite (the normalizer's statistics); the last checkpoint "
                 "written is the last good one", t, (long long)a->iter, a->cond_dim ? " and latents" : "");
}

int cm_agent_check_rollout(cm_agent *a, cm_err *err) {
  const cm_exp_buffer *b = &a->buf;
  int N = b->num_envs, n = cm_exp_sample_count(b), k = 0;
  while (k < n && isfinite(b->reward[k])) k++;
  if (k < n)
    return cm_fail(err, "NaN guard: the reward of env %d is %g at step %d of training iteration %lld's rollout (the env "
                   "produced it); the last checkpoint written is the last good one",
                   k % N, (double)b->reward[k], k / N, (long long)a->iter);
  return 0;
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
