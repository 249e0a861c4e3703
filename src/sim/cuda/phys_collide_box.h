/* Box-box contacts, a part of phys_collide.h (included from it, uses its helpers): a
 * separating-axis test and face clipping, a simplified stand-in for MuJoCo's mjc_BoxBox
 * (phys_collide.h says what differs). */
#ifndef CM_PHYS_COLLIDE_BOX_H
#define CM_PHYS_COLLIDE_BOX_H
#include "sim/cuda/phys_real.h"

/* Penetration of the two boxes along unit axis n (negative: separated by that much). */
CM_HD static inline cm_preal cm_box_axis_overlap(const cm_preal *n, const cm_preal *d, const cm_preal *m1,
                                                 const cm_preal *s1, const cm_preal *m2, const cm_preal *s2) {
  cm_preal r = 0, a[3];
  for (int k = 0; k < 3; k++) {
    cm_p3col(a, m1, k);
    r += s1[k] * cm_pabs(cm_p3dot(a, n));
    cm_p3col(a, m2, k);
    r += s2[k] * cm_pabs(cm_p3dot(a, n));
  }
  return r - cm_pabs(cm_p3dot(d, n));
}

/* Clips polygon pts (n points, (u, v, h) coordinates) to coordinate c*sign <= lim; returns the
 * new count (at most n + 1). */
CM_HD static inline int cm_box_clip(cm_preal (*in)[3], int n, cm_preal (*out)[3], int c, cm_preal sign, cm_preal lim) {
  int m = 0;
  for (int i = 0; i < n; i++) {
    const cm_preal *a = in[i], *b = in[(i + 1) % n];
    cm_preal da = sign * a[c] - lim, db = sign * b[c] - lim;
    if (da <= 0) cm_p3copy(out[m++], a);
    if ((da < 0 && db > 0) || (da > 0 && db < 0)) {
      cm_preal t = da / (da - db);
      for (int k = 0; k < 3; k++) out[m][k] = a[k] + t * (b[k] - a[k]);
      m++;
    }
  }
  return m;
}

CM_HD static inline int cm_collide_box_box(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                           const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                           cm_preal margin, cm_contact *con) {
  cm_preal d[3], n[3], a[3], b[3], best_n[3] = {0, 0, 1};
  cm_p3sub(d, p2, p1);
  cm_preal best = margin + 3 * (s1[0] + s1[1] + s1[2] + s2[0] + s2[1] + s2[2]);
  int code = -1; /* 0..2 face of box 1, 3..5 face of box 2, 6 + 3i + j edge i x edge j */
  for (int i = 0; i < 3; i++) {
    for (int which = 0; which < 2; which++) {
      cm_p3col(n, which ? m2 : m1, i);
      cm_preal pen = cm_box_axis_overlap(n, d, m1, s1, m2, s2);
      if (pen < -margin) return 0;
      if (pen < best) { best = pen; code = i + 3 * which; cm_p3copy(best_n, n); }
    }
  }
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) {
      cm_p3col(a, m1, i);
      cm_p3col(b, m2, j);
      cm_p3cross(n, a, b);
      cm_preal len = cm_psqrt(cm_p3dot(n, n));
      if (len < (cm_preal)1e-6) continue; /* parallel edges: a face axis covers them */
      cm_p3scl(n, n, 1 / len);
      cm_preal pen = cm_box_axis_overlap(n, d, m1, s1, m2, s2);
      if (pen < -margin) return 0;
      if (pen < best * (1 - (cm_preal)1e-6)) { best = pen; code = 6 + 3 * i + j; cm_p3copy(best_n, n); }
    }
  }
  if (code < 0) return 0;
  if (cm_p3dot(best_n, d) < 0) cm_p3scl(best_n, best_n, -1); /* normal from box 1 to box 2 */

  if (code >= 6) { /* edge-edge: one point between the two supporting edges */
    int i = (code - 6) / 3, j = (code - 6) % 3;
    cm_preal c1[3], c2[3], e1[3], e2[3];
    cm_p3copy(c1, p1);
    cm_p3copy(c2, p2);
    for (int k = 0; k < 3; k++) {
      cm_p3col(a, m1, k);
      if (k != i) cm_p3addscl(c1, c1, a, cm_p3dot(a, best_n) > 0 ? s1[k] : -s1[k]);
      cm_p3col(b, m2, k);
      if (k != j) cm_p3addscl(c2, c2, b, cm_p3dot(b, best_n) > 0 ? -s2[k] : s2[k]);
    }
    cm_p3col(e1, m1, i);
    cm_p3scl(e1, e1, s1[i]);
    cm_p3col(e2, m2, j);
    cm_p3scl(e2, e2, s2[j]);
    cm_preal dif[3], x1, x2;
    cm_p3sub(dif, c1, c2);
    if (!cm_segments_closest(cm_p3dot(e1, e1), -cm_p3dot(e1, e2), cm_p3dot(e2, e2), -cm_p3dot(e1, dif),
                             cm_p3dot(e2, dif), &x1, &x2))
      return 0;
    cm_p3addscl(c1, c1, e1, x1);
    cm_p3addscl(c2, c2, e2, x2);
    for (int k = 0; k < 3; k++) con->pos[k] = (c1[k] + c2[k]) / 2;
    con->dist = -best;
    cm_p3copy(con->frame, best_n);
    cm_p3zero(con->frame + 3);
    return 1;
  }

  /* face: reference face of box r (outward normal nr toward the other box), incident box i */
  int refbox2 = code >= 3, f = code % 3;
  const cm_preal *pr = refbox2 ? p2 : p1, *mr = refbox2 ? m2 : m1, *sr = refbox2 ? s2 : s1;
  const cm_preal *pi = refbox2 ? p1 : p2, *mi = refbox2 ? m1 : m2, *si = refbox2 ? s1 : s2;
  cm_preal nr[3], fc[3], u[3], v[3];
  cm_p3scl(nr, best_n, refbox2 ? -1 : 1);
  int fu = (f + 1) % 3, fv = (f + 2) % 3;
  cm_p3col(a, mr, f);
  cm_p3addscl(fc, pr, a, cm_p3dot(a, nr) > 0 ? sr[f] : -sr[f]);
  cm_p3col(u, mr, fu);
  cm_p3col(v, mr, fv);
  /* incident face: most anti-parallel to nr */
  int k = 0;
  cm_preal kd = -1;
  for (int q = 0; q < 3; q++) {
    cm_p3col(a, mi, q);
    cm_preal x = cm_pabs(cm_p3dot(a, nr));
    if (x > kd) { kd = x; k = q; }
  }
  cm_preal ic[3], iu[3], iv[3];
  cm_p3col(a, mi, k);
  cm_p3addscl(ic, pi, a, cm_p3dot(a, nr) > 0 ? -si[k] : si[k]);
  cm_p3col(iu, mi, (k + 1) % 3);
  cm_p3scl(iu, iu, si[(k + 1) % 3]);
  cm_p3col(iv, mi, (k + 2) % 3);
  cm_p3scl(iv, iv, si[(k + 2) % 3]);
  cm_preal poly[8][3], tmp[8][3];
  for (int q = 0; q < 4; q++) { /* corners in cyclic order */
    cm_preal w[3], rel[3];
    cm_p3addscl(w, ic, iu, (q == 1 || q == 2) ? 1 : -1);
    cm_p3addscl(w, w, iv, q >= 2 ? 1 : -1);
    cm_p3sub(rel, w, fc);
    poly[q][0] = cm_p3dot(rel, u);
    poly[q][1] = cm_p3dot(rel, v);
    poly[q][2] = cm_p3dot(rel, nr);
  }
  int np = 4;
  np = cm_box_clip(poly, np, tmp, 0, 1, sr[fu]);
  np = cm_box_clip(tmp, np, poly, 0, -1, sr[fu]);
  np = cm_box_clip(poly, np, tmp, 1, 1, sr[fv]);
  np = cm_box_clip(tmp, np, poly, 1, -1, sr[fv]);
  int cnt = 0;
  for (int q = 0; q < np && cnt < CM_MAX_PAIR_CONTACTS; q++) {
    cm_preal h = poly[q][2];
    if (h > margin) continue;
    cm_preal w[3];
    cm_p3addscl(w, fc, u, poly[q][0]);
    cm_p3addscl(w, w, v, poly[q][1]);
    cm_p3addscl(con[cnt].pos, w, nr, h / 2);
    con[cnt].dist = h;
    cm_p3copy(con[cnt].frame, best_n);
    cm_p3zero(con[cnt].frame + 3);
    cnt++;
  }
  return cnt;
}
#endif
