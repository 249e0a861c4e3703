/* The task envs' part of the device step (task_location, task_steering on top of amp_gpu.cu;
 * deepmimic_gpu_impl.h): one thread per env, each kernel calling the CM_HD functions of the
 * task (task_location.h, task_steering.h) as the task env core runs them over the pool
 * (task_common.c):
 *   pre physics   the root positions before the step (cm_task_record_root), a device copy
 *   post physics  after amp's: the envs whose change time has come draw a new target
 *                 (cm_task_due, draw_range: cm_task_rng, the task's draw, cm_task_next_change)
 *   reset         after amp's reset and push: every reset env draws a new target (reset_task)
 *   obs           after amp's: the task observation at the task's offset of each obs row
 *   reward        after amp's reward 0: the task reward
 * Train mode only: a trial's end, the test figures and markers are host code (task_location.c,
 * task_steering.c), so in test mode the env steps on the host (cm_dm_gpu_host_only). */
#include <cuda_runtime.h>
#include <stdlib.h>
#include <string.h>
#include "env/deepmimic_gpu_impl.h"
extern "C" {
#include "env/task_view.h"
}

struct task_gpu {
  cm_task_view v; /* device pointers */
  int N;
};

__device__ __forceinline__ int env_index() { return blockIdx.x * blockDim.x + threadIdx.x; }

/* env i's new target and its next change time */
__device__ void task_draw(const cm_task_view &v, const dm_args &a, int i) {
  cm_rng rng = cm_task_rng(a.seed, a.env0, i, v.draws, v.rng_stream);
  if (v.kind == CM_TASK_LOCATION) cm_loc_draw_target(&v.loc, a.s.root_pos + 3 * i, &rng, v.rows[0] + 3 * i);
  else cm_steer_draw(&v.steer, &rng, v.rows[0] + 2 * i, v.rows[1] + 2 * i, v.rows[2] + i);
  v.change_time[i] = cm_task_next_change(a.time[i], v.change_min, v.change_max, &rng);
}

/* due 1: the envs whose change time has come; else the envs with ids[i] >= 0 (NULL: all) */
__global__ void k_task_draw(dm_args a, cm_task_view v, const int *__restrict__ ids, int due) {
  int i = env_index();
  if (i >= a.num_envs || (ids && ids[i] < 0) || (due && !(a.time[i] >= v.change_time[i]))) return;
  task_draw(v, a, i);
}

__global__ void k_task_obs(dm_args a, cm_task_view v, const int *__restrict__ mask) {
  int i = env_index();
  if (i >= a.num_envs || (mask && mask[i] < 0)) return;
  float *out = a.obs + (long)a.obs_dim * i + v.obs_offset;
  if (v.kind == CM_TASK_LOCATION) cm_loc_obs(a.s.root_pos + 3 * i, a.s.root_rot + 4 * i, v.rows[0] + 3 * i, out);
  else cm_steer_obs(a.s.root_rot + 4 * i, v.rows[0] + 2 * i, v.rows[2][i], v.rows[1] + 2 * i, out);
}

__global__ void k_task_reward(dm_args a, cm_task_view v) {
  int i = env_index();
  if (i >= a.num_envs) return;
  const float *rp = a.s.root_pos + 3 * i, *prev = v.prev_root_pos + 3 * i, *rr = a.s.root_rot + 4 * i;
  a.reward[i] = v.kind == CM_TASK_LOCATION
                    ? cm_loc_reward(&v.loc, rp, prev, rr, v.rows[0] + 3 * i)
                    : cm_steer_reward(&v.steer, rp, prev, rr, v.rows[0] + 2 * i, v.rows[2][i], v.rows[1] + 2 * i);
}

static int launched(const char *what, cm_err *err) { return dm_gpu_ok(cudaGetLastError(), what, err); }

int task_gpu_create(cm_dm_gpu *g, cm_env *e, task_gpu **out, cm_err *err) {
  *out = NULL;
  cm_task_view h;
  if (cm_task_env_view(e, &h)) return 0;
  if (h.kind != CM_TASK_LOCATION && h.kind != CM_TASK_STEERING)
    return cm_fail(err, "deepmimic (GPU): task kind %d has no device step", h.kind);
  task_gpu *x = (task_gpu *)calloc(1, sizeof *x);
  if (!x) return cm_fail(err, "out of memory");
  x->v = h;
  x->N = e->num_envs;
  size_t N = (size_t)x->N;
  int rc = dm_gpu_mirror(g, h.prev_root_pos, sizeof(float) * 3 * N, (void **)&x->v.prev_root_pos, err) ||
           dm_gpu_mirror(g, h.change_time, sizeof(float) * N, (void **)&x->v.change_time, err) ||
           dm_gpu_mirror(g, h.draws, sizeof(uint32_t) * N, (void **)&x->v.draws, err);
  for (int k = 0; k < h.nrows && !rc; k++)
    rc = dm_gpu_mirror(g, h.rows[k], sizeof(float) * h.row_width[k] * N, (void **)&x->v.rows[k], err);
  if (rc) {
    free(x);
    return -1;
  }
  *out = x;
  return 0;
}

void task_gpu_destroy(task_gpu *x) { free(x); }

int task_gpu_pre_physics(task_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err) {
  return dm_gpu_ok(cudaMemcpyAsync(x->v.prev_root_pos, a->s.root_pos, sizeof(float) * 3 * (size_t)x->N,
                                   cudaMemcpyDeviceToDevice, st),
                   "recording the root positions", err);
}

int task_gpu_post_physics(task_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err) {
  k_task_draw<<<dm_gpu_grid(x->N), DM_GPU_BLOCK, 0, st>>>(*a, x->v, NULL, 1);
  return launched("launching the task target kernel", err);
}

int task_gpu_reset(task_gpu *x, const dm_args *a, const int *ids, cudaStream_t st, cm_err *err) {
  k_task_draw<<<dm_gpu_grid(x->N), DM_GPU_BLOCK, 0, st>>>(*a, x->v, ids, 0);
  return launched("launching the task reset kernel", err);
}

int task_gpu_obs(task_gpu *x, const dm_args *a, const int *mask, cudaStream_t st, cm_err *err) {
  k_task_obs<<<dm_gpu_grid(x->N), DM_GPU_BLOCK, 0, st>>>(*a, x->v, mask);
  return launched("launching the task observation kernel", err);
}

int task_gpu_reward(task_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err) {
  k_task_reward<<<dm_gpu_grid(x->N), DM_GPU_BLOCK, 0, st>>>(*a, x->v);
  return launched("launching the task reward kernel", err);
}
