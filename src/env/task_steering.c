/* task_steering: amp with the steering task (task_steering.h), MimicKit's TaskSteeringEnv.
 * Commands change when an env's time passes its change time and on every reset. In test mode
 * it reports Steering_Speed_Err and Steering_Heading_Err, means over the test steps. */
#include <stdlib.h>
#include <string.h>
#include "core/zalloc.h"
#include "env/amp.h"
#include "env/task_common.h"
#include "env/task_steering.h"

static const char *const k_keys[] = {"rand_tar_dir", "rand_face_dir", "tar_speed_min", "tar_speed_max",
                                     "tar_change_time_min", "tar_change_time_max", "reward_steering_tar_w",
                                     "reward_steering_face_w", "reward_steering_vel_scale", NULL};

typedef struct steer_env {
  cm_steer_params p;
  cm_task_buf t;
  float *dir, *face, *speed; /* [N][2], [N][2], [N] */
  float *errs;               /* [N][2] scratch: this step's speed and heading errors */
  double err_sum[2], last[2];
  long count;
} steer_env;

static steer_env *steer(const cm_env *e) { return cm_amp_of(e)->task; }

static int init(cm_env *e, const cm_cfg *cfg, cm_err *err) {
  if (cm_amp_env_init(e, cfg, err)) return -1;
  steer_env *s = calloc(1, sizeof *s);
  if (!s) return cm_fail(err, "task_steering: out of memory");
  cm_amp_of(e)->task = s;
  cm_steer_params *p = &s->p;
  if (cm_cfg_bool(cfg, "rand_tar_dir", 1, &p->rand_tar_dir, err) ||
      cm_cfg_bool(cfg, "rand_face_dir", 1, &p->rand_face_dir, err) ||
      cm_task_float(cfg, "tar_speed_min", 1, 0, &p->tar_speed_min, err) ||
      cm_task_float(cfg, "tar_speed_max", 1, 0, &p->tar_speed_max, err) ||
      cm_task_float(cfg, "tar_change_time_min", 1, 0, &p->tar_change_time_min, err) ||
      cm_task_float(cfg, "tar_change_time_max", 1, 0, &p->tar_change_time_max, err) ||
      cm_task_float(cfg, "reward_steering_tar_w", 1, 0, &p->tar_w, err) ||
      cm_task_float(cfg, "reward_steering_face_w", 1, 0, &p->face_w, err) ||
      cm_task_float(cfg, "reward_steering_vel_scale", 1, 0, &p->vel_scale, err))
    return -1;
  if (p->tar_speed_max < p->tar_speed_min || p->tar_change_time_max < p->tar_change_time_min)
    return cm_fail(err, "%s: a *_max below its *_min (tar_speed %g..%g, tar_change_time %g..%g)", cfg->file,
                   p->tar_speed_min, p->tar_speed_max, p->tar_change_time_min, p->tar_change_time_max);
  p->dt = (float)e->engine->control_dt;
  size_t N = (size_t)e->num_envs;
  s->dir = cm_zalloc(N * 2 * sizeof(float));
  s->face = cm_zalloc(N * 2 * sizeof(float));
  s->speed = cm_zalloc(N * sizeof(float));
  s->errs = cm_zalloc(N * 2 * sizeof(float));
  if (!s->dir || !s->face || !s->speed || !s->errs) return cm_fail(err, "task_steering: out of memory");
  return cm_task_buf_alloc(&s->t, e->num_envs, err);
}

static void destroy(cm_env *e) {
  cm_amp_env *a = cm_amp_of(e);
  steer_env *s = a ? a->task : NULL;
  if (s) {
    cm_task_buf_free(&s->t);
    free(s->dir); free(s->face); free(s->speed); free(s->errs);
    free(s);
    a->task = NULL;
  }
  cm_amp_env_destroy(e);
}

static int obs_dim(const cm_env *e) { return cm_dm_env_obs_dim(e) + CM_STEER_OBS_DIM; }

static void task_reset_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env_ids *r = ctx;
  cm_env *e = r->e;
  steer_env *s = steer(e);
  for (int k = begin; k < end; k++) {
    int i = r->ids[k];
    cm_rng rng = cm_task_rng(e->seed, e->env0, i, s->t.draws, CM_STEER_RNG_STREAM);
    cm_steer_draw(&s->p, &rng, s->dir + 2 * i, s->face + 2 * i, s->speed + i);
    s->t.change_time[i] = cm_task_next_change(e->time[i], s->p.tar_change_time_min, s->p.tar_change_time_max, &rng);
  }
}

static void reset_task(cm_env *e, const int *ids, int n) {
  cm_env_ids r = {e, ids};
  cm_pool_for(e->pool, n, task_reset_range, &r);
}

static void reset(cm_env *e, const int *ids, int n) {
  cm_amp_env_reset(e, ids, n);
  reset_task(e, ids, n);
}

static void pre_physics(cm_env *e) { cm_task_record_root(e, &steer(e)->t); }

static void post_physics(cm_env *e) {
  steer_env *s = steer(e);
  cm_amp_env_post_physics(e);
  int n = cm_task_due(e, &s->t);
  if (n > 0) reset_task(e, s->t.due, n);
}

static void obs_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  steer_env *s = steer(e);
  int off = cm_dm_env_obs_dim(e);
  for (int i = begin; i < end; i++)
    cm_steer_obs(e->engine->st.root_rot + 4 * i, s->dir + 2 * i, s->speed[i], s->face + 2 * i,
                 e->obs + (size_t)e->obs_dim * i + off);
}

static void compute_obs(cm_env *e) {
  cm_amp_env_compute_obs(e);
  cm_pool_for(e->pool, e->num_envs, obs_range, e);
}

static void reward_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  steer_env *s = steer(e);
  const cm_sim_state *st = &e->engine->st;
  for (int i = begin; i < end; i++) {
    const float *rp = st->root_pos + 3 * i, *prev = s->t.prev_root_pos + 3 * i, *rr = st->root_rot + 4 * i;
    e->reward[i] = cm_steer_reward(&s->p, rp, prev, rr, s->dir + 2 * i, s->speed[i], s->face + 2 * i);
    if (e->test_mode) cm_steer_errors(&s->p, rp, prev, rr, s->dir + 2 * i, s->speed[i], s->face + 2 * i, s->errs + 2 * i);
  }
}

static void update_reward(cm_env *e) {
  steer_env *s = steer(e);
  cm_amp_env_reward_done(e);
  cm_pool_for(e->pool, e->num_envs, reward_range, e);
  if (!e->test_mode) return;
  for (int i = 0; i < e->num_envs; i++) {
    s->err_sum[0] += s->errs[2 * i];
    s->err_sum[1] += s->errs[2 * i + 1];
  }
  s->count += e->num_envs;
}

static void update_done(cm_env *e) { (void)e; /* filled by cm_amp_env_reward_done */ }

static void set_mode(cm_env *e, int test) {
  steer_env *s = steer(e);
  cm_dm_env_set_mode(e, test);
  if (!test) return;
  s->err_sum[0] = s->err_sum[1] = 0;
  s->count = 0;
}

static int stats(cm_env *e, const char **keys, double *values, int max) {
  steer_env *s = steer(e);
  int n = cm_dm_env_stats(e, keys, values, max);
  if (s->count > 0)
    for (int k = 0; k < 2; k++) s->last[k] = s->err_sum[k] / (double)s->count;
  s->err_sum[0] = s->err_sum[1] = 0;
  s->count = 0;
  if (n < max) { keys[n] = "Steering_Speed_Err"; values[n++] = s->last[0]; }
  if (n < max) { keys[n] = "Steering_Heading_Err"; values[n++] = s->last[1]; }
  return n;
}

/* A red arrow along the commanded direction (longer for a faster command: 1 m at
 * tar_speed_min to 1.5 m at tar_speed_max, as MimicKit places its marker) and a green one
 * along the commanded facing, both from the root's foot point. */
static int markers(const cm_env *e, int i, cm_marker *out, int max) {
  const steer_env *s = steer(e);
  const float *root = e->engine->st.root_pos + 3 * i, *dir = s->dir + 2 * i, *face = s->face + 2 * i;
  float span = s->p.tar_speed_max - s->p.tar_speed_min;
  float len = 1.f + 0.5f * (span > 0.f ? (s->speed[i] - s->p.tar_speed_min) / span : 0.f);
  int n = 0;
  if (n < max) {
    cm_marker m = {.kind = CM_MARKER_ARROW, .pos = {root[0], root[1], 0.1f}, .vec = {len * dir[0], len * dir[1], 0.f},
                   .size = 0.08f, .rgba = {0.8f, 0.f, 0.f, 1.f}};
    out[n++] = m;
  }
  if (n < max) {
    cm_marker m = {.kind = CM_MARKER_ARROW, .pos = {root[0], root[1], 0.06f}, .vec = {face[0], face[1], 0.f},
                   .size = 0.06f, .rgba = {0.f, 0.8f, 0.f, 1.f}};
    out[n++] = m;
  }
  return n;
}

const cm_env_type cm_env_task_steering = {
    .name = "task_steering", .keys = k_keys, .base = &cm_env_amp,
    .engine_setup = cm_dm_env_setup, .init = init, .reset = reset, .post_physics = post_physics,
    .update_reward = update_reward, .update_done = update_done, .obs_dim = obs_dim, .compute_obs = compute_obs,
    .destroy = destroy, .pre_physics = pre_physics, .set_mode = set_mode, .stats = stats,
    .fetch_disc_obs_demo = cm_amp_env_fetch_disc_obs_demo, .markers = markers,
};
