/* The amp family's part of the device step (amp, ase, add; deepmimic_gpu_impl.h): one thread
 * per env, each kernel calling the CM_HD function amp.c runs over the pool for that hook:
 *   reset         cm_amp_reset_env: deepmimic's reset, ase's init-pose draw, the history refill
 *                 (amp.c reset_range), in place of deepmimic's reset kernel
 *   post physics  cm_disc_frame_from_sim into the ring's head slot, then head moves (push_range)
 *   obs           cm_disc_obs; ADD also cm_disc_fill_from_motion + cm_disc_obs (disc_obs_range)
 *   reward        0 (cm_amp_env_reward_done keeps deepmimic's done)
 * After the step's reward and done the pre-reset disc_obs [N][disc_obs_dim] (and ADD's
 * disc_obs_demo) are copied into the arrays cm_dm_gpu_set_disc_out named: host arrays pinned in
 * place, 4 * disc_obs_dim bytes down per env and step (amp, ase and task humanoids: 10 frames of
 * 142 floats, 5680 B, 23 MB a step at 4096 envs; ADD humanoid: 1 frame of 172 floats, twice for
 * disc_obs_demo, 1376 B), or the agent's device rows (a device copy).
 * fetch_disc_obs_demo (amp.c demo_range: cm_amp_demo_sample + cm_disc_obs per sample) runs as a
 * kernel over the device motion library in chunks of up to DEMO_CHUNK samples, each chunk's rows
 * copied into the caller's array (host or device); its draw counter is the host env's
 * (demo_draws), so host and device fetches take turns without repeating draws. */
#include <cuda_runtime.h>
#include <stdlib.h>
#include <string.h>
#include "env/deepmimic_gpu_impl.h"
extern "C" {
#include "env/amp.h"
}
#include "env/amp_disc.h"
#include "env/amp_reset.h"

#define DEMO_CHUNK 16384 /* demo samples per launch at most: 2 x 93 MB of scratch for the amp humanoid */

struct amp_gpu {
  cm_amp_env *h;          /* the host env's amp state (head, hist, demo_draws) */
  cm_disc_params *dp;     /* device copy */
  cm_init_pose init;      /* device copies of the init pose (ase) */
  float *hist;            /* [N][T][R] mirror of h->hist */
  float *disc_obs, *demo; /* [N][disc_obs_dim] mirrors of e->disc_obs, e->disc_obs_demo (ADD) */
  float *demo_frames;     /* [N][T][R] ADD's reference records (scratch) */
  float *out, *out_demo;  /* host arrays of the step's disc_obs; NULL: not downloaded */
  float *demo_ring, *demo_out; /* [cap][T][R], [cap][disc_obs_dim] scratch of fetch_disc_obs_demo */
  int demo_cap;                /* rows of them: grown to min(n, DEMO_CHUNK) on a fetch of n */
  int out_pinned, demo_pinned;
  int head, N, T, R, dim;
  float reset_prob;
};

/* The kernels' view of it, by value. */
struct amp_args {
  const cm_disc_params *dp;
  cm_init_pose init;
  float *hist, *disc_obs, *demo, *demo_frames;
  int head, ring, R, dim, add;
  float reset_prob;
};

static amp_args args_of(const amp_gpu *x) {
  amp_args k;
  k.dp = x->dp;
  k.init = x->init;
  k.hist = x->hist;
  k.disc_obs = x->disc_obs;
  k.demo = x->demo;
  k.demo_frames = x->demo_frames;
  k.head = x->head;
  k.ring = x->T * x->R;
  k.R = x->R;
  k.dim = x->dim;
  k.add = x->demo != NULL;
  k.reset_prob = x->reset_prob;
  return k;
}

__device__ __forceinline__ int env_index() { return blockIdx.x * blockDim.x + threadIdx.x; }

__global__ void k_amp_reset(dm_args a, amp_args k, const int *__restrict__ ids) {
  int i = env_index();
  if (i >= a.num_envs || (ids && ids[i] < 0)) return;
  dm_gpu_reset_counters(a, i);
  cm_amp_reset_env(a.c, a.p, k.dp, &a.v, &a.b, &a.s, a.seed, a.env0, i, k.reset_prob, k.init, k.hist + (long)k.ring * i,
                   k.head);
}

__global__ void k_hist_push(dm_args a, amp_args k) {
  int i = env_index();
  if (i >= a.num_envs) return;
  cm_disc_frame_from_sim(a.c, &a.s, i, k.hist + (long)k.ring * i + (long)k.R * k.head);
}

__global__ void k_demo(dm_args a, amp_args k, uint64_t draw, uint32_t j0, int n, float *__restrict__ ring,
                       float *__restrict__ out) {
  int j = env_index();
  if (j >= n) return;
  float *f = ring + (long)k.ring * j;
  cm_amp_demo_sample(a.c, a.p, k.dp, &a.v, a.seed, draw, (int)(j0 + (uint32_t)j), f);
  cm_disc_obs(a.c, k.dp, f, 0, out + (long)k.dim * j);
}

__global__ void k_disc_obs(dm_args a, amp_args k, const int *__restrict__ mask) {
  int i = env_index();
  if (i >= a.num_envs || (mask && mask[i] < 0)) return;
  cm_disc_obs(a.c, k.dp, k.hist + (long)k.ring * i, k.head, k.disc_obs + (long)k.dim * i);
  if (!k.add) return;
  float *ref = k.demo_frames + (long)k.ring * i;
  cm_disc_fill_from_motion(a.c, k.dp, &a.v, a.b.motion_id[i], a.time[i] + a.b.time_offset[i], ref, 0);
  cm_disc_obs(a.c, k.dp, ref, 0, k.demo + (long)k.dim * i);
}

static int launched(const char *what, cm_err *err) { return dm_gpu_ok(cudaGetLastError(), what, err); }

int amp_gpu_create(cm_dm_gpu *g, cm_env *e, amp_gpu **out, cm_err *err) {
  *out = NULL;
  cm_amp_env *h = cm_amp_of(e);
  if (!h) return 0;
  amp_gpu *x = (amp_gpu *)calloc(1, sizeof *x);
  if (!x) return cm_fail(err, "out of memory");
  x->h = h;
  x->N = e->num_envs;
  x->T = h->dp.steps;
  x->R = h->frame_size;
  x->dim = e->disc_obs_dim;
  x->reset_prob = h->default_reset_prob;
  size_t N = (size_t)x->N, ring = (size_t)x->T * x->R, D = (size_t)e->chr.num_dofs, dim = (size_t)x->dim;
  if (dm_gpu_lib(g, &h->dp, sizeof h->dp, (const void **)&x->dp, err) ||
      dm_gpu_lib(g, e->init_root_pos, sizeof(float) * 3, (const void **)&x->init.root_pos, err) ||
      dm_gpu_lib(g, e->init_root_rot, sizeof(float) * 4, (const void **)&x->init.root_rot, err) ||
      dm_gpu_lib(g, e->init_dof_pos, sizeof(float) * D, (const void **)&x->init.dof_pos, err) ||
      dm_gpu_mirror(g, h->hist, sizeof(float) * N * ring, (void **)&x->hist, err) ||
      dm_gpu_mirror(g, e->disc_obs, sizeof(float) * N * dim, (void **)&x->disc_obs, err) ||
      (e->disc_obs_demo && (dm_gpu_mirror(g, e->disc_obs_demo, sizeof(float) * N * dim, (void **)&x->demo, err) ||
                            dm_gpu_scratch(g, sizeof(float) * N * ring, (void **)&x->demo_frames, err)))) {
    free(x);
    return -1;
  }
  x->head = h->head;
  *out = x;
  return 0;
}

static void unpin(float **p, int *pinned) {
  if (*pinned) cudaHostUnregister(*p);
  *pinned = 0;
  *p = NULL;
}

void amp_gpu_destroy(amp_gpu *x) {
  if (!x) return;
  cudaFree(x->demo_ring);
  cudaFree(x->demo_out);
  unpin(&x->out, &x->out_pinned);
  unpin(&x->out_demo, &x->demo_pinned);
  cudaGetLastError();
  free(x);
}

int amp_gpu_reset(amp_gpu *x, const dm_args *a, const int *ids, cudaStream_t st, cm_err *err) {
  k_amp_reset<<<dm_gpu_grid(a->num_envs), DM_GPU_BLOCK, 0, st>>>(*a, args_of(x), ids);
  return launched("launching the amp reset kernel", err);
}

int amp_gpu_post_physics(amp_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err) {
  k_hist_push<<<dm_gpu_grid(a->num_envs), DM_GPU_BLOCK, 0, st>>>(*a, args_of(x));
  x->head = (x->head + 1) % x->T;
  return launched("launching the history kernel", err);
}

int amp_gpu_obs(amp_gpu *x, const dm_args *a, const int *mask, cudaStream_t st, cm_err *err) {
  k_disc_obs<<<dm_gpu_grid(a->num_envs), DM_GPU_BLOCK, 0, st>>>(*a, args_of(x), mask);
  return launched("launching the discriminator observation kernel", err);
}

int amp_gpu_reward(amp_gpu *x, const dm_args *a, cudaStream_t st, cm_err *err) {
  return dm_gpu_ok(cudaMemsetAsync(a->reward, 0, sizeof(float) * (size_t)x->N, st), "zeroing the rewards", err);
}

int amp_gpu_download(amp_gpu *x, cudaStream_t st, cm_err *err) {
  size_t bytes = sizeof(float) * (size_t)x->N * x->dim;
  if (x->out && dm_gpu_ok(cudaMemcpyAsync(x->out, x->disc_obs, bytes, cudaMemcpyDefault, st), "reading disc_obs", err))
    return -1;
  if (x->out_demo && x->demo &&
      dm_gpu_ok(cudaMemcpyAsync(x->out_demo, x->demo, bytes, cudaMemcpyDefault, st), "reading disc_obs_demo", err))
    return -1;
  return 0;
}

/* Pins a host array in place for the per-step copies (portable: any device's context); a
 * failure (memory that cannot be pinned, or is already) only makes them slower. */
static void pin(float *p, size_t bytes, float **slot, int *pinned) {
  *slot = p;
  cudaPointerAttributes at;
  /* device memory (the agent's own rows): copied device to device (cudaMemcpyDefault), not pinned */
  if (p && cudaPointerGetAttributes(&at, p) == cudaSuccess && at.type == cudaMemoryTypeDevice) {
    *pinned = 0;
    return;
  }
  cudaGetLastError();
  *pinned = p && cudaHostRegister(p, bytes, cudaHostRegisterPortable) == cudaSuccess;
  cudaGetLastError();
}

void amp_gpu_set_out(amp_gpu *x, float *disc_obs, float *disc_obs_demo) {
  size_t bytes = sizeof(float) * (size_t)x->N * x->dim;
  unpin(&x->out, &x->out_pinned);
  unpin(&x->out_demo, &x->demo_pinned);
  pin(disc_obs, bytes, &x->out, &x->out_pinned);
  pin(x->demo ? disc_obs_demo : NULL, bytes, &x->out_demo, &x->demo_pinned);
}

int amp_gpu_fetch_demo(amp_gpu *x, const dm_args *a, int n, float *out, cudaStream_t st, cm_err *err) {
  if (n < 0) return cm_fail(err, "fetch_disc_obs_demo: n = %d", n);
  /* a rank's draws are its share of the global batch's: n per rank of num_envs envs (amp.c) */
  uint32_t j0 = (uint32_t)((uint64_t)a->env0 * (uint64_t)n / (uint64_t)a->num_envs);
  size_t row = sizeof(float) * (size_t)x->dim, ring = sizeof(float) * (size_t)x->T * x->R;
  int want = n < DEMO_CHUNK ? n : DEMO_CHUNK;
  if (want > x->demo_cap) {
    cudaFree(x->demo_ring);
    cudaFree(x->demo_out);
    x->demo_ring = x->demo_out = NULL;
    x->demo_cap = 0;
    if (dm_gpu_ok(cudaMalloc((void **)&x->demo_ring, ring * want), "cudaMalloc(demo scratch)", err) ||
        dm_gpu_ok(cudaMalloc((void **)&x->demo_out, row * want), "cudaMalloc(demo scratch)", err))
      return -1;
    x->demo_cap = want;
  }
  for (int c0 = 0; c0 < n; c0 += x->demo_cap) {
    int m = n - c0 < x->demo_cap ? n - c0 : x->demo_cap;
    k_demo<<<dm_gpu_grid(m), DM_GPU_BLOCK, 0, st>>>(*a, args_of(x), x->h->demo_draws, j0 + (uint32_t)c0, m, x->demo_ring,
                                                     x->demo_out);
    if (launched("launching the demo kernel", err) ||
        dm_gpu_ok(cudaMemcpyAsync(out + (size_t)c0 * x->dim, x->demo_out, row * m, cudaMemcpyDefault, st),
                  "reading the demo observations", err) ||
        dm_gpu_ok(cudaStreamSynchronize(st), "the demo kernel", err)) /* the chunk's buffers are reused */
      return -1;
  }
  x->h->demo_draws++;
  return 0;
}

void amp_gpu_sync(amp_gpu *x, int to_host) {
  if (to_host) x->h->head = x->head;
  else x->head = x->h->head;
}
