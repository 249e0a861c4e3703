/* The environment as the RL agents see it: a batch of num_envs episodes stepped together.
 *
 * Episode ends follow MimicKit's base_agent: after env.step the agent records the observation
 * the step produced (for a finished env that is the LAST observation of the ended episode, and
 * the critic bootstraps from it on a timeout), then resets the finished envs and acts on their
 * new first observation. Here the environment does that reset itself inside step and hands back
 * both arrays:
 *   next_obs [N][obs_dim]  the observation right after the step (pre-reset)
 *   obs      [N][obs_dim]  what the agent acts on next: next_obs, or for a done env the first
 *                          observation of its new episode
 * done flags are MimicKit's DoneFlags: 0 NULL, 1 FAIL, 2 SUCC, 3 TIME (learn/returns.h).
 * All arrays are host memory owned by the caller (device memory for the _dev entries). */
#ifndef CM_LEARN_RL_ENV_H
#define CM_LEARN_RL_ENV_H
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

typedef enum { CM_RL_TRAIN = 0, CM_RL_TEST = 1 } cm_rl_mode;

typedef struct cm_rl_env {
  void *ctx;
  int num_envs, obs_dim, act_dim;
  const float *action_low, *action_high; /* [act_dim]; infinite bounds disable the bound loss */
  float control_dt;                      /* seconds per step (ASE's latent schedule); 0: 1/30 assumed */
  float reward_fail, reward_succ;        /* per-step rewards whose discounted sums stand in for the
                                            value after FAIL / SUCC (MimicKit get_reward_fail/succ) */
  /* Resets every env and writes obs [N][obs_dim]. */
  int (*reset)(void *ctx, float *obs, cm_err *err);
  /* One control step of every env, resetting the finished ones afterwards (see above). */
  int (*step)(void *ctx, const float *actions, float *next_obs, float *obs, float *reward, uint8_t *done,
              cm_err *err);
  void (*set_mode)(void *ctx, cm_rl_mode mode); /* NULL: no difference between train and test */

  /* ---- discriminator family (AMP, ASE, ADD; MimicKit's info["disc_obs"] & co.) ----
   * disc_obs_dim 0: the env has no discriminator observation and the pointers below are NULL.
   * After every step, disc_obs [N][disc_obs_dim] holds each env's discriminator observation of
   * the step just taken (pre-reset, like next_obs); ADD envs also fill disc_obs_demo with the
   * reference motion's observation at the same time (NULL otherwise). Both are env-owned. */
  int disc_obs_dim;
  const float *disc_obs, *disc_obs_demo;
  /* n demo observations sampled from the motion library / dataset (fetch_disc_obs_demo). */
  int (*fetch_disc_obs_demo)(void *ctx, int n, float *out, cm_err *err);

  /* ---- env statistics (tracking error, task figures) ----
   * Fills up to max (key, value) pairs of the env's own figures accumulated since the last call
   * (then clears them): e.g. Tracking_Error_Root_Pos, Location_Success_Rate. Keys are static
   * strings. NULL: none. The agent logs them in its table (train and test phases). */
  int (*env_stats)(void *ctx, const char **keys, double *values, int max);
  /* ---- device flavour (the env steps on a GPU, env/deepmimic_gpu.h) ----
   * on_device 1: the env's state lives on CUDA device `device`; reset_dev / step_dev take device
   * arrays of the shapes above (done: DoneFlags bytes) and finish their work (queued on `stream`,
   * a cudaStream_t) before returning. reset / step keep working with host arrays: then only the
   * actions go up and obs, next_obs, reward, done come down. disc_obs / disc_obs_demo stay host
   * arrays either way (the device step copies them down before returning, unless
   * set_disc_out_dev redirected them). on_device 0: the
   * pointers are NULL. */
  int on_device, device;
  void *stream;
  int (*reset_dev)(void *ctx, float *obs, cm_err *err);
  int (*step_dev)(void *ctx, const float *actions, float *next_obs, float *obs, float *reward, uint8_t *done,
                  cm_err *err);
  /* 1 while reset_dev / step_dev can be used now (0 while something reads the host env after
   * every step, e.g. a video's observer); NULL: always while on_device. */
  int (*dev_ready)(void *ctx);
  /* Discriminator rows straight into device arrays (amp family on the device; NULL otherwise).
   * set_disc_out_dev: arrays [N][disc_obs_dim] on `device` that every step taken while dev_ready
   * (step_dev, or step) writes its disc_obs (and ADD's disc_obs_demo) into instead of the host
   * arrays disc_obs / disc_obs_demo (then stale); a step on the host still fills the host ones.
   * NULL, NULL: back to the host arrays. fetch_disc_obs_demo_dev: fetch_disc_obs_demo into device
   * array out [n][disc_obs_dim]; fails with one line while dev_ready is 0. */
  void (*set_disc_out_dev)(void *ctx, float *disc_obs, float *disc_obs_demo);
  int (*fetch_disc_obs_demo_dev)(void *ctx, int n, float *out, cm_err *err);
  /* One line of where the env's step time went since the last call (then cleared), for
   * CMIMIC_PROFILE; 0 when there is nothing to say. NULL: no such figures. */
  int (*profile)(void *ctx, char *line, size_t cap);
  void (*destroy)(void *ctx);                   /* NULL: nothing to free */
} cm_rl_env;

static inline void cm_rl_env_destroy(cm_rl_env *e) {
  if (e && e->destroy) e->destroy(e->ctx);
  if (e) e->ctx = 0;
}
#endif
