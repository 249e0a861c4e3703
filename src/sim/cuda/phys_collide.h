/* Narrow-phase contacts between the primitive geoms characters and scenes use (plane, sphere,
 * capsule, box), in MuJoCo 2.2.2's conventions, so the GPU engine sees the contacts mj_collision
 * would produce. Pure functions of one geom pair: no model layout, usable from a CUDA kernel.
 *
 * Geom input (each geom): pos[3] world centre (MuJoCo geom_xpos), mat[9] world rotation,
 * row-major (geom_xmat), size[3] (geom_size: sphere r; capsule r, half-length (axis = local z);
 * box half-extents; plane: unused, the plane is the infinite local z = 0 plane, normal local z).
 *
 * Contact output (cm_contact): pos = midpoint between the two surfaces, frame = 3 rows
 * (normal pointing from geom1 to geom2, then two tangents: MuJoCo's mju_makeFrame), dist =
 * signed surface distance, negative in penetration. A contact is emitted when dist <= margin;
 * MuJoCo then keeps it for the solver only when dist < margin - gap (cm_contact_included).
 *
 * Pair order: geom1 has the lower type (CM_GEOM_* values are mjtGeom's), equal types keep
 * MuJoCo's order (lower geom id first); cm_geom_pair_swap says when to swap.
 *
 * Contacts per pair, as MuJoCo emits them: plane-sphere 1, plane-capsule <= 2, plane-box <= 4,
 * plane-cylinder <= 4 (phys_collide_cylinder.h), cylinder against sphere, capsule, cylinder or box 1
 * (MuJoCo's general convex collider, MPR: phys_collide_convex.h),
 * sphere-sphere 1, sphere-capsule 1, capsule-capsule <= 2, sphere-box 1, capsule-box <= 2
 * (MuJoCo's second-point heuristics reproduced), box-box <= CM_MAX_PAIR_CONTACTS (MuJoCo's
 * mjc_BoxBox algorithm, phys_collide_box.h, including its 2.2.2 quirk of reporting HALF the
 * depth as dist for face contacts; MuJoCo may keep more than 8 points only on degenerate
 * boundaries). In double (CM_PHYS_DOUBLE) every contact equals mj_collision's to 1e-9
 * (test_phys_collide.c); in float, exactly parallel features are judged with a tolerance
 * (CM_PARALLEL, CM_NEAR_TIE, the box tie rule) instead of MuJoCo's 1e-15, so ties MuJoCo breaks
 * by rounding may be broken the other way (test_phys_collide_float.c measures it). */
#ifndef CM_PHYS_COLLIDE_H
#define CM_PHYS_COLLIDE_H
#include "sim/cuda/phys_real.h"

enum { CM_GEOM_PLANE = 0, CM_GEOM_SPHERE = 2, CM_GEOM_CAPSULE = 3, CM_GEOM_CYLINDER = 5, CM_GEOM_BOX = 6 };
#define CM_MAX_PAIR_CONTACTS 8
#define CM_MINMU ((cm_preal)1e-5) /* MuJoCo's mjMINMU: friction is clamped to at least this */

typedef struct {
  cm_preal pos[3];   /* world, midpoint between the surfaces */
  cm_preal frame[9]; /* rows: normal (geom1 -> geom2), tangent 1, tangent 2 */
  cm_preal dist;     /* signed distance between the surfaces (< 0: penetration) */
} cm_contact;

/* The contact parameters of one geom, as in mjModel (geom_contype ... geom_gap). */
typedef struct {
  int contype, conaffinity, condim, priority;
  cm_preal friction[3]; /* sliding, torsional, rolling */
  cm_preal solref[2], solimp[5], solmix, margin, gap;
} cm_geom_contact;

/* The parameters every contact of one geom pair shares, mixed as mj_collideGeoms mixes them. */
typedef struct {
  int condim;
  cm_preal friction[5]; /* slide, slide, torsion, roll, roll (as mjContact.friction) */
  cm_preal solref[2], solimp[5];
  cm_preal margin;        /* collision margin: contacts are generated up to dist <= margin */
  cm_preal includemargin; /* margin - gap: a contact enters the solver when dist < this */
} cm_pair_contact;

/* ---------------------------------------------------------------------------------------- */
/* Pair filter and parameter mixing (static per pair: a compiler may run them once). */

/* 1 when MuJoCo's contype/conaffinity test lets the two geoms collide. Excluding geoms of the
 * same body or of a parent-child body pair (filterparent) is the caller's. */
CM_HD static inline int cm_geom_pair_filter(int contype1, int conaffinity1, int contype2, int conaffinity2) {
  return (contype1 & conaffinity2) || (contype2 & conaffinity1);
}

/* 1 when geom a (type_a, id_a) must be geom2 of the pair: MuJoCo orders by type, then id. */
CM_HD static inline int cm_geom_pair_swap(int type_a, int id_a, int type_b, int id_b) {
  return type_a > type_b || (type_a == type_b && id_a > id_b);
}

/* Mixes two geoms' parameters (g1 = geom1 of the ordered pair): higher priority wins
 * outright; equal priority: condim and friction max, margin and gap max, solref/solimp
 * weighted by solmix (solref min where either is in direct, negative, form). */
CM_HD static inline void cm_pair_contact_mix(const cm_geom_contact *g1, const cm_geom_contact *g2, cm_pair_contact *o) {
  cm_preal margin = cm_pmax(g1->margin, g2->margin), gap = cm_pmax(g1->gap, g2->gap);
  cm_preal fr[3];
  if (g1->priority != g2->priority) {
    const cm_geom_contact *g = g1->priority > g2->priority ? g1 : g2;
    o->condim = g->condim;
    for (int i = 0; i < 3; i++) fr[i] = g->friction[i];
    for (int i = 0; i < 2; i++) o->solref[i] = g->solref[i];
    for (int i = 0; i < 5; i++) o->solimp[i] = g->solimp[i];
  } else {
    o->condim = g1->condim > g2->condim ? g1->condim : g2->condim;
    for (int i = 0; i < 3; i++) fr[i] = cm_pmax(g1->friction[i], g2->friction[i]);
    cm_preal mix;
    int s1 = g1->solmix >= CM_PMINVAL, s2 = g2->solmix >= CM_PMINVAL;
    if (s1 && s2) mix = g1->solmix / (g1->solmix + g2->solmix);
    else if (!s1 && !s2) mix = (cm_preal)0.5;
    else mix = s1 ? (cm_preal)1 : (cm_preal)0;
    if (g1->solref[0] > 0 && g2->solref[0] > 0)
      for (int i = 0; i < 2; i++) o->solref[i] = mix * g1->solref[i] + (1 - mix) * g2->solref[i];
    else
      for (int i = 0; i < 2; i++) o->solref[i] = cm_pmin(g1->solref[i], g2->solref[i]);
    for (int i = 0; i < 5; i++) o->solimp[i] = mix * g1->solimp[i] + (1 - mix) * g2->solimp[i];
  }
  o->friction[0] = o->friction[1] = fr[0];
  o->friction[2] = fr[1];
  o->friction[3] = o->friction[4] = fr[2];
  for (int i = 0; i < 5; i++) o->friction[i] = cm_pmax(CM_MINMU, o->friction[i]);
  o->margin = margin;
  o->includemargin = margin - gap;
}

/* 1 when the contact enters the constraint solver (MuJoCo: exclude = 0). */
CM_HD static inline int cm_contact_included(const cm_contact *c, const cm_pair_contact *p) {
  return c->dist < p->includemargin;
}

/* Completes a contact frame whose first row is the normal and whose second row is zero or a
 * preferred tangent (mju_makeFrame): tangent 1 defaults to world y, or z when the normal is
 * near y; tangent 2 = normal x tangent 1. */
CM_HD static inline void cm_contact_frame_complete(cm_preal *f) {
  cm_p3normalize(f);
  if (cm_psqrt(cm_p3dot(f + 3, f + 3)) < (cm_preal)0.5) {
    cm_p3zero(f + 3);
    if (f[1] < (cm_preal)0.5 && f[1] > (cm_preal)-0.5) f[4] = 1;
    else f[5] = 1;
  }
  cm_p3addscl(f + 3, f + 3, f, -cm_p3dot(f, f + 3));
  cm_p3normalize(f + 3);
  cm_p3cross(f + 6, f, f + 3);
}

/* Degeneracy tests (parallel segments, near-equal candidates). In double they are MuJoCo's
 * absolute 1e-15, so the double build reproduces mj_collision; in float a difference of 1e-15
 * is rounding noise, and exactly parallel axes (aligned limbs, a foot flat on a box) would fall
 * to either side at random, so float judges them relative to the magnitudes involved. */
#ifndef CM_FLOAT_TIE_REL
#define CM_FLOAT_TIE_REL 5e-7
#endif
#ifdef CM_PHYS_DOUBLE
#define CM_PARALLEL(det, scale) (cm_pabs(det) < CM_PMINVAL)
#define CM_NEAR_TIE(scale) CM_PMINVAL
#else
#define CM_PARALLEL(det, scale) (cm_pabs(det) < (cm_preal)CM_FLOAT_TIE_REL * (scale))
#define CM_NEAR_TIE(scale) ((cm_preal)CM_FLOAT_TIE_REL * (scale))
#endif

/* ---------------------------------------------------------------------------------------- */
/* Primitive tests. Each fills the normal (frame row 0) and, where MuJoCo does, a preferred
 * tangent (row 1, else zero); cm_collide completes the frames. */

/* Sphere (centre c, radius r) against plane (pos p, mat R). */
CM_HD static inline int cm_collide_plane_point(const cm_preal *p, const cm_preal *R, const cm_preal *c,
                                               cm_preal r, cm_preal margin, cm_contact *con) {
  cm_preal n[3], d[3];
  cm_p3col(n, R, 2);
  cm_p3sub(d, c, p);
  cm_preal cd = cm_p3dot(d, n);
  if (cd > margin + r) return 0;
  con->dist = cd - r;
  cm_p3addscl(con->pos, c, n, -con->dist / 2 - r);
  cm_p3copy(con->frame, n);
  cm_p3zero(con->frame + 3);
  return 1;
}

CM_HD static inline int cm_collide_plane_sphere(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                                const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                                cm_preal margin, cm_contact *con) {
  (void)s1; (void)m2;
  return cm_collide_plane_point(p1, m1, p2, s2[0], margin, con);
}

/* Both capsule end spheres; the frames' first tangent is the capsule axis. */
CM_HD static inline int cm_collide_plane_capsule(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                                 const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                                 cm_preal margin, cm_contact *con) {
  (void)s1;
  cm_preal ax[3], e[3];
  cm_p3col(ax, m2, 2);
  int n = 0;
  for (int side = 1; side >= -1; side -= 2) {
    cm_p3addscl(e, p2, ax, side * s2[1]);
    if (cm_collide_plane_point(p1, m1, e, s2[0], margin, con + n)) {
      cm_p3copy(con[n].frame + 3, ax);
      n++;
    }
  }
  return n;
}

/* The corners below the plane's level through the box centre and within margin, in corner
 * order (x fastest), at most 4. */
CM_HD static inline int cm_collide_plane_box(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                             const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                             cm_preal margin, cm_contact *con) {
  (void)s1;
  cm_preal n[3], d[3], v[3], corner[3];
  cm_p3col(n, m1, 2);
  cm_p3sub(d, p2, p1);
  cm_preal dist = cm_p3dot(d, n);
  int cnt = 0;
  for (int i = 0; i < 8; i++) {
    v[0] = (i & 1) ? s2[0] : -s2[0];
    v[1] = (i & 2) ? s2[1] : -s2[1];
    v[2] = (i & 4) ? s2[2] : -s2[2];
    cm_p3rot(corner, m2, v);
    cm_preal ld = cm_p3dot(n, corner);
    if (dist + ld > margin || ld > 0) continue;
    con[cnt].dist = dist + ld;
    cm_p3copy(con[cnt].frame, n);
    cm_p3zero(con[cnt].frame + 3);
    cm_p3add(corner, corner, p2);
    cm_p3addscl(con[cnt].pos, corner, n, -con[cnt].dist / 2);
    if (++cnt >= 4) return 4;
  }
  return cnt;
}

/* Two spheres (centres c1, c2); z axes a1, a2 give the normal of coincident centres. */
CM_HD static inline int cm_collide_sphere_sphere_at(const cm_preal *c1, const cm_preal *m1, cm_preal r1,
                                                    const cm_preal *c2, const cm_preal *m2, cm_preal r2,
                                                    cm_preal margin, cm_contact *con) {
  cm_preal d[3];
  cm_p3sub(d, c2, c1);
  cm_preal len = cm_psqrt(cm_p3dot(d, d));
  if (len > margin + r1 + r2) return 0;
  con->dist = len - r1 - r2;
  cm_p3copy(con->frame, d);
  cm_p3normalize(con->frame);
  if (len < CM_PMINVAL) {
    cm_preal a1[3], a2[3];
    cm_p3col(a1, m1, 2);
    cm_p3col(a2, m2, 2);
    cm_p3cross(con->frame, a1, a2);
    cm_p3normalize(con->frame);
  }
  cm_p3addscl(con->pos, c1, con->frame, r1 + con->dist / 2);
  cm_p3zero(con->frame + 3);
  return 1;
}

CM_HD static inline int cm_collide_sphere_sphere(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                                 const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                                 cm_preal margin, cm_contact *con) {
  return cm_collide_sphere_sphere_at(p1, m1, s1[0], p2, m2, s2[0], margin, con);
}

/* Sphere against the capsule's nearest segment point. */
CM_HD static inline int cm_collide_sphere_capsule(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                                  const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                                  cm_preal margin, cm_contact *con) {
  cm_preal ax[3], v[3], q[3];
  cm_p3col(ax, m2, 2);
  cm_p3scl(ax, ax, s2[1]);
  cm_p3sub(v, p1, p2);
  cm_preal x = cm_p3dot(ax, v) / cm_p3dot(ax, ax);
  x = x > 1 ? 1 : (x < -1 ? -1 : x);
  cm_p3addscl(q, p2, ax, x);
  return cm_collide_sphere_sphere_at(p1, m1, s1[0], q, m2, s2[0], margin, con);
}

/* Closest points of two segments c1 + x1 a1, c2 + x2 a2 (x in [-1, 1]); MuJoCo's clamping
 * order. Returns 0 when the segments are parallel (CM_PARALLEL). */
CM_HD static inline int cm_segments_closest(cm_preal ma, cm_preal mb, cm_preal mc, cm_preal u, cm_preal v,
                                            cm_preal *x1o, cm_preal *x2o) {
  cm_preal det = ma * mc - mb * mb;
  if (CM_PARALLEL(det, ma * mc)) return 0;
  cm_preal x1 = (mc * u - mb * v) / det, x2 = (ma * v - mb * u) / det;
  if (x1 > 1) { x1 = 1; x2 = (v - mb) / mc; }
  else if (x1 < -1) { x1 = -1; x2 = (v + mb) / mc; }
  if (x2 > 1) {
    x2 = 1; x1 = (u - mb) / ma;
    x1 = x1 > 1 ? 1 : (x1 < -1 ? -1 : x1);
  } else if (x2 < -1) {
    x2 = -1; x1 = (u + mb) / ma;
    x1 = x1 > 1 ? 1 : (x1 < -1 ? -1 : x1);
  }
  *x1o = x1;
  *x2o = x2;
  return 1;
}

/* Capsule-capsule: nearest segment points (1 contact); parallel axes: the end points of either
 * segment projected on the other, until 2 contacts are found (MuJoCo's order). */
CM_HD static inline int cm_collide_capsule_capsule(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                                   const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                                   cm_preal margin, cm_contact *con) {
  cm_preal a1[3], a2[3], dif[3], q1[3], q2[3];
  cm_p3col(a1, m1, 2);
  cm_p3scl(a1, a1, s1[1]);
  cm_p3col(a2, m2, 2);
  cm_p3scl(a2, a2, s2[1]);
  cm_p3sub(dif, p1, p2);
  cm_preal ma = cm_p3dot(a1, a1), mb = -cm_p3dot(a1, a2), mc = cm_p3dot(a2, a2);
  cm_preal u = -cm_p3dot(a1, dif), v = cm_p3dot(a2, dif), x1, x2;
  if (cm_segments_closest(ma, mb, mc, u, v, &x1, &x2)) {
    cm_p3addscl(q1, p1, a1, x1);
    cm_p3addscl(q2, p2, a2, x2);
    return cm_collide_sphere_sphere_at(q1, m1, s1[0], q2, m2, s2[0], margin, con);
  }
  int n = 0;
  for (int k = 0; k < 4; k++) {
    cm_preal side = (k & 1) ? -1 : 1;
    if (k < 2) { /* an end of segment 1, its projection on segment 2 */
      cm_p3addscl(q1, p1, a1, side);
      x2 = (v - side * mb) / mc;
      x2 = x2 > 1 ? 1 : (x2 < -1 ? -1 : x2);
      cm_p3addscl(q2, p2, a2, x2);
    } else { /* an end of segment 2, its projection on segment 1 */
      cm_p3addscl(q2, p2, a2, side);
      x1 = (u - side * mb) / ma;
      x1 = x1 > 1 ? 1 : (x1 < -1 ? -1 : x1);
      cm_p3addscl(q1, p1, a1, x1);
    }
    n += cm_collide_sphere_sphere_at(q1, m1, s1[0], q2, m2, s2[0], margin, con + n);
    if (k >= 1 && n >= 2) break;
  }
  return n;
}

/* Sphere (centre c, radius r) against box (pos, mat, half-sizes), MuJoCo's _SphereBox: outside,
 * the normal runs from the centre to the nearest box point; a centre inside the box takes the
 * nearest face's normal and, as MuJoCo does, dist = -r. */
CM_HD static inline int cm_collide_point_box(const cm_preal *c, const cm_preal *mc, cm_preal r,
                                             const cm_preal *pb, const cm_preal *mb, const cm_preal *sb,
                                             cm_preal margin, cm_contact *con) {
  (void)mc;
  cm_preal t[3], ctr[3], cl[3], pos[3];
  cm_p3sub(t, c, pb);
  cm_p3rotT(ctr, mb, t);
  for (int i = 0; i < 3; i++) cl[i] = ctr[i] < -sb[i] ? -sb[i] : (ctr[i] > sb[i] ? sb[i] : ctr[i]);
  cm_p3sub(t, cl, ctr);
  cm_preal dist = cm_p3normalize(t);
  if (dist - r > margin) return 0;
  if (dist <= CM_PMINVAL) {
    cm_preal closest = 2 * (sb[0] + sb[1] + sb[2]);
    int k = 0;
    for (int i = 0; i < 6; i++) {
      cm_preal f = cm_pabs(((i % 2) ? 1 : -1) * sb[i / 2] - ctr[i / 2]);
      if (closest > f) { closest = f; k = i; }
    }
    cm_preal nr[3] = {0, 0, 0};
    nr[k / 2] = (k % 2) ? -1 : 1;
    cm_p3addscl(pos, ctr, nr, (r - closest) / 2);
    cm_p3rot(con->frame, mb, nr);
  } else {
    cm_preal deep[3];
    cm_p3addscl(deep, ctr, t, r);
    for (int i = 0; i < 3; i++) pos[i] = (cl[i] + deep[i]) / 2;
    cm_p3rot(con->frame, mb, t);
  }
  cm_p3rot(t, mb, pos);
  cm_p3add(con->pos, t, pb);
  con->dist = dist - r;
  cm_p3zero(con->frame + 3);
  return 1;
}

CM_HD static inline int cm_collide_sphere_box(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                              const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                              cm_preal margin, cm_contact *con) {
  return cm_collide_point_box(p1, m1, s1[0], p2, m2, s2, margin, con);
}

/* Capsule-box: MuJoCo's mjc_CapsuleBox. The segment point nearest the box (over the two end
 * points against the faces and the segment against the 12 edges) gives the first sphere-box
 * contact; when capsule and box lie along each other a second segment point is chosen (the
 * farthest point still over the box along the edge or face) for a second sphere-box contact. */
CM_HD static inline int cm_collide_capsule_box(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                               const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                               cm_preal margin, cm_contact *con) {
  cm_preal t[3], pos[3], axis[3], ha[3];
  const cm_preal hl = s1[1];
  cm_p3sub(t, p1, p2);
  cm_p3rotT(pos, m2, t); /* capsule centre in the box frame */
  cm_p3col(t, m1, 2);
  cm_p3rotT(axis, m2, t);
  cm_p3scl(ha, axis, hl);
  int axisdir = (ha[0] > 0) + 2 * (ha[1] > 0) + 4 * (ha[2] > 0);
  cm_preal bestdistmax = margin + 2 * (s1[0] + hl + s2[0] + s2[1] + s2[2]);
  cm_preal bestdist = bestdistmax, bestseg = 0, bestbox = 0, secondpos = -4;
  int cltype = -4, clface = -1, clcorner = 0, cledge = 0;

  /* an end point nearest to a face (clamped in at most one axis) */
  for (int i = -1; i <= 1; i += 2) {
    cm_preal e[3], q[3];
    cm_p3addscl(e, pos, ha, (cm_preal)i);
    int nclamp = 0, face = -1;
    for (int j = 0; j < 3; j++) {
      q[j] = e[j];
      if (e[j] < -s2[j]) { nclamp++; face = j; q[j] = -s2[j]; }
      else if (e[j] > s2[j]) { nclamp++; face = j; q[j] = s2[j]; }
    }
    if (nclamp > 1) continue;
    cm_p3sub(q, q, e);
    cm_preal d = cm_p3dot(q, q);
    if (d < bestdist) { bestdist = d; bestseg = (cm_preal)i; cltype = -2 + i; clface = face; }
  }

  /* the segment against each of the 12 edges (edge along axis j through corner i) */
  for (int j = 0; j < 3; j++) {
    for (int i = 0; i < 8; i++) {
      if (i & (1 << j)) continue;
      cm_preal ec[3], dif[3];
      ec[0] = ((i & 1) ? 1 : -1) * s2[0];
      ec[1] = ((i & 2) ? 1 : -1) * s2[1];
      ec[2] = ((i & 4) ? 1 : -1) * s2[2];
      ec[j] = 0;
      cm_p3sub(dif, ec, pos);
      cm_preal ma = s2[j] * s2[j], mb = -s2[j] * ha[j], mc = hl * hl;
      cm_preal u = -s2[j] * dif[j], v = cm_p3dot(ha, dif);
      cm_preal det = ma * mc - mb * mb;
      if (CM_PARALLEL(det, ma * mc)) continue;
      cm_preal x1 = (mc * u - mb * v) / det, x2 = (ma * v - mb * u) / det;
      int c1 = 1, c2 = 1; /* 0, 1, 2: clamped low, interior, clamped high (box edge, segment) */
      if (x1 > 1) { x1 = 1; c1 = 2; x2 = (v - mb) / mc; }
      else if (x1 < -1) { x1 = -1; c1 = 0; x2 = (v + mb) / mc; }
      if (x2 > 1) {
        x2 = 1; c2 = 2; x1 = (u - mb) / ma;
        if (x1 > 1) { x1 = 1; c1 = 2; } else if (x1 < -1) { x1 = -1; c1 = 0; }
      } else if (x2 < -1) {
        x2 = -1; c2 = 0; x1 = (u + mb) / ma;
        if (x1 > 1) { x1 = 1; c1 = 2; } else if (x1 < -1) { x1 = -1; c1 = 0; }
      }
      cm_p3addscl(dif, dif, ha, -x2);
      dif[j] += s2[j] * x1;
      cm_preal d = cm_p3dot(dif, dif);
      if (d < bestdist - CM_NEAR_TIE(s2[j] * s2[j] + mc)) {
        bestdist = d;
        bestseg = x2;
        bestbox = x1;
        int code = c1 * 3 + c2;
        clcorner = i + (1 << j) * (code / 6);
        cledge = j;
        cltype = code;
      }
    }
  }
  if (cltype == -4) return 0;

  /* second point: cltype codes: -3/-1 an end point at a face; 0..8 an edge, /3 = where on the
   * box edge (0 low corner, 1 interior, 2 high corner), %3 = where on the segment */
  cm_preal mul = 0, de = 0, dp = 0, e1;
  int ax = 0, ax1 = 1, ax2 = 2, c;
  if (cltype >= 0 && cltype / 3 != 1) { /* nearest to a box corner */
    c = axisdir ^ clcorner;
    if (c != 0 && c != 7) {
      if (c == 1 || c == 2 || c == 4) { mul = 1; de = 1 - bestseg; dp = 1 + bestseg; }
      else { mul = -1; c = 7 - c; dp = 1 - bestseg; de = 1 + bestseg; }
      if (c == 1) { ax = 0; ax1 = 1; ax2 = 2; }
      else if (c == 2) { ax = 1; ax1 = 2; ax2 = 0; }
      else { ax = 2; ax1 = 0; ax2 = 1; }
      if (axis[ax] * axis[ax] > (cm_preal)0.5) { /* along the box edge */
        secondpos = de;
        e1 = 2 * s2[ax] / cm_pabs(ha[ax]);
        if (e1 < secondpos) secondpos = e1;
        secondpos *= mul;
      } else { /* across a face */
        secondpos = dp;
        e1 = 2 * s2[ax1] / cm_pabs(ha[ax1]);
        if (e1 < secondpos) secondpos = e1;
        e1 = 2 * s2[ax2] / cm_pabs(ha[ax2]);
        if (e1 < secondpos) secondpos = e1;
        secondpos *= -mul;
      }
    }
  } else if (cltype >= 0) { /* nearest to an edge interior: a second point only in an X configuration */
    c = (axisdir ^ clcorner) & (7 - (1 << cledge));
    if (c == 1 || c == 2 || c == 4) {
      ax = cledge;
      ax1 = ax == 0 ? 1 : (ax == 1 ? 2 : 0);
      ax2 = ax == 0 ? 2 : (ax == 1 ? 0 : 1);
      if (cm_pabs(axis[ax1]) > cm_pabs(axis[ax2])) ax1 = ax2;
      ax2 = 3 - ax - ax1;
      if (c & (1 << ax2)) { mul = 1; secondpos = 1 - bestseg; }
      else { mul = -1; secondpos = 1 + bestseg; }
      e1 = 2 * s2[ax2] / cm_pabs(ha[ax2]);
      if (e1 < secondpos) secondpos = e1;
      cm_preal e2 = (((axisdir & (1 << ax)) != 0) == ((c & (1 << ax2)) != 0)) ? 1 - bestbox : 1 + bestbox;
      e1 = s2[ax] * e2 / cm_pabs(ha[ax]);
      if (e1 < secondpos) secondpos = e1;
      secondpos *= mul;
    }
  } else if (clface != -1) { /* an end point over a face: the farthest point still over the box */
    mul = cltype == -3 ? 1 : -1;
    secondpos = 2;
    cm_preal q[3];
    cm_p3addscl(q, pos, ha, -mul);
    for (int i = 0; i < 3; i++) {
      if (i == clface) continue;
      e1 = (s2[i] - q[i]) / ha[i] * mul;
      if (e1 > 0 && e1 < secondpos) secondpos = e1;
      e1 = (-s2[i] - q[i]) / ha[i] * mul;
      if (e1 > 0 && e1 < secondpos) secondpos = e1;
    }
    secondpos *= mul;
  }

  cm_preal q[3], w[3];
  cm_p3addscl(q, pos, ha, bestseg);
  cm_p3rot(w, m2, q);
  cm_p3add(w, w, p2);
  int n = cm_collide_point_box(w, m1, s1[0], p2, m2, s2, margin, con);
  if (secondpos > -3) {
    cm_p3addscl(q, pos, ha, secondpos + bestseg);
    cm_p3rot(w, m2, q);
    cm_p3add(w, w, p2);
    n += cm_collide_point_box(w, m1, s1[0], p2, m2, s2, margin, con + n);
  }
  return n;
}

#include "sim/cuda/phys_collide_box.h"
#include "sim/cuda/phys_collide_cylinder.h"
#include "sim/cuda/phys_collide_convex.h"

/* ---------------------------------------------------------------------------------------- */
/* 1 when cm_collide handles the (ordered) type pair. */
CM_HD static inline int cm_collide_supported(int type1, int type2) {
  if (type2 == CM_GEOM_CYLINDER) return type1 == CM_GEOM_PLANE || type1 == CM_GEOM_SPHERE || type1 == CM_GEOM_CAPSULE || type1 == CM_GEOM_CYLINDER;
  if (type1 == CM_GEOM_CYLINDER) return type2 == CM_GEOM_BOX;
  int ok1 = type1 == CM_GEOM_PLANE || type1 == CM_GEOM_SPHERE || type1 == CM_GEOM_CAPSULE || type1 == CM_GEOM_BOX;
  int ok2 = type2 == CM_GEOM_SPHERE || type2 == CM_GEOM_CAPSULE || type2 == CM_GEOM_BOX;
  return ok1 && ok2 && type1 <= type2;
}

/* All contacts of one ordered geom pair (type1 <= type2, see cm_geom_pair_swap) within margin,
 * frames completed. Returns their number (0 .. CM_MAX_PAIR_CONTACTS); 0 for an unsupported
 * pair (plane-plane never collides in MuJoCo either). */
CM_HD static inline int cm_collide(int type1, const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                   int type2, const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                   cm_preal margin, cm_contact *con) {
  int n = 0;
#define CM_PAIR(a, b) ((a) * 8 + (b))
  switch (CM_PAIR(type1, type2)) {
  case CM_PAIR(CM_GEOM_PLANE, CM_GEOM_SPHERE): n = cm_collide_plane_sphere(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_PLANE, CM_GEOM_CAPSULE): n = cm_collide_plane_capsule(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_PLANE, CM_GEOM_BOX): n = cm_collide_plane_box(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_PLANE, CM_GEOM_CYLINDER): n = cm_collide_plane_cylinder(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_SPHERE, CM_GEOM_SPHERE): n = cm_collide_sphere_sphere(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_SPHERE, CM_GEOM_CAPSULE): n = cm_collide_sphere_capsule(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_CAPSULE, CM_GEOM_CAPSULE): n = cm_collide_capsule_capsule(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_SPHERE, CM_GEOM_BOX): n = cm_collide_sphere_box(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_CAPSULE, CM_GEOM_BOX): n = cm_collide_capsule_box(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_BOX, CM_GEOM_BOX): n = cm_collide_box_box(p1, m1, s1, p2, m2, s2, margin, con); break;
  case CM_PAIR(CM_GEOM_SPHERE, CM_GEOM_CYLINDER): case CM_PAIR(CM_GEOM_CAPSULE, CM_GEOM_CYLINDER):
  case CM_PAIR(CM_GEOM_CYLINDER, CM_GEOM_CYLINDER): case CM_PAIR(CM_GEOM_CYLINDER, CM_GEOM_BOX):
    n = cm_collide_convex(type1, p1, m1, s1, type2, p2, m2, s2, margin, con); break;
  default: return 0;
  }
#undef CM_PAIR
  for (int i = 0; i < n; i++) cm_contact_frame_complete(con[i].frame);
  return n;
}
#endif
