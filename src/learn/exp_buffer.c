#include "learn/exp_buffer.h"

#include <stdlib.h>
#include <string.h>
#include "core/rng.h"

/* rng stream of the mini-batch permutations */
#define CM_EXP_SHUFFLE_STREAM 0x5eedu

int cm_exp_create(cm_exp_buffer *b, const cm_dev *dev, int steps, int num_envs, int obs_dim, int act_dim,
                  uint64_t seed, cm_err *err) {
  memset(b, 0, sizeof *b);
  b->dev = dev;
  if (steps <= 0 || num_envs <= 0 || obs_dim <= 0 || act_dim <= 0)
    return cm_fail(err, "%s:%d: experience buffer: steps %d, num_envs %d, obs_dim %d, act_dim %d must be positive",
                   __FILE__, __LINE__, steps, num_envs, obs_dim, act_dim);
  b->steps = steps;
  b->num_envs = num_envs;
  b->obs_dim = obs_dim;
  b->act_dim = act_dim;
  b->seed = seed;
  size_t n = (size_t)steps * num_envs;
  b->obs = cm_dev_alloc(dev, n * obs_dim, err);
  b->next_obs = cm_dev_alloc(dev, n * obs_dim, err);
  b->action = cm_dev_alloc(dev, n * act_dim, err);
  b->reward = cm_dev_alloc(dev, n, err);
  b->done = dev->ops->alloc(n); /* bytes */
  b->a_logp = cm_dev_alloc(dev, n, err);
  b->rand_mask = cm_dev_alloc(dev, n, err);
  b->tar_val = cm_dev_alloc(dev, n, err);
  b->adv = cm_dev_alloc(dev, n, err);
  if (dev->kind != CM_DEV_CPU) b->host = cm_dev_host_alloc(dev, n * sizeof(float), err);
  b->perm = calloc(n, sizeof(int));
  if (!b->obs || !b->next_obs || !b->action || !b->reward || !b->done || !b->a_logp || !b->rand_mask ||
      !b->tar_val || !b->adv || !b->perm || (dev->kind != CM_DEV_CPU && !b->host)) {
    cm_exp_destroy(b);
    return cm_fail(err, "%s:%d: experience buffer: out of memory for %d x %d samples", __FILE__, __LINE__, steps,
                   num_envs);
  }
  cm_exp_clear(b);
  return 0;
}

void cm_exp_destroy(cm_exp_buffer *b) {
  if (b->dev) {
    cm_dev_free(b->dev, b->obs);
    cm_dev_free(b->dev, b->next_obs);
    cm_dev_free(b->dev, b->action);
    cm_dev_free(b->dev, b->reward);
    if (b->done) b->dev->ops->free(b->done);
    cm_dev_free(b->dev, b->a_logp);
    cm_dev_free(b->dev, b->rand_mask);
    cm_dev_free(b->dev, b->tar_val);
    cm_dev_free(b->dev, b->adv);
    cm_dev_host_free(b->dev, b->host);
  }
  free(b->perm);
  memset(b, 0, sizeof *b);
}

void cm_exp_store(const cm_exp_buffer *b, void *dst, const void *src, size_t bytes, int src_on_device) {
  if (src_on_device) b->dev->ops->copy_bytes(dst, src, bytes);
  else b->dev->ops->upload(dst, src, bytes);
}

float *cm_exp_host_view(cm_exp_buffer *b, float *field) {
  if (b->dev->kind == CM_DEV_CPU) return field;
  cm_dev_download(b->dev, b->host, field, (size_t)cm_exp_capacity(b));
  return b->host;
}

void cm_exp_host_commit(cm_exp_buffer *b, float *field, const float *view) {
  if (view != field) cm_dev_upload(b->dev, field, view, (size_t)cm_exp_capacity(b));
}

/* Fisher-Yates with counter-based draws: permutation k is a function of (seed, k) alone. */
static void new_perm(cm_exp_buffer *b) {
  int n = cm_exp_capacity(b);
  cm_rng rng = cm_rng_make(b->seed, 0, b->shuffles++, CM_EXP_SHUFFLE_STREAM);
  for (int i = 0; i < n; i++) b->perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(((uint64_t)cm_rng_u32(&rng) * (uint64_t)(i + 1)) >> 32);
    int t = b->perm[i];
    b->perm[i] = b->perm[j];
    b->perm[j] = t;
  }
  b->perm_head = 0;
}

void cm_exp_reset(cm_exp_buffer *b) {
  b->head = 0;
  new_perm(b);
}

void cm_exp_clear(cm_exp_buffer *b) {
  cm_exp_reset(b);
  b->total_samples = 0;
}

void cm_exp_inc(cm_exp_buffer *b) {
  b->head = (b->head + 1) % b->steps;
  b->total_samples += b->num_envs;
}

void cm_exp_sample_idx(cm_exp_buffer *b, int n, int *idx) {
  int cap = cm_exp_capacity(b);
  int count = cm_exp_sample_count(b);
  if (count <= 0) count = 1;
  for (int k = 0; k < n; k++) {
    if (b->perm_head >= cap) new_perm(b);
    idx[k] = b->perm[b->perm_head++] % count;
  }
}

void cm_exp_gather(const float *src, int width, const int *idx, int n, float *dst) {
  for (int k = 0; k < n; k++) memcpy(dst + (size_t)k * width, src + (size_t)idx[k] * width, (size_t)width * sizeof(float));
}
