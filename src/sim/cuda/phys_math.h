/* Small math (cm_preal: float, or double for tests) for the cuda engine's physics, in
 * MuJoCo's conventions: quaternions w,x,y,z,
 * 3x3 matrices row-major, spatial vectors [angular(3), linear(3)]. CM_HD: host and device. */
#ifndef CM_PHYS_MATH_H
#define CM_PHYS_MATH_H
#include <math.h>
#include "core/hd.h"
#include "sim/cuda/phys_real.h"

#ifdef CM_PHYS_DOUBLE
#define cm_psin sin
#define cm_pcos cos
#else
#define cm_psin sinf
#define cm_pcos cosf
#endif

/* dot3, cross, mul_inert, inert_com, dot6 in cm_preal, and the same with suffix _m in
 * cm_preal_m (the mass-matrix path) */
#define CM_PS_T cm_preal
#define CM_PS_FN(name) name
#include "sim/cuda/phys_spatial_t.h"
#undef CM_PS_T
#undef CM_PS_FN
#define CM_PS_T cm_preal_m
#define CM_PS_FN(name) name##_m
#include "sim/cuda/phys_spatial_t.h"
#undef CM_PS_T
#undef CM_PS_FN

/* o = M a, M row-major 3x3 */
CM_HD static inline void cm_pm_mulmv(cm_preal *o, const cm_preal *M, const cm_preal *a) {
  cm_preal x = M[0] * a[0] + M[1] * a[1] + M[2] * a[2];
  cm_preal y = M[3] * a[0] + M[4] * a[1] + M[5] * a[2];
  cm_preal z = M[6] * a[0] + M[7] * a[1] + M[8] * a[2];
  o[0] = x; o[1] = y; o[2] = z;
}
/* o = M^T a */
CM_HD static inline void cm_pm_mulmtv(cm_preal *o, const cm_preal *M, const cm_preal *a) {
  cm_preal x = M[0] * a[0] + M[3] * a[1] + M[6] * a[2];
  cm_preal y = M[1] * a[0] + M[4] * a[1] + M[7] * a[2];
  cm_preal z = M[2] * a[0] + M[5] * a[1] + M[8] * a[2];
  o[0] = x; o[1] = y; o[2] = z;
}
CM_HD static inline void cm_pm_quat_mul(cm_preal *o, const cm_preal *a, const cm_preal *b) {
  cm_preal w = a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
  cm_preal x = a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2];
  cm_preal y = a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1];
  cm_preal z = a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0];
  o[0] = w; o[1] = x; o[2] = y; o[3] = z;
}
CM_HD static inline void cm_pm_quat_normalize(cm_preal *q) {
  cm_preal n = cm_psqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  if (n < 1e-20f) { q[0] = 1.f; q[1] = q[2] = q[3] = 0.f; return; }
  cm_preal s = 1.f / n;
  q[0] *= s; q[1] *= s; q[2] *= s; q[3] *= s;
}
CM_HD static inline void cm_pm_quat_to_mat(cm_preal *M, const cm_preal *q) {
  cm_preal w = q[0], x = q[1], y = q[2], z = q[3];
  M[0] = 1 - 2 * (y * y + z * z); M[1] = 2 * (x * y - w * z);     M[2] = 2 * (x * z + w * y);
  M[3] = 2 * (x * y + w * z);     M[4] = 1 - 2 * (x * x + z * z); M[5] = 2 * (y * z - w * x);
  M[6] = 2 * (x * z - w * y);     M[7] = 2 * (y * z + w * x);     M[8] = 1 - 2 * (x * x + y * y);
}
CM_HD static inline void cm_pm_quat_rotate(cm_preal *o, const cm_preal *q, const cm_preal *v) {
  cm_preal M[9];
  cm_pm_quat_to_mat(M, q);
  cm_pm_mulmv(o, M, v);
}
/* rotation by angle about a unit axis */
CM_HD static inline void cm_pm_axis_angle(cm_preal *q, const cm_preal *axis, cm_preal angle) {
  cm_preal s = cm_psin(0.5f * angle);
  q[0] = cm_pcos(0.5f * angle); q[1] = axis[0] * s; q[2] = axis[1] * s; q[3] = axis[2] * s;
}
/* q <- q * exp(w h / 2): integrates a body-frame angular velocity w over h (mju_quatIntegrate) */
CM_HD static inline void cm_pm_quat_integrate(cm_preal *q, const cm_preal *w, cm_preal h) {
  cm_preal n = cm_psqrt(cm_pm_dot3(w, w));
  if (n < 1e-20f) return;
  cm_preal axis[3] = {w[0] / n, w[1] / n, w[2] / n}, dq[4];
  cm_pm_axis_angle(dq, axis, n * h);
  cm_pm_quat_mul(q, q, dq);
  cm_pm_quat_normalize(q);
}

/* ---- spatial algebra (mju_crossMotion, mju_crossForce, mju_mulInertVec) ---- */

/* o = v x m: motion cross product, v = [w, u] */
CM_HD static inline void cm_pm_cross_motion(cm_preal *o, const cm_preal *v, const cm_preal *m) {
  cm_preal a[3], b[3];
  cm_pm_cross(o, v, m);
  cm_pm_cross(a, v, m + 3);
  cm_pm_cross(b, v + 3, m);
  o[3] = a[0] + b[0]; o[4] = a[1] + b[1]; o[5] = a[2] + b[2];
}
/* o = v x* f: force cross product */
CM_HD static inline void cm_pm_cross_force(cm_preal *o, const cm_preal *v, const cm_preal *f) {
  cm_preal a[3], b[3];
  cm_pm_cross(a, v, f);
  cm_pm_cross(b, v + 3, f + 3);
  o[0] = a[0] + b[0]; o[1] = a[1] + b[1]; o[2] = a[2] + b[2];
  cm_pm_cross(o + 3, v, f + 3);
}
#endif
