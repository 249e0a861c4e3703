/* What the task envs (task_location, task_steering) share: the root position before each step
 * (their rewards use the root's displacement over the step, MimicKit _record_char_root), the
 * time each env's task target changes next (drawn uniform in [tar_change_time_min,
 * tar_change_time_max] after each change, MimicKit _reset_task), and a counter-based rng per
 * env for the target draws. */
#ifndef CM_TASK_COMMON_H
#define CM_TASK_COMMON_H
#include <stdint.h>
#include "core/err.h"
#include "core/hd.h"
#include "core/rng.h"
#include "io/config.h"

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
int cm_task_buf_alloc(cm_task_buf *t, int num_envs, cm_err *err);
void cm_task_buf_free(cm_task_buf *t);
/* Copies every env's root position into prev_root_pos (before the physics step). */
void cm_task_record_root(struct cm_env *e, cm_task_buf *t);
/* The ids of the envs whose time reached their change time, into t->due; returns how many. */
int cm_task_due(const struct cm_env *e, cm_task_buf *t);
/* A float >= 0 of the env yaml (required or def), with file:line when it is not. */
int cm_task_float(const cm_cfg *cfg, const char *key, int required, double def, float *out, cm_err *err);
#endif
