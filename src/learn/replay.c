#include "learn/replay.h"

#include <stdlib.h>
#include <string.h>
#include "core/rng.h"

#define STREAM_STORE 1u
#define STREAM_SAMPLE 2u

int cm_replay_create(cm_replay *r, int capacity, int dim, uint64_t seed, cm_err *err) {
  memset(r, 0, sizeof *r);
  if (capacity <= 0 || dim <= 0)
    return cm_fail(err, "%s:%d: replay buffer of %d rows of %d", __FILE__, __LINE__, capacity, dim);
  r->capacity = capacity;
  r->dim = dim;
  r->seed = seed;
  r->data = calloc((size_t)capacity * dim, sizeof(float));
  if (!r->data) return cm_fail(err, "%s:%d: replay buffer: out of memory for %d rows", __FILE__, __LINE__, capacity);
  return 0;
}

void cm_replay_destroy(cm_replay *r) {
  free(r->data);
  free(r->perm);
  memset(r, 0, sizeof *r);
}

static void push_row(cm_replay *r, const float *row) {
  memcpy(r->data + (size_t)r->head * r->dim, row, (size_t)r->dim * sizeof(float));
  r->head = (r->head + 1) % r->capacity;
  r->total++;
}

int cm_replay_store(cm_replay *r, const float *x, int n, int replay_samples, cm_err *err) {
  int take = cm_replay_full(r) ? (n < replay_samples ? n : replay_samples) : n;
  if (take > r->capacity) take = r->capacity; /* MimicKit asserts n <= buffer length */
  if (take == n) {
    for (int i = 0; i < n; i++) push_row(r, x + (size_t)i * r->dim);
    return 0;
  }
  if (n > r->perm_cap) {
    free(r->perm);
    r->perm = malloc((size_t)n * sizeof(int));
    r->perm_cap = r->perm ? n : 0;
    if (!r->perm) return cm_fail(err, "%s:%d: replay buffer: out of memory", __FILE__, __LINE__);
  }
  for (int i = 0; i < n; i++) r->perm[i] = i;
  /* the first `take` entries of a partial Fisher-Yates shuffle */
  cm_rng g = cm_rng_make(r->seed, 0, r->draws++, STREAM_STORE);
  for (int i = 0; i < take; i++) {
    int j = i + (int)(cm_rng_uniform(&g) * (float)(n - i));
    if (j >= n) j = n - 1;
    int t = r->perm[i];
    r->perm[i] = r->perm[j];
    r->perm[j] = t;
    push_row(r, x + (size_t)r->perm[i] * r->dim);
  }
  return 0;
}

void cm_replay_sample(cm_replay *r, int n, float *out) {
  int count = cm_replay_count(r);
  if (count == 0) {
    memset(out, 0, (size_t)n * r->dim * sizeof(float));
    return;
  }
  cm_rng g = cm_rng_make(r->seed, 1, r->draws++, STREAM_SAMPLE);
  for (int i = 0; i < n; i++) {
    int k = (int)(cm_rng_uniform(&g) * (float)count);
    if (k >= count) k = count - 1;
    memcpy(out + (size_t)i * r->dim, r->data + (size_t)k * r->dim, (size_t)r->dim * sizeof(float));
  }
}
