#include "learn/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/fault.h"
#include "core/zalloc.h"
#include "learn/gaussian.h"
#include "learn/policy_rows.h"
#include "learn/returns.h"

/* rng streams of the initialisation */
#define STREAM_INIT_ACTOR 11u
#define STREAM_INIT_CRITIC 12u
/* rows per critic forward when critic_eval_batch_size is 0 (only memory differs) */
#define CRITIC_CHUNK 8192

/* ---------------- construction ---------------- */


static void free_workspace(cm_agent *a) {
  float **dev_arrays[] = {&a->mb_obs, &a->mb_nobs, &a->mb_act, &a->mb_na, &a->mb_tar, &a->mb_adv,
                          &a->mb_logp, &a->mb_dout, &a->mb_dmean, &a->mb_terms, &a->mb_aobs, &a->mb_cond, &a->in_dev};
  for (size_t i = 0; i < sizeof dev_arrays / sizeof dev_arrays[0]; i++) {
    cm_dev_free(a->dev, *dev_arrays[i]);
    *dev_arrays[i] = NULL;
  }
}

static int alloc_workspace(cm_agent *a, int rows, cm_err *err) {
  if (rows <= a->ws_rows) return 0;
  size_t r = (size_t)rows, O = (size_t)a->obs_dim, A = (size_t)a->act_dim, C = (size_t)a->cond_dim;
  size_t in_rows = r > (size_t)a->num_envs ? r : (size_t)a->num_envs;
  free_workspace(a);
  size_t x = a->type->actor_extra_rows ? 2 : 1; /* room for the method's extra actor rows */
  a->mb_obs = cm_dev_alloc(a->dev, r * O, err);
  a->mb_nobs = cm_dev_alloc(a->dev, r * O, err);
  a->mb_act = cm_dev_alloc(a->dev, r * A, err);
  a->mb_na = cm_dev_alloc(a->dev, r * A, err);
  a->mb_tar = cm_dev_alloc(a->dev, r, err);
  a->mb_adv = cm_dev_alloc(a->dev, r, err);
  a->mb_logp = cm_dev_alloc(a->dev, r, err);
  a->mb_dout = cm_dev_alloc(a->dev, r, err);
  a->mb_dmean = cm_dev_alloc(a->dev, x * r * A, err);
  a->mb_terms = cm_dev_alloc(a->dev, r * CM_LOSS_TERMS, err);
  int extra_ok = 1;
  if (a->type->actor_extra_rows) {
    a->mb_aobs = cm_dev_alloc(a->dev, x * r * (O + C), err);
    extra_ok = a->mb_aobs != NULL;
  }
  int cond_ok = 1;
  if (C) {
    a->mb_cond = cm_dev_alloc(a->dev, r * C, err);
    a->in_dev = cm_dev_alloc(a->dev, in_rows * (O + C), err);
    cond_ok = a->mb_cond && a->in_dev;
  }
  a->ws_rows = rows;
  if (!a->mb_obs || !a->mb_nobs || !a->mb_act || !a->mb_na || !a->mb_tar || !a->mb_adv || !a->mb_logp ||
      !a->mb_dout || !a->mb_dmean || !a->mb_terms || !extra_ok || !cond_ok) {
    a->ws_rows = 0;
    return cm_fail(err, "%s:%d: agent: out of memory for a mini-batch of %d rows", __FILE__, __LINE__, rows);
  }
  return 0;
}

/* The rollout's arrays on a->dev (a->d): the host arrays themselves on the CPU device. Called
 * after the host arrays exist. */
static int alloc_rollout_dev(cm_agent *a, cm_err *err) {
  if (a->dev->kind == CM_DEV_CPU) {
    a->d.obs = a->obs; a->d.next_obs = a->next_obs; a->d.reward = a->reward; a->d.done = a->done;
    a->d.norm_a = a->norm_a; a->d.action = a->action; a->d.logp = a->logp; a->d.rand_mask = a->rand_mask;
    return 0;
  }
  size_t N = (size_t)a->num_envs, O = (size_t)a->obs_dim, A = (size_t)a->act_dim;
  if (!(a->d.obs = cm_dev_alloc(a->dev, N * O, err)) || !(a->d.next_obs = cm_dev_alloc(a->dev, N * O, err)) ||
      !(a->d.reward = cm_dev_alloc(a->dev, N, err)) ||
      !(a->d.done = (uint8_t *)cm_dev_alloc(a->dev, (N + sizeof(float) - 1) / sizeof(float), err)) ||
      !(a->d.norm_a = cm_dev_alloc(a->dev, N * A, err)) || !(a->d.action = cm_dev_alloc(a->dev, N * A, err)) ||
      !(a->d.logp = cm_dev_alloc(a->dev, N, err)) || !(a->d.rand_mask = cm_dev_alloc(a->dev, N, err)))
    return cm_wrap(err, "the rollout's device arrays");
  return 0;
}

static void free_rollout_dev(cm_agent *a) {
  if (a->dev && a->dev->kind != CM_DEV_CPU) {
    float *p[] = {a->d.obs, a->d.next_obs, a->d.reward, (float *)a->d.done, a->d.norm_a, a->d.action, a->d.logp, a->d.rand_mask};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) cm_dev_free(a->dev, p[i]);
  }
  memset(&a->d, 0, sizeof a->d);
}

int cm_agent_create(const cm_cfg *root, cm_rl_env *env, const cm_dev *dev, uint64_t seed, cm_agent **out,
                    cm_err *err) {
  *out = NULL;
  cm_agent *a = calloc(1, sizeof *a);
  if (!a) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  if (cm_agent_cfg_load(root, &a->cfg, &a->type, err)) {
    free(a);
    return -1;
  }
  a->env = env;
  a->dev = dev;
  a->seed = seed;
  a->comm = cm_comm_world();
  int N = a->num_envs = env->num_envs, O = a->obs_dim = env->obs_dim, A = a->act_dim = env->act_dim;
  a->env0 = (uint32_t)(a->comm->rank * N); /* --num_envs is per rank */
  if (N <= 0 || O <= 0 || A <= 0) {
    free(a);
    return cm_fail(err, "%s:%d: environment has num_envs %d, obs_dim %d, act_dim %d", __FILE__, __LINE__, N, O, A);
  }
  if (a->cfg.batch_size == CM_BATCH_AUTO) a->cfg.batch_size = cm_auto_batch_size(a->cfg.steps_per_iter, N);
  /* the method's keys and state first: it may widen the nets' input (cond_dim) */
  if (a->type->create && a->type->create(a, root, err)) {
    cm_agent_destroy(a);
    return -1;
  }
  int IN = O + a->cond_dim;

  /* Action normalizer from the bounds: mean (high+low)/2, std (high-low)/2 (base_agent). */
  float *am = malloc((size_t)A * sizeof(float)), *as = malloc((size_t)A * sizeof(float));
  int rc = -1;
  if (!am || !as) {
    cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
    goto fail;
  }
  a->bounds_finite = 1;
  for (int j = 0; j < A; j++) {
    float lo = env->action_low[j], hi = env->action_high[j];
    if (!isfinite(lo) || !isfinite(hi)) a->bounds_finite = 0;
    am[j] = 0.5f * (hi + lo);
    as[j] = 0.5f * (hi - lo);
    if (!(as[j] > 0.f) || !isfinite(as[j]) || !isfinite(am[j])) {
      cm_fail(err, "%s:%d: action %d has bounds [%g, %g]: the action normalizer needs finite bounds with high > low",
              __FILE__, __LINE__, j, (double)lo, (double)hi);
      goto fail;
    }
  }
  if (cm_norm_create(&a->obs_norm, dev, "_obs_norm", O, 10.f, 1e-4f, a->cfg.normalizer_samples, err) ||
      cm_norm_create(&a->a_norm, dev, "_a_norm", A, INFINITY, 1e-4f, INFINITY, err) ||
      cm_norm_set_mean_std(&a->a_norm, am, as, err))
    goto fail;

  if (cm_mlp_create(&a->actor, dev, a->cfg.actor_net, IN, A, "_model._actor_layers", "_model._action_dist._mean_net",
                    err) ||
      cm_mlp_init(&a->actor, seed, STREAM_INIT_ACTOR, a->cfg.actor_init_output_scale, err) ||
      cm_gauss_logstd_create(&a->logstd, dev, A, a->cfg.action_std, err) ||
      cm_mlp_create(&a->critic, dev, a->cfg.critic_net, IN, 1, "_model._critic_layers", "_model._critic_out", err) ||
      cm_mlp_init(&a->critic, seed, STREAM_INIT_CRITIC, 0.f, err))
    goto fail;

  /* torch's order: the core model's parameters, then the method's (self.parameters()) */
  cm_param *params[CM_AGENT_MAX_PARAMS];
  int np = cm_mlp_params(&a->actor, params, CM_AGENT_MAX_PARAMS);
  np += cm_mlp_params(&a->critic, params + np, CM_AGENT_MAX_PARAMS - np);
  if (a->type->params) np += a->type->params(a, params + np, CM_AGENT_MAX_PARAMS - np);
  if (cm_optim_create(&a->optim, dev, &a->cfg.optim, params, np, err)) goto fail;
  /* every rank starts from rank 0's parameters (MimicKit MPOptimizer.sync) */
  for (int i = 0; i < np; i++)
    if (cm_comm_bcast_dev(a->comm, dev, params[i]->data, params[i]->n, params[i]->name, err)) goto fail;

  /* the mini-batch shuffles differ per rank (MimicKit offsets a rank's seed by 41 * rank) */
  uint64_t shuffle_seed = seed + 41u * (uint64_t)a->comm->rank;
  if (cm_exp_create(&a->buf, dev, a->cfg.steps_per_iter, N, O, A, shuffle_seed, err) || cm_rtrack_create(&a->train_ret, dev, N, err) ||
      cm_rtrack_create(&a->test_ret, dev, N, err))
    goto fail;
  size_t n = (size_t)N;
  a->obs = cm_dev_host_alloc(dev, n * O * sizeof(float), err);
  a->next_obs = cm_dev_host_alloc(dev, n * O * sizeof(float), err);
  a->reward = cm_dev_host_alloc(dev, n * sizeof(float), err);
  a->done = cm_dev_host_alloc(dev, n, err);
  a->norm_obs = cm_dev_alloc(dev, n * O, err);
  a->norm_a = cm_dev_host_alloc(dev, n * A * sizeof(float), err);
  a->action = cm_dev_host_alloc(dev, n * A * sizeof(float), err);
  a->logp = cm_dev_host_alloc(dev, n * sizeof(float), err);
  a->rand_mask = cm_dev_host_alloc(dev, n * sizeof(float), err);
  a->logstd_h = cm_dev_host_alloc(dev, (size_t)A * sizeof(float), err);
  if (alloc_rollout_dev(a, err)) goto fail;
  a->env_dev = env->on_device && env->reset_dev && env->step_dev && dev->kind == CM_DEV_CUDA && dev->index == env->device;
  if (a->cond_dim) {
    a->cond = cm_dev_alloc(dev, n * a->cond_dim, err);
    a->buf_cond = cm_dev_alloc(dev, (size_t)cm_exp_capacity(&a->buf) * a->cond_dim, err);
  }
  if (!a->obs || !a->next_obs || !a->reward || !a->done || !a->norm_obs || !a->norm_a || !a->action || !a->logp ||
      !a->rand_mask || !a->logstd_h || (a->cond_dim && (!a->cond || !a->buf_cond))) {
    cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
    goto fail;
  }
  int mb = cm_minibatch_size(a->cfg.batch_size, N);
  int cap = cm_exp_capacity(&a->buf);
  if (mb > cap) mb = cap; /* a mini-batch never needs more rows than the buffer holds */
  int crit = a->cfg.critic_eval_batch_size > 0 ? a->cfg.critic_eval_batch_size : CRITIC_CHUNK;
  if (alloc_workspace(a, mb > crit ? mb : crit, err)) goto fail;
  a->mode = CM_RL_TRAIN;
  rc = 0;
fail:
  free(am);
  free(as);
  if (rc) {
    cm_agent_destroy(a);
    return -1;
  }
  *out = a;
  return 0;
}

int cm_agent_create_file(const char *path, cm_rl_env *env, const cm_dev *dev, uint64_t seed, cm_agent **out,
                         cm_err *err) {
  cm_cfg *root = NULL;
  if (cm_cfg_load(path, &root, err)) return -1;
  int rc = cm_agent_create(root, env, dev, seed, out, err);
  cm_cfg_free(root);
  return rc;
}

void cm_agent_destroy(cm_agent *a) {
  if (!a) return;
  if (a->impl && a->type->destroy) a->type->destroy(a);
  free(a->impl);
  cm_dev_free(a->dev, a->cond);
  cm_dev_free(a->dev, a->buf_cond);
  free(a->grad_flat);
  cm_dev_free(a->dev, (float *)a->its_d);
  if (a->dev && a->dev->kind != CM_DEV_CPU) cm_dev_host_free(a->dev, a->its_h);
  free(a->mb_rec);
  free(a->guards);
  if (a->obs_norm.dev) cm_norm_destroy(&a->obs_norm);
  if (a->a_norm.dev) cm_norm_destroy(&a->a_norm);
  if (a->actor.dev) cm_mlp_destroy(&a->actor);
  if (a->critic.dev) cm_mlp_destroy(&a->critic);
  if (a->logstd.data) cm_param_release(&a->logstd, a->dev);
  if (a->optim.dev) cm_optim_destroy(&a->optim);
  cm_exp_destroy(&a->buf);
  free(a->idx_h);
  free(a->mb_rand);
  if (a->idx_d) a->dev->ops->free(a->idx_d);
  if (a->idx_hd) a->dev->ops->free(a->idx_hd);
  cm_rtrack_destroy(&a->train_ret);
  cm_rtrack_destroy(&a->test_ret);
  free_rollout_dev(a);
  cm_dev_host_free(a->dev, a->obs);
  cm_dev_free(a->dev, a->norm_obs);
  cm_dev_host_free(a->dev, a->next_obs);
  cm_dev_host_free(a->dev, a->reward);
  cm_dev_host_free(a->dev, a->done);
  cm_dev_host_free(a->dev, a->norm_a);
  cm_dev_host_free(a->dev, a->action);
  cm_dev_host_free(a->dev, a->logp);
  cm_dev_host_free(a->dev, a->rand_mask);
  cm_dev_host_free(a->dev, a->logstd_h);
  free_workspace(a);
  free(a);
}

/* ---------------- rollouts ---------------- */

void cm_agent_set_mode(cm_agent *a, cm_rl_mode mode) {
  a->mode = mode;
  if (a->env->set_mode) a->env->set_mode(a->env->ctx, mode);
}

/* Host <-> device copies of a rollout array, skipped where both are the same memory (the CPU). */
static void to_host(const cm_agent *a, void *host, const void *dev, size_t bytes) {
  if (host != dev) a->dev->ops->download(host, dev, bytes);
}
static void to_dev(const cm_agent *a, void *dev, const void *host, size_t bytes) {
  if (host != dev) a->dev->ops->upload(dev, host, bytes);
}

/* The env steps on a->dev's arrays now (not while a video's observer reads the host env). */
int cm_agent_env_on_dev(const cm_agent *a) { return a->env_dev && (!a->env->dev_ready || a->env->dev_ready(a->env->ctx)); }

void cm_agent_policy_to_host(cm_agent *a) {
  size_t N = (size_t)a->num_envs, A = (size_t)a->act_dim;
  to_host(a, a->obs, a->d.obs, N * a->obs_dim * sizeof(float));
  to_host(a, a->action, a->d.action, N * A * sizeof(float));
  to_host(a, a->norm_a, a->d.norm_a, N * A * sizeof(float));
  to_host(a, a->logp, a->d.logp, N * sizeof(float));
  to_host(a, a->rand_mask, a->d.rand_mask, N * sizeof(float));
}

int cm_agent_reset_envs(cm_agent *a, cm_err *err) {
  size_t obs_bytes = (size_t)a->num_envs * a->obs_dim * sizeof(float);
  if (cm_agent_env_on_dev(a)) {
    if (a->env->reset_dev(a->env->ctx, a->d.obs, err)) return cm_wrap(err, "resetting the environments");
  } else {
    if (a->env->reset(a->env->ctx, a->obs, err)) return cm_wrap(err, "resetting the environments");
    to_dev(a, a->d.obs, a->obs, obs_bytes);
  }
  if (a->type->on_reset) a->type->on_reset(a);
  return 0;
}

const float *cm_agent_logstd(cm_agent *a) { return cm_dev_read(a->dev, a->logstd.data, a->logstd_h, (size_t)a->act_dim); }

int cm_agent_need_norm_update(const cm_agent *a) { return (double)a->sample_count < a->cfg.normalizer_samples; }

const float *cm_agent_net_input(cm_agent *a, float *nobs, const float *obs, const float *cond, int rows) {
  int O = a->obs_dim, C = a->cond_dim;
  cm_norm_normalize(&a->obs_norm, nobs, obs, rows);
  if (!C) return nobs;
  /* [norm_obs, cond] as MimicKit's torch.cat, on the device */
  a->dev->ops->concat_cols(a->in_dev, nobs, O, cond, C, rows);
  return a->in_dev;
}

double cm_agent_exp_prob(const cm_agent *a) {
  const cm_agent_cfg *c = &a->cfg;
  if (!isfinite(c->exp_anneal_samples)) return c->exp_prob_beg;
  double l = (double)a->sample_count / c->exp_anneal_samples;
  l = l < 0 ? 0 : (l > 1 ? 1 : l);
  return (1.0 - l) * c->exp_prob_beg + l * c->exp_prob_end;
}

int cm_agent_decide_action(cm_agent *a, cm_err *err) {
  double t0 = cm_now_seconds();
  int N = a->num_envs, train = a->mode == CM_RL_TRAIN;
  const float *in = cm_agent_net_input(a, a->norm_obs, a->d.obs, a->cond, N);
  /* the NaN guard on a rollout step's policy input: its sum of squares into the step's slot of
   * the iteration's stats, checked once the rollout is done (cm_agent_check_rollout) */
  if (train && a->guard_slot)
    a->dev->ops->sum_sq_dev(in, (size_t)N * (a->obs_dim + a->cond_dim), cm_agent_its_at(a, a->guard_slot - 1));
  if (cm_mlp_forward(&a->actor, in, N, err)) return -1;
  cm_policy_act_args p = {
      .act_dim = a->act_dim, .train = train, .exp_prob = train ? cm_agent_exp_prob(a) : 0.0,
      .seed = a->seed, .step = a->rng_step, .env0 = a->env0,
      .mean = cm_mlp_out(&a->actor), .logstd = a->logstd.data, .a_mean = a->a_norm.mean, .a_std = a->a_norm.std,
      .norm_a = a->d.norm_a, .logp = a->d.logp, .rand_mask = a->d.rand_mask, .action = a->d.action};
  a->dev->ops->policy_act(&p, N);
  a->rng_step++;
  if (train) a->prof.policy += cm_now_seconds() - t0; /* test time is the trainer's */
  return 0;
}

/* One env step on the rollout's device arrays (a->d): a device env steps them in place (its
 * reward and done stay there); a host env gets the actions down and its outputs go up. The
 * return tracker checks reward and done (cm_agent_check_rollout, the test's stopping rule). */
static int env_step(cm_agent *a, cm_err *err) {
  double t0 = cm_now_seconds();
  size_t N = (size_t)a->num_envs, obs_bytes = N * a->obs_dim * sizeof(float);
  cm_rl_env *e = a->env;
  if (cm_agent_env_on_dev(a)) {
    if (e->step_dev(e->ctx, a->d.action, a->d.next_obs, a->d.obs, a->d.reward, a->d.done, err))
      return cm_wrap(err, "environment step");
  } else {
    to_host(a, a->action, a->d.action, N * a->act_dim * sizeof(float));
    if (e->step(e->ctx, a->action, a->next_obs, a->obs, a->reward, a->done, err)) return cm_wrap(err, "environment step");
    to_dev(a, a->d.next_obs, a->next_obs, obs_bytes);
    to_dev(a, a->d.obs, a->obs, obs_bytes);
    to_dev(a, a->d.reward, a->reward, N * sizeof(float));
    to_dev(a, a->d.done, a->done, N);
  }
  if (a->mode == CM_RL_TRAIN) a->prof.env += cm_now_seconds() - t0;
  return 0;
}

/* The first env whose step now returned a non-finite reward or a done flag beyond
 * CM_DONE_TIME (the tracker counted one), named from the step's arrays. */
static int bad_step(cm_agent *a, cm_err *err) {
  size_t N = (size_t)a->num_envs;
  to_host(a, a->reward, a->d.reward, N * sizeof(float));
  to_host(a, a->done, a->d.done, N);
  for (size_t i = 0; i < N; i++)
    if (!isfinite(a->reward[i]) || a->done[i] > CM_DONE_TIME)
      return cm_fail(err, "%s:%d: environment step: env %zu returned reward %g, done %d", __FILE__, __LINE__, i,
                     (double)a->reward[i], a->done[i]);
  return cm_fail(err, "%s:%d: environment step: the return tracker saw a bad reward or done flag", __FILE__, __LINE__);
}

static int rollout_train(cm_agent *a, cm_err *err) {
  int N = a->num_envs, O = a->obs_dim, A = a->act_dim;
  size_t n = (size_t)N, g;
  cm_exp_buffer *b = &a->buf;
  for (int t = 0; t < a->cfg.steps_per_iter; t++) {
    if (t == 1 && cm_fault_nan_at((long)a->iter, "obs")) cm_dev_upload(a->dev, a->d.obs + (size_t)(1 % N) * O + 2 % O, &(float){NAN}, 1);
    if (cm_agent_guard_rows(a, NULL, N, O + a->cond_dim, t, "policy input", NULL, &g, err)) return -1;
    a->guard_slot = g + 1;
    int rc = cm_agent_decide_action(a, err);
    a->guard_slot = 0;
    if (rc) return -1;
    size_t s = (size_t)cm_exp_slot(b);
    cm_exp_store(b, b->obs + s * O, a->d.obs, n * O * sizeof(float), 1);
    cm_exp_store(b, b->action + s * A, a->d.action, n * A * sizeof(float), 1);
    cm_exp_store(b, b->a_logp + s, a->d.logp, n * sizeof(float), 1);
    cm_exp_store(b, b->rand_mask + s, a->d.rand_mask, n * sizeof(float), 1);
    if (a->cond_dim) a->dev->ops->copy(a->buf_cond + s * a->cond_dim, a->cond, n * a->cond_dim);
    if (cm_agent_need_norm_update(a)) cm_norm_record(&a->obs_norm, a->d.obs, N);

    if (env_step(a, err)) return -1;
    cm_exp_store(b, b->next_obs + s * O, a->d.next_obs, n * O * sizeof(float), 1);
    if (t == 1 && cm_fault_nan_at((long)a->iter, "reward")) cm_dev_upload(a->dev, a->d.reward + 1 % N, &(float){NAN}, 1);
    cm_rtrack_update(&a->train_ret, a->d.reward, a->d.done);
    cm_exp_store(b, b->reward + s, a->d.reward, n * sizeof(float), 1);
    cm_exp_store(b, b->done + s, a->d.done, n, 1);
    if (a->type->after_step && a->type->after_step(a, (int)s, err)) return -1;
    cm_exp_inc(b);
  }
  return 0;
}

int cm_agent_eval_critic(cm_agent *a, const float *obs, int rows, float *vals, cm_err *err) {
  return cm_agent_eval_critic_cond(a, obs, NULL, rows, vals, err);
}

int cm_agent_eval_critic_cond(cm_agent *a, const float *obs, const float *cond, int rows, float *vals, cm_err *err) {
  int chunk = a->cfg.critic_eval_batch_size > 0 ? a->cfg.critic_eval_batch_size : CRITIC_CHUNK;
  if (chunk > a->ws_rows) chunk = a->ws_rows;
  if (a->cond_dim && !cond) return cm_fail(err, "%s:%d: critic of a conditioned agent needs its cond rows", __FILE__, __LINE__);
  for (int r0 = 0; r0 < rows; r0 += chunk) {
    int n = rows - r0 < chunk ? rows - r0 : chunk;
    const float *in = cm_agent_net_input(a, a->mb_nobs, obs + (size_t)r0 * a->obs_dim,
                                         cond ? cond + (size_t)r0 * a->cond_dim : NULL, n);
    if (cm_mlp_forward(&a->critic, in, n, err)) return -1;
    a->dev->ops->copy(vals + r0, cm_mlp_out(&a->critic), (size_t)n); /* vals: host or device */
  }
  return 0;
}

/* Mean and sample variance of the random-action advantages over every rank's samples: the
 * arithmetic of cm_adv_stats on the global batch (for one rank the same numbers, bit for bit);
 * MimicKit averages the ranks' means and variances instead. Device reductions, then 3 doubles
 * across ranks; one rank needs no exchange, and both passes come down in one copy. */
static int adv_stats(cm_agent *a, int n, const float *adv, const float *mask, double *mean, double *var, cm_err *err) {
  double st[2 * CM_STATS_N];
  if (a->comm->size <= 1) { /* the rank's mean is the global one: both passes in one trip */
    a->dev->ops->masked_stats2(adv, mask, (size_t)n, st);
    double c = st[CM_STAT_COUNT];
    *mean = cm_stats_center(st);
    *var = c > 1 ? st[CM_STATS_N + CM_STAT_SUM_SQ] / (c - 1) : 0.0;
    return 0;
  }
  a->dev->ops->masked_stats(adv, mask, (size_t)n, 0.0, st);
  double s[2] = {st[CM_STAT_COUNT], st[CM_STAT_SUM]};
  if (cm_comm_allreduce_f64(a->comm, s, 2, CM_RED_SUM, "advantage sums", err)) return -1;
  *mean = s[0] > 0 ? s[1] / s[0] : 0.0;
  a->dev->ops->masked_stats(adv, mask, (size_t)n, *mean, st);
  double ss = st[CM_STAT_SUM_SQ];
  if (cm_comm_allreduce_f64(a->comm, &ss, 1, CM_RED_SUM, "advantage moments", err)) return -1;
  *var = s[0] > 1 ? ss / (s[0] - 1) : 0.0;
  return 0;
}

/* All on the buffer's device arrays; buf.adv holds the next values, then the values, then the
 * advantages. */
int cm_agent_compute_advantages(cm_agent *a, double *adv_mean, double *adv_std, cm_err *err) {
  cm_exp_buffer *b = &a->buf;
  double mean, var;
  if (cm_agent_raw_advantages(a, err) || adv_stats(a, b->steps * b->num_envs, b->adv, b->rand_mask, &mean, &var, err))
    return -1;
  *adv_mean = mean;
  *adv_std = sqrt(var);
  return 0;
}

int cm_agent_raw_advantages(cm_agent *a, cm_err *err) {
  cm_exp_buffer *b = &a->buf;
  const cm_ops *ops = a->dev->ops;
  int T = b->steps, N = b->num_envs, n = T * N;
  if (cm_agent_eval_critic_cond(a, b->next_obs, a->buf_cond, n, b->adv, err)) return -1;
  float g = (float)a->cfg.discount;
  float succ_val = (float)(a->env->reward_succ / (1.0 - a->cfg.discount));
  float fail_val = (float)(a->env->reward_fail / (1.0 - a->cfg.discount));
  ops->bootstrap_done(b->adv, b->done, (size_t)n, succ_val, fail_val);
  ops->td_lambda(T, N, b->reward, b->adv, b->done, g, (float)a->cfg.td_lambda, b->tar_val);
  if (cm_agent_eval_critic_cond(a, b->obs, a->buf_cond, n, b->adv, err)) return -1;
  ops->scale((size_t)n, -1.f, b->adv); /* adv = tar_val - vals, exactly: -v + t */
  ops->axpy((size_t)n, 1.f, b->tar_val, b->adv);
  return 0;
}

int cm_agent_late_mean_std(cm_agent *a, const float *x, const float *mask, size_t n, const char *mean_key,
                           const char *std_key, double if_single, cm_stats *out, size_t *off, cm_err *err) {
  if (a->late_n == CM_LATE_MAX)
    return cm_fail(err, "%s:%d: more than %d late statistics in one iteration", __FILE__, __LINE__, CM_LATE_MAX);
  size_t o;
  if (cm_agent_its_take(a, 2 * CM_STATS_N, &o, err)) return -1;
  a->dev->ops->masked_stats2_dev(x, mask, n, cm_agent_its_at(a, o));
  a->late[a->late_n++] = (struct cm_late_stat){mean_key, std_key, if_single, o};
  cm_stats_set(out, mean_key, NAN);
  cm_stats_set(out, std_key, NAN);
  if (off) *off = o;
  return 0;
}

void cm_agent_late_stats(cm_agent *a, cm_stats *out) {
  const double *its = cm_agent_its_read(a); /* the update's read brought them: nothing more comes down */
  for (int i = 0; i < a->late_n; i++) {
    const double *st2 = its + a->late[i].off;
    cm_stats_set(out, a->late[i].mean_key, cm_stats_center(st2));
    cm_stats_set(out, a->late[i].std_key, cm_stats_std(st2, a->late[i].if_single));
  }
  a->late_n = 0;
}

int cm_agent_train_iter(cm_agent *a, cm_stats *info, cm_err *err) {
  if (cm_fault_nan_at((long)a->iter, "loss")) /* the last trained tensor: critic head, or the method's last */
    cm_dev_upload(a->dev, a->optim.params[a->optim.count - 1]->data, &(float){NAN}, 1);
  cm_exp_reset(&a->buf);
  cm_agent_set_mode(a, CM_RL_TRAIN);
  cm_agent_its_reset(a);
  if (rollout_train(a, err) || cm_agent_check_rollout(a, err)) return -1;
  cm_stats data;
  cm_stats_clear(&data);
  double t0 = cm_now_seconds();
  if (a->type->build_train_data(a, &data, err)) return -1;
  double t1 = cm_now_seconds();
  if (cm_agent_update_model(a, info, err)) return -1;
  cm_agent_late_stats(a, &data);
  if (cm_agent_need_norm_update(a)) {
    if (cm_norm_update(&a->obs_norm, err) || cm_agent_check_obs_norm(a, err)) return -1;
    if (a->type->update_normalizers && a->type->update_normalizers(a, err)) return -1;
  }
  a->prof.train_data += t1 - t0;
  a->prof.update += cm_now_seconds() - t1;
  cm_stats_merge(info, &data);
  return 0;
}

/* ---------------- the iteration's stats ---------------- */

void cm_agent_its_reset(cm_agent *a) {
  a->its_used = a->its_read = 0;
  a->guard_n = 0;
  a->late_n = 0;
  if (a->its_cap) a->dev->ops->fill((float *)a->its_d, 0.f, 2 * a->its_cap); /* zero bits: 0.0 */
}

int cm_agent_its_take(cm_agent *a, size_t n, size_t *off, cm_err *err) {
  if (a->its_used + n > a->its_cap) { /* a larger array, the slots so far copied over */
    size_t cap = a->its_cap * 2 > a->its_used + n ? a->its_cap * 2 : a->its_used + n + 64;
    int host = a->dev->kind != CM_DEV_CPU;
    double *d = (double *)cm_dev_alloc(a->dev, 2 * cap, err); /* zeroed */
    double *h = host ? cm_dev_host_alloc(a->dev, cap * sizeof(double), err) : d;
    if (!d || !h) {
      cm_dev_free(a->dev, (float *)d);
      if (host) cm_dev_host_free(a->dev, h);
      return cm_wrap(err, "the iteration's stats (%zu doubles)", cap);
    }
    if (a->its_used) a->dev->ops->copy_bytes(d, a->its_d, a->its_used * sizeof(double));
    if (host && a->its_read) memcpy(h, a->its_h, a->its_read * sizeof(double));
    cm_dev_free(a->dev, (float *)a->its_d);
    if (host) cm_dev_host_free(a->dev, a->its_h);
    a->its_d = d;
    a->its_h = h;
    a->its_cap = cap;
  }
  *off = a->its_used;
  a->its_used += n;
  return 0;
}

double *cm_agent_its_at(cm_agent *a, size_t off) { return a->its_d + off; }

int cm_agent_guard_rows(cm_agent *a, const float *x, int rows, int dim, int step0, const char *what,
                        const char *source, size_t *slot, cm_err *err) {
  if (a->guard_n == a->guard_cap) {
    int cap = a->guard_cap ? 2 * a->guard_cap : 64;
    cm_row_guard *g = realloc(a->guards, (size_t)cap * sizeof *g);
    if (!g) return cm_fail(err, "%s:%d: out of memory for %d NaN guards", __FILE__, __LINE__, cap);
    a->guards = g;
    a->guard_cap = cap;
  }
  size_t off;
  if (cm_agent_its_take(a, 1, &off, err)) return -1;
  a->guards[a->guard_n++] = (cm_row_guard){.slot = off, .x = x, .rows = rows, .dim = dim, .step0 = step0,
                                           .what = what, .source = source};
  if (x) a->dev->ops->sum_sq_dev(x, (size_t)rows * dim, cm_agent_its_at(a, off));
  if (slot) *slot = off;
  return 0;
}

const double *cm_agent_its_read(cm_agent *a) {
  if (a->its_used > a->its_read && a->dev->kind != CM_DEV_CPU)
    a->dev->ops->download(a->its_h + a->its_read, a->its_d + a->its_read, (a->its_used - a->its_read) * sizeof(double));
  a->its_read = a->its_used;
  return a->its_h;
}

/* ---------------- test ---------------- */

void cm_agent_env_stats(cm_agent *a, cm_stats *out) {
  if (!a->env->env_stats) return;
  const char *keys[CM_STATS_MAX];
  double vals[CM_STATS_MAX];
  int n = a->env->env_stats(a->env->ctx, keys, vals, CM_STATS_MAX);
  for (int i = 0; out && i < n; i++) cm_stats_set(out, keys[i], vals[i]);
}

int cm_agent_test(cm_agent *a, int num_episodes, cm_test_result *res, cm_err *err) {
  memset(res, 0, sizeof *res);
  cm_agent_set_mode(a, CM_RL_TEST);
  if (cm_agent_reset_envs(a, err)) return -1;
  cm_return_tracker *t = &a->test_ret;
  cm_rtrack_reset(t);
  if (num_episodes <= 0) return 0;
  cm_agent_env_stats(a, NULL); /* the test figures count test episodes only */
  int N = a->num_envs;
  /* every env finishes at least this many episodes, so short episodes do not bias the mean */
  int64_t min_eps = (num_episodes + N - 1) / N;
  for (;;) {
    if (cm_agent_decide_action(a, err) || env_step(a, err)) return -1;
    if (a->type->after_step && a->type->after_step(a, -1, err)) return -1;
    cm_rtrack_update(t, a->d.reward, a->d.done);
    cm_rtrack_read(t, (int)min_eps); /* the stopping rule: one reduction per step */
    if (t->bad) return bad_step(a, err);
    if (!t->below) break;
  }
  res->mean_return = t->mean_return;
  res->mean_ep_len = t->mean_ep_len;
  res->episodes = t->episodes;
  cm_agent_env_stats(a, &res->env);
  return 0;
}

