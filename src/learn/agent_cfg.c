/* The agent yaml: the core's keys, checked against the method's table (its own keys and those
 * of the methods it extends); unknown keys are typos. */
#include "learn/agent.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------- configuration ---------------- */

/* Adding a method: its file and one line here. */
static const cm_agent_type *const k_types[] = {&cm_agent_ppo, &cm_agent_awr, &cm_agent_amp, &cm_agent_ase,
                                               &cm_agent_add};
#define NUM_TYPES ((int)(sizeof k_types / sizeof k_types[0]))

const char *cm_agent_type_names(void) {
  static char names[256];
  if (!names[0]) {
    size_t k = 0;
    for (int i = 0; i < NUM_TYPES && k < sizeof names; i++)
      k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", i ? ", " : "", k_types[i]->name);
  }
  return names;
}

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
#define MAX_KEYS 96

/* Appends list to known (NULL-terminated afterwards). */
static void add_keys(const char **known, int *nk, const char *const *list) {
  for (int i = 0; list && list[i] && *nk < MAX_KEYS - 1; i++) known[(*nk)++] = list[i];
  known[*nk] = NULL;
}

/* The keys of t and of every method it extends: which = 0 own top-level required, 1 optional,
 * 2 model. */
static void type_keys(const cm_agent_type *t, int which, const char **known, int *nk) {
  for (; t; t = t->base) add_keys(known, nk, which == 0 ? t->keys : which == 1 ? t->opt_keys : t->model_keys);
}
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

/* batch_size: a count of steps of all envs (MimicKit's unit), or auto (CM_BATCH_AUTO, resolved
 * by cm_auto_batch_size once the env count is known). */
static int get_batch_size(const cm_cfg *root, int *out, cm_err *err) {
  const cm_cfg *n = cm_cfg_get(root, "batch_size");
  if (n && n->kind == CM_CFG_SCALAR && !strcmp(n->str, "auto")) {
    *out = CM_BATCH_AUTO;
    return 0;
  }
  if (get_i(root, "batch_size", 0, out, err)) return cm_wrap(err, "(batch_size is a count of steps of all envs, or auto)");
  return positive(root, "batch_size", *out, err);
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
  /* known keys: the core's plus the method's (and its bases') */
  const char *known[MAX_KEYS], *req[MAX_KEYS], *mknown[MAX_KEYS], *mreq[MAX_KEYS];
  int nk = 0, nr = 0, nmk = 0, nmr = 0;
  add_keys(known, &nk, k_base_keys);
  type_keys(t, 0, known, &nk);
  type_keys(t, 1, known, &nk);
  type_keys(t, 0, req, &nr);
  if (!nr) req[0] = NULL;
  add_keys(mknown, &nmk, k_model_keys);
  type_keys(t, 2, mknown, &nmk);
  type_keys(t, 2, mreq, &nmr);
  if (!nmr) mreq[0] = NULL;
  if (cm_cfg_check_keys(root, known, err) || req_keys(root, k_required, err) || req_keys(root, req, err))
    return -1;

  if (cm_cfg_require(root, "model", err) || cm_cfg_require(root, "optimizer", err)) return -1;
  const cm_cfg *model = cm_cfg_get(root, "model"), *opt = cm_cfg_get(root, "optimizer");
  if (model->kind != CM_CFG_MAP) return cm_fail(err, "%s:%d: key 'model': expected a map", model->file, model->line);
  if (opt->kind != CM_CFG_MAP) return cm_fail(err, "%s:%d: key 'optimizer': expected a map", opt->file, opt->line);
  if (cm_cfg_check_keys(model, mknown, err) || req_keys(model, k_model_keys, err) || req_keys(model, mreq, err) ||
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
      get_i(root, "update_epochs", 0, &cfg->update_epochs, err) || get_batch_size(root, &cfg->batch_size, err) ||
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
      positive(root, "update_epochs", cfg->update_epochs, err))
    return -1;
  if (!(cfg->discount >= 0 && cfg->discount < 1)) {
    const cm_cfg *n = cm_cfg_get(root, "discount");
    return cm_fail(err, "%s:%d: key 'discount': must be in [0, 1), got %g", n->file, n->line, cfg->discount);
  }
  if (cfg->test_episodes < 0) {
    const cm_cfg *n = cm_cfg_get(root, "test_episodes");
    return cm_fail(err, "%s:%d: key 'test_episodes': must not be negative", n->file, n->line);
  }
  *type = t; /* the method reads its own keys in its create hook */
  return 0;
}
