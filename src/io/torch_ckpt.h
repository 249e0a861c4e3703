/* PyTorch-loadable checkpoints: a state dict {name: float32 or int64 tensor} in the zip layout
 * torch.save writes (int64 tensors: torch.LongStorage, 8-byte storage records), so `torch.load("model.pt", weights_only=True)` returns an OrderedDict of tensors:
 *   archive/data.pkl    pickle (protocol 2): OrderedDict of torch._utils._rebuild_tensor_v2(
 *                       persistent id ('storage', torch.FloatStorage, key, 'cpu', numel), 0,
 *                       shape, contiguous stride, False, OrderedDict())
 *   archive/byteorder   "little"
 *   archive/data/<key>  raw little-endian float32 storage, one per tensor
 *   archive/version     "3"
 * Records are stored uncompressed with each payload 64-byte aligned (as torch's writer does,
 * padding the local header's extra field), by a small hand-written zip writer: a zip library
 * cannot place payloads at chosen offsets, and stored records need nothing but zlib's crc32.
 * Checked against torch 2.11: torch.load(weights_only=True) reads our files; torch.save files load. */
#ifndef CM_TORCH_CKPT_H
#define CM_TORCH_CKPT_H
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

#define CM_SD_MAX_DIMS 4

typedef struct cm_sd_entry {
  char *name;
  int ndim; /* 0 .. CM_SD_MAX_DIMS; 0 is a scalar */
  int64_t shape[CM_SD_MAX_DIMS];
  float *data; /* contiguous, row-major, numel values */
  /* int64 tensors (torch.LongStorage, e.g. MimicKit's normalizer counts): the exact values;
   * data holds them converted to float as well. NULL for float32 tensors. */
  int64_t *idata;
} cm_sd_entry;

typedef struct cm_state_dict {
  int count, cap;
  cm_sd_entry *entries; /* in insertion order, which is the order torch.load shows */
} cm_state_dict;

void cm_sd_init(cm_state_dict *sd);
void cm_sd_free(cm_state_dict *sd);
/* Copies name and data (NULL data: zeros). Fails on a duplicate name or a bad shape. */
int cm_sd_add(cm_state_dict *sd, const char *name, int ndim, const int64_t *shape, const float *data, cm_err *err);
/* The same for an int64 tensor (written as torch.LongStorage). */
int cm_sd_add_i64(cm_state_dict *sd, const char *name, int ndim, const int64_t *shape, const int64_t *data,
                  cm_err *err);
cm_sd_entry *cm_sd_find(const cm_state_dict *sd, const char *name);
size_t cm_sd_numel(const cm_sd_entry *e);

int cm_torch_save(const char *path, const cm_state_dict *sd, cm_err *err); /* atomic */
int cm_torch_load(const char *path, cm_state_dict *sd, cm_err *err);
/* The same from memory; name labels error messages. */
int cm_torch_load_mem(const void *data, size_t len, const char *name, cm_state_dict *sd, cm_err *err);
#endif
