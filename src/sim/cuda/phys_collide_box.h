/* Box-box contacts, a part of phys_collide.h (included from it, uses its helpers): MuJoCo
 * 2.2.2's mjc_BoxBox algorithm. Box 2 is described in box 1's frame (rot = R1' R2), a
 * separating-axis test over the 15 axes finds the axis of least penetration (face axes win
 * ties), then
 *  - a face axis: the reference face is that face of its box, the incident feature is the other
 *    box's deepest corner with its edges lying within 60 degrees of the face plane (a face, an
 *    edge or the corner alone); points are the feature's edge crossings with the face rectangle,
 *    the rectangle's corners inside the feature (face only) and the feature's corners inside
 *    the rectangle (the deepest always), kept within margin of the face; dist is HALF the depth,
 *    as MuJoCo 2.2.2 writes it;
 *  - an edge-edge axis: box 2's face beside its nearest edge is projected along the normal onto
 *    a face of box 1 and clipped the same way, dist measured along the normal.
 * Quantities are formed the way MuJoCo forms them (box-local frames, signed axis permutations)
 * so that near-degenerate decisions (aligned boxes) come out the same in double precision, and
 * even MuJoCo's reuse of one variable in the edge branch (a determinant overwritten by a squared
 * distance) is reproduced. */
#ifndef CM_PHYS_COLLIDE_BOX_H
#define CM_PHYS_COLLIDE_BOX_H
#include "sim/cuda/phys_real.h"

#ifndef CM_BOX_TIE_REL
#define CM_BOX_TIE_REL 5e-7
#endif

/* Most points a branch produces before duplicates are removed. */
#define CM_BOX_MAX_CANDIDATES 24

/* MuJoCo's frame of face q of a box (q = axis on the + side, 3 + axis on the - side): face
 * coordinates (x, y, z) = (us v[ua], vs v[va], zs v[axis]) of a box-local vector v. */
typedef struct {
  int ua, va, za;
  cm_preal us, vs, zs;
} cm_box_face;

CM_HD static inline cm_box_face cm_box_face_of(int q) {
  /* (no lookup tables: a static table in a CUDA device function lives in global memory) */
  cm_box_face f;
  f.za = q % 3;
  f.ua = f.za == 0 ? 2 : 0;
  f.va = f.za == 1 ? 2 : 1;
  f.us = (q == 0 || q == 5) ? -1 : 1;
  f.vs = q == 1 ? -1 : 1;
  f.zs = q < 3 ? 1 : -1;
  return f;
}

CM_HD static inline void cm_box_face_coords(const cm_box_face *f, const cm_preal *v, cm_preal *o) {
  cm_preal x = f->us * v[f->ua], y = f->vs * v[f->va], z = f->zs * v[f->za];
  o[0] = x; o[1] = y; o[2] = z;
}

/* world vector of face coordinates c, for a box with world rotation m */
CM_HD static inline void cm_box_face_world_vec(const cm_box_face *f, const cm_preal *m, const cm_preal *c, cm_preal *o) {
  for (int k = 0; k < 3; k++)
    o[k] = f->us * m[3 * k + f->ua] * c[0] + f->vs * m[3 * k + f->va] * c[1] + f->zs * m[3 * k + f->za] * c[2];
}

/* Crossings of segment a + t e (t in [0, 1], face coordinates) with the lines x = +-lx and
 * y = +-ly inside the rectangle, in MuJoCo's order. */
CM_HD static inline int cm_box_crossings(const cm_preal *a, const cm_preal *e, cm_preal lx, cm_preal ly, cm_preal *t_out,
                                         int *q_out, cm_preal *l_out, cm_preal *c_out) {
  int n = 0;
  cm_preal lim[2] = {lx, ly};
  for (int q = 0; q < 2; q++) {
    if (!(cm_pabs(e[q]) > CM_PMINVAL)) continue;
    for (int j = -1; j <= 1; j += 2) {
      cm_preal l = lim[q] * j, t = (l - a[q]) * (1 / e[q]);
      if (t < 0 || t > 1) continue;
      cm_preal c = a[1 - q] + e[1 - q] * t;
      if (cm_pabs(c) > lim[1 - q]) continue;
      t_out[n] = t; q_out[n] = q; l_out[n] = l; c_out[n] = c;
      n++;
    }
  }
  return n;
}

/* The separating-axis test in box 1's frame. Returns -1 when separated by more than margin,
 * else MuJoCo's code: 0..5 face q of box 1 (box 2 on its side), 6..11 face q - 6 of box 2
 * (box 1 on its side), 12 + 3 i + j box 1's edge i x box 2's edge j. rot = R1' R2, pos21 =
 * box 2's centre in box 1's frame, pos12 box 1's in box 2's; for edges, nrm1 = the unit axis
 * in box 1's frame and *in = 1 when it points from box 2 to box 1. */
CM_HD static inline int cm_box_sat_local(const cm_preal *rot, const cm_preal *pos21, const cm_preal *pos12,
                                         const cm_preal *s1, const cm_preal *s2, cm_preal margin, cm_preal *pen_out,
                                         cm_preal *nrm1, int *in) {
  cm_preal plen1[3], plen2[3];
  for (int i = 0; i < 3; i++) {
    plen2[i] = cm_pabs(rot[3 * i]) * s2[0] + cm_pabs(rot[3 * i + 1]) * s2[1] + cm_pabs(rot[3 * i + 2]) * s2[2];
    plen1[i] = cm_pabs(rot[i]) * s1[0] + cm_pabs(rot[3 + i]) * s1[1] + cm_pabs(rot[6 + i]) * s1[2];
  }
  cm_preal pen = margin;
  for (int i = 0; i < 3; i++) pen += s1[i] * 3 + s2[i] * 3;
  int code = -1;
  for (int i = 0; i < 3; i++) {
    cm_preal c1 = -cm_pabs(pos21[i]) + s1[i] + plen2[i];
    cm_preal c2 = -cm_pabs(pos12[i]) + s2[i] + plen1[i];
    if (c1 < -margin || c2 < -margin) return -1;
    if (c1 < pen) { pen = c1; code = i + 3 * (pos21[i] < 0); }
    if (c2 < pen) { pen = c2; code = i + 3 * (pos12[i] < 0) + 6; }
  }
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) {
      /* e_i x (box 2's axis j in box 1's frame) */
      cm_preal t[3] = {0, 0, 0}, bj[3] = {rot[j], rot[3 + j], rot[6 + j]};
      if (i == 0) { t[1] = -bj[2]; t[2] = bj[1]; }
      else if (i == 1) { t[0] = bj[2]; t[2] = -bj[0]; }
      else { t[0] = -bj[1]; t[1] = bj[0]; }
      cm_preal len = cm_p3normalize(t);
#ifdef CM_PHYS_DOUBLE
      if (len < CM_PMINVAL) continue;
#else
      if (len < (cm_preal)1e-4) continue; /* float: parallel edges, a face axis covers them */
#endif
      cm_preal c2 = cm_p3dot(pos21, t), c3 = 0;
      for (int k = 0; k < 3; k++)
        if (k != i) c3 += s1[k] * cm_pabs(t[k]);
      for (int k = 0; k < 3; k++)
        if (k != j) c3 += s2[k] * cm_pabs(rot[3 * i + 3 - k - j]) / len;
      c3 -= cm_pabs(c2);
      if (c3 < -margin) return -1;
#ifdef CM_PHYS_DOUBLE
      int better = c3 < pen * (1 - (cm_preal)1e-12);
#else /* float: MuJoCo's tie rule with a tolerance above rounding (aligned boxes): a face axis
        keeps a tie while the boxes overlap, an edge axis takes it while they are apart */
      cm_preal tol = (cm_preal)CM_BOX_TIE_REL * (s1[0] + s1[1] + s1[2] + s2[0] + s2[1] + s2[2]);
      int better = pen >= 0 ? c3 < pen - tol : c3 < pen + tol;
#endif
      if (better) {
        pen = c3;
        code = 12 + 3 * i + j;
        cm_p3copy(nrm1, t);
        *in = c2 < 0;
      }
    }
  }
  *pen_out = pen;
  return code;
}

/* The face branch, in the reference box's frame: incident centre pc and axes ax[k] (columns
 * of box-local vectors: ax[3 * m + k] = component m of axis k), half-sizes sr (reference) and si
 * (incident), face q. Writes face coordinates (x, y, depth / 2) and depths; returns the count.
 * pt [CM_BOX_MAX_CANDIDATES] holds the candidates first, then the kept ones compacted in place
 * (no second array on the GPU thread's stack). */
CM_HD static inline int cm_box_face_points(const cm_preal *pc, const cm_preal *ax, const cm_preal *sr,
                                           const cm_preal *si, int q, cm_preal margin, cm_preal (*pt)[3],
                                           cm_preal *depth) {
  cm_box_face f = cm_box_face_of(q);
  cm_preal p[3], r[3][3]; /* r[k]: incident axis k in face coordinates */
  cm_box_face_coords(&f, pc, p);
  cm_preal lx = sr[f.ua], ly = sr[f.va], hz = sr[f.za];
  p[2] -= hz;
  for (int k = 0; k < 3; k++) {
    cm_preal v[3] = {ax[k], ax[3 + k], ax[6 + k]};
    cm_box_face_coords(&f, v, r[k]);
  }
  cm_preal pts[6][3];
  cm_p3copy(pts[0], p);
  for (int k = 0; k < 3; k++) cm_p3addscl(pts[0], pts[0], r[k], si[k] * (r[k][2] < 0 ? 1 : -1));
  int m = 1;
  for (int k = 0; k < 3; k++)
    if (cm_pabs(r[k][2]) < (cm_preal)0.5) cm_p3scl(pts[m++], r[k], si[k] * (r[k][2] < 0 ? -2 : 2));
  for (int k = m; k < 3; k++) cm_p3zero(pts[k]);
  cm_p3add(pts[3], pts[0], pts[1]);
  cm_p3add(pts[4], pts[0], pts[2]);
  cm_p3add(pts[5], pts[3], pts[2]);
  /* the feature's edges: pts0 + t pts1, pts0 + t pts2, pts3 + t pts2, pts4 + t pts1 */
  int nl = m == 1 ? 0 : (m == 2 ? 1 : 4), n = 0;
  cm_preal(*cand)[3] = pt;
  for (int i = 0; i < nl; i++) {
    int ls = i < 2 ? 0 : i + 1, ld = (i == 1 || i == 2) ? 2 : 1;
    cm_preal t[4], l[4], c[4];
    int qq[4];
    int nc = cm_box_crossings(pts[ls], pts[ld], lx, ly, t, qq, l, c);
    for (int k = 0; k < nc; k++) cm_p3addscl(cand[n++], pts[ls], pts[ld], t[k]);
  }
  if (m > 2) { /* rectangle corners inside the incident face */
    cm_preal a = pts[1][0], b = pts[2][0], c = pts[1][1], d = pts[2][1], det = a * d - b * c;
    for (int i = 0; i < 4; i++) {
      cm_preal llx = i / 2 ? lx : -lx, lly = i % 2 ? ly : -ly;
      cm_preal x = llx - pts[0][0], y = lly - pts[0][1];
      cm_preal u = (x * d - y * b) * (1 / det), v = (y * a - x * c) * (1 / det);
      if (u <= 0 || v <= 0 || u >= 1 || v >= 1) continue;
      cand[n][0] = llx;
      cand[n][1] = lly;
      cand[n][2] = pts[0][2] + u * pts[1][2] + v * pts[2][2];
      n++;
    }
  }
  for (int i = 0; i < (1 << (m - 1)); i++) { /* incident corners inside the rectangle */
    const cm_preal *c = pts[i == 0 ? 0 : i + 2];
    if (i && (c[0] <= -lx || c[0] >= lx || c[1] <= -ly || c[1] >= ly)) continue;
    cm_p3copy(cand[n++], c);
  }
  int cnt = 0;
  for (int i = 0; i < n; i++) { /* (cnt <= i: compacting in place) */
    if (cand[i][2] > margin) continue;
    cm_preal z = cand[i][2];
    cm_p3copy(pt[cnt], cand[i]);
    depth[cnt] = z * (cm_preal)0.5; /* MuJoCo 2.2.2 reports half the depth */
    pt[cnt][2] = z * (cm_preal)0.5 + hz;
    cnt++;
  }
  return cnt;
}

/* The edge branch, in box 1's frame: rot, pos21 as for cm_box_sat_local, edges i (box 1) and j
 * (box 2), nrm1 and in from the test. Writes box 1 face q's coordinates of the points (z offset
 * by the face's distance, ready for cm_box_face_world_vec), their dists, the face q. */
CM_HD static inline int cm_box_edge_points(const cm_preal *rot, const cm_preal *pos21, const cm_preal *s1,
                                           const cm_preal *s2, int i, int j, const cm_preal *nrm1, int in,
                                           cm_preal margin, cm_preal (*pt)[3], cm_preal *depth, int *face_out) {
  /* box 1's corner bits toward box 2 (cle1) and box 2's toward box 1 (cle2), as MuJoCo */
  int cle1 = 0, cle2 = 0;
  for (int k = 0; k < 3; k++)
    if (k != i && ((nrm1[k] > 0) ^ in)) cle1 += 1 << k;
  for (int k = 0; k < 3; k++)
    if (k != j && ((rot[3 * i + 3 - k - j] > 0) ^ in ^ ((k - j + 3) % 3 == 1))) cle2 += 1 << k;
  int ax1 = j == 1 ? 0 : 1, ax2 = j == 2 ? 0 : 2;
  int pax1 = i == 1 ? 0 : 1, pax2 = i == 2 ? 0 : 2;
  if (cm_pabs(rot[3 * i + ax1]) < cm_pabs(rot[3 * i + ax2])) { ax1 = ax2; ax2 = 3 - j - ax1; }
  if (cm_pabs(rot[3 * pax1 + j]) < cm_pabs(rot[3 * pax2 + j])) { pax1 = pax2; pax2 = 3 - i - pax1; }
  int q = (cle1 & (1 << pax2)) ? pax2 : pax2 + 3;
  *face_out = q;
  cm_box_face f = cm_box_face_of(q);
  cm_preal p[3], rn[3], rt[3][3];
  cm_box_face_coords(&f, pos21, p);
  cm_box_face_coords(&f, nrm1, rn);
  for (int k = 0; k < 3; k++) {
    cm_preal v[3] = {rot[k], rot[3 + k], rot[6 + k]};
    cm_box_face_coords(&f, v, rt[k]);
  }
  cm_preal lx = s1[f.ua], ly = s1[f.va], hz = s1[f.za];
  p[2] -= hz;
  cm_preal pu[4][3];
  for (int h = 0; h < 2; h++) { /* the nearest edge of box 2 (h = 0) and its neighbour across ax1 */
    cm_preal *e = pu[2 * h];
    cm_p3copy(e, p);
    cm_preal sg1 = ((cle2 & (1 << ax1)) ? 1 : -1) * (h ? -1 : 1), sg2 = (cle2 & (1 << ax2)) ? 1 : -1;
    cm_p3addscl(e, e, rt[ax1], s2[ax1] * sg1);
    cm_p3addscl(e, e, rt[ax2], s2[ax2] * sg2);
    cm_p3copy(pu[2 * h + 1], e);
    cm_p3addscl(e, e, rt[j], s2[j]);
    cm_p3addscl(pu[2 * h + 1], pu[2 * h + 1], rt[j], -s2[j]);
  }
  if (cm_pabs(rn[2]) < CM_PMINVAL) return 0;
  cm_preal innorm = (1 / rn[2]) * (in ? -1 : 1);
  cm_preal pp[4][3]; /* projected along the normal onto the face plane */
  for (int k = 0; k < 4; k++) cm_p3addscl(pp[k], pu[k], rn, -pu[k][2] * (1 / rn[2]));
  cm_preal pts[3][3], axi[3][3];
  cm_p3copy(pts[0], pp[0]);
  cm_p3sub(pts[1], pp[1], pp[0]);
  cm_p3sub(pts[2], pp[2], pp[0]);
  cm_p3copy(axi[0], pu[0]);
  cm_p3sub(axi[1], pu[1], pu[0]);
  cm_p3sub(axi[2], pu[2], pu[0]);
  cm_preal lines[4][6], linesu[4][6];
  for (int k = 0; k < 4; k++) { /* start pts0 (+ pts1 or pts2 for k = 2, 3), direction pts1 or pts2 */
    int ld = (k == 1 || k == 2) ? 2 : 1;
    cm_p3copy(lines[k], pts[0]);
    cm_p3copy(linesu[k], axi[0]);
    if (k >= 2) {
      cm_p3add(lines[k], pts[0], pts[k - 1]);
      cm_p3add(linesu[k], axi[0], axi[k - 1]);
    }
    cm_p3copy(lines[k] + 3, pts[ld]);
    cm_p3copy(linesu[k] + 3, axi[ld]);
  }
  int cnt = 0;
  for (int k = 0; k < 4; k++) {
    cm_preal t[4], l[4], c[4];
    int qq[4];
    int nc = cm_box_crossings(lines[k], lines[k] + 3, lx, ly, t, qq, l, c);
    for (int e = 0; e < nc; e++) {
      if ((linesu[k][2] + linesu[k][5] * t[e]) * innorm > margin) continue;
      cm_preal *o = pt[cnt];
      cm_p3scl(o, linesu[k], (cm_preal)0.5);
      cm_p3addscl(o, o, linesu[k] + 3, (cm_preal)0.5 * t[e]);
      o[qq[e]] += (cm_preal)0.5 * l[e];
      o[1 - qq[e]] += (cm_preal)0.5 * c[e];
      depth[cnt] = o[2] * innorm * 2;
      cnt++;
    }
  }
  int nl = cnt;
  cm_preal a = pts[1][0], b = pts[2][0], c = pts[1][1], d = pts[2][1];
  cm_preal det = a * d - b * c; /* overwritten by a squared distance below, as in MuJoCo */
  for (int k = 0; k < 4; k++) { /* rectangle corners within the projected face */
    cm_preal llx = k / 2 ? lx : -lx, lly = k % 2 ? ly : -ly;
    cm_preal x = llx - pts[0][0], y = lly - pts[0][1];
    cm_preal u = (x * d - y * b) * (1 / det), v = (y * a - x * c) * (1 / det);
    if (nl == 0) {
      if ((u < 0 || u > 1) && (v < 0 || v > 1)) continue;
    } else if (u < 0 || u > 1 || v < 0 || v > 1) {
      continue;
    }
    u = u < 0 ? 0 : (u > 1 ? 1 : u);
    v = v < 0 ? 0 : (v > 1 ? 1 : v);
    cm_preal w[3], dv[3], corner[3] = {llx, lly, 0};
    cm_p3scl(w, pu[0], 1 - u - v);
    cm_p3addscl(w, w, pu[1], u);
    cm_p3addscl(w, w, pu[2], v);
    cm_p3sub(dv, corner, w);
    det = cm_p3dot(dv, dv);
    if (w[2] > 0 && det > margin * margin) continue;
    cm_p3add(pt[cnt], corner, w);
    cm_p3scl(pt[cnt], pt[cnt], (cm_preal)0.5);
    depth[cnt] = cm_psqrt(det) * (w[2] < 0 ? -1 : 1);
    cnt++;
  }
  int nf = cnt;
  for (int k = 0; k < 4; k++) { /* projected corners within the rectangle */
    cm_preal x = pp[k][0], y = pp[k][1];
    int outx = x < -lx || x > lx, outy = y < -ly || y > ly;
    if (nl == 0) {
      if (nf != 0 && outx && outy) continue;
    } else if (outx || outy) {
      continue;
    }
    cm_preal lim[2] = {lx, ly}, dd = 0, o[3];
    for (int e = 0; e < 2; e++) {
      if (pp[k][e] < -lim[e]) dd += (pp[k][e] + lim[e]) * (pp[k][e] + lim[e]);
      else if (pp[k][e] > lim[e]) dd += (pp[k][e] - lim[e]) * (pp[k][e] - lim[e]);
    }
    dd += pu[k][2] * innorm * pu[k][2] * innorm;
    if (pu[k][2] > 0 && dd > margin * margin) continue;
    for (int e = 0; e < 2; e++) {
      o[e] = pp[k][e] * (cm_preal)0.5;
      if (pp[k][e] < -lim[e]) o[e] = -lim[e] * (cm_preal)0.5;
      else if (pp[k][e] > lim[e]) o[e] = lim[e] * (cm_preal)0.5;
    }
    o[2] = 0;
    cm_p3addscl(pt[cnt], o, pu[k], (cm_preal)0.5);
    depth[cnt] = cm_psqrt(dd) * (pu[k][2] < 0 ? -1 : 1);
    cnt++;
  }
  for (int k = 0; k < cnt; k++) pt[k][2] += hz;
  return cnt;
}

/* Box-box (MuJoCo's mjc_BoxBox), then as mj_collideGeoms: a point repeated exactly is kept
 * once (its last copy). At most CM_MAX_PAIR_CONTACTS are returned (MuJoCo allows 50; beyond
 * 8 only on degenerate boundaries). */
CM_HD static inline int cm_collide_box_box(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                           const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                           cm_preal margin, cm_contact *con) {
  cm_preal rot[9], d[3], pos21[3], pos12[3], pen, nrm1[3] = {0, 0, 1};
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 3; k++) rot[3 * i + k] = m1[i] * m2[k] + m1[3 + i] * m2[3 + k] + m1[6 + i] * m2[6 + k];
  cm_p3sub(d, p2, p1);
  cm_p3rotT(pos21, m1, d);
  cm_p3sub(d, p1, p2);
  cm_p3rotT(pos12, m2, d);
  int in = 0;
  int code = cm_box_sat_local(rot, pos21, pos12, s1, s2, margin, &pen, nrm1, &in);
  if (code < 0) return 0;
  cm_preal pt[CM_BOX_MAX_CANDIDATES][3], depth[CM_BOX_MAX_CANDIDATES], normal[3];
  const cm_preal *mr, *pr;
  int cnt, q;
  if (code < 12) {
    int box2 = code >= 6;
    q = code % 6;
    cm_preal ax[9]; /* incident axes in the reference frame: columns */
    for (int a = 0; a < 3; a++)
      for (int k = 0; k < 3; k++) ax[3 * a + k] = box2 ? rot[3 * k + a] : rot[3 * a + k];
    cnt = cm_box_face_points(box2 ? pos12 : pos21, ax, box2 ? s2 : s1, box2 ? s1 : s2, q, margin, pt, depth);
    mr = box2 ? m2 : m1;
    pr = box2 ? p2 : p1;
    cm_box_face f = cm_box_face_of(q);
    cm_preal z[3] = {0, 0, box2 ? (cm_preal)-1 : (cm_preal)1};
    cm_box_face_world_vec(&f, mr, z, normal);
  } else {
    int e = code - 12;
    cnt = cm_box_edge_points(rot, pos21, s1, s2, e / 3, e % 3, nrm1, in, margin, pt, depth, &q);
    mr = m1;
    pr = p1;
    cm_box_face f = cm_box_face_of(q);
    cm_preal rn[3];
    cm_box_face_coords(&f, nrm1, rn);
    cm_box_face_world_vec(&f, m1, rn, normal);
    if (in) cm_p3scl(normal, normal, -1);
  }
  cm_box_face f = cm_box_face_of(q);
  for (int k = 0; k < cnt; k++) { /* the points to world positions, in place */
    cm_preal w[3];
    cm_box_face_world_vec(&f, mr, pt[k], w);
    cm_p3add(pt[k], w, pr);
  }
  int out = 0;
  for (int k = 0; k < cnt && out < CM_MAX_PAIR_CONTACTS; k++) {
    int dup = 0;
    for (int r = k + 1; r < cnt && !dup; r++) dup = pt[k][0] == pt[r][0] && pt[k][1] == pt[r][1] && pt[k][2] == pt[r][2];
    if (dup) continue;
    cm_contact *c = con + out++;
    cm_p3copy(c->pos, pt[k]);
    c->dist = depth[k];
    cm_p3copy(c->frame, normal);
    cm_p3zero(c->frame + 3);
  }
  return out;
}

/* The test alone, in world terms (for callers and tests): the code as cm_box_sat_local. */
CM_HD static inline int cm_box_sat(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1, const cm_preal *p2,
                                   const cm_preal *m2, const cm_preal *s2, cm_preal margin, cm_preal *pen) {
  cm_preal rot[9], d[3], pos21[3], pos12[3], nrm1[3];
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 3; k++) rot[3 * i + k] = m1[i] * m2[k] + m1[3 + i] * m2[3 + k] + m1[6 + i] * m2[6 + k];
  cm_p3sub(d, p2, p1);
  cm_p3rotT(pos21, m1, d);
  cm_p3sub(d, p1, p2);
  cm_p3rotT(pos12, m2, d);
  int in = 0;
  return cm_box_sat_local(rot, pos21, pos12, s1, s2, margin, pen, nrm1, &in);
}
#endif
