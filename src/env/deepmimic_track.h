/* MimicKit's seven-part tracking error of one environment (deepmimic_env compute_tracking_error),
 * CPU and GPU, and its running mean over the test steps (MimicKit's StatsTracker):
 *   0 root_pos_err      |reference root position - simulated|                 (m)
 *   1 root_rot_err      angle between the root rotations                      (rad)
 *   2 body_pos_err      mean over bodies of |(body - root) error|             (m)
 *   3 body_rot_err      mean over bodies of the angle between body rotations  (rad)
 *   4 dof_vel_err       mean over dofs of |dof velocity error|                (rad/s)
 *   5 root_vel_err      mean over x, y, z of |root velocity error|            (m/s)
 *   6 root_ang_vel_err  mean over x, y, z of |root angular velocity error|    (rad/s)
 * Logged as MimicKit logs its env diagnostics: the key title-cased (Root_Pos_Err ...). */
#ifndef CM_DEEPMIMIC_TRACK_H
#define CM_DEEPMIMIC_TRACK_H
#include <math.h>
#include "anim/kin.h"
#include "core/hd.h"
#include "core/quat.h"
#include "env/deepmimic_ref.h"
#include "env/deepmimic_reward.h"

#define CM_DM_NUM_TRACK_ERR 7

static const char *const cm_dm_track_keys[CM_DM_NUM_TRACK_ERR] = {
    "Root_Pos_Err", "Root_Rot_Err", "Body_Pos_Err", "Body_Rot_Err", "Dof_Vel_Err", "Root_Vel_Err", "Root_Ang_Vel_Err"};

/* Running sums of the errors over (env, step) records; last holds the previous report's means. */
typedef struct cm_dm_track {
  double sum[CM_DM_NUM_TRACK_ERR], last[CM_DM_NUM_TRACK_ERR];
  long count;
  float *scratch; /* [N][7] per-env errors of one record */
} cm_dm_track;

/* Adds records to the running sums: rows k < n of errs ([n][7]), skipping those with
 * mask[k] < 0 (mask NULL: all), in row order on one thread, so the figure depends neither on
 * the thread count nor on the device that computed the rows. */
static inline void cm_dm_track_add(cm_dm_track *t, const float *errs, const int *mask, int n) {
  for (int k = 0; k < n; k++) {
    if (mask && mask[k] < 0) continue;
    for (int j = 0; j < CM_DM_NUM_TRACK_ERR; j++) t->sum[j] += errs[CM_DM_NUM_TRACK_ERR * k + j];
    t->count++;
  }
}

/* Env i's errors from the engine state and its reference buffers. */
CM_HD static inline void cm_dm_tracking_error(const cm_char *c, const cm_sim_state *s, const cm_dm_buf *b, int i,
                                              float *out) {
  int B = c->num_bodies, D = c->num_dofs;
  const float *rp = s->root_pos + 3 * i, *rr = s->root_rot + 4 * i;
  const float *bp = s->body_pos + (long)3 * B * i, *br = s->body_rot + (long)4 * B * i;
  const float *trp = b->root_pos + 3 * i, *trr = b->root_rot + 4 * i;
  float tbp[CM_MAX_BODIES * 3], tbr[CM_MAX_BODIES * 4], d[3];
  cm_kin_fk(c, trp, trr, b->joint_rot + (long)4 * (B - 1) * i, tbp, tbr);
  cm_v3_sub(d, trp, rp);
  out[0] = cm_v3_norm(d);
  out[1] = cm_dm_quat_diff_angle(rr, trr);
  float pos = 0.f, rot = 0.f;
  for (int k = 0; k < B; k++) {
    float a[3], t[3];
    cm_v3_sub(a, bp + 3 * k, rp);
    cm_v3_sub(t, tbp + 3 * k, trp);
    cm_v3_sub(d, t, a);
    pos += cm_v3_norm(d);
    rot += cm_dm_quat_diff_angle(br + 4 * k, tbr + 4 * k);
  }
  out[2] = pos / (float)B;
  out[3] = rot / (float)B;
  float dv = 0.f;
  for (int k = 0; k < D; k++) dv += fabsf(b->dof_vel[(long)D * i + k] - s->dof_vel[(long)D * i + k]);
  out[4] = D > 0 ? dv / (float)D : 0.f;
  float v = 0.f, w = 0.f;
  for (int k = 0; k < 3; k++) {
    v += fabsf(b->root_vel[3 * i + k] - s->root_vel[3 * i + k]);
    w += fabsf(b->root_ang_vel[3 * i + k] - s->root_ang_vel[3 * i + k]);
  }
  out[5] = v / 3.f;
  out[6] = w / 3.f;
}
#endif
