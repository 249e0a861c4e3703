/* Environments: batched [num_envs] simulations of one character with observations, rewards
 * and episode ends, chosen by env_name from the env yaml (MimicKit's env builder). A concrete
 * environment is a cm_env_type: a table of hooks over the shared character-env machinery in
 * char_env.c, the way MimicKit's env classes override CharEnv methods. */
#ifndef CM_ENV_H
#define CM_ENV_H
#include <stdint.h>
#include "anim/char.h"
#include "core/err.h"
#include "core/marker.h"
#include "core/pool.h"
#include "io/config.h"
#include "sim/engine.h"

/* Why an episode ended (MimicKit's DoneFlags). */
enum { CM_DONE_NULL = 0, CM_DONE_FAIL = 1, CM_DONE_SUCC = 2, CM_DONE_TIME = 3 };

typedef struct cm_env cm_env;

typedef struct cm_env_type {
  const char *name;
  const char *const *keys;  /* env yaml keys this type reads besides the shared ones */
  const struct cm_env_type *base; /* the type this one extends (its keys are read too), or NULL */
  /* adjusts engine settings before the engine is built (e.g. view_motion: sim_freq = control_freq) */
  void (*engine_setup)(cm_env *e, cm_engine_cfg *cfg, cm_engine_opts *opts);
  /* reads the scene's static objects from the env yaml into opts before the engine is built (NULL: none) */
  int (*scene)(const cm_cfg *cfg, cm_engine_opts *opts, cm_err *err);
  int (*init)(cm_env *e, const cm_cfg *cfg, cm_err *err);       /* after the engine exists */
  void (*reset)(cm_env *e, const int *ids, int n);                /* NULL: the char env default */
  void (*apply_action)(cm_env *e, const float *actions);          /* NULL: clip and set PD targets */
  void (*post_physics)(cm_env *e);                                /* after time advances (update_misc) */
  void (*update_reward)(cm_env *e);                               /* NULL: reward 1 */
  void (*update_done)(cm_env *e);                                 /* NULL: time-out at episode_length */
  int (*obs_dim)(const cm_env *e);                                /* NULL: char observation */
  void (*compute_obs)(cm_env *e);                                 /* NULL: char observation */
  void (*destroy)(cm_env *e);
  /* ---- optional hooks of the derived envs (NULL: not used) ---- */
  void (*pre_physics)(cm_env *e);                                 /* before the action is applied */
  void (*set_mode)(cm_env *e, int test);                          /* on a change to train (0) / test (1) */
  /* (key, value) figures accumulated since the last call (test mode); returns how many */
  int (*stats)(cm_env *e, const char **keys, double *values, int max);
  /* discriminator family: disc_obs_dim at init, then e->disc_obs (and e->disc_obs_demo) filled in
   * compute_obs; fetch_disc_obs_demo draws n demo observations [n][disc_obs_dim] */
  int (*fetch_disc_obs_demo)(cm_env *e, int n, float *out, cm_err *err);
  /* task targets of env i for videos, in world coordinates; returns how many */
  int (*markers)(const cm_env *e, int i, cm_marker *out, int max);
} cm_env_type;

struct cm_env {
  const cm_env_type *type;
  char char_file[1024];
  cm_char chr;
  cm_engine *engine;
  cm_pool *pool;
  int num_envs, obs_dim, act_dim;
  float episode_length;            /* seconds */
  int global_obs, root_height_obs, zero_center_action;
  int key_body_ids[CM_MAX_BODIES], num_key_bodies;
  char camera_mode[16];            /* "track" | "still" */
  float init_root_pos[3], init_root_rot[4], init_dof_pos[CM_MAX_DOFS];
  float *obs, *reward, *time;      /* [N][obs_dim], [N], [N] */
  int *done, *timestep;            /* [N] */
  float *action_low, *action_high; /* [act_dim] */
  float *targets;                  /* [N][act_dim] scratch for PD targets */
  uint64_t seed;
  uint32_t env0;                   /* global index of env 0 (rank * num_envs): keys its random streams */
  int test_mode;                   /* set by cm_env_set_mode */
  int disc_obs_dim;                /* 0: no discriminator observation */
  float *disc_obs, *disc_obs_demo; /* [N][disc_obs_dim], owned by the concrete env (demo: ADD only) */
  void *impl;                      /* the concrete environment's own state */
};

/* Thread-pool context of a driver over a list of env ids (NULL ids: envs 0 .. n-1 where the
 * driver says so). */
typedef struct cm_env_ids {
  cm_env *e;
  const int *ids;
} cm_env_ids;

/* Builds the environment named by the env yaml's env_name. engine_cfg is copied and may be
 * adjusted by the environment type. */
int cm_env_create(const char *env_config_path, const cm_engine_cfg *engine_cfg, int num_envs, uint64_t seed,
                  cm_env **out, cm_err *err);
/* The same as the envs env0 .. env0 + num_envs - 1 of a larger batch: env i draws the random
 * numbers of global env env0 + i (one rank's share of a data-parallel run). */
int cm_env_create_at(const char *env_config_path, const cm_engine_cfg *engine_cfg, int num_envs, uint64_t seed,
                     uint32_t env0, cm_env **out, cm_err *err);
void cm_env_destroy(cm_env *e);
/* Resets the listed envs (NULL, 0 = all) and recomputes their observations. */
void cm_env_reset(cm_env *e, const int *ids, int n);
/* One control step: actions [N][act_dim] -> physics -> time, obs, reward, done. */
int cm_env_step(cm_env *e, const float *actions, cm_err *err);
/* Train (0) or test (1): test mode accumulates the env's statistics (tracking error, task figures);
 * entering test mode starts them afresh, repeating the current mode changes nothing. */
void cm_env_set_mode(cm_env *e, int test);
/* The env's statistics since the last call (0 when it has none). */
int cm_env_stats(cm_env *e, const char **keys, double *values, int max);
/* n discriminator demo observations; fails for envs without a discriminator observation. */
int cm_env_fetch_disc_obs_demo(cm_env *e, int n, float *out, cm_err *err);
/* Markers of env i's task targets (0 when it has none). */
int cm_env_markers(const cm_env *e, int i, cm_marker *out, int max);
/* "file:line: key 'k'" of a key of an env yaml (the file's line 1 when absent), for messages about
 * its value; returns buf. */
const char *cm_env_cfg_at(const cm_cfg *cfg, const char *key, char *buf, size_t cap);
/* Whether e's type is t or extends it. */
int cm_env_is(const cm_env *e, const cm_env_type *t);
/* The control step length in seconds. */
static inline double cm_env_dt(const cm_env *e) { return e->engine->control_dt; }
#endif
