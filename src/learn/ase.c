/* ASE (MimicKit learning/ase_agent.py, ase_model.py): AMP whose actor and critic also see a
 * latent z on the unit hypersphere (appended to the normalized observation), with an encoder
 * q(z | disc_obs) ("_model._enc_layers", "_model._enc_out", output normalized to unit length).
 *   latents: z = normalize(N(0, I)) per env, drawn again at every env reset and when the env's
 *            episode time passes a reset time drawn U(latent_time_min, latent_time_max) ahead
 *   reward:  task_reward_weight r_task + disc_reward_weight r_disc + enc_reward_weight max(z . q, 0)
 *   loss:    AMP's + enc_loss_weight mean(-z . q) over the first disc_batch_size rows
 *            + diversity_weight mean((diversity_tar - a_diff / (z_diff + 1e-5))^2) in the actor,
 *            a_diff = mean_j (mu(s, z') - mu(s, z))_j^2, z_diff = 0.5 - 0.5 z' . z, z' fresh;
 *            the z' rows ride in the actor's own forward/backward (actor_extra_rows). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fault.h"
#include "core/rng.h"
#include "learn/amp.h"
#include "learn/latent.h"

#define STREAM_INIT_ENC 14u
#define STREAM_LATENT 21u
#define STREAM_LATENT_TIME 22u
#define STREAM_DIVERSITY 23u
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
  float *env_time, *reset_time; /* [N] episode time and when the env's latent is drawn again */
  uint64_t draws;               /* latent draws so far: keys the rng */
  float *enc_r;                 /* [T*N] */
  float *enc_x, *enc_nx, *enc_u, *enc_du; /* [chunk][D] dev, [chunk][D] dev, [chunk][Z] host, [chunk][Z] dev */
  int div_cap;
  float *zdiff; /* [div_cap] 0.5 - 0.5 z' . z of the diversity rows */
} cm_ase;

static int key_num(const cm_cfg *map, const char *k, double *v, cm_err *err) { return cm_cfg_float(map, k, 0, v, err); }

static void draw_latent(cm_agent *a, cm_ase *s, int i, float *z) {
  cm_rng g = cm_rng_make(a->seed, (uint32_t)i, s->draws, STREAM_LATENT);
  for (int j = 0; j < s->Z; j++) z[j] = cm_rng_normal(&g);
  cm_unit_normalize(s->Z, z);
}

/* _reset_latents for env i: a new z and a reset time U(min, max) after the env's current time */
static void reset_latent(cm_agent *a, cm_ase *s, int i) {
  draw_latent(a, s, i, a->cond + (size_t)i * s->Z);
  cm_rng g = cm_rng_make(a->seed, (uint32_t)i, s->draws, STREAM_LATENT_TIME);
  s->reset_time[i] = s->env_time[i] + (float)((s->time_max - s->time_min) * cm_rng_uniform(&g) + s->time_min);
}

static void ase_on_reset(cm_agent *a) {
  cm_ase *s = a->impl;
  for (int i = 0; i < a->num_envs; i++) {
    s->env_time[i] = 0.f;
    reset_latent(a, s, i);
  }
  s->draws++;
}

static int ase_after_step(cm_agent *a, int slot, cm_err *err) {
  cm_ase *s = a->impl;
  if (cm_amp_after_step(a, slot, err)) return -1;
  const uint8_t *done = cm_agent_done_host(a); /* N bytes down from a device env */
  for (int i = 0; i < a->num_envs; i++) {
    s->env_time[i] += s->dt;
    if (s->env_time[i] >= s->reset_time[i]) reset_latent(a, s, i); /* _update_latents */
    if (done[i] != 0) {                                            /* _reset_envs of the done ones */
      s->env_time[i] = 0.f;
      reset_latent(a, s, i);
    }
  }
  s->draws++;
  /* a non-finite latent is named by the policy-input guard at the next step (cm_agent_check_input) */
  if (slot == a->num_envs && cm_fault_nan_at((long)a->iter, "latent"))
    a->cond[(size_t)(1 % a->num_envs) * s->Z + 2 % s->Z] = NAN;
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
  size_t N = (size_t)a->num_envs, n = (size_t)a->cfg.steps_per_iter * N;
  if (cm_mlp_create(&s->enc, a->dev, net, D, s->Z, "_model._enc_layers", "_model._enc_out", err) ||
      cm_mlp_init(&s->enc, a->seed, STREAM_INIT_ENC, 0.1f, err))
    return cm_wrap(err, "encoder");
  s->env_time = calloc(N, sizeof(float));
  s->reset_time = calloc(N, sizeof(float));
  s->enc_r = calloc(n, sizeof(float));
  s->enc_x = cm_dev_alloc(a->dev, (size_t)ENC_CHUNK * D, err);
  s->enc_nx = cm_dev_alloc(a->dev, (size_t)ENC_CHUNK * D, err);
  s->enc_u = calloc((size_t)ENC_CHUNK * s->Z, sizeof(float));
  s->enc_du = cm_dev_alloc(a->dev, (size_t)ENC_CHUNK * s->Z, err);
  if (!s->env_time || !s->reset_time || !s->enc_r || !s->enc_x || !s->enc_nx || !s->enc_u || !s->enc_du)
    return cm_fail(err, "%s:%d: ASE: out of memory", __FILE__, __LINE__);
  return 0;
}

static void ase_destroy(cm_agent *a) {
  cm_ase *s = a->impl;
  cm_amp_destroy(a);
  if (s->enc.dev) cm_mlp_destroy(&s->enc);
  free(s->env_time);
  free(s->reset_time);
  free(s->enc_r);
  cm_dev_free(a->dev, s->enc_x);
  cm_dev_free(a->dev, s->enc_nx);
  free(s->enc_u);
  cm_dev_free(a->dev, s->enc_du);
  free(s->zdiff);
}

static int ase_params(cm_agent *a, cm_param **out, int max) {
  cm_ase *s = a->impl;
  int n = cm_amp_params(a, out, max);
  int k = cm_mlp_params(&s->enc, out + n, max - n);
  return n + (k < max - n ? k : max - n);
}

/* q(z | x): encoder outputs of normalized rows (device) into s->enc_u, unit length; norms[] gets
 * the pre-normalization lengths (for the gradient). */
static int encode(cm_ase *s, const float *nx, int rows, float *norms, cm_err *err) {
  if (cm_mlp_forward(&s->enc, nx, rows, err)) return -1;
  cm_dev_download(s->enc.dev, s->enc_u, cm_mlp_out(&s->enc), (size_t)rows * s->Z);
  for (int r = 0; r < rows; r++) {
    float len = cm_unit_normalize(s->Z, s->enc_u + (size_t)r * s->Z);
    if (norms) norms[r] = len;
  }
  return 0;
}

static int ase_build_train_data(cm_agent *a, cm_stats *out, cm_err *err) {
  cm_ase *s = a->impl;
  cm_amp *m = &s->amp;
  int n = cm_exp_capacity(&a->buf), D = m->D;
  if (cm_amp_record_demo(a, err)) return -1;
  for (int r0 = 0; r0 < n; r0 += ENC_CHUNK) { /* _calc_enc_rewards: max(z . q(disc_obs), 0) */
    int k = n - r0 < ENC_CHUNK ? n - r0 : ENC_CHUNK;
    cm_amp_normalize(m, s->enc_nx, m->disc_obs + (size_t)r0 * D, k);
    if (encode(s, s->enc_nx, k, NULL, err)) return -1;
    for (int r = 0; r < k; r++)
      s->enc_r[r0 + r] = fmaxf(cm_dot(s->Z, a->buf_cond + (size_t)(r0 + r) * s->Z, s->enc_u + (size_t)r * s->Z), 0.f);
  }
  /* MimicKit's order: the reward statistics, then adv_mean, adv_std */
  if (cm_amp_mix_rewards(a, m->disc_obs, s->enc_r, s->enc_reward_weight, out, err)) return -1;
  double mean, std;
  cm_mean_std(s->enc_r, n, &mean, &std);
  cm_stats_set(out, "Enc_Reward_Mean", mean);
  cm_stats_set(out, "Enc_Reward_Std", std);
  return cm_ppo_build_train_data(a, out, err);
}

/* AMP's discriminator loss plus the encoder's: mean(-z . q) over the first disc_batch_size rows. */
static int ase_aux_loss(cm_agent *a, const int *idx, int rows, cm_aux_rec *rec, cm_err *err) {
  cm_ase *s = a->impl;
  cm_amp *m = &s->amp;
  if (cm_amp_disc_loss(a, idx, rows, rec, err)) return -1;
  int Z = s->Z, ne = m->disc_batch_size < rows ? m->disc_batch_size : rows;
  if (ne > ENC_CHUNK) ne = ENC_CHUNK;
  const int *idx_d = cm_amp_dev_idx(a, idx, rows, err);
  if (!idx_d) return -1;
  a->dev->ops->gather_rows(s->enc_x, m->disc_obs, m->D, idx_d, ne);
  cm_amp_normalize(m, s->enc_nx, s->enc_x, ne);
  float *norms = malloc((size_t)ne * sizeof(float)), *du = malloc((size_t)ne * Z * sizeof(float));
  if (!norms || !du) {
    free(norms);
    free(du);
    return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  }
  int rc = encode(s, s->enc_nx, ne, norms, err);
  double el = 0;
  float w = (float)(s->enc_loss_weight / ne);
  for (int r = 0; rc == 0 && r < ne; r++) {
    const float *q = s->enc_u + (size_t)r * Z, *z = a->buf_cond + (size_t)idx[r] * Z;
    float *d = du + (size_t)r * Z;
    for (int j = 0; j < Z; j++) d[j] = 0.f;
    el += cm_enc_error_grad(Z, q, norms[r], z, w, d);
  }
  if (rc == 0) {
    cm_dev_upload(a->dev, s->enc_du, du, (size_t)ne * Z);
    rc = cm_mlp_backward(&s->enc, s->enc_du, NULL, err);
  }
  free(norms);
  free(du);
  if (rc) return -1;
  rec->host_loss = el / ne; /* the encoder's loss is formed on the host (encode downloads its outputs) */
  return 0;
}

static void ase_aux_stats(cm_agent *a, const cm_aux_rec *rec, const double *its, double *loss, cm_stats *st) {
  cm_ase *s = a->impl;
  cm_amp_disc_stats(a, rec, its, loss, st);
  cm_stats_set(st, "Enc_Loss", rec->host_loss);
  *loss += s->enc_loss_weight * rec->host_loss;
}

/* _compute_diversity_loss, first half: the loss rows' observations at fresh latents z' */
static int ase_actor_extra_rows(cm_agent *a, int m, const float *in, float *extra_in) {
  cm_ase *s = a->impl;
  if (s->diversity_weight == 0 || m <= 0) return 0;
  if (m > s->div_cap) {
    free(s->zdiff);
    s->zdiff = malloc((size_t)m * sizeof(float));
    s->div_cap = s->zdiff ? m : 0;
    if (!s->zdiff) return 0; /* out of memory: this mini-batch goes without the diversity term */
  }
  int O = a->obs_dim, Z = s->Z, IN = O + Z;
  memcpy(extra_in, in, (size_t)m * IN * sizeof(float));
  for (int r = 0; r < m; r++) {
    float *znew = extra_in + (size_t)r * IN + O;
    cm_rng g = cm_rng_make(a->seed, (uint32_t)r, (uint64_t)a->optim.steps, STREAM_DIVERSITY);
    for (int j = 0; j < Z; j++) znew[j] = cm_rng_normal(&g);
    cm_unit_normalize(Z, znew);
    s->zdiff[r] = 0.5f - 0.5f * cm_dot(Z, znew, in + (size_t)r * IN + O);
  }
  return m;
}

/* second half: mean((diversity_tar - a_diff / (z_diff + 1e-5))^2) with its gradient in both means */
static double ase_actor_extra_loss(cm_agent *a, int m, const float *mean, const float *in, int k,
                                   const float *extra_mean, float *dmean, float *dextra, cm_stats *st) {
  (void)in;
  cm_ase *s = a->impl;
  int A = a->act_dim;
  double dl = 0, tar = s->diversity_tar;
  float w = (float)(s->diversity_weight / k);
  for (int r = 0; r < k && r < m; r++) {
    const float *u1 = extra_mean + (size_t)r * A, *u0 = mean + (size_t)r * A;
    double ad = 0;
    for (int j = 0; j < A; j++) ad += ((double)u1[j] - u0[j]) * ((double)u1[j] - u0[j]);
    ad /= A;
    double den = s->zdiff[r] + 1e-5, e = tar - ad / den;
    dl += e * e;
    /* d e^2 / d mu1_j = -2 e * 2 (mu1_j - mu0_j) / (A den); mu0 gets the opposite */
    float g = (float)(-4.0 * e / (A * den)) * w;
    for (int j = 0; j < A; j++) {
      float d = g * (u1[j] - u0[j]);
      dextra[(size_t)r * A + j] += d;
      dmean[(size_t)r * A + j] -= d;
    }
  }
  dl /= k;
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
    .aux_loss = ase_aux_loss,
    .aux_stats = ase_aux_stats,
    .update_normalizers = cm_amp_update_normalizers,
};
