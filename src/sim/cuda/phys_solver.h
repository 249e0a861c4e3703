/* MuJoCo 2.2.2's soft-constraint formulation and a solver for it, for ONE environment on dense
 * row-major arrays (no model layout): joint-limit rows and contact rows (frictionless or
 * condim-3 pyramidal cone, MuJoCo's default cone), their impedance, regulariser R and reference
 * acceleration aref, then the constraint forces and the constrained acceleration.
 *
 * Shapes (nv dofs, nefc rows; the caller sizes the buffers for its maximum nefc):
 *   M [nv*nv]      joint-space inertia, full symmetric, row-major (mj_fullM, armature included)
 *   J [nefc*nv]    constraint Jacobian rows, row-major (efc_J, dense)
 *   R, aref [nefc] regulariser and reference acceleration (efc_R, efc_aref)
 *   qacc_smooth [nv]  acceleration without constraints, M^-1 (qfrc_smooth)
 *   efc_force [nefc], qacc [nv]: the solution: qacc = qacc_smooth + M^-1 J' efc_force
 *
 * Every row is a one-sided row (force >= 0 when the row is violated, jar = J qacc - aref < 0),
 * which is all that limits and pyramidal / frictionless contacts need: no equality, no
 * friction-loss, no elliptic rows.
 *
 * The problem: minimise over qacc
 *     0.5 (qacc - qacc_smooth)' M (qacc - qacc_smooth) + sum_i 0.5 / R_i min(0, jar_i)^2
 * (strictly convex). cm_solve_newton solves it as MuJoCo's Newton solver does (exact Hessian
 * on the active set, Cholesky, exact line search); cm_solve_pgs solves the equivalent dual
 * (A = J M^-1 J' + diag R, f >= 0) by projected Gauss-Seidel. Both converge to the same
 * solution as mj_forward with opt.cone = pyramidal (any solver), see test_phys_solver.c. */
#ifndef CM_PHYS_SOLVER_H
#define CM_PHYS_SOLVER_H
#include <stddef.h>
#include "sim/cuda/phys_lanes.h"
#include "sim/cuda/phys_real.h"

#define CM_MINIMP ((cm_preal)0.0001) /* mjMINIMP */
#define CM_MAXIMP ((cm_preal)0.9999) /* mjMAXIMP */

/* ---------------------------------------------------------------------------------------- */
/* Small dense linear algebra (row-major). */

/* In-place Cholesky A = L L' of a symmetric positive definite n x n matrix: the lower triangle
 * (diagonal included) becomes L, the strict upper triangle is left as it was. Returns -1 when
 * A is not positive definite (a pivot <= MINVAL), 0 otherwise. */
CM_HD static inline int cm_chol_factor(int n, cm_preal *A) {
  for (int j = 0; j < n; j++) {
    cm_preal s = A[j * n + j];
    for (int k = 0; k < j; k++) s -= A[j * n + k] * A[j * n + k];
    if (!(s > CM_PMINVAL)) return -1;
    cm_preal d = cm_psqrt(s), inv = 1 / d;
    A[j * n + j] = d;
    for (int i = j + 1; i < n; i++) {
      cm_preal t = A[i * n + j];
      for (int k = 0; k < j; k++) t -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = t * inv;
    }
  }
  return 0;
}

/* Solves L L' x = b in place (x holds b on entry) with the factor of cm_chol_factor. */
CM_HD static inline void cm_chol_solve(int n, const cm_preal *L, cm_preal *x) {
  for (int i = 0; i < n; i++) {
    cm_preal t = x[i];
    for (int k = 0; k < i; k++) t -= L[i * n + k] * x[k];
    x[i] = t / L[i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    cm_preal t = x[i];
    for (int k = i + 1; k < n; k++) t -= L[k * n + i] * x[k];
    x[i] = t / L[i * n + i];
  }
}

/* y = A x (A rows x cols), rows over the lanes */
CM_HD static inline void cm_mat_vec(cm_lanes L, int rows, int cols, const cm_preal *A, const cm_preal *x, cm_preal *y) {
  for (int i = L.lane; i < rows; i += L.n) {
    cm_preal t = 0;
    for (int j = 0; j < cols; j++) t += A[i * cols + j] * x[j];
    y[i] = t;
  }
  cm_lanes_sync(L);
}

/* y = A' x (A rows x cols, y has cols entries), columns over the lanes; rows with x_i = 0 are
 * skipped */
CM_HD static inline void cm_mat_tvec(cm_lanes L, int rows, int cols, const cm_preal *A, const cm_preal *x, cm_preal *y) {
  for (int j = L.lane; j < cols; j += L.n) {
    cm_preal t = 0;
    for (int i = 0; i < rows; i++)
      if (x[i] != 0) t += A[i * cols + j] * x[i];
    y[j] = t;
  }
  cm_lanes_sync(L);
}

/* y = M x for a symmetric M with a kinematic tree's sparsity (entry (i, j), j < i, nonzero only
 * when j is an ancestor of i; parent[i] = i's parent dof (< i), -1 at a root), read from the
 * lower triangle; parent NULL: M dense (cm_mat_vec). Rows over the lanes: row i sums its
 * diagonal, its ancestors up the chain, then its descendants in increasing order (k descends
 * from i when its chain, parent[k] < k, meets i before passing below it). */
CM_HD static inline void cm_mat_vec_tree(cm_lanes L, int nv, const int *parent, const cm_preal *M, const cm_preal *x,
                                         cm_preal *y) {
  if (!parent) {
    cm_mat_vec(L, nv, nv, M, x, y);
    return;
  }
  for (int i = L.lane; i < nv; i += L.n) {
    cm_preal s = M[i * nv + i] * x[i];
    for (int j = parent[i]; j >= 0; j = parent[j]) s += M[i * nv + j] * x[j];
    for (int k = i + 1; k < nv; k++) {
      int a = parent[k];
      while (a > i) a = parent[a];
      if (a == i) s += M[k * nv + i] * x[k];
    }
    y[i] = s;
  }
  cm_lanes_sync(L);
}

/* ---------------------------------------------------------------------------------------- */
/* Impedance and reference (mj_makeImpedance, mj_referenceConstraint). */

/* Clamps solref/solimp the way MuJoCo does before use: timeconst >= 2 timestep (standard,
 * positive solref; MuJoCo's refsafe), dmin, dmax, mid in [MINIMP, MAXIMP], width >= 0,
 * power >= 1. A mixed-sign solref is replaced by MuJoCo's default 0.02 1. */
CM_HD static inline void cm_efc_sanitize(cm_preal *solref, cm_preal *solimp, cm_preal timestep) {
  if ((solref[0] > 0) != (solref[1] > 0)) { solref[0] = (cm_preal)0.02; solref[1] = 1; }
  if (solref[0] > 0) solref[0] = cm_pmax(solref[0], 2 * timestep);
  solimp[0] = cm_pmin(CM_MAXIMP, cm_pmax(CM_MINIMP, solimp[0]));
  solimp[1] = cm_pmin(CM_MAXIMP, cm_pmax(CM_MINIMP, solimp[1]));
  solimp[2] = cm_pmax(0, solimp[2]);
  solimp[3] = cm_pmin(CM_MAXIMP, cm_pmax(CM_MINIMP, solimp[3]));
  solimp[4] = cm_pmax(1, solimp[4]);
}

/* Impedance d(pos - margin) in [dmin, dmax] from solimp (dmin, dmax, width, mid, power): a
 * sigmoid of |pos - margin| / width made of two power curves meeting at mid. */
CM_HD static inline cm_preal cm_efc_impedance(const cm_preal *solimp, cm_preal pos, cm_preal margin) {
  cm_preal d0 = solimp[0], d1 = solimp[1], w = solimp[2], mid = solimp[3], p = solimp[4];
  if (d0 == d1 || w <= CM_PMINVAL) return (cm_preal)0.5 * (d0 + d1);
  cm_preal x = cm_pabs((pos - margin) / w);
  if (x >= 1) return d1;
  if (x <= 0) return d0;
  cm_preal y;
  if (p == 1) y = x;
  else if (x <= mid) y = cm_ppow(x, p) / cm_ppow(mid, p - 1);
  else y = 1 - cm_ppow(1 - x, p) / cm_ppow(1 - mid, p - 1);
  return d0 + y * (d1 - d0);
}

/* Stiffness K and damping B of aref = -B vel - K imp (pos - margin), from a sanitised solref
 * (standard: timeconst, dampratio; direct: -stiffness, -damping) and dmax = solimp[1]. */
CM_HD static inline void cm_efc_kb(const cm_preal *solref, const cm_preal *solimp, cm_preal *K, cm_preal *B) {
  cm_preal dmax = solimp[1];
  if (solref[0] > 0) *K = 1 / cm_pmax(CM_PMINVAL, dmax * dmax * solref[0] * solref[0] * solref[1] * solref[1]);
  else *K = -solref[0] / cm_pmax(CM_PMINVAL, dmax * dmax);
  if (solref[1] > 0) *B = 2 / cm_pmax(CM_PMINVAL, dmax * solref[0]);
  else *B = -solref[1] / cm_pmax(CM_PMINVAL, dmax);
}

/* ---------------------------------------------------------------------------------------- */
/* Rows. Each builder appends rows at J + nv*row (row = the number of rows already there) and
 * their R and aref at R + row, aref + row, and returns how many rows it added.
 *
 * diagApprox: MuJoCo 2.2.2 does not use diag(J M^-1 J') of the current state but constants
 * of the model at qpos0: mjModel.dof_invweight0 for a limit, and for a contact
 * tran = body_invweight0[2 b1] + body_invweight0[2 b2], rot = body_invweight0[2 b1 + 1] +
 * body_invweight0[2 b2 + 1] (pass them to match MuJoCo; any positive estimate of the row's
 * inverse inertia gives a valid, differently softened, problem). */

/* The limit rows of one hinge or slide joint at dof `dof` (0, 1 or 2 rows: lower side first,
 * as mj_instantiateLimit): a row when dist = q - lo (lower) or hi - q (upper) < margin, with
 * Jacobian +1 (lower) / -1 (upper) on the dof. solref/solimp: the joint's (jnt_solref,
 * jnt_solimp), sanitised here. */
CM_HD static inline int cm_efc_add_limit(int nv, int row, int dof, cm_preal q, cm_preal qdot, cm_preal lo, cm_preal hi,
                                         cm_preal margin, const cm_preal *solref_in, const cm_preal *solimp_in,
                                         cm_preal dof_invweight0, cm_preal timestep,
                                         cm_preal *J, cm_preal *R, cm_preal *aref) {
  cm_preal solref[2] = {solref_in[0], solref_in[1]};
  cm_preal solimp[5] = {solimp_in[0], solimp_in[1], solimp_in[2], solimp_in[3], solimp_in[4]};
  cm_efc_sanitize(solref, solimp, timestep);
  cm_preal K, B;
  cm_efc_kb(solref, solimp, &K, &B);
  int n = 0;
  for (int side = -1; side <= 1; side += 2) {
    cm_preal dist = side < 0 ? q - lo : hi - q;
    if (!(dist < margin)) continue;
    cm_preal *Jr = J + (size_t)(row + n) * nv;
    for (int j = 0; j < nv; j++) Jr[j] = 0;
    Jr[dof] = (cm_preal)-side;
    cm_preal imp = cm_efc_impedance(solimp, dist, margin);
    R[row + n] = cm_pmax(CM_PMINVAL, (1 - imp) * dof_invweight0 / imp);
    aref[row + n] = -B * (-side * qdot) - K * imp * (dist - margin);
    n++;
  }
  return n;
}

/* Rows of one contact: condim 1 -> 1 row (the normal); condim 3 -> 4 pyramid edge rows
 * (n + mu t1, n - mu t1, n + mu t2, n - mu t2, with n, t1, t2 the frame rows' Jacobians);
 * any other condim -> -1 (not supported: torsional/rolling friction needs rotational
 * Jacobians). jacdif [3*nv]: d(v_geom2_point - v_geom1_point)/d qvel at the contact point,
 * world frame (MuJoCo's jacdifp). friction [5], solref [2], solimp [5], includemargin: the
 * pair's (cm_pair_contact); solref/solimp sanitised here. qvel [nv]. impratio: mjOption's
 * (default 1). R follows mj_makeImpedance: every pyramid row gets
 * Rpy = 2 mu^2 R0, mu = friction[0] / sqrt(impratio), R0 = (1 - imp)/imp tran (1 + friction[0]^2). */
CM_HD static inline int cm_efc_add_contact(cm_lanes L, int nv, int row, int condim, const cm_preal *frame, cm_preal dist,
                                           const cm_preal *friction, const cm_preal *solref_in,
                                           const cm_preal *solimp_in, cm_preal includemargin,
                                           const cm_preal *jacdif, cm_preal invw_tran, cm_preal invw_rot,
                                           const cm_preal *qvel, cm_preal timestep, cm_preal impratio,
                                           cm_preal *J, cm_preal *R, cm_preal *aref) {
  (void)invw_rot; /* used by condim 6 only */
  if (condim != 1 && condim != 3) return -1;
  cm_preal solref[2] = {solref_in[0], solref_in[1]};
  cm_preal solimp[5] = {solimp_in[0], solimp_in[1], solimp_in[2], solimp_in[3], solimp_in[4]};
  cm_efc_sanitize(solref, solimp, timestep);
  cm_preal K, B;
  cm_efc_kb(solref, solimp, &K, &B);
  cm_preal imp = cm_efc_impedance(solimp, dist, includemargin);
  int nrow = condim == 1 ? 1 : 4;
  cm_preal *J0 = J + (size_t)row * nv;
  /* frame rows times jacdif: the normal and tangent Jacobians (columns over the lanes) */
  for (int j = L.lane; j < nv; j += L.n) {
    cm_preal jn = 0, j1 = 0, j2 = 0;
    for (int k = 0; k < 3; k++) {
      cm_preal jk = jacdif[k * nv + j];
      jn += frame[k] * jk;
      j1 += frame[3 + k] * jk;
      j2 += frame[6 + k] * jk;
    }
    if (condim == 1) {
      J0[j] = jn;
    } else {
      J0[0 * nv + j] = jn + friction[0] * j1;
      J0[1 * nv + j] = jn - friction[0] * j1;
      J0[2 * nv + j] = jn + friction[1] * j2;
      J0[3 * nv + j] = jn - friction[1] * j2;
    }
  }
  cm_preal r;
  if (condim == 1) {
    r = cm_pmax(CM_PMINVAL, (1 - imp) * invw_tran / imp);
  } else {
    cm_preal r0 = cm_pmax(CM_PMINVAL, (1 - imp) * (invw_tran + friction[0] * friction[0] * invw_tran) / imp);
    cm_preal r1 = r0 / cm_pmax(CM_PMINVAL, impratio);
    cm_preal mu = friction[0] * cm_psqrt(r1 / r0);
    r = 2 * mu * mu * r0;
  }
  for (int i = 0; i < nrow; i++) {
    cm_preal vel = 0;
    for (int j = L.lane; j < nv; j += L.n) vel += J0[i * nv + j] * qvel[j]; /* this lane's columns */
    vel = cm_lanes_sum(L, vel);
    if (L.lane == 0) {
      R[row + i] = r;
      aref[row + i] = -B * vel - K * imp * (dist - includemargin);
    }
  }
  cm_lanes_sync(L);
  return nrow;
}

/* ---------------------------------------------------------------------------------------- */
/* Solvers. tol is MuJoCo's opt.tolerance (default 1e-8): iterations stop when the gradient
 * norm or the cost improvement, scaled by 1 / (mean diag(M) * nv), falls below it. Both
 * return the number of iterations used. */

/* a line-search step this small relative to alpha ends the search: rounding level */
#ifdef CM_PHYS_DOUBLE
#define CM_LINESEARCH_REL ((cm_preal)1e-13)
#else
#define CM_LINESEARCH_REL ((cm_preal)1e-6)
#endif

/* Newton workspace, in cm_preal elements */
#define CM_SOLVE_NEWTON_WORK(nv, nefc) ((nv) * (nv) + 5 * (nv) + 2 * (nefc))

/* cost of qacc x: 0.5 (x - a0)' M (x - a0) + sum 0.5/R min(0, jar)^2; fills jar, Ma = M (x - a0).
 * parent: M's tree (cm_mat_vec_tree), or NULL */
CM_HD static inline cm_preal cm_solve_cost_tree(cm_lanes L, int nv, int nefc, const int *parent, const cm_preal *M,
                                                const cm_preal *a0, const cm_preal *J, const cm_preal *R,
                                                const cm_preal *aref, const cm_preal *x, cm_preal *jar, cm_preal *Ma,
                                                cm_preal *tmp) {
  for (int j = L.lane; j < nv; j += L.n) tmp[j] = x[j] - a0[j];
  cm_lanes_sync(L);
  cm_mat_vec_tree(L, nv, parent, M, tmp, Ma);
  cm_preal c = 0;
  for (int j = L.lane; j < nv; j += L.n) c += (cm_preal)0.5 * tmp[j] * Ma[j];
  cm_mat_vec(L, nefc, nv, J, x, jar);
  for (int i = L.lane; i < nefc; i += L.n) {
    jar[i] -= aref[i];
    if (jar[i] < 0) c += (cm_preal)0.5 * jar[i] * jar[i] / R[i];
  }
  cm_lanes_sync(L);
  return cm_lanes_sum(L, c);
}

CM_HD static inline cm_preal cm_solve_cost(cm_lanes L, int nv, int nefc, const cm_preal *M, const cm_preal *a0,
                                           const cm_preal *J, const cm_preal *R, const cm_preal *aref, const cm_preal *x,
                                           cm_preal *jar, cm_preal *Ma, cm_preal *tmp) {
  return cm_solve_cost_tree(L, nv, nefc, NULL, M, a0, J, R, aref, x, jar, Ma, tmp);
}

/* Exact line search along dx on the convex piecewise-quadratic cost:
 * phi'(a) = q0 + a q1 + sum_{jar + a jdx < 0} (jar + a jdx) jdx / R, with q0 = dx' M (qacc -
 * qacc_smooth) and q1 = dx' M dx: Newton steps on phi', safeguarded by bisection. Returns the
 * step (the same on every lane). */
CM_HD static inline cm_preal cm_solve_line_search(cm_lanes L, int nefc, cm_preal q0, cm_preal q1, const cm_preal *jar,
                                                  const cm_preal *jdx, const cm_preal *R, cm_preal scale, cm_preal tol) {
  cm_preal lo = 0, hi = -1, alpha = 1;
  for (int ls = 0; ls < 50; ls++) {
    cm_preal d1 = CM_LANES_INIT(L, q0 + alpha * q1), d2 = CM_LANES_INIT(L, q1);
    for (int i = L.lane; i < nefc; i += L.n) {
      cm_preal r = jar[i] + alpha * jdx[i];
      if (r < 0) { d1 += r * jdx[i] / R[i]; d2 += jdx[i] * jdx[i] / R[i]; }
    }
    d1 = cm_lanes_sum(L, d1);
    d2 = cm_lanes_sum(L, d2);
    if (d1 < 0) lo = alpha;
    else hi = alpha;
    if (cm_pabs(d1) * scale < tol * (cm_preal)1e-3) break;
    cm_preal next = alpha - d1 / d2;
    if (!(next > lo && (hi < 0 || next < hi))) next = hi < 0 ? 2 * alpha : (cm_preal)0.5 * (lo + hi);
    int settled = cm_pabs(next - alpha) <= CM_LINESEARCH_REL * alpha; /* the root of this piece */
    alpha = next;
    if (settled) break;
  }
  return alpha;
}

/* The prologue both Newton solvers share: the scale 1 / trace(M) (1 / (mean inertia * nv)) of
 * their stopping rules, and the start: the warm start qacc or qacc_smooth, whichever costs less
 * (as MuJoCo chooses), left in qacc with its jar and Ma = M (qacc - qacc_smooth); jar0 [nefc],
 * Ma0 [nv] and tmp [nv] are scratch. Returns the start's cost. */
CM_HD static inline cm_preal cm_solve_start(cm_lanes L, int nv, int nefc, const int *parent, const cm_preal *M,
                                            const cm_preal *qacc_smooth, const cm_preal *J, const cm_preal *R,
                                            const cm_preal *aref, cm_preal *qacc, cm_preal *jar, cm_preal *Ma,
                                            cm_preal *jar0, cm_preal *Ma0, cm_preal *tmp, cm_preal *scale) {
  cm_preal trace = 0;
  for (int j = L.lane; j < nv; j += L.n) trace += M[j * nv + j];
  trace = cm_lanes_sum(L, trace);
  *scale = 1 / cm_pmax(CM_PMINVAL, trace);
  cm_preal cost = cm_solve_cost_tree(L, nv, nefc, parent, M, qacc_smooth, J, R, aref, qacc, jar, Ma, tmp);
  cm_preal cost0 = cm_solve_cost_tree(L, nv, nefc, parent, M, qacc_smooth, J, R, aref, qacc_smooth, jar0, Ma0, tmp);
  if (cost0 <= cost) {
    cost = cost0;
    for (int j = L.lane; j < nv; j += L.n) { qacc[j] = qacc_smooth[j]; Ma[j] = Ma0[j]; }
    for (int i = L.lane; i < nefc; i += L.n) jar[i] = jar0[i];
    cm_lanes_sync(L);
  }
  return cost;
}

/* Newton on the primal. qacc: the warm start on entry (e.g. the last step's qacc; MuJoCo
 * keeps it or qacc_smooth, whichever costs less, and so does this), the solution on exit.
 * efc_force [nefc]: out. work: CM_SOLVE_NEWTON_WORK(nv, nefc) elements. Returns the
 * iterations, or -1 when the Hessian could not be factored (M not positive definite). The
 * lanes share the products and the Hessian's rows; its factor and solve run on lane 0. */
CM_HD static inline int cm_solve_newton(cm_lanes L, int nv, int nefc, const cm_preal *M, const cm_preal *qacc_smooth,
                                        const cm_preal *J, const cm_preal *R, const cm_preal *aref,
                                        int max_iter, cm_preal tol, cm_preal *qacc, cm_preal *efc_force,
                                        cm_preal *work) {
  cm_preal *H = work, *g = H + nv * nv, *dx = g + nv, *Ma = dx + nv, *Mdx = Ma + nv, *tmp = Mdx + nv;
  cm_preal *jar = tmp + nv, *jdx = jar + nefc, scale;
  cm_preal cost = cm_solve_start(L, nv, nefc, NULL, M, qacc_smooth, J, R, aref, qacc, jar, Ma, jdx, g, tmp, &scale);
  int it = 0;
  for (; it < max_iter; it++) {
    /* gradient and Hessian on the active rows (row j of H and g[j] on lane j mod n) */
    for (int j = L.lane; j < nv; j += L.n) {
      g[j] = Ma[j];
      for (int k = 0; k < nv; k++) H[j * nv + k] = M[j * nv + k];
    }
    for (int i = 0; i < nefc; i++) {
      if (!(jar[i] < 0)) continue;
      const cm_preal *Ji = J + (size_t)i * nv;
      cm_preal D = 1 / R[i], s = D * jar[i];
      for (int j = L.lane; j < nv; j += L.n) {
        if (Ji[j] == 0) continue;
        g[j] += s * Ji[j];
        cm_preal dj = D * Ji[j];
        for (int k = 0; k <= j; k++) H[j * nv + k] += dj * Ji[k];
      }
    }
    cm_preal gn = 0;
    for (int j = L.lane; j < nv; j += L.n) gn += g[j] * g[j];
    gn = cm_lanes_sum(L, gn);
    if (scale * cm_psqrt(gn) <= tol) break;
    int bad = 0;
    CM_LANES_SERIAL(L, {
      bad = cm_chol_factor(nv, H);
      if (!bad) {
        for (int j = 0; j < nv; j++) dx[j] = -g[j];
        cm_chol_solve(nv, H, dx);
      }
    });
    if (cm_lanes_bcast_i(L, bad)) return -1;
    cm_mat_vec(L, nv, nv, M, dx, Mdx);
    cm_mat_vec(L, nefc, nv, J, dx, jdx);
    cm_preal q0 = 0, q1 = 0;
    for (int j = L.lane; j < nv; j += L.n) { q0 += dx[j] * Ma[j]; q1 += dx[j] * Mdx[j]; }
    q0 = cm_lanes_sum(L, q0);
    q1 = cm_lanes_sum(L, q1);
    cm_preal alpha = cm_solve_line_search(L, nefc, q0, q1, jar, jdx, R, scale, tol);
    for (int j = L.lane; j < nv; j += L.n) qacc[j] += alpha * dx[j];
    cm_lanes_sync(L);
    cm_preal old = cost;
    cost = cm_solve_cost(L, nv, nefc, M, qacc_smooth, J, R, aref, qacc, jar, Ma, tmp);
    if (scale * (old - cost) < tol) { it++; break; }
  }
  for (int i = L.lane; i < nefc; i += L.n) efc_force[i] = jar[i] < 0 ? -jar[i] / R[i] : 0;
  cm_lanes_sync(L);
  return it;
}

/* Newton on the primal again, with the Hessian handled by the Woodbury identity instead of a
 * dense factor: H = M + Ja' Da Ja (Ja the k active rows, Da = diag(1 / R)), so
 *     H^-1 = M^-1 - Wa' (diag(Ra) + Ja Wa')^-1 Wa,   Wa = Ja M^-1 (rows M^-1 Ji'),
 * a k x k factor per iteration instead of nv x nv. The iterates are those of cm_solve_newton
 * (same warm start choice, line search and stopping rules; only rounding differs), at a cost
 * of O(nv^2 + k^2 nv + k^3) per iteration instead of O(nv^3 + k nv^2): a standing humanoid has
 * k = 4 of nv = 34. M^-1 enters only through W (the caller's M^-1 J' rows: it holds M's sparse
 * factor): M^-1 g = e + Wa' u with e = qacc - qacc_smooth, g = M e + Ja' u. Returns the iterations, -1 if a factor
 * fails, -2 if more than kmax rows become active (the caller then solves densely).
 * parent: M's tree for its products (cm_mat_vec_tree; NULL: dense). W [nefc*nv]; act [kmax] int
 * scratch; work: CM_SOLVE_NEWTON_LR_WORK(nv, nefc, kmax). The lanes share the vector loops,
 * the products and the entries of the k x k matrix; its factor and solve run on lane 0. */
#define CM_SOLVE_NEWTON_LR_WORK(nv, nefc, kmax) (6 * (nv) + 2 * (nefc) + (kmax) * (kmax) + 2 * (kmax))

CM_HD static inline int cm_solve_newton_lowrank(cm_lanes L, int nv, int nefc, int kmax, const int *parent,
                                                const cm_preal *M, const cm_preal *W,
                                                const cm_preal *qacc_smooth, const cm_preal *J, const cm_preal *R,
                                                const cm_preal *aref, int max_iter, cm_preal tol, cm_preal *qacc,
                                                cm_preal *efc_force, int *act, cm_preal *work) {
  cm_preal *e = work, *Ma = e + nv, *g = Ma + nv, *y = g + nv, *dx = y + nv, *Mdx = dx + nv;
  cm_preal *jar = Mdx + nv, *jdx = jar + nefc, *S = jdx + nefc, *u = S + kmax * kmax, *z = u + kmax, scale;
  cm_preal cost = cm_solve_start(L, nv, nefc, parent, M, qacc_smooth, J, R, aref, qacc, jar, Ma, jdx, g, y, &scale);
  for (int j = L.lane; j < nv; j += L.n) e[j] = qacc[j] - qacc_smooth[j];
  int it = 0;
  for (; it < max_iter; it++) {
    /* active rows, u = Da jar_a (counted by every lane, written by lane 0), gradient g = Ma + Ja' u */
    int k = 0;
    for (int i = 0; i < nefc; i++) {
      if (!(jar[i] < 0)) continue;
      if (k == kmax) return -2;
      if (L.lane == 0) {
        u[k] = jar[i] / R[i];
        act[k] = i;
      }
      k++;
    }
    cm_lanes_sync(L);
    for (int j = L.lane; j < nv; j += L.n) {
      g[j] = Ma[j];
      y[j] = e[j];
      for (int a = 0; a < k; a++) { g[j] += u[a] * J[(size_t)act[a] * nv + j]; y[j] += u[a] * W[(size_t)act[a] * nv + j]; }
    } /* y = M^-1 g */
    cm_lanes_sync(L);
    cm_preal gn = 0;
    for (int j = L.lane; j < nv; j += L.n) gn += g[j] * g[j];
    gn = cm_lanes_sum(L, gn);
    if (scale * cm_psqrt(gn) <= tol) break;
    /* S = diag(Ra) + Ja Wa' (lower triangle), z = S^-1 Ja y, dx = -(y - Wa' z): the k(k+1)/2
     * entries and the k z's over the lanes */
    for (int p = L.lane; p < k * (k + 1) / 2 + k; p += L.n) {
      if (p >= k * (k + 1) / 2) {
        int a = p - k * (k + 1) / 2;
        const cm_preal *Ja = J + (size_t)act[a] * nv;
        cm_preal t = 0;
        for (int j = 0; j < nv; j++) t += Ja[j] * y[j];
        z[a] = t;
        continue;
      }
      int a = 0;
      while ((a + 1) * (a + 2) / 2 <= p) a++;
      int b = p - a * (a + 1) / 2;
      const cm_preal *Ja = J + (size_t)act[a] * nv, *Wb = W + (size_t)act[b] * nv;
      cm_preal s = a == b ? R[act[a]] : 0;
      for (int j = 0; j < nv; j++) s += Ja[j] * Wb[j];
      S[a * k + b] = s;
    }
    int bad = 0;
    CM_LANES_SERIAL(L, {
      if (k > 0) {
        bad = cm_chol_factor(k, S);
        if (!bad) cm_chol_solve(k, S, z);
      }
    });
    if (cm_lanes_bcast_i(L, bad)) return -1;
    for (int j = L.lane; j < nv; j += L.n) {
      dx[j] = -y[j];
      for (int a = 0; a < k; a++) dx[j] += z[a] * W[(size_t)act[a] * nv + j];
    }
    cm_lanes_sync(L);
    /* M dx by the product, not by M W' = J' (-(g - Ja' z) cancels near the optimum, and the
     * line search needs dx' M dx > 0) */
    cm_mat_vec_tree(L, nv, parent, M, dx, Mdx);
    cm_mat_vec(L, nefc, nv, J, dx, jdx);
    cm_preal q0 = 0, q1 = 0;
    for (int j = L.lane; j < nv; j += L.n) { q0 += dx[j] * Ma[j]; q1 += dx[j] * Mdx[j]; }
    q0 = cm_lanes_sum(L, q0);
    q1 = cm_lanes_sum(L, q1);
    cm_preal alpha = cm_solve_line_search(L, nefc, q0, q1, jar, jdx, R, scale, tol);
    /* move, keeping e, Ma = M e and jar = J qacc - aref current without products by M or J */
    cm_preal old = cost;
    cost = 0;
    for (int j = L.lane; j < nv; j += L.n) {
      qacc[j] += alpha * dx[j];
      e[j] += alpha * dx[j];
      Ma[j] += alpha * Mdx[j];
      cost += (cm_preal)0.5 * e[j] * Ma[j];
    }
    for (int i = L.lane; i < nefc; i += L.n) {
      jar[i] += alpha * jdx[i];
      if (jar[i] < 0) cost += (cm_preal)0.5 * jar[i] * jar[i] / R[i];
    }
    cost = cm_lanes_sum(L, cost);
    cm_lanes_sync(L);
    if (scale * (old - cost) < tol) { it++; break; }
  }
  for (int i = L.lane; i < nefc; i += L.n) efc_force[i] = jar[i] < 0 ? -jar[i] / R[i] : 0;
  cm_lanes_sync(L);
  return it;
}

/* PGS workspace, in cm_preal elements */
#define CM_SOLVE_PGS_WORK(nv, nefc) ((nv) * (nefc) + (nefc) * (nefc) + (nefc) + (nv))

/* Projected Gauss-Seidel on the dual: min 0.5 f'(J M^-1 J' + diag R) f + f'(J qacc_smooth -
 * aref), f >= 0. L: the Cholesky factor of M (cm_chol_factor). efc_force: the warm start on
 * entry (zeros, or last step's forces), the solution on exit; qacc [nv]: out. Stops when a
 * sweep changes no force by more than tol times the largest force (relative), or after
 * max_iter sweeps. work: CM_SOLVE_PGS_WORK(nv, nefc) elements. */
CM_HD static inline int cm_solve_pgs(int nv, int nefc, const cm_preal *L, const cm_preal *qacc_smooth,
                                     const cm_preal *J, const cm_preal *R, const cm_preal *aref,
                                     int max_iter, cm_preal tol, cm_preal *efc_force, cm_preal *qacc,
                                     cm_preal *work) {
  cm_preal *MiJt = work, *A = MiJt + nv * nefc, *b = A + nefc * nefc, *tmp = b + nefc;
  /* MiJt row i = M^-1 J_i' (stored by rows, nefc x nv) */
  for (int i = 0; i < nefc; i++) {
    cm_preal *r = MiJt + (size_t)i * nv;
    for (int j = 0; j < nv; j++) r[j] = J[(size_t)i * nv + j];
    cm_chol_solve(nv, L, r);
  }
  for (int i = 0; i < nefc; i++) {
    for (int k = 0; k <= i; k++) {
      cm_preal t = 0;
      for (int j = 0; j < nv; j++) t += J[(size_t)i * nv + j] * MiJt[(size_t)k * nv + j];
      A[i * nefc + k] = A[k * nefc + i] = t;
    }
    A[i * nefc + i] += R[i];
    cm_preal t = 0;
    for (int j = 0; j < nv; j++) t += J[(size_t)i * nv + j] * qacc_smooth[j];
    b[i] = t - aref[i];
  }
  int it = 0;
  for (; it < max_iter; it++) {
    cm_preal change = 0, fmax = 0;
    for (int i = 0; i < nefc; i++) {
      cm_preal t = b[i];
      for (int k = 0; k < nefc; k++) t += A[i * nefc + k] * efc_force[k];
      cm_preal f = efc_force[i] - t / A[i * nefc + i];
      if (f < 0) f = 0;
      change = cm_pmax(change, cm_pabs(f - efc_force[i]));
      fmax = cm_pmax(fmax, f);
      efc_force[i] = f;
    }
    if (change <= tol * fmax) { it++; break; }
  }
  cm_mat_tvec(cm_lanes_one(), nefc, nv, MiJt, efc_force, tmp);
  for (int j = 0; j < nv; j++) qacc[j] = qacc_smooth[j] + tmp[j];
  return it;
}
#endif
