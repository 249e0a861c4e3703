/* ASE (MimicKit learning/ase_agent.py, ase_model.py): AMP whose actor and critic also see a
 * latent z on the unit hypersphere (appended to the normalized observation), with an encoder
 * q(z | disc_obs) ("_model._enc_layers", "_model._enc_out", output normalized to unit length).
 *   latents: z = normalize(N(0, I)) per env, drawn again at every env reset and when the env's
 *            episode time passes a reset time drawn U(latent_time_min, latent_time_max) ahead
 *   reward:  task_reward_weight r_task + disc_reward_weight r_disc + enc_reward_weight max(z . q, 0)
 *   loss:    AMP's + enc_loss_weight mean(-z . q) over the first disc_batch_size rows
 *            + diversity_weight mean((diversity_tar - a_diff / (z_diff + 1e-5))^2) in the actor,
 *            a_diff = mean_j (mu(s, z') - mu(s, z))_j^2, z_diff = 0.5 - 0.5 z' . z, z' fresh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
  float *enc_x, *enc_nx, *enc_u, *enc_du; /* [chunk][D], [chunk][D] dev, [chunk][Z] host, [chunk][Z] dev */
  int div_cap;
  float *div_in, *div_dev, *mu0, *mu1, *dmu; /* diversity rows: [m][IN] host/dev, [m][A] host x3 */
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
  for (int i = 0; i < a->num_envs; i++) {
    s->env_time[i] += s->dt;
    if (s->env_time[i] >= s->reset_time[i]) reset_latent(a, s, i); /* _update_latents */
    if (a->done[i] != 0) {                                            /* _reset_envs of the done ones */
      s->env_time[i] = 0.f;
      reset_latent(a, s, i);
    }
  }
  s->draws++;
  return 0;
}

static int ase_create(cm_agent *a, const cm_cfg *root, cm_err *err) {
  cm_ase *s = calloc(1, sizeof *s);
  if (!s) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  a->impl = s;
  if (cm_amp_init(a, &s->amp, root, err)) return -1;
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
  s->enc_x = cm_dev_host_alloc(a->dev, (size_t)ENC_CHUNK * D * sizeof(float), err);
  s->enc_nx = cm_dev_alloc(a->dev, (size_t)ENC_CHUNK * D, err);
  s->enc_u = calloc((size_t)ENC_CHUNK * s->Z, sizeof(float));
  s->enc_du = cm_dev_alloc(a->dev, (size_t)ENC_CHUNK * s->Z, err);
  if (!s->env_time || !s->reset_time || !s->enc_r || !s->enc_x || !s->enc_nx || !s->enc_u || !s->enc_du)
    return cm_fail(err, "%s:%d: ASE: out of memory", __FILE__, __LINE__);
  return 0;
}

static void free_div(cm_agent *a, cm_ase *s) {
  cm_dev_host_free(a->dev, s->div_in);
  cm_dev_free(a->dev, s->div_dev);
  free(s->mu0);
  free(s->mu1);
  free(s->dmu);
  s->div_in = s->div_dev = s->mu0 = s->mu1 = s->dmu = NULL;
  s->div_cap = 0;
}

static void ase_destroy(cm_agent *a) {
  cm_ase *s = a->impl;
  cm_amp_destroy(a);
  if (s->enc.dev) cm_mlp_destroy(&s->enc);
  free(s->env_time);
  free(s->reset_time);
  free(s->enc_r);
  cm_dev_host_free(a->dev, s->enc_x);
  cm_dev_free(a->dev, s->enc_nx);
  free(s->enc_u);
  cm_dev_free(a->dev, s->enc_du);
  free_div(a, s);
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
    memcpy(s->enc_x, m->disc_obs + (size_t)r0 * D, (size_t)k * D * sizeof(float));
    cm_amp_normalize(m, s->enc_nx, s->enc_x, k);
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
static int ase_aux_loss(cm_agent *a, const int *idx, int rows, double *loss, cm_stats *st, cm_err *err) {
  cm_ase *s = a->impl;
  cm_amp *m = &s->amp;
  if (cm_amp_disc_loss(a, idx, rows, loss, st, err)) return -1;
  int Z = s->Z, ne = m->disc_batch_size < rows ? m->disc_batch_size : rows;
  if (ne > ENC_CHUNK) ne = ENC_CHUNK;
  cm_exp_gather(m->disc_obs, m->D, idx, ne, s->enc_x);
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
  el /= ne;
  cm_stats_set(st, "Enc_Loss", el);
  *loss += s->enc_loss_weight * el;
  return 0;
}

static int reserve_div(cm_agent *a, cm_ase *s, int m, cm_err *err) {
  if (m <= s->div_cap) return 0;
  free_div(a, s);
  size_t IN = (size_t)a->obs_dim + s->Z, A = (size_t)a->act_dim;
  s->div_in = cm_dev_host_alloc(a->dev, (size_t)m * IN * sizeof(float), err);
  s->div_dev = cm_dev_alloc(a->dev, (size_t)m * IN, err);
  s->mu0 = malloc((size_t)m * A * sizeof(float));
  s->mu1 = malloc((size_t)m * A * sizeof(float));
  s->dmu = malloc((size_t)m * A * sizeof(float));
  if (!s->div_in || !s->div_dev || !s->mu0 || !s->mu1 || !s->dmu)
    return cm_fail(err, "%s:%d: ASE diversity: out of memory for %d rows", __FILE__, __LINE__, m);
  s->div_cap = m;
  return 0;
}

/* _compute_diversity_loss: the actor at fresh latents z' against its output at z. */
static int ase_actor_extra(cm_agent *a, int m, const float *in, const float *mean, double *loss, cm_stats *st,
                           cm_err *err) {
  cm_ase *s = a->impl;
  *loss = 0;
  if (s->diversity_weight == 0 || m <= 0) return 0;
  if (reserve_div(a, s, m, err)) return -1;
  int O = a->obs_dim, Z = s->Z, IN = O + Z, A = a->act_dim;
  cm_dev_download(a->dev, s->mu0, mean, (size_t)m * A);
  memcpy(s->div_in, in, (size_t)m * IN * sizeof(float));
  float *zdiff = malloc((size_t)m * sizeof(float));
  if (!zdiff) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  for (int r = 0; r < m; r++) {
    float *znew = s->div_in + (size_t)r * IN + O;
    cm_rng g = cm_rng_make(a->seed, (uint32_t)r, (uint64_t)a->optim.steps, STREAM_DIVERSITY);
    for (int j = 0; j < Z; j++) znew[j] = cm_rng_normal(&g);
    cm_unit_normalize(Z, znew);
    zdiff[r] = 0.5f - 0.5f * cm_dot(Z, znew, in + (size_t)r * IN + O);
  }
  cm_dev_upload(a->dev, s->div_dev, s->div_in, (size_t)m * IN);
  if (cm_mlp_forward(&a->actor, s->div_dev, m, err)) goto fail;
  cm_dev_download(a->dev, s->mu1, cm_mlp_out(&a->actor), (size_t)m * A);
  double dl = 0, tar = s->diversity_tar;
  float w = (float)(s->diversity_weight / m);
  for (int r = 0; r < m; r++) {
    const float *u1 = s->mu1 + (size_t)r * A, *u0 = s->mu0 + (size_t)r * A;
    double ad = 0;
    for (int j = 0; j < A; j++) ad += ((double)u1[j] - u0[j]) * ((double)u1[j] - u0[j]);
    ad /= A;
    double den = zdiff[r] + 1e-5, ratio = ad / den, e = tar - ratio;
    dl += e * e;
    /* d(tar - ratio)^2 / d mu1_j = -2 e * 2 (mu1_j - mu0_j) / (A den); mu0 gets the opposite */
    float g = (float)(-2.0 * e * 2.0 / (A * den)) * w;
    for (int j = 0; j < A; j++) s->dmu[(size_t)r * A + j] = g * (u1[j] - u0[j]);
  }
  free(zdiff);
  zdiff = NULL;
  if (cm_mlp_backward(&a->actor, s->dmu, NULL, err)) goto fail;
  for (size_t k = 0; k < (size_t)m * A; k++) s->dmu[k] = -s->dmu[k];
  cm_dev_upload(a->dev, s->div_dev, in, (size_t)m * IN);
  if (cm_mlp_forward(&a->actor, s->div_dev, m, err) || cm_mlp_backward(&a->actor, s->dmu, NULL, err)) goto fail;
  dl /= m;
  cm_stats_set(st, "Diversity_Loss", dl);
  *loss = s->diversity_weight * dl;
  return 0;
fail:
  free(zdiff);
  return -1;
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
    .actor_loss = cm_ppo_actor_loss,
    .actor_extra = ase_actor_extra,
    .aux_loss = ase_aux_loss,
    .update_normalizers = cm_amp_update_normalizers,
};
