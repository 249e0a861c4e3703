/* The lane-cooperative stage functions (phys_lanes.h) run by several lanes at once, as the
 * warp-per-env kernel runs them: here the lanes are host threads (CM_LANES_EMULATE; a barrier
 * for the sync, values exchanged through relaxed atomics and summed in lane order for the sums),
 * so a missing sync shows as a wrong or racy result (a data race under ThreadSanitizer) and a
 * lane-dependent branch as a deadlock (the test's timeout). Against
 * the one-lane run of the same env (the CPU engine's arithmetic):
 *   - forward from one state: body poses, com quantities, qM, velocities, bias forces (the tree
 *     passes a level at a time), contacts, their order and the constraint Jacobian bit for
 *     bit (each element is computed by one lane with the serial arithmetic), with a contact
 *     list that overflows (ncon_max cut to 2: the lane-by-lane path) and one that does not;
 *   - substeps of a humanoid on the ground with PD targets: qpos/qvel after the first substep
 *     within float rounding of the solver's reordered sums, and after 12 within 1e-3;
 *   - qacc_smooth (the solve with M's factor, a dof level at a time) bit for bit, and the dense
 *     Newton solver (the low-rank one's fallback): qacc within 1e-4 of its largest
 *     entry, iterations within one (its stopping test sits on rounding). */
#define CM_LANES_EMULATE
#include <math.h>
#include <mujoco/mujoco.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/err.h"
#include "sim/cuda/phys_step.h"
#include "anim/mjcf.h"

/* ---- the emulated warp ----
 * cm_lanes_sync is a barrier (it orders memory, as __syncwarp does); the sums, scan and
 * broadcast exchange values through relaxed atomics, so they order nothing else, like the
 * device's shuffles: a sync missing before a read of another lane's write stays a data race
 * (ThreadSanitizer reports it when the test is built with -fsanitize=thread). */
#define MAX_LANES 32
static pthread_barrier_t g_bar;
static int g_n;
static _Atomic double g_slot[2][MAX_LANES];
static _Atomic long g_arrived[2];
static _Thread_local long t_op; /* this lane's exchanges so far (every lane makes the same ones) */

void cm_lanes_emu_sync(void) { pthread_barrier_wait(&g_bar); }

/* every lane's x (exchange number t_op), in v[0..n) */
static void exchange(int lane, double x, double *v) {
  int h = (int)(t_op & 1);
  long target = (long)g_n * (t_op / 2 + 1);
  atomic_store_explicit(&g_slot[h][lane], x, memory_order_relaxed);
  atomic_fetch_add_explicit(&g_arrived[h], 1, memory_order_relaxed);
  while (atomic_load_explicit(&g_arrived[h], memory_order_relaxed) < target) sched_yield();
  for (int l = 0; l < g_n; l++) v[l] = atomic_load_explicit(&g_slot[h][l], memory_order_relaxed);
  t_op++;
}
cm_preal cm_lanes_emu_sum(int lane, cm_preal x) {
  double v[MAX_LANES];
  exchange(lane, x, v);
  cm_preal s = 0;
  for (int l = 0; l < g_n; l++) s += (cm_preal)v[l];
  return s;
}
static int int_sum(int lane, int x, int upto) { /* the sum of the lanes below `upto` */
  double v[MAX_LANES];
  exchange(lane, x, v);
  int s = 0;
  for (int l = 0; l < upto; l++) s += (int)v[l];
  return s;
}
int cm_lanes_emu_sum_i(int lane, int x) { return int_sum(lane, x, g_n); }
int cm_lanes_emu_scan_i(int lane, int x) { return int_sum(lane, x, lane); }
int cm_lanes_emu_bcast(int lane, int x, int src) {
  double v[MAX_LANES];
  exchange(lane, x, v);
  return (int)v[src];
}

typedef struct {
  const cm_phys_model *m;
  cm_phys_data *d;
  int lane, n, substeps; /* substeps 0: forward only; -1: the dense Newton solve (dense_solve) */
} lane_job;

/* control, qacc_smooth, then the constraint forces by the dense Newton solver (the fallback of
 * cm_phys_fwd_constraint past the low-rank one's rows), from a forwarded env */
static int g_dense_it[MAX_LANES];
static void dense_solve(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  cm_phys_control(L, m, d);
  cm_phys_fwd_acceleration(L, m, d);
  g_dense_it[L.lane] = cm_solve_newton(L, m->nv, d->nefc[0], d->qM, d->qacc_smooth, d->efc_J, d->efc_R, d->efc_aref,
                                       m->opt_iterations, m->opt_tolerance, d->qacc, d->efc_force, d->efc_scratch);
}

static void *lane_main(void *arg) {
  lane_job *j = arg;
  t_op = 0;
  cm_lanes L = {j->lane, j->n};
  if (j->substeps < 0) dense_solve(L, j->m, j->d);
  else if (j->substeps) cm_phys_step_env_lanes(L, j->m, j->d, j->substeps);
  else cm_phys_forward_lanes(L, j->m, j->d);
  return NULL;
}

/* forward (substeps 0), substeps or the dense solve (-1) of env d by n lanes (threads) */
static void run_lanes(const cm_phys_model *m, cm_phys_data *d, int n, int substeps) {
  pthread_t th[MAX_LANES];
  lane_job jobs[MAX_LANES];
  g_n = n;
  atomic_store(&g_arrived[0], 0);
  atomic_store(&g_arrived[1], 0);
  pthread_barrier_init(&g_bar, NULL, (unsigned)n);
  for (int l = 0; l < n; l++) {
    jobs[l] = (lane_job){m, d, l, n, substeps};
    pthread_create(&th[l], NULL, lane_main, &jobs[l]);
  }
  for (int l = 0; l < n; l++) pthread_join(th[l], NULL);
  pthread_barrier_destroy(&g_bar);
}

/* ---- a character (the humanoid unless g_char says otherwise), feet in the ground ---- */
static const char *g_char = "data/assets/humanoid/humanoid.xml";
typedef struct {
  mjModel *mj;
  cm_phys_model pm;
  cm_phys_layout L;
  float *a, *b; /* one env each: one lane, n lanes */
  cm_phys_data da, db;
} pair_env;

static int pair_make(pair_env *p, int ncon_max) {
  cm_err err;
  cm_mjcf_opts mo = {.add_scene = 1};
  memset(p, 0, sizeof *p);
  CHECK_OK(cm_mjcf_compile(g_char, &mo, &p->mj, NULL, &err), &err);
  if (!p->mj) return -1;
  for (int j = 0; j < p->mj->njnt; j++) p->mj->jnt_stiffness[j] = 0;
  p->mj->opt.timestep = 1.0 / 120;
  CHECK_OK(cm_phys_model_compile(p->mj, g_char, &p->pm, &err), &err);
  if (ncon_max > 0) p->pm.ncon_max = ncon_max;
  cm_phys_layout_make(&p->pm, 1, &p->L);
  p->a = calloc((size_t)p->L.total + 2, sizeof(float));
  p->b = calloc((size_t)p->L.total + 2, sizeof(float));
  cm_phys_data_at(&p->L, p->a, 0, &p->da);
  /* standing pose, lowered until the feet (the lowest bounding sphere 9 cm deep) meet the ground; a twist and a push */
  for (int k = 0; k < p->mj->nq; k++) p->da.qpos[k] = (float)p->mj->qpos0[k];
  cm_phys_forward(&p->pm, &p->da);
  float low = 1e9f;
  for (int g = 0; g < p->pm.ngeom; g++)
    if (p->pm.geom_bodyid[g] > 0 && p->da.geom_xpos[3 * g + 2] - p->pm.geom_rbound[g] < low)
      low = p->da.geom_xpos[3 * g + 2] - p->pm.geom_rbound[g];
  p->da.qpos[2] -= low + 0.09f;
  for (int i = 0; i < p->pm.nv; i++) {
    p->da.qvel[i] = 0.3f * sinf(1.7f * (float)i);
    p->da.dof_target[i] = 0.2f * cosf(0.9f * (float)i);
  }
  cm_phys_forward(&p->pm, &p->da);
  memcpy(p->b, p->a, sizeof(float) * (size_t)p->L.total);
  cm_phys_data_at(&p->L, p->b, 0, &p->db);
  return 0;
}

static void pair_free(pair_env *p) {
  free(p->a);
  free(p->b);
  mj_deleteModel(p->mj);
}

/* forward by n lanes on b, by one on a: contacts and Jacobians bit for bit */
static void forward_equal(int n, int ncon_max) {
  pair_env p;
  if (pair_make(&p, ncon_max)) return;
  cm_phys_forward_lanes(cm_lanes_one(), &p.pm, &p.da);
  run_lanes(&p.pm, &p.db, n, 0);
  int nc = p.da.ncon[0], nr = p.da.nefc[0];
  printf("%s: forward, %d lanes, ncon_max %d: %d contacts (%d dropped), %d rows; lanes: %d (%d), %d\n", g_char, n, p.pm.ncon_max, nc,
         p.da.ncon_dropped[0], nr, p.db.ncon[0], p.db.ncon_dropped[0], p.db.nefc[0]);
  CHECK(nc > 0);
  if (ncon_max > 0) CHECK(p.da.ncon_dropped[0] > 0);
  CHECK(p.db.ncon[0] == nc);
  CHECK(p.db.ncon_dropped[0] == p.da.ncon_dropped[0]);
  CHECK(p.db.nefc[0] == nr);
  int same = 1;
  for (int c = 0; c < nc && same; c++) {
    same &= p.db.contact_pair[c] == p.da.contact_pair[c] && p.db.contact_dist[c] == p.da.contact_dist[c];
    for (int k = 0; k < 3; k++) same &= p.db.contact_pos[3 * c + k] == p.da.contact_pos[3 * c + k];
  }
  CHECK(same);
  long diff = 0;
  for (long k = 0; k < (long)nr * p.pm.nv; k++) diff += p.db.efc_J[k] != p.da.efc_J[k];
  for (int i = 0; i < nr; i++) {
    diff += p.db.efc_R[i] != p.da.efc_R[i];
    CHECK_NEAR(p.db.efc_aref[i], p.da.efc_aref[i], 1e-4 * (1 + fabsf(p.da.efc_aref[i])));
  }
  CHECK(diff == 0);
  CHECK(diff == 0);
  /* the smooth stages, a tree level (a body per lane) or a dof per lane at a time: exact */
  const struct { const char *name; const float *a, *b; long n; } f[] = {
      {"xpos", p.da.xpos, p.db.xpos, 3L * p.pm.nbody}, {"ximat", p.da.ximat, p.db.ximat, 9L * p.pm.nbody},
      {"geom_xmat", p.da.geom_xmat, p.db.geom_xmat, 9L * p.pm.ngeom},
      {"subtree_com", p.da.subtree_com, p.db.subtree_com, 3L * p.pm.nbody}, {"cdof", p.da.cdof, p.db.cdof, 6L * p.pm.nv},
      {"qM", p.da.qM, p.db.qM, (long)p.pm.nv * p.pm.nv}, {"qLD", p.da.qLD, p.db.qLD, (long)p.pm.nv * p.pm.nv},
      {"cvel", p.da.cvel, p.db.cvel, 6L * p.pm.nbody}, {"cdof_dot", p.da.cdof_dot, p.db.cdof_dot, 6L * p.pm.nv},
      {"cfrc_body", p.da.cfrc_body + 6, p.db.cfrc_body + 6, 6L * (p.pm.nbody - 1)},
      {"qfrc_bias", p.da.qfrc_bias, p.db.qfrc_bias, p.pm.nv}};
  for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
    long bad = 0;
    for (long i = 0; i < f[k].n; i++) bad += memcmp(&f[k].a[i], &f[k].b[i], sizeof(float)) != 0;
    if (bad) printf("  %s: %ld of %ld elements differ\n", f[k].name, bad, f[k].n);
    CHECK(bad == 0);
  }
  pair_free(&p);
}

static double worst_rel(const float *a, const float *b, int n) {
  double w = 0;
  for (int i = 0; i < n; i++) {
    double e = fabs((double)a[i] - b[i]) / (1 + fabs((double)a[i]));
    if (!(e <= w)) w = e; /* NaN counts as worst */
  }
  return w;
}

/* substeps by n lanes against one lane */
static void substeps_close(int n) {
  pair_env p;
  if (pair_make(&p, 0)) return;
  cm_phys_step_env(&p.pm, &p.da, 1);
  run_lanes(&p.pm, &p.db, n, 1);
  double q1 = worst_rel(p.da.qpos, p.db.qpos, p.pm.nq), v1 = worst_rel(p.da.qvel, p.db.qvel, p.pm.nv);
  int rows1 = p.da.nefc[0];
  cm_phys_step_env(&p.pm, &p.da, 11);
  run_lanes(&p.pm, &p.db, n, 11);
  double q12 = worst_rel(p.da.qpos, p.db.qpos, p.pm.nq), v12 = worst_rel(p.da.qvel, p.db.qvel, p.pm.nv);
  printf("%s: substeps, %d lanes vs 1: after 1 (%d rows) qpos %.2e qvel %.2e; after 12 (%d contacts) qpos %.2e qvel %.2e\n", g_char, n,
         rows1, q1, v1, p.da.ncon[0], q12, v12);
  CHECK(rows1 > 0);
  CHECK(q1 <= 1e-5 && v1 <= 1e-4);
  CHECK(q12 <= 1e-3 && v12 <= 1e-2);
  CHECK(p.db.nbad[0] == 0 && p.da.nbad[0] == 0);
  pair_free(&p);
}

/* the dense Newton solver by n lanes against one lane: the same iterations and forces to
 * rounding (its sums reordered) */
static void dense_close(int n) {
  pair_env p;
  if (pair_make(&p, 0)) return;
  dense_solve(cm_lanes_one(), &p.pm, &p.da);
  int it1 = g_dense_it[0];
  run_lanes(&p.pm, &p.db, n, -1);
  int itn = g_dense_it[0], same_it = 1;
  for (int l = 1; l < n; l++) same_it &= g_dense_it[l] == itn;
  double big = 1e-6;
  for (int i = 0; i < p.pm.nv; i++) big = fmax(big, fabs(p.da.qacc[i]));
  double worst = 0;
  for (int i = 0; i < p.pm.nv; i++) worst = fmax(worst, fabs((double)p.da.qacc[i] - p.db.qacc[i]) / big);
  printf("dense Newton, %d lanes vs 1: %d rows, %d / %d iterations, qacc error %.2e of its largest %.3g\n", n, p.da.nefc[0], itn,
         it1, worst, big);
  CHECK(p.da.nefc[0] > 0 && it1 > 0);
  CHECK(memcmp(p.da.qacc_smooth, p.db.qacc_smooth, sizeof(float) * (size_t)p.pm.nv) == 0); /* M^-1 by dof levels: exact */
  CHECK(same_it);
  CHECK(abs(itn - it1) <= 1);
  CHECK(worst <= 1e-4);
  pair_free(&p);
}

int main(void) {
  forward_equal(32, 0);
  forward_equal(5, 0);
  forward_equal(32, 2);
  forward_equal(3, 2);
  substeps_close(32);
  substeps_close(5);
  dense_close(32);
  dense_close(7);
  /* every shipped character: the lane-parallel stages of their trees (Go2's four legs off the
   * root, SMPL's 69 dofs, the welded sword and shield) against one lane */
  const char *chars[] = {"data/assets/g1/g1.xml", "data/assets/go2/go2.xml", "data/assets/hightorque_pi_plus/pi_22dof.xml",
                         "data/assets/smpl/smpl.xml", "data/assets/sword_shield/humanoid_sword_shield.xml"};
  for (size_t c = 0; c < sizeof chars / sizeof chars[0]; c++) {
    g_char = chars[c];
    forward_equal(32, 0);
    forward_equal(8, 0);
    substeps_close(32);
    substeps_close(8);
  }
  return check_report("test_phys_lanes");
}
