/* The discriminator's replay buffer of agent samples (MimicKit amp_agent._disc_buffer: an
 * ExperienceBuffer of disc_buffer_size rows). Each iteration pushes the whole rollout until the
 * buffer is full, then disc_replay_samples rows drawn without replacement; pushes wrap around.
 * Samples are drawn uniformly from the rows stored so far. The rows live on the device (host
 * memory on the CPU device); the row indices are drawn on the host and go up once per call,
 * the rows move by device gathers. */
#ifndef CM_LEARN_REPLAY_H
#define CM_LEARN_REPLAY_H
#include <stdint.h>
#include "core/err.h"
#include "learn/ops.h"

typedef struct cm_replay {
  const cm_dev *dev;
  int capacity, dim;
  int head;
  int64_t total; /* rows pushed since creation */
  float *data;   /* [capacity][dim] device */
  int *perm;     /* host scratch: the draw without replacement, then sample indices */
  int *idx_d;    /* device copy of the indices of one call */
  int perm_cap;
  uint64_t seed, draws;
} cm_replay;

int cm_replay_create(cm_replay *r, const cm_dev *dev, int capacity, int dim, uint64_t seed, cm_err *err);
void cm_replay_destroy(cm_replay *r);
static inline int cm_replay_full(const cm_replay *r) { return r->total >= r->capacity; }
static inline int cm_replay_count(const cm_replay *r) { return r->total < r->capacity ? (int)r->total : r->capacity; }
/* MimicKit _store_disc_replay_data: n rows x [n][dim] (device); all of them while not full, else
 * min(n, replay_samples) chosen at random. */
int cm_replay_store(cm_replay *r, const float *x, int n, int replay_samples, cm_err *err);
/* n rows drawn uniformly from the stored ones into out [n][dim] (device; nothing stored: zeros). */
int cm_replay_sample(cm_replay *r, int n, float *out, cm_err *err);
#endif
