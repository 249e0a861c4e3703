/* The GPU engine's constraint rows and solver (sim/cuda/phys_solver.h, double here) against
 * MuJoCo 2.2.2 run with the same cone (pyramidal), dense Jacobians and a tight tolerance:
 *  - rows: from MuJoCo's contacts and joint states our J, R and aref must be efc_J, efc_R,
 *    efc_aref (1e-9 relative);
 *  - solution: from MuJoCo's M (mj_fullM) and qacc_smooth our Newton and PGS solvers must give
 *    efc_force and qacc (the problem is strictly convex: any converged solver agrees);
 * over states along MuJoCo trajectories of a box dropped on a plane, a capsule on a tilted
 * plane, a two-link chain falling into its joint limits and the humanoid falling on the floor.
 * Then the whole contact pipeline (our narrow phase, rows and Newton solve, MuJoCo only for
 * kinematics, M and the smooth acceleration) steps a box on a tilted plane: it sticks below the
 * friction angle atan(mu) and slides above it with acceleration g (sin - mu cos). First, the
 * refusals and degenerate inputs (unsupported condim / pairs, non-positive-definite M). */
#ifndef CM_TEST_FLOAT
#define CM_PHYS_DOUBLE
#endif
#include "sim/cuda/phys_collide.h"
#include "sim/cuda/phys_solver.h"

#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "mj_xml.h"
#include "anim/mjcf.h"

#ifdef CM_PHYS_DOUBLE
#define TOL_ROWS 1e-9   /* J, R, aref: relative */
#define TOL_FORCE 1e-6  /* efc_force, qacc: relative to their largest entry */
#define SOLVE_TOL 1e-12
#define PGS_TOL 1e-14
#define TOL_PGS 1e-4
#else
#define TOL_ROWS 1e-3 /* R = (1 - d)/d diagApprox loses digits to the cancellation in 1 - d */
#define TOL_FORCE 2e-3
#define SOLVE_TOL 1e-6
#define PGS_TOL 1e-6
#define TOL_PGS 5e-3
#endif

#define MAXV 64
#define MAXROWS 512

typedef struct {
  int nv, nefc;
  cm_preal J[MAXROWS * MAXV], R[MAXROWS], aref[MAXROWS];
  cm_preal M[MAXV * MAXV], L[MAXV * MAXV], qacc_smooth[MAXV], qvel[MAXV];
  cm_preal qacc[MAXV], force[MAXROWS], work[CM_SOLVE_NEWTON_WORK(MAXV, MAXROWS) + CM_SOLVE_PGS_WORK(MAXV, MAXROWS)];
  cm_preal W[MAXROWS * MAXV], lr_work[CM_SOLVE_NEWTON_LR_WORK(MAXV, MAXROWS, MAXROWS)];
  int act[MAXROWS];
} problem;

static problem P; /* large: keep off the stack */
static int frictionless_seen;

/* J rows of one contact point from MuJoCo's body Jacobians (the caller's job in the engine) */
static void contact_jacdif(const mjModel *m, mjData *d, const mjContact *c, cm_preal *jacdif) {
  static double j1[3 * MAXV], j2[3 * MAXV];
  int b1 = m->geom_bodyid[c->geom1], b2 = m->geom_bodyid[c->geom2];
  memset(j1, 0, sizeof j1);
  memset(j2, 0, sizeof j2);
  if (b1) mj_jac(m, d, j1, NULL, c->pos, b1);
  if (b2) mj_jac(m, d, j2, NULL, c->pos, b2);
  for (int k = 0; k < 3 * m->nv; k++) jacdif[k] = (cm_preal)(j2[k] - j1[k]);
}

/* Our rows for MuJoCo's current constraints (limits, then included contacts: MuJoCo's order). */
static int build_rows(const mjModel *m, mjData *d, problem *p) {
  int nv = m->nv, row = 0;
  cm_preal h = (cm_preal)m->opt.timestep;
  p->nv = nv;
  for (int j = 0; j < nv; j++) p->qvel[j] = (cm_preal)d->qvel[j];
  for (int i = 0; i < m->njnt; i++) {
    if (!m->jnt_limited[i]) continue;
    if (m->jnt_type[i] != mjJNT_HINGE && m->jnt_type[i] != mjJNT_SLIDE) continue;
    cm_preal sr[2] = {(cm_preal)m->jnt_solref[2 * i], (cm_preal)m->jnt_solref[2 * i + 1]}, si[5];
    for (int k = 0; k < 5; k++) si[k] = (cm_preal)m->jnt_solimp[5 * i + k];
    int dof = m->jnt_dofadr[i];
    row += cm_efc_add_limit(nv, row, dof, (cm_preal)d->qpos[m->jnt_qposadr[i]], (cm_preal)d->qvel[dof],
                            (cm_preal)m->jnt_range[2 * i], (cm_preal)m->jnt_range[2 * i + 1], (cm_preal)m->jnt_margin[i],
                            sr, si, (cm_preal)m->dof_invweight0[dof], h, p->J, p->R, p->aref);
  }
  static cm_preal jacdif[3 * MAXV];
  for (int c = 0; c < d->ncon; c++) {
    const mjContact *con = d->contact + c;
    if (con->exclude) continue;
    contact_jacdif(m, d, con, jacdif);
    int b1 = m->geom_bodyid[con->geom1], b2 = m->geom_bodyid[con->geom2];
    cm_preal fr[5], sr[2], si[5], frame[9];
    for (int k = 0; k < 5; k++) fr[k] = (cm_preal)con->friction[k];
    for (int k = 0; k < 2; k++) sr[k] = (cm_preal)con->solref[k];
    for (int k = 0; k < 5; k++) si[k] = (cm_preal)con->solimp[k];
    for (int k = 0; k < 9; k++) frame[k] = (cm_preal)con->frame[k];
    cm_preal tran = (cm_preal)(m->body_invweight0[2 * b1] + m->body_invweight0[2 * b2]);
    cm_preal rot = (cm_preal)(m->body_invweight0[2 * b1 + 1] + m->body_invweight0[2 * b2 + 1]);
    int n = cm_efc_add_contact(cm_lanes_one(), nv, row, con->dim, frame, (cm_preal)con->dist, fr, sr, si, (cm_preal)con->includemargin,
                               jacdif, tran, rot, p->qvel, h, (cm_preal)m->opt.impratio, p->J, p->R, p->aref);
    CHECK(n > 0);
    if (n > 0) row += n;
    frictionless_seen += con->dim == 1;
  }
  p->nefc = row;
  static double M[MAXV * MAXV];
  mj_fullM(m, M, d->qM);
  for (int k = 0; k < nv * nv; k++) p->M[k] = p->L[k] = (cm_preal)M[k];
  for (int j = 0; j < nv; j++) p->qacc_smooth[j] = (cm_preal)d->qacc_smooth[j];
  return row;
}

typedef struct {
  int states, rows;
  double J, R, aref, force, qacc, pgs_force, pgs_qacc, pgs50_qacc, lr_qacc, lr_warm_qacc;
  int newton_iters, pgs_iters;
} solver_stats;

/* max |a - b| relative to max |b| (and to max |c| when given: qacc at rest is the difference
 * of gravity and the contact acceleration, which each stay large) */
static double rel_err(const cm_preal *a, const double *b, int n, const double *c) {
  double e = 0, s = 1e-12;
  for (int i = 0; i < n; i++) {
    e = fmax(e, fabs(a[i] - b[i]));
    s = fmax(s, fabs(b[i]));
    if (c) s = fmax(s, fabs(c[i]));
  }
  return e / s;
}

/* Compares one MuJoCo state (after mj_forward) with our rows and both solvers. */
static void compare_state(const mjModel *m, mjData *d, solver_stats *st) {
  problem *p = &P;
  int nefc = build_rows(m, d, p);
  CHECK(nefc == d->nefc);
  if (nefc != d->nefc || nefc == 0) return;
  int nv = m->nv;
  st->states++;
  st->rows += nefc;
  st->J = fmax(st->J, rel_err(p->J, d->efc_J, nefc * nv, NULL));
  for (int i = 0; i < nefc; i++) {
    st->R = fmax(st->R, fabs(p->R[i] - d->efc_R[i]) / fabs(d->efc_R[i]));
    st->aref = fmax(st->aref, fabs(p->aref[i] - d->efc_aref[i]) / fmax(1, fabs(d->efc_aref[i])));
  }
  for (int j = 0; j < nv; j++) p->qacc[j] = p->qacc_smooth[j];
  int it = cm_solve_newton(cm_lanes_one(), nv, nefc, p->M, p->qacc_smooth, p->J, p->R, p->aref, 100, (cm_preal)SOLVE_TOL, p->qacc,
                           p->force, p->work);
  CHECK(it >= 0);
  st->newton_iters = it > st->newton_iters ? it : st->newton_iters;
  st->force = fmax(st->force, rel_err(p->force, d->efc_force, nefc, NULL));
  st->qacc = fmax(st->qacc, rel_err(p->qacc, d->qacc, nv, d->qacc_smooth));
  CHECK(cm_chol_factor(nv, p->L) == 0);
  /* the low-rank Newton (W = M^-1 J' by the dense factor here), from qacc_smooth and from
   * MuJoCo's own solution (a start at the optimum: the case where y = e + W'u cancels) */
  for (int i = 0; i < nefc; i++) {
    for (int j = 0; j < nv; j++) p->W[i * nv + j] = p->J[i * nv + j];
    cm_chol_solve(nv, p->L, p->W + i * nv);
  }
  for (int pass = 0; pass < 2; pass++) {
    for (int j = 0; j < nv; j++) p->qacc[j] = pass ? (cm_preal)d->qacc[j] : p->qacc_smooth[j];
    it = cm_solve_newton_lowrank(cm_lanes_one(), nv, nefc, nefc, NULL, p->M, p->W, p->qacc_smooth, p->J, p->R, p->aref, 100,
                                 (cm_preal)SOLVE_TOL, p->qacc, p->force, p->act, p->lr_work);
    CHECK(it >= 0);
    double e = rel_err(p->qacc, d->qacc, nv, d->qacc_smooth);
    if (pass) st->lr_warm_qacc = fmax(st->lr_warm_qacc, e);
    else st->lr_qacc = fmax(st->lr_qacc, e);
  }
  /* past kmax active rows it hands the problem back (-2) */
  for (int j = 0; j < nv; j++) p->qacc[j] = p->qacc_smooth[j];
  int active = 0;
  for (int i = 0; i < nefc; i++) active += d->efc_force[i] > 0;
  if (active > 1)
    CHECK(cm_solve_newton_lowrank(cm_lanes_one(), nv, nefc, 0, NULL, p->M, p->W, p->qacc_smooth, p->J, p->R, p->aref, 100,
                                  (cm_preal)SOLVE_TOL, p->qacc, p->force, p->act, p->lr_work) == -2);
  for (int i = 0; i < nefc; i++) p->force[i] = 0;
  it = cm_solve_pgs(nv, nefc, p->L, p->qacc_smooth, p->J, p->R, p->aref, 20000, (cm_preal)PGS_TOL, p->force,
                    p->qacc, p->work);
  st->pgs_iters = it > st->pgs_iters ? it : st->pgs_iters;
  st->pgs_force = fmax(st->pgs_force, rel_err(p->force, d->efc_force, nefc, NULL));
  st->pgs_qacc = fmax(st->pgs_qacc, rel_err(p->qacc, d->qacc, nv, d->qacc_smooth));
  /* what a fixed budget of 50 PGS sweeps from zero forces reaches (for the engine's choice) */
  for (int i = 0; i < nefc; i++) p->force[i] = 0;
  cm_solve_pgs(nv, nefc, p->L, p->qacc_smooth, p->J, p->R, p->aref, 50, 0, p->force, p->qacc, p->work);
  st->pgs50_qacc = fmax(st->pgs50_qacc, rel_err(p->qacc, d->qacc, nv, d->qacc_smooth));
}

static void solver_options(mjModel *m) {
  m->opt.cone = mjCONE_PYRAMIDAL;
  m->opt.jacobian = mjJAC_DENSE;
  m->opt.solver = mjSOL_NEWTON;
  m->opt.iterations = 1000;
  m->opt.tolerance = 1e-14;
}

/* Steps MuJoCo from its initial state (plus the given start velocity), comparing every
 * `every` steps after mj_forward. */
static void run_case(const char *name, mjModel *m, int steps, int every, const double *qvel0, int min_states) {
  solver_options(m);
  mjData *d = mj_makeData(m);
  if (qvel0) mju_copy(d->qvel, qvel0, m->nv);
  solver_stats st;
  memset(&st, 0, sizeof st);
  for (int s = 0; s < steps; s++) {
    mj_forward(m, d);
    if (s % every == 0) compare_state(m, d, &st);
    mj_step(m, d);
  }
  printf("%-9s states %3d rows %5d | J %.1e R %.1e aref %.1e | newton: force %.1e qacc %.1e (<= %d it) | "
         "pgs: force %.1e qacc %.1e (<= %d sweeps; 50 sweeps: qacc %.1e) | low-rank newton: qacc %.1e, warm %.1e\n", name,
         st.states, st.rows, st.J, st.R, st.aref, st.force, st.qacc, st.newton_iters, st.pgs_force, st.pgs_qacc,
         st.pgs_iters, st.pgs50_qacc, st.lr_qacc, st.lr_warm_qacc);
  CHECK(st.states >= min_states);
  CHECK(st.J < TOL_ROWS);
  CHECK(st.R < TOL_ROWS);
  CHECK(st.aref < TOL_ROWS);
  CHECK(st.force < TOL_FORCE);
  CHECK(st.qacc < TOL_FORCE);
  CHECK(st.lr_qacc < TOL_FORCE);
  CHECK(st.lr_warm_qacc < TOL_FORCE);
  CHECK(st.pgs_force < TOL_PGS);
  CHECK(st.pgs_qacc < TOL_PGS);
  mj_deleteData(d);
}

static void test_against_mujoco(void) {
  /* a box dropped onto the plane, spinning and sliding */
  mjModel *m = mj_xml_load(
      "<mujoco><option timestep=\"0.005\"/><worldbody><geom type=\"plane\" size=\"5 5 .1\" friction=\"0.8\"/>"
      "<body pos=\"0 0 .3\" euler=\"10 20 5\"><freejoint/><geom type=\"box\" size=\".1 .15 .05\" density=\"800\"/></body>"
      "</worldbody></mujoco>");
  CHECK(m != NULL);
  if (m) {
    double v[6] = {1.0, -0.5, 0, 2, 1, 3};
    run_case("box", m, 400, 4, v, 50);
    mj_deleteModel(m);
  }
  /* a capsule on a plane tilted by 25 degrees, mixed solref/solimp/friction from the two geoms,
   * impratio 2.5 */
  m = mj_xml_load(
      "<mujoco><option timestep=\"0.002\" impratio=\"2.5\"/><worldbody>"
      "<geom type=\"plane\" size=\"5 5 .1\" euler=\"25 0 0\" friction=\"0.4\" solref=\".01 .8\"/>"
      "<body pos=\"0 0 .3\" euler=\"0 80 0\"><freejoint/>"
      "<geom type=\"capsule\" size=\".05 .2\" friction=\"0.9\" solref=\".02 1\" solimp=\".8 .95 .002\" solmix=\"2\"/>"
      "</body></worldbody></mujoco>");
  CHECK(m != NULL);
  if (m) {
    run_case("capsule", m, 600, 5, NULL, 50);
    mj_deleteModel(m);
  }
  /* a two-link chain falling into its joint limits, its tip sphere reaching the floor with a
   * frictionless (condim 1) contact */
  m = mj_xml_load(
      "<mujoco><option timestep=\"0.004\"/><worldbody><geom type=\"plane\" size=\"5 5 .1\" condim=\"1\"/>"
      "<body pos=\"0 0 .35\"><joint type=\"hinge\" axis=\"0 1 0\" limited=\"true\" range=\"-30 40\" solreflimit=\".03 1.2\"/>"
      "<geom type=\"capsule\" fromto=\"0 0 0 .3 0 0\" size=\".03\"/>"
      "<body pos=\".3 0 0\"><joint type=\"hinge\" axis=\"0 1 0\" limited=\"true\" range=\"-10 90\" margin=\".05\" "
      "solimplimit=\".5 .95 .01 .3 3\"/>"
      "<geom type=\"capsule\" fromto=\"0 0 0 .3 0 0\" size=\".03\"/><geom type=\"sphere\" pos=\".3 0 0\" size=\".05\" condim=\"1\"/>"
      "</body></body></worldbody></mujoco>");
  CHECK(m != NULL);
  if (m) {
    double v[2] = {0, 0};
    frictionless_seen = 0;
    run_case("chain", m, 500, 5, v, 50);
    printf("chain: %d frictionless (condim 1) contacts compared\n", frictionless_seen);
    CHECK(frictionless_seen > 10);
    mj_deleteModel(m);
  }
  /* the humanoid falling onto the floor: many contacts, limits reached (nv = 34) */
  cm_mjcf_opts mo = {.add_scene = 1, .fix_root = 0};
  cm_err err = {0};
  m = NULL;
  CHECK_OK(cm_mjcf_compile("data/assets/humanoid/humanoid.xml", &mo, &m, NULL, &err), &err);
  if (m) {
    m->opt.timestep = 1.0 / 120;
    for (int j = 0; j < m->njnt; j++) m->jnt_stiffness[j] = 0; /* kd stays as damping: stable at 120 Hz */
    double *v = calloc((size_t)m->nv, sizeof *v);
    cm_rng r = cm_rng_make(5, 0, 0, 0);
    for (int j = 6; j < m->nv; j++) v[j] = 4 * (cm_rng_uniform(&r) - 0.5);
    v[0] = 0.5;
    m->qpos0[2] = 1.0; /* standing height: it falls onto its feet, then over */
    run_case("humanoid", m, 200, 2, v, 50);
    free(v);
    mj_deleteModel(m);
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Our whole contact pipeline stepping a box on a tilted plane. */

/* One step: MuJoCo's kinematics, M and qacc_smooth; our contacts, rows and Newton solve;
 * semi-implicit Euler (as mj_Euler without damping). */
static void our_step(const mjModel *m, mjData *d, problem *p) {
  mj_fwdPosition(m, d);
  mj_fwdVelocity(m, d);
  mj_fwdActuation(m, d);
  mj_fwdAcceleration(m, d);
  int nv = m->nv, row = 0;
  p->nv = nv;
  for (int j = 0; j < nv; j++) p->qvel[j] = (cm_preal)d->qvel[j];
  cm_preal P1[3], R1[9], S1[3], P2[3], R2[9], S2[3];
  for (int k = 0; k < 3; k++) { P1[k] = (cm_preal)d->geom_xpos[k]; S1[k] = (cm_preal)m->geom_size[k]; }
  for (int k = 0; k < 3; k++) { P2[k] = (cm_preal)d->geom_xpos[3 + k]; S2[k] = (cm_preal)m->geom_size[3 + k]; }
  for (int k = 0; k < 9; k++) { R1[k] = (cm_preal)d->geom_xmat[k]; R2[k] = (cm_preal)d->geom_xmat[9 + k]; }
  cm_geom_contact g[2];
  for (int i = 0; i < 2; i++) {
    g[i].contype = m->geom_contype[i];
    g[i].conaffinity = m->geom_conaffinity[i];
    g[i].condim = m->geom_condim[i];
    g[i].priority = m->geom_priority[i];
    for (int k = 0; k < 3; k++) g[i].friction[k] = (cm_preal)m->geom_friction[3 * i + k];
    for (int k = 0; k < 2; k++) g[i].solref[k] = (cm_preal)m->geom_solref[2 * i + k];
    for (int k = 0; k < 5; k++) g[i].solimp[k] = (cm_preal)m->geom_solimp[5 * i + k];
    g[i].solmix = (cm_preal)m->geom_solmix[i];
    g[i].margin = (cm_preal)m->geom_margin[i];
    g[i].gap = (cm_preal)m->geom_gap[i];
  }
  cm_pair_contact pc;
  cm_pair_contact_mix(&g[0], &g[1], &pc);
  cm_contact con[CM_MAX_PAIR_CONTACTS];
  int n = cm_collide(CM_GEOM_PLANE, P1, R1, S1, CM_GEOM_BOX, P2, R2, S2, pc.margin, con);
  static cm_preal jacdif[3 * MAXV];
  static double jac[3 * MAXV];
  cm_preal tran = (cm_preal)(m->body_invweight0[0] + m->body_invweight0[2]);
  for (int c = 0; c < n; c++) {
    if (!cm_contact_included(&con[c], &pc)) continue;
    double pos[3] = {con[c].pos[0], con[c].pos[1], con[c].pos[2]};
    mj_jac(m, d, jac, NULL, pos, 1);
    for (int k = 0; k < 3 * nv; k++) jacdif[k] = (cm_preal)jac[k];
    row += cm_efc_add_contact(cm_lanes_one(), nv, row, pc.condim, con[c].frame, con[c].dist, pc.friction, pc.solref, pc.solimp,
                              pc.includemargin, jacdif, tran, 0, p->qvel, (cm_preal)m->opt.timestep,
                              (cm_preal)m->opt.impratio, p->J, p->R, p->aref);
  }
  static double M[MAXV * MAXV];
  mj_fullM(m, M, d->qM);
  for (int k = 0; k < nv * nv; k++) p->M[k] = (cm_preal)M[k];
  for (int j = 0; j < nv; j++) p->qacc[j] = p->qacc_smooth[j] = (cm_preal)d->qacc_smooth[j];
  int it = cm_solve_newton(cm_lanes_one(), nv, row, p->M, p->qacc_smooth, p->J, p->R, p->aref, 50, (cm_preal)SOLVE_TOL, p->qacc,
                           p->force, p->work);
  CHECK(it >= 0);
  for (int j = 0; j < nv; j++) d->qvel[j] += m->opt.timestep * (double)p->qacc[j];
  mj_integratePos(m, d->qpos, d->qvel, m->opt.timestep);
  d->time += m->opt.timestep;
}

/* Box released at rest on a plane tilted by angle (degrees) about y, friction mu: returns its
 * displacement along the slope after t seconds (ours), and MuJoCo's own in *mj_disp. */
static double slide(double angle, double mu, double t, double *mj_disp) {
  char xml[1000];
  double a = angle * 3.14159265358979323846 / 180, half = 0.05;
  /* box resting on the plane: centre one half-height above it along the plane normal */
  snprintf(xml, sizeof xml,
           "<mujoco><option timestep=\"0.002\"/><worldbody>"
           "<geom type=\"plane\" size=\"5 5 .1\" euler=\"0 %.9f 0\" friction=\"%g\"/>"
           "<body pos=\"%.9f 0 %.9f\" euler=\"0 %.9f 0\"><freejoint/>"
           "<geom type=\"box\" size=\".1 .1 %g\" friction=\"%g\" density=\"500\"/></body>"
           "</worldbody></mujoco>",
           angle, mu, sin(a) * half, cos(a) * half, angle, half, mu);
  mjModel *m = mj_xml_load(xml);
  CHECK(m != NULL);
  if (!m) return 0;
  solver_options(m);
  mjData *d = mj_makeData(m), *dm = mj_makeData(m);
  int steps = (int)(t / m->opt.timestep + 0.5);
  for (int s = 0; s < steps; s++) {
    our_step(m, d, &P);
    mj_step(m, dm);
  }
  /* downhill direction on the plane tilted about +y by angle: (cos a, 0, -sin a) */
  double dir[3] = {cos(a), 0, -sin(a)}, x0[3] = {sin(a) * half, 0, cos(a) * half}, ours = 0, theirs = 0;
  for (int k = 0; k < 3; k++) {
    ours += (d->qpos[k] - x0[k]) * dir[k];
    theirs += (dm->qpos[k] - x0[k]) * dir[k];
  }
  *mj_disp = theirs;
  mj_deleteData(d);
  mj_deleteData(dm);
  mj_deleteModel(m);
  return ours;
}

static void test_stick_slide(void) {
  const double mu = 0.5, t = 1.0, g = 9.81, crit = atan(mu) * 180 / 3.14159265358979323846; /* 26.57 degrees */
  const double angles[] = {10, 20, 24, 29, 35, 45};
  for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++) {
    double mj, ours = slide(angles[i], mu, t, &mj), a = angles[i] * 3.14159265358979323846 / 180;
    double expect = angles[i] < crit ? 0 : 0.5 * g * (sin(a) - mu * cos(a)) * t * t;
    printf("tilt %4.1f deg (friction angle %.2f): slid %.4f m in %.1f s, MuJoCo %.4f m, analytic %.4f m\n", angles[i],
           crit, ours, t, mj, expect);
    if (angles[i] < crit) {
      CHECK(fabs(ours) < 0.005); /* sticks: soft contacts creep by millimetres at most */
    } else {
      CHECK(fabs(ours - expect) < 0.05 * expect + 0.005);
    }
    CHECK(fabs(ours - mj) < 0.002 + 0.01 * fabs(mj)); /* and MuJoCo's own run agrees */
  }
}

/* Refusals and degenerate input: unsupported condim, unordered or unsupported geom pairs, a
 * matrix that is not positive definite, no rows at all. */
static void test_edges(void) {
  problem *p = &P;
  cm_preal frame[9] = {0, 0, 1, 0, 1, 0, -1, 0, 0}, fr[5] = {1, 1, .005, .0001, .0001};
  cm_preal sr[2] = {.02, 1}, si[5] = {.9, .95, .001, .5, 2}, jd[3 * 4] = {0}, qv[4] = {0};
  CHECK(cm_efc_add_contact(cm_lanes_one(), 4, 0, 4, frame, -.01, fr, sr, si, 0, jd, 1, 1, qv, .01, 1, p->J, p->R, p->aref) == -1);
  CHECK(cm_efc_add_contact(cm_lanes_one(), 4, 0, 6, frame, -.01, fr, sr, si, 0, jd, 1, 1, qv, .01, 1, p->J, p->R, p->aref) == -1);
  CHECK(cm_efc_add_contact(cm_lanes_one(), 4, 0, 1, frame, -.01, fr, sr, si, 0, jd, 1, 1, qv, .01, 1, p->J, p->R, p->aref) == 1);
  CHECK(cm_efc_add_contact(cm_lanes_one(), 4, 0, 3, frame, -.01, fr, sr, si, 0, jd, 1, 1, qv, .01, 1, p->J, p->R, p->aref) == 4);
  /* a limit inside its range and beyond margin adds nothing; both sides when the range is tiny */
  CHECK(cm_efc_add_limit(4, 0, 1, 0, 0, -1, 1, 0, sr, si, 1, .01, p->J, p->R, p->aref) == 0);
  CHECK(cm_efc_add_limit(4, 0, 1, 0, 0, -.01, .01, .05, sr, si, 1, .01, p->J, p->R, p->aref) == 2);
  CHECK(p->J[1] == 1 && p->J[4 + 1] == -1);
  cm_preal pos[3] = {0, 0, 0}, mat[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, size[3] = {1, 1, 1};
  cm_contact con[CM_MAX_PAIR_CONTACTS];
  CHECK(cm_collide(CM_GEOM_PLANE, pos, mat, size, CM_GEOM_PLANE, pos, mat, size, 0, con) == 0);
  CHECK(cm_collide(CM_GEOM_BOX, pos, mat, size, CM_GEOM_SPHERE, pos, mat, size, 0, con) == 0); /* unordered */
  CHECK(cm_collide(4 /* ellipsoid */, pos, mat, size, CM_GEOM_BOX, pos, mat, size, 0, con) == 0);
  CHECK(!cm_collide_supported(CM_GEOM_BOX, CM_GEOM_SPHERE) && cm_collide_supported(CM_GEOM_SPHERE, CM_GEOM_BOX));
  /* impedance: dmin at zero violation, dmax past the width, mid reached at x = mid */
  CHECK_NEAR(cm_efc_impedance(si, 0, 0), .9, 1e-6);
  CHECK_NEAR(cm_efc_impedance(si, -.002, 0), .95, 1e-6);
  CHECK_NEAR(cm_efc_impedance(si, -.0005, 0), .9 + .5 * .05, 1e-6);
  /* not positive definite */
  cm_preal A[4] = {1, 2, 2, 1};
  CHECK(cm_chol_factor(2, A) == -1);
  cm_preal M[4] = {1, 0, 0, -1}, a0[2] = {0, -9.81}, J[2] = {0, 1}, R[1] = {1}, aref[1] = {0}, x[2] = {0, -9.81}, f[1];
  CHECK(cm_solve_newton(cm_lanes_one(), 2, 1, M, a0, J, R, aref, 10, 1e-10, x, f, p->work) == -1);
  /* no rows: the smooth acceleration, zero iterations */
  cm_preal Mp[4] = {2, 0, 0, 3};
  x[0] = 5;
  x[1] = 5;
  CHECK(cm_solve_newton(cm_lanes_one(), 2, 0, Mp, a0, J, R, aref, 10, 1e-10, x, f, p->work) == 0);
  CHECK(x[0] == a0[0] && x[1] == a0[1]);
}

int main(void) {
  test_edges();
  test_against_mujoco();
  test_stick_slide();
#ifdef CM_PHYS_DOUBLE
  return check_report("test_phys_solver");
#else
  return check_report("test_phys_solver_float");
#endif
}
