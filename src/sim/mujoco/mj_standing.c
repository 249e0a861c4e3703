#include "sim/mujoco/mj_standing.h"

#include <string.h>
#include "core/quat.h"
#include "sim/mujoco/mj_engine.h"

void cm_mj_place_standing(cm_engine *e, double clearance) {
  cm_sim_state *s = &e->st;
  for (int i = 0; i < s->num_envs; i++) {
    memset(s->root_pos + 3 * i, 0, 3 * sizeof(float));
    cm_q_identity(s->root_rot + 4 * i);
    memset(s->root_vel + 3 * i, 0, 3 * sizeof(float));
    memset(s->root_ang_vel + 3 * i, 0, 3 * sizeof(float));
  }
  memset(s->dof_pos, 0, sizeof(float) * (size_t)s->num_envs * (size_t)s->num_dofs);
  memset(s->dof_vel, 0, sizeof(float) * (size_t)s->num_envs * (size_t)s->num_dofs);
  e->ops->push_state(e, NULL, 0);
  /* the lowest point of any geom's bounding sphere, the plane excluded (same for every env) */
  const mjModel *m = cm_mj_model(e);
  const mjData *d = cm_mj_data(e, 0);
  double lowest = 1e9;
  for (int g = 0; g < m->ngeom; g++) {
    if (m->geom_type[g] == mjGEOM_PLANE) continue;
    double z = d->geom_xpos[3 * g + 2] - m->geom_rbound[g];
    if (z < lowest) lowest = z;
  }
  for (int i = 0; i < s->num_envs; i++) s->root_pos[3 * i + 2] = (float)(clearance - lowest);
  e->ops->push_state(e, NULL, 0);
}
