/* amp, ase, add env types (amp.h): yaml, buffers, and the thread-pool drivers of the per-env
 * functions in amp_disc.h and amp_reset.h, layered on deepmimic's hooks. */
#include "env/amp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/zalloc.h"
#include "env/amp_reset.h"

static const char *const k_amp_keys[] = {"num_disc_obs_steps", NULL};
static const char *const k_ase_keys[] = {"default_reset_prob", NULL};

cm_amp_env *cm_amp_of(const cm_env *e) {
  return cm_env_is(e, &cm_env_amp) && e->impl ? ((cm_dm_env *)e->impl)->ext : NULL;
}

static cm_amp_env *amp(const cm_env *e) { return ((cm_dm_env *)e->impl)->ext; }

static float *hist_of(const cm_amp_env *a, int i) {
  return a->hist + (size_t)i * a->dp.steps * a->frame_size;
}

int cm_amp_env_init(cm_env *e, const cm_cfg *cfg, cm_err *err) {
  char w[1200];
  long steps = 0;
  double prob = 0;
  if (cm_dm_env_init(e, cfg, err)) return -1;
  cm_dm_env *dm = e->impl;
  cm_amp_env *a = calloc(1, sizeof *a);
  if (!a) return cm_fail(err, "%s: out of memory", e->type->name);
  dm->ext = a;
  int add = cm_env_is(e, &cm_env_add);
  if (cm_cfg_require(cfg, "num_disc_obs_steps", err) || cm_cfg_int(cfg, "num_disc_obs_steps", 1, &steps, err)) return -1;
  if (steps < 1 || steps > CM_DISC_MAX_STEPS)
    return cm_fail(err, "%s: must be in [1, %d] (got %ld)", cm_env_cfg_at(cfg, "num_disc_obs_steps", w, sizeof w), CM_DISC_MAX_STEPS,
                   steps);
  if (cm_env_is(e, &cm_env_ase)) {
    if (cm_cfg_require(cfg, "default_reset_prob", err) || cm_cfg_float(cfg, "default_reset_prob", 0, &prob, err)) return -1;
    if (!(prob >= 0 && prob <= 1))
      return cm_fail(err, "%s: must be in [0, 1] (got %g)", cm_env_cfg_at(cfg, "default_reset_prob", w, sizeof w), prob);
  }
  a->default_reset_prob = (float)prob;
  /* MimicKit's AMPEnv passes motion_len_term = False; ADD keeps deepmimic's episode end */
  dm->p.motion_end_succ = add;
  cm_disc_params *dp = &a->dp;
  dp->steps = (int)steps;
  dp->add = add;
  dp->global_obs = dm->p.global_obs;
  dp->root_height_obs = dm->p.root_height_obs;
  dp->track_root = cm_dm_track_root(&dm->p);
  dp->num_keys = dm->p.num_keys;
  memcpy(dp->key_ids, dm->p.key_ids, sizeof dp->key_ids);
  dp->dt = dm->p.control_dt;
  a->frame_size = cm_disc_layout_of(&e->chr).size;
  e->disc_obs_dim = cm_disc_obs_dim(&e->chr, dp);
  size_t N = (size_t)e->num_envs, ring = (size_t)dp->steps * a->frame_size;
  a->hist = cm_zalloc(N * ring * sizeof(float));
  e->disc_obs = cm_zalloc(N * e->disc_obs_dim * sizeof(float));
  if (add) {
    e->disc_obs_demo = cm_zalloc(N * e->disc_obs_dim * sizeof(float));
    a->demo_frames = cm_zalloc(N * ring * sizeof(float));
    a->demo_cap = e->num_envs;
  }
  if (!a->hist || !e->disc_obs || (add && (!e->disc_obs_demo || !a->demo_frames)))
    return cm_fail(err, "%s: out of memory for %d envs' discriminator history", e->type->name, e->num_envs);
  return 0;
}

void cm_amp_env_destroy(cm_env *e) {
  cm_dm_env *dm = e->impl;
  if (dm && dm->ext) {
    cm_amp_env *a = dm->ext;
    free(a->hist);
    free(a->demo_frames);
    free(a);
    dm->ext = NULL;
  }
  free(e->disc_obs);
  free(e->disc_obs_demo);
  e->disc_obs = e->disc_obs_demo = NULL;
  cm_dm_env_destroy(e);
}

/* ---- drivers: one CM_HD function per env over the thread pool ---------------------------- */

static void reset_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env_ids *r = ctx;
  cm_env *e = r->e;
  cm_dm_env *dm = e->impl;
  cm_amp_env *a = dm->ext;
  cm_init_pose init = {e->init_root_pos, e->init_root_rot, e->init_dof_pos};
  for (int k = begin; k < end; k++) {
    int i = r->ids[k];
    cm_amp_reset_env(&e->chr, &dm->p, &a->dp, &dm->view, &dm->buf, &e->engine->st, e->seed, e->env0, i, a->default_reset_prob,
                     init, hist_of(a, i), a->head);
  }
}

void cm_amp_env_reset(cm_env *e, const int *ids, int n) {
  cm_env_ids r = {e, ids};
  cm_pool_for(e->pool, n, reset_range, &r);
  e->engine->ops->push_state(e->engine, ids, n);
  cm_dm_env_record_tracking(e, ids, n);
}

static void push_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  cm_amp_env *a = amp(e);
  for (int i = begin; i < end; i++)
    cm_disc_frame_from_sim(&e->chr, &e->engine->st, i, hist_of(a, i) + (size_t)a->frame_size * a->head);
}

/* MimicKit's _update_misc: the reference motion, then the history push. */
void cm_amp_env_post_physics(cm_env *e) {
  cm_amp_env *a = amp(e);
  cm_dm_env_post_physics(e);
  cm_pool_for(e->pool, e->num_envs, push_range, e);
  a->head = (a->head + 1) % a->dp.steps;
}

static void disc_obs_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  cm_dm_env *dm = e->impl;
  cm_amp_env *a = dm->ext;
  size_t ring = (size_t)a->dp.steps * a->frame_size;
  for (int i = begin; i < end; i++) {
    cm_disc_obs(&e->chr, &a->dp, hist_of(a, i), a->head, e->disc_obs + (size_t)e->disc_obs_dim * i);
    if (!a->dp.add) continue;
    /* ADD: the reference's records ending at the env's motion time, oldest first */
    float *ref = a->demo_frames + ring * i;
    cm_disc_fill_from_motion(&e->chr, &a->dp, &dm->view, dm->buf.motion_id[i], e->time[i] + dm->buf.time_offset[i], ref, 0);
    cm_disc_obs(&e->chr, &a->dp, ref, 0, e->disc_obs_demo + (size_t)e->disc_obs_dim * i);
  }
}

void cm_amp_env_compute_obs(cm_env *e) {
  cm_dm_env_compute_obs(e);
  cm_pool_for(e->pool, e->num_envs, disc_obs_range, e);
}

void cm_amp_env_reward_done(cm_env *e) {
  cm_dm_env_record_tracking(e, NULL, 0);
  cm_dm_env_reward_and_done(e);
  memset(e->reward, 0, sizeof(float) * (size_t)e->num_envs); /* AMPEnv._update_reward does nothing */
}

static void update_done(cm_env *e) { (void)e; /* filled by cm_amp_env_reward_done */ }

typedef struct {
  cm_env *e;
  float *out;
  int n; /* draws of this fetch */
} demo_ctx;

static void demo_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  demo_ctx *d = ctx;
  cm_env *e = d->e;
  cm_dm_env *dm = e->impl;
  cm_amp_env *a = dm->ext;
  size_t ring = (size_t)a->dp.steps * a->frame_size;
  /* a rank's draws are its share of the global batch's: n per rank of num_envs envs */
  uint32_t j0 = (uint32_t)((uint64_t)e->env0 * (uint64_t)d->n / (uint64_t)e->num_envs);
  for (int j = begin; j < end; j++) {
    float *f = a->demo_frames + ring * j;
    cm_amp_demo_sample(&e->chr, &dm->p, &a->dp, &dm->view, e->seed, a->demo_draws, (int)(j0 + (uint32_t)j), f);
    cm_disc_obs(&e->chr, &a->dp, f, 0, d->out + (size_t)e->disc_obs_dim * j);
  }
}

int cm_amp_env_fetch_disc_obs_demo(cm_env *e, int n, float *out, cm_err *err) {
  cm_amp_env *a = amp(e);
  if (n < 0) return cm_fail(err, "fetch_disc_obs_demo: n = %d", n);
  if (n > a->demo_cap) {
    size_t ring = (size_t)a->dp.steps * a->frame_size;
    float *f = realloc(a->demo_frames, (size_t)n * ring * sizeof(float));
    if (!f) return cm_fail(err, "fetch_disc_obs_demo: out of memory for %d samples", n);
    a->demo_frames = f;
    a->demo_cap = n;
  }
  demo_ctx d = {e, out, n};
  cm_pool_for(e->pool, n, demo_range, &d);
  a->demo_draws++;
  return 0;
}

#define AMP_FAMILY_HOOKS                                                                                  \
  .engine_setup = cm_dm_env_setup, .init = cm_amp_env_init, .reset = cm_amp_env_reset,                    \
  .post_physics = cm_amp_env_post_physics, .update_reward = cm_amp_env_reward_done, .update_done = update_done, \
  .obs_dim = cm_dm_env_obs_dim, .compute_obs = cm_amp_env_compute_obs, .destroy = cm_amp_env_destroy,     \
  .set_mode = cm_dm_env_set_mode, .stats = cm_dm_env_stats, .fetch_disc_obs_demo = cm_amp_env_fetch_disc_obs_demo

const cm_env_type cm_env_amp = {.name = "amp", .keys = k_amp_keys, .base = &cm_env_deepmimic, AMP_FAMILY_HOOKS};
const cm_env_type cm_env_ase = {.name = "ase", .keys = k_ase_keys, .base = &cm_env_amp, AMP_FAMILY_HOOKS};
const cm_env_type cm_env_add = {.name = "add", .keys = NULL, .base = &cm_env_amp, AMP_FAMILY_HOOKS};
