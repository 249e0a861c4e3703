/* Per-query motion library evaluation (CPU and GPU): clip sampling, phase, and the
 * interpolated reference frame at a time, with MimicKit's MotionLib semantics:
 * - phase = time / length; wrap clips take its fractional part; then it is clamped to [0, 1];
 * - frame index = floor(phase * (n - 1)), the next one capped at n - 1, blend = the remainder;
 * - root position lerps, root and joint rotations slerp, velocities come from the earlier
 *   frame as they are (no blending);
 * - wrap clips add floor(time / length) * root_pos_delta to the root position, so a looped walk
 *   keeps travelling forward; clamp clips hold their last frame past the end. */
#ifndef CM_MOTION_LIB_EVAL_H
#define CM_MOTION_LIB_EVAL_H
#include <math.h>
#include "anim/char.h"
#include "anim/kin.h"
#include "anim/motion.h"
#include "anim/motion_lib.h"
#include "core/hd.h"
#include "core/quat.h"
#include "core/rng.h"

/* The motion whose weight interval holds u in [0, 1): the first m with cdf[m] > u. Motions with
 * weight 0 are never picked. */
CM_HD static inline int cm_mlib_sample_motion_u(const cm_motion_lib_view *v, float u) {
  int lo = 0, hi = v->num_motions - 1;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (v->weight_cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

CM_HD static inline int cm_mlib_sample_motion(const cm_motion_lib_view *v, cm_rng *rng) {
  return cm_mlib_sample_motion_u(v, cm_rng_uniform(rng));
}

/* Uniform time in [0, length - truncate_time) (0 if the clip is shorter than truncate_time). */
CM_HD static inline float cm_mlib_sample_time(const cm_motion_lib_view *v, int motion, float truncate_time,
                                              cm_rng *rng) {
  float len = v->length[motion] - truncate_time;
  if (len < 0.f) len = 0.f;
  return cm_rng_uniform(rng) * len;
}

CM_HD static inline float cm_mlib_phase(const cm_motion_lib_view *v, int motion, float time) {
  float phase = time / v->length[motion];
  if (v->loop_mode[motion] == CM_LOOP_WRAP) phase -= floorf(phase);
  return fminf(fmaxf(phase, 0.f), 1.f);
}

/* Global indices of the two frames around time and the blend weight of the second. */
CM_HD static inline void cm_mlib_frame_blend(const cm_motion_lib_view *v, int motion, float time, int *f0, int *f1,
                                             float *blend) {
  int n = v->num_frames[motion];
  float x = cm_mlib_phase(v, motion, time) * (float)(n - 1);
  int i0 = (int)x;
  if (i0 > n - 1) i0 = n - 1;
  int i1 = i0 + 1 < n ? i0 + 1 : n - 1;
  *blend = x - (float)i0;
  *f0 = v->start[motion] + i0;
  *f1 = v->start[motion] + i1;
}

/* floor(time / length) * root_pos_delta for wrap clips, zero otherwise. */
CM_HD static inline void cm_mlib_loop_offset(const cm_motion_lib_view *v, int motion, float time, float *offset) {
  if (v->loop_mode[motion] != CM_LOOP_WRAP) { cm_v3_set(offset, 0.f, 0.f, 0.f); return; }
  float cycles = floorf(time / v->length[motion]);
  cm_v3_scale(offset, v->root_pos_delta + 3 * motion, cycles);
}

/* The reference frame of motion at time. Outputs: root_pos 3, root_rot 4, root_vel 3,
 * root_ang_vel 3, joint_rot num_joints * 4, dof_vel num_dofs; any of them may be NULL. */
CM_HD static inline void cm_mlib_calc_frame(const cm_motion_lib_view *v, int motion, float time, float *root_pos,
                                            float *root_rot, float *root_vel, float *root_ang_vel, float *joint_rot,
                                            float *dof_vel) {
  int f0, f1;
  float blend;
  cm_mlib_frame_blend(v, motion, time, &f0, &f1, &blend);
  if (root_pos) {
    const float *p0 = v->root_pos + 3 * f0, *p1 = v->root_pos + 3 * f1;
    float off[3];
    cm_mlib_loop_offset(v, motion, time, off);
    for (int k = 0; k < 3; k++) root_pos[k] = (1.f - blend) * p0[k] + blend * p1[k] + off[k];
  }
  if (root_rot) cm_q_slerp(root_rot, v->root_rot + 4 * f0, v->root_rot + 4 * f1, blend);
  if (root_vel) cm_v3_copy(root_vel, v->root_vel + 3 * f0);
  if (root_ang_vel) cm_v3_copy(root_ang_vel, v->root_ang_vel + 3 * f0);
  if (joint_rot) {
    const float *a = v->joint_rot + (long)f0 * v->num_joints * 4, *b = v->joint_rot + (long)f1 * v->num_joints * 4;
    for (int j = 0; j < v->num_joints; j++) cm_q_slerp(joint_rot + 4 * j, a + 4 * j, b + 4 * j, blend);
  }
  if (dof_vel) {
    const float *d = v->dof_vel + (long)f0 * v->num_dofs;
    for (int k = 0; k < v->num_dofs; k++) dof_vel[k] = d[k];
  }
}

/* Joint rotations -> the character's dofs (hinges: twist angle about the axis; spheres: exp-map). */
CM_HD static inline void cm_mlib_joint_rot_to_dof(const cm_char *c, const float *joint_rot, float *dof) {
  cm_kin_rot_to_dof(c, joint_rot, dof);
}
#endif
