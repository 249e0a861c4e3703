/* The deepmimic env type's state, for the env types that extend it (amp, ase, add, the task
 * envs: MimicKit's AMPEnv derives from DeepMimicEnv), for drivers other than the CPU one (a GPU
 * copy) and tests: its settings, its batched reference buffers, its motion library, and its
 * hooks, which a derived type calls where MimicKit calls super(). */
#ifndef CM_DEEPMIMIC_H
#define CM_DEEPMIMIC_H
#include "anim/motion_lib.h"
#include "env/deepmimic_params.h"
#include "env/deepmimic_ref.h"
#include "env/deepmimic_track.h"
#include "env/env.h"

extern const cm_env_type cm_env_deepmimic;

/* e->impl of a deepmimic env and of every type extending it. */
typedef struct cm_dm_env {
  cm_motion_lib lib;
  cm_motion_lib_view view;
  cm_dm_params p;
  cm_dm_buf buf;
  int log_tracking_error;
  cm_dm_track track; /* test-mode tracking error (log_tracking_error) */
  void *ext;         /* the extending type's own state */
} cm_dm_env;

/* NULL when e is not a deepmimic env (or one extending it). */
const cm_dm_params *cm_deepmimic_params(const cm_env *e);
cm_dm_buf *cm_deepmimic_buf(cm_env *e);
const cm_motion_lib_view *cm_deepmimic_motions(const cm_env *e);
cm_dm_env *cm_deepmimic_of(const cm_env *e);

/* The deepmimic hooks, for types that extend it. */
int cm_dm_env_init(cm_env *e, const cm_cfg *cfg, cm_err *err);
void cm_dm_env_destroy(cm_env *e);
void cm_dm_env_setup(cm_env *e, cm_engine_cfg *cfg, cm_engine_opts *opts);
void cm_dm_env_post_physics(cm_env *e);
void cm_dm_env_reset(cm_env *e, const int *ids, int n);
void cm_dm_env_update_reward(cm_env *e);  /* tracking figures, reward and done */
void cm_dm_env_update_done(cm_env *e);    /* nothing: update_reward sets done */
void cm_dm_env_compute_obs(cm_env *e);     /* the deepmimic part of each row of e->obs */
void cm_dm_env_reward_and_done(cm_env *e);
int cm_dm_env_obs_dim(const cm_env *e);
void cm_dm_env_set_mode(cm_env *e, int test);
int cm_dm_env_stats(cm_env *e, const char **keys, double *values, int max);
/* Records the tracking error of the listed envs (NULL, 0 = all) in test mode with log_tracking_error. */
void cm_dm_env_record_tracking(cm_env *e, const int *ids, int n);

/* The hook table of cm_env_type for deepmimic and the types that only add to its scene. */
#define CM_DM_ENV_HOOKS                                                                                        \
  .engine_setup = cm_dm_env_setup, .init = cm_dm_env_init, .reset = cm_dm_env_reset,                           \
  .post_physics = cm_dm_env_post_physics, .update_reward = cm_dm_env_update_reward,                            \
  .update_done = cm_dm_env_update_done, .obs_dim = cm_dm_env_obs_dim, .compute_obs = cm_dm_env_compute_obs,    \
  .destroy = cm_dm_env_destroy, .set_mode = cm_dm_env_set_mode, .stats = cm_dm_env_stats
#endif
