/* The CUDA device: cuBLAS for matrix products, small kernels for the rest. Buffers are
 * CUDA managed memory, so host code may read and write them between ops (every op waits
 * for its GPU work before returning); plain host pointers passed to an op are staged
 * through device scratch memory. Built only with -DCMIMIC_CUDA=ON; otherwise the stub
 * in dev_cuda_stub.c says so. One CUDA device per process. */
#ifndef CM_LEARN_DEV_CUDA_H
#define CM_LEARN_DEV_CUDA_H
#include "learn/ops.h"
#ifdef __cplusplus
extern "C" {
#endif

/* The device cuda:<device>, initialised on first use (a static singleton). NULL with a
 * message when there is no usable GPU or driver, or when another cuda:N is already in use.
 * TF32 tensor-core products only when the environment sets CMIMIC_TF32=1. */
const cm_dev *cm_dev_cuda(int device, cm_err *err);

/* The ops return void, so they record the first CUDA/cuBLAS failure; this reports it
 * ("CUDA error: ...") and clears it. Returns 0 when nothing failed since the last check. */
int cm_dev_cuda_check(cm_err *err);

#ifdef __cplusplus
}
#endif
#endif
