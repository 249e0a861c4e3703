/* ASE (MimicKit learning/ase_agent.py, ase_model.py): AMP whose actor and critic also see a
 * latent z on the unit hypersphere (appended to the normalized observation), with an encoder
 * q(z | disc_obs) ("_model._enc_layers", "_model._enc_out", output normalized to unit length).
 *   latents: z = normalize(N(0, I)) per env, drawn again at every env reset and when the env's
 *            episode time passes a reset time drawn U(latent_time_min, latent_time_max) ahead
 *   reward:  task_reward_weight r_task + disc_reward_weight r_disc + enc_reward_weight max(z . q, 0)
 *   loss:    AMP's + enc_loss_weight mean(-z . q) over the first disc_batch_size rows
 *            + diversity_weight mean((diversity_tar - a_diff / (z_diff + 1e-5))^2) in the actor,
 *            a_diff = mean_j (mu(s, z') - mu(s, z))_j^2, z_diff = 0.5 - 0.5 z' . z, z' fresh;
 *            the z' rows ride in the actor's own forward/backward (actor_extra_rows).
 * Everything per env and per row lives where the rollout does (a->dev): the latents and their
 * schedule (the ase_latents op, from the device done flags), the encoder reward, the encoder's
 * and the diversity objective's loss rows (learn/ase_rows.h); the two losses' sums and the
 * encoder rewards' statistics wait in slots of the iteration's stats for its one download. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fault.h"
#include "learn/amp.h"
#include "learn/ase_rows.h"

#define STREAM_INIT_ENC 14u
#define ENC_CHUNK 8192

static const char *const k_ase_keys[] = {"latent_time_min", "latent_time_max", "diversity_weight", "diversity_tar",
                                         "enc_loss_weight", "enc_reward_weight", NULL};
static const char *const k_ase_opt_keys[] = {"enc_eval_batch_size", NULL};
static const char *const k_ase_model_keys[] = {"enc_net", "latent_dim", NULL};

typedef struct cm_ase {
  cm_amp amp;
  int Z;
  double time_min, time_max, diversity_weight, diversity_tar, enc_loss_weight, enc_reward_weight;
  float dt;
  cm_mlp enc;
  float *env_time, *reset_time; /* [N] (a->dev) episode time and when the env's latent is drawn again */
  uint64_t draws;               /* latent steps so far: keys the rng */
  float *enc_x, *enc_nx, *enc_du; /* [chunk][D], [chunk][D], [chunk][Z] (a->dev) */
  int div_cap;
  float *zdiff; /* [div_cap] (a->dev) 0.5 - 0.5 z' . z of the diversity rows */
} cm_ase;

static int key_num(const cm_cfg *map, const char *k, double *v, cm_err *err) { return cm_cfg_float(map, k, 0, v, err); }

/* One latent step of every env on a->dev (cm_ase_latent_row): after an env step from its done
 * flags (a->d.done, where the step left them), or at a reset of all envs. */
static void latent_step(cm_agent *a, cm_ase *s, int reset_all) {
  cm_ase_latent_args p = {.Z = s->Z, .reset_all = reset_all, .seed = a->seed, .env0 = a->env0, .draws = s->draws,
                          .dt = s->dt, .time_min = s->time_min, .time_max = s->time_max, .z = a->cond,
                          .env_time = s->env_time, .reset_time = s->reset_time, .done = reset_all ? NULL : a->d.done};
  a->dev->ops->ase_latents(&p, a->num_envs);
  s->draws++;
}

static void ase_on_reset(cm_agent *a) { latent_step(a, a->impl, 1); }

static int ase_after_step(cm_agent *a, int slot, cm_err *err) {
  cm_ase *s = a->impl;
  if (cm_amp_after_step(a, slot, err)) return -1;
  latent_step(a, s, 0);
  /* a non-finite latent is named by the policy-input guard (cm_agent_input_guard_failed) */
  if (slot == a->num_envs && cm_fault_nan_at((long)a->iter, "latent"))
    cm_dev_upload(a->dev, a->cond + (size_t)(1 % a->num_envs) * s->Z + 2 % s->Z, &(float){NAN}, 1);
  return 0;
}

static int ase_create(cm_agent *a, const cm_cfg *root, cm_err *err) {
  cm_ase *s = calloc(1, sizeof *s);
  if (!s) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  a->impl = s;
  if (cm_amp_init(a, &s->amp, root, err)) return -1;
  snprintf(s->amp.obs_name, sizeof s->amp.obs_name, "discriminator and encoder observation");
  const cm_cfg *model = cm_cfg_get(root, "model");
  const char *net;
  long z;
  if (cm_cfg_str(model, "enc_net", NULL, &net, err) || cm_cfg_int(model, "latent_dim", 0, &z, err)) return -1;
  if (z <= 0 || z > 4096) {
    const cm_cfg *n = cm_cfg_get(model, "latent_dim");
    return cm_fail(err, "%s:%d: key 'latent_dim': must be in 1..4096, got %ld", n->file, n->line, z);
  }
  if (key_num(root, "latent_time_min", &s->time_min, err) || key_num(root, "latent_time_max", &s->time_max, err) ||
      key_num(root, "diversity_weight", &s->diversity_weight, err) ||
      key_num(root, "diversity_tar", &s->diversity_tar, err) ||
      key_num(root, "enc_loss_weight", &s->enc_loss_weight, err) ||
      key_num(root, "enc_reward_weight", &s->enc_reward_weight, err))
    return -1;
  if (!(s->time_min >= 0 && s->time_max >= s->time_min)) {
    const cm_cfg *n = cm_cfg_get(root, "latent_time_max");
    return cm_fail(err, "%s:%d: key 'latent_time_max': needs 0 <= latent_time_min <= latent_time_max (%g, %g)",
                   n->file, n->line, s->time_min, s->time_max);
  }
  s->Z = (int)z;
  a->cond_dim = s->Z;
  s->dt = a->env->control_dt > 0.f ? a->env->control_dt : 1.f / 30.f;
  int D = s->amp.D;
  size_t N = (size_t)a->num_envs;
  if (cm_mlp_create(&s->enc, a->dev, net, D, s->Z, "_model._enc_layers", "_model._enc_out", err) ||
      cm_mlp_init(&s->enc, a->seed, STREAM_INIT_ENC, 0.1f, err))
    return cm_wrap(err, "encoder");
  s->env_time = cm_dev_alloc(a->dev, N, err);
  s->reset_time = cm_dev_alloc(a->dev, N, err);
  s->enc_x = cm_dev_alloc(a->dev, (size_t)ENC_CHUNK * D, err);
  s->enc_nx = cm_dev_alloc(a->dev, (size_t)ENC_CHUNK * D, err);
  s->enc_du = cm_dev_alloc(a->dev, (size_t)ENC_CHUNK * s->Z, err);
  if (!s->env_time || !s->reset_time || !s->enc_x || !s->enc_nx || !s->enc_du)
    return cm_fail(err, "%s:%d: ASE: out of memory", __FILE__, __LINE__);
  return 0;
}

static void ase_destroy(cm_agent *a) {
  cm_ase *s = a->impl;
  cm_amp_destroy(a);
  if (s->enc.dev) cm_mlp_destroy(&s->enc);
  cm_dev_free(a->dev, s->env_time);
  cm_dev_free(a->dev, s->reset_time);
  cm_dev_free(a->dev, s->enc_x);
  cm_dev_free(a->dev, s->enc_nx);
  cm_dev_free(a->dev, s->enc_du);
  cm_dev_free(a->dev, s->zdiff);
}

static int ase_params(cm_agent *a, cm_param **out, int max) {
  cm_ase *s = a->impl;
  int n = cm_amp_params(a, out, max);
  int k = cm_mlp_params(&s->enc, out + n, max - n);
  return n + (k < max - n ? k : max - n);
}

static int ase_build_train_data(cm_agent *a, cm_stats *out, cm_err *err) {
  cm_ase *s = a->impl;
  cm_amp *m = &s->amp;
  const cm_ops *ops = a->dev->ops;
  int n = cm_exp_capacity(&a->buf), D = m->D;
  if (cm_amp_record_demo(a, err)) return -1;
  float *enc_r = m->extra_d; /* [T*N] on a->dev */
  for (int r0 = 0; r0 < n; r0 += ENC_CHUNK) { /* _calc_enc_rewards: max(z . q(disc_obs), 0) */
    int k = n - r0 < ENC_CHUNK ? n - r0 : ENC_CHUNK;
    cm_amp_normalize(m, s->enc_nx, m->disc_obs + (size_t)r0 * D, k);
    if (cm_mlp_forward(&s->enc, s->enc_nx, k, err)) return -1;
    ops->ase_enc_reward(enc_r + r0, cm_mlp_out(&s->enc), a->buf_cond + (size_t)r0 * s->Z, k, s->Z);
  }
  /* MimicKit's order: the reward statistics, then adv_mean, adv_std; torch.std_mean of the
   * encoder rewards read with the update's stats */
  if (cm_amp_mix_rewards(a, m->disc_obs, enc_r, s->enc_reward_weight, out, err) ||
      cm_agent_late_mean_std(a, enc_r, NULL, (size_t)n, "Enc_Reward_Mean", "Enc_Reward_Std", NAN, out, NULL, err))
    return -1;
  return cm_ppo_build_train_data(a, out, err);
}

/* AMP's discriminator loss plus the encoder's: mean(-z . q) over the first disc_batch_size rows
 * (their rows and errors on a->dev, the errors' sum into a slot: rec->off2). */
static int ase_aux_loss(cm_agent *a, const int *idx, int rows, cm_aux_rec *rec, cm_err *err) {
  cm_ase *s = a->impl;
  cm_amp *m = &s->amp;
  if (cm_amp_disc_loss(a, idx, rows, rec, err)) return -1;
  int Z = s->Z, ne = m->disc_batch_size < rows ? m->disc_batch_size : rows;
  if (ne > ENC_CHUNK) ne = ENC_CHUNK;
  if (ne <= 0) return 0;
  if (cm_agent_its_take(a, 1, &rec->off2, err)) return -1;
  rec->rows2 = ne;
  const int *idx_d = cm_amp_dev_idx(a, idx, rows, err);
  if (!idx_d) return -1;
  a->dev->ops->gather_rows(s->enc_x, m->disc_obs, m->D, idx_d, ne);
  cm_amp_normalize(m, s->enc_nx, s->enc_x, ne);
  if (cm_mlp_forward(&s->enc, s->enc_nx, ne, err)) return -1;
  a->dev->ops->ase_enc_loss_rows(s->enc_du, cm_mlp_out(&s->enc), a->buf_cond, idx_d, ne, Z,
                                 (float)(s->enc_loss_weight / ne), cm_agent_its_at(a, rec->off2));
  return cm_mlp_backward(&s->enc, s->enc_du, NULL, err);
}

static void ase_aux_stats(cm_agent *a, const cm_aux_rec *rec, const double *its, double *loss, cm_stats *st) {
  cm_ase *s = a->impl;
  cm_amp_disc_stats(a, rec, its, loss, st);
  double el = rec->rows2 > 0 ? its[rec->off2] / rec->rows2 : 0.0;
  cm_stats_set(st, "Enc_Loss", el);
  *loss += s->enc_loss_weight * el;
}

/* _compute_diversity_loss, first half: the loss rows' observations at fresh latents z' (rows
 * on a->dev) */
static int ase_actor_extra_rows(cm_agent *a, int m, const float *in, float *extra_in) {
  cm_ase *s = a->impl;
  if (s->diversity_weight == 0 || m <= 0) return 0;
  if (m > s->div_cap) {
    cm_err e = {{0}};
    cm_dev_free(a->dev, s->zdiff);
    s->zdiff = cm_dev_alloc(a->dev, (size_t)m, &e);
    s->div_cap = s->zdiff ? m : 0;
    if (!s->zdiff) return 0; /* out of memory: this mini-batch goes without the diversity term */
  }
  a->dev->ops->ase_div_rows(extra_in, s->zdiff, in, m, a->obs_dim, s->Z, a->seed, (uint64_t)a->optim.steps);
  return m;
}

/* second half: mean((diversity_tar - a_diff / (z_diff + 1e-5))^2) with its gradient in both
 * means (rows on a->dev, the sum of the squares into the slot *sum) */
static void ase_actor_extra_loss(cm_agent *a, int m, const float *mean, const float *in, int k,
                                 const float *extra_mean, float *dmean, float *dextra, double *sum) {
  (void)in;
  cm_ase *s = a->impl;
  a->dev->ops->ase_div_loss_rows(dmean, dextra, mean, extra_mean, s->zdiff, k < m ? k : m, a->act_dim,
                                 s->diversity_tar, (float)(s->diversity_weight / k), sum);
}

static double ase_actor_extra_stats(cm_agent *a, int k, double sum, cm_stats *st) {
  cm_ase *s = a->impl;
  double dl = sum / k;
  cm_stats_set(st, "Diversity_Loss", dl);
  return s->diversity_weight * dl;
}

const cm_agent_type cm_agent_ase = {
    .name = "ASE",
    .base = &cm_agent_amp,
    .keys = k_ase_keys,
    .opt_keys = k_ase_opt_keys,
    .model_keys = k_ase_model_keys,
    .create = ase_create,
    .destroy = ase_destroy,
    .params = ase_params,
    .save = cm_amp_save,
    .load = cm_amp_load,
    .on_reset = ase_on_reset,
    .after_step = ase_after_step,
    .build_train_data = ase_build_train_data,
    .actor_extra_rows = ase_actor_extra_rows,
    .actor_extra_loss = ase_actor_extra_loss,
    .actor_extra_stats = ase_actor_extra_stats,
    .aux_loss = ase_aux_loss,
    .aux_stats = ase_aux_stats,
    .update_normalizers = cm_amp_update_normalizers,
};
