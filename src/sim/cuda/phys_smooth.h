/* The smooth dynamics of one env, as MuJoCo computes it (engine_core_smooth.c), in cm_preal:
 * position stages (cm_phys_kinematics, cm_phys_com_pos, cm_phys_crb, cm_phys_factor_m) and
 * velocity stages (cm_phys_com_vel, cm_phys_passive, cm_phys_rne). Each stage reads the fields
 * written by the ones before it; field names and meanings are mjData's.
 *
 * The lanes (phys_lanes.h) share the tree recursions level by level: parent -> child passes
 * take a tree level at a time (a body per lane), child -> parent sums a level of parents at a
 * time, each parent adding its children in decreasing index order, as the serial reverse loop
 * does, so one lane computes exactly what it always did. The sparse factor of M stays serial. */
#ifndef CM_PHYS_SMOOTH_H
#define CM_PHYS_SMOOTH_H
#include "sim/cuda/phys_data.h"
#include "sim/cuda/phys_math.h"

/* levels below the world of body b (the world's children: 1), and the deepest level */
CM_HD static inline int cm_phys_body_depth(const cm_phys_model *m, int b) { return m->body_depth[b]; }
CM_HD static inline int cm_phys_tree_depth(const cm_phys_model *m) { return m->tree_depth; }

/* acc[stride * p + k] += acc[stride * b + k] (k < width) for every body b's parent p >= first,
 * children before parents and each parent's children in decreasing b: the serial
 * `for (b = nbody - 1; b > 0; b--)` accumulation, a level of parents at a time over the lanes */
#define CM_PHYS_TREE_GATHER(L, m, acc, stride, width, first)                                   \
  do {                                                                                         \
    for (int lvl_ = cm_phys_tree_depth(m) - 1; lvl_ >= 0; lvl_--) {                            \
      for (int p_ = (L).lane; p_ < (m)->nbody; p_ += (L).n) {                                  \
        if (p_ < (first) || cm_phys_body_depth(m, p_) != lvl_) continue;                       \
        for (int b_ = (m)->nbody - 1; b_ > p_; b_--)                                           \
          if ((m)->body_parentid[b_] == p_)                                                    \
            for (int k_ = 0; k_ < (width); k_++) (acc)[(stride) * p_ + k_] += (acc)[(stride) * b_ + k_]; \
      }                                                                                        \
      cm_lanes_sync(L);                                                                        \
    }                                                                                          \
  } while (0)

/* body b's pose from its parent's (mj_kinematics' body loop) */
CM_HD static inline void cm_phys_kinematics_body(const cm_phys_model *m, cm_phys_data *d, int b) {
  cm_preal *xpos = d->xpos + 3 * b, *xquat = d->xquat + 4 * b;
  int p = m->body_parentid[b], mid = m->body_mocapid[b];
  if (mid >= 0) {
    for (int k = 0; k < 3; k++) xpos[k] = d->mocap_pos[3 * mid + k];
    for (int k = 0; k < 4; k++) xquat[k] = d->mocap_quat[4 * mid + k];
  } else {
    cm_preal off[3];
    cm_pm_mulmv(off, d->xmat + 9 * p, m->body_pos[b]);
    for (int k = 0; k < 3; k++) xpos[k] = d->xpos[3 * p + k] + off[k];
    cm_pm_quat_mul(xquat, d->xquat + 4 * p, m->body_quat[b]);
  }
  for (int jj = 0; jj < m->body_jntnum[b]; jj++) {
    int j = m->body_jntadr[b] + jj, qa = m->jnt_qposadr[j];
    cm_preal *xanchor = d->xanchor + 3 * j, *xaxis = d->xaxis + 3 * j;
    if (m->jnt_type[j] == CM_PHYS_JNT_FREE) {
      for (int k = 0; k < 3; k++) xpos[k] = d->qpos[qa + k];
      for (int k = 0; k < 4; k++) xquat[k] = d->qpos[qa + 3 + k];
      cm_pm_quat_normalize(xquat);
      for (int k = 0; k < 3; k++) { xanchor[k] = xpos[k]; xaxis[k] = m->jnt_axis[j][k]; }
    } else { /* hinge about the anchor */
      cm_preal v[3], ql[4];
      cm_pm_quat_rotate(xaxis, xquat, m->jnt_axis[j]);
      cm_pm_quat_rotate(v, xquat, m->jnt_pos[j]);
      for (int k = 0; k < 3; k++) xanchor[k] = v[k] + xpos[k];
      cm_pm_axis_angle(ql, m->jnt_axis[j], d->qpos[qa] - m->qpos0[qa]);
      cm_pm_quat_mul(xquat, xquat, ql);
      cm_pm_quat_rotate(v, xquat, m->jnt_pos[j]);
      for (int k = 0; k < 3; k++) xpos[k] = xanchor[k] - v[k];
    }
  }
  cm_pm_quat_normalize(xquat);
  cm_preal *xmat = d->xmat + 9 * b, iq[4], off[3];
  cm_pm_quat_to_mat(xmat, xquat);
  cm_pm_mulmv(off, xmat, m->body_ipos[b]);
  for (int k = 0; k < 3; k++) d->xipos[3 * b + k] = xpos[k] + off[k];
  cm_pm_quat_mul(iq, xquat, m->body_iquat[b]);
  cm_pm_quat_to_mat(d->ximat + 9 * b, iq);
}

/* xpos, xquat, xmat, xipos, ximat, xanchor, xaxis, geom_xpos, geom_xmat (mj_kinematics) */
CM_HD static inline void cm_phys_kinematics(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  if (L.lane == 0) {
    d->xpos[0] = d->xpos[1] = d->xpos[2] = 0.f;
    d->xquat[0] = 1.f; d->xquat[1] = d->xquat[2] = d->xquat[3] = 0.f;
    cm_pm_quat_to_mat(d->xmat, d->xquat);
    for (int k = 0; k < 3; k++) d->xipos[k] = 0.f;
    cm_pm_quat_to_mat(d->ximat, d->xquat);
  }
  cm_lanes_sync(L);
  int depth = cm_phys_tree_depth(m);
  for (int lvl = 1; lvl <= depth; lvl++) {
    for (int b = 1 + L.lane; b < m->nbody; b += L.n)
      if (cm_phys_body_depth(m, b) == lvl) cm_phys_kinematics_body(m, d, b);
    cm_lanes_sync(L);
  }
  for (int g = L.lane; g < m->ngeom; g += L.n) {
    int b = m->geom_bodyid[g];
    cm_preal off[3], gq[4];
    cm_pm_mulmv(off, d->xmat + 9 * b, m->geom_pos[g]);
    for (int k = 0; k < 3; k++) d->geom_xpos[3 * g + k] = d->xpos[3 * b + k] + off[k];
    cm_pm_quat_mul(gq, d->xquat + 4 * b, m->geom_quat[g]);
    cm_pm_quat_to_mat(d->geom_xmat + 9 * g, gq);
  }
  cm_lanes_sync(L);
}

/* subtree_com, cinert, cdof (mj_comPos): spatial quantities about each tree's centre of mass;
 * cinert and cdof formed in the mass-matrix scalar cm_preal_m */
CM_HD static inline void cm_phys_com_pos(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  const cm_preal *mass = m->body_subtreemass;
  for (int b = L.lane; b < m->nbody; b += L.n)
    for (int k = 0; k < 3; k++) d->subtree_com[3 * b + k] = m->body_mass[b] * d->xipos[3 * b + k];
  cm_lanes_sync(L);
  CM_PHYS_TREE_GATHER(L, m, d->subtree_com, 3, 3, 0);
  for (int b = L.lane; b < m->nbody; b += L.n)
    for (int k = 0; k < 3; k++)
      d->subtree_com[3 * b + k] = mass[b] > 1e-15f ? d->subtree_com[3 * b + k] / mass[b] : d->xipos[3 * b + k];
  cm_lanes_sync(L);
  /* cinert and cdof in the mass-matrix scalar from the float poses (the large parallel-axis
   * terms about the tree's com cancel in qM, phys_real.h), rounded for the velocity stages */
  cm_preal_m *cinert = cm_phys_cinert_m(d), *cdof = cm_phys_cdof_m(d);
  if (L.lane == 0)
    for (int k = 0; k < 10; k++) cinert[k] = 0;
  for (int b = 1 + L.lane; b < m->nbody; b += L.n) {
    const cm_preal *c = d->subtree_com + 3 * m->body_rootid[b];
    cm_preal_m dif[3];
    for (int k = 0; k < 3; k++) dif[k] = (cm_preal_m)d->xipos[3 * b + k] - c[k];
    cm_pm_inert_com_m(cinert + 10 * b, m->body_inertia[b], d->ximat + 9 * b, dif, m->body_mass[b]);
  }
  for (int b = 1 + L.lane; b < m->nbody; b += L.n) {
    const cm_preal *c = d->subtree_com + 3 * m->body_rootid[b];
    for (int jj = 0; jj < m->body_jntnum[b]; jj++) {
      int j = m->body_jntadr[b] + jj, da = m->jnt_dofadr[j];
      cm_preal_m off[3];
      for (int k = 0; k < 3; k++) off[k] = (cm_preal_m)c[k] - d->xanchor[3 * j + k];
      if (m->jnt_type[j] == CM_PHYS_JNT_FREE) {
        for (int i = 0; i < 3; i++) {
          cm_preal_m *t = cdof + 6 * (da + i), *r = cdof + 6 * (da + 3 + i);
          for (int k = 0; k < 6; k++) t[k] = 0;
          t[3 + i] = 1; /* translation along the world axes */
          const cm_preal *M = d->xmat + 9 * b; /* rotation about the body's own axes */
          r[0] = M[i]; r[1] = M[3 + i]; r[2] = M[6 + i];
          cm_pm_cross_m(r + 3, r, off);
        }
      } else {
        cm_preal_m *r = cdof + 6 * da;
        for (int k = 0; k < 3; k++) r[k] = d->xaxis[3 * j + k];
        cm_pm_cross_m(r + 3, r, off);
      }
    }
  }
  cm_lanes_sync(L);
  if (CM_PHYS_M_SEP) {
    for (int k = L.lane; k < 10 * m->nbody; k += L.n) d->cinert[k] = (cm_preal)cinert[k];
    for (int k = L.lane; k < 6 * m->nv; k += L.n) d->cdof[k] = (cm_preal)cdof[k];
    cm_lanes_sync(L);
  }
}

/* crb (composite inertias) and qM, dense nv x nv with both triangles filled (mj_crb); in the
 * mass-matrix scalar, qM rounded once at the end */
CM_HD static inline void cm_phys_crb(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  int nv = m->nv;
  const cm_preal_m *cinert = cm_phys_cinert_m(d), *cdof = cm_phys_cdof_m(d);
  for (int k = L.lane; k < 10 * m->nbody; k += L.n) d->crb[k] = cinert[k];
  for (int k = L.lane; k < nv * nv; k += L.n) d->qM[k] = 0.f;
  cm_lanes_sync(L);
  CM_PHYS_TREE_GATHER(L, m, d->crb, 10, 10, 1);
  for (int i = L.lane; i < nv; i += L.n) { /* row i and its ancestors' column entries */
    cm_preal_m f[6];
    cm_pm_mul_inert_m(f, d->crb + 10 * m->dof_bodyid[i], cdof + 6 * i);
    d->qM[i * nv + i] = (cm_preal)(cm_pm_dot6_m(cdof + 6 * i, f) + m->dof_armature[i]);
    for (int j = m->dof_parentid[i]; j >= 0; j = m->dof_parentid[j]) {
      cm_preal v = (cm_preal)cm_pm_dot6_m(cdof + 6 * j, f);
      d->qM[i * nv + j] = v;
      d->qM[j * nv + i] = v;
    }
  }
  cm_lanes_sync(L);
}

/* LD = factor of (M + h diag(dof_damping)) as M = L^T D L with L unit lower-triangular in the
 * tree's sparsity (mj_factorM); the strict lower triangle of LD holds L, its diagonal D; h = 0:
 * M's own. (h, not an array of the additions: every lane would hold its own copy of that model
 * data.) Only entries (i, j) with j an ancestor dof of i are read or written. Per dof k (from
 * the last), the updates of the rows of k's ancestors i read only row k, so they are spread
 * over the lanes (the m-th ancestor on lane m mod n), and row k is scaled after a sync. */
CM_HD static inline void cm_phys_factor_m(cm_lanes L, const cm_phys_model *m, const cm_preal *M, cm_preal h,
                                          cm_preal *LD) {
  int nv = m->nv;
  for (int i = L.lane; i < nv; i += L.n) {
    LD[i * nv + i] = M[i * nv + i] + (h != 0 ? h * m->dof_damping[i] : 0.f);
    for (int j = m->dof_parentid[i]; j >= 0; j = m->dof_parentid[j]) LD[i * nv + j] = M[i * nv + j];
  }
  cm_lanes_sync(L);
  for (int k = nv - 1; k >= 0; k--) {
    int a = 0;
    for (int i = m->dof_parentid[k]; i >= 0; i = m->dof_parentid[i], a++) {
      if (a % L.n != L.lane) continue;
      cm_preal t = LD[k * nv + i] / LD[k * nv + k];
      for (int j = i; j >= 0; j = m->dof_parentid[j]) LD[i * nv + j] -= t * LD[k * nv + j];
    }
    cm_lanes_sync(L);
    a = 0;
    for (int i = m->dof_parentid[k]; i >= 0; i = m->dof_parentid[i], a++)
      if (a % L.n == L.lane) LD[k * nv + i] = LD[k * nv + i] / LD[k * nv + k];
    cm_lanes_sync(L);
  }
}

/* x <- M^-1 x with the factor from cm_phys_factor_m (mj_solveLD): the same operations in the
 * same order per element (zeros skipped, sums in a register: a constraint row's x is zero off
 * its body's chain), as gathers: x_j takes its descendants' (last first) once they are final,
 * then x_i its ancestors'. One lane runs the dofs in index order; lanes take a dof level at a
 * time (deepest first, then shallowest first). */
CM_HD static inline void cm_phys_solve_m(cm_lanes L, const cm_phys_model *m, const cm_preal *LD, cm_preal *x) {
  int nv = m->nv, levels = L.n > 1 ? m->dof_depth_max + 1 : 1;
  for (int s = 0; s < levels; s++) {
    for (int j = nv - 1 - L.lane; j >= 0; j -= L.n) {
      if (L.n > 1 && m->dof_depth[j] != m->dof_depth_max - s) continue;
      cm_preal t = x[j];
      for (int i = m->dof_last[j]; i > j; i--)
        if (x[i] != 0) t -= LD[i * nv + j] * x[i];
      x[j] = t;
    }
    cm_lanes_sync(L);
  }
  for (int i = L.lane; i < nv; i += L.n) x[i] /= LD[i * nv + i];
  cm_lanes_sync(L);
  for (int s = 0; s < levels; s++) {
    for (int i = L.lane; i < nv; i += L.n) {
      if (L.n > 1 && m->dof_depth[i] != s) continue;
      cm_preal t = x[i];
      for (int j = m->dof_parentid[i]; j >= 0; j = m->dof_parentid[j]) t -= LD[i * nv + j] * x[j];
      x[i] = t;
    }
    cm_lanes_sync(L);
  }
}

/* y = M x with the dense qM, over its tree-sparse entries (rows over the lanes) */
CM_HD static inline void cm_phys_mul_m(cm_lanes L, const cm_phys_model *m, const cm_preal *M, const cm_preal *x, cm_preal *y) {
  cm_mat_vec_tree(L, m->nv, m->dof_parentid, M, x, y);
}

/* cvel, cdof_dot (mj_comVel) */
CM_HD static inline void cm_phys_com_vel_body(const cm_phys_model *m, cm_phys_data *d, int b) {
  cm_preal v[6];
  int p = m->body_parentid[b];
  for (int k = 0; k < 6; k++) v[k] = d->cvel[6 * p + k];
  for (int jj = 0; jj < m->body_jntnum[b]; jj++) {
    int j = m->body_jntadr[b] + jj, da = m->jnt_dofadr[j];
    if (m->jnt_type[j] == CM_PHYS_JNT_FREE) {
      for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 6; k++) d->cdof_dot[6 * (da + i) + k] = 0.f;
        for (int k = 0; k < 6; k++) v[k] += d->cdof[6 * (da + i) + k] * d->qvel[da + i];
      }
      /* the three rotations see the velocity after the translations, before themselves */
      for (int i = 3; i < 6; i++) cm_pm_cross_motion(d->cdof_dot + 6 * (da + i), v, d->cdof + 6 * (da + i));
      for (int i = 3; i < 6; i++)
        for (int k = 0; k < 6; k++) v[k] += d->cdof[6 * (da + i) + k] * d->qvel[da + i];
    } else {
      cm_pm_cross_motion(d->cdof_dot + 6 * da, v, d->cdof + 6 * da);
      for (int k = 0; k < 6; k++) v[k] += d->cdof[6 * da + k] * d->qvel[da];
    }
  }
  for (int k = 0; k < 6; k++) d->cvel[6 * b + k] = v[k];
}

CM_HD static inline void cm_phys_com_vel(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  if (L.lane == 0)
    for (int k = 0; k < 6; k++) d->cvel[k] = 0.f;
  cm_lanes_sync(L);
  int depth = cm_phys_tree_depth(m);
  for (int lvl = 1; lvl <= depth; lvl++) {
    for (int b = 1 + L.lane; b < m->nbody; b += L.n)
      if (cm_phys_body_depth(m, b) == lvl) cm_phys_com_vel_body(m, d, b);
    cm_lanes_sync(L);
  }
}

/* qfrc_passive: dof damping (joint stiffness is refused at compile time) */
CM_HD static inline void cm_phys_passive(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  for (int i = L.lane; i < m->nv; i += L.n) d->qfrc_passive[i] = -m->dof_damping[i] * d->qvel[i];
  cm_lanes_sync(L);
}

/* qfrc_bias = C(q, qdot) + g(q): Coriolis, centrifugal and gravity forces (mj_rne, no qacc) */
CM_HD static inline void cm_phys_rne_body(const cm_phys_model *m, cm_phys_data *d, int b) {
  cm_preal *a = d->cacc + 6 * b, *f = d->cfrc_body + 6 * b, t[6], t2[6];
  const cm_preal *pa = d->cacc + 6 * m->body_parentid[b], *I = d->cinert + 10 * b, *v = d->cvel + 6 * b;
  for (int k = 0; k < 6; k++) a[k] = pa[k];
  for (int i = m->body_dofadr[b]; i < m->body_dofadr[b] + m->body_dofnum[b]; i++)
    for (int k = 0; k < 6; k++) a[k] += d->cdof_dot[6 * i + k] * d->qvel[i];
  cm_pm_mul_inert(f, I, a);
  cm_pm_mul_inert(t, I, v);
  cm_pm_cross_force(t2, v, t);
  for (int k = 0; k < 6; k++) f[k] += t2[k];
}

CM_HD static inline void cm_phys_rne(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  if (L.lane == 0) {
    for (int k = 0; k < 6; k++) d->cacc[k] = 0.f;
    for (int k = 0; k < 3; k++) d->cacc[3 + k] = -m->opt_gravity[k];
  }
  cm_lanes_sync(L);
  int depth = cm_phys_tree_depth(m);
  for (int lvl = 1; lvl <= depth; lvl++) {
    for (int b = 1 + L.lane; b < m->nbody; b += L.n)
      if (cm_phys_body_depth(m, b) == lvl) cm_phys_rne_body(m, d, b);
    cm_lanes_sync(L);
  }
  CM_PHYS_TREE_GATHER(L, m, d->cfrc_body, 6, 6, 1);
  for (int i = L.lane; i < m->nv; i += L.n) d->qfrc_bias[i] = cm_pm_dot6(d->cdof + 6 * i, d->cfrc_body + 6 * m->dof_bodyid[i]);
  cm_lanes_sync(L);
}
#endif
