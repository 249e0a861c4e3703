#include "learn/replay.h"

#include <stdlib.h>
#include <string.h>
#include "core/rng.h"

#define STREAM_STORE 1u
#define STREAM_SAMPLE 2u

int cm_replay_create(cm_replay *r, const cm_dev *dev, int capacity, int dim, uint64_t seed, cm_err *err) {
  memset(r, 0, sizeof *r);
  if (capacity <= 0 || dim <= 0)
    return cm_fail(err, "%s:%d: replay buffer of %d rows of %d", __FILE__, __LINE__, capacity, dim);
  r->dev = dev;
  r->capacity = capacity;
  r->dim = dim;
  r->seed = seed;
  r->data = cm_dev_alloc(dev, (size_t)capacity * dim, err);
  if (!r->data) return cm_wrap(err, "replay buffer of %d rows", capacity);
  return 0;
}

void cm_replay_destroy(cm_replay *r) {
  if (r->dev) {
    cm_dev_free(r->dev, r->data);
    if (r->idx_d) r->dev->ops->free(r->idx_d);
  }
  free(r->perm);
  memset(r, 0, sizeof *r);
}

static int reserve(cm_replay *r, int n, cm_err *err) {
  if (n <= r->perm_cap) return 0;
  free(r->perm);
  if (r->idx_d) r->dev->ops->free(r->idx_d);
  r->perm = malloc((size_t)n * sizeof(int));
  r->idx_d = r->dev->ops->alloc((size_t)n * sizeof(int));
  r->perm_cap = r->perm && r->idx_d ? n : 0;
  if (!r->perm_cap) return cm_fail(err, "%s:%d: replay buffer: out of memory", __FILE__, __LINE__);
  return 0;
}

/* rows k of the device array src (k = src_row0 + i, or idx_d[i] when idx_d) into the ring at
 * head, wrapping: at most two device copies or gathers */
static void push_rows(cm_replay *r, const float *src, const int *idx_d, int n) {
  const cm_ops *ops = r->dev->ops;
  size_t D = (size_t)r->dim;
  for (int done = 0; done < n;) {
    int k = r->capacity - r->head < n - done ? r->capacity - r->head : n - done;
    float *dst = r->data + (size_t)r->head * D;
    if (idx_d) ops->gather_rows(dst, src, r->dim, idx_d + done, k);
    else ops->copy_bytes(dst, src + (size_t)done * D, (size_t)k * D * sizeof(float));
    done += k;
    r->head = (r->head + k) % r->capacity;
    r->total += k;
  }
}

int cm_replay_store(cm_replay *r, const float *x, int n, int replay_samples, cm_err *err) {
  int take = cm_replay_full(r) ? (n < replay_samples ? n : replay_samples) : n;
  if (take > r->capacity) take = r->capacity; /* MimicKit asserts n <= buffer length */
  if (take == n) {
    push_rows(r, x, NULL, n);
    return 0;
  }
  if (reserve(r, n, err)) return -1;
  for (int i = 0; i < n; i++) r->perm[i] = i;
  /* the first `take` entries of a partial Fisher-Yates shuffle */
  cm_rng g = cm_rng_make(r->seed, 0, r->draws++, STREAM_STORE);
  for (int i = 0; i < take; i++) {
    int j = i + (int)(cm_rng_uniform(&g) * (float)(n - i));
    if (j >= n) j = n - 1;
    int t = r->perm[i];
    r->perm[i] = r->perm[j];
    r->perm[j] = t;
  }
  if (take > 0) r->dev->ops->upload(r->idx_d, r->perm, (size_t)take * sizeof(int));
  push_rows(r, x, r->idx_d, take);
  return 0;
}

int cm_replay_sample(cm_replay *r, int n, float *out, cm_err *err) {
  int count = cm_replay_count(r);
  if (count == 0) {
    if (n > 0) r->dev->ops->fill(out, 0.f, (size_t)n * r->dim);
    return 0;
  }
  if (reserve(r, n, err)) return -1;
  cm_rng g = cm_rng_make(r->seed, 1, r->draws++, STREAM_SAMPLE);
  for (int i = 0; i < n; i++) {
    int k = (int)(cm_rng_uniform(&g) * (float)count);
    if (k >= count) k = count - 1;
    r->perm[i] = k;
  }
  if (n <= 0) return 0;
  r->dev->ops->upload(r->idx_d, r->perm, (size_t)n * sizeof(int));
  r->dev->ops->gather_rows(out, r->data, r->dim, r->idx_d, n);
  return 0;
}
