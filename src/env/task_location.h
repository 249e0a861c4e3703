/* The location task of one environment (MimicKit task_location_env), CPU and GPU: reach a
 * target on the ground drawn uniformly in a disc of radius tar_dist_max around the character.
 *   task obs (2): the target relative to the root, in the root's heading frame, x and y.
 *   reward = 0.5 exp(-0.5 d^2) + 0.4 r_vel + 0.1 r_face, with d the horizontal distance,
 *     u the unit direction to the target, v the root velocity over the step (displacement/dt):
 *     r_vel = exp(-4 max(tar_speed - u.v, 0)^2), 0 when u.v <= 0;
 *     r_face = max(u . facing, 0), facing = the heading's x axis;
 *     both 1 once d^2 < 0.5 (MimicKit compares the squared distance with 0.5).
 * In test mode a target counts as reached when the root comes within CM_LOC_SUCCESS_DIST
 * (horizontally) before it changes or the episode ends. */
#ifndef CM_TASK_LOCATION_H
#define CM_TASK_LOCATION_H
#include <math.h>
#include "core/hd.h"
#include "core/quat.h"
#include "core/rng.h"

#define CM_LOC_OBS_DIM 2
#define CM_LOC_SUCCESS_DIST 0.5f
#define CM_LOC_RNG_STREAM 0x4c4f4354u

typedef struct cm_loc_params {
  float tar_speed, tar_dist_max, dt; /* tar_change_time_min/max: read by the task env core */
} cm_loc_params;

CM_HD static inline void cm_loc_draw_target(const cm_loc_params *p, const float *root_pos, cm_rng *rng, float *tar) {
  float dist = p->tar_dist_max * cm_rng_uniform(rng);
  float theta = 2.f * CM_PI * cm_rng_uniform(rng);
  tar[0] = root_pos[0] + dist * cosf(theta);
  tar[1] = root_pos[1] + dist * sinf(theta);
  tar[2] = 0.f;
}

CM_HD static inline int cm_loc_obs(const float *root_pos, const float *root_rot, const float *tar, float *out) {
  float h[4], d[3];
  cm_q_heading_inv(h, root_rot);
  cm_v3_sub(d, tar, root_pos);
  cm_q_rotate(d, h, d);
  out[0] = d[0];
  out[1] = d[1];
  return CM_LOC_OBS_DIM;
}

CM_HD static inline float cm_loc_dist(const float *root_pos, const float *tar) {
  float dx = tar[0] - root_pos[0], dy = tar[1] - root_pos[1];
  return sqrtf(dx * dx + dy * dy);
}

CM_HD static inline float cm_loc_reward(const cm_loc_params *p, const float *root_pos, const float *prev_root_pos,
                                        const float *root_rot, const float *tar) {
  float dx = tar[0] - root_pos[0], dy = tar[1] - root_pos[1];
  float err = dx * dx + dy * dy, len = sqrtf(err);
  float ux = len > 1e-12f ? dx / len : 0.f, uy = len > 1e-12f ? dy / len : 0.f;
  float vx = (root_pos[0] - prev_root_pos[0]) / p->dt, vy = (root_pos[1] - prev_root_pos[1]) / p->dt;
  float speed = ux * vx + uy * vy;
  float vel_err = fmaxf(p->tar_speed - speed, 0.f);
  float r_vel = speed > 0.f ? expf(-4.f * vel_err * vel_err) : 0.f;
  float heading = cm_q_heading(root_rot);
  float r_face = fmaxf(ux * cosf(heading) + uy * sinf(heading), 0.f);
  if (err < 0.5f) r_vel = r_face = 1.f;
  return 0.5f * expf(-0.5f * err) + 0.4f * r_vel + 0.1f * r_face;
}
#endif
