/* Cylinder pairs MuJoCo 2.2.2 sends to its general convex collider (mjc_Convex: libccd's MPR,
 * one contact): a cylinder against a sphere, capsule, cylinder and box at 1000 random poses
 * each, MuJoCo's contact against cm_collide's (sim/cuda/phys_collide_convex.h). Built in double
 * here, where the same algorithm must give the same contacts (count, and dist, pos, frame to
 * 1e-9); test_phys_collide_convex_float.c runs it in float, the GPU engine's precision, where
 * the collider still runs in double but from float-rounded poses, and MPR's path (which portal
 * face it expands) turns on signs of near-zero products, so a rounded pose may stop elsewhere on
 * the same boundary, as a 1e-6 m move of a geom does in MuJoCo itself: there the count must
 * agree in all but a few grazing poses, the depth to 0.2 mm, and every contact must have
 * MuJoCo's normal to 1e-2 and point to 1 mm (measured: 1e-4 m, 2e-3, 1e-4 m at worst).
 * CM_TEST_PERTURB=1 moves geom 2 by up to 1e-6 m first, which measures MuJoCo's own
 * sensitivity instead (the checks then fail by design: 4.2e-4 m, 6.3e-2, 1.2e-4 m). */
#ifndef CM_TEST_FLOAT
#define CM_PHYS_DOUBLE
#endif
#include "sim/cuda/phys_collide.h"

#include <math.h>
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include "check.h"
#include "mj_xml.h"

#ifdef CM_TEST_FLOAT
#define TOL_DIST 2e-4
#define MAX_MISMATCH 3
#define NAME "test_phys_collide_convex_float"
#else
#define TOL_DIST 1e-9
#define MAX_MISMATCH 0
#define NAME "test_phys_collide_convex"
#endif

typedef struct {
  int poses, compared, mismatch, close; /* close: normal within 1e-2 and point within 1 mm of MuJoCo's */
  double dist, normal, pos;             /* worst differences over the compared contacts */
} match_stats;

/* A cylinder (body a) and another geom (body b) at random poses (centres up to 0.26 m apart):
 * MuJoCo's mjc_Convex contact against cm_collide's. Poses where one finds a contact and the
 * other none are counted; contacts at most 1 cm deep (those a simulation step makes; deeper
 * overlaps let the portal wander further) are compared. */
static match_stats convex_match(const char *other, int n_poses) {
  match_stats st = {n_poses, 0, 0, 0, 0, 0, 0};
  char xml[1024];
  snprintf(xml, sizeof xml,
           "<mujoco><option gravity='0 0 0'/><worldbody>"
           "<body name='a'><freejoint/><geom type='cylinder' size='0.06 0.08' margin='0.005'/></body>"
           "<body name='b'><freejoint/><geom %s/></body></worldbody></mujoco>", other);
  mjModel *m = mj_xml_load(xml);
  CHECK(m != NULL);
  if (!m) return st;
  mjData *d = mj_makeData(m);
  unsigned rng = 12345u;
#define UNI() ((rng = rng * 1664525u + 1013904223u), (double)(rng >> 8) / 16777216.0)
  for (int k = 0; k < n_poses; k++) {
    for (int b = 0; b < 2; b++) {
      double *q = d->qpos + 7 * b, n = 0;
      for (int i = 0; i < 3; i++) q[i] = b ? 0.3 * (UNI() - 0.5) : 0;
      for (int i = 0; i < 4; i++) q[3 + i] = UNI() - 0.5, n += q[3 + i] * q[3 + i];
      for (int i = 0; i < 4; i++) q[3 + i] /= sqrt(n);
    }
    mj_forward(m, d);
    int g1 = 0, g2 = 1;
    if (m->geom_type[1] < m->geom_type[0]) g1 = 1, g2 = 0;
    cm_preal p[2][3], R[2][9], sz[2][3];
    for (int j = 0; j < 2; j++) {
      int g = j ? g2 : g1;
      for (int i = 0; i < 3; i++) p[j][i] = (cm_preal)d->geom_xpos[3 * g + i], sz[j][i] = (cm_preal)m->geom_size[3 * g + i];
      for (int i = 0; i < 9; i++) R[j][i] = (cm_preal)d->geom_xmat[9 * g + i];
    }
    cm_contact con[CM_MAX_PAIR_CONTACTS];
    if (getenv("CM_TEST_PERTURB")) /* measures MuJoCo's own sensitivity: geom 2 moved by up to 1e-6 m */
      for (int i = 0; i < 3; i++) p[1][i] += (cm_preal)(2e-6 * (UNI() - 0.5));
    int n = cm_collide(m->geom_type[g1], p[0], R[0], sz[0], m->geom_type[g2], p[1], R[1], sz[1], (cm_preal)0.005, con);
    if (n != d->ncon) { st.mismatch++; continue; }
    if (n != 1 || d->contact[0].dist < -0.01) continue;
    const mjContact *mc = d->contact;
    double dn = 0, dp = 0;
    for (int i = 0; i < 3; i++) dn = fmax(dn, fabs(con[0].frame[i] - mc->frame[i]));
    for (int i = 0; i < 3; i++) dp = fmax(dp, fabs(con[0].pos[i] - mc->pos[i]));
    st.dist = fmax(st.dist, fabs(con[0].dist - mc->dist));
    st.normal = fmax(st.normal, dn);
    st.pos = fmax(st.pos, dp);
    st.compared++;
    st.close += dn < 1e-2 && dp < 1e-3;
  }
#undef UNI
  mj_deleteData(d);
  mj_deleteModel(m);
  return st;
}

static void convex_pairs(void) {
  const char *others[] = {"type='sphere' size='0.05'", "type='capsule' size='0.03 0.07'", "type='cylinder' size='0.05 0.04'",
                          "type='box' size='0.05 0.04 0.06'"};
  for (int i = 0; i < 4; i++) {
    match_stats st = convex_match(others[i], 1000);
    printf("cylinder vs %s: %d poses, %d count mismatches; %d contacts <= 1 cm deep compared: worst dist %.1e, normal %.1e, "
           "pos %.1e; %d of them within 1e-2 (normal) and 1 mm (pos)\n",
           others[i], st.poses, st.mismatch, st.compared, st.dist, st.normal, st.pos, st.close);
    CHECK(st.compared > 100);
    CHECK(st.mismatch <= MAX_MISMATCH);
    CHECK(st.dist < TOL_DIST);
    CHECK(st.close == st.compared);
#ifndef CM_TEST_FLOAT
    CHECK(st.normal < 1e-9 && st.pos < 1e-9);
#endif
  }
}

int main(void) {
  convex_pairs();
  return check_report(NAME);
}
