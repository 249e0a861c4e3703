/* Engine throughput against raw MuJoCo, measured in one run on the same model, thread count
 * and starting states: raw = mj_step on one mjData per env (no PD, no state read-back);
 * engine = control steps of the "mujoco" engine with random PD targets. The ratio says how
 * much of MuJoCo's speed the engine keeps (1.0 = no overhead). The app exposes it as
 * `cmimic bench-env`. */
#ifndef CM_ENGINE_BENCH_H
#define CM_ENGINE_BENCH_H
#include "core/err.h"
#include "sim/engine.h"

/* Rates the bench runs at (those of data/engines/mujoco_engine.yaml). */
#define CM_ENGINE_BENCH_CONTROL_FREQ 30
#define CM_ENGINE_BENCH_SIM_FREQ 120

typedef struct cm_engine_bench_result {
  int num_envs, threads, substeps;
  double raw_steps_per_s;      /* mj_step calls per second, summed over envs */
  double engine_samples_per_s; /* env control steps per second (each = substeps physics steps) */
  double ratio;                /* engine_samples_per_s / (raw_steps_per_s / substeps) */
  double raw_seconds, engine_seconds; /* time spent in each */
  long raw_steps, engine_samples;
  /* mean number of MuJoCo contacts per env, sampled after every control step: contacts are
   * most of a step's cost, so the two sides are comparable only when these are close */
  double raw_contacts, engine_contacts;
} cm_engine_bench_result;

/* Runs until each side has spent about `seconds`, in rounds of 1 s of simulated time that start
 * with every env standing. At every control step the raw data are first set (untimed) to the
 * engine's current states, then the raw side takes `substeps` mj_steps per env and the engine
 * one control step, each as one pool call, so both meet the same contact situations. */
int cm_engine_bench(const char *char_file, int num_envs, int threads, double seconds, cm_engine_bench_result *res,
                    cm_err *err);
/* Any engine through the cm_engine interface (the cuda engine on a GPU above all), in rounds of
 * 1 s of simulated time from a standing start with random PD targets inside the action bounds
 * (a few precomputed sets, cycled). Timed: set_targets + step, i.e. target upload, physics and the
 * state read-back with contact flags; on a GPU also the physics kernels alone (CUDA events). */
typedef struct cm_engine_bench_any_result {
  int num_envs, substeps;
  long control_steps;
  double wall_s;                 /* in set_targets + step */
  double kernel_s;               /* physics kernels alone (0 without a GPU driver) */
  double physics_substeps_per_s; /* num_envs * substeps * control_steps / kernel_s (wall_s on the CPU) */
  double env_samples_per_s;      /* num_envs * control_steps / wall_s */
  double upload_s, download_s;   /* device time of the copies (GPU) */
  double contacts;               /* mean bodies touching the ground per env after a step */
  long resets;                   /* envs reset after going non-finite (cuda engine) */
  /* GPU only */
  char gpu_name[64];
  size_t arrays_bytes, device_in_use;
  int block_threads, fused, local_work, regs, l1_max, sort, max_regs, lanes;
  double sort_s;                 /* of kernel_s: the env sort */
  size_t local_bytes;
} cm_engine_bench_any_result;

/* The kernel launch of a cuda engine on a GPU (phys_gpu.h); a field < 0 keeps the driver's
 * choice (block 0 too). */
typedef struct cm_engine_bench_gpu {
  int block;  /* threads per block */
  int fused;  /* 1: substeps fused in one launch; 0: one launch per substep */
  int sort;   /* CM_PHYS_GPU_SORT_*: env order */
  int regs;   /* register cap of the step kernel (CM_PHYS_GPU_REG_VARIANTS) */
  int lanes;  /* threads per env: 1 or 32 (-1: keep) */
} cm_engine_bench_gpu;

int cm_engine_bench_any(const cm_engine_cfg *cfg, const char *char_file, int num_envs, double seconds,
                        const cm_engine_bench_gpu *gpu_opts, cm_engine_bench_any_result *res, cm_err *err);
#endif
