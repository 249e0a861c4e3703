/* Tests of the cuda engine's physics: one environment of a MuJoCo model, compiled to the packed
 * model and given its own data block (free o.block when done). */
#ifndef CM_TEST_PHYS_ONE_ENV_H
#define CM_TEST_PHYS_ONE_ENV_H
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/err.h"
#include "sim/cuda/phys_step.h"

typedef struct { cm_phys_model pm; cm_phys_layout L; float *block; cm_phys_data d; } one_env;

/* With at_qpos0 the state starts at the model's qpos0 with its kinematics computed; otherwise
 * the data block is all zeros for the test to fill. */
static inline int one_env_make(const mjModel *m, int at_qpos0, one_env *o) {
  cm_err err;
  if (cm_phys_model_compile(m, "test", &o->pm, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  cm_phys_layout_make(&o->pm, 1, &o->L);
  o->block = calloc((size_t)o->L.total + 1, 4);
  cm_phys_data_at(&o->L, o->block, 0, &o->d);
  if (at_qpos0) {
    for (int k = 0; k < m->nq; k++) o->d.qpos[k] = (float)m->qpos0[k];
    cm_phys_forward(&o->pm, &o->d);
  }
  return 0;
}
#endif
