/* The GPU engine's narrow phase (sim/cuda/phys_collide.h, built in double here) against
 * MuJoCo's own contacts: for every supported geom pair, 20000 random sizes, margins and poses
 * (30 % of them with the two geoms' axes exactly parallel, the degenerate branches) are placed
 * in a tiny MJCF model, mj_collision runs, and our contacts must be MuJoCo's: same count, and
 * pos, frame, dist to 1e-9 (box-box points matched by position, in MuJoCo's order otherwise).
 * Then the pair-parameter mixing against mj_collision's mixed friction/solref/solimp/condim,
 * and the contype/conaffinity filter. test_phys_collide_float.c runs it all in float. */
#ifndef CM_TEST_FLOAT /* test_phys_collide_float.c includes this file to run it in float */
#define CM_PHYS_DOUBLE
#endif
#include "sim/cuda/phys_collide.h"

#include <mujoco/mujoco.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "mj_xml.h"

static const char *type_name(int t) {
  return t == CM_GEOM_PLANE ? "plane" : t == CM_GEOM_SPHERE ? "sphere" : t == CM_GEOM_CAPSULE ? "capsule" : "box";
}

static double uni(cm_rng *r, double lo, double hi) { return lo + (hi - lo) * cm_rng_uniform(r); }

static void rand_quat(cm_rng *r, double *q) {
  for (int k = 0; k < 4; k++) q[k] = cm_rng_normal(r);
  mju_normalize4(q);
}

/* a tilted plane: a rotation of at most max_tilt radians away from z up, random yaw */
static void tilted_quat(cm_rng *r, double max_tilt, double *q) {
  double axis[3] = {uni(r, -1, 1), uni(r, -1, 1), 0};
  mju_normalize3(axis);
  double a[4], b[4], z[3] = {0, 0, 1};
  mju_axisAngle2Quat(a, z, uni(r, -3.14159, 3.14159));
  mju_axisAngle2Quat(b, axis, uni(r, 0, max_tilt));
  mju_mulQuat(q, b, a);
}

/* qb = qa turned by a multiple of 90 degrees about one of qa's axes */
static void aligned_quat(cm_rng *r, const double *qa, double *qb) {
  double axis[3] = {0, 0, 0}, t[4];
  axis[(int)(cm_rng_u32(r) % 3)] = 1;
  mju_axisAngle2Quat(t, axis, (double)(cm_rng_u32(r) % 4) * 1.5707963267948966);
  mju_mulQuat(qb, qa, t);
}

static void rand_size(cm_rng *r, int type, double *s) {
  s[0] = s[1] = s[2] = 0;
  if (type == CM_GEOM_SPHERE) s[0] = uni(r, 0.05, 0.3);
  if (type == CM_GEOM_CAPSULE) { s[0] = uni(r, 0.03, 0.15); s[1] = uni(r, 0.05, 0.4); }
  if (type == CM_GEOM_BOX) for (int k = 0; k < 3; k++) s[k] = uni(r, 0.05, 0.4);
}

static double rbound(int type, const double *s) {
  if (type == CM_GEOM_SPHERE) return s[0];
  if (type == CM_GEOM_CAPSULE) return s[0] + s[1];
  return sqrt(s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
}

static void geom_xml(char *o, size_t cap, const char *name, int type) {
  const char *sz = type == CM_GEOM_SPHERE ? "0.1" : type == CM_GEOM_CAPSULE ? "0.1 0.2" : "0.1 0.1 0.1";
  snprintf(o, cap, "<geom name=\"%s\" type=\"%s\" size=\"%s\"/>", name, type_name(type), sz);
}

static mjModel *pair_model(int t1, int t2) {
  char g1[200], g2[200], xml[1500];
  geom_xml(g2, sizeof g2, "b", t2);
  if (t1 == CM_GEOM_PLANE) {
    snprintf(xml, sizeof xml,
             "<mujoco><option gravity=\"0 0 0\"/><worldbody><geom name=\"a\" type=\"plane\" size=\"5 5 .1\"/>"
             "<body><freejoint/>%s</body></worldbody></mujoco>", g2);
  } else {
    geom_xml(g1, sizeof g1, "a", t1);
    snprintf(xml, sizeof xml,
             "<mujoco><option gravity=\"0 0 0\"/><worldbody><body><freejoint/>%s</body>"
             "<body><freejoint/>%s</body></worldbody></mujoco>", g1, g2);
  }
  return mj_xml_load(xml);
}

#ifdef CM_PHYS_DOUBLE
/* double: MuJoCo's arithmetic up to rounding, every contact */
#define TOL_GEOM 1e-9
#define MAX_MISMATCH_PER_MILLE 0
#else
/* float inputs and arithmetic: rounding may flip a near-degenerate branch (count differs) */
#define TOL_GEOM 2e-4
#define MAX_MISMATCH_PER_MILLE 5
#endif

typedef struct {
  int samples, with_contacts, contacts, count_mismatch, edge_edge, aligned, aligned_bad;
  double pos, frame, dist; /* max abs errors */
} pair_stats;

static double maxabs(const cm_preal *a, const double *b, int n) {
  double e = 0;
  for (int i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i]));
  return e;
}

/* Places geom 1 (or the plane) and geom 2 at random, runs mj_collision and cm_collide. */
static void compare_pair(int t1, int t2, int samples, uint32_t seed, pair_stats *st) {
  mjModel *m = pair_model(t1, t2);
  CHECK(m != NULL);
  if (!m) return;
  mjData *d = mj_makeData(m);
  cm_rng r = cm_rng_make(seed, (uint32_t)t1, (uint64_t)t2, 0);
  memset(st, 0, sizeof *st);
  int ga = 0, gb = 1; /* geom ids: a (plane or body 1), b */
  for (int s = 0; s < samples; s++) {
    double sa[3], sb[3];
    rand_size(&r, t1, sa);
    rand_size(&r, t2, sb);
    mju_copy3(m->geom_size + 3 * gb, sb);
    m->geom_rbound[gb] = rbound(t2, sb);
    double margin = cm_rng_uniform(&r) < 0.5 ? 0 : uni(&r, 0, 0.05);
    m->geom_margin[ga] = margin * uni(&r, 0, 1);
    m->geom_margin[gb] = margin;
    double qa[4], qb[4], pa[3], pb[3];
    rand_quat(&r, qb);
    int aligned = cm_rng_uniform(&r) < 0.3; /* parallel axes / faces: the degenerate branches */
    if (t1 == CM_GEOM_PLANE) {
      tilted_quat(&r, 1.0, qa);
      if (aligned) aligned_quat(&r, qa, qb);
      for (int k = 0; k < 3; k++) pa[k] = uni(&r, -0.5, 0.5);
      mju_copy3(m->geom_pos + 3 * ga, pa);
      mju_copy4(m->geom_quat + 4 * ga, qa);
      double n[3], rm[9];
      mju_quat2Mat(rm, qa);
      n[0] = rm[2]; n[1] = rm[5]; n[2] = rm[8];
      double h = uni(&r, -0.7, 1.1) * m->geom_rbound[gb] + 0.02;
      for (int k = 0; k < 3; k++) pb[k] = pa[k] + h * n[k] + uni(&r, -1, 1);
      mju_copy3(d->qpos, pb);
      mju_copy4(d->qpos + 3, qb);
    } else {
      mju_copy3(m->geom_size + 3 * ga, sa);
      m->geom_rbound[ga] = rbound(t1, sa);
      rand_quat(&r, qa);
      if (aligned) aligned_quat(&r, qa, qb);
      for (int k = 0; k < 3; k++) pa[k] = uni(&r, -0.5, 0.5);
      double dir[3] = {cm_rng_normal(&r), cm_rng_normal(&r), cm_rng_normal(&r)};
      mju_normalize3(dir);
      double reach = uni(&r, 0.2, 1.3) * (m->geom_rbound[ga] + m->geom_rbound[gb]);
      for (int k = 0; k < 3; k++) pb[k] = pa[k] + reach * dir[k];
      mju_copy3(d->qpos, pa);
      mju_copy4(d->qpos + 3, qa);
      mju_copy3(d->qpos + 7, pb);
      mju_copy4(d->qpos + 10, qb);
    }
    mj_kinematics(m, d);
    mj_collision(m, d);
    cm_contact con[CM_MAX_PAIR_CONTACTS];
    int swap = cm_geom_pair_swap(t1, ga, t2, gb);
    int g1 = swap ? gb : ga, g2 = swap ? ga : gb;
    int ty1 = swap ? t2 : t1, ty2 = swap ? t1 : t2;
    double pm = fmax(m->geom_margin[ga], m->geom_margin[gb]);
    cm_preal P[2][3], R[2][9], S[2][3];
    for (int g = 0; g < 2; g++) {
      int id = g ? g2 : g1;
      for (int k = 0; k < 3; k++) { P[g][k] = (cm_preal)d->geom_xpos[3 * id + k]; S[g][k] = (cm_preal)m->geom_size[3 * id + k]; }
      for (int k = 0; k < 9; k++) R[g][k] = (cm_preal)d->geom_xmat[9 * id + k];
    }
    int n = cm_collide(ty1, P[0], R[0], S[0], ty2, P[1], R[1], S[1], (cm_preal)pm, con);
    st->samples++;
    st->with_contacts += d->ncon > 0;
    st->contacts += d->ncon;
    if (d->ncon > 0) CHECK(d->contact[0].geom1 == g1 && d->contact[0].geom2 == g2);
#ifndef CM_PHYS_DOUBLE
    if (aligned) { /* float, exactly parallel features: rounding breaks MuJoCo's ties either way; the
                      deepest contact (normal and distance) must still agree */
      st->aligned++;
      if (!n && !d->ncon) continue;
      int bad = !n || !d->ncon;
      if (!bad) {
        int im = 0, jm = 0;
        for (int i = 1; i < n; i++) if (con[i].dist < con[im].dist) im = i;
        for (int j = 1; j < d->ncon; j++) if (d->contact[j].dist < d->contact[jm].dist) jm = j;
        bad = fabs(con[im].dist - d->contact[jm].dist) > 1e-4 || maxabs(con[im].frame, d->contact[jm].frame, 3) > 1e-3;
      }
      st->aligned_bad += bad;
      continue;
    }
#endif
    if (n != d->ncon) { st->count_mismatch++; continue; }
    /* per-contact pairing: MuJoCo's order, except box-box whose points we match by position */
    int box = t1 == CM_GEOM_BOX && t2 == CM_GEOM_BOX, used[CM_MAX_PAIR_CONTACTS] = {0};
    if (box) {
      cm_preal pen;
      st->edge_edge += cm_box_sat(P[0], R[0], S[0], P[1], R[1], S[1], (cm_preal)pm, &pen) >= 12;
    }
    double ep = 0, ef = 0, ed = 0;
    for (int i = 0; i < n; i++) {
      int bj = i;
      if (box) {
        double be = 1e9;
        for (int j = 0; j < d->ncon; j++) {
          double e = maxabs(con[i].pos, d->contact[j].pos, 3);
          if (!used[j] && e < be) { be = e; bj = j; }
        }
        used[bj] = 1;
      }
      ep = fmax(ep, maxabs(con[i].pos, d->contact[bj].pos, 3));
      ef = fmax(ef, maxabs(con[i].frame, d->contact[bj].frame, 9));
      ed = fmax(ed, fabs(con[i].dist - d->contact[bj].dist));
    }
#ifndef CM_PHYS_DOUBLE /* float: a sample past tolerance counts as a mismatch (near-degenerate) */
    if (ep > TOL_GEOM || ef > 10 * TOL_GEOM || ed > TOL_GEOM) { st->count_mismatch++; continue; }
#endif
    st->pos = fmax(st->pos, ep);
    st->frame = fmax(st->frame, ef);
    st->dist = fmax(st->dist, ed);
  }
  mj_deleteData(d);
  mj_deleteModel(m);
}


static void test_pairs(void) {
  static const int pairs[][2] = {{CM_GEOM_PLANE, CM_GEOM_SPHERE},    {CM_GEOM_PLANE, CM_GEOM_CAPSULE},
                                 {CM_GEOM_PLANE, CM_GEOM_BOX},       {CM_GEOM_SPHERE, CM_GEOM_SPHERE},
                                 {CM_GEOM_SPHERE, CM_GEOM_CAPSULE},  {CM_GEOM_CAPSULE, CM_GEOM_CAPSULE},
                                 {CM_GEOM_SPHERE, CM_GEOM_BOX},      {CM_GEOM_CAPSULE, CM_GEOM_BOX},
                                 {CM_GEOM_BOX, CM_GEOM_BOX}};
  for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
    int t1 = pairs[p][0], t2 = pairs[p][1];
    pair_stats st;
    compare_pair(t1, t2, 20000, 7, &st);
    printf("%-7s-%-7s samples %d with contacts %d contacts %d count mismatches %d max err pos %.2e "
           "frame %.2e dist %.2e (box-box edge-edge %d)\n", type_name(t1), type_name(t2), st.samples, st.with_contacts,
           st.contacts, st.count_mismatch, st.pos, st.frame, st.dist, st.edge_edge);
#ifndef CM_PHYS_DOUBLE
    printf("        aligned samples %d, deepest contact differs in %d\n", st.aligned, st.aligned_bad);
    CHECK(st.aligned_bad * 100 <= st.aligned);
#endif
    CHECK(st.with_contacts > st.samples / 5); /* the sampler reaches contact often */
    CHECK(st.count_mismatch * 1000 <= st.samples * MAX_MISMATCH_PER_MILLE);
    CHECK(st.pos < TOL_GEOM);
    CHECK(st.frame < TOL_GEOM * 10);
    CHECK(st.dist < TOL_GEOM);
    if (t1 == CM_GEOM_BOX) CHECK(st.edge_edge > 1000); /* both box-box branches were exercised */
  }
}

/* Near-ties that float resolves: poses (float values, so exact in both builds) taken from
 * humanoid rollouts of `cmimic engine-check --num_envs 1024` where the float engine once took
 * the other branch of a decision MuJoCo makes (its first divergences there):
 *  - feet box-box (env 924): an edge axis penetrates 2.44e-7 m less than a face axis; a float
 *    tie tolerance of 1e-5 x the boxes' sizes (3.2e-6 m) kept the face;
 *  - shin capsule on foot box (envs 533, 463): near-parallel / near-equal edge candidates that
 *    a relative 1e-5 tolerance merged, giving a different second contact or an extra one.
 * Every contact must agree with MuJoCo's (count, and the sorted distances). */
static void test_near_ties(void) {
  static const struct {
    int t1, t2;
    double s1[3], p1[3], m1[9], s2[3], p2[3], m2[9];
  } k_cases[] = {
      {CM_GEOM_BOX, CM_GEOM_BOX,
       {0.0885000005, 0.0450000018, 0.0274999999}, {-0.0302253366, -0.0768020004, 0.16219084},
       {0.505410671, -0.833792627, 0.222148746, 0.862772286, 0.49236238, -0.114905789, -0.0135701224, 0.24973838, 0.968218267},
       {0.0885000005, 0.0450000018, 0.0274999999}, {0.0133606531, -0.00319957361, 0.128479853},
       {0.584643722, -0.768953443, 0.258654892, 0.808888316, 0.577008128, -0.112965502, -0.0623807609, 0.275267512, 0.959341645}},
      {CM_GEOM_CAPSULE, CM_GEOM_BOX,
       {0.0500000007, 0.162499994, 0}, {0.0319317766, 0.0912562609, 0.304428995},
       {0.973260343, -0.141782939, 0.180726215, 0.13568902, 0.989696383, 0.0457117483, -0.185345218, -0.0199668705, 0.982470572},
       {0.0885000005, 0.0450000018, 0.0274999999}, {0.087291263, -0.00531350076, 0.115246274},
       {0.307929277, 0.944358885, 0.115610689, -0.542628586, 0.27413702, -0.793979228, -0.781494498, 0.181755781, 0.596850991}},
      {CM_GEOM_CAPSULE, CM_GEOM_BOX,
       {0.0500000007, 0.162499994, 0}, {-0.0148788206, 0.0380996838, 0.348407179},
       {0.967158318, 0.0223548263, 0.253189713, -0.0413058922, 0.996706724, 0.0697821826, -0.250795931, -0.0779486448, 0.96489656},
       {0.0885000005, 0.0450000018, 0.0274999999}, {0.0453497618, -0.0472020954, 0.126344129},
       {0.977666199, 0.104505546, 0.18233867, -0.0617110208, 0.972107708, -0.226270571, -0.200899348, 0.209964797, 0.956845999}},
  };
  for (size_t c = 0; c < sizeof k_cases / sizeof k_cases[0]; c++) {
    mjModel *m = pair_model(k_cases[c].t1, k_cases[c].t2);
    CHECK(m != NULL);
    if (!m) return;
    mjData *d = mj_makeData(m);
    mju_copy3(m->geom_size, k_cases[c].s1);
    mju_copy3(m->geom_size + 3, k_cases[c].s2);
    mju_copy3(d->geom_xpos, k_cases[c].p1);
    mju_copy3(d->geom_xpos + 3, k_cases[c].p2);
    mju_copy(d->geom_xmat, k_cases[c].m1, 9);
    mju_copy(d->geom_xmat + 9, k_cases[c].m2, 9);
    mjContact mc[mjMAXCONPAIR];
    int nm = mjCOLLISIONFUNC[k_cases[c].t1][k_cases[c].t2](m, d, mc, 0, 1, 0);
    cm_preal P[2][3], R[2][9], S[2][3];
    for (int k = 0; k < 3; k++) {
      P[0][k] = (cm_preal)k_cases[c].p1[k], P[1][k] = (cm_preal)k_cases[c].p2[k];
      S[0][k] = (cm_preal)k_cases[c].s1[k], S[1][k] = (cm_preal)k_cases[c].s2[k];
    }
    for (int k = 0; k < 9; k++) R[0][k] = (cm_preal)k_cases[c].m1[k], R[1][k] = (cm_preal)k_cases[c].m2[k];
    cm_contact con[CM_MAX_PAIR_CONTACTS];
    int n = cm_collide(k_cases[c].t1, P[0], R[0], S[0], k_cases[c].t2, P[1], R[1], S[1], 0, con);
    double a[CM_MAX_PAIR_CONTACTS], b[CM_MAX_PAIR_CONTACTS], err = 0;
    for (int i = 0; i < n; i++) a[i] = con[i].dist;
    for (int i = 0; i < nm && i < CM_MAX_PAIR_CONTACTS; i++) b[i] = mc[i].dist;
    for (int i = 0; i < n; i++) /* insertion sorts */
      for (int j = i; j > 0 && a[j] < a[j - 1]; j--) { double t = a[j]; a[j] = a[j - 1]; a[j - 1] = t; }
    for (int i = 0; i < nm && i < CM_MAX_PAIR_CONTACTS; i++)
      for (int j = i; j > 0 && b[j] < b[j - 1]; j--) { double t = b[j]; b[j] = b[j - 1]; b[j - 1] = t; }
    for (int i = 0; i < n && n == nm; i++) err = fmax(err, fabs(a[i] - b[i]));
    printf("near tie %zu (%s-%s): %d contacts (mujoco %d), sorted dist max err %.2e\n", c, type_name(k_cases[c].t1),
           type_name(k_cases[c].t2), n, nm, err);
    CHECK(n == nm);
    CHECK(err < 1e-6);
    mj_deleteData(d);
    mj_deleteModel(m);
  }
}

/* Two geoms with different contact parameters overlapping: MuJoCo's mixed contact parameters
 * against cm_pair_contact_mix, over random parameter sets (priorities equal or not, solmix
 * weights, direct solref). */
static void test_mix(void) {
  const char *xml =
      "<mujoco><option gravity=\"0 0 0\"/><worldbody>"
      "<body><freejoint/><geom type=\"sphere\" size=\".1\"/></body>"
      "<body pos=\".15 0 0\"><freejoint/><geom type=\"capsule\" size=\".1 .1\"/></body>"
      "</worldbody></mujoco>";
  mjModel *m = mj_xml_load(xml);
  CHECK(m != NULL);
  if (!m) return;
  mjData *d = mj_makeData(m);
  cm_rng r = cm_rng_make(11, 0, 0, 0);
  double worst = 0;
  int dims_ok = 1, ran = 0;
  for (int s = 0; s < 300; s++) {
    cm_geom_contact g[2];
    for (int k = 0; k < 2; k++) {
      static const int dims[3] = {1, 3, 4};
      m->geom_condim[k] = dims[cm_rng_u32(&r) % 3];
      m->geom_priority[k] = (int)(cm_rng_u32(&r) % 3 == 0);
      for (int i = 0; i < 3; i++) m->geom_friction[3 * k + i] = uni(&r, 0, 1.5) * (cm_rng_uniform(&r) < 0.1 ? 0 : 1);
      int direct = cm_rng_uniform(&r) < 0.2;
      m->geom_solref[2 * k] = direct ? -uni(&r, 100, 5000) : uni(&r, 0.005, 0.05);
      m->geom_solref[2 * k + 1] = direct ? -uni(&r, 1, 100) : uni(&r, 0.5, 2);
      m->geom_solimp[5 * k] = uni(&r, 0.5, 0.95);
      m->geom_solimp[5 * k + 1] = uni(&r, 0.95, 0.999);
      m->geom_solimp[5 * k + 2] = uni(&r, 0.0005, 0.01);
      m->geom_solimp[5 * k + 3] = uni(&r, 0.1, 0.9);
      m->geom_solimp[5 * k + 4] = uni(&r, 1, 6);
      m->geom_solmix[k] = cm_rng_uniform(&r) < 0.15 ? 0 : uni(&r, 0.1, 3);
      m->geom_margin[k] = uni(&r, 0, 0.02);
      m->geom_gap[k] = uni(&r, 0, 0.01);
      g[k].contype = g[k].conaffinity = 1;
      g[k].condim = m->geom_condim[k];
      g[k].priority = m->geom_priority[k];
      for (int i = 0; i < 3; i++) g[k].friction[i] = (cm_preal)m->geom_friction[3 * k + i];
      for (int i = 0; i < 2; i++) g[k].solref[i] = (cm_preal)m->geom_solref[2 * k + i];
      for (int i = 0; i < 5; i++) g[k].solimp[i] = (cm_preal)m->geom_solimp[5 * k + i];
      g[k].solmix = (cm_preal)m->geom_solmix[k];
      g[k].margin = (cm_preal)m->geom_margin[k];
      g[k].gap = (cm_preal)m->geom_gap[k];
    }
    mj_resetData(m, d);
    mj_kinematics(m, d);
    mj_collision(m, d);
    CHECK(d->ncon == 1);
    if (d->ncon != 1) continue;
    ran++;
    cm_pair_contact pc;
    cm_pair_contact_mix(&g[d->contact[0].geom1], &g[d->contact[0].geom2], &pc);
    const mjContact *c = d->contact;
    dims_ok &= pc.condim == c->dim;
    for (int i = 0; i < 5; i++) worst = fmax(worst, fabs(pc.friction[i] - c->friction[i]));
    for (int i = 0; i < 2; i++) worst = fmax(worst, fabs(pc.solref[i] - c->solref[i]) / fmax(1, fabs(c->solref[i])));
    for (int i = 0; i < 5; i++) worst = fmax(worst, fabs(pc.solimp[i] - c->solimp[i]));
    worst = fmax(worst, fabs(pc.includemargin - c->includemargin));
  }
  printf("pair mixing: %d samples, max error %.2e, condim %s\n", ran, worst, dims_ok ? "equal" : "DIFFERS");
  CHECK(ran == 300);
  CHECK(dims_ok);
  CHECK(worst < 1e-6);
  mj_deleteData(d);
  mj_deleteModel(m);
}

/* contype/conaffinity: contacts appear in MuJoCo exactly when the filter says so */
static void test_filter(void) {
  mjModel *m = pair_model(CM_GEOM_SPHERE, CM_GEOM_SPHERE);
  CHECK(m != NULL);
  if (!m) return;
  mjData *d = mj_makeData(m);
  int agree = 0, total = 0;
  for (int bits = 0; bits < 256; bits++) {
    m->geom_contype[0] = bits & 3;
    m->geom_conaffinity[0] = (bits >> 2) & 3;
    m->geom_contype[1] = (bits >> 4) & 3;
    m->geom_conaffinity[1] = (bits >> 6) & 3;
    mj_resetData(m, d);
    d->qpos[7] = 0.1; /* overlapping spheres */
    mj_kinematics(m, d);
    mj_collision(m, d);
    int ours = cm_geom_pair_filter(m->geom_contype[0], m->geom_conaffinity[0], m->geom_contype[1], m->geom_conaffinity[1]);
    agree += ours == (d->ncon > 0);
    total++;
  }
  printf("contype/conaffinity filter: %d of %d bit patterns agree\n", agree, total);
  CHECK(agree == total);
  mj_deleteData(d);
  mj_deleteModel(m);
}

int main(void) {
  test_pairs();
  test_near_ties();
  test_mix();
  test_filter();
#ifdef CM_PHYS_DOUBLE
  return check_report("test_phys_collide");
#else
  return check_report("test_phys_collide_float");
#endif
}
