/* AMP (MimicKit learning/amp_agent.py, amp_model.py): PPO whose reward is the discriminator's
 * style reward mixed with the task reward,
 *   r = task_reward_weight * r_task + disc_reward_weight * (-log(max(1 - D(s), 1e-4)) * disc_reward_scale),
 * and whose loss adds disc_loss_weight * the discriminator loss in the same optimizer step:
 *   0.5 (BCE(D(agent), 0) + BCE(D(demo), 1)) + disc_grad_penalty * mean ||dD/dx(demo)||^2
 *   + disc_logit_reg * |w_logits|^2 + disc_weight_decay * sum |W|^2.
 * A mini-batch's agent half is its first ceil(disc_batch_size / 2) rows plus as many from the
 * replay buffer; its demo half the first disc_batch_size demo rows (fetched from the env after
 * every rollout). Inputs go through _disc_obs_norm (clip 10). */
#include "learn/amp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fault.h"
#include "learn/trainer.h"

#define STREAM_INIT_DISC 13u

static const char *const k_amp_keys[] = {"disc_buffer_size", "disc_replay_samples", "disc_batch_size",
                                         "disc_loss_weight", "disc_logit_reg", "disc_grad_penalty",
                                         "disc_weight_decay", "disc_reward_scale", "task_reward_weight",
                                         "disc_reward_weight", NULL};
static const char *const k_amp_opt_keys[] = {"disc_eval_batch_size", NULL};
static const char *const k_amp_model_keys[] = {"disc_net", NULL};

void cm_mean_std(const float *x, int n, double *mean, double *std) {
  double s = 0, ss = 0;
  for (int i = 0; i < n; i++) s += x[i];
  double m = n > 0 ? s / n : 0;
  for (int i = 0; i < n; i++) ss += ((double)x[i] - m) * ((double)x[i] - m);
  *mean = m;
  *std = n > 1 ? sqrt(ss / (n - 1)) : NAN; /* torch.std of one value is NaN too */
}

static int get_int(const cm_cfg *root, const char *k, int *out, int min, cm_err *err) {
  long v;
  if (cm_cfg_int(root, k, 0, &v, err)) return -1;
  if (v < min) {
    const cm_cfg *n = cm_cfg_get(root, k);
    return cm_fail(err, "%s:%d: key '%s': must be at least %d, got %ld", n ? n->file : "?", n ? n->line : 0, k, min, v);
  }
  *out = (int)v;
  return 0;
}

static int get_nonneg(const cm_cfg *root, const char *k, double *out, cm_err *err) {
  if (cm_cfg_float(root, k, 0, out, err)) return -1;
  if (!(*out >= 0) || !isfinite(*out)) {
    const cm_cfg *n = cm_cfg_get(root, k);
    return cm_fail(err, "%s:%d: key '%s': must be a finite value >= 0, got %g", n ? n->file : "?", n ? n->line : 0, k,
                   *out);
  }
  return 0;
}

int cm_amp_init(cm_agent *a, cm_amp *m, const cm_cfg *root, cm_err *err) {
  const cm_rl_env *env = a->env;
  if (cm_ppo_load(&m->ppo, root, err)) return -1;
  const char *s;
  if (cm_cfg_str(cm_cfg_get(root, "model"), "disc_net", NULL, &s, err)) return -1;
  snprintf(m->disc_net, sizeof m->disc_net, "%s", s);
  if (get_int(root, "disc_buffer_size", &m->disc_buffer_size, 1, err) ||
      get_int(root, "disc_replay_samples", &m->disc_replay_samples, 0, err) ||
      get_int(root, "disc_batch_size", &m->disc_batch_size, 1, err) ||
      get_nonneg(root, "disc_loss_weight", &m->disc_loss_weight, err) ||
      get_nonneg(root, "disc_logit_reg", &m->disc_logit_reg, err) ||
      get_nonneg(root, "disc_grad_penalty", &m->disc_grad_penalty, err) ||
      get_nonneg(root, "disc_weight_decay", &m->disc_weight_decay, err) ||
      get_nonneg(root, "disc_reward_scale", &m->disc_reward_scale, err) ||
      get_nonneg(root, "task_reward_weight", &m->task_reward_weight, err) ||
      get_nonneg(root, "disc_reward_weight", &m->disc_reward_weight, err))
    return -1;
  if (env->disc_obs_dim <= 0 || !env->disc_obs)
    return cm_fail(err, "agent '%s' needs an environment with a discriminator observation (amp, ase, add, task_*); "
                   "this one has none", a->type->name);
  if (!m->diff && !env->fetch_disc_obs_demo)
    return cm_fail(err, "agent '%s': the environment cannot sample demo observations (fetch_disc_obs_demo)",
                   a->type->name);
  if (m->diff && !env->disc_obs_demo)
    return cm_fail(err, "agent '%s': the environment gives no reference observations (disc_obs_demo)", a->type->name);
  snprintf(m->obs_name, sizeof m->obs_name, "discriminator observation");
  int D = m->D = env->disc_obs_dim;
  size_t n = (size_t)a->cfg.steps_per_iter * a->num_envs, B = (size_t)m->disc_batch_size + 1;
  if (cm_disc_create(&m->disc, a->dev, m->disc_net, D, a->seed, STREAM_INIT_DISC, err) ||
      (m->diff ? cm_diff_norm_create(&m->dnorm, a->dev, "_disc_obs_norm", D, err)
               : cm_norm_create(&m->norm, a->dev, "_disc_obs_norm", D, 10.f, 1e-4f, INFINITY, err)) ||
      cm_replay_create(&m->replay, a->dev, m->disc_buffer_size, D, a->seed ^ 0x5eed0d15cULL, err))
    return -1;
  m->disc_obs = cm_dev_alloc(a->dev, n * D, err);
  m->disc_obs_demo = cm_dev_alloc(a->dev, n * D, err);
  m->disc_r = cm_dev_alloc(a->dev, n, err);
  m->extra_d = cm_dev_alloc(a->dev, n, err);
  m->mb_x = cm_dev_alloc(a->dev, B * D, err);
  m->mb_nx = cm_dev_alloc(a->dev, B * D, err);
  if (!m->disc_obs || !m->disc_obs_demo || !m->disc_r || !m->extra_d || !m->mb_x || !m->mb_nx)
    return cm_fail(err, "%s:%d: agent '%s': out of memory for the discriminator data", __FILE__, __LINE__,
                   a->type->name);
  return 0;
}

static int amp_create(cm_agent *a, const cm_cfg *root, cm_err *err) {
  cm_amp *m = calloc(1, sizeof *m);
  if (!m) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  a->impl = m;
  return cm_amp_init(a, m, root, err);
}

void cm_amp_destroy(cm_agent *a) {
  cm_amp *m = a->impl;
  cm_disc_destroy(&m->disc);
  if (m->norm.dev) cm_norm_destroy(&m->norm);
  cm_diff_norm_destroy(&m->dnorm);
  cm_replay_destroy(&m->replay);
  /* the env outlives the agent: back to its own host arrays before the rows go */
  if (m->step_d) a->env->set_disc_out_dev(a->env->ctx, NULL, NULL);
  cm_dev_free(a->dev, m->step_d);
  cm_dev_free(a->dev, m->step_demo_d);
  cm_dev_free(a->dev, m->disc_obs);
  cm_dev_free(a->dev, m->disc_obs_demo);
  cm_dev_free(a->dev, m->disc_r);
  cm_dev_free(a->dev, m->extra_d);
  cm_dev_host_free(a->dev, m->demo_h);
  cm_dev_free(a->dev, m->mb_x);
  cm_dev_free(a->dev, m->mb_nx);
  if (m->idx_d) a->dev->ops->free(m->idx_d);
}

int cm_amp_params(cm_agent *a, cm_param **out, int max) {
  cm_amp *m = a->impl;
  int n = cm_mlp_params(&m->disc.net, out, max);
  return n < max ? n : max;
}

int cm_amp_save(cm_agent *a, cm_state_dict *sd, int with_train_state, cm_err *err) {
  cm_amp *m = a->impl;
  if (m->diff) return cm_diff_norm_save(&m->dnorm, sd, err) ||
                      (with_train_state && cm_ckpt_add_i64(sd, "_train.disc_obs_norm_count", m->dnorm.count, err));
  return cm_ckpt_add_norm(sd, &m->norm, err) ||
         (with_train_state && cm_ckpt_add_i64(sd, "_train.disc_obs_norm_count", m->norm.count, err));
}

int cm_amp_load(cm_agent *a, const cm_state_dict *sd, const char *src, cm_err *err) {
  cm_amp *m = a->impl;
  int64_t count = -1;
  if (cm_sd_find(sd, "_train.disc_obs_norm_count") &&
      cm_ckpt_get_i64(sd, src, "_train.disc_obs_norm_count", &count, err))
    return -1;
  if (m->diff) {
    if (cm_diff_norm_load(&m->dnorm, sd, src, err)) return -1;
    if (count >= 0) m->dnorm.count = count; /* exact beyond float32's 2^24 */
    return 0;
  }
  if (cm_ckpt_load_norm(&m->norm, sd, src, err)) return -1;
  if (count >= 0) m->norm.count = count;
  return 0;
}

/* Where a step's env rows (host src, or the device rows the env wrote: dev_src) go into the
 * rollout slot x: a device copy, or an upload (a plain copy on the CPU device). */
static void take_rows(cm_agent *a, float *x, const float *dev_src, const float *src, size_t n) {
  if (dev_src) a->dev->ops->copy(x, dev_src, n);
  else cm_dev_upload(a->dev, x, src, n);
}

/* A device env writes the step's rows into the agent's device rows from the next step on. */
static int hand_over_rows(cm_agent *a, cm_amp *m, cm_err *err) {
  size_t n = (size_t)a->num_envs * m->D;
  if (m->step_d || !a->env_dev || !a->env->set_disc_out_dev) return 0;
  m->step_d = cm_dev_alloc(a->dev, n, err);
  if (!m->step_d || (m->diff && !(m->step_demo_d = cm_dev_alloc(a->dev, n, err)))) return -1;
  a->env->set_disc_out_dev(a->env->ctx, m->step_d, m->step_demo_d);
  return 0;
}

int cm_amp_after_step(cm_agent *a, int slot, cm_err *err) {
  if (slot < 0) return 0; /* test: nothing recorded */
  cm_amp *m = a->impl;
  size_t N = (size_t)a->num_envs, D = (size_t)m->D;
  /* the step just taken wrote the device rows if they were handed over before it and it ran on the device */
  int on_dev = m->step_d && m->on_dev_steps && cm_agent_env_on_dev(a);
  float *x = m->disc_obs + (size_t)slot * D;
  take_rows(a, x, on_dev ? m->step_d : NULL, a->env->disc_obs, N * D);
  if (slot == (int)N && cm_fault_nan_at((long)a->iter, "disc_obs")) cm_dev_upload(a->dev, x + (1 % N) * D + 2 % D, &(float){NAN}, 1);
  /* NaN guard where the rows enter (the discriminator's input, and ASE's encoder's), checked
   * with the rollout's others when it ends */
  if (cm_agent_guard_rows(a, x, (int)N, (int)D, slot / (int)N, m->obs_name, "the env produced it", NULL, err))
    return -1;
  if (m->diff) {
    float *y = m->disc_obs_demo + (size_t)slot * D;
    take_rows(a, y, on_dev ? m->step_demo_d : NULL, a->env->disc_obs_demo, N * D);
    if (slot == (int)N && cm_fault_nan_at((long)a->iter, "disc_demo")) cm_dev_upload(a->dev, y + (1 % N) * D + 2 % D, &(float){NAN}, 1);
    if (cm_agent_guard_rows(a, y, (int)N, (int)D, slot / (int)N, "demo observation", "the env's reference motion "
                            "produced it", NULL, err))
      return -1;
  } else if (cm_agent_need_norm_update(a)) {
    cm_norm_record(&m->norm, x, (int)N);
  }
  if (hand_over_rows(a, m, err)) return -1;
  m->on_dev_steps = m->step_d != NULL;
  return 0;
}

int cm_amp_update_normalizers(cm_agent *a, cm_err *err) {
  cm_amp *m = a->impl;
  if (m->diff) {
    if (cm_diff_norm_reduce(&m->dnorm, err)) return -1;
    cm_diff_norm_update(&m->dnorm);
    return 0;
  }
  return cm_norm_update(&m->norm, err);
}

void cm_amp_normalize(cm_amp *m, float *y, const float *x, int rows) {
  if (m->diff) cm_diff_norm_normalize(&m->dnorm, y, x, rows);
  else cm_norm_normalize(&m->norm, y, x, rows);
}

int cm_amp_disc_rewards(cm_agent *a, const float *x, int rows, float *r, cm_err *err) {
  cm_amp *m = a->impl;
  int chunk = m->disc_batch_size + 1;
  for (int r0 = 0; r0 < rows; r0 += chunk) {
    int n = rows - r0 < chunk ? rows - r0 : chunk;
    cm_amp_normalize(m, m->mb_nx, x + (size_t)r0 * m->D, n);
    if (cm_disc_logits(&m->disc, m->mb_nx, n, r + r0, err)) return -1;
  }
  a->dev->ops->disc_reward(r, r, (size_t)rows, (float)m->disc_reward_scale); /* the logits become the rewards */
  return 0;
}

/* n demo rows into the device rows out: fetched there by a device env, else on the host (into
 * out itself on the CPU device, else pinned staging and one upload) */
static int fetch_demo(cm_agent *a, cm_amp *m, int n, float *out, cm_err *err) {
  const cm_rl_env *e = a->env;
  size_t k = (size_t)n * m->D;
  if (e->fetch_disc_obs_demo_dev && cm_agent_env_on_dev(a)) return e->fetch_disc_obs_demo_dev(e->ctx, n, out, err);
  if (a->dev->kind == CM_DEV_CPU) return e->fetch_disc_obs_demo(e->ctx, n, out, err);
  if (!m->demo_h && !(m->demo_h = cm_dev_host_alloc(a->dev, k * sizeof(float), err))) return -1;
  if (e->fetch_disc_obs_demo(e->ctx, n, m->demo_h, err)) return -1;
  cm_dev_upload(a->dev, out, m->demo_h, k);
  return 0;
}

/* The demo rows' NaN guard's search: the first non-finite element of the x rows, named. */
static int demo_search(cm_agent *a, const cm_row_guard *g, cm_err *err) {
  size_t k = (size_t)g->rows * g->dim;
  float *h;
  const float *v = cm_agent_rows_for_search(a, g->x, k, &h, "demo observation", err);
  if (!v) return -1;
  size_t j = 0;
  while (j < k && isfinite(v[j])) j++;
  int rc = 0;
  if (j < k)
    rc = cm_fail(err, "NaN guard: element %d of demo observation %d of the %d sampled for the discriminator is %g "
                 "at training iteration %lld (the reference motions produced it); the last checkpoint written "
                 "is the last good one", (int)(j % g->dim), (int)(j / g->dim), g->rows, (double)v[j],
                 (long long)a->iter);
  free(h);
  return rc;
}

int cm_amp_record_demo(cm_agent *a, cm_err *err) {
  cm_amp *m = a->impl;
  int n = cm_exp_capacity(&a->buf);
  float *y = m->disc_obs_demo;
  if (fetch_demo(a, m, n, y, err)) return cm_wrap(err, "sampling %d demo observations", n);
  if (cm_fault_nan_at((long)a->iter, "disc_demo")) cm_dev_upload(a->dev, y + (size_t)(1 % n) * m->D + 2 % m->D, &(float){NAN}, 1);
  /* NaN guard: their sum of squares waits in the iteration's stats, checked when the update's
   * come down, before any mini-batch's statistics (the search only on failure) */
  if (n > 0) {
    if (cm_agent_guard_rows(a, y, n, m->D, 0, "demo observation", NULL, NULL, err)) return -1;
    a->guards[a->guard_n - 1].search = demo_search;
  }
  cm_norm_record(&m->norm, y, n); /* MimicKit records the demo rows unconditionally */
  return cm_replay_store(&m->replay, m->disc_obs, n, m->disc_replay_samples, err);
}

int cm_amp_mix_rewards(cm_agent *a, const float *x, const float *extra, double extra_w, cm_stats *out, cm_err *err) {
  cm_amp *m = a->impl;
  int n = cm_exp_capacity(&a->buf);
  const cm_ops *ops = a->dev->ops;
  if (cm_amp_disc_rewards(a, x, n, m->disc_r, err)) return -1;
  float tw = (float)m->task_reward_weight, dw = (float)m->disc_reward_weight, ew = (float)extra_w;
  /* the style rewards stay on the device (and a method's extra rewards: ASE's), the buffer's
   * rewards are mixed where they live */
  ops->reward_mix(a->buf.reward, m->disc_r, extra, (size_t)n, tw, dw, ew);
  /* torch.std_mean of the style rewards (cm_mean_std's sums in its order on the CPU), read
   * with the update's stats */
  return cm_agent_late_mean_std(a, m->disc_r, NULL, (size_t)n, "Disc_Reward_Mean", "Disc_Reward_Std", NAN, out,
                                NULL, err);
}

static int amp_build_train_data(cm_agent *a, cm_stats *out, cm_err *err) {
  cm_amp *m = a->impl;
  cm_stats rew;
  cm_stats_clear(&rew);
  if (cm_amp_record_demo(a, err) || cm_amp_mix_rewards(a, m->disc_obs, NULL, 0, &rew, err) ||
      cm_ppo_build_train_data(a, out, err))
    return -1;
  cm_stats_merge(out, &rew); /* MimicKit's order: adv_mean, adv_std, disc_reward_mean, disc_reward_std */
  return 0;
}

const int *cm_amp_dev_idx(cm_agent *a, const int *idx, int rows, cm_err *err) {
  cm_amp *m = a->impl;
  if (a->aux_idx_d) return a->aux_idx_d;
  if (rows > m->idx_cap) {
    if (m->idx_d) a->dev->ops->free(m->idx_d);
    m->idx_d = a->dev->ops->alloc((size_t)rows * sizeof(int));
    m->idx_cap = m->idx_d ? rows : 0;
    if (!m->idx_d) return cm_fail(err, "%s:%d: out of memory for %d indices", __FILE__, __LINE__, rows), NULL;
  }
  if (rows > 0) a->dev->ops->upload(m->idx_d, idx, (size_t)rows * sizeof(int));
  return m->idx_d;
}

/* The disc loss's slots of the iteration's stats (from rec->off): each class's sums
 * (cm_disc_bce_dev), then the logit-layer and weight-decay sums of squares. */
enum { AMP_DEMO = 0, AMP_AGENT = CM_DISC_SUMS, AMP_LOGIT = 2 * CM_DISC_SUMS, AMP_WD, AMP_SLOTS };

int cm_amp_disc_loss(cm_agent *a, const int *idx, int rows, cm_aux_rec *rec, cm_err *err) {
  cm_amp *m = a->impl;
  const cm_ops *ops = a->dev->ops;
  int B = m->disc_batch_size, nd = B < rows ? B : rows, na = (B + 1) / 2;
  if (na > rows) na = rows;
  float w = (float)m->disc_loss_weight;
  if (cm_agent_its_take(a, AMP_SLOTS, &rec->off, err)) return -1;
  const int *idx_d = cm_amp_dev_idx(a, idx, rows, err);
  if (!idx_d) return -1;
  /* demo rows: BCE against 1 and the gradient penalty */
  ops->gather_rows(m->mb_x, m->disc_obs_demo, m->D, idx_d, nd);
  cm_amp_normalize(m, m->mb_nx, m->mb_x, nd);
  if (cm_disc_bce_dev(&m->disc, m->mb_nx, nd, 1, 0.5f * w, w * (float)m->disc_grad_penalty,
                      cm_agent_its_at(a, rec->off + AMP_DEMO), err))
    return -1;
  /* agent rows: the mini-batch's first na and as many replayed, one class of na + na rows */
  if (2 * na > B + 1) return cm_fail(err, "%s:%d: discriminator batch overflow", __FILE__, __LINE__);
  ops->gather_rows(m->mb_x, m->disc_obs, m->D, idx_d, na);
  if (cm_replay_sample(&m->replay, na, m->mb_x + (size_t)na * m->D, err)) return -1;
  cm_amp_normalize(m, m->mb_nx, m->mb_x, 2 * na);
  if (cm_disc_bce_dev(&m->disc, m->mb_nx, 2 * na, 0, 0.5f * w, 0.f, cm_agent_its_at(a, rec->off + AMP_AGENT), err))
    return -1;
  if (m->disc_logit_reg != 0)
    cm_disc_weight_sq_dev(&m->disc, 1, w * (float)m->disc_logit_reg, cm_agent_its_at(a, rec->off + AMP_LOGIT));
  if (m->disc_weight_decay != 0)
    cm_disc_weight_sq_dev(&m->disc, 0, w * (float)m->disc_weight_decay, cm_agent_its_at(a, rec->off + AMP_WD));
  return 0;
}

void cm_amp_disc_stats(cm_agent *a, const cm_aux_rec *rec, const double *its, double *loss, cm_stats *st) {
  cm_amp *m = a->impl;
  const double *v = its + rec->off;
  int B = m->disc_batch_size, rows = rec->rows, nd = B < rows ? B : rows, na = (B + 1) / 2;
  if (na > rows) na = rows;
  cm_disc_term demo, agent;
  cm_disc_term_of(v + AMP_DEMO, nd, &demo);
  cm_disc_term_of(v + AMP_AGENT, 2 * na, &agent);
  double dl = 0.5 * (agent.loss + demo.loss) + m->disc_grad_penalty * demo.grad_penalty;
  cm_stats_set(st, "Disc_Loss", 0); /* keeps MimicKit's column order; set below */
  cm_stats_set(st, "Disc_Grad_Penalty", demo.grad_penalty);
  cm_stats_set(st, "Disc_Agent_Acc", agent.acc);
  cm_stats_set(st, "Disc_Demo_Acc", demo.acc);
  cm_stats_set(st, "Disc_Agent_Logit", agent.logit_mean);
  cm_stats_set(st, "Disc_Demo_Logit", demo.logit_mean);
  if (m->disc_logit_reg != 0) {
    double l = v[AMP_LOGIT];
    dl += m->disc_logit_reg * l;
    cm_stats_set(st, "Disc_Logit_Loss", l);
  }
  if (m->disc_weight_decay != 0) {
    double l = v[AMP_WD];
    dl += m->disc_weight_decay * l;
    cm_stats_set(st, "Disc_Weight_Decay", l);
  }
  cm_stats_set(st, "Disc_Loss", dl);
  *loss = m->disc_loss_weight * dl;
}

const cm_agent_type cm_agent_amp = {
    .name = "AMP",
    .base = &cm_agent_ppo,
    .keys = k_amp_keys,
    .opt_keys = k_amp_opt_keys,
    .model_keys = k_amp_model_keys,
    .create = amp_create,
    .destroy = cm_amp_destroy,
    .params = cm_amp_params,
    .save = cm_amp_save,
    .load = cm_amp_load,
    .after_step = cm_amp_after_step,
    .build_train_data = amp_build_train_data,
    .aux_loss = cm_amp_disc_loss,
    .aux_stats = cm_amp_disc_stats,
    .update_normalizers = cm_amp_update_normalizers,
};
