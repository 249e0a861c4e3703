/* task_location: amp with the location task (task_location.h), MimicKit's TaskLocationEnv.
 * Targets change when an env's time passes its change time and on every reset (the task env
 * core, task_common.h). In test mode it reports Location_Success_Rate (targets reached within
 * 0.5 m / targets whose time ran out) and Location_Tar_Dist (mean horizontal distance to the
 * target over the test steps). */
#include <stdlib.h>
#include <string.h>
#include "core/zalloc.h"
#include "env/amp.h"
#include "env/task_common.h"
#include "env/task_location.h"
#include "env/task_view.h"

static const char *const k_keys[] = {"tar_speed", "tar_change_time_min", "tar_change_time_max", "tar_dist_max", NULL};

typedef struct loc_task {
  cm_loc_params p;
  float *tar_pos;   /* [N][3] */
  float *dist;      /* [N] scratch: distance after the step */
  uint8_t *reached; /* [N] the current target was reached (test mode) */
  int *steps;       /* [N] test steps under the current target */
  double dist_sum, last_rate, last_dist;
  long dist_count, trials, successes;
} loc_task;

static void destroy(void *state) {
  loc_task *l = state;
  free(l->tar_pos); free(l->dist); free(l->reached); free(l->steps);
  free(l);
}

static int init(cm_env *e, const cm_cfg *cfg, void **state, cm_err *err) {
  loc_task *l = calloc(1, sizeof *l);
  if (!l) return cm_fail(err, "task_location: out of memory");
  *state = l;
  if (cm_task_float(cfg, "tar_speed", 1, 0, &l->p.tar_speed, err) ||
      cm_task_float(cfg, "tar_dist_max", 1, 0, &l->p.tar_dist_max, err))
    return -1;
  l->p.dt = (float)e->engine->control_dt;
  size_t N = (size_t)e->num_envs;
  l->tar_pos = cm_zalloc(N * 3 * sizeof(float));
  l->dist = cm_zalloc(N * sizeof(float));
  l->reached = cm_zalloc(N);
  l->steps = cm_zalloc(N * sizeof(int));
  if (!l->tar_pos || !l->dist || !l->reached || !l->steps) return cm_fail(err, "task_location: out of memory");
  return 0;
}

static void draw(const cm_env *e, void *state, int i, cm_rng *rng) {
  loc_task *l = state;
  cm_loc_draw_target(&l->p, e->engine->st.root_pos + 3 * i, rng, l->tar_pos + 3 * i);
}

/* A target's trial ends (test mode): it counts if the env spent a test step under it. */
static void trial_end(cm_env *e, void *state, int i) {
  loc_task *l = state;
  if (e->test_mode && l->steps[i] > 0) {
    l->trials++;
    l->successes += l->reached[i];
  }
  l->steps[i] = 0;
  l->reached[i] = 0;
}

static void obs(const cm_env *e, const void *state, int i, float *out) {
  const loc_task *l = state;
  cm_loc_obs(e->engine->st.root_pos + 3 * i, e->engine->st.root_rot + 4 * i, l->tar_pos + 3 * i, out);
}

static void reward(cm_env *e, void *state, int i) {
  loc_task *l = state;
  const cm_sim_state *s = &e->engine->st;
  e->reward[i] = cm_loc_reward(&l->p, s->root_pos + 3 * i, cm_task_env_buf(e)->prev_root_pos + 3 * i,
                               s->root_rot + 4 * i, l->tar_pos + 3 * i);
}

/* The distances under the step's targets, before targets whose time is up change. */
static void test_after_physics(cm_env *e, void *state) {
  loc_task *l = state;
  for (int i = 0; i < e->num_envs; i++) l->dist[i] = cm_loc_dist(e->engine->st.root_pos + 3 * i, l->tar_pos + 3 * i);
  for (int i = 0; i < e->num_envs; i++) {
    l->dist_sum += l->dist[i];
    l->steps[i]++;
    if (l->dist[i] < CM_LOC_SUCCESS_DIST) l->reached[i] = 1;
  }
  l->dist_count += e->num_envs;
}

static void begin_test(void *state, int num_envs) {
  loc_task *l = state;
  l->dist_sum = 0;
  l->dist_count = l->trials = l->successes = 0;
  memset(l->steps, 0, sizeof(int) * (size_t)num_envs);
  memset(l->reached, 0, (size_t)num_envs);
}

static int stats(void *state, const char **keys, double *values, int max) {
  loc_task *l = state;
  int n = 0;
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
static int markers(const cm_env *e, const void *state, int i, cm_marker *out, int max) {
  const loc_task *l = state;
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

static void view(void *state, cm_task_view *out) {
  loc_task *l = state;
  out->kind = CM_TASK_LOCATION;
  out->loc = l->p;
  out->rows[0] = l->tar_pos;
  out->row_width[0] = 3;
  out->nrows = 1;
}

static const cm_task_ops k_task = {
    .name = "task_location", .obs_dim = CM_LOC_OBS_DIM, .rng_stream = CM_LOC_RNG_STREAM, .init = init,
    .destroy = destroy, .draw = draw, .trial_end = trial_end, .obs = obs, .reward = reward,
    .test_after_physics = test_after_physics, .begin_test = begin_test, .stats = stats, .markers = markers,
    .view = view,
};

static int env_init(cm_env *e, const cm_cfg *cfg, cm_err *err) { return cm_task_env_init(e, cfg, &k_task, err); }

const cm_env_type cm_env_task_location = {
    .name = "task_location", .keys = k_keys, .base = &cm_env_amp, .engine_setup = cm_dm_env_setup, .init = env_init,
    CM_TASK_ENV_HOOKS,
};
