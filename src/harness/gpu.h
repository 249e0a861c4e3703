/* The harness's view of the GPU monitor (gpu_monitor.h, NVML at run time): start one per
 * training attempt writing gpu.tsv, a one-line "now" reading for status lines, and the
 * average / minimum of the per-GPU averages at the end. Without NVML the monitor is in CPU-only
 * mode: gpu.tsv holds its header and the statistics are NAN. */
#ifndef CM_HARNESS_GPU_H
#define CM_HARNESS_GPU_H
#include <stddef.h>
#include "core/err.h"

typedef struct cm_hgpu cm_hgpu;

/* A monitor failure is reported in err but never stops a stage: callers go on with NULL. */
int cm_hgpu_start(double hz, const char *tsv_path, cm_hgpu **out, cm_err *err);
/* "gpu0 45% 12034MB 210W, gpu1 ..." or "gpu: none (CPU-only)". */
void cm_hgpu_now(cm_hgpu *g, char *buf, size_t cap);
/* Stops and frees g (NULL allowed); avg_of_avgs / min_of_avgs are NAN without GPUs. */
void cm_hgpu_stop(cm_hgpu *g, double *avg_of_avgs, double *min_of_avgs);
#endif
