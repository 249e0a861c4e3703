/* What the task envs (task_location, task_steering) share: the root position before each step
 * (their rewards use the root's displacement over the step, MimicKit _record_char_root), the
 * time each env's task target changes next (drawn uniform in [tar_change_time_min,
 * tar_change_time_max] after each change, MimicKit _reset_task), a counter-based rng per env
 * for the target draws, and the env hooks themselves: a task is the amp env plus a cm_task_ops
 * (MimicKit's task envs derive from AmpEnv the same way), so a task file holds only what is its
 * own: parameters, target draw, observation, reward, test figures, markers. */
#ifndef CM_TASK_COMMON_H
#define CM_TASK_COMMON_H
#include <stdint.h>
#include "core/err.h"
#include "core/hd.h"
#include "core/rng.h"
#include "io/config.h"
#include "core/marker.h"

typedef struct cm_task_buf {
  float *prev_root_pos; /* [N][3] */
  float *change_time;   /* [N] env time of the next target change */
  uint32_t *draws;      /* [N] target draws so far: the rng key of the next */
  int *due;             /* [N] scratch: ids of the envs whose target changes this step */
} cm_task_buf;

/* The rng of env i's next target draw (advances its counter), keyed by its global index env0 + i. */
CM_HD static inline cm_rng cm_task_rng(uint64_t seed, uint32_t env0, int i, uint32_t *draws, uint32_t stream) {
  return cm_rng_make(seed, env0 + (uint32_t)i, draws[i]++, stream);
}

CM_HD static inline float cm_task_next_change(float now, float tmin, float tmax, cm_rng *rng) {
  return now + tmin + (tmax - tmin) * cm_rng_uniform(rng);
}

struct cm_env;
struct cm_task_view; /* env/task_view.h */

/* The parts of one task. Per-env hooks (draw, obs, reward) run on the thread pool, one env each;
 * the others run once per step. state is the task's own (from init). */
typedef struct cm_task_ops {
  const char *name;
  int obs_dim;         /* appended to the deepmimic/amp observation */
  uint32_t rng_stream; /* of the target draws */
  /* reads the task's keys (tar_change_time_min/max are read by the core) and allocates state */
  int (*init)(struct cm_env *e, const cm_cfg *cfg, void **state, cm_err *err);
  void (*destroy)(void *state);
  void (*draw)(const struct cm_env *e, void *state, int i, cm_rng *rng); /* a new target for env i */
  void (*trial_end)(struct cm_env *e, void *state, int i); /* env i's target is replaced (NULL: nothing) */
  void (*obs)(const struct cm_env *e, const void *state, int i, float *out);
  void (*reward)(struct cm_env *e, void *state, int i); /* e->reward[i]; in test mode env i's figures too */
  void (*test_after_physics)(struct cm_env *e, void *state); /* test mode, before targets change (NULL) */
  void (*test_after_reward)(struct cm_env *e, void *state);  /* test mode, after the rewards (NULL) */
  void (*begin_test)(void *state, int num_envs);             /* the test figures start anew */
  /* the figures since the last call (then cleared); returns how many of max */
  int (*stats)(void *state, const char **keys, double *values, int max);
  int (*markers)(const struct cm_env *e, const void *state, int i, cm_marker *out, int max);
  /* the kind, parameters and per-env arrays of env/task_view.h (kind, loc/steer, rows) */
  void (*view)(void *state, struct cm_task_view *out);
} cm_task_ops;

/* amp's init, then the task's; the other cm_task_env_* are the env type's hooks. */
int cm_task_env_init(struct cm_env *e, const cm_cfg *cfg, const cm_task_ops *ops, cm_err *err);
void cm_task_env_destroy(struct cm_env *e);
void cm_task_env_reset(struct cm_env *e, const int *ids, int n);
void cm_task_env_pre_physics(struct cm_env *e);
void cm_task_env_post_physics(struct cm_env *e);
void cm_task_env_update_reward(struct cm_env *e);
void cm_task_env_update_done(struct cm_env *e);
int cm_task_env_obs_dim(const struct cm_env *e);
void cm_task_env_compute_obs(struct cm_env *e);
void cm_task_env_set_mode(struct cm_env *e, int test);
int cm_task_env_stats(struct cm_env *e, const char **keys, double *values, int max);
int cm_task_env_markers(const struct cm_env *e, int i, cm_marker *out, int max);
/* The hooks of a task env type, for its cm_env_type initializer (after .init; the including file
 * includes env/amp.h). */
#define CM_TASK_ENV_HOOKS                                                                                     \
  .reset = cm_task_env_reset, .post_physics = cm_task_env_post_physics, .update_reward = cm_task_env_update_reward, \
  .update_done = cm_task_env_update_done, .obs_dim = cm_task_env_obs_dim, .compute_obs = cm_task_env_compute_obs, \
  .destroy = cm_task_env_destroy, .pre_physics = cm_task_env_pre_physics, .set_mode = cm_task_env_set_mode,       \
  .stats = cm_task_env_stats, .fetch_disc_obs_demo = cm_amp_env_fetch_disc_obs_demo, .markers = cm_task_env_markers
/* the root positions before the step, change times and draw counters of every env */
const cm_task_buf *cm_task_env_buf(const struct cm_env *e);

int cm_task_buf_alloc(cm_task_buf *t, int num_envs, cm_err *err);
void cm_task_buf_free(cm_task_buf *t);
/* Copies every env's root position into prev_root_pos (before the physics step). */
void cm_task_record_root(struct cm_env *e, cm_task_buf *t);
/* The ids of the envs whose time reached their change time, into t->due; returns how many. */
int cm_task_due(const struct cm_env *e, cm_task_buf *t);
/* A float >= 0 of the env yaml (required or def), with file:line when it is not. */
int cm_task_float(const cm_cfg *cfg, const char *key, int required, double def, float *out, cm_err *err);
#endif
