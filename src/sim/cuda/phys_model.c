/* Packs an mjModel into cm_phys_model (see phys_model.h), refusing what the engine cannot
 * simulate rather than simulating it wrongly. */
#include "sim/cuda/phys_model.h"

#include <mujoco/mujoco.h>
#include <stdio.h>
#include <string.h>
#include "core/err.h"
#include "sim/cuda/phys_collide.h"

static const char *name_of(const mjModel *m, int type, int id, char *buf, size_t cap) {
  const char *n = mj_id2name(m, type, id);
  if (n && *n) return n;
  snprintf(buf, cap, "#%d", id);
  return buf;
}

static int collides(const mjModel *m, int g) { return m->geom_contype[g] || m->geom_conaffinity[g]; }

static int check_supported(const mjModel *m, const char *file, cm_err *err) {
  char nb[32];
  if (m->neq) return cm_fail(err, "%s: <equality> '%s': equality constraints are not supported by the cuda engine", file, name_of(m, mjOBJ_EQUALITY, 0, nb, sizeof nb));
  if (m->ntendon) return cm_fail(err, "%s: <tendon> '%s': tendons are not supported by the cuda engine", file, name_of(m, mjOBJ_TENDON, 0, nb, sizeof nb));
  if (m->opt.cone != mjCONE_PYRAMIDAL) return cm_fail(err, "%s: <option cone=\"elliptic\">: only pyramidal friction cones are supported by the cuda engine", file);
  if (m->opt.mpr_iterations != CM_MPR_ITERATIONS || m->opt.mpr_tolerance != 1e-6)
    return cm_fail(err, "%s: <option mpr_iterations/mpr_tolerance>: only MuJoCo's defaults (50, 1e-6) are supported by the cuda engine", file);
  if (m->opt.integrator != mjINT_EULER) return cm_fail(err, "%s: <option integrator>: only the Euler integrator is supported by the cuda engine", file);
  if (m->na) return cm_fail(err, "%s: <actuator>: actuators with activation state are not supported by the cuda engine", file);
  for (int j = 0; j < m->njnt; j++) {
    int t = m->jnt_type[j];
    if (t == mjJNT_BALL || t == mjJNT_SLIDE)
      return cm_fail(err, "%s: <joint> '%s': %s joints are not supported by the cuda engine (use hinges)", file,
                     name_of(m, mjOBJ_JOINT, j, nb, sizeof nb), t == mjJNT_BALL ? "ball" : "slide");
    if (t == mjJNT_FREE && m->jnt_bodyid[j] != 0 && m->body_parentid[m->jnt_bodyid[j]] != 0)
      return cm_fail(err, "%s: <joint> '%s': a free joint below another body is not supported by the cuda engine", file, name_of(m, mjOBJ_JOINT, j, nb, sizeof nb));
    if (m->jnt_stiffness[j] != 0)
      return cm_fail(err, "%s: <joint> '%s': passive joint stiffness is not supported by the cuda engine", file, name_of(m, mjOBJ_JOINT, j, nb, sizeof nb));
  }
  for (int v = 0; v < m->nv; v++)
    if (m->dof_frictionloss[v] != 0)
      return cm_fail(err, "%s: <joint> '%s': frictionloss is not supported by the cuda engine", file, name_of(m, mjOBJ_JOINT, m->dof_jntid[v], nb, sizeof nb));
  for (int g = 0; g < m->ngeom; g++) {
    if (!collides(m, g)) continue;
    int t = m->geom_type[g];
    int ok = t == mjGEOM_SPHERE || t == mjGEOM_CAPSULE || t == mjGEOM_CYLINDER || t == mjGEOM_BOX || (t == mjGEOM_PLANE && m->geom_bodyid[g] == 0);
    if (!ok) {
      static const char *const k_names[] = {"plane", "hfield", "sphere", "capsule", "ellipsoid", "cylinder", "box", "mesh"};
      return cm_fail(err, "%s: <geom> '%s': colliding %s geoms are not supported by the cuda engine (sphere, capsule, cylinder, box; planes only in the world; set contype=\"0\" conaffinity=\"0\" for a visual geom)",
                     file, name_of(m, mjOBJ_GEOM, g, nb, sizeof nb), t >= 0 && t < 8 ? k_names[t] : "unknown");
    }
    if (m->geom_condim[g] != 1 && m->geom_condim[g] != 3)
      return cm_fail(err, "%s: <geom> '%s': condim %d is not supported by the cuda engine (1 or 3)", file, name_of(m, mjOBJ_GEOM, g, nb, sizeof nb), m->geom_condim[g]);
  }
  if (m->nbody > CM_PHYS_MAX_BODY || m->njnt > CM_PHYS_MAX_JNT || m->nv > CM_PHYS_MAX_DOF || m->nq > CM_PHYS_MAX_QPOS || m->ngeom > CM_PHYS_MAX_GEOM)
    return cm_fail(err, "%s: model too large for the cuda engine (%d bodies, %d joints, %d dofs, %d geoms; at most %d, %d, %d, %d)", file,
                   m->nbody, m->njnt, m->nv, m->ngeom, CM_PHYS_MAX_BODY, CM_PHYS_MAX_JNT, CM_PHYS_MAX_DOF, CM_PHYS_MAX_GEOM);
  return 0;
}

/* The contacts the narrow phase emits at most for a geom type pair (engine-contacts' header). */
static int pair_max_contacts(int t1, int t2) {
  if (t1 > t2) { int t = t1; t1 = t2; t2 = t; }
  if (t1 == mjGEOM_PLANE) return t2 == mjGEOM_SPHERE ? 1 : t2 == mjGEOM_CAPSULE ? 2 : t2 == mjGEOM_BOX || t2 == mjGEOM_CYLINDER ? 4 : 0;
  if (t2 == mjGEOM_CYLINDER || (t1 == mjGEOM_CYLINDER && t2 == mjGEOM_BOX)) return 1; /* MuJoCo's convex collider (MPR) */
  if (t1 == mjGEOM_SPHERE) return 1;
  if (t1 == mjGEOM_CAPSULE) return 2;
  return t1 == mjGEOM_BOX && t2 == mjGEOM_BOX ? 8 : 0;
}

/* MuJoCo 2.2.2 signs an <exclude> as ((lower body id + 1) << 16) + higher body id + 1 */
static int excluded(const mjModel *m, int b1, int b2) {
  int lo = b1 < b2 ? b1 : b2, hi = b1 < b2 ? b2 : b1, sig = ((lo + 1) << 16) + hi + 1;
  for (int e = 0; e < m->nexclude; e++)
    if (m->exclude_signature[e] == sig) return 1;
  return 0;
}

/* MuJoCo's candidate filter (mj_collision): contype/conaffinity, bodies welded together,
 * parent and child (filterparent, unless one is the world), <exclude>. */
static int pair_candidate(const mjModel *m, int g1, int g2) {
  if (!((m->geom_contype[g1] & m->geom_conaffinity[g2]) || (m->geom_contype[g2] & m->geom_conaffinity[g1]))) return 0;
  int b1 = m->geom_bodyid[g1], b2 = m->geom_bodyid[g2];
  int w1 = m->body_weldid[b1], w2 = m->body_weldid[b2];
  if (w1 == w2) return 0;
  int pw1 = m->body_weldid[m->body_parentid[w1]], pw2 = m->body_weldid[m->body_parentid[w2]];
  if (!(m->opt.disableflags & mjDSBL_FILTERPARENT) && w1 && w2 && (w1 == pw2 || w2 == pw1)) return 0;
  return !excluded(m, b1, b2);
}

static void copy_f(cm_preal *dst, const mjtNum *src, int n) {
  for (int i = 0; i < n; i++) dst[i] = (cm_preal)src[i];
}

static void geom_contact(const cm_phys_model *p, int g, cm_geom_contact *o) {
  o->contype = p->geom_contype[g];
  o->conaffinity = p->geom_conaffinity[g];
  o->condim = p->geom_condim[g];
  o->priority = p->geom_priority[g];
  for (int k = 0; k < 3; k++) o->friction[k] = p->geom_friction[g][k];
  for (int k = 0; k < 2; k++) o->solref[k] = p->geom_solref[g][k];
  for (int k = 0; k < 5; k++) o->solimp[k] = p->geom_solimp[g][k];
  o->solmix = p->geom_solmix[g];
  o->margin = p->geom_margin[g];
  o->gap = p->geom_gap[g];
}

/* the pair's mixed contact parameters, once, at compile time */
static int mix_pair(cm_phys_model *p, int k, const char *file, cm_err *err) {
  cm_geom_contact a, b;
  cm_pair_contact c;
  geom_contact(p, p->pair_geom1[k], &a);
  geom_contact(p, p->pair_geom2[k], &b);
  cm_pair_contact_mix(&a, &b, &c);
  if (c.condim != 1 && c.condim != 3)
    return cm_fail(err, "%s: <geom> pair %d-%d: condim %d is not supported by the cuda engine (1 or 3)", file, p->pair_geom1[k], p->pair_geom2[k], c.condim);
  p->pair_condim[k] = c.condim;
  for (int i = 0; i < 5; i++) p->pair_friction[k][i] = c.friction[i];
  for (int i = 0; i < 2; i++) p->pair_solref[k][i] = c.solref[i];
  for (int i = 0; i < 5; i++) p->pair_solimp[k][i] = c.solimp[i];
  p->pair_margin[k] = c.margin;
  p->pair_includemargin[k] = c.includemargin;
  return 0;
}

int cm_phys_model_compile(const mjModel *m, const char *file, cm_phys_model *p, cm_err *err) {
  memset(p, 0, sizeof *p);
  if (check_supported(m, file, err)) return -1;
  p->nq = m->nq;
  p->nv = m->nv;
  p->nbody = m->nbody;
  p->njnt = m->njnt;
  p->ngeom = m->ngeom;
  p->nmocap = m->nmocap;
  p->opt_timestep = (cm_preal)m->opt.timestep;
  copy_f(p->opt_gravity, m->opt.gravity, 3);
  if (m->opt.disableflags & mjDSBL_GRAVITY) p->opt_gravity[0] = p->opt_gravity[1] = p->opt_gravity[2] = 0.f;
  p->opt_impratio = (cm_preal)m->opt.impratio;
  p->opt_iterations = m->opt.iterations;
  p->opt_tolerance = (cm_preal)m->opt.tolerance;
  p->opt_disable_contact = !!(m->opt.disableflags & (mjDSBL_CONTACT | mjDSBL_CONSTRAINT));
  p->opt_disable_limit = !!(m->opt.disableflags & (mjDSBL_LIMIT | mjDSBL_CONSTRAINT));
  for (int b = 0; b < m->nbody; b++) {
    p->body_parentid[b] = m->body_parentid[b];
    p->body_rootid[b] = m->body_rootid[b];
    p->body_depth[b] = b ? p->body_depth[m->body_parentid[b]] + 1 : 0; /* (parents come first) */
    p->tree_depth = p->body_depth[b] > p->tree_depth ? p->body_depth[b] : p->tree_depth;
    p->body_mocapid[b] = m->body_mocapid[b];
    p->body_jntnum[b] = m->body_jntnum[b];
    p->body_jntadr[b] = m->body_jntadr[b];
    p->body_dofnum[b] = m->body_dofnum[b];
    p->body_dofadr[b] = m->body_dofadr[b];
    copy_f(p->body_pos[b], m->body_pos + 3 * b, 3);
    copy_f(p->body_quat[b], m->body_quat + 4 * b, 4);
    copy_f(p->body_ipos[b], m->body_ipos + 3 * b, 3);
    copy_f(p->body_iquat[b], m->body_iquat + 4 * b, 4);
    p->body_mass[b] = (cm_preal)m->body_mass[b];
    copy_f(p->body_inertia[b], m->body_inertia + 3 * b, 3);
    copy_f(p->body_invweight0[b], m->body_invweight0 + 2 * b, 2);
  }
  /* subtree masses in cm_preal, summed children first as mj_comPos sums them (cm_phys_com_pos
   * reads them instead of every lane summing its own copy) */
  for (int b = 0; b < m->nbody; b++) p->body_subtreemass[b] = p->body_mass[b];
  for (int b = m->nbody - 1; b > 0; b--) p->body_subtreemass[p->body_parentid[b]] += p->body_subtreemass[b];
  for (int j = 0; j < m->njnt; j++) {
    p->jnt_type[j] = m->jnt_type[j];
    p->jnt_qposadr[j] = m->jnt_qposadr[j];
    p->jnt_dofadr[j] = m->jnt_dofadr[j];
    p->jnt_bodyid[j] = m->jnt_bodyid[j];
    p->jnt_limited[j] = m->jnt_limited[j] && m->jnt_type[j] == mjJNT_HINGE;
    copy_f(p->jnt_pos[j], m->jnt_pos + 3 * j, 3);
    copy_f(p->jnt_axis[j], m->jnt_axis + 3 * j, 3);
    copy_f(p->jnt_range[j], m->jnt_range + 2 * j, 2);
    p->jnt_margin[j] = (cm_preal)m->jnt_margin[j];
    copy_f(p->jnt_solref[j], m->jnt_solref + mjNREF * j, 2);
    copy_f(p->jnt_solimp[j], m->jnt_solimp + mjNIMP * j, 5);
  }
  copy_f(p->qpos0, m->qpos0, m->nq);
  for (int v = 0; v < m->nv; v++) {
    p->dof_bodyid[v] = m->dof_bodyid[v];
    p->dof_jntid[v] = m->dof_jntid[v];
    p->dof_parentid[v] = m->dof_parentid[v];
    p->dof_armature[v] = (cm_preal)m->dof_armature[v];
    p->dof_damping[v] = (cm_preal)m->dof_damping[v];
    p->dof_invweight0[v] = (cm_preal)m->dof_invweight0[v];
  }
  for (int v = 0; v < m->nv; v++) { /* parents come first */
    int par = p->dof_parentid[v];
    p->dof_depth[v] = par >= 0 ? p->dof_depth[par] + 1 : 0;
    p->dof_depth_max = p->dof_depth[v] > p->dof_depth_max ? p->dof_depth[v] : p->dof_depth_max;
    p->dof_last[v] = v;
  }
  for (int v = m->nv - 1; v >= 0; v--) {
    int par = p->dof_parentid[v];
    if (par >= 0 && p->dof_last[v] > p->dof_last[par]) p->dof_last[par] = p->dof_last[v];
  }
  for (int v = 0; v < m->nv; v++) /* every dof up to the last descendant descends from v */
    for (int i = v + 1; i <= p->dof_last[v]; i++) {
      int a = p->dof_parentid[i];
      while (a > v) a = p->dof_parentid[a];
      if (a != v) return cm_fail(err, "%s: dofs not in depth-first order (dof %d inside dof %d's subtree)", file, i, v);
    }
  for (int g = 0; g < m->ngeom; g++) {
    p->geom_type[g] = m->geom_type[g];
    p->geom_bodyid[g] = m->geom_bodyid[g];
    p->geom_contype[g] = m->geom_contype[g];
    p->geom_conaffinity[g] = m->geom_conaffinity[g];
    p->geom_condim[g] = m->geom_condim[g];
    p->geom_priority[g] = m->geom_priority[g];
    copy_f(p->geom_size[g], m->geom_size + 3 * g, 3);
    copy_f(p->geom_pos[g], m->geom_pos + 3 * g, 3);
    copy_f(p->geom_quat[g], m->geom_quat + 4 * g, 4);
    copy_f(p->geom_friction[g], m->geom_friction + 3 * g, 3);
    copy_f(p->geom_solref[g], m->geom_solref + mjNREF * g, 2);
    copy_f(p->geom_solimp[g], m->geom_solimp + mjNIMP * g, 5);
    p->geom_solmix[g] = (cm_preal)m->geom_solmix[g];
    p->geom_margin[g] = (cm_preal)m->geom_margin[g];
    p->geom_gap[g] = (cm_preal)m->geom_gap[g];
    p->geom_rbound[g] = (cm_preal)m->geom_rbound[g];
  }
  /* candidate pairs and the capacities of the constraint arrays */
  int ncon = 0, condim = 1;
  if (m->npair) return cm_fail(err, "%s: <contact><pair>: explicit contact pairs are not supported by the cuda engine", file);
  for (int g1 = 0; g1 < m->ngeom; g1++)
    for (int g2 = g1 + 1; g2 < m->ngeom; g2++) {
      if (!pair_candidate(m, g1, g2)) continue;
      if (!pair_max_contacts(m->geom_type[g1], m->geom_type[g2])) continue; /* plane-plane: never collides */
      if (p->npair == CM_PHYS_MAX_PAIR)
        return cm_fail(err, "%s: more than %d colliding geom pairs, too many for the cuda engine", file, CM_PHYS_MAX_PAIR);
      int swap = m->geom_type[g1] > m->geom_type[g2];
      p->pair_geom1[p->npair] = swap ? g2 : g1;
      p->pair_geom2[p->npair] = swap ? g1 : g2;
      if (mix_pair(p, p->npair, file, err)) return -1;
      p->npair++;
      ncon += pair_max_contacts(m->geom_type[g1], m->geom_type[g2]);
      if (m->geom_condim[g1] > condim) condim = m->geom_condim[g1];
      if (m->geom_condim[g2] > condim) condim = m->geom_condim[g2];
    }
  p->ncon_max = ncon < CM_PHYS_MAX_CON ? ncon : CM_PHYS_MAX_CON;
  int nlim = 0;
  for (int j = 0; j < m->njnt; j++) nlim += p->jnt_limited[j] ? 2 : 0;
  p->nefc_max = nlim + p->ncon_max * (condim == 1 ? 1 : 2 * (condim - 1));
  return 0;
}
