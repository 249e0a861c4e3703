/* Inside the device step (CUDA sources only): what deepmimic_gpu.cu shares with the files that
 * extend it for the env types built on deepmimic (amp_gpu.cu: amp, ase, add; task_gpu.cu: the
 * task envs on top of amp's). The module owns the
 * device memory; an extension asks it for arrays (dm_gpu_mirror: copied both ways with the env's
 * state; dm_gpu_lib: read-only, filled once) and queues its kernels on the module's stream at the
 * points where the host driver calls the type's hooks. */
#ifndef CM_DEEPMIMIC_GPU_IMPL_H
#define CM_DEEPMIMIC_GPU_IMPL_H
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include "core/err.h"
#include "env/deepmimic.h"
#include "env/deepmimic_gpu.h"
}

#define DM_GPU_BLOCK 128
static inline int dm_gpu_grid(int n) { return (n + DM_GPU_BLOCK - 1) / DM_GPU_BLOCK; }

/* Everything a kernel reads of the env, by value (device pointers). */
struct dm_args {
  const cm_char *c;
  const cm_dm_params *p;
  cm_motion_lib_view v;
  cm_dm_buf b;
  cm_sim_state s;
  float *time, *reward, *obs;
  int *timestep, *done;
  int num_envs, obs_dim;
  float dt;
  uint64_t seed;
  uint32_t env0;
};

/* What every env reset starts with (cm_env_reset before the type's reset hook). */
__device__ __forceinline__ void dm_gpu_reset_counters(const dm_args &a, int i) {
  a.time[i] = 0.f;
  a.timestep[i] = 0;
  a.done[i] = CM_DONE_NULL;
}

/* One cm_err line for a failed CUDA call or launch (rc cudaGetLastError() for a launch). */
int dm_gpu_ok(cudaError_t rc, const char *what, cm_err *err);
/* A device array of `bytes` mirroring host array `host` (copied by cm_dm_gpu_to_host/from_host),
 * freed with the module. */
int dm_gpu_mirror(cm_dm_gpu *g, void *host, size_t bytes, void **dev_out, cm_err *err);
/* A device copy of `bytes` of host memory, filled now, freed with the module. */
int dm_gpu_lib(cm_dm_gpu *g, const void *host, size_t bytes, const void **out, cm_err *err);
/* A device scratch array of `bytes`, freed with the module. */
int dm_gpu_scratch(cm_dm_gpu *g, size_t bytes, void **out, cm_err *err);

/* ---- the amp family (amp_gpu.cu): the discriminator history and observations ----
 * amp_gpu_create: NULL in *out for an env that is not amp, ase or add. */
typedef struct amp_gpu amp_gpu;
int amp_gpu_create(cm_dm_gpu *g, cm_env *e, amp_gpu **out, cm_err *err);
void amp_gpu_destroy(amp_gpu *x);
/* The env reset of the envs with ids[i] >= 0 (NULL: all), in place of deepmimic's. */
int amp_gpu_reset(amp_gpu *x, const dm_args *a, const int *ids, cudaStream_t st, cm_err *err);
/* After the reference update: the history push of every env, then the ring's head moves. */
int amp_gpu_post_physics(amp_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err);
/* disc_obs (and ADD's disc_obs_demo) of the envs with mask[i] >= 0 (NULL: all). */
int amp_gpu_obs(amp_gpu *x, const dm_args *a, const int *mask, cudaStream_t st, cm_err *err);
/* After deepmimic's reward and done: reward 0 (amp.c cm_amp_env_reward_done). */
int amp_gpu_reward(amp_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err);
/* Before the resets: the step's disc_obs (ADD: disc_obs_demo) queued for the host arrays of
 * cm_dm_gpu_set_disc_out (nothing while none is set). */
int amp_gpu_download(amp_gpu *x, cudaStream_t st, cm_err *err);
void amp_gpu_set_out(amp_gpu *x, float *disc_obs, float *disc_obs_demo);
/* fetch_disc_obs_demo on the device: n demo observations [n][disc_obs_dim] into host array out
 * (waits for them). */
int amp_gpu_fetch_demo(amp_gpu *x, const dm_args *a, int n, float *out, cudaStream_t st, cm_err *err);
/* The ring's head (a host integer) to / from the host env, with the mirrored arrays. */
void amp_gpu_sync(amp_gpu *x, int to_host);

/* ---- the task envs (task_gpu.cu), each call after amp's at the same point ----
 * task_gpu_create: NULL in *out for an env that is no task env. Train mode only. */
typedef struct task_gpu task_gpu;
int task_gpu_create(cm_dm_gpu *g, cm_env *e, task_gpu **out, cm_err *err);
void task_gpu_destroy(task_gpu *x);
/* Before the action: the root positions the reward's displacement starts from. */
int task_gpu_pre_physics(task_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err);
/* After amp's post physics: new targets of the envs whose change time has come. */
int task_gpu_post_physics(task_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err);
/* After amp's reset and the push: new targets of the envs with ids[i] >= 0 (NULL: all). */
int task_gpu_reset(task_gpu *x, const dm_args *a, const int *ids, cudaStream_t st, cm_err *err);
/* The task observation of the envs with mask[i] >= 0 (NULL: all). */
int task_gpu_obs(task_gpu *x, const dm_args *a, const int *mask, cudaStream_t st, cm_err *err);
/* After amp's reward 0: the task reward. */
int task_gpu_reward(task_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err);
#endif
