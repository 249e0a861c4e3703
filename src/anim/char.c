/* Builds a cm_char from an MJCF file: libmujoco compiles it (after our normalisation), and the
 * compiled mjModel is the single source for offsets, axes, ranges (already in radians), gains
 * and masses, so the kinematic model can never disagree with the simulated one. */
#include "anim/char.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mujoco/mujoco.h>
#include "anim/mjcf.h"

int cm_char_body_id(const cm_char *c, const char *name) {
  for (int b = 0; b < c->num_bodies; b++)
    if (!strcmp(c->body_names[b], name)) return b;
  return -1;
}

void cm_char_clear_passive_pd(struct mjModel_ *m) {
  for (int j = 0; j < m->njnt; j++) m->jnt_stiffness[j] = 0;
  for (int d = 0; d < m->nv; d++) m->dof_damping[d] = 0;
}

static const char *name_of(const mjModel *m, mjtObj type, int id) {
  const char *n = mj_id2name(m, type, id);
  return n ? n : "(unnamed)";
}

/* Torque limit of one hinge: actuatorfrcrange (kept aside by the normaliser), else a motor
 * driving the joint (|gear| * control bound, or its force range), else the default. */
static float hinge_torque_limit(const mjModel *m, const cm_mjcf_limits *lim, int jnt) {
  const char *jname = mj_id2name(m, mjOBJ_JOINT, jnt);
  if (jname)
    for (int i = 0; i < lim->count; i++)
      if (!strcmp(lim->joint[i], jname)) return (float)fmax(fabs(lim->lo[i]), fabs(lim->hi[i]));
  for (int a = 0; a < m->nu; a++) {
    if (m->actuator_trntype[a] != mjTRN_JOINT || m->actuator_trnid[2 * a] != jnt) continue;
    double gear = fabs(m->actuator_gear[6 * a] /* 6 gear entries per actuator */);
    if (m->actuator_ctrllimited[a]) {
      double c = fmax(fabs(m->actuator_ctrlrange[2 * a]), fabs(m->actuator_ctrlrange[2 * a + 1]));
      return (float)(gear * c);
    }
    if (m->actuator_forcelimited[a])
      return (float)fmax(fabs(m->actuator_forcerange[2 * a]), fabs(m->actuator_forcerange[2 * a + 1]));
  }
  return CM_CHAR_DEFAULT_TORQUE_LIMIT;
}

/* MimicKit's position-control action bounds (char_env._build_action_bounds_pos): a spherical
 * joint's exp-map gets +-1.2 times the largest |limit| of its three hinges; a hinge gets its
 * range's midpoint (or zero with zero_center) +- 1.4 times the larger distance to a limit. */
void cm_char_action_bounds(const cm_char *c, int zero_center, float *low, float *high) {
  for (int b = 1; b < c->num_bodies; b++) {
    int i = c->dof_idx[b], n = c->dof_dim[b];
    if (n == 3) {
      float s = 0.f;
      for (int k = 0; k < 3; k++) s = fmaxf(s, fmaxf(fabsf(c->dof_low[i + k]), fabsf(c->dof_high[i + k])));
      for (int k = 0; k < 3; k++) { low[i + k] = -1.2f * s; high[i + k] = 1.2f * s; }
    } else if (n == 1) {
      float mid = zero_center ? 0.f : 0.5f * (c->dof_low[i] + c->dof_high[i]);
      float half = 1.4f * fmaxf(fabsf(c->dof_high[i] - mid), fabsf(c->dof_low[i] - mid));
      low[i] = mid - half;
      high[i] = mid + half;
    }
  }
}

static int fill_from_model(const char *path, const mjModel *m, const cm_mjcf_limits *lim, cm_char *c, cm_err *err) {
  if (m->nbody < 2) return cm_fail(err, "%s: no character body under <worldbody>", path);
  int nb = m->nbody - 1;
  if (nb > CM_MAX_BODIES)
    return cm_fail(err, "%s: %d bodies, more than the %d a character may have (CM_MAX_BODIES)", path, nb, CM_MAX_BODIES);
  for (int mb = 2; mb < m->nbody; mb++)
    if (m->body_rootid[mb] != 1)
      return cm_fail(err, "%s: body '%s' is not part of the first body's tree; one character per file", path,
                     name_of(m, mjOBJ_BODY, mb));
  memset(c, 0, sizeof *c);
  c->num_bodies = nb;
  int dof = 0;
  for (int b = 0; b < nb; b++) {
    int mb = b + 1;
    const char *bname = name_of(m, mjOBJ_BODY, mb);
    if (strlen(bname) >= CM_NAME_LEN)
      return cm_fail(err, "%s: body name '%s' is longer than %d characters", path, bname, CM_NAME_LEN - 1);
    strcpy(c->body_names[b], bname);
    c->parent[b] = b == 0 ? -1 : m->body_parentid[mb] - 1;
    for (int k = 0; k < 3; k++) c->local_pos[b][k] = (float)m->body_pos[3 * mb + k];
    const mjtNum *q = m->body_quat + 4 * mb; /* MuJoCo w,x,y,z -> our x,y,z,w */
    c->local_rot[b][0] = (float)q[1]; c->local_rot[b][1] = (float)q[2];
    c->local_rot[b][2] = (float)q[3]; c->local_rot[b][3] = (float)q[0];
    c->body_mass[b] = (float)m->body_mass[mb];
    c->total_mass += c->body_mass[b];
    c->mj_body[b] = mb;
    int nj = m->body_jntnum[mb], j0 = m->body_jntadr[mb];
    c->mj_qpos_adr[b] = nj > 0 ? m->jnt_qposadr[j0] : -1;
    c->mj_dof_adr[b] = nj > 0 ? m->jnt_dofadr[j0] : -1;
    c->dof_idx[b] = dof;
    if (b == 0) {
      if (nj > 1 || (nj == 1 && m->jnt_type[j0] != mjJNT_FREE))
        return cm_fail(err, "%s: root body '%s' must have one free joint or none", path, bname);
      c->joint_type[b] = CM_JOINT_ROOT;
      continue;
    }
    if (nj != 0 && nj != 1 && nj != 3)
      return cm_fail(err, "%s: body '%s' has %d joints; a body needs 0 (fixed), 1 (hinge) or 3 (spherical) hinges",
                     path, bname, nj);
    for (int j = j0; j < j0 + nj; j++) {
      if (m->jnt_type[j] != mjJNT_HINGE)
        return cm_fail(err, "%s: body '%s' joint '%s' is not a hinge; only hinges are supported below the root", path,
                       bname, name_of(m, mjOBJ_JOINT, j));
      const mjtNum *p = m->jnt_pos + 3 * j;
      if (fabs(p[0]) + fabs(p[1]) + fabs(p[2]) > 1e-9)
        return cm_fail(err, "%s: body '%s' joint '%s' has a pos offset; joints must sit at the body origin", path, bname,
                       name_of(m, mjOBJ_JOINT, j));
    }
    if (dof + nj > CM_MAX_DOFS)
      return cm_fail(err, "%s: more than %d dofs (CM_MAX_DOFS) at body '%s'", path, CM_MAX_DOFS, bname);
    c->joint_type[b] = nj == 0 ? CM_JOINT_FIXED : nj == 1 ? CM_JOINT_HINGE : CM_JOINT_SPHERE;
    c->dof_dim[b] = nj;
    for (int k = 0; k < nj; k++) {
      int j = j0 + k, d = m->jnt_dofadr[j], i = dof + k;
      for (int a = 0; a < 3; a++) c->hinge_axis[b][k][a] = (float)m->jnt_axis[3 * j + a];
      if (m->jnt_limited[j]) {
        c->dof_low[i] = (float)m->jnt_range[2 * j];
        c->dof_high[i] = (float)m->jnt_range[2 * j + 1];
      } else {
        c->dof_low[i] = -CM_CHAR_UNLIMITED_RANGE;
        c->dof_high[i] = CM_CHAR_UNLIMITED_RANGE;
      }
      c->kp[i] = (float)m->jnt_stiffness[j];
      c->kd[i] = (float)m->dof_damping[d];
      c->armature[i] = (float)m->dof_armature[d];
      c->torque_limit[i] = hinge_torque_limit(m, lim, j);
    }
    if (nj == 3) {
      /* the exp-map <-> hinge-angle conversion needs three orthonormal axes */
      float(*ax)[3] = c->hinge_axis[b];
      float d01 = cm_v3_dot(ax[0], ax[1]), d02 = cm_v3_dot(ax[0], ax[2]), d12 = cm_v3_dot(ax[1], ax[2]);
      if (fabsf(d01) > 1e-4f || fabsf(d02) > 1e-4f || fabsf(d12) > 1e-4f)
        return cm_fail(err, "%s: body '%s' has three hinges whose axes are not orthogonal", path, bname);
    }
    dof += nj;
  }
  c->num_dofs = dof;
  c->mj_nq = m->nq;
  c->mj_nv = m->nv;
  cm_char_action_bounds(c, 0, c->action_low, c->action_high);
  return 0;
}

int cm_char_load(const char *path, cm_char *out, cm_err *err) {
  cm_mjcf_opts opts = {0};
  cm_mjcf_limits *lim = malloc(sizeof *lim); /* ~20 KB: kept off small thread stacks */
  if (!lim) return cm_fail(err, "loading character %s: out of memory", path);
  mjModel *m = NULL;
  if (cm_mjcf_compile(path, &opts, &m, lim, err)) {
    free(lim);
    return cm_wrap(err, "loading character");
  }
  int rc = fill_from_model(path, m, lim, out, err);
  mj_deleteModel(m);
  free(lim);
  return rc ? cm_wrap(err, "loading character") : 0;
}
