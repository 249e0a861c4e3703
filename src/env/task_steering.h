/* The steering task of one environment (MimicKit task_steering_env), CPU and GPU: move along a
 * commanded direction at a commanded speed while facing a commanded direction.
 *   draws: direction angle uniform in [-pi, pi) (0 without rand_tar_dir), facing angle likewise
 *     (equal to the direction without rand_face_dir), speed uniform in [tar_speed_min, tar_speed_max].
 *   task obs (5): the direction in the root's heading frame (x, y), the speed, the facing
 *     direction in the heading frame (x, y).
 *   reward = tar_w r_tar + face_w r_face, with v the horizontal root velocity over the step:
 *     r_tar = exp(-vel_scale |speed dir - v|^2), 0 when dir . v < 0;
 *     r_face = max(face . facing, 0), facing = the heading's x axis.
 * Test figures per step: speed error |speed - dir . v| (m/s) and heading error, the angle
 * between the facing direction and the commanded one (rad). */
#ifndef CM_TASK_STEERING_H
#define CM_TASK_STEERING_H
#include <math.h>
#include "core/hd.h"
#include "core/quat.h"
#include "core/rng.h"

#define CM_STEER_OBS_DIM 5
#define CM_STEER_RNG_STREAM 0x53544552u

typedef struct cm_steer_params {
  int rand_tar_dir, rand_face_dir;
  float tar_speed_min, tar_speed_max; /* tar_change_time_min/max: read by the task env core */
  float tar_w, face_w, vel_scale, dt;
} cm_steer_params;

/* One env's command: dir 2, face 2, speed. */
CM_HD static inline void cm_steer_draw(const cm_steer_params *p, cm_rng *rng, float *dir, float *face, float *speed) {
  float theta = p->rand_tar_dir ? 2.f * CM_PI * cm_rng_uniform(rng) - CM_PI : 0.f;
  float face_theta = p->rand_face_dir ? 2.f * CM_PI * cm_rng_uniform(rng) - CM_PI : theta;
  dir[0] = cosf(theta);
  dir[1] = sinf(theta);
  face[0] = cosf(face_theta);
  face[1] = sinf(face_theta);
  *speed = p->tar_speed_min + (p->tar_speed_max - p->tar_speed_min) * cm_rng_uniform(rng);
}

CM_HD static inline int cm_steer_obs(const float *root_rot, const float *dir, float speed, const float *face,
                                     float *out) {
  float h[4], v[3];
  cm_q_heading_inv(h, root_rot);
  float d3[3] = {dir[0], dir[1], 0.f}, f3[3] = {face[0], face[1], 0.f};
  cm_q_rotate(v, h, d3);
  out[0] = v[0];
  out[1] = v[1];
  out[2] = speed;
  cm_q_rotate(v, h, f3);
  out[3] = v[0];
  out[4] = v[1];
  return CM_STEER_OBS_DIM;
}

/* The horizontal root velocity over the step. */
CM_HD static inline void cm_steer_vel(const cm_steer_params *p, const float *root_pos, const float *prev, float *v) {
  v[0] = (root_pos[0] - prev[0]) / p->dt;
  v[1] = (root_pos[1] - prev[1]) / p->dt;
}

CM_HD static inline float cm_steer_reward(const cm_steer_params *p, const float *root_pos, const float *prev,
                                          const float *root_rot, const float *dir, float speed, const float *face) {
  float v[2];
  cm_steer_vel(p, root_pos, prev, v);
  float ex = speed * dir[0] - v[0], ey = speed * dir[1] - v[1];
  float r_tar = dir[0] * v[0] + dir[1] * v[1] < 0.f ? 0.f : expf(-p->vel_scale * (ex * ex + ey * ey));
  float heading = cm_q_heading(root_rot);
  float r_face = fmaxf(face[0] * cosf(heading) + face[1] * sinf(heading), 0.f);
  return p->tar_w * r_tar + p->face_w * r_face;
}

/* out[0] speed error, out[1] heading error (see the file comment). */
CM_HD static inline void cm_steer_errors(const cm_steer_params *p, const float *root_pos, const float *prev,
                                         const float *root_rot, const float *dir, float speed, const float *face,
                                         float *out) {
  float v[2];
  cm_steer_vel(p, root_pos, prev, v);
  out[0] = fabsf(speed - (dir[0] * v[0] + dir[1] * v[1]));
  float heading = cm_q_heading(root_rot);
  float c = face[0] * cosf(heading) + face[1] * sinf(heading);
  out[1] = acosf(fminf(fmaxf(c, -1.f), 1.f));
}
#endif
