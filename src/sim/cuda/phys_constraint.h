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

/* The contacts of candidate pair k that count (inside the pair's includemargin), in con;
 * none when the geoms' bounding spheres are apart (MuJoCo's mid-phase). Returns how many. */
CM_HD static inline int cm_phys_pair_contacts(const cm_phys_model *m, const cm_phys_data *d, int k, cm_contact *con) {
  int g1 = m->pair_geom1[k], g2 = m->pair_geom2[k];
  const cm_preal *p1 = d->geom_xpos + 3 * g1, *p2 = d->geom_xpos + 3 * g2;
  cm_preal r1 = m->geom_rbound[g1], r2 = m->geom_rbound[g2], margin = m->pair_margin[k];
  if (r1 > 0.f && r2 > 0.f) {
    cm_preal dx = p1[0] - p2[0], dy = p1[1] - p2[1], dz = p1[2] - p2[2], r = r1 + r2 + margin;
    if (dx * dx + dy * dy + dz * dz > r * r) return 0;
  }
  int nc = cm_collide(m->geom_type[g1], p1, d->geom_xmat + 9 * g1, m->geom_size[g1], m->geom_type[g2], p2,
                      d->geom_xmat + 9 * g2, m->geom_size[g2], margin, con);
  int n = 0;
  for (int c = 0; c < nc; c++)
    if (con[c].dist < m->pair_includemargin[k]) con[n++] = con[c];
  return n;
}

/* contact c of pair k into slot `slot` of the env's list */
CM_HD static inline void cm_phys_contact_put(const cm_phys_model *m, cm_phys_data *d, int slot, int k, const cm_contact *c) {
  for (int i = 0; i < 3; i++) d->contact_pos[3 * slot + i] = c->pos[i];
  for (int i = 0; i < 9; i++) d->contact_frame[9 * slot + i] = c->frame[i];
  d->contact_dist[slot] = c->dist;
  d->contact_pair[slot] = k;
  d->contact_geom1[slot] = m->pair_geom1[k];
  d->contact_geom2[slot] = m->pair_geom2[k];
}

/* contact c of pair k appended to the n kept ones; when the list is full the shallowest kept
 * contact gives way to a deeper one (each such arrival counted in ncon_dropped) */
CM_HD static inline void cm_phys_contact_keep(const cm_phys_model *m, cm_phys_data *d, int k, const cm_contact *c, int *n) {
  int slot = *n;
  if (*n == m->ncon_max) {
    d->ncon_dropped[0]++;
    slot = 0;
    for (int j = 1; j < *n; j++)
      if (d->contact_dist[j] > d->contact_dist[slot]) slot = j;
    if (!(c->dist < d->contact_dist[slot])) return;
  } else {
    (*n)++;
  }
  cm_phys_contact_put(m, d, slot, k, c);
}

/* The candidate pairs in rounds of L.n, a pair per lane; a round's contacts go to the list in
 * pair order (an exclusive scan of the lanes' counts gives each lane its slots), or, when they
 * would overflow it, one lane after the other through cm_phys_contact_keep: the list is the
 * one the serial pair loop builds. */
CM_HD static inline void cm_phys_collide(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  int n = 0;
  if (L.lane == 0) d->ncon_dropped[0] = 0;
  if (!m->opt_disable_contact)
    for (int base = 0; base < m->npair; base += L.n) {
      int k = base + L.lane, nc = 0;
      cm_contact con[CM_MAX_PAIR_CONTACTS];
      if (k < m->npair) nc = cm_phys_pair_contacts(m, d, k, con);
      int before = cm_lanes_scan_excl(L, nc), total = cm_lanes_sum_i(L, nc);
      if (n + total <= m->ncon_max) {
        for (int c = 0; c < nc; c++) cm_phys_contact_put(m, d, n + before + c, k, con + c);
        n += total;
        continue;
      }
      cm_lanes_sync(L);
      for (int l = 0; l < L.n; l++) {
        if (l == L.lane)
          for (int c = 0; c < nc; c++) cm_phys_contact_keep(m, d, k, con + c, &n);
        n = cm_lanes_bcast_from(L, n, l);
        cm_lanes_sync(L);
      }
    }
  cm_lanes_sync(L);
  if (L.lane == 0) d->ncon[0] = n;
  cm_lanes_sync(L);
}

/* The translational Jacobian of a world point moving with body b, added into jac [3][nv]
 * with the given sign (mj_jac): column i = cdof_lin_i + cdof_ang_i x (point - subtree_com).
 * Every lane walks the chain; column i is lane (i mod L.n)'s. */
CM_HD static inline void cm_phys_add_point_jac(cm_lanes L, const cm_phys_model *m, const cm_phys_data *d, int b, const cm_preal *point,
                                               cm_preal sign, cm_preal *jac) {
  while (b > 0 && m->body_dofnum[b] == 0) b = m->body_parentid[b];
  if (b <= 0) return;
  const cm_preal *c = d->subtree_com + 3 * m->body_rootid[b];
  cm_preal off[3] = {point[0] - c[0], point[1] - c[1], point[2] - c[2]}, t[3];
  int nv = m->nv;
  for (int i = m->body_dofadr[b] + m->body_dofnum[b] - 1; i >= 0; i = m->dof_parentid[i]) {
    if (i % L.n != L.lane) continue;
    const cm_preal *cd = d->cdof + 6 * i;
    cm_pm_cross(t, cd, off);
    for (int k = 0; k < 3; k++) jac[k * nv + i] += sign * (cd[3 + k] + t[k]);
  }
}

/* Limit rows on lane 0; each contact's rows by all lanes (its Jacobian's columns spread). */
CM_HD static inline void cm_phys_make_constraint(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  int nv = m->nv, row = 0;
  cm_preal h = m->opt_timestep;
  CM_LANES_SERIAL(L, if (!m->opt_disable_limit) for (int j = 0; j < m->njnt; j++) {
    if (!m->jnt_limited[j]) continue;
    int da = m->jnt_dofadr[j];
    row += cm_efc_add_limit(nv, row, da, d->qpos[m->jnt_qposadr[j]], d->qvel[da], m->jnt_range[j][0], m->jnt_range[j][1],
                            m->jnt_margin[j], m->jnt_solref[j], m->jnt_solimp[j], m->dof_invweight0[da], h, d->efc_J,
                            d->efc_R, d->efc_aref);
  });
  row = cm_lanes_bcast_i(L, row);
  cm_preal *jac = d->efc_scratch;
  int ncon = d->ncon[0];
  for (int c = 0; c < ncon; c++) {
    int k = d->contact_pair[c], g1 = d->contact_geom1[c], g2 = d->contact_geom2[c];
    int b1 = m->geom_bodyid[g1], b2 = m->geom_bodyid[g2];
    for (int i = L.lane; i < 3 * nv; i += L.n) jac[i] = 0.f;
    cm_lanes_sync(L);
    cm_phys_add_point_jac(L, m, d, b2, d->contact_pos + 3 * c, 1.f, jac);
    cm_phys_add_point_jac(L, m, d, b1, d->contact_pos + 3 * c, -1.f, jac);
    cm_lanes_sync(L);
    cm_preal tran = m->body_invweight0[b1][0] + m->body_invweight0[b2][0];
    cm_preal rot = m->body_invweight0[b1][1] + m->body_invweight0[b2][1];
    int added = cm_efc_add_contact(L, nv, row, m->pair_condim[k], d->contact_frame + 9 * c, d->contact_dist[c],
                                   m->pair_friction[k], m->pair_solref[k], m->pair_solimp[k], m->pair_includemargin[k],
                                   jac, tran, rot, d->qvel, h, m->opt_impratio, d->efc_J, d->efc_R, d->efc_aref);
    if (added > 0) row += added;
  }
  if (L.lane == 0) d->nefc[0] = row;
  cm_lanes_sync(L);
}

CM_HD static inline void cm_phys_fwd_constraint(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  int nv = m->nv, nefc = d->nefc[0];
  if (nefc == 0) {
    for (int i = L.lane; i < nv; i += L.n) {
      d->qfrc_constraint[i] = 0.f;
      d->qacc[i] = d->qacc_smooth[i];
    }
    cm_lanes_sync(L);
    return;
  }
  /* d->qacc holds the last substep's acceleration: the warm start. Few rows (the common case):
   * the low-rank solver, with W = M^-1 J' from the factor the position stage left in qLD (a
   * row per lane). */
  int it = -2;
  if (nefc <= CM_PHYS_LR_ROWS(m)) {
    cm_preal *W = d->efc_scratch;
    for (int i = L.lane; i < nefc; i += L.n) {
      for (int j = 0; j < nv; j++) W[i * nv + j] = d->efc_J[i * nv + j];
      cm_phys_solve_m(cm_lanes_one(), m, d->qLD, W + i * nv);
    }
    cm_lanes_sync(L);
    it = cm_solve_newton_lowrank(L, nv, nefc, CM_PHYS_LR_KMAX(m), m->dof_parentid, d->qM, W, d->qacc_smooth, d->efc_J,
                                 d->efc_R, d->efc_aref, m->opt_iterations, m->opt_tolerance, d->qacc, d->efc_force,
                                 d->efc_active, W + nefc * nv);
  }
  if (it == -2) { /* too many rows, or too many active ones: the dense Hessian */
    cm_lanes_sync(L);
    it = cm_solve_newton(L, nv, nefc, d->qM, d->qacc_smooth, d->efc_J, d->efc_R, d->efc_aref, m->opt_iterations,
                         m->opt_tolerance, d->qacc, d->efc_force, d->efc_scratch);
  }
  if (it < 0) { /* Hessian not factorable: leave the constraints out of this substep */
    for (int i = L.lane; i < nv; i += L.n) d->qacc[i] = d->qacc_smooth[i];
    for (int i = L.lane; i < nefc; i += L.n) d->efc_force[i] = 0;
    cm_lanes_sync(L);
  }
  cm_mat_tvec(L, nefc, nv, d->efc_J, d->efc_force, d->qfrc_constraint);
}
#endif
