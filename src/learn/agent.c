#include "learn/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/zalloc.h"
#include "learn/gaussian.h"
#include "learn/returns.h"

/* rng streams of the rollout */
#define STREAM_ACTION_NOISE 1u
#define STREAM_EXPLORE_MASK 2u
/* rng streams of the initialisation */
#define STREAM_INIT_ACTOR 11u
#define STREAM_INIT_CRITIC 12u
/* rows per critic forward when critic_eval_batch_size is 0 (only memory differs) */
#define CRITIC_CHUNK 8192

/* ---------------- stats ---------------- */

void cm_stats_clear(cm_stats *s) { s->count = 0; }

static int stats_find(const cm_stats *s, const char *key) {
  for (int i = 0; i < s->count; i++)
    if (!strcmp(s->keys[i], key)) return i;
  return -1;
}

void cm_stats_set(cm_stats *s, const char *key, double v) {
  int i = stats_find(s, key);
  if (i < 0) {
    if (s->count >= CM_STATS_MAX) return;
    i = s->count++;
    s->keys[i] = key;
  }
  s->values[i] = v;
}

void cm_stats_add(cm_stats *s, const char *key, double v) {
  int i = stats_find(s, key);
  cm_stats_set(s, key, i < 0 ? v : s->values[i] + v);
}

void cm_stats_merge(cm_stats *dst, const cm_stats *src) {
  for (int i = 0; i < src->count; i++) cm_stats_set(dst, src->keys[i], src->values[i]);
}

double cm_stats_get(const cm_stats *s, const char *key, double def) {
  int i = stats_find(s, key);
  return i < 0 ? def : s->values[i];
}

/* ---------------- return tracker ---------------- */

int cm_rtrack_create(cm_return_tracker *t, int num_envs, cm_err *err) {
  memset(t, 0, sizeof *t);
  t->num_envs = num_envs;
  t->ret = calloc((size_t)num_envs, sizeof(float));
  t->len = calloc((size_t)num_envs, sizeof(int64_t));
  t->eps_per_env = calloc((size_t)num_envs, sizeof(int64_t));
  if (!t->ret || !t->len || !t->eps_per_env) {
    cm_rtrack_destroy(t);
    return cm_fail(err, "%s:%d: return tracker: out of memory", __FILE__, __LINE__);
  }
  return 0;
}

void cm_rtrack_destroy(cm_return_tracker *t) {
  free(t->ret);
  free(t->len);
  free(t->eps_per_env);
  memset(t, 0, sizeof *t);
}

void cm_rtrack_reset(cm_return_tracker *t) {
  t->episodes = 0;
  t->mean_return = t->mean_ep_len = 0.0;
  memset(t->ret, 0, (size_t)t->num_envs * sizeof(float));
  memset(t->len, 0, (size_t)t->num_envs * sizeof(int64_t));
  memset(t->eps_per_env, 0, (size_t)t->num_envs * sizeof(int64_t));
}

void cm_rtrack_update(cm_return_tracker *t, const float *reward, const uint8_t *done) {
  double sum_ret = 0, sum_len = 0;
  int n = 0;
  for (int i = 0; i < t->num_envs; i++) {
    t->ret[i] += reward[i];
    t->len[i]++;
    if (done[i] != CM_DONE_NULL) {
      sum_ret += t->ret[i];
      sum_len += (double)t->len[i];
      n++;
      t->ret[i] = 0.f;
      t->len[i] = 0;
      t->eps_per_env[i]++;
    }
  }
  if (n == 0) return;
  /* running mean weighted by episode counts, as return_tracker.update */
  double total = (double)(t->episodes + n);
  double w_new = n / total, w_old = (double)t->episodes / total;
  t->mean_return = w_new * (sum_ret / n) + w_old * t->mean_return;
  t->mean_ep_len = w_new * (sum_len / n) + w_old * t->mean_ep_len;
  t->episodes += n;
}

/* ---------------- configuration ---------------- */

static const cm_agent_type *const k_types[] = {&cm_agent_ppo, &cm_agent_awr};
#define NUM_TYPES ((int)(sizeof k_types / sizeof k_types[0]))

const char *cm_agent_type_names(void) { return "PPO, AWR"; }

const cm_agent_type *cm_agent_type_find(const char *name) {
  for (int i = 0; i < NUM_TYPES; i++)
    if (!strcmp(k_types[i]->name, name)) return k_types[i];
  return NULL;
}

static const char *const k_base_keys[] = {
    "agent_name", "model", "optimizer", "discount", "steps_per_iter", "iters_per_output", "test_episodes",
    "normalizer_samples", "update_epochs", "batch_size", "td_lambda", "action_bound_weight",
    "action_entropy_weight", "action_reg_weight", "critic_loss_weight", "critic_eval_batch_size",
    "exp_anneal_samples", "exp_prob_beg", "exp_prob_end", NULL};
static const char *const k_required[] = {
    "discount", "steps_per_iter", "iters_per_output", "test_episodes", "update_epochs", "batch_size", "td_lambda",
    "action_bound_weight", "action_entropy_weight", "action_reg_weight", "critic_loss_weight", NULL};
static const char *const k_model_keys[] = {"actor_net", "actor_init_output_scale", "actor_std_type", "action_std",
                                           "critic_net", NULL};
static const char *const k_optim_keys[] = {"type", "learning_rate", "weight_decay", "grad_clip", NULL};

static int req_keys(const cm_cfg *map, const char *const *keys, cm_err *err) {
  for (int i = 0; keys[i]; i++)
    if (cm_cfg_require(map, keys[i], err)) return -1;
  return 0;
}

static int get_f(const cm_cfg *m, const char *k, double def, double *out, cm_err *err) {
  return cm_cfg_float(m, k, def, out, err);
}

static int get_i(const cm_cfg *m, const char *k, long def, int *out, cm_err *err) {
  long v;
  if (cm_cfg_int(m, k, def, &v, err)) return -1;
  *out = (int)v;
  return 0;
}

/* For counts already read as integers (steps_per_iter, batch_size, ...). */
static int positive(const cm_cfg *m, const char *k, double v, cm_err *err) {
  if (v > 0) return 0;
  const cm_cfg *n = cm_cfg_get(m, k);
  return cm_fail(err, "%s:%d: key '%s': must be positive, got %g", n ? n->file : "?", n ? n->line : 0, k, v);
}

int cm_agent_cfg_load(const cm_cfg *root, cm_agent_cfg *cfg, const cm_agent_type **type, cm_err *err) {
  memset(cfg, 0, sizeof *cfg);
  if (!root || root->kind != CM_CFG_MAP) return cm_fail(err, "%s: agent config is not a map", root ? root->file : "?");
  const char *name;
  if (cm_cfg_require(root, "agent_name", err) || cm_cfg_str(root, "agent_name", NULL, &name, err)) return -1;
  const cm_agent_type *t = cm_agent_type_find(name);
  if (!t) {
    const cm_cfg *n = cm_cfg_get(root, "agent_name");
    return cm_fail(err, "%s:%d: key 'agent_name': unknown agent '%s' (known: %s)", n->file, n->line, name,
                   cm_agent_type_names());
  }
  snprintf(cfg->agent_name, sizeof cfg->agent_name, "%s", name);
  /* known keys: the base ones plus the type's own */
  const char *known[64];
  int nk = 0;
  for (int i = 0; k_base_keys[i]; i++) known[nk++] = k_base_keys[i];
  for (int i = 0; t->keys[i] && nk < 63; i++) known[nk++] = t->keys[i];
  known[nk] = NULL;
  if (cm_cfg_check_keys(root, known, err) || req_keys(root, k_required, err) || req_keys(root, t->keys, err))
    return -1;

  if (cm_cfg_require(root, "model", err) || cm_cfg_require(root, "optimizer", err)) return -1;
  const cm_cfg *model = cm_cfg_get(root, "model"), *opt = cm_cfg_get(root, "optimizer");
  if (model->kind != CM_CFG_MAP) return cm_fail(err, "%s:%d: key 'model': expected a map", model->file, model->line);
  if (opt->kind != CM_CFG_MAP) return cm_fail(err, "%s:%d: key 'optimizer': expected a map", opt->file, opt->line);
  if (cm_cfg_check_keys(model, k_model_keys, err) || req_keys(model, k_model_keys, err) ||
      cm_cfg_check_keys(opt, k_optim_keys, err) || cm_cfg_require(opt, "type", err) ||
      cm_cfg_require(opt, "learning_rate", err))
    return -1;

  const char *s;
  double d;
  if (cm_cfg_str(model, "actor_net", NULL, &s, err)) return -1;
  snprintf(cfg->actor_net, sizeof cfg->actor_net, "%s", s);
  if (cm_cfg_str(model, "critic_net", NULL, &s, err)) return -1;
  snprintf(cfg->critic_net, sizeof cfg->critic_net, "%s", s);
  if (cm_cfg_str(model, "actor_std_type", NULL, &s, err)) return -1;
  if (strcmp(s, "FIXED")) {
    const cm_cfg *n = cm_cfg_get(model, "actor_std_type");
    return cm_fail(err, "%s:%d: key 'actor_std_type': '%s' is not supported (only FIXED is built)", n->file, n->line,
                   s);
  }
  if (get_f(model, "actor_init_output_scale", 0, &d, err)) return -1;
  cfg->actor_init_output_scale = (float)d;
  if (cm_cfg_positive(model, "action_std", 0, &d, err)) return -1;
  cfg->action_std = (float)d;

  const char *otype;
  double lr, wd, clip;
  if (cm_cfg_str(opt, "type", NULL, &otype, err) || cm_cfg_positive(opt, "learning_rate", 0, &lr, err) ||
      get_f(opt, "weight_decay", 0, &wd, err) || get_f(opt, "grad_clip", 0, &clip, err))
    return -1;
  if (cm_optim_config_default(&cfg->optim, otype, (float)lr, err)) {
    const cm_cfg *n = cm_cfg_get(opt, "type");
    return cm_wrap(err, "%s:%d: key 'type'", n->file, n->line);
  }
  cfg->optim.weight_decay = (float)wd;
  cfg->optim.grad_clip = (float)clip;

  if (get_f(root, "discount", 0, &cfg->discount, err) || get_i(root, "steps_per_iter", 0, &cfg->steps_per_iter, err) ||
      get_i(root, "iters_per_output", 0, &cfg->iters_per_output, err) ||
      get_i(root, "test_episodes", 0, &cfg->test_episodes, err) ||
      get_f(root, "normalizer_samples", INFINITY, &cfg->normalizer_samples, err) ||
      get_i(root, "update_epochs", 0, &cfg->update_epochs, err) || get_i(root, "batch_size", 0, &cfg->batch_size, err) ||
      get_f(root, "td_lambda", 0, &cfg->td_lambda, err) ||
      get_f(root, "action_bound_weight", 0, &cfg->action_bound_weight, err) ||
      get_f(root, "action_entropy_weight", 0, &cfg->action_entropy_weight, err) ||
      get_f(root, "action_reg_weight", 0, &cfg->action_reg_weight, err) ||
      get_f(root, "critic_loss_weight", 0, &cfg->critic_loss_weight, err) ||
      get_i(root, "critic_eval_batch_size", 0, &cfg->critic_eval_batch_size, err) ||
      get_f(root, "exp_anneal_samples", INFINITY, &cfg->exp_anneal_samples, err) ||
      get_f(root, "exp_prob_beg", 1.0, &cfg->exp_prob_beg, err) || get_f(root, "exp_prob_end", 1.0, &cfg->exp_prob_end, err))
    return -1;
  if (positive(root, "steps_per_iter", cfg->steps_per_iter, err) ||
      positive(root, "iters_per_output", cfg->iters_per_output, err) ||
      positive(root, "update_epochs", cfg->update_epochs, err) || positive(root, "batch_size", cfg->batch_size, err))
    return -1;
  if (!(cfg->discount >= 0 && cfg->discount < 1)) {
    const cm_cfg *n = cm_cfg_get(root, "discount");
    return cm_fail(err, "%s:%d: key 'discount': must be in [0, 1), got %g", n->file, n->line, cfg->discount);
  }
  if (cfg->test_episodes < 0) {
    const cm_cfg *n = cm_cfg_get(root, "test_episodes");
    return cm_fail(err, "%s:%d: key 'test_episodes': must not be negative", n->file, n->line);
  }
  if (t->load_params(cfg, root, err)) return -1;
  *type = t;
  return 0;
}

/* ---------------- construction ---------------- */


static void free_workspace(cm_agent *a) {
  cm_dev_host_free(a->dev, a->mb_obs);
  cm_dev_free(a->dev, a->mb_nobs);
  free(a->mb_idx); free(a->mb_act); free(a->mb_na); free(a->mb_tar);
  free(a->mb_adv); free(a->mb_logp); free(a->mb_mask); free(a->mb_dout); free(a->mb_aobs); free(a->mb_dmean);
  a->mb_obs = a->mb_nobs = NULL;
}

static int alloc_workspace(cm_agent *a, int rows, cm_err *err) {
  if (rows <= a->ws_rows) return 0;
  size_t r = (size_t)rows, O = (size_t)a->obs_dim, A = (size_t)a->act_dim;
  free_workspace(a);
  a->mb_idx = cm_zalloc(r * sizeof(int));
  /* the observations go straight from pinned host memory into device-resident normalized rows */
  a->mb_obs = cm_dev_host_alloc(a->dev, r * O * sizeof(float), err);
  a->mb_nobs = cm_dev_alloc(a->dev, r * O, err);
  a->mb_act = cm_zalloc(r * A * sizeof(float));
  a->mb_na = cm_zalloc(r * A * sizeof(float));
  a->mb_tar = cm_zalloc(r * sizeof(float));
  a->mb_adv = cm_zalloc(r * sizeof(float));
  a->mb_logp = cm_zalloc(r * sizeof(float));
  a->mb_mask = cm_zalloc(r * sizeof(float));
  a->mb_dout = cm_zalloc(r * sizeof(float));
  a->mb_aobs = cm_zalloc(r * O * sizeof(float));
  a->mb_dmean = cm_zalloc(r * A * sizeof(float));
  a->ws_rows = rows;
  if (!a->mb_idx || !a->mb_obs || !a->mb_nobs || !a->mb_act || !a->mb_na || !a->mb_tar || !a->mb_adv ||
      !a->mb_logp || !a->mb_mask || !a->mb_dout || !a->mb_aobs ||
      !a->mb_dmean) {
    a->ws_rows = 0;
    return cm_fail(err, "%s:%d: agent: out of memory for a mini-batch of %d rows", __FILE__, __LINE__, rows);
  }
  return 0;
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
  int N = a->num_envs = env->num_envs, O = a->obs_dim = env->obs_dim, A = a->act_dim = env->act_dim;
  if (N <= 0 || O <= 0 || A <= 0) {
    free(a);
    return cm_fail(err, "%s:%d: environment has num_envs %d, obs_dim %d, act_dim %d", __FILE__, __LINE__, N, O, A);
  }

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

  if (cm_mlp_create(&a->actor, dev, a->cfg.actor_net, O, A, "_model._actor_layers", "_model._action_dist._mean_net",
                    err) ||
      cm_mlp_init(&a->actor, seed, STREAM_INIT_ACTOR, a->cfg.actor_init_output_scale, err) ||
      cm_gauss_logstd_create(&a->logstd, dev, A, a->cfg.action_std, err) ||
      cm_mlp_create(&a->critic, dev, a->cfg.critic_net, O, 1, "_model._critic_layers", "_model._critic_out", err) ||
      cm_mlp_init(&a->critic, seed, STREAM_INIT_CRITIC, 0.f, err))
    goto fail;

  cm_param *params[4 * CM_MLP_MAX_LINEAR];
  int np = cm_mlp_params(&a->actor, params, 4 * CM_MLP_MAX_LINEAR);
  np += cm_mlp_params(&a->critic, params + np, 4 * CM_MLP_MAX_LINEAR - np);
  if (cm_optim_create(&a->optim, dev, &a->cfg.optim, params, np, err)) goto fail;

  if (cm_exp_create(&a->buf, dev, a->cfg.steps_per_iter, N, O, A, seed, err) || cm_rtrack_create(&a->train_ret, N, err) ||
      cm_rtrack_create(&a->test_ret, N, err))
    goto fail;
  size_t n = (size_t)N;
  a->obs = cm_dev_host_alloc(dev, n * O * sizeof(float), err);
  a->next_obs = cm_zalloc(n * O * sizeof(float));
  a->reward = cm_zalloc(n * sizeof(float));
  a->done = cm_zalloc(n);
  a->norm_obs = cm_dev_alloc(dev, n * O, err);
  a->norm_a = cm_zalloc(n * A * sizeof(float));
  a->action = cm_zalloc(n * A * sizeof(float));
  a->logp = cm_zalloc(n * sizeof(float));
  a->rand_mask = cm_zalloc(n * sizeof(float));
  if (!a->obs || !a->next_obs || !a->reward || !a->done || !a->norm_obs || !a->norm_a || !a->action || !a->logp ||
      !a->rand_mask) {
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
  if (a->obs_norm.dev) cm_norm_destroy(&a->obs_norm);
  if (a->a_norm.dev) cm_norm_destroy(&a->a_norm);
  if (a->actor.dev) cm_mlp_destroy(&a->actor);
  if (a->critic.dev) cm_mlp_destroy(&a->critic);
  if (a->logstd.data) cm_param_release(&a->logstd, a->dev);
  if (a->optim.dev) cm_optim_destroy(&a->optim);
  cm_exp_destroy(&a->buf);
  cm_rtrack_destroy(&a->train_ret);
  cm_rtrack_destroy(&a->test_ret);
  cm_dev_host_free(a->dev, a->obs);
  cm_dev_free(a->dev, a->norm_obs);
  free(a->next_obs); free(a->reward); free(a->done); free(a->norm_a);
  free(a->action); free(a->logp); free(a->rand_mask);
  free_workspace(a);
  free(a);
}

/* ---------------- rollouts ---------------- */

void cm_agent_set_mode(cm_agent *a, cm_rl_mode mode) {
  a->mode = mode;
  if (a->env->set_mode) a->env->set_mode(a->env->ctx, mode);
}

int cm_agent_reset_envs(cm_agent *a, cm_err *err) {
  if (a->env->reset(a->env->ctx, a->obs, err)) return cm_wrap(err, "resetting the environments");
  return 0;
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
  int N = a->num_envs, A = a->act_dim;
  cm_norm_normalize(&a->obs_norm, a->norm_obs, a->obs, N);
  if (cm_mlp_forward(&a->actor, a->norm_obs, N, err)) return -1;
  const float *mean = cm_mlp_out(&a->actor);
  if (a->mode == CM_RL_TRAIN) {
    cm_gauss_sample(N, A, mean, a->logstd.data, a->seed, 0, a->rng_step, STREAM_ACTION_NOISE, a->norm_a);
    double p = cm_agent_exp_prob(a);
    for (int i = 0; i < N; i++) {
      float m = 1.f;
      if (p < 1.0) {
        cm_rng rng = cm_rng_make(a->seed, (uint32_t)i, a->rng_step, STREAM_EXPLORE_MASK);
        m = cm_rng_uniform(&rng) < p ? 1.f : 0.f;
      }
      a->rand_mask[i] = m;
      if (m == 0.f) memcpy(a->norm_a + (size_t)i * A, mean + (size_t)i * A, (size_t)A * sizeof(float));
    }
  } else {
    memcpy(a->norm_a, mean, (size_t)N * A * sizeof(float));
    memset(a->rand_mask, 0, (size_t)N * sizeof(float));
  }
  cm_gauss_log_prob(N, A, mean, a->logstd.data, a->norm_a, a->logp);
  cm_norm_unnormalize(&a->a_norm, a->action, a->norm_a, N);
  a->rng_step++;
  if (a->mode == CM_RL_TRAIN) a->prof.policy += cm_now_seconds() - t0; /* test time is the trainer's */
  return 0;
}

static int env_step(cm_agent *a, cm_err *err) {
  double t0 = cm_now_seconds();
  if (a->env->step(a->env->ctx, a->action, a->next_obs, a->obs, a->reward, a->done, err))
    return cm_wrap(err, "environment step");
  if (a->mode == CM_RL_TRAIN) a->prof.env += cm_now_seconds() - t0;
  for (int i = 0; i < a->num_envs; i++)
    if (!isfinite(a->reward[i]) || a->done[i] > CM_DONE_TIME)
      return cm_fail(err, "%s:%d: environment step: env %d returned reward %g, done %d", __FILE__, __LINE__, i,
                     (double)a->reward[i], a->done[i]);
  return 0;
}

static int need_normalizer_update(const cm_agent *a) { return (double)a->sample_count < a->cfg.normalizer_samples; }

static int rollout_train(cm_agent *a, cm_err *err) {
  int N = a->num_envs, O = a->obs_dim, A = a->act_dim;
  cm_exp_buffer *b = &a->buf;
  for (int t = 0; t < a->cfg.steps_per_iter; t++) {
    if (cm_agent_decide_action(a, err)) return -1;
    size_t s = (size_t)cm_exp_slot(b);
    memcpy(b->obs + s * O, a->obs, (size_t)N * O * sizeof(float));
    memcpy(b->action + s * A, a->action, (size_t)N * A * sizeof(float));
    memcpy(b->a_logp + s, a->logp, (size_t)N * sizeof(float));
    memcpy(b->rand_mask + s, a->rand_mask, (size_t)N * sizeof(float));
    if (need_normalizer_update(a)) cm_norm_record(&a->obs_norm, a->obs, N);

    if (env_step(a, err)) return -1;
    cm_rtrack_update(&a->train_ret, a->reward, a->done);
    memcpy(b->next_obs + s * O, a->next_obs, (size_t)N * O * sizeof(float));
    memcpy(b->reward + s, a->reward, (size_t)N * sizeof(float));
    memcpy(b->done + s, a->done, (size_t)N);
    cm_exp_inc(b);
  }
  return 0;
}

int cm_agent_eval_critic(cm_agent *a, const float *obs, int rows, float *vals, cm_err *err) {
  int chunk = a->cfg.critic_eval_batch_size > 0 ? a->cfg.critic_eval_batch_size : CRITIC_CHUNK;
  if (chunk > a->ws_rows) chunk = a->ws_rows;
  for (int r0 = 0; r0 < rows; r0 += chunk) {
    int n = rows - r0 < chunk ? rows - r0 : chunk;
    cm_norm_normalize(&a->obs_norm, a->mb_nobs, obs + (size_t)r0 * a->obs_dim, n);
    if (cm_mlp_forward(&a->critic, a->mb_nobs, n, err)) return -1;
    memcpy(vals + r0, cm_mlp_out(&a->critic), (size_t)n * sizeof(float));
  }
  return 0;
}

int cm_agent_compute_advantages(cm_agent *a, double *adv_mean, double *adv_std, cm_err *err) {
  cm_exp_buffer *b = &a->buf;
  int T = b->steps, N = b->num_envs, n = T * N;
  float *next_vals = malloc((size_t)n * sizeof(float)), *vals = malloc((size_t)n * sizeof(float));
  int rc = -1;
  if (!next_vals || !vals) {
    cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
    goto done;
  }
  if (cm_agent_eval_critic(a, b->next_obs, n, next_vals, err)) goto done;
  float g = (float)a->cfg.discount;
  float succ_val = (float)(a->env->reward_succ / (1.0 - a->cfg.discount));
  float fail_val = (float)(a->env->reward_fail / (1.0 - a->cfg.discount));
  cm_bootstrap_done_values(T, N, b->done, succ_val, fail_val, next_vals);
  cm_td_lambda_returns(T, N, b->reward, next_vals, b->done, g, (float)a->cfg.td_lambda, b->tar_val);
  if (cm_agent_eval_critic(a, b->obs, n, vals, err)) goto done;
  for (int i = 0; i < n; i++) b->adv[i] = b->tar_val[i] - vals[i];
  double mean, var;
  cm_adv_stats(n, b->adv, b->rand_mask, &mean, &var);
  *adv_mean = mean;
  *adv_std = sqrt(var);
  rc = 0;
done:
  free(next_vals);
  free(vals);
  return rc;
}

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
  cm_norm_normalize(&a->obs_norm, a->mb_nobs, a->mb_obs, rows);
  if (cm_mlp_forward(&a->critic, a->mb_nobs, rows, err)) return -1;
  const float *pred = cm_mlp_out(&a->critic);
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
  const float *actor_obs = a->mb_nobs; /* every row sampled (the usual case): the critic's rows */
  if (m < rows) { /* keep the sampled rows, compacted in place (row m <= row i) */
    cm_dev_download(a->dev, a->mb_aobs, a->mb_nobs, (size_t)rows * O);
    m = 0;
    for (int i = 0; i < rows; i++) {
      if (a->mb_mask[i] != 1.f) continue;
      memmove(a->mb_aobs + (size_t)m * O, a->mb_aobs + (size_t)i * O, (size_t)O * sizeof(float));
      memmove(a->mb_na + (size_t)m * A, a->mb_na + (size_t)i * A, (size_t)A * sizeof(float));
      a->mb_logp[m] = a->mb_logp[i];
      a->mb_adv[m] = a->mb_adv[i];
      m++;
    }
    actor_obs = a->mb_aobs;
  }
  double aloss = 0;
  if (m > 0) {
    if (cm_mlp_forward(&a->actor, actor_obs, m, err)) return -1;
    const float *mean = cm_mlp_out(&a->actor);
    memset(a->mb_dmean, 0, (size_t)m * A * sizeof(float));
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
      double ent = cm_gauss_entropy_row(A, a->logstd.data);
      aloss -= c->action_entropy_weight * ent;
      cm_stats_set(st, "Action_Entropy", ent);
    }
    if (c->action_reg_weight != 0) {
      double reg = 0;
      float scale = (float)(2.0 * c->action_reg_weight / m);
      for (size_t k = 0; k < (size_t)m * A; k++) {
        reg += (double)mean[k] * mean[k];
        a->mb_dmean[k] += scale * mean[k];
      }
      reg /= m;
      aloss += c->action_reg_weight * reg;
      cm_stats_set(st, "Action_Reg_Loss", reg);
    }
    if (cm_mlp_backward(&a->actor, a->mb_dmean, NULL, err)) return -1;
  }
  cm_optim_step(&a->optim);
  cm_stats_set(st, "Loss", aloss + c->critic_loss_weight * closs);
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
      cm_stats_clear(&st);
      if (minibatch_step(a, mb, &st, err)) return -1;
      for (int i = 0; i < st.count; i++) cm_stats_add(&sum, st.keys[i], st.values[i]);
    }
  }
  double steps = (double)a->cfg.update_epochs * nb;
  for (int i = 0; i < sum.count; i++) cm_stats_set(info, sum.keys[i], sum.values[i] / steps);
  return 0;
}

int cm_agent_train_iter(cm_agent *a, cm_stats *info, cm_err *err) {
  cm_exp_reset(&a->buf);
  cm_agent_set_mode(a, CM_RL_TRAIN);
  if (rollout_train(a, err)) return -1;
  cm_stats data;
  cm_stats_clear(&data);
  double t0 = cm_now_seconds();
  if (a->type->build_train_data(a, &data, err)) return -1;
  double t1 = cm_now_seconds();
  if (cm_agent_update_model(a, info, err)) return -1;
  if (need_normalizer_update(a) && cm_norm_update(&a->obs_norm, err)) return -1;
  a->prof.train_data += t1 - t0;
  a->prof.update += cm_now_seconds() - t1;
  cm_stats_merge(info, &data);
  return 0;
}

/* ---------------- test ---------------- */

int cm_agent_test(cm_agent *a, int num_episodes, cm_test_result *res, cm_err *err) {
  memset(res, 0, sizeof *res);
  cm_agent_set_mode(a, CM_RL_TEST);
  if (cm_agent_reset_envs(a, err)) return -1;
  cm_return_tracker *t = &a->test_ret;
  cm_rtrack_reset(t);
  if (num_episodes <= 0) return 0;
  int N = a->num_envs;
  /* every env finishes at least this many episodes, so short episodes do not bias the mean */
  int64_t min_eps = (num_episodes + N - 1) / N;
  for (;;) {
    if (cm_agent_decide_action(a, err) || env_step(a, err)) return -1;
    cm_rtrack_update(t, a->reward, a->done);
    int all = 1;
    for (int i = 0; i < N && all; i++)
      if (t->eps_per_env[i] < min_eps) all = 0;
    if (all) break;
  }
  res->mean_return = t->mean_return;
  res->mean_ep_len = t->mean_ep_len;
  res->episodes = t->episodes;
  return 0;
}
