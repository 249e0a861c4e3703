/* Spatial-inertia helpers written once for a scalar type and instantiated twice by
 * phys_math.h: CM_PS_T cm_preal with the plain names (cm_pm_cross ...), and CM_PS_T cm_preal_m
 * with the names suffixed _m, for the mass-matrix path (phys_real.h says why it is double).
 * Inputs that are poses (a principal frame R, principal inertia diag, mass) are cm_preal in
 * both. No include guard: phys_math.h includes it once per type, with CM_PS_T and CM_PS_FN
 * defined. */

CM_HD static inline CM_PS_T CM_PS_FN(cm_pm_dot3)(const CM_PS_T *a, const CM_PS_T *b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
CM_HD static inline void CM_PS_FN(cm_pm_cross)(CM_PS_T *o, const CM_PS_T *a, const CM_PS_T *b) {
  CM_PS_T x = a[1] * b[2] - a[2] * b[1], y = a[2] * b[0] - a[0] * b[2], z = a[0] * b[1] - a[1] * b[0];
  o[0] = x; o[1] = y; o[2] = z;
}
/* o = I v for a spatial inertia in MuJoCo's 10-vector form:
 * [Ixx Iyy Izz Ixy Ixz Iyz (about the frame origin), m*c (3), m] */
CM_HD static inline void CM_PS_FN(cm_pm_mul_inert)(CM_PS_T *o, const CM_PS_T *I, const CM_PS_T *v) {
  o[0] = I[0] * v[0] + I[3] * v[1] + I[4] * v[2] - I[8] * v[4] + I[7] * v[5];
  o[1] = I[3] * v[0] + I[1] * v[1] + I[5] * v[2] + I[8] * v[3] - I[6] * v[5];
  o[2] = I[4] * v[0] + I[5] * v[1] + I[2] * v[2] - I[7] * v[3] + I[6] * v[4];
  o[3] = I[8] * v[1] - I[7] * v[2] + I[9] * v[3];
  o[4] = I[6] * v[2] - I[8] * v[0] + I[9] * v[4];
  o[5] = I[7] * v[0] - I[6] * v[1] + I[9] * v[5];
}
/* The 10-vector of a body: principal inertia diag in the frame R (row-major, columns = axes),
 * centre of mass at offset d from the reference point, mass m (parallel-axis theorem). */
CM_HD static inline void CM_PS_FN(cm_pm_inert_com)(CM_PS_T *o, const cm_preal *diag, const cm_preal *R, const CM_PS_T *d,
                                                   cm_preal m) {
  CM_PS_T I[9];
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      I[3 * r + c] = (CM_PS_T)R[3 * r] * diag[0] * R[3 * c] + (CM_PS_T)R[3 * r + 1] * diag[1] * R[3 * c + 1] +
                     (CM_PS_T)R[3 * r + 2] * diag[2] * R[3 * c + 2];
  CM_PS_T dd = CM_PS_FN(cm_pm_dot3)(d, d), mm = m;
  o[0] = I[0] + mm * (dd - d[0] * d[0]);
  o[1] = I[4] + mm * (dd - d[1] * d[1]);
  o[2] = I[8] + mm * (dd - d[2] * d[2]);
  o[3] = I[1] - mm * d[0] * d[1];
  o[4] = I[2] - mm * d[0] * d[2];
  o[5] = I[5] - mm * d[1] * d[2];
  o[6] = mm * d[0]; o[7] = mm * d[1]; o[8] = mm * d[2];
  o[9] = mm;
}
CM_HD static inline CM_PS_T CM_PS_FN(cm_pm_dot6)(const CM_PS_T *a, const CM_PS_T *b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5];
}
