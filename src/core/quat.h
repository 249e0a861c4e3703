/* Small vector and quaternion math on floats, shared by CPU and GPU code.
 * Quaternions are stored x, y, z, w (MimicKit's order); exp-maps are axis * angle. */
#ifndef CM_QUAT_H
#define CM_QUAT_H
#include <math.h>
#include "core/hd.h"

#define CM_PI 3.14159265358979323846f

CM_HD static inline void cm_v3_set(float *o, float x, float y, float z) { o[0] = x; o[1] = y; o[2] = z; }
CM_HD static inline void cm_v3_copy(float *o, const float *a) { o[0] = a[0]; o[1] = a[1]; o[2] = a[2]; }
CM_HD static inline void cm_v3_add(float *o, const float *a, const float *b) {
  o[0] = a[0] + b[0]; o[1] = a[1] + b[1]; o[2] = a[2] + b[2];
}
CM_HD static inline void cm_v3_sub(float *o, const float *a, const float *b) {
  o[0] = a[0] - b[0]; o[1] = a[1] - b[1]; o[2] = a[2] - b[2];
}
CM_HD static inline void cm_v3_scale(float *o, const float *a, float s) { o[0] = a[0] * s; o[1] = a[1] * s; o[2] = a[2] * s; }
CM_HD static inline float cm_v3_dot(const float *a, const float *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
CM_HD static inline float cm_v3_norm(const float *a) { return sqrtf(cm_v3_dot(a, a)); }
CM_HD static inline void cm_v3_cross(float *o, const float *a, const float *b) {
  float x = a[1] * b[2] - a[2] * b[1], y = a[2] * b[0] - a[0] * b[2], z = a[0] * b[1] - a[1] * b[0];
  o[0] = x; o[1] = y; o[2] = z;
}

CM_HD static inline void cm_q_identity(float *q) { q[0] = 0.f; q[1] = 0.f; q[2] = 0.f; q[3] = 1.f; }
CM_HD static inline void cm_q_copy(float *o, const float *q) { o[0] = q[0]; o[1] = q[1]; o[2] = q[2]; o[3] = q[3]; }
CM_HD static inline void cm_q_conj(float *o, const float *q) { o[0] = -q[0]; o[1] = -q[1]; o[2] = -q[2]; o[3] = q[3]; }

/* o = a * b (apply b first, then a). o may alias a or b. */
CM_HD static inline void cm_q_mul(float *o, const float *a, const float *b) {
  float x = a[3] * b[0] + a[0] * b[3] + a[1] * b[2] - a[2] * b[1];
  float y = a[3] * b[1] - a[0] * b[2] + a[1] * b[3] + a[2] * b[0];
  float z = a[3] * b[2] + a[0] * b[1] - a[1] * b[0] + a[2] * b[3];
  float w = a[3] * b[3] - a[0] * b[0] - a[1] * b[1] - a[2] * b[2];
  o[0] = x; o[1] = y; o[2] = z; o[3] = w;
}

CM_HD static inline void cm_q_normalize(float *q) {
  float n = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  if (n < 1e-12f) { cm_q_identity(q); return; }
  float s = 1.f / n;
  q[0] *= s; q[1] *= s; q[2] *= s; q[3] *= s;
}

/* Picks the representative with w >= 0. */
CM_HD static inline void cm_q_pos(float *q) {
  if (q[3] < 0.f) { q[0] = -q[0]; q[1] = -q[1]; q[2] = -q[2]; q[3] = -q[3]; }
}

/* o = q v q^-1. o may alias v. */
CM_HD static inline void cm_q_rotate(float *o, const float *q, const float *v) {
  float t[3], u[3];
  cm_v3_cross(t, q, v);
  cm_v3_scale(t, t, 2.f);
  cm_v3_cross(u, q, t);
  o[0] = v[0] + q[3] * t[0] + u[0];
  o[1] = v[1] + q[3] * t[1] + u[1];
  o[2] = v[2] + q[3] * t[2] + u[2];
}

CM_HD static inline void cm_q_rotate_inv(float *o, const float *q, const float *v) {
  float c[4];
  cm_q_conj(c, q);
  cm_q_rotate(o, c, v);
}

CM_HD static inline void cm_q_from_axis_angle(float *q, const float *axis, float angle) {
  float s = sinf(0.5f * angle);
  q[0] = axis[0] * s; q[1] = axis[1] * s; q[2] = axis[2] * s; q[3] = cosf(0.5f * angle);
}

CM_HD static inline void cm_exp_map_to_quat(float *q, const float *e) {
  float angle = cm_v3_norm(e);
  if (angle < 1e-8f) {
    /* first-order: q ~ (e/2, 1) keeps small rotations exact to O(angle^2) */
    q[0] = 0.5f * e[0]; q[1] = 0.5f * e[1]; q[2] = 0.5f * e[2]; q[3] = 1.f;
    cm_q_normalize(q);
    return;
  }
  float axis[3];
  cm_v3_scale(axis, e, 1.f / angle);
  cm_q_from_axis_angle(q, axis, angle);
}

/* Axis * angle with angle in [0, pi]. */
CM_HD static inline void cm_quat_to_exp_map(float *e, const float *qin) {
  float q[4];
  cm_q_copy(q, qin);
  cm_q_normalize(q);
  cm_q_pos(q);
  float s = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
  float angle = 2.f * atan2f(s, q[3]);
  float k = (s > 1e-7f) ? angle / s : 2.f; /* small-angle limit: angle/s -> 2 */
  e[0] = q[0] * k; e[1] = q[1] * k; e[2] = q[2] * k;
}

/* Angle of the twist of q about a unit axis (swing-twist decomposition), in (-pi, pi]. */
CM_HD static inline float cm_q_twist_angle(const float *q, const float *axis) {
  float p = q[0] * axis[0] + q[1] * axis[1] + q[2] * axis[2];
  float angle = 2.f * atan2f(p, q[3]);
  if (angle > CM_PI) angle -= 2.f * CM_PI;
  if (angle < -CM_PI) angle += 2.f * CM_PI;
  return angle;
}

CM_HD static inline void cm_q_slerp(float *o, const float *a, const float *bin, float t) {
  float b[4] = {bin[0], bin[1], bin[2], bin[3]};
  float c = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  if (c < 0.f) { b[0] = -b[0]; b[1] = -b[1]; b[2] = -b[2]; b[3] = -b[3]; c = -c; }
  float wa, wb;
  if (c > 0.9995f) {
    wa = 1.f - t; wb = t;
  } else {
    float th = acosf(c), s = sinf(th);
    wa = sinf((1.f - t) * th) / s;
    wb = sinf(t * th) / s;
  }
  for (int i = 0; i < 4; i++) o[i] = wa * a[i] + wb * b[i];
  cm_q_normalize(o);
}

/* Row-major 3x3 rotation matrix. */
CM_HD static inline void cm_q_to_mat(float *m, const float *q) {
  float x = q[0], y = q[1], z = q[2], w = q[3];
  m[0] = 1 - 2 * (y * y + z * z); m[1] = 2 * (x * y - z * w);     m[2] = 2 * (x * z + y * w);
  m[3] = 2 * (x * y + z * w);     m[4] = 1 - 2 * (x * x + z * z); m[5] = 2 * (y * z - x * w);
  m[6] = 2 * (x * z - y * w);     m[7] = 2 * (y * z + x * w);     m[8] = 1 - 2 * (x * x + y * y);
}

CM_HD static inline void cm_mat_to_q(float *q, const float *m) {
  float tr = m[0] + m[4] + m[8];
  if (tr > 0.f) {
    float s = sqrtf(tr + 1.f) * 2.f;
    q[3] = 0.25f * s; q[0] = (m[7] - m[5]) / s; q[1] = (m[2] - m[6]) / s; q[2] = (m[3] - m[1]) / s;
  } else if (m[0] > m[4] && m[0] > m[8]) {
    float s = sqrtf(1.f + m[0] - m[4] - m[8]) * 2.f;
    q[3] = (m[7] - m[5]) / s; q[0] = 0.25f * s; q[1] = (m[1] + m[3]) / s; q[2] = (m[2] + m[6]) / s;
  } else if (m[4] > m[8]) {
    float s = sqrtf(1.f + m[4] - m[0] - m[8]) * 2.f;
    q[3] = (m[2] - m[6]) / s; q[0] = (m[1] + m[3]) / s; q[1] = 0.25f * s; q[2] = (m[5] + m[7]) / s;
  } else {
    float s = sqrtf(1.f + m[8] - m[0] - m[4]) * 2.f;
    q[3] = (m[3] - m[1]) / s; q[0] = (m[2] + m[6]) / s; q[1] = (m[5] + m[7]) / s; q[2] = 0.25f * s;
  }
  cm_q_normalize(q);
}

/* Tangent and normal: the rotated x axis and z axis, 6 numbers (MimicKit's joint-rotation obs). */
CM_HD static inline void cm_q_to_tan_norm(float *o, const float *q) {
  const float ex[3] = {1.f, 0.f, 0.f}, ez[3] = {0.f, 0.f, 1.f};
  cm_q_rotate(o, q, ex);
  cm_q_rotate(o + 3, q, ez);
}

/* Heading: yaw of the rotated x axis about world z (z-up). */
CM_HD static inline float cm_q_heading(const float *q) {
  const float ex[3] = {1.f, 0.f, 0.f};
  float d[3];
  cm_q_rotate(d, q, ex);
  return atan2f(d[1], d[0]);
}

/* Rotation about z by minus the heading: takes world vectors into the heading frame. */
CM_HD static inline void cm_q_heading_inv(float *o, const float *q) {
  const float ez[3] = {0.f, 0.f, 1.f};
  cm_q_from_axis_angle(o, ez, -cm_q_heading(q));
}
#endif
