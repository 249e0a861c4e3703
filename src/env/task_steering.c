/* task_steering: amp with the steering task (task_steering.h), MimicKit's TaskSteeringEnv.
 * Commands change when an env's time passes its change time and on every reset (the task env
 * core, task_common.h). In test mode it reports Steering_Speed_Err and Steering_Heading_Err,
 * means over the test steps. */
#include <stdlib.h>
#include <string.h>
#include "core/zalloc.h"
#include "env/amp.h"
#include "env/task_common.h"
#include "env/task_steering.h"
#include "env/task_view.h"

static const char *const k_keys[] = {"rand_tar_dir", "rand_face_dir", "tar_speed_min", "tar_speed_max",
                                     "tar_change_time_min", "tar_change_time_max", "reward_steering_tar_w",
                                     "reward_steering_face_w", "reward_steering_vel_scale", NULL};

typedef struct steer_task {
  cm_steer_params p;
  float *dir, *face, *speed; /* [N][2], [N][2], [N] */
  float *errs;               /* [N][2] scratch: this step's speed and heading errors */
  double err_sum[2], last[2];
  long count;
} steer_task;

static void destroy(void *state) {
  steer_task *s = state;
  free(s->dir); free(s->face); free(s->speed); free(s->errs);
  free(s);
}

static int init(cm_env *e, const cm_cfg *cfg, void **state, cm_err *err) {
  steer_task *s = calloc(1, sizeof *s);
  if (!s) return cm_fail(err, "task_steering: out of memory");
  *state = s;
  cm_steer_params *p = &s->p;
  if (cm_cfg_bool(cfg, "rand_tar_dir", 1, &p->rand_tar_dir, err) ||
      cm_cfg_bool(cfg, "rand_face_dir", 1, &p->rand_face_dir, err) ||
      cm_task_float(cfg, "tar_speed_min", 1, 0, &p->tar_speed_min, err) ||
      cm_task_float(cfg, "tar_speed_max", 1, 0, &p->tar_speed_max, err) ||
      cm_task_float(cfg, "reward_steering_tar_w", 1, 0, &p->tar_w, err) ||
      cm_task_float(cfg, "reward_steering_face_w", 1, 0, &p->face_w, err) ||
      cm_task_float(cfg, "reward_steering_vel_scale", 1, 0, &p->vel_scale, err))
    return -1;
  if (p->tar_speed_max < p->tar_speed_min)
    return cm_fail(err, "%s: tar_speed_max %g is below tar_speed_min %g", cfg->file, p->tar_speed_max, p->tar_speed_min);
  p->dt = (float)e->engine->control_dt;
  size_t N = (size_t)e->num_envs;
  s->dir = cm_zalloc(N * 2 * sizeof(float));
  s->face = cm_zalloc(N * 2 * sizeof(float));
  s->speed = cm_zalloc(N * sizeof(float));
  s->errs = cm_zalloc(N * 2 * sizeof(float));
  if (!s->dir || !s->face || !s->speed || !s->errs) return cm_fail(err, "task_steering: out of memory");
  return 0;
}

static void draw(const cm_env *e, void *state, int i, cm_rng *rng) {
  (void)e;
  steer_task *s = state;
  cm_steer_draw(&s->p, rng, s->dir + 2 * i, s->face + 2 * i, s->speed + i);
}

static void obs(const cm_env *e, const void *state, int i, float *out) {
  const steer_task *s = state;
  cm_steer_obs(e->engine->st.root_rot + 4 * i, s->dir + 2 * i, s->speed[i], s->face + 2 * i, out);
}

static void reward(cm_env *e, void *state, int i) {
  steer_task *s = state;
  const cm_sim_state *st = &e->engine->st;
  const float *rp = st->root_pos + 3 * i, *prev = cm_task_env_buf(e)->prev_root_pos + 3 * i, *rr = st->root_rot + 4 * i;
  e->reward[i] = cm_steer_reward(&s->p, rp, prev, rr, s->dir + 2 * i, s->speed[i], s->face + 2 * i);
  if (e->test_mode) cm_steer_errors(&s->p, rp, prev, rr, s->dir + 2 * i, s->speed[i], s->face + 2 * i, s->errs + 2 * i);
}

static void test_after_reward(cm_env *e, void *state) {
  steer_task *s = state;
  for (int i = 0; i < e->num_envs; i++) {
    s->err_sum[0] += s->errs[2 * i];
    s->err_sum[1] += s->errs[2 * i + 1];
  }
  s->count += e->num_envs;
}

static void begin_test(void *state, int num_envs) {
  (void)num_envs;
  steer_task *s = state;
  s->err_sum[0] = s->err_sum[1] = 0;
  s->count = 0;
}

static int stats(void *state, const char **keys, double *values, int max) {
  steer_task *s = state;
  int n = 0;
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
static int markers(const cm_env *e, const void *state, int i, cm_marker *out, int max) {
  const steer_task *s = state;
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

static void view(void *state, cm_task_view *out) {
  steer_task *s = state;
  out->kind = CM_TASK_STEERING;
  out->steer = s->p;
  out->rows[0] = s->dir;
  out->rows[1] = s->face;
  out->rows[2] = s->speed;
  out->row_width[0] = out->row_width[1] = 2;
  out->row_width[2] = 1;
  out->nrows = 3;
}

static const cm_task_ops k_task = {
    .name = "task_steering", .obs_dim = CM_STEER_OBS_DIM, .rng_stream = CM_STEER_RNG_STREAM, .init = init,
    .destroy = destroy, .draw = draw, .obs = obs, .reward = reward, .test_after_reward = test_after_reward,
    .begin_test = begin_test, .stats = stats, .markers = markers, .view = view,
};

static int env_init(cm_env *e, const cm_cfg *cfg, cm_err *err) { return cm_task_env_init(e, cfg, &k_task, err); }

const cm_env_type cm_env_task_steering = {
    .name = "task_steering", .keys = k_keys, .base = &cm_env_amp, .engine_setup = cm_dm_env_setup, .init = env_init,
    CM_TASK_ENV_HOOKS,
};
