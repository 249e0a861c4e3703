/* The settings of a DeepMimic environment that its per-environment functions read
 * (deepmimic_ref.h, deepmimic_obs.h, deepmimic_reward.h). Plain data of fixed size, parsed once
 * from the env yaml, so a GPU copy is the same struct. */
#ifndef CM_DEEPMIMIC_PARAMS_H
#define CM_DEEPMIMIC_PARAMS_H
#include <stdint.h>
#include "anim/char.h"
#include "core/hd.h"

#define CM_DM_MAX_TAR_STEPS 16
#define CM_DM_MAX_PHASE_ENC 16

typedef struct cm_dm_params {
  /* observation */
  int global_obs, root_height_obs;
  int enable_phase_obs, num_phase_encoding;
  int enable_tar_obs, num_tar_steps;
  int tar_obs_steps[CM_DM_MAX_TAR_STEPS]; /* control steps ahead of the current motion time */
  float control_dt;                       /* seconds per control step */
  int key_ids[CM_MAX_BODIES], num_keys;
  /* reward: weights w_* and scales s_* of the five terms */
  float w_pose, w_vel, w_root_pose, w_root_vel, w_key_pos;
  float s_pose, s_vel, s_root_pose, s_root_vel, s_key_pos;
  float joint_err_w[CM_MAX_BODIES]; /* per non-root body (entry b - 1 for body b) */
  float dof_err_w[CM_MAX_DOFS];     /* each dof gets its joint's weight */
  /* termination */
  float episode_length;                 /* seconds */
  int motion_end_succ;                  /* a clamp clip played to its end ends the episode (SUCC);
                                           deepmimic and add: 1, amp and its tasks: 0 */
  int enable_early_termination;
  int pose_termination;
  float pose_termination_dist;          /* metres */
  uint8_t contact_ok[CM_MAX_BODIES];    /* bodies allowed to touch the ground (contact_bodies) */
  int num_contact_bodies;
  float ground_contact_height;          /* a contact counts only for a body origin at or below this */
  /* resets and the reference character */
  int rand_reset;                       /* start at a random time of the clip (else at 0) */
  int visualize_ref_char;               /* write the reference pose into the engine's ref_* arrays */
  float ref_char_offset[3];             /* where the reference character stands beside the simulated one */
} cm_dm_params;

/* MimicKit tracks the global root position (reward, pose termination) only when the target
 * observation is given in world coordinates. */
CM_HD static inline int cm_dm_track_root(const cm_dm_params *p) { return p->enable_tar_obs && p->global_obs; }
#endif
