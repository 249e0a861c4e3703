/* A task env's state as plain arrays, for drivers other than the host's (the device step,
 * task_gpu.cu) and tests: the task's kind and parameters by value, its per-env arrays, and the
 * task core's (task_common.h). The arrays are the host env's own, listed per kind:
 *   CM_TASK_LOCATION  loc,   rows[0] tar_pos [N][3]
 *   CM_TASK_STEERING  steer, rows[0] dir [N][2], rows[1] face [N][2], rows[2] speed [N]
 * The test-mode figures (trial counts, errors) are not in it: they stay on the host. */
#ifndef CM_TASK_VIEW_H
#define CM_TASK_VIEW_H
#include <stdint.h>
#include "env/task_common.h"
#include "env/task_location.h"
#include "env/task_steering.h"

enum { CM_TASK_LOCATION = 1, CM_TASK_STEERING = 2 };
#define CM_TASK_MAX_ROWS 3

typedef struct cm_task_view {
  int kind;
  cm_loc_params loc;
  cm_steer_params steer;
  float *rows[CM_TASK_MAX_ROWS];
  int row_width[CM_TASK_MAX_ROWS]; /* floats per env */
  int nrows;
  /* the task core's */
  float *prev_root_pos, *change_time; /* [N][3], [N] */
  uint32_t *draws;                    /* [N] */
  float change_min, change_max;
  uint32_t rng_stream;
  int obs_offset; /* where the task's observation starts in an obs row */
} cm_task_view;

struct cm_env;
struct cm_env_type;
/* the task env types it describes (task_location.c, task_steering.c) */
extern const struct cm_env_type cm_env_task_location, cm_env_task_steering;
/* 0 and the view of e's task, or -1 when e is no task env. */
int cm_task_env_view(const struct cm_env *e, cm_task_view *out);
#endif
