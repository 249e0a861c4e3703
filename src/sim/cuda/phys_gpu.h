/* The GPU driver of the cuda engine's physics: the packed model, the batched block
 * (phys_data.h's layout) and the batched state live on one CUDA device, and the per-env CM_HD
 * functions of phys_step.h / phys_state.h run there as kernels, one thread per env or one warp
 * per env (its lanes sharing the stages' loops, CM_PHYS_GPU_LANES). Nothing
 * of the physics is written here: the kernels only call those functions, as the CPU driver
 * (cuda_engine.c) calls them over the thread pool.
 *
 * The host cm_sim_state stays the engine's interface: after cm_phys_gpu_step and
 * cm_phys_gpu_push its arrays hold the device's results (state read-back: one copy per array,
 * from page-locked host memory). Built without CUDA, cm_phys_gpu_create fails with one line. */
#ifndef CM_PHYS_GPU_H
#define CM_PHYS_GPU_H
#include <stddef.h>
#include "core/err.h"
#include "sim/cuda/phys_state.h"

typedef struct cm_phys_gpu cm_phys_gpu;

/* Cumulative since creation (or the last reset of the counters). */
typedef struct cm_phys_gpu_stats {
  long steps;                  /* cm_phys_gpu_step calls */
  double kernel_s;             /* device time of the step kernels, the env sort included (CUDA events) */
  double sort_s;               /* of which the env sort (CM_PHYS_GPU_SORT != 0) */
  double upload_s, download_s; /* device time of the copies around them */
  size_t device_bytes;         /* device memory allocated by the driver */
  size_t device_in_use;        /* the whole device's memory in use (cudaMemGetInfo), local
                                  memory reserved for the kernels' stack frames included */
  int block_threads;           /* threads per block of the step kernel */
  int fused;                   /* 1: all substeps in one launch; 0: one launch per substep */
  int sort;                    /* CM_PHYS_GPU_SORT_*: the order envs are handed to threads */
  int max_regs;                /* the step kernel's register cap (0: the compiler's choice) */
  int local_work;              /* floats of per-thread local memory holding an env's work; 0: in the block */
  int regs;                    /* registers per thread of the step kernel */
  size_t local_bytes;          /* its per-thread local memory (stack frame) */
  int l1_max;                  /* CM_PHYS_GPU_L1=max: the whole L1 for caching (no shared carve-out) */
  int lanes;                   /* threads per env: 1, or 4..32 (lanes of a warp, the work in the block) */
  char device_name[64];
} cm_phys_gpu_stats;

/* The order envs are handed to the step kernel's threads, chosen anew every control step from
 * each env's constraint-row count (nefc) after its last substep, so that the 32 threads of a
 * warp meet similar contact rows and solver work: env order, heaviest first (longest work
 * launched first, so the last wave is not the heaviest), or lightest first. */
#define CM_PHYS_GPU_SORT_OFF 0
#define CM_PHYS_GPU_SORT_HEAVY 1
#define CM_PHYS_GPU_SORT_ASCENDING 2
#define CM_PHYS_GPU_SORT_DEFAULT CM_PHYS_GPU_SORT_OFF
/* Register caps compiled for the step kernel (0: the compiler's choice; 124 for the humanoid):
 * the caps only in a build configured with -DCMIMIC_GPU_VARIANTS=all. */
#ifdef CM_PHYS_GPU_ALL_VARIANTS
#define CM_PHYS_GPU_REG_VARIANTS "0, 96, 64 (a thread per env); 0, 128, 96 (a warp per env)"
#else
#define CM_PHYS_GPU_REG_VARIANTS "0 (a thread per env; 96 and 64 with -DCMIMIC_GPU_VARIANTS=all); 0, 128 (a warp per env)"
#endif
/* Threads per env of the step kernel: 1 (a thread per env), 4, 8, 16 (several envs per warp) or
 * 32 (a warp per env). Default: a warp per env up to 1024 envs, 8 lanes above. Measured on one
 * H200 (docs/BENCHMARKS.md, runs 5 and 6) in physics substeps/s, 1 / 32 / 8 lanes: 4096 envs
 * 0.35 / 1.04 / 1.61 M, 16384 0.85 / 1.20 / 2.13 M, 65536 1.60 / 1.32 / 2.39 M (4 lanes: 2.43 M,
 * within the run-to-run spread); and where the GPU is not full, in ms per control step, 32 / 8
 * lanes: 512 envs 4.8 / 7.2, 2048 8.9 / 8.4. 8 lanes keep most of a warp busy (a humanoid has 28
 * dofs and 4-8 rows) while leaving 4 envs per warp to hide latency; with few envs nothing needs
 * hiding and a warp per env shortens each env's step, which is what bounds small runs. */
#define CM_PHYS_GPU_LANES_DEFAULT(num_envs) ((num_envs) <= 1024 ? 32 : 8)

/* device: "cuda:N". st is the engine's host state (its arrays get page-locked and mirrored);
 * block the host block to start from (initial state). */
int cm_phys_gpu_create(const char *device, const cm_phys_model *m, const cm_phys_bridge *br, const cm_phys_layout *L,
                       const float *block, cm_sim_state *st, cm_phys_gpu **out, cm_err *err);
/* One control step of every env: cmd [N][D] (host) becomes the PD targets, `substeps` physics
 * substeps run, and the state is read back into the host cm_sim_state. */
int cm_phys_gpu_step(cm_phys_gpu *g, const float *cmd, int substeps, cm_err *err);
/* push_state on the device: the host state's rows of the listed envs (NULL = all) are written
 * into their simulations, forwarded, and the refreshed state read back. A failure (err may be
 * NULL) is also kept and returned by the next cm_phys_gpu_step, since push_state has no status. */
int cm_phys_gpu_push(cm_phys_gpu *g, const int *ids, int n, cm_err *err);
/* The device block into the host block (tests, renderers, reset counters): the state family
 * only when the work lives in local memory (the default; CM_PHYS_GPU_WORK=global at creation
 * keeps the work in the block, as the CPU driver does). */
int cm_phys_gpu_download_block(cm_phys_gpu *g, float *block, cm_err *err);
/* Launch shape of the step kernel (benchmarks compare them): threads per block (0 keeps the
 * current) and whether substeps are fused into one launch. */
void cm_phys_gpu_set_launch(cm_phys_gpu *g, int block_threads, int fused);
/* The env order (CM_PHYS_GPU_SORT_*) and the step kernel's register cap (one of
 * CM_PHYS_GPU_REG_VARIANTS); at creation they come from the environment variables
 * CM_PHYS_GPU_SORT and CM_PHYS_GPU_REGS (default: CM_PHYS_GPU_SORT_DEFAULT, 0). -1 and one line
 * for a value not offered. */
int cm_phys_gpu_set_order(cm_phys_gpu *g, int sort, cm_err *err);
int cm_phys_gpu_set_regs(cm_phys_gpu *g, int regs, cm_err *err);
/* Threads per env (1, or 4, 8, 16, 32: a part of a warp or a whole one; at creation
 * CM_PHYS_GPU_LANES, default CM_PHYS_GPU_LANES_DEFAULT(N)). More than one keeps the work in the
 * block (grown and forwarded on the switch). */
int cm_phys_gpu_set_lanes(cm_phys_gpu *g, int lanes, cm_err *err);
/* ---- device-resident mode: the env's own kernels read and write the state on the device ----
 * (src/env/deepmimic_gpu.cu). The host cm_sim_state is then neither read nor written by these calls.
 * cm_phys_gpu_dev_state: the device mirror as a cm_sim_state of device pointers (ref_* NULL:
 * they are drawn, never simulated), valid while g lives. cm_phys_gpu_stream: the cudaStream_t
 * the driver works on (the env's kernels queue behind it). */
void cm_phys_gpu_dev_state(const cm_phys_gpu *g, cm_sim_state *out);
void *cm_phys_gpu_stream(const cm_phys_gpu *g);
int cm_phys_gpu_device(const cm_phys_gpu *g);
/* cm_phys_gpu_step with cmd_dev [N][D] a device array and no read-back (waits for the step). */
int cm_phys_gpu_step_dev(cm_phys_gpu *g, const float *cmd_dev, int substeps, cm_err *err);
/* push_state from the device rows: ids_dev a device array of n env ids (entries outside [0, N)
 * ignored, so a mask of ids or -1 over all envs works without compaction; NULL = all); queued on
 * the stream, not waited for. */
int cm_phys_gpu_push_dev(cm_phys_gpu *g, const int *ids_dev, int n, cm_err *err);
/* Whole-state copies between the device mirror and the host cm_sim_state (tests; leaving or
 * entering device-resident mode). */
int cm_phys_gpu_download_state(cm_phys_gpu *g, cm_err *err);
int cm_phys_gpu_upload_state(cm_phys_gpu *g, cm_err *err);
void cm_phys_gpu_stats_get(const cm_phys_gpu *g, cm_phys_gpu_stats *out);
void cm_phys_gpu_stats_reset(cm_phys_gpu *g);
void cm_phys_gpu_destroy(cm_phys_gpu *g);
#endif
