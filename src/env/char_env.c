/* The character environment machinery shared by every env type (MimicKit's SimEnv +
 * CharEnv): config, character, engine, buffers, reset to the initial pose, the step order
 * (action -> physics -> time -> misc -> obs -> reward -> done). */
#include "env/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/quat.h"
#include "core/zalloc.h"
#include "env/action_clip.h"
#include "env/char_obs.h"
#include "env/env_registry.h"
#include "sim/engine_config.h"

static const char *const k_shared_keys[] = {"env_name", "char_file", "camera_mode", "episode_length", "global_obs",
                                            "root_height_obs", "key_bodies", "init_pose", "zero_center_action", "engine", NULL};

/* Unknown keys are typos until proven otherwise: check against the shared and the type's keys. */
static int check_env_keys(const cm_cfg *cfg, const cm_env_type *t, cm_err *err) {
  const char *known[96];
  int n = 0;
  for (int i = 0; k_shared_keys[i]; i++) known[n++] = k_shared_keys[i];
  for (; t; t = t->base)
    for (int i = 0; t->keys && t->keys[i] && n < 95; i++) known[n++] = t->keys[i];
  known[n] = NULL;
  return cm_cfg_check_keys(cfg, known, err);
}

static int parse_init_pose(cm_env *e, const cm_cfg *cfg, const char *path, cm_err *err) {
  double pose[6 + CM_MAX_DOFS];
  int n = 0;
  memset(e->init_root_pos, 0, sizeof e->init_root_pos);
  cm_q_identity(e->init_root_rot);
  memset(e->init_dof_pos, 0, sizeof e->init_dof_pos);
  if (!cm_cfg_get(cfg, "init_pose")) return 0;
  if (cm_cfg_floats(cfg, "init_pose", pose, 6 + CM_MAX_DOFS, &n, err)) return -1;
  int full = 6 + e->chr.num_dofs;
  if (n != 3 && n != full)
    return cm_fail(err, "%s: init_pose has %d values; expected 3 (root position) or %d (root pos 3, root rot 3, %d dofs)",
                   path, n, full, e->chr.num_dofs);
  for (int k = 0; k < 3; k++) e->init_root_pos[k] = (float)pose[k];
  if (n == full) {
    float ex[3] = {(float)pose[3], (float)pose[4], (float)pose[5]};
    cm_exp_map_to_quat(e->init_root_rot, ex);
    for (int k = 0; k < e->chr.num_dofs; k++) e->init_dof_pos[k] = (float)pose[6 + k];
  }
  return 0;
}

static int parse_key_bodies(cm_env *e, const cm_cfg *cfg, const char *path, cm_err *err) {
  const char *names[CM_MAX_BODIES];
  int n = 0;
  e->num_key_bodies = 0;
  if (!cm_cfg_get(cfg, "key_bodies")) return 0;
  if (cm_cfg_strs(cfg, "key_bodies", names, CM_MAX_BODIES, &n, err)) return -1;
  for (int i = 0; i < n; i++) {
    int id = cm_char_body_id(&e->chr, names[i]);
    if (id < 0) return cm_fail(err, "%s: key_bodies: body '%s' is not in %s", path, names[i], e->char_file);
    e->key_body_ids[e->num_key_bodies++] = id;
  }
  return 0;
}


int cm_env_create(const char *path, const cm_engine_cfg *engine_cfg, int num_envs, uint64_t seed, cm_env **out,
                  cm_err *err) {
  return cm_env_create_at(path, engine_cfg, num_envs, seed, 0, out, err);
}

int cm_env_create_at(const char *path, const cm_engine_cfg *engine_cfg, int num_envs, uint64_t seed, uint32_t env0,
                     cm_env **out, cm_err *err) {
  if (num_envs < 1) return cm_fail(err, "num_envs must be at least 1 (got %d)", num_envs);
  cm_cfg *cfg = NULL;
  if (cm_cfg_load(path, &cfg, err)) return -1;
  cm_env *e = calloc(1, sizeof *e);
  const char *env_name = NULL, *char_file = NULL, *cam = NULL;
  double ep_len = 0;
  int rc = -1;
  if (cm_cfg_str(cfg, "env_name", NULL, &env_name, err)) goto done;
  if (!env_name) {
    cm_fail(err, "%s: missing required key 'env_name'", path);
    goto done;
  }
  e->type = cm_env_type_find(env_name);
  if (!e->type) {
    char known[512];
    cm_env_type_list(known, sizeof known);
    cm_fail(err, "%s: env_name '%s' is not available in cmimic (known: %s)", path, env_name, known);
    goto done;
  }
  if (check_env_keys(cfg, e->type, err)) goto done;
  if (cm_cfg_str(cfg, "char_file", NULL, &char_file, err)) goto done;
  if (!char_file) {
    cm_fail(err, "%s: missing required key 'char_file'", path);
    goto done;
  }
  snprintf(e->char_file, sizeof e->char_file, "%s", char_file);
  if (cm_cfg_str(cfg, "camera_mode", "track", &cam, err)) goto done;
  snprintf(e->camera_mode, sizeof e->camera_mode, "%s", cam);
  if (cm_cfg_float(cfg, "episode_length", 10.0, &ep_len, err)) goto done;
  e->episode_length = (float)ep_len;
  if (cm_cfg_bool(cfg, "global_obs", 0, &e->global_obs, err)) goto done;
  if (cm_cfg_bool(cfg, "root_height_obs", 1, &e->root_height_obs, err)) goto done;
  if (cm_cfg_bool(cfg, "zero_center_action", 0, &e->zero_center_action, err)) goto done;
  if (cm_char_load(e->char_file, &e->chr, err)) {
    cm_wrap(err, "%s: char_file", path);
    goto done;
  }
  if (parse_init_pose(e, cfg, path, err) || parse_key_bodies(e, cfg, path, err)) goto done;

  e->num_envs = num_envs;
  e->seed = seed;
  e->env0 = env0;
  e->act_dim = e->chr.num_dofs;
  cm_engine_cfg ecfg = *engine_cfg;
  /* the env yaml's engine: map overrides the engine yaml (MimicKit's go2 and pi_plus set
   * ground_contact_height there) */
  if (cm_cfg_get(cfg, "engine") && !cm_cfg_is_null(cm_cfg_get(cfg, "engine")) &&
      cm_engine_cfg_override(&ecfg, cm_cfg_get(cfg, "engine"), err))
    goto done;
  cm_engine_opts opts = {0};
  opts.seed = seed;
  if (e->type->scene && e->type->scene(cfg, &opts, err)) goto done;
  if (e->type->engine_setup) e->type->engine_setup(e, &ecfg, &opts);
  if (cm_engine_create(&ecfg, &opts, e->char_file, &e->chr, num_envs, &e->engine, err)) goto done;
  e->pool = cm_pool_create(ecfg.num_threads);

  size_t n = (size_t)num_envs;
  e->reward = cm_zalloc(n * sizeof(float));
  e->time = cm_zalloc(n * sizeof(float));
  e->done = cm_zalloc(n * sizeof(int));
  e->timestep = cm_zalloc(n * sizeof(int));
  e->action_low = cm_zalloc((size_t)e->act_dim * sizeof(float));
  e->action_high = cm_zalloc((size_t)e->act_dim * sizeof(float));
  e->targets = cm_zalloc(n * (size_t)e->act_dim * sizeof(float));
  cm_char_action_bounds(&e->chr, e->zero_center_action, e->action_low, e->action_high);
  if (e->type->init && e->type->init(e, cfg, err)) goto done;
  e->obs_dim = e->type->obs_dim ? e->type->obs_dim(e) : cm_char_obs_dim(&e->chr, e->num_key_bodies, e->root_height_obs);
  e->obs = cm_zalloc(n * (size_t)e->obs_dim * sizeof(float));
  cm_env_reset(e, NULL, 0);
  rc = 0;
done:
  cm_cfg_free(cfg);
  if (rc) cm_env_destroy(e);
  else *out = e;
  return rc;
}

void cm_env_destroy(cm_env *e) {
  if (!e) return;
  if (e->type && e->type->destroy) e->type->destroy(e);
  cm_engine_destroy(e->engine);
  cm_pool_destroy(e->pool);
  free(e->obs); free(e->reward); free(e->time); free(e->done); free(e->timestep);
  free(e->action_low); free(e->action_high); free(e->targets);
  free(e);
}

/* Default reset: the initial pose at rest (MimicKit CharEnv._reset_char). */
static void reset_to_init_pose(cm_env *e, const int *ids, int n) {
  cm_sim_state *s = &e->engine->st;
  int D = s->num_dofs;
  for (int k = 0; k < n; k++) {
    int i = ids[k];
    cm_v3_copy(s->root_pos + 3 * i, e->init_root_pos);
    cm_q_copy(s->root_rot + 4 * i, e->init_root_rot);
    memset(s->root_vel + 3 * i, 0, 3 * sizeof(float));
    memset(s->root_ang_vel + 3 * i, 0, 3 * sizeof(float));
    memcpy(s->dof_pos + (size_t)D * i, e->init_dof_pos, (size_t)D * sizeof(float));
    memset(s->dof_vel + (size_t)D * i, 0, (size_t)D * sizeof(float));
  }
  e->engine->ops->push_state(e->engine, ids, n);
}

static void compute_obs(cm_env *e) {
  if (e->type->compute_obs) {
    e->type->compute_obs(e);
    return;
  }
  cm_char_obs_batch(e);
}

void cm_env_reset(cm_env *e, const int *ids, int n) {
  int *all = NULL;
  if (!ids) {
    all = malloc((size_t)e->num_envs * sizeof(int));
    for (int i = 0; i < e->num_envs; i++) all[i] = i;
    ids = all;
    n = e->num_envs;
  }
  for (int k = 0; k < n; k++) {
    e->time[ids[k]] = 0.f;
    e->timestep[ids[k]] = 0;
    e->done[ids[k]] = CM_DONE_NULL;
  }
  if (e->type->reset) e->type->reset(e, ids, n);
  else reset_to_init_pose(e, ids, n);
  compute_obs(e);
  free(all);
}

static void apply_action_default(cm_env *e, const float *a) {
  size_t A = (size_t)e->act_dim;
  for (int i = 0; i < e->num_envs; i++) cm_env_clip_action(a + A * i, e->action_low, e->action_high, e->act_dim, e->targets + A * i);
  e->engine->ops->set_targets(e->engine, e->targets);
}

int cm_env_step(cm_env *e, const float *actions, cm_err *err) {
  if (e->type->pre_physics) e->type->pre_physics(e);
  if (e->type->apply_action) e->type->apply_action(e, actions);
  else apply_action_default(e, actions);
  if (e->engine->ops->step(e->engine, err)) return -1;
  float dt = (float)e->engine->control_dt;
  for (int i = 0; i < e->num_envs; i++) {
    e->time[i] += dt;
    e->timestep[i]++;
  }
  if (e->type->post_physics) e->type->post_physics(e);
  compute_obs(e);
  if (e->type->update_reward) e->type->update_reward(e);
  else
    for (int i = 0; i < e->num_envs; i++) e->reward[i] = 1.f;
  if (e->type->update_done) e->type->update_done(e);
  else
    for (int i = 0; i < e->num_envs; i++) e->done[i] = e->time[i] >= e->episode_length ? CM_DONE_TIME : CM_DONE_NULL;
  return 0;
}

void cm_env_set_mode(cm_env *e, int test) {
  if (e->test_mode == (test != 0)) return; /* only a change of mode starts a new test's figures */
  e->test_mode = test != 0;
  if (e->type->set_mode) e->type->set_mode(e, e->test_mode);
}

int cm_env_stats(cm_env *e, const char **keys, double *values, int max) {
  int n = e->type->stats ? e->type->stats(e, keys, values, max) : 0;
  /* envs the engine reset after their state went non-finite, since the start (MuJoCo's
   * auto-reset; the cuda engine's per-env check): a column, so a bad run shows in log.txt */
  if (n < max && e->engine->ops->num_resets) {
    keys[n] = "Engine_Resets";
    values[n++] = (double)e->engine->ops->num_resets(e->engine);
  }
  return n;
}

int cm_env_fetch_disc_obs_demo(cm_env *e, int n, float *out, cm_err *err) {
  if (!e->type->fetch_disc_obs_demo || e->disc_obs_dim <= 0)
    return cm_fail(err, "env '%s' has no discriminator observation (use amp, ase, add or a task env)", e->type->name);
  return e->type->fetch_disc_obs_demo(e, n, out, err);
}

int cm_env_markers(const cm_env *e, int i, cm_marker *out, int max) {
  return e->type->markers ? e->type->markers(e, i, out, max) : 0;
}

int cm_env_is(const cm_env *e, const cm_env_type *t) {
  for (const cm_env_type *x = e ? e->type : NULL; x; x = x->base)
    if (x == t) return 1;
  return 0;
}

const char *cm_env_cfg_at(const cm_cfg *cfg, const char *key, char *buf, size_t cap) {
  const cm_cfg *v = cm_cfg_get(cfg, key);
  snprintf(buf, cap, "%s:%d: key '%s'", v ? v->file : cfg->file, v ? v->line : 1, key);
  return buf;
}
