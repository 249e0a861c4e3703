/* Cylinder against the ground plane, as MuJoCo 2.2.2's mjc_PlaneCylinder (its only primitive
 * cylinder test: every other cylinder pair goes through MuJoCo's general convex collider,
 * phys_collide_convex.h).
 *
 * The cylinder (size r, half-length h, axis = local z) touches the plane first at the rim point
 * of its lower disc that lies deepest along the plane normal n. Up to 4 contacts, as MuJoCo:
 *   1. that deepest rim point (none at all when it is above the margin),
 *   2. the same rim point on the other disc, when within the margin (a lying cylinder),
 *   3, 4. the two other corners of the equilateral triangle inscribed in the lower disc (half a
 *      radius up from the centre along the deepest direction, +-r sqrt(3)/2 sideways), when
 *      within the margin (a standing cylinder), both at the same depth.
 * Each contact sits halfway between its surface point and the plane; the frame is the plane
 * normal alone (tangents completed by cm_contact_frame_complete). A disc exactly parallel to
 * the plane takes the cylinder's local x axis as its "deepest" direction, as MuJoCo does. */
#ifndef CM_PHYS_COLLIDE_CYLINDER_H
#define CM_PHYS_COLLIDE_CYLINDER_H

/* the contact of surface point q at signed distance dist along the plane normal n */
CM_HD static inline void cm_plane_contact_at(const cm_preal *q, const cm_preal *n, cm_preal dist, cm_contact *con) {
  con->dist = dist;
  cm_p3addscl(con->pos, q, n, -dist / 2);
  cm_p3copy(con->frame, n);
  cm_p3zero(con->frame + 3);
}

CM_HD static inline int cm_collide_plane_cylinder(const cm_preal *p1, const cm_preal *m1, const cm_preal *s1,
                                                  const cm_preal *p2, const cm_preal *m2, const cm_preal *s2,
                                                  cm_preal margin, cm_contact *con) {
  (void)s1;
  cm_preal n[3], ax[3], d[3], rim[3], q[3];
  cm_p3col(n, m1, 2);
  cm_p3col(ax, m2, 2);
  cm_preal cosa = cm_p3dot(n, ax);
  if (cosa > 0) { /* the axis points into the plane: its end is the lower disc */
    cm_p3scl(ax, ax, -1);
    cosa = -cosa;
  }
  cm_p3sub(d, p2, p1);
  cm_preal dist0 = cm_p3dot(d, n); /* height of the centre above the plane */
  /* -n without its part along the axis: the in-disc direction towards the plane */
  cm_p3scl(rim, ax, cosa);
  cm_p3sub(rim, rim, n);
  cm_preal len = cm_psqrt(cm_p3dot(rim, rim));
  if (len >= CM_PMINVAL) cm_p3scl(rim, rim, s2[0] / len);
  else { /* disc parallel to the plane */
    cm_p3col(rim, m2, 0);
    cm_p3scl(rim, rim, s2[0]);
  }
  cm_preal hrim = cm_p3dot(rim, n), hax = cosa * s2[1];
  cm_p3scl(ax, ax, s2[1]);

  int cnt = 0;
  cm_preal dist = dist0 + hax + hrim; /* the deepest rim point of the lower disc */
  if (dist > margin) return 0;
  cm_p3add(q, p2, rim);
  cm_p3add(q, q, ax);
  cm_plane_contact_at(q, n, dist, con + cnt++);

  dist = dist0 - hax + hrim; /* the same rim point on the upper disc */
  if (dist <= margin) {
    cm_p3add(q, p2, rim);
    cm_p3sub(q, q, ax);
    cm_plane_contact_at(q, n, dist, con + cnt++);
  }

  dist = dist0 + hax - hrim / 2; /* the triangle's two other corners on the lower disc */
  if (dist <= margin) {
    cm_preal side[3];
    cm_p3cross(side, rim, ax);
    cm_p3normalize(side);
    cm_p3scl(side, side, s2[0] * cm_psqrt((cm_preal)3) / 2);
    for (int sgn = 1; sgn >= -1; sgn -= 2) {
      cm_p3addscl(q, p2, side, (cm_preal)sgn);
      cm_p3add(q, q, ax);
      cm_p3addscl(q, q, rim, (cm_preal)-0.5);
      cm_plane_contact_at(q, n, dist, con + cnt++);
    }
  }
  return cnt;
}
#endif
