#include "anim/lowest_point.h"

#include <math.h>
#include <stdlib.h>
#include <mujoco/mujoco.h>
#include "anim/kin.h"
#include "anim/mjcf.h"

struct cm_lowest {
  const cm_char *c;
  mjModel *m;
  mjData *d;
  float *qpos;
};

int cm_lowest_open(const char *char_file, const cm_char *c, cm_lowest **out, cm_err *err) {
  cm_mjcf_opts o = {0};
  mjModel *m = NULL;
  if (cm_mjcf_compile(char_file, &o, &m, NULL, err)) return -1;
  cm_lowest *l = calloc(1, sizeof *l);
  float *q = l ? calloc((size_t)m->nq, sizeof *q) : NULL;
  mjData *d = q ? mj_makeData(m) : NULL;
  if (!d) {
    free(q);
    free(l);
    mj_deleteModel(m);
    return cm_fail(err, "%s: out of memory", char_file);
  }
  l->c = c;
  l->m = m;
  l->d = d;
  l->qpos = q;
  *out = l;
  return 0;
}

void cm_lowest_close(cm_lowest *l) {
  if (!l) return;
  mj_deleteData(l->d);
  mj_deleteModel(l->m);
  free(l->qpos);
  free(l);
}

/* Lowest world z of one geom: its centre minus its extent along world z. xmat is row-major,
 * so row 2 holds the world-z components of the geom's local axes. */
static double geom_bottom(const mjModel *m, const mjData *d, int g) {
  const mjtNum *x = d->geom_xpos + 3 * g, *r = d->geom_xmat + 9 * g + 6, *s = m->geom_size + 3 * g;
  switch (m->geom_type[g]) {
    case mjGEOM_SPHERE: return x[2] - s[0];
    case mjGEOM_CAPSULE: return x[2] - fabs(r[2]) * s[1] - s[0];
    case mjGEOM_CYLINDER: return x[2] - fabs(r[2]) * s[1] - s[0] * sqrt(fmax(0.0, 1.0 - r[2] * r[2]));
    case mjGEOM_BOX: return x[2] - fabs(r[0]) * s[0] - fabs(r[1]) * s[1] - fabs(r[2]) * s[2];
    case mjGEOM_ELLIPSOID: return x[2] - sqrt(r[0] * r[0] * s[0] * s[0] + r[1] * r[1] * s[1] * s[1] + r[2] * r[2] * s[2] * s[2]);
    default: return x[2] - m->geom_rbound[g];
  }
}

float cm_lowest_z(cm_lowest *l, const float *root_pos, const float *root_rot, const float *dof, const int *bodies,
                  int n) {
  const cm_char *c = l->c;
  cm_kin_pose_to_qpos(c, root_pos, root_rot, dof, l->qpos);
  for (int i = 0; i < l->m->nq; i++) l->d->qpos[i] = l->qpos[i];
  mj_kinematics(l->m, l->d);
  double low = INFINITY;
  for (int g = 0; g < l->m->ngeom; g++) {
    int mb = l->m->geom_bodyid[g];
    int take = n == 0;
    for (int k = 0; k < n && !take; k++) take = c->mj_body[bodies[k]] == mb;
    if (take) low = fmin(low, geom_bottom(l->m, l->d, g));
  }
  return (float)low;
}
