/* The general convex collider MuJoCo 2.2.2 uses for the pairs it has no primitive test for
 * (here: a cylinder against a sphere, capsule, cylinder or box): mjc_Convex, which runs
 * libccd 2.1's Minkowski Portal Refinement (ccdMPRPenetration) on the geoms' support functions,
 * each inflated by half the margin, and emits one contact (MuJoCo's multi-point search,
 * mjENBL_MULTICCD, is off by default): dist = margin - depth, the penetration direction as the
 * normal (geom1 -> geom2) and the portal's barycentric point as the position; the normal is
 * then corrected on round surfaces (mjc_fixNormal: spheres, capsule sides, cylinder walls).
 *
 * The algorithm is libccd's, step for step, and it runs in double on every build (the poses
 * come in as cm_preal): MPR's path turns on the signs of near-zero products, so in float the
 * rounding sent it to other stopping points (a quarter of the sphere-cylinder contacts of
 * test_phys_collide_convex_float had normals off by more than 1e-2, some by 0.5); in double a
 * float-rounded pose moves the result less than a 1e-6 m perturbation moves MuJoCo's. One guard
 * libccd lacks: portal discovery and refinement stop after 4 x CM_MPR_ITERATIONS steps (libccd
 * loops until done); a pair that does not finish gives no contact. MuJoCo's opt.mpr_tolerance /
 * mpr_iterations must be the defaults (cm_phys_model_compile checks). */
#ifndef CM_PHYS_COLLIDE_CONVEX_H
#define CM_PHYS_COLLIDE_CONVEX_H
#include <math.h>

#define CM_MPR_TOLERANCE 1e-6            /* mjOption.mpr_tolerance's default */
#define CM_MPR_ITERATIONS 50             /* mjOption.mpr_iterations' default */
#define CM_CCD_EPS 2.220446049250313e-16 /* libccd built in double: DBL_EPSILON */

/* 3-vectors in double (the collider's scalar on every build) */
CM_HD static inline double cm_d3dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
CM_HD static inline void cm_d3copy(double *o, const double *a) { o[0] = a[0]; o[1] = a[1]; o[2] = a[2]; }
CM_HD static inline void cm_d3zero(double *o) { o[0] = o[1] = o[2] = 0; }
CM_HD static inline void cm_d3sub(double *o, const double *a, const double *b) { for (int i = 0; i < 3; i++) o[i] = a[i] - b[i]; }
CM_HD static inline void cm_d3add(double *o, const double *a, const double *b) { for (int i = 0; i < 3; i++) o[i] = a[i] + b[i]; }
CM_HD static inline void cm_d3scl(double *o, const double *a, double s) { for (int i = 0; i < 3; i++) o[i] = a[i] * s; }
CM_HD static inline void cm_d3addscl(double *o, const double *a, const double *b, double s) { for (int i = 0; i < 3; i++) o[i] = a[i] + s * b[i]; }
CM_HD static inline void cm_d3cross(double *o, const double *a, const double *b) {
  double x = a[1] * b[2] - a[2] * b[1], y = a[2] * b[0] - a[0] * b[2], z = a[0] * b[1] - a[1] * b[0];
  o[0] = x; o[1] = y; o[2] = z;
}
CM_HD static inline void cm_d3rot(double *o, const double *R, const double *v) {
  double x = R[0] * v[0] + R[1] * v[1] + R[2] * v[2], y = R[3] * v[0] + R[4] * v[1] + R[5] * v[2], z = R[6] * v[0] + R[7] * v[1] + R[8] * v[2];
  o[0] = x; o[1] = y; o[2] = z;
}
CM_HD static inline void cm_d3rotT(double *o, const double *R, const double *v) {
  double x = R[0] * v[0] + R[3] * v[1] + R[6] * v[2], y = R[1] * v[0] + R[4] * v[1] + R[7] * v[2], z = R[2] * v[0] + R[5] * v[1] + R[8] * v[2];
  o[0] = x; o[1] = y; o[2] = z;
}
/* mju_normalize3: a (near) zero vector becomes (1, 0, 0) */
CM_HD static inline void cm_d3normalize(double *v) {
  double n = sqrt(cm_d3dot(v, v));
  if (n < 1e-15) { v[0] = 1; v[1] = v[2] = 0; }
  else cm_d3scl(v, v, 1 / n);
}

typedef struct { int type; double pos[3], mat[9], size[3]; } cm_convex_geom;
typedef struct { double v[3], v1[3], v2[3]; } cm_mpr_point; /* v = v1 - v2 (Minkowski difference) */

CM_HD static inline int cm_ccd_zero(double x) { return fabs(x) < CM_CCD_EPS; }
CM_HD static inline int cm_ccd_eq(double a, double b) {
  double ab = fabs(a - b), m = fmax(fabs(a), fabs(b));
  return ab < CM_CCD_EPS || ab < CM_CCD_EPS * m;
}
CM_HD static inline int cm_ccd_vzero(const double *v) { return cm_ccd_eq(v[0], 0) && cm_ccd_eq(v[1], 0) && cm_ccd_eq(v[2], 0); }
CM_HD static inline void cm_ccd_normalize(double *v) {
  double l2 = cm_d3dot(v, v);
  if (l2 > 0) cm_d3scl(v, v, 1 / sqrt(l2));
}

/* the geom's farthest point along the unit world direction dir, inflated by margin/2 */
CM_HD static inline void cm_convex_support(const cm_convex_geom *g, const double *dir, double margin, double *out) {
  double d[3], r[3];
  const double *s = g->size;
  cm_d3rotT(d, g->mat, dir);
  switch (g->type) {
  case CM_GEOM_SPHERE: cm_d3scl(r, d, s[0]); break;
  case CM_GEOM_CAPSULE:
    cm_d3scl(r, d, s[0]);
    r[2] += d[2] > 0 ? s[1] : (d[2] < 0 ? -s[1] : 0);
    break;
  case CM_GEOM_CYLINDER: {
    double l = sqrt(d[0] * d[0] + d[1] * d[1]);
    r[0] = l > 1e-15 ? d[0] / l * s[0] : 0;
    r[1] = l > 1e-15 ? d[1] / l * s[0] : 0;
    r[2] = d[2] > 0 ? s[1] : (d[2] < 0 ? -s[1] : 0);
    break;
  }
  default: /* box */
    for (int i = 0; i < 3; i++) r[i] = d[i] > 0 ? s[i] : (d[i] < 0 ? -s[i] : 0);
  }
  cm_d3addscl(r, r, d, margin / 2);
  cm_d3rot(out, g->mat, r);
  cm_d3add(out, out, g->pos);
}

CM_HD static inline void cm_mpr_support(const cm_convex_geom *a, const cm_convex_geom *b, const double *dir, double margin,
                                        cm_mpr_point *p) {
  double nd[3];
  cm_convex_support(a, dir, margin, p->v1);
  cm_d3scl(nd, dir, -1);
  cm_convex_support(b, nd, margin, p->v2);
  cm_d3sub(p->v, p->v1, p->v2);
}

/* unit normal of the portal's face v1 v2 v3, pointing away from v0 */
CM_HD static inline void cm_mpr_portal_dir(const cm_mpr_point *P, double *dir) {
  double a[3], b[3];
  cm_d3sub(a, P[2].v, P[1].v);
  cm_d3sub(b, P[3].v, P[1].v);
  cm_d3cross(dir, a, b);
  cm_ccd_normalize(dir);
}

/* replaces one of v1 v2 v3 by v4 so that the portal still meets the origin ray */
CM_HD static inline void cm_mpr_expand(cm_mpr_point *P, const cm_mpr_point *v4) {
  double x[3];
  cm_d3cross(x, v4->v, P[0].v);
  int k;
  if (cm_d3dot(P[1].v, x) > 0) k = cm_d3dot(P[2].v, x) > 0 ? 1 : 3;
  else k = cm_d3dot(P[3].v, x) > 0 ? 2 : 1;
  P[k] = *v4;
}

/* the support v4 no longer advances the portal by more than the tolerance */
CM_HD static inline int cm_mpr_reached(const cm_mpr_point *P, const cm_mpr_point *v4, const double *dir) {
  double d4 = cm_d3dot(v4->v, dir);
  double m = fmin(d4 - cm_d3dot(P[1].v, dir), fmin(d4 - cm_d3dot(P[2].v, dir), d4 - cm_d3dot(P[3].v, dir)));
  return cm_ccd_eq(m, CM_MPR_TOLERANCE) || m < CM_MPR_TOLERANCE;
}

/* Phase 1: a tetrahedron v0 (an interior point: centre difference) v1 v2 v3 whose portal
 * v1 v2 v3 the origin ray crosses. -1: the origin is outside (no contact); 1: the origin is v1
 * (touching); 2: the origin lies on v0-v1; 0: found. */
CM_HD static inline int cm_mpr_discover(const cm_convex_geom *a, const cm_convex_geom *b, double margin, cm_mpr_point *P) {
  double dir[3], va[3], vb[3];
  cm_d3copy(P[0].v1, a->pos);
  cm_d3copy(P[0].v2, b->pos);
  cm_d3sub(P[0].v, P[0].v1, P[0].v2);
  if (cm_ccd_vzero(P[0].v)) P[0].v[0] += CM_CCD_EPS * 10; /* centres coincide: nudge */
  cm_d3scl(dir, P[0].v, -1);
  cm_ccd_normalize(dir);
  cm_mpr_support(a, b, dir, margin, P + 1);
  double dot = cm_d3dot(P[1].v, dir);
  if (cm_ccd_zero(dot) || dot < 0) return -1;
  cm_d3cross(dir, P[0].v, P[1].v);
  if (cm_ccd_zero(cm_d3dot(dir, dir))) return cm_ccd_vzero(P[1].v) ? 1 : 2;
  cm_ccd_normalize(dir);
  cm_mpr_support(a, b, dir, margin, P + 2);
  dot = cm_d3dot(P[2].v, dir);
  if (cm_ccd_zero(dot) || dot < 0) return -1;
  cm_d3sub(va, P[1].v, P[0].v);
  cm_d3sub(vb, P[2].v, P[0].v);
  cm_d3cross(dir, va, vb);
  cm_ccd_normalize(dir);
  if (cm_d3dot(dir, P[0].v) > 0) { /* orient the faces away from the origin */
    cm_mpr_point t = P[1];
    P[1] = P[2];
    P[2] = t;
    cm_d3scl(dir, dir, -1);
  }
  for (int it = 0;; it++) {
    if (it > 4 * CM_MPR_ITERATIONS) return -1; /* (not in libccd: a float guard) */
    cm_mpr_support(a, b, dir, margin, P + 3);
    dot = cm_d3dot(P[3].v, dir);
    if (cm_ccd_zero(dot) || dot < 0) return -1;
    int k = 0; /* the origin outside (v1, v0, v3): v3 replaces v2; outside (v3, v0, v2): v3 replaces v1 */
    cm_d3cross(va, P[1].v, P[3].v);
    dot = cm_d3dot(va, P[0].v);
    if (dot < 0 && !cm_ccd_zero(dot)) k = 2;
    else {
      cm_d3cross(va, P[3].v, P[2].v);
      dot = cm_d3dot(va, P[0].v);
      if (dot < 0 && !cm_ccd_zero(dot)) k = 1;
    }
    if (!k) return 0;
    P[k] = P[3];
    cm_d3sub(va, P[1].v, P[0].v);
    cm_d3sub(vb, P[2].v, P[0].v);
    cm_d3cross(dir, va, vb);
    cm_ccd_normalize(dir);
  }
}

/* Phase 2: moves the portal out until the origin is inside the tetrahedron (0) or it cannot
 * be (-1: no contact). */
CM_HD static inline int cm_mpr_refine(const cm_convex_geom *a, const cm_convex_geom *b, double margin, cm_mpr_point *P) {
  double dir[3];
  cm_mpr_point v4;
  for (int it = 0; it < 4 * CM_MPR_ITERATIONS; it++) { /* (libccd: no bound) */
    cm_mpr_portal_dir(P, dir);
    double dot = cm_d3dot(dir, P[1].v);
    if (cm_ccd_zero(dot) || dot > 0) return 0;
    cm_mpr_support(a, b, dir, margin, &v4);
    dot = cm_d3dot(v4.v, dir);
    if (!(cm_ccd_zero(dot) || dot > 0) || cm_mpr_reached(P, &v4, dir)) return -1;
    cm_mpr_expand(P, &v4);
  }
  return -1;
}

/* squared distance from the origin to segment x0-b, nearest point in w */
CM_HD static inline double cm_ccd_origin_segment(const double *x0, const double *b, double *w) {
  double d[3];
  cm_d3sub(d, b, x0);
  double t = -cm_d3dot(x0, d) / cm_d3dot(d, d);
  if (t < 0 || cm_ccd_zero(t)) cm_d3copy(w, x0);
  else if (t > 1 || cm_ccd_eq(t, 1)) cm_d3copy(w, b);
  else cm_d3addscl(w, x0, d, t);
  return cm_d3dot(w, w);
}

/* squared distance from the origin to triangle x0 B C, nearest point in w (libccd's
 * ccdVec3PointTriDist2: the interior solution, else the nearest of the three edges) */
CM_HD static inline double cm_ccd_origin_triangle(const double *x0, const double *B, const double *C, double *w) {
  double d1[3], d2[3];
  cm_d3sub(d1, B, x0);
  cm_d3sub(d2, C, x0);
  double v = cm_d3dot(d1, d1), ww = cm_d3dot(d2, d2), p = cm_d3dot(x0, d1), q = cm_d3dot(x0, d2), r = cm_d3dot(d1, d2);
  double det = ww * v - r * r, s = -1, t = -1;
  if (!cm_ccd_zero(det)) {
    s = (q * r - ww * p) / det;
    t = (-s * r - q) / ww;
  }
  if ((cm_ccd_zero(s) || s > 0) && (cm_ccd_eq(s, 1) || s < 1) && (cm_ccd_zero(t) || t > 0) && (cm_ccd_eq(t, 1) || t < 1) &&
      (cm_ccd_eq(t + s, 1) || t + s < 1)) {
    cm_d3addscl(w, x0, d1, s);
    cm_d3addscl(w, w, d2, t);
    return cm_d3dot(w, w);
  }
  double w2[3];
  double dist = cm_ccd_origin_segment(x0, B, w), d2s = cm_ccd_origin_segment(x0, C, w2);
  if (d2s < dist) { dist = d2s; cm_d3copy(w, w2); }
  d2s = cm_ccd_origin_segment(B, C, w2);
  if (d2s < dist) { dist = d2s; cm_d3copy(w, w2); }
  return dist;
}

/* the contact point: the origin's barycentric coordinates in the tetrahedron (or, degenerate,
 * in the portal seen along dir) applied to both geoms' support points, averaged */
CM_HD static inline void cm_mpr_position(const cm_mpr_point *P, double *pos) {
  double dir[3], x[3], bc[4];
  cm_mpr_portal_dir(P, dir);
  cm_d3cross(x, P[1].v, P[2].v);
  bc[0] = cm_d3dot(x, P[3].v);
  cm_d3cross(x, P[3].v, P[2].v);
  bc[1] = cm_d3dot(x, P[0].v);
  cm_d3cross(x, P[0].v, P[1].v);
  bc[2] = cm_d3dot(x, P[3].v);
  cm_d3cross(x, P[2].v, P[1].v);
  bc[3] = cm_d3dot(x, P[0].v);
  double sum = bc[0] + bc[1] + bc[2] + bc[3];
  if (cm_ccd_zero(sum) || sum < 0) {
    bc[0] = 0;
    cm_d3cross(x, P[2].v, P[3].v);
    bc[1] = cm_d3dot(x, dir);
    cm_d3cross(x, P[3].v, P[1].v);
    bc[2] = cm_d3dot(x, dir);
    cm_d3cross(x, P[1].v, P[2].v);
    bc[3] = cm_d3dot(x, dir);
    sum = bc[1] + bc[2] + bc[3];
  }
  cm_d3zero(pos);
  for (int i = 0; i < 4; i++) {
    cm_d3addscl(pos, pos, P[i].v1, bc[i]);
    cm_d3addscl(pos, pos, P[i].v2, bc[i]);
  }
  cm_d3scl(pos, pos, (double)0.5 / sum);
}

/* Phase 3: expands the portal towards the Minkowski boundary nearest the origin; depth and
 * direction from the origin's distance to the final portal. Returns 0 when the direction is
 * undefined (a touching contact: MuJoCo emits none). */
CM_HD static inline int cm_mpr_penetration(const cm_convex_geom *a, const cm_convex_geom *b, double margin, cm_mpr_point *P,
                                           double *depth, double *dir, double *pos) {
  double d[3];
  cm_mpr_point v4;
  for (int it = 0;; it++) {
    cm_mpr_portal_dir(P, d);
    cm_mpr_support(a, b, d, margin, &v4);
    if (cm_mpr_reached(P, &v4, d) || it > CM_MPR_ITERATIONS) break;
    cm_mpr_expand(P, &v4);
  }
  *depth = sqrt(cm_ccd_origin_triangle(P[1].v, P[2].v, P[3].v, dir));
  if (cm_ccd_zero(*depth)) return 0;
  cm_ccd_normalize(dir);
  cm_mpr_position(P, pos);
  return 1;
}

/* MuJoCo's mjc_fixNormal: on a sphere, a capsule's side or a cylinder's round wall (not within
 * 5% of its flat ends and 4x nearer the round wall than the flat one) the normal is the
 * surface's at the contact point; both such: their difference. */
CM_HD static inline void cm_convex_fix_normal(const cm_convex_geom *g1, const cm_convex_geom *g2, const double *cpos, double *frame) {
  double normal[2][3];
  int done[2] = {0, 0};
  for (int i = 0; i < 2; i++) {
    const cm_convex_geom *g = i ? g2 : g1;
    double dif[3], p[3], nrm[3] = {0, 0, 0};
    cm_d3sub(dif, cpos, g->pos);
    cm_d3rotT(p, g->mat, dif);
    const double *s = g->size;
    if (g->type == CM_GEOM_SPHERE) {
      cm_d3copy(nrm, p);
      done[i] = 1;
    } else if (g->type == CM_GEOM_CAPSULE) {
      nrm[0] = p[0];
      nrm[1] = p[1];
      nrm[2] = p[2] < -s[1] ? p[2] + s[1] : (p[2] > s[1] ? p[2] - s[1] : 0);
      done[i] = 1;
    } else if (g->type == CM_GEOM_CYLINDER && !(fabs(p[2]) > (double)0.95 * s[1])) {
      double flat = fabs(s[1] - fabs(p[2])), round = fabs(s[0] - sqrt(p[0] * p[0] + p[1] * p[1]));
      if (!(flat < (double)0.25 * round)) {
        nrm[0] = p[0];
        nrm[1] = p[1];
        nrm[2] = 0;
        done[i] = 1;
      }
    }
    if (done[i]) {
      cm_d3normalize(nrm);
      cm_d3rot(normal[i], g->mat, nrm);
    }
  }
  if (done[0] && done[1]) {
    cm_d3sub(frame, normal[0], normal[1]);
    cm_d3normalize(frame);
  } else if (done[0]) {
    cm_d3copy(frame, normal[0]);
  } else if (done[1]) {
    cm_d3scl(frame, normal[1], -1);
  }
  if (done[0] || done[1]) cm_d3zero(frame + 3);
}

/* One contact of two convex geoms (types sphere, capsule, cylinder, box) within margin, as
 * mjc_Convex; returns 0 or 1. Computed in double from the (float) poses, see the top. */
CM_HD static inline int cm_collide_convex(int type1, const cm_preal *p1, const cm_preal *m1, const cm_preal *s1, int type2,
                                          const cm_preal *p2, const cm_preal *m2, const cm_preal *s2, cm_preal margin_p,
                                          cm_contact *con) {
  cm_convex_geom a, b;
  a.type = type1;
  b.type = type2;
  for (int i = 0; i < 3; i++) a.pos[i] = p1[i], a.size[i] = s1[i], b.pos[i] = p2[i], b.size[i] = s2[i];
  for (int i = 0; i < 9; i++) a.mat[i] = m1[i], b.mat[i] = m2[i];
  double margin = margin_p, depth = 0, frame[6], pos[3];
  cm_mpr_point P[4];
  int res = cm_mpr_discover(&a, &b, margin, P);
  if (res < 0 || res == 1) return 0; /* apart; or touching at v1: zero depth, no direction (MuJoCo: none) */
  if (res == 2) {                    /* the origin on v0-v1: v1 is the penetration */
    for (int i = 0; i < 3; i++) pos[i] = (P[1].v1[i] + P[1].v2[i]) / 2;
    cm_d3copy(frame, P[1].v);
    depth = sqrt(cm_d3dot(P[1].v, P[1].v));
    cm_ccd_normalize(frame);
    if (cm_ccd_vzero(frame)) return 0;
  } else {
    if (cm_mpr_refine(&a, &b, margin, P) < 0) return 0;
    if (!cm_mpr_penetration(&a, &b, margin, P, &depth, frame, pos)) return 0;
  }
  cm_d3zero(frame + 3);
  cm_convex_fix_normal(&a, &b, pos, frame);
  con->dist = (cm_preal)(margin - depth);
  for (int i = 0; i < 3; i++) con->pos[i] = (cm_preal)pos[i], con->frame[i] = (cm_preal)frame[i], con->frame[3 + i] = 0;
  return 1;
}
#endif
