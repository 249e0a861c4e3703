/* ASE's per-env and per-row formulas (MimicKit learning/ase_agent.py), written once as CM_HD
 * functions: ops_cpu.c loops over them, ops_cuda.cu runs them as kernels (the ase_* ops,
 * ops.h), so the latents, the encoder reward and the encoder's and the diversity objective's
 * loss rows stay where the rollout lives.
 *   latents:  z = normalize(N(0, I)) keyed (seed, env0 + env, draws, STREAM_LATENT); the reset
 *             time U(latent_time_min, latent_time_max) after the env's episode time, keyed the
 *             same on STREAM_LATENT_TIME. Each step (_update_latents, then _reset_envs of the
 *             done ones): time += dt; a new latent once time >= reset time; time 0 and a new
 *             latent where done. `draws` counts the latent steps (resets of all envs included).
 *   reward:   max(z . q, 0), q = u / |u| the encoder's output normalized (eps 1e-12)
 *   enc loss: err = -z . q per row; d err / du = -(z - (z . q) q) / |u|
 *   diversity: z' fresh per loss row, z_diff = 0.5 - 0.5 z' . z, a_diff = mean_j (mu' - mu)_j^2,
 *             e = diversity_tar - a_diff / (z_diff + 1e-5), the loss mean e^2. */
#ifndef CM_LEARN_ASE_ROWS_H
#define CM_LEARN_ASE_ROWS_H
#include <math.h>
#include <stdint.h>
#include "core/hd.h"
#include "core/rng.h"
#include "learn/latent.h"

#define CM_STREAM_LATENT 21u
#define CM_STREAM_LATENT_TIME 22u
#define CM_STREAM_DIVERSITY 23u

/* The latents of N envs (arrays on the device of the op that runs them). */
typedef struct cm_ase_latent_args {
  int Z;
  int reset_all;    /* 1: every env's time to 0 and a new latent (an env reset of all) */
  uint64_t seed;
  uint32_t env0;    /* global index of env 0 (data-parallel ranks draw their own) */
  uint64_t draws;   /* the latent step: keys the draws */
  float dt;         /* control step, seconds */
  double time_min, time_max;
  float *z;                  /* [N][Z] the current latents: the policy's cond rows */
  float *env_time, *reset_time; /* [N] episode time, when the env's latent is drawn again */
  const unsigned char *done; /* [N] the step's done flags (unused with reset_all) */
} cm_ase_latent_args;

/* A unit latent z [Z] of env `env` at latent step `draws`. */
CM_HD static inline void cm_ase_draw_latent(uint64_t seed, uint32_t env, uint64_t draws, int Z, float *z) {
  cm_rng g = cm_rng_make(seed, env, draws, CM_STREAM_LATENT);
  for (int j = 0; j < Z; j++) z[j] = cm_rng_normal(&g);
  cm_unit_normalize(Z, z);
}

/* _reset_latents for env i: a new z and a reset time U(min, max) after the env's current time */
CM_HD static inline void cm_ase_reset_latent(const cm_ase_latent_args *p, int i) {
  uint32_t env = p->env0 + (uint32_t)i;
  cm_ase_draw_latent(p->seed, env, p->draws, p->Z, p->z + (size_t)i * p->Z);
  cm_rng g = cm_rng_make(p->seed, env, p->draws, CM_STREAM_LATENT_TIME);
  p->reset_time[i] = p->env_time[i] + (float)((p->time_max - p->time_min) * cm_rng_uniform(&g) + p->time_min);
}

/* One env's latent after a step (or at a reset of all envs). */
CM_HD static inline void cm_ase_latent_row(const cm_ase_latent_args *p, int i) {
  if (p->reset_all) {
    p->env_time[i] = 0.f;
    cm_ase_reset_latent(p, i);
    return;
  }
  p->env_time[i] += p->dt;
  if (p->env_time[i] >= p->reset_time[i]) cm_ase_reset_latent(p, i); /* _update_latents */
  if (p->done[i] != 0) {                                               /* _reset_envs of the done ones */
    p->env_time[i] = 0.f;
    cm_ase_reset_latent(p, i);
  }
}

/* z . (u / |u|) with each q_j = u_j / |u| rounded to float first (as a normalized copy holds it) */
CM_HD static inline float cm_ase_zq(int Z, const float *z, const float *u, float len) {
  double d = 0;
  for (int j = 0; j < Z; j++) d += (double)z[j] * (u[j] / len);
  return (float)d;
}

/* The encoder reward of one row: max(z . q(u), 0). */
CM_HD static inline float cm_ase_enc_reward_row(int Z, const float *u, const float *z) {
  return fmaxf(cm_ase_zq(Z, z, u, cm_unit_len(Z, u)), 0.f);
}

/* The encoder error of one row, -z . q(u), returned; du [Z] overwritten with scale d err / du. */
CM_HD static inline float cm_ase_enc_loss_row(int Z, const float *u, const float *z, float scale, float *du) {
  float len = cm_unit_len(Z, u), zq = cm_ase_zq(Z, z, u, len);
  for (int j = 0; j < Z; j++) {
    float q = u[j] / len;
    du[j] = 0.f + -scale * (z[j] - zq * q) / len; /* a zeroed row plus the term, as the host code adds it */
  }
  return -zq;
}

/* Diversity row r of m: extra [O + Z] = in's observation with a fresh z' (seed, r, step);
 * returns z_diff = 0.5 - 0.5 z' . z. */
CM_HD static inline float cm_ase_div_row(int O, int Z, uint64_t seed, uint64_t step, int r, const float *in,
                                         float *extra) {
  for (int j = 0; j < O; j++) extra[j] = in[j];
  float *zn = extra + O;
  cm_rng g = cm_rng_make(seed, (uint32_t)r, step, CM_STREAM_DIVERSITY);
  for (int j = 0; j < Z; j++) zn[j] = cm_rng_normal(&g);
  cm_unit_normalize(Z, zn);
  return 0.5f - 0.5f * cm_dot(Z, zn, in + O);
}

/* The diversity loss of one row: e^2 returned; dextra [A] overwritten with w d e^2 / d mu',
 * dmean [A] (the loss rows' gradient so far) gets the opposite added. */
CM_HD static inline double cm_ase_div_loss_row(int A, const float *u0, const float *u1, float zdiff, double tar, float w,
                                               float *dmean, float *dextra) {
  double ad = 0;
  for (int j = 0; j < A; j++) ad += ((double)u1[j] - u0[j]) * ((double)u1[j] - u0[j]);
  ad /= A;
  double den = zdiff + 1e-5, e = tar - ad / den;
  /* d e^2 / d mu1_j = -2 e * 2 (mu1_j - mu0_j) / (A den); mu0 gets the opposite */
  float g = (float)(-4.0 * e / (A * den)) * w;
  for (int j = 0; j < A; j++) {
    float d = g * (u1[j] - u0[j]);
    dextra[j] = 0.f + d;
    dmean[j] -= d;
  }
  return e * e;
}
#endif
