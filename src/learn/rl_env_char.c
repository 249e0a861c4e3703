#include "learn/rl_env_char.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "env/deepmimic_gpu.h"
#include "env/env.h"

typedef struct char_ctx {
  cm_env *env;
  int *done_ids;
  float *disc_obs, *disc_obs_demo; /* [N][disc_obs_dim]: the step's values, kept from the reset */
  cm_env_observer observer;
  void *observer_user;
  cm_dm_gpu *gpu; /* the env's step as kernels (deepmimic, the amp family, tasks on the cuda engine's GPU), or NULL */
  int on_gpu;     /* 1: the device copy is the env's truth */
} char_ctx;

/* The host path is needed while something reads the host env after every step (an observer:
 * videos) or the device step cannot run the mode (a task env in test mode). */
static int needs_host(const char_ctx *c) { return c->observer != NULL || (c->gpu && cm_dm_gpu_host_only(c->gpu)); }

/* Moves the env's state to where the next step runs (once per change of place). */
static int place(char_ctx *c, cm_err *err) {
  int want = c->gpu && !needs_host(c);
  if (want == c->on_gpu) return 0;
  if (want ? cm_dm_gpu_from_host(c->gpu, err) : cm_dm_gpu_to_host(c->gpu, err)) return -1;
  c->on_gpu = want;
  return 0;
}

/* Lets the observer see the state before finished envs are reset (videos end on the last pose). */
static int observe(char_ctx *c, cm_err *err) { return c->observer ? c->observer(c->observer_user, c->env, err) : 0; }

static int char_reset(void *vctx, float *obs, cm_err *err) {
  (void)err;
  char_ctx *c = vctx;
  if (place(c, err)) return -1;
  if (c->on_gpu) return cm_dm_gpu_reset_host(c->gpu, obs, err);
  cm_env_reset(c->env, NULL, 0);
  if (observe(c, err)) return -1;
  memcpy(obs, c->env->obs, (size_t)c->env->num_envs * c->env->obs_dim * sizeof(float));
  return 0;
}

static int char_step(void *vctx, const float *actions, float *next_obs, float *obs, float *reward, uint8_t *done,
                     cm_err *err) {
  char_ctx *c = vctx;
  cm_env *e = c->env;
  size_t obs_bytes = (size_t)e->num_envs * e->obs_dim * sizeof(float);
  if (place(c, err)) return -1;
  if (c->on_gpu) return cm_dm_gpu_step_host(c->gpu, actions, next_obs, obs, reward, done, err);
  if (cm_env_step(e, actions, err) || observe(c, err)) return -1;
  memcpy(next_obs, e->obs, obs_bytes);
  size_t disc_bytes = (size_t)e->num_envs * e->disc_obs_dim * sizeof(float);
  if (c->disc_obs) memcpy(c->disc_obs, e->disc_obs, disc_bytes);
  if (c->disc_obs_demo) memcpy(c->disc_obs_demo, e->disc_obs_demo, disc_bytes);
  int n = 0;
  for (int i = 0; i < e->num_envs; i++) {
    reward[i] = e->reward[i];
    done[i] = (uint8_t)e->done[i];
    if (e->done[i] != CM_DONE_NULL) c->done_ids[n++] = i;
  }
  /* MimicKit resets the finished envs after recording the step (base_agent._reset_done_envs). */
  if (n > 0) cm_env_reset(e, c->done_ids, n);
  memcpy(obs, e->obs, obs_bytes);
  return 0;
}

/* the entries taking device arrays: only while the env is on the device */
static int on_gpu_or_fail(char_ctx *c, cm_err *err) {
  if (place(c, err)) return -1;
  return c->on_gpu ? 0
                   : cm_fail(err, "%s:%d: the env runs on the host now (an observer reads it: video; or a task env in test mode)",
                             __FILE__, __LINE__);
}

static int char_reset_dev(void *vctx, float *obs, cm_err *err) {
  char_ctx *c = vctx;
  return on_gpu_or_fail(c, err) || cm_dm_gpu_reset(c->gpu, obs, err) ? -1 : 0;
}

static int char_step_dev(void *vctx, const float *actions, float *next_obs, float *obs, float *reward, uint8_t *done,
                         cm_err *err) {
  char_ctx *c = vctx;
  return on_gpu_or_fail(c, err) || cm_dm_gpu_step(c->gpu, actions, next_obs, obs, reward, done, err) ? -1 : 0;
}

static int char_dev_ready(void *vctx) { return !needs_host(vctx); }

static void char_set_disc_out_dev(void *vctx, float *disc_obs, float *disc_obs_demo) {
  char_ctx *c = vctx;
  if (disc_obs) cm_dm_gpu_set_disc_out(c->gpu, disc_obs, disc_obs_demo);
  else cm_dm_gpu_set_disc_out(c->gpu, c->disc_obs, c->disc_obs_demo);
}

static int char_fetch_disc_obs_demo_dev(void *vctx, int n, float *out, cm_err *err) {
  char_ctx *c = vctx;
  return on_gpu_or_fail(c, err) || cm_dm_gpu_fetch_disc_obs_demo(c->gpu, n, out, err) ? -1 : 0;
}

static int char_profile(void *vctx, char *line, size_t cap) {
  char_ctx *c = vctx;
  cm_dm_gpu_times t;
  cm_dm_gpu_times_get(c->gpu, &t);
  cm_dm_gpu_times_reset(c->gpu);
  if (t.steps == 0) return 0;
  snprintf(line, cap, "env on cuda:%d, %ld steps, device s: action %.3f + physics %.3f + env kernels %.3f + resets %.3f + copies %.3f",
           cm_dm_gpu_device(c->gpu), t.steps, t.action_s, t.physics_s, t.env_s, t.reset_s, t.copy_s);
  return 1;
}

static void char_set_mode(void *vctx, cm_rl_mode mode) {
  char_ctx *c = vctx;
  cm_env_set_mode(c->env, mode == CM_RL_TEST);
}

/* on the device while the env is there (the motion library is there too; ~17 us a sample on one
 * host core for the amp humanoid, 131072 samples an iteration at 4096 envs) */
static int char_fetch_disc_obs_demo(void *vctx, int n, float *out, cm_err *err) {
  char_ctx *c = vctx;
  if (c->on_gpu) return cm_dm_gpu_fetch_disc_obs_demo(c->gpu, n, out, err);
  return cm_env_fetch_disc_obs_demo(c->env, n, out, err);
}

static int char_env_stats(void *vctx, const char **keys, double *values, int max) {
  char_ctx *c = vctx;
  return cm_env_stats(c->env, keys, values, max);
}

static void char_destroy(void *vctx) {
  char_ctx *c = vctx;
  if (!c) return;
  if (c->gpu && c->on_gpu) cm_dm_gpu_to_host(c->gpu, NULL); /* the borrowed env outlives the adapter */
  cm_dm_gpu_destroy(c->gpu);
  free(c->disc_obs);
  free(c->disc_obs_demo);
  free(c->done_ids);
  free(c);
}

int cm_rl_env_from_char(cm_rl_env *out, cm_env *env, cm_err *err) {
  memset(out, 0, sizeof *out);
  char_ctx *c = calloc(1, sizeof *c);
  size_t disc = (size_t)env->num_envs * env->disc_obs_dim * sizeof(float);
  if (c) c->done_ids = malloc((size_t)env->num_envs * sizeof(int));
  if (c && env->disc_obs_dim > 0) c->disc_obs = calloc(1, disc);
  if (c && env->disc_obs_demo) c->disc_obs_demo = calloc(1, disc);
  if (!c || !c->done_ids || (env->disc_obs_dim > 0 && !c->disc_obs) || (env->disc_obs_demo && !c->disc_obs_demo)) {
    char_destroy(c);
    return cm_fail(err, "%s:%d: out of memory wrapping the environment", __FILE__, __LINE__);
  }
  c->env = env;
  out->ctx = c;
  out->num_envs = env->num_envs;
  out->obs_dim = env->obs_dim;
  out->act_dim = env->act_dim;
  out->control_dt = (float)cm_env_dt(env);
  out->action_low = env->action_low;
  out->action_high = env->action_high;
  out->reward_fail = 0.f;
  out->reward_succ = 0.f;
  out->reset = char_reset;
  out->step = char_step;
  out->set_mode = char_set_mode;
  out->disc_obs_dim = env->disc_obs_dim;
  out->disc_obs = c->disc_obs;
  out->disc_obs_demo = c->disc_obs_demo;
  out->fetch_disc_obs_demo = env->disc_obs_dim > 0 ? char_fetch_disc_obs_demo : NULL;
  out->env_stats = char_env_stats; /* the type's figures, and the engine's reset count */
  out->destroy = char_destroy;
  /* deepmimic, the amp family and the tasks on the cuda engine's GPU step as kernels unless CMIMIC_DEVICE_ENV=0 */
  const char *de = getenv("CMIMIC_DEVICE_ENV");
  if (cm_dm_gpu_supported(env, NULL) && !(de && !strcmp(de, "0"))) {
    if (cm_dm_gpu_create(env, &c->gpu, err)) {
      char_destroy(c);
      memset(out, 0, sizeof *out);
      return -1;
    }
    /* the step's disc_obs comes down into the arrays the agent reads (rl_env.h: host arrays) */
    cm_dm_gpu_set_disc_out(c->gpu, c->disc_obs, c->disc_obs_demo);
    c->on_gpu = 1;
    out->on_device = 1;
    out->device = cm_dm_gpu_device(c->gpu);
    out->stream = cm_dm_gpu_stream(c->gpu);
    out->reset_dev = char_reset_dev;
    out->step_dev = char_step_dev;
    out->dev_ready = char_dev_ready;
    if (env->disc_obs_dim > 0) {
      out->set_disc_out_dev = char_set_disc_out_dev;
      out->fetch_disc_obs_demo_dev = char_fetch_disc_obs_demo_dev;
    }
    out->profile = char_profile;
  }
  return 0;
}

void cm_rl_env_char_observe(cm_rl_env *rl, cm_env_observer fn, void *user) {
  char_ctx *c = rl->ctx;
  c->observer = fn;
  c->observer_user = user;
}
