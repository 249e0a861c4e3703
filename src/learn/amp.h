/* AMP (MimicKit learning/amp_agent.py) as PPO plus a discriminator: its state, and the hooks ASE
 * and ADD reuse by pointer. ASE's and ADD's impl structs start with cm_amp, whose first member
 * is cm_ppo_params. */
#ifndef CM_LEARN_AMP_H
#define CM_LEARN_AMP_H
#include "learn/diff_norm.h"
#include "learn/disc.h"
#include "learn/ppo.h"
#include "learn/replay.h"

typedef struct cm_amp {
  cm_ppo_params ppo;
  /* yaml */
  char disc_net[64];
  int disc_buffer_size, disc_replay_samples, disc_batch_size;
  double disc_loss_weight, disc_logit_reg, disc_grad_penalty, disc_weight_decay, disc_reward_scale;
  double task_reward_weight, disc_reward_weight;
  /* model */
  int D;             /* disc_obs_dim */
  cm_disc disc;
  int diff;          /* ADD: inputs are demo - agent differences, normalized by dnorm */
  cm_normalizer norm; /* "_disc_obs_norm" (AMP, ASE), clip 10 */
  cm_diff_norm dnorm; /* "_disc_obs_norm" (ADD) */
  cm_replay replay;
  /* rollout: [T*N][D] on a->dev (host arrays on the CPU device) */
  float *disc_obs, *disc_obs_demo;
  /* [N][D] device rows a device env writes each step's disc_obs (ADD: and disc_obs_demo) into
   * (rl_env set_disc_out_dev), NULL until handed over; host staging of a host env's demo
   * fetch on a GPU (demo_h [T*N][D]) */
  float *step_d, *step_demo_d, *demo_h;
  int on_dev_steps; /* 1 once step_d is handed over: later device steps write there */
  char obs_name[48]; /* disc_obs in NaN guard lines: "discriminator observation" (ASE: its encoder's too) */
  float *disc_r;  /* [T*N] style reward of the last iteration (a->dev) */
  float *extra_d; /* [T*N] a method's extra reward (ASE's encoder reward, written there) */
  /* mini-batch rows and their normalized copies, [disc_batch_size + 1][D] device */
  float *mb_x, *mb_nx;
  int *idx_d; /* scratch of cm_amp_dev_idx, idx_cap */
  int idx_cap;
} cm_amp;

/* Reads AMP's keys and builds its state into *m (allocated by the caller as part of a->impl). */
int cm_amp_init(cm_agent *a, cm_amp *m, const cm_cfg *root, cm_err *err);
void cm_amp_destroy(cm_agent *a);
int cm_amp_params(cm_agent *a, cm_param **out, int max);
int cm_amp_save(cm_agent *a, struct cm_state_dict *sd, int with_train_state, cm_err *err);
int cm_amp_load(cm_agent *a, const struct cm_state_dict *sd, const char *src, cm_err *err);
int cm_amp_after_step(cm_agent *a, int slot, cm_err *err);
int cm_amp_update_normalizers(cm_agent *a, cm_err *err);
/* x [rows][D] (device) through the disc normalizer into y (device). */
void cm_amp_normalize(cm_amp *m, float *y, const float *x, int rows);
/* Style rewards of rows x (device, raw) into r [rows] (device). */
int cm_amp_disc_rewards(cm_agent *a, const float *x, int rows, float *r, cm_err *err);
/* _record_disc_demo_data: demo observations for the rollout, their normalizer record, replay. */
int cm_amp_record_demo(cm_agent *a, cm_err *err);
/* Mixes the style reward of disc rows x (device) into buf.reward (task_reward_weight, disc_reward_weight
 * and extra_w * extra when extra != NULL: [T*N] on a->dev); Disc_Reward_Mean/Std into out. */
int cm_amp_mix_rewards(cm_agent *a, const float *x, const float *extra, double extra_w, cm_stats *out, cm_err *err);
/* The AMP discriminator loss on a mini-batch (weighted by disc_loss_weight into *loss). */
/* idx's rows on the device: a->aux_idx_d, or idx uploaded into scratch (a caller outside the update) */
const int *cm_amp_dev_idx(cm_agent *a, const int *idx, int rows, cm_err *err);
int cm_amp_disc_loss(cm_agent *a, const int *idx, int rows, cm_aux_rec *rec, cm_err *err);
void cm_amp_disc_stats(cm_agent *a, const cm_aux_rec *rec, const double *its, double *loss, cm_stats *st);
/* mean and unbiased std (torch.std_mean) of n values */
void cm_mean_std(const float *x, int n, double *mean, double *std);
#endif
