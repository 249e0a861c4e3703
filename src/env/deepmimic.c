/* deepmimic: the character imitates a reference motion clip (MimicKit's DeepMimicEnv).
 * Episodes start in the reference state at a random time of a clip drawn by weight; every
 * step the reference frame at the env's motion time gives the target observation, the
 * tracking reward and pose termination. The per-environment work lives in deepmimic_ref.h,
 * deepmimic_obs.h and deepmimic_reward.h; this file parses the yaml and drives those functions
 * over the envs with the thread pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anim/motion_lib.h"
#include "env/deepmimic.h"
#include "env/deepmimic_obs.h"
#include "env/deepmimic_ref.h"
#include "env/deepmimic_reward.h"
#include "env/env.h"

typedef cm_dm_env deepmimic;

static const char *const k_keys[] = {
    "motion_file", "enable_early_termination", "contact_bodies", "pose_termination", "pose_termination_dist",
    "enable_phase_obs", "num_phase_encoding", "enable_tar_obs", "tar_obs_steps", "rand_reset", "ref_char_offset",
    "visualize_ref_char", "log_tracking_error", "joint_err_w", "reward_pose_w", "reward_vel_w", "reward_root_pose_w",
    "reward_root_vel_w", "reward_key_pos_w", "reward_pose_scale", "reward_vel_scale", "reward_root_pose_scale",
    "reward_root_vel_scale", "reward_key_pos_scale", NULL};

void cm_dm_env_setup(cm_env *e, cm_engine_cfg *cfg, cm_engine_opts *opts) {
  (void)e; (void)cfg;
  opts->with_ref_char = 1; /* init turns it off again when visualize_ref_char is false */
}

/* A yaml float that MimicKit reads without a default (it would fail on None). */
static int required_float(const cm_cfg *cfg, const char *key, float *out, cm_err *err) {
  double v = 0;
  if (cm_cfg_require(cfg, key, err) || cm_cfg_float(cfg, key, 0, &v, err)) return -1;
  *out = (float)v;
  return 0;
}

static int parse_rewards(cm_dm_params *p, const cm_cfg *cfg, cm_err *err) {
  return required_float(cfg, "reward_pose_w", &p->w_pose, err) || required_float(cfg, "reward_vel_w", &p->w_vel, err) ||
         required_float(cfg, "reward_root_pose_w", &p->w_root_pose, err) ||
         required_float(cfg, "reward_root_vel_w", &p->w_root_vel, err) ||
         required_float(cfg, "reward_key_pos_w", &p->w_key_pos, err) ||
         required_float(cfg, "reward_pose_scale", &p->s_pose, err) ||
         required_float(cfg, "reward_vel_scale", &p->s_vel, err) ||
         required_float(cfg, "reward_root_pose_scale", &p->s_root_pose, err) ||
         required_float(cfg, "reward_root_vel_scale", &p->s_root_vel, err) ||
         required_float(cfg, "reward_key_pos_scale", &p->s_key_pos, err)
             ? -1
             : 0;
}

/* joint_err_w: one weight per non-root body (default 1); each dof takes its joint's weight. */
static int parse_joint_err_w(cm_dm_params *p, const cm_char *c, const cm_cfg *cfg, cm_err *err) {
  char w_at[1200];
  int nj = c->num_bodies - 1;
  for (int j = 0; j < nj; j++) p->joint_err_w[j] = 1.f;
  if (cm_cfg_get(cfg, "joint_err_w") && !cm_cfg_is_null(cm_cfg_get(cfg, "joint_err_w"))) {
    double w[CM_MAX_BODIES];
    int n = 0;
    if (cm_cfg_floats(cfg, "joint_err_w", w, CM_MAX_BODIES, &n, err)) return -1;
    if (n != nj)
      return cm_fail(err, "%s: %d weights given; the character has %d joints besides the root", cm_env_cfg_at(cfg, "joint_err_w", w_at, sizeof w_at), n, nj);
    for (int j = 0; j < nj; j++) p->joint_err_w[j] = (float)w[j];
  }
  for (int b = 1; b < c->num_bodies; b++)
    for (int k = 0; k < c->dof_dim[b]; k++) p->dof_err_w[c->dof_idx[b] + k] = p->joint_err_w[b - 1];
  return 0;
}

static int parse_obs(cm_dm_params *p, const cm_cfg *cfg, cm_err *err) {
  char w[1200];
  long enc = 0;
  if (cm_cfg_bool(cfg, "enable_phase_obs", 1, &p->enable_phase_obs, err) ||
      cm_cfg_int(cfg, "num_phase_encoding", 0, &enc, err) || cm_cfg_bool(cfg, "enable_tar_obs", 0, &p->enable_tar_obs, err))
    return -1;
  if (enc < 0 || enc > CM_DM_MAX_PHASE_ENC)
    return cm_fail(err, "%s: must be in [0, %d] (got %ld)", cm_env_cfg_at(cfg, "num_phase_encoding", w, sizeof w), CM_DM_MAX_PHASE_ENC, enc);
  p->num_phase_encoding = (int)enc;
  p->num_tar_steps = 1;
  p->tar_obs_steps[0] = 1;
  if (cm_cfg_get(cfg, "tar_obs_steps")) {
    double steps[CM_DM_MAX_TAR_STEPS + 1];
    int n = 0;
    if (cm_cfg_floats(cfg, "tar_obs_steps", steps, CM_DM_MAX_TAR_STEPS + 1, &n, err)) return -1;
    if (n < 1 || n > CM_DM_MAX_TAR_STEPS)
      return cm_fail(err, "%s: needs 1 to %d entries (got %d)", cm_env_cfg_at(cfg, "tar_obs_steps", w, sizeof w), CM_DM_MAX_TAR_STEPS, n);
    for (int k = 0; k < n; k++) {
      if (steps[k] != (double)(int)steps[k])
        return cm_fail(err, "%s: entry %d = %g is not a whole number of control steps", cm_env_cfg_at(cfg, "tar_obs_steps", w, sizeof w), k, steps[k]);
      p->tar_obs_steps[k] = (int)steps[k];
    }
    p->num_tar_steps = n;
  }
  return 0;
}

static int parse_termination(cm_dm_params *p, const cm_env *e, const cm_cfg *cfg, cm_err *err) {
  char w[1200];
  double dist = 1.0;
  if (cm_cfg_require(cfg, "enable_early_termination", err) ||
      cm_cfg_bool(cfg, "enable_early_termination", 0, &p->enable_early_termination, err) ||
      cm_cfg_bool(cfg, "pose_termination", 0, &p->pose_termination, err) ||
      cm_cfg_float(cfg, "pose_termination_dist", 1.0, &dist, err))
    return -1;
  p->pose_termination_dist = (float)dist;
  memset(p->contact_ok, 0, sizeof p->contact_ok);
  p->num_contact_bodies = 0;
  if (cm_cfg_get(cfg, "contact_bodies")) {
    const char *names[CM_MAX_BODIES];
    int n = 0;
    if (cm_cfg_strs(cfg, "contact_bodies", names, CM_MAX_BODIES, &n, err)) return -1;
    for (int k = 0; k < n; k++) {
      int id = cm_char_body_id(&e->chr, names[k]);
      if (id < 0) return cm_fail(err, "%s: body '%s' is not in %s", cm_env_cfg_at(cfg, "contact_bodies", w, sizeof w), names[k], e->char_file);
      p->contact_ok[id] = 1;
    }
    p->num_contact_bodies = n;
  }
  p->ground_contact_height = e->engine->cfg.ground_contact_height;
  p->episode_length = e->episode_length;
  return 0;
}

static int parse_params(cm_dm_params *p, int *log_err, cm_env *e, const cm_cfg *cfg, cm_err *err) {
  char w[1200];
  double off[4];
  int n = 0;
  memset(p, 0, sizeof *p);
  p->global_obs = e->global_obs;
  p->root_height_obs = e->root_height_obs;
  p->num_keys = e->num_key_bodies;
  memcpy(p->key_ids, e->key_body_ids, sizeof p->key_ids);
  p->control_dt = (float)e->engine->control_dt;
  p->motion_end_succ = 1;
  if (parse_obs(p, cfg, err) || parse_rewards(p, cfg, err) || parse_joint_err_w(p, &e->chr, cfg, err) ||
      parse_termination(p, e, cfg, err))
    return -1;
  if (cm_cfg_bool(cfg, "rand_reset", 1, &p->rand_reset, err) ||
      cm_cfg_bool(cfg, "visualize_ref_char", 1, &p->visualize_ref_char, err) ||
      cm_cfg_bool(cfg, "log_tracking_error", 0, log_err, err) || cm_cfg_require(cfg, "ref_char_offset", err) ||
      cm_cfg_floats(cfg, "ref_char_offset", off, 4, &n, err))
    return -1;
  if (n != 3) return cm_fail(err, "%s: needs 3 values (x, y, z metres), got %d", cm_env_cfg_at(cfg, "ref_char_offset", w, sizeof w), n);
  for (int k = 0; k < 3; k++) p->ref_char_offset[k] = (float)off[k];
  return 0;
}

int cm_dm_env_init(cm_env *e, const cm_cfg *cfg, cm_err *err) {
  const char *motion_file = NULL;
  deepmimic *dm = calloc(1, sizeof *dm);
  if (!dm) return cm_fail(err, "deepmimic: out of memory");
  e->impl = dm;
  if (parse_params(&dm->p, &dm->log_tracking_error, e, cfg, err)) return -1;
  if (cm_cfg_require(cfg, "motion_file", err) || cm_cfg_str(cfg, "motion_file", NULL, &motion_file, err)) return -1;
  if (cm_motion_lib_load(motion_file, &e->chr, &dm->lib, err)) return -1;
  dm->view = cm_motion_lib_host_view(&dm->lib);
  e->engine->opts.with_ref_char = dm->p.visualize_ref_char;

  size_t N = (size_t)e->num_envs, B = (size_t)e->chr.num_bodies, D = (size_t)e->chr.num_dofs;
  cm_dm_buf *b = &dm->buf;
  b->motion_id = calloc(N, sizeof(int));
  b->time_offset = calloc(N, sizeof(float));
  b->episode = calloc(N, sizeof(uint32_t));
  b->root_pos = calloc(N * 3, sizeof(float));
  b->root_rot = calloc(N * 4, sizeof(float));
  b->root_vel = calloc(N * 3, sizeof(float));
  b->root_ang_vel = calloc(N * 3, sizeof(float));
  b->joint_rot = calloc(N * 4 * (B - 1) + 1, sizeof(float));
  b->dof_pos = calloc(N * D + 1, sizeof(float));
  b->dof_vel = calloc(N * D + 1, sizeof(float));
  b->body_pos = calloc(N * 3 * B, sizeof(float));
  dm->track.scratch = calloc(N * CM_DM_NUM_TRACK_ERR, sizeof(float));
  if (!dm->track.scratch || !b->motion_id || !b->time_offset || !b->episode || !b->root_pos || !b->root_rot || !b->root_vel ||
      !b->root_ang_vel || !b->joint_rot || !b->dof_pos || !b->dof_vel || !b->body_pos)
    return cm_fail(err, "deepmimic: out of memory for %d envs", e->num_envs);
  return 0;
}

void cm_dm_env_destroy(cm_env *e) {
  deepmimic *dm = e->impl;
  if (!dm) return;
  cm_motion_lib_free(&dm->lib);
  free(dm->track.scratch);
  cm_dm_buf *b = &dm->buf;
  free(b->motion_id); free(b->time_offset); free(b->episode);
  free(b->root_pos); free(b->root_rot); free(b->root_vel); free(b->root_ang_vel);
  free(b->joint_rot); free(b->dof_pos); free(b->dof_vel); free(b->body_pos);
  free(dm);
  e->impl = NULL;
}

/* ---- drivers: one CM_HD function per env over the thread pool ---------------------------- */

static void reset_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env_ids *r = ctx;
  deepmimic *dm = r->e->impl;
  for (int k = begin; k < end; k++)
    cm_dm_reset_env(&r->e->chr, &dm->p, &dm->view, &dm->buf, &r->e->engine->st, r->e->seed, r->e->env0,
                    r->ids[k]);
}

void cm_dm_env_reset(cm_env *e, const int *ids, int n) {
  cm_env_ids r = {e, ids};
  cm_pool_for(e->pool, n, reset_range, &r);
  e->engine->ops->push_state(e->engine, ids, n);
  cm_dm_env_record_tracking(e, ids, n); /* MimicKit's _update_info after a reset */
}

static void ref_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  deepmimic *dm = e->impl;
  for (int i = begin; i < end; i++) cm_dm_update_ref(&e->chr, &dm->p, &dm->view, &dm->buf, &e->engine->st, i, e->time[i]);
}

void cm_dm_env_post_physics(cm_env *e) { cm_pool_for(e->pool, e->num_envs, ref_range, e); }

static void obs_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  const deepmimic *dm = e->impl;
  for (int i = begin; i < end; i++)
    cm_dm_obs(&e->chr, &dm->p, &dm->view, &e->engine->st, i, dm->buf.motion_id[i], e->time[i] + dm->buf.time_offset[i],
              e->obs + (size_t)e->obs_dim * i);
}

void cm_dm_env_compute_obs(cm_env *e) { cm_pool_for(e->pool, e->num_envs, obs_range, e); }


static void reward_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  const deepmimic *dm = e->impl;
  for (int i = begin; i < end; i++)
    cm_dm_env_reward_done(&e->chr, &dm->p, &dm->view, &e->engine->st, &dm->buf, i, e->time[i], e->reward + i,
                          e->done + i);
}

/* Reward and episode end come from one pass over the envs (they read the same state). */
void cm_dm_env_reward_and_done(cm_env *e) { cm_pool_for(e->pool, e->num_envs, reward_range, e); }
void cm_dm_env_update_done(cm_env *e) { (void)e; /* filled by update_reward */ }

int cm_dm_env_obs_dim(const cm_env *e) {
  const deepmimic *dm = e->impl;
  return cm_dm_obs_dim(&e->chr, &dm->p);
}

/* ---- test-mode tracking error ------------------------------------------------------------- */

static void track_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env_ids *t = ctx;
  deepmimic *dm = t->e->impl;
  for (int k = begin; k < end; k++) {
    int i = t->ids ? t->ids[k] : k;
    cm_dm_tracking_error(&t->e->chr, &t->e->engine->st, &dm->buf, i, dm->track.scratch + CM_DM_NUM_TRACK_ERR * k);
  }
}

void cm_dm_env_record_tracking(cm_env *e, const int *ids, int n) {
  deepmimic *dm = e->impl;
  if (!e->test_mode || !dm->log_tracking_error) return;
  if (!ids) n = e->num_envs;
  cm_env_ids t = {e, ids};
  cm_pool_for(e->pool, n, track_range, &t);
  cm_dm_track_add(&dm->track, dm->track.scratch, NULL, n);
}

void cm_dm_env_set_mode(cm_env *e, int test) {
  deepmimic *dm = e->impl;
  if (!test) return; /* a test starts a new mean (MimicKit resets its tracker on TEST) */
  memset(dm->track.sum, 0, sizeof dm->track.sum);
  dm->track.count = 0;
}

int cm_dm_env_stats(cm_env *e, const char **keys, double *values, int max) {
  deepmimic *dm = e->impl;
  if (!dm->log_tracking_error) return 0;
  if (dm->track.count > 0) {
    for (int j = 0; j < CM_DM_NUM_TRACK_ERR; j++) dm->track.last[j] = dm->track.sum[j] / (double)dm->track.count;
    memset(dm->track.sum, 0, sizeof dm->track.sum);
    dm->track.count = 0;
  }
  int n = 0;
  for (int j = 0; j < CM_DM_NUM_TRACK_ERR && n < max; j++, n++) {
    keys[n] = cm_dm_track_keys[j];
    values[n] = dm->track.last[j];
  }
  return n;
}

/* MimicKit records the tracking error in _update_info: after the observations, before the reward. */
void cm_dm_env_update_reward(cm_env *e) {
  cm_dm_env_record_tracking(e, NULL, 0);
  cm_dm_env_reward_and_done(e);
}

const cm_env_type cm_env_deepmimic = {.name = "deepmimic", .keys = k_keys, CM_DM_ENV_HOOKS};

static const deepmimic *of(const cm_env *e) { return cm_env_is(e, &cm_env_deepmimic) ? e->impl : NULL; }
cm_dm_env *cm_deepmimic_of(const cm_env *e) { return (cm_dm_env *)of(e); }
const cm_dm_params *cm_deepmimic_params(const cm_env *e) { return of(e) ? &of(e)->p : NULL; }
cm_dm_buf *cm_deepmimic_buf(cm_env *e) { return of(e) ? &((deepmimic *)e->impl)->buf : NULL; }
const cm_motion_lib_view *cm_deepmimic_motions(const cm_env *e) { return of(e) ? &of(e)->view : NULL; }
