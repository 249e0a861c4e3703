/* Constraints of one env in MuJoCo's soft-constraint formulation:
 *   cm_phys_collide          contacts of the model's candidate geom pairs (phys_collide.h)
 *   cm_phys_make_constraint  rows: joint limits, then contacts (pyramidal), with R and aref
 *                            (phys_solver.h builders), as mj_makeConstraint orders them
 *   cm_phys_fwd_constraint   forces and qacc by the Newton solver (low-rank Hessian when
 *                            few rows are active, dense otherwise), warm-started from the
 *                            last qacc (MuJoCo's qacc_warmstart)
 * Past the model's capacity (ncon_max) the shallowest contacts are dropped (each drop counted
 * in ncon_dropped), so the deepest ncon_max stay. */
#ifndef CM_PHYS_CONSTRAINT_H
#define CM_PHYS_CONSTRAINT_H
#include "sim/cuda/phys_collide.h"
#include "sim/cuda/phys_data.h"
#include "sim/cuda/phys_smooth.h"
#include "sim/cuda/phys_solver.h"

CM_HD static inline void cm_phys_collide(const cm_phys_model *m, cm_phys_data *d) {
  int n = 0;
  d->ncon_dropped[0] = 0;
  if (!m->opt_disable_contact) {
    for (int k = 0; k < m->npair; k++) {
      int g1 = m->pair_geom1[k], g2 = m->pair_geom2[k];
      const cm_preal *p1 = d->geom_xpos + 3 * g1, *p2 = d->geom_xpos + 3 * g2;
      cm_preal r1 = m->geom_rbound[g1], r2 = m->geom_rbound[g2], margin = m->pair_margin[k];
      if (r1 > 0.f && r2 > 0.f) { /* bounding spheres apart: no contact (MuJoCo's mid-phase) */
        cm_preal dx = p1[0] - p2[0], dy = p1[1] - p2[1], dz = p1[2] - p2[2], r = r1 + r2 + margin;
        if (dx * dx + dy * dy + dz * dz > r * r) continue;
      }
      cm_contact con[CM_MAX_PAIR_CONTACTS];
      int nc = cm_collide(m->geom_type[g1], p1, d->geom_xmat + 9 * g1, m->geom_size[g1], m->geom_type[g2], p2,
                          d->geom_xmat + 9 * g2, m->geom_size[g2], margin, con);
      for (int c = 0; c < nc; c++) {
        if (!(con[c].dist < m->pair_includemargin[k])) continue;
        int slot = n;
        if (n == m->ncon_max) { /* full: the shallowest kept contact gives way to a deeper one */
          d->ncon_dropped[0]++;
          slot = 0;
          for (int j = 1; j < n; j++)
            if (d->contact_dist[j] > d->contact_dist[slot]) slot = j;
          if (!(con[c].dist < d->contact_dist[slot])) continue;
        } else {
          n++;
        }
        for (int i = 0; i < 3; i++) d->contact_pos[3 * slot + i] = con[c].pos[i];
        for (int i = 0; i < 9; i++) d->contact_frame[9 * slot + i] = con[c].frame[i];
        d->contact_dist[slot] = con[c].dist;
        d->contact_pair[slot] = k;
        d->contact_geom1[slot] = g1;
        d->contact_geom2[slot] = g2;
      }
    }
  }
  d->ncon[0] = n;
}

/* The translational Jacobian of a world point moving with body b, added into jac [3][nv]
 * with the given sign (mj_jac): column i = cdof_lin_i + cdof_ang_i x (point - subtree_com). */
CM_HD static inline void cm_phys_add_point_jac(const cm_phys_model *m, const cm_phys_data *d, int b, const cm_preal *point,
                                               cm_preal sign, cm_preal *jac) {
  while (b > 0 && m->body_dofnum[b] == 0) b = m->body_parentid[b];
  if (b <= 0) return;
  const cm_preal *c = d->subtree_com + 3 * m->body_rootid[b];
  cm_preal off[3] = {point[0] - c[0], point[1] - c[1], point[2] - c[2]}, t[3];
  int nv = m->nv;
  for (int i = m->body_dofadr[b] + m->body_dofnum[b] - 1; i >= 0; i = m->dof_parentid[i]) {
    const cm_preal *cd = d->cdof + 6 * i;
    cm_pm_cross(t, cd, off);
    for (int k = 0; k < 3; k++) jac[k * nv + i] += sign * (cd[3 + k] + t[k]);
  }
}

CM_HD static inline void cm_phys_make_constraint(const cm_phys_model *m, cm_phys_data *d) {
  int nv = m->nv, row = 0;
  cm_preal h = m->opt_timestep;
  if (!m->opt_disable_limit)
    for (int j = 0; j < m->njnt; j++) {
      if (!m->jnt_limited[j]) continue;
      int da = m->jnt_dofadr[j];
      row += cm_efc_add_limit(nv, row, da, d->qpos[m->jnt_qposadr[j]], d->qvel[da], m->jnt_range[j][0], m->jnt_range[j][1],
                              m->jnt_margin[j], m->jnt_solref[j], m->jnt_solimp[j], m->dof_invweight0[da], h, d->efc_J,
                              d->efc_R, d->efc_aref);
    }
  cm_preal *jac = d->efc_scratch;
  for (int c = 0; c < d->ncon[0]; c++) {
    int k = d->contact_pair[c], g1 = d->contact_geom1[c], g2 = d->contact_geom2[c];
    int b1 = m->geom_bodyid[g1], b2 = m->geom_bodyid[g2];
    for (int i = 0; i < 3 * nv; i++) jac[i] = 0.f;
    cm_phys_add_point_jac(m, d, b2, d->contact_pos + 3 * c, 1.f, jac);
    cm_phys_add_point_jac(m, d, b1, d->contact_pos + 3 * c, -1.f, jac);
    cm_preal tran = m->body_invweight0[b1][0] + m->body_invweight0[b2][0];
    cm_preal rot = m->body_invweight0[b1][1] + m->body_invweight0[b2][1];
    int added = cm_efc_add_contact(nv, row, m->pair_condim[k], d->contact_frame + 9 * c, d->contact_dist[c],
                                   m->pair_friction[k], m->pair_solref[k], m->pair_solimp[k], m->pair_includemargin[k],
                                   jac, tran, rot, d->qvel, h, m->opt_impratio, d->efc_J, d->efc_R, d->efc_aref);
    if (added > 0) row += added;
  }
  d->nefc[0] = row;
}

CM_HD static inline void cm_phys_fwd_constraint(const cm_phys_model *m, cm_phys_data *d) {
  int nv = m->nv, nefc = d->nefc[0];
  if (nefc == 0) {
    for (int i = 0; i < nv; i++) {
      d->qfrc_constraint[i] = 0.f;
      d->qacc[i] = d->qacc_smooth[i];
    }
    return;
  }
  /* d->qacc holds the last substep's acceleration: the warm start. Few rows (the common case):
   * the low-rank solver, with W = M^-1 J' from the factor the position stage left in qLD. */
  int it = -2;
  if (nefc <= CM_PHYS_LR_ROWS(m)) {
    cm_preal *W = d->efc_scratch;
    for (int i = 0; i < nefc; i++) {
      for (int j = 0; j < nv; j++) W[i * nv + j] = d->efc_J[i * nv + j];
      cm_phys_solve_m(m, d->qLD, W + i * nv);
    }
    it = cm_solve_newton_lowrank(nv, nefc, CM_PHYS_LR_KMAX(m), m->dof_parentid, d->qM, W, d->qacc_smooth, d->efc_J, d->efc_R,
                                 d->efc_aref, m->opt_iterations, m->opt_tolerance, d->qacc, d->efc_force, d->efc_active,
                                 W + nefc * nv);
  }
  if (it == -2) /* too many rows, or too many active ones: the dense Hessian */
    it = cm_solve_newton(nv, nefc, d->qM, d->qacc_smooth, d->efc_J, d->efc_R, d->efc_aref, m->opt_iterations,
                         m->opt_tolerance, d->qacc, d->efc_force, d->efc_scratch);
  if (it < 0) { /* Hessian not factorable: leave the constraints out of this substep */
    for (int i = 0; i < nv; i++) d->qacc[i] = d->qacc_smooth[i];
    for (int i = 0; i < nefc; i++) d->efc_force[i] = 0;
  }
  cm_mat_tvec(nefc, nv, d->efc_J, d->efc_force, d->qfrc_constraint);
}
#endif
