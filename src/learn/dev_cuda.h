/* The CUDA device: cuBLAS for matrix products, small kernels for the rest. Buffers are plain
 * device memory (no managed memory: it can hang the GPU); host code reads them only through
 * cm_dev_download / cm_dev_read, and every op waits for its GPU work before returning. Plain
 * host pointers passed to an op are staged through device scratch memory. Built only with
 * -DCMIMIC_CUDA=ON; otherwise the stub in dev_cuda_stub.c says so. One CUDA device per process. */
#ifndef CM_LEARN_DEV_CUDA_H
#define CM_LEARN_DEV_CUDA_H
#include "learn/ops.h"
#ifdef __cplusplus
extern "C" {
#endif

/* The device cuda:<device>, initialised on first use (a static singleton). NULL with a
 * message when there is no usable GPU or driver, or when another cuda:N is already in use.
 * Matrix products use TF32 tensor cores by default on GPUs that have them (compute capability
 * 8.0 and newer: A100, A10/A40, RTX 30xx/40xx, L4/L40, H100/H200, B200 ...), full fp32 on older
 * ones; the environment variable CMIMIC_TF32=0 or =1 overrides that default. */
const cm_dev *cm_dev_cuda(int device, cm_err *err);

/* Turns TF32 products on or off (the --tf32 flag; it wins over CMIMIC_TF32). Returns whether
 * they are on now; 0 when no CUDA device was opened (or CUDA is not built in). */
int cm_dev_cuda_set_tf32(int on);
/* Whether the products use TF32 now. */
int cm_dev_cuda_tf32(void);

/* Bytes and copies sent from the GPU to the host since it was opened (every download, staged
 * output and reduction result of the ops); 0 when no CUDA device was opened. */
void cm_dev_cuda_d2h(double *bytes, double *copies);

/* The ops return void, so they record the first CUDA/cuBLAS failure; this reports it
 * ("CUDA error: ...") and clears it. Returns 0 when nothing failed since the last check. */
int cm_dev_cuda_check(cm_err *err);

#ifdef __cplusplus
}
#endif
#endif
