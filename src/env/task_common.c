#include "env/task_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/zalloc.h"
#include "env/amp.h"
#include "env/deepmimic.h"
#include "env/env.h"
#include "env/task_view.h"

int cm_task_buf_alloc(cm_task_buf *t, int num_envs, cm_err *err) {
  size_t n = (size_t)num_envs;
  t->prev_root_pos = cm_zalloc(n * 3 * sizeof(float));
  t->change_time = cm_zalloc(n * sizeof(float));
  t->draws = cm_zalloc(n * sizeof(uint32_t));
  t->due = cm_zalloc(n * sizeof(int));
  if (!t->prev_root_pos || !t->change_time || !t->draws || !t->due)
    return cm_fail(err, "task env: out of memory for %d envs", num_envs);
  return 0;
}

void cm_task_buf_free(cm_task_buf *t) {
  free(t->prev_root_pos);
  free(t->change_time);
  free(t->draws);
  free(t->due);
  memset(t, 0, sizeof *t);
}

void cm_task_record_root(cm_env *e, cm_task_buf *t) {
  memcpy(t->prev_root_pos, e->engine->st.root_pos, sizeof(float) * 3 * (size_t)e->num_envs);
}

int cm_task_due(const cm_env *e, cm_task_buf *t) {
  int n = 0;
  for (int i = 0; i < e->num_envs; i++)
    if (e->time[i] >= t->change_time[i]) t->due[n++] = i;
  return n;
}

int cm_task_float(const cm_cfg *cfg, const char *key, int required, double def, float *out, cm_err *err) {
  double v = def;
  if ((required && cm_cfg_require(cfg, key, err)) || cm_cfg_float(cfg, key, def, &v, err)) return -1;
  char at[1200];
  if (!(v >= 0)) return cm_fail(err, "%s: must be a number >= 0 (got %g)", cm_env_cfg_at(cfg, key, at, sizeof at), v);
  *out = (float)v;
  return 0;
}

/* ---- the task env: amp + cm_task_ops ---------------------------------------------------- */

typedef struct cm_task_env {
  const cm_task_ops *ops;
  void *state;
  cm_task_buf t;
  float change_min, change_max; /* tar_change_time_min / _max */
} cm_task_env;

static cm_task_env *task_of(const cm_env *e) { return cm_amp_of(e)->task; }

int cm_task_env_init(cm_env *e, const cm_cfg *cfg, const cm_task_ops *ops, cm_err *err) {
  if (cm_amp_env_init(e, cfg, err)) return -1;
  cm_task_env *t = calloc(1, sizeof *t);
  if (!t) return cm_fail(err, "%s: out of memory", ops->name);
  cm_amp_of(e)->task = t;
  t->ops = ops;
  if (cm_task_float(cfg, "tar_change_time_min", 1, 0, &t->change_min, err) ||
      cm_task_float(cfg, "tar_change_time_max", 1, 0, &t->change_max, err))
    return -1;
  if (t->change_max < t->change_min)
    return cm_fail(err, "%s: tar_change_time_max %g is below tar_change_time_min %g", cfg->file, t->change_max,
                   t->change_min);
  return ops->init(e, cfg, &t->state, err) || cm_task_buf_alloc(&t->t, e->num_envs, err) ? -1 : 0;
}

void cm_task_env_destroy(cm_env *e) {
  cm_amp_env *a = cm_amp_of(e);
  cm_task_env *t = a ? a->task : NULL;
  if (t) {
    if (t->state) t->ops->destroy(t->state);
    cm_task_buf_free(&t->t);
    free(t);
    a->task = NULL;
  }
  cm_amp_env_destroy(e);
}

int cm_task_env_obs_dim(const cm_env *e) { return cm_dm_env_obs_dim(e) + task_of(e)->ops->obs_dim; }

static void draw_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env_ids *r = ctx;
  cm_env *e = r->e;
  cm_task_env *t = task_of(e);
  for (int k = begin; k < end; k++) {
    int i = r->ids[k];
    cm_rng rng = cm_task_rng(e->seed, e->env0, i, t->t.draws, t->ops->rng_stream);
    t->ops->draw(e, t->state, i, &rng);
    t->t.change_time[i] = cm_task_next_change(e->time[i], t->change_min, t->change_max, &rng);
  }
}

/* New targets for the listed envs (MimicKit _reset_task); their old targets' trials end first. */
static void reset_task(cm_env *e, const int *ids, int n) {
  cm_task_env *t = task_of(e);
  if (t->ops->trial_end)
    for (int k = 0; k < n; k++) t->ops->trial_end(e, t->state, ids[k]);
  cm_env_ids r = {e, ids};
  cm_pool_for(e->pool, n, draw_range, &r);
}

void cm_task_env_reset(cm_env *e, const int *ids, int n) {
  cm_amp_env_reset(e, ids, n);
  reset_task(e, ids, n);
}

void cm_task_env_pre_physics(cm_env *e) { cm_task_record_root(e, &task_of(e)->t); }

/* MimicKit's _update_misc: amp's, then the targets whose time is up change (after the test
 * figures of the step have been taken under the old target). */
void cm_task_env_post_physics(cm_env *e) {
  cm_task_env *t = task_of(e);
  cm_amp_env_post_physics(e);
  if (e->test_mode && t->ops->test_after_physics) t->ops->test_after_physics(e, t->state);
  int n = cm_task_due(e, &t->t);
  if (n > 0) reset_task(e, t->t.due, n);
}

static void obs_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  cm_task_env *t = task_of(e);
  int off = cm_dm_env_obs_dim(e);
  for (int i = begin; i < end; i++) t->ops->obs(e, t->state, i, e->obs + (size_t)e->obs_dim * i + off);
}

void cm_task_env_compute_obs(cm_env *e) {
  cm_amp_env_compute_obs(e);
  cm_pool_for(e->pool, e->num_envs, obs_range, e);
}

static void reward_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  cm_task_env *t = task_of(e);
  for (int i = begin; i < end; i++) t->ops->reward(e, t->state, i);
}

void cm_task_env_update_reward(cm_env *e) {
  cm_task_env *t = task_of(e);
  cm_amp_env_reward_done(e);
  cm_pool_for(e->pool, e->num_envs, reward_range, e);
  if (e->test_mode && t->ops->test_after_reward) t->ops->test_after_reward(e, t->state);
}

void cm_task_env_update_done(cm_env *e) { (void)e; /* filled by cm_amp_env_reward_done */ }

void cm_task_env_set_mode(cm_env *e, int test) {
  cm_task_env *t = task_of(e);
  cm_dm_env_set_mode(e, test);
  if (test) t->ops->begin_test(t->state, e->num_envs);
}

int cm_task_env_stats(cm_env *e, const char **keys, double *values, int max) {
  cm_task_env *t = task_of(e);
  int n = cm_dm_env_stats(e, keys, values, max);
  return n + t->ops->stats(t->state, keys + n, values + n, max - n);
}

int cm_task_env_markers(const cm_env *e, int i, cm_marker *out, int max) {
  const cm_task_env *t = task_of(e);
  return t->ops->markers(e, t->state, i, out, max);
}

const cm_task_buf *cm_task_env_buf(const cm_env *e) { return &task_of(e)->t; }

int cm_task_env_view(const cm_env *e, cm_task_view *out) {
  memset(out, 0, sizeof *out);
  cm_amp_env *a = cm_amp_of(e);
  cm_task_env *t = a ? a->task : NULL;
  if (!t) return -1;
  t->ops->view(t->state, out);
  out->prev_root_pos = t->t.prev_root_pos;
  out->change_time = t->t.change_time;
  out->draws = t->t.draws;
  out->change_min = t->change_min;
  out->change_max = t->change_max;
  out->rng_stream = t->ops->rng_stream;
  out->obs_offset = cm_dm_env_obs_dim(e);
  return 0;
}
