/* Rollout storage of one iteration (MimicKit learning/experience_buffer.py): every field is a
 * time-major [steps_per_iter][num_envs] array (the flat sample index is t * num_envs + env), so
 * returns run down columns and mini-batches draw flat indices.
 *
 * Mini-batches come from a random permutation of all capacity = T * N indices, consumed in
 * order across mini-batches and epochs; when a request runs past the end, the rest comes from a
 * fresh permutation. reset() (once per iteration) starts a fresh permutation. Indices are taken
 * modulo the number of stored samples, as MimicKit does for a buffer that is not yet full.
 * Every array lives on the agent's device (cm_dev_alloc: host memory on the CPU device, plain
 * device memory on a GPU), so the CPU path and the GPU path are the same code. The rollout writes
 * a step's rows through cm_exp_store, from host arrays or from device arrays; the update reads
 * them with the device ops (gather_rows, td_lambda, ...); a method that must read or change a
 * field on the host takes a view (cm_exp_host_view) and writes it back (cm_exp_host_commit). */
#ifndef CM_LEARN_EXP_BUFFER_H
#define CM_LEARN_EXP_BUFFER_H
#include <stdint.h>
#include "core/err.h"
#include "learn/ops.h"

typedef struct cm_exp_buffer {
  int steps, num_envs, obs_dim, act_dim;
  int head;               /* time slot the next step writes */
  int64_t total_samples;  /* samples recorded since clear(), across iterations */
  const cm_dev *dev;      /* where the arrays below live */
  float *obs, *next_obs;  /* [T][N][obs_dim] */
  float *action;          /* [T][N][act_dim], unnormalized as sent to the env */
  float *reward;          /* [T][N] */
  uint8_t *done;          /* [T][N] DoneFlags */
  float *a_logp;          /* [T][N] log-prob of the normalized action (PPO) */
  float *rand_mask;       /* [T][N] 1 where the action was sampled, 0 where it was the mean */
  float *tar_val;         /* [T][N] TD(lambda) return, the critic's target */
  float *adv;             /* [T][N] PPO: normalized clipped advantage; AWR: advantage weight */
  /* shuffling */
  float *host;            /* [T][N] pinned host scratch of cm_exp_host_view (NULL on the CPU device) */
  uint64_t seed;
  uint64_t shuffles;
  int *perm;              /* host */
  int perm_head;
} cm_exp_buffer;

/* dev: where the arrays live. */
int cm_exp_create(cm_exp_buffer *b, const cm_dev *dev, int steps, int num_envs, int obs_dim, int act_dim,
                  uint64_t seed, cm_err *err);
void cm_exp_destroy(cm_exp_buffer *b);

static inline int cm_exp_capacity(const cm_exp_buffer *b) { return b->steps * b->num_envs; }
static inline int cm_exp_sample_count(const cm_exp_buffer *b) {
  return b->total_samples < cm_exp_capacity(b) ? (int)b->total_samples : cm_exp_capacity(b);
}
/* Flat offset of env 0 in the current time slot, for writing a step's [N] rows. */
static inline int cm_exp_slot(const cm_exp_buffer *b) { return b->head * b->num_envs; }

/* Writes `bytes` bytes from src into dst, a position inside one of b's arrays (usually a field
 * plus cm_exp_slot(b) times its row width): src is host memory, or memory of b->dev when
 * src_on_device. E.g. cm_exp_store(b, b->obs + slot * obs_dim, obs, N * obs_dim * sizeof(float), 0). */
void cm_exp_store(const cm_exp_buffer *b, void *dst, const void *src, size_t bytes, int src_on_device);
/* The [T][N] float field (reward, adv, ...) where the host can read and change it: the field
 * itself on the CPU device, else b->host after a download (valid until the next view). */
float *cm_exp_host_view(cm_exp_buffer *b, float *field);
/* Writes a view changed on the host back into its field (nothing to do on the CPU device). */
void cm_exp_host_commit(cm_exp_buffer *b, float *field, const float *view);

/* head = 0 and a fresh permutation (start of an iteration). */
void cm_exp_reset(cm_exp_buffer *b);
/* reset() and total_samples = 0 (start of training). */
void cm_exp_clear(cm_exp_buffer *b);
/* Advances to the next time slot after a step was recorded (wraps around). */
void cm_exp_inc(cm_exp_buffer *b);

/* The next n flat sample indices (n <= capacity). */
void cm_exp_sample_idx(cm_exp_buffer *b, int n, int *idx);
/* dst[k][0:width] = src[idx[k]][0:width], host arrays (the methods' own rollout arrays); the
 * buffer's fields are gathered on the device with dev->ops->gather_rows. */
void cm_exp_gather(const float *src, int width, const int *idx, int n, float *dst);

/* MimicKit's mini-batch arithmetic (ppo_agent/awr_agent._update_model): batch_size counts
 * steps of all envs, so one mini-batch holds batch_size * num_envs samples and an epoch has
 * ceil(samples / that) mini-batches. */
static inline int cm_minibatch_size(int batch_size, int num_envs) { return batch_size * num_envs; }

/* batch_size: auto. The size rule: a mini-batch of at most CM_AUTO_MINI_BATCH_SAMPLES samples
 * (MimicKit's humanoid mini-batch, batch_size 4 x 4096 envs; for two fc_3layers_1024units nets
 * that is about 0.6 GB of workspace: per net 16384 x 2560 activations and two 16384 x 1024
 * gradient buffers, in floats), and a whole number of mini-batches
 * per iteration. So auto is the largest divisor b of steps_per_iter with b * num_envs <= that;
 * 1 when a single step of all envs is already more (the mini-batch is then num_envs samples). */
#define CM_BATCH_AUTO (-1) /* cm_agent_cfg.batch_size until the agent resolves it */
#define CM_AUTO_MINI_BATCH_SAMPLES 16384
static inline int cm_auto_batch_size(int steps_per_iter, int num_envs) {
  int best = 1;
  for (int b = 1; b <= steps_per_iter; b++)
    if (steps_per_iter % b == 0 && (long long)b * num_envs <= CM_AUTO_MINI_BATCH_SAMPLES) best = b;
  return best;
}
static inline int cm_minibatch_count(int num_samples, int batch_size, int num_envs) {
  int mb = cm_minibatch_size(batch_size, num_envs);
  return (num_samples + mb - 1) / mb;
}
#endif
