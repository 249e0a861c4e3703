/* The scalar of the GPU physics (float on the device; tests may build it as double) and the
 * small 3-vector / 3x3 helpers the contact and solver headers share.
 *
 * Define CM_PHYS_DOUBLE before the first include to make cm_preal a double (the MuJoCo
 * comparison tests do, to separate algorithm error from float rounding). Matrices are 3x3
 * row-major like MuJoCo's xmat: column k of a rotation is the body's k-th axis in world. */
#ifndef CM_PHYS_REAL_H
#define CM_PHYS_REAL_H
#include <math.h>
#include "core/hd.h"

#ifdef CM_PHYS_DOUBLE
typedef double cm_preal;
#define cm_psqrt sqrt
#define cm_pabs fabs
#define cm_ppow pow
#else
typedef float cm_preal;
#define cm_psqrt sqrtf
#define cm_pabs fabsf
#define cm_ppow powf
#endif

/* The scalar of the mass-matrix path (cinert, cdof, crb and the sums that form qM): cm_preal,
 * or double with -DCM_PHYS_M_DOUBLE. qM's small entries (distal dofs) are differences of
 * parallel-axis terms m |c - com|^2 that are large about the tree's centre of mass; in float the
 * cancellation leaves entry errors of eps x the largest entry, which M's conditioning turns into
 * ~9e-6 relative qacc_smooth error; double from the same float poses gives 2.6e-6 (rounded poses
 * are a slightly different configuration, a consistent one). engine-check passes either way
 * (docs/ENGINE.md, float32), so the device default stays float. */
#if defined(CM_PHYS_M_DOUBLE) || defined(CM_PHYS_DOUBLE)
typedef double cm_preal_m;
#else
typedef cm_preal cm_preal_m;
#endif
/* 1 when the mass-matrix path keeps its own copies of cinert and cdof (its scalar is wider) */
#define CM_PHYS_M_SEP (sizeof(cm_preal_m) != sizeof(cm_preal))

/* MuJoCo's mjMINVAL: the smallest value allowed in a denominator. */
#define CM_PMINVAL ((cm_preal)1e-15)

CM_HD static inline cm_preal cm_pmax(cm_preal a, cm_preal b) { return a > b ? a : b; }
CM_HD static inline cm_preal cm_pmin(cm_preal a, cm_preal b) { return a < b ? a : b; }
CM_HD static inline cm_preal cm_p3dot(const cm_preal *a, const cm_preal *b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
CM_HD static inline void cm_p3copy(cm_preal *o, const cm_preal *a) { o[0] = a[0]; o[1] = a[1]; o[2] = a[2]; }
CM_HD static inline void cm_p3zero(cm_preal *o) { o[0] = 0; o[1] = 0; o[2] = 0; }
CM_HD static inline void cm_p3sub(cm_preal *o, const cm_preal *a, const cm_preal *b) {
  o[0] = a[0] - b[0]; o[1] = a[1] - b[1]; o[2] = a[2] - b[2];
}
CM_HD static inline void cm_p3add(cm_preal *o, const cm_preal *a, const cm_preal *b) {
  o[0] = a[0] + b[0]; o[1] = a[1] + b[1]; o[2] = a[2] + b[2];
}
/* o = a + s b (o may alias a) */
CM_HD static inline void cm_p3addscl(cm_preal *o, const cm_preal *a, const cm_preal *b, cm_preal s) {
  o[0] = a[0] + s * b[0]; o[1] = a[1] + s * b[1]; o[2] = a[2] + s * b[2];
}
CM_HD static inline void cm_p3scl(cm_preal *o, const cm_preal *a, cm_preal s) {
  o[0] = a[0] * s; o[1] = a[1] * s; o[2] = a[2] * s;
}
CM_HD static inline void cm_p3cross(cm_preal *o, const cm_preal *a, const cm_preal *b) {
  cm_preal x = a[1] * b[2] - a[2] * b[1], y = a[2] * b[0] - a[0] * b[2], z = a[0] * b[1] - a[1] * b[0];
  o[0] = x; o[1] = y; o[2] = z;
}
/* Normalises v in place and returns its former length; a (near) zero vector becomes (1,0,0)
 * as in MuJoCo's mju_normalize3. */
CM_HD static inline cm_preal cm_p3normalize(cm_preal *v) {
  cm_preal n = cm_psqrt(cm_p3dot(v, v));
  if (n < CM_PMINVAL) {
    v[0] = 1; v[1] = 0; v[2] = 0;
  } else {
    cm_preal s = 1 / n;
    v[0] *= s; v[1] *= s; v[2] *= s;
  }
  return n;
}
/* o = R v (R row-major 3x3): a local vector to world */
CM_HD static inline void cm_p3rot(cm_preal *o, const cm_preal *R, const cm_preal *v) {
  cm_preal x = R[0] * v[0] + R[1] * v[1] + R[2] * v[2];
  cm_preal y = R[3] * v[0] + R[4] * v[1] + R[5] * v[2];
  cm_preal z = R[6] * v[0] + R[7] * v[1] + R[8] * v[2];
  o[0] = x; o[1] = y; o[2] = z;
}
/* o = R' v: a world vector to local */
CM_HD static inline void cm_p3rotT(cm_preal *o, const cm_preal *R, const cm_preal *v) {
  cm_preal x = R[0] * v[0] + R[3] * v[1] + R[6] * v[2];
  cm_preal y = R[1] * v[0] + R[4] * v[1] + R[7] * v[2];
  cm_preal z = R[2] * v[0] + R[5] * v[1] + R[8] * v[2];
  o[0] = x; o[1] = y; o[2] = z;
}
/* column k of R: the geom's k-th local axis in world */
CM_HD static inline void cm_p3col(cm_preal *o, const cm_preal *R, int k) { o[0] = R[k]; o[1] = R[3 + k]; o[2] = R[6 + k]; }
#endif
