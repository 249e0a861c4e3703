/* task_location: amp with the location task (task_location.h), MimicKit's TaskLocationEnv.
 * Targets change when an env's time passes its change time and on every reset. In test mode
 * it reports Location_Success_Rate (targets reached within 0.5 m / targets whose time ran out)
 * and Location_Tar_Dist (mean horizontal distance to the target over the test steps). */
#include <stdlib.h>
#include <string.h>
#include "core/zalloc.h"
#include "env/amp.h"
#include "env/task_common.h"
#include "env/task_location.h"

static const char *const k_keys[] = {"tar_speed", "tar_change_time_min", "tar_change_time_max", "tar_dist_max", NULL};

typedef struct loc_env {
  cm_loc_params p;
  cm_task_buf t;
  float *tar_pos;   /* [N][3] */
  float *dist;      /* [N] scratch: distance after the step */
  uint8_t *reached; /* [N] the current target was reached (test mode) */
  int *steps;       /* [N] test steps under the current target */
  double dist_sum, last_rate, last_dist;
  long dist_count, trials, successes;
} loc_env;

static loc_env *loc(const cm_env *e) { return cm_amp_of(e)->task; }

static int init(cm_env *e, const cm_cfg *cfg, cm_err *err) {
  if (cm_amp_env_init(e, cfg, err)) return -1;
  loc_env *l = calloc(1, sizeof *l);
  if (!l) return cm_fail(err, "task_location: out of memory");
  cm_amp_of(e)->task = l;
  if (cm_task_float(cfg, "tar_speed", 1, 0, &l->p.tar_speed, err) ||
      cm_task_float(cfg, "tar_change_time_min", 1, 0, &l->p.tar_change_time_min, err) ||
      cm_task_float(cfg, "tar_change_time_max", 1, 0, &l->p.tar_change_time_max, err) ||
      cm_task_float(cfg, "tar_dist_max", 1, 0, &l->p.tar_dist_max, err))
    return -1;
  if (l->p.tar_change_time_max < l->p.tar_change_time_min)
    return cm_fail(err, "%s: tar_change_time_max %g is below tar_change_time_min %g", cfg->file,
                   l->p.tar_change_time_max, l->p.tar_change_time_min);
  l->p.dt = (float)e->engine->control_dt;
  size_t N = (size_t)e->num_envs;
  l->tar_pos = cm_zalloc(N * 3 * sizeof(float));
  l->dist = cm_zalloc(N * sizeof(float));
  l->reached = cm_zalloc(N);
  l->steps = cm_zalloc(N * sizeof(int));
  if (!l->tar_pos || !l->dist || !l->reached || !l->steps) return cm_fail(err, "task_location: out of memory");
  return cm_task_buf_alloc(&l->t, e->num_envs, err);
}

static void destroy(cm_env *e) {
  cm_amp_env *a = cm_amp_of(e);
  loc_env *l = a ? a->task : NULL;
  if (l) {
    cm_task_buf_free(&l->t);
    free(l->tar_pos); free(l->dist); free(l->reached); free(l->steps);
    free(l);
    a->task = NULL;
  }
  cm_amp_env_destroy(e);
}

static int obs_dim(const cm_env *e) { return cm_dm_env_obs_dim(e) + CM_LOC_OBS_DIM; }

static void task_reset_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env_ids *r = ctx;
  cm_env *e = r->e;
  loc_env *l = loc(e);
  for (int k = begin; k < end; k++) {
    int i = r->ids[k];
    cm_rng rng = cm_task_rng(e->seed, e->env0, i, l->t.draws, CM_LOC_RNG_STREAM);
    cm_loc_draw_target(&l->p, e->engine->st.root_pos + 3 * i, &rng, l->tar_pos + 3 * i);
    l->t.change_time[i] = cm_task_next_change(e->time[i], l->p.tar_change_time_min, l->p.tar_change_time_max, &rng);
  }
}

/* A target's trial ends (test mode): it counts if the env spent a test step under it. */
static void reset_task(cm_env *e, const int *ids, int n) {
  loc_env *l = loc(e);
  for (int k = 0; k < n; k++) {
    int i = ids[k];
    if (e->test_mode && l->steps[i] > 0) {
      l->trials++;
      l->successes += l->reached[i];
    }
    l->steps[i] = 0;
    l->reached[i] = 0;
  }
  cm_env_ids r = {e, ids};
  cm_pool_for(e->pool, n, task_reset_range, &r);
}

static void reset(cm_env *e, const int *ids, int n) {
  cm_amp_env_reset(e, ids, n);
  reset_task(e, ids, n);
}

static void pre_physics(cm_env *e) { cm_task_record_root(e, &loc(e)->t); }

static void dist_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  loc_env *l = loc(e);
  for (int i = begin; i < end; i++) l->dist[i] = cm_loc_dist(e->engine->st.root_pos + 3 * i, l->tar_pos + 3 * i);
}

/* MimicKit's _update_misc: amp's, then the targets whose time is up change (after the test
 * figures of the step have been taken under the old target). */
static void post_physics(cm_env *e) {
  loc_env *l = loc(e);
  cm_amp_env_post_physics(e);
  if (e->test_mode) {
    cm_pool_for(e->pool, e->num_envs, dist_range, e);
    for (int i = 0; i < e->num_envs; i++) {
      l->dist_sum += l->dist[i];
      l->steps[i]++;
      if (l->dist[i] < CM_LOC_SUCCESS_DIST) l->reached[i] = 1;
    }
    l->dist_count += e->num_envs;
  }
  int n = cm_task_due(e, &l->t);
  if (n > 0) reset_task(e, l->t.due, n);
}

static void obs_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  loc_env *l = loc(e);
  int off = cm_dm_env_obs_dim(e);
  for (int i = begin; i < end; i++)
    cm_loc_obs(e->engine->st.root_pos + 3 * i, e->engine->st.root_rot + 4 * i, l->tar_pos + 3 * i,
               e->obs + (size_t)e->obs_dim * i + off);
}

static void compute_obs(cm_env *e) {
  cm_amp_env_compute_obs(e);
  cm_pool_for(e->pool, e->num_envs, obs_range, e);
}

static void reward_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  loc_env *l = loc(e);
  const cm_sim_state *s = &e->engine->st;
  for (int i = begin; i < end; i++)
    e->reward[i] = cm_loc_reward(&l->p, s->root_pos + 3 * i, l->t.prev_root_pos + 3 * i, s->root_rot + 4 * i,
                                 l->tar_pos + 3 * i);
}

static void update_reward(cm_env *e) {
  cm_amp_env_reward_done(e);
  cm_pool_for(e->pool, e->num_envs, reward_range, e);
}

static void update_done(cm_env *e) { (void)e; /* filled by cm_amp_env_reward_done */ }

static void set_mode(cm_env *e, int test) {
  loc_env *l = loc(e);
  cm_dm_env_set_mode(e, test);
  if (!test) return;
  l->dist_sum = 0;
  l->dist_count = l->trials = l->successes = 0;
  memset(l->steps, 0, sizeof(int) * (size_t)e->num_envs);
  memset(l->reached, 0, (size_t)e->num_envs);
}

static int stats(cm_env *e, const char **keys, double *values, int max) {
  loc_env *l = loc(e);
  int n = cm_dm_env_stats(e, keys, values, max);
  if (l->trials > 0) l->last_rate = (double)l->successes / (double)l->trials;
  if (l->dist_count > 0) l->last_dist = l->dist_sum / (double)l->dist_count;
  l->trials = l->successes = l->dist_count = 0;
  l->dist_sum = 0;
  if (n < max) { keys[n] = "Location_Success_Rate"; values[n++] = l->last_rate; }
  if (n < max) { keys[n] = "Location_Tar_Dist"; values[n++] = l->last_dist; }
  return n;
}

/* A red ball on the ground at the target and a line to it from the root (MimicKit's marker and
 * location line). */
static int markers(const cm_env *e, int i, cm_marker *out, int max) {
  const loc_env *l = loc(e);
  const float *tar = l->tar_pos + 3 * i, *root = e->engine->st.root_pos + 3 * i;
  int n = 0;
  if (n < max) {
    cm_marker m = {.kind = CM_MARKER_SPHERE, .pos = {tar[0], tar[1], 0.f}, .size = 0.2f, .rgba = {0.8f, 0.f, 0.f, 1.f}};
    out[n++] = m;
  }
  if (n < max) {
    cm_marker m = {.kind = CM_MARKER_LINE, .pos = {root[0], root[1], root[2]},
                   .vec = {tar[0] - root[0], tar[1] - root[1], -root[2]}, .size = 0.01f, .rgba = {1.f, 0.f, 0.f, 0.5f}};
    out[n++] = m;
  }
  return n;
}

const cm_env_type cm_env_task_location = {
    .name = "task_location", .keys = k_keys, .base = &cm_env_amp,
    .engine_setup = cm_dm_env_setup, .init = init, .reset = reset, .post_physics = post_physics,
    .update_reward = update_reward, .update_done = update_done, .obs_dim = obs_dim, .compute_obs = compute_obs,
    .destroy = destroy, .pre_physics = pre_physics, .set_mode = set_mode, .stats = stats,
    .fetch_disc_obs_demo = cm_amp_env_fetch_disc_obs_demo, .markers = markers,
};
