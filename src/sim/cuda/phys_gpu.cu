/* The cuda engine's kernel driver (see phys_gpu.h). Kernels: one thread per env, each on its
 * view of the batched block (cm_phys_data_at), calling the same CM_HD functions the CPU
 * driver calls (on one lane); or one warp per env, its 32 lanes sharing the stages' loops
 * (cm_lanes, phys_lanes.h) on the env's work in the block. Optionally the envs are handed to
 * threads (warps) sorted by their last constraint-row count (CUB's radix sort, on the device),
 * so a warp's threads meet similar work. Errors are checked after every CUDA call and launch
 * and returned as cm_err. */
#include <cuda_runtime.h>
#include <cub/device/device_radix_sort.cuh>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern "C" {
#include "core/err.h"
}
#include "sim/cuda/phys_step.h"
#include "sim/cuda/phys_state.h"
extern "C" {
#include "sim/cuda/phys_gpu.h"
}

/* ---- kernels ---------------------------------------------------------------------------- */

/* Where an env's work family (phys_data.h) lives during a launch:
 *   W == 0  in the device block, env-major, as the CPU driver keeps it (a warp's 32 threads
 *           touch 32 lines work_stride apart);
 *   W > 0   in a per-thread local array of W floats: local memory is interleaved by the
 *           hardware (word k of the 32 threads of a warp are adjacent), so the same per-env
 *           code makes coalesced accesses. The work does not outlive the launch, so a launch
 *           starts by forwarding the state (cm_phys_forward: one more position/velocity stage
 *           per control step). */
template <int W> struct env_view {
  __align__(8) float work[W]; /* holds the double fields of the mass-matrix path too */
  __device__ void at(const cm_phys_layout *L, float *block, int i, cm_phys_data *d) {
    cm_phys_data_at_work(L, block, i, work, d);
  }
};
template <> struct env_view<0> {
  __device__ void at(const cm_phys_layout *L, float *block, int i, cm_phys_data *d) { cm_phys_data_at(L, block, i, d); }
};

/* Targets, `nsub` substeps, state read-back: a whole control step of one env. Thread k runs
 * env perm[k] (perm NULL: env k), so a sorted permutation puts envs of similar work in one warp;
 * keys[i] gets env i's constraint-row count after its last substep, the next sort's key. */
template <int W>
__device__ __forceinline__ void step_thread(const cm_phys_model *__restrict__ m, const cm_phys_bridge *__restrict__ br,
                                            const cm_phys_layout &L, float *block, const float *__restrict__ cmd,
                                            cm_sim_state &s, const int *__restrict__ perm, int *__restrict__ keys,
                                            int nsub, int set_targets, int unpack) {
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= L.num_envs) return;
  int i = perm ? perm[k] : k;
  env_view<W> v;
  cm_phys_data d;
  v.at(&L, block, i, &d);
  if (W > 0) cm_phys_forward(m, &d);
  if (set_targets) cm_phys_set_targets(m, br, cmd + (long)s.num_dofs * i, &d);
  cm_phys_step_env(m, &d, nsub);
  if (unpack) cm_phys_state_unpack(m, br, &d, &s, i);
  if (keys) keys[i] = d.nefc[0];
}

#define STEP_PARAMS                                                                                              \
  const cm_phys_model *__restrict__ m, const cm_phys_bridge *__restrict__ br, cm_phys_layout L, float *block,    \
      const float *__restrict__ cmd, cm_sim_state s, const int *__restrict__ perm, int *__restrict__ keys, int nsub, \
      int set_targets, int unpack, int lanes
#define STEP_ARGS m, br, L, block, cmd, s, perm, keys, nsub, set_targets, unpack, lanes

/* The same kernel with the compiler's register choice, or capped at R registers per thread
 * (more resident warps, at the price of spills to local memory: benchmarks compare them). */
#define THREAD_ARGS m, br, L, block, cmd, s, perm, keys, nsub, set_targets, unpack /* (lanes: 1) */
template <int W> __global__ void phys_step_kernel(STEP_PARAMS) { step_thread<W>(THREAD_ARGS); }
template <int W, int R> __global__ void __maxnreg__(R) phys_step_kernel_r(STEP_PARAMS) { step_thread<W>(THREAD_ARGS); }

/* This thread's lane among the `lanes` (4, 8, 16 or 32: aligned groups inside a warp) that
 * run one env, and that env's place in the launch (a block holds whole warps, so the lanes of
 * one env leave or stay together). */
__device__ __forceinline__ int lanes_env(cm_lanes *ln, int lanes) {
  int t = (int)(blockIdx.x * blockDim.x + threadIdx.x);
  ln->lane = t & (lanes - 1);
  ln->n = lanes;
  return t / lanes;
}

/* A warp (or an aligned part of one) per env: the same control step, its loops over the env's
 * lanes; the work stays in the block (env-major: adjacent lanes touch adjacent words),
 * forwarded from the last step. */
__device__ __forceinline__ void step_warp(STEP_PARAMS) {
  cm_lanes ln;
  int k = lanes_env(&ln, lanes);
  if (k >= L.num_envs) return;
  int i = perm ? perm[k] : k;
  cm_phys_data d;
  cm_phys_data_at(&L, block, i, &d);
  if (set_targets) CM_LANES_SERIAL(ln, cm_phys_set_targets(m, br, cmd + (long)s.num_dofs * i, &d));
  cm_phys_step_env_lanes(ln, m, &d, nsub);
  if (unpack) CM_LANES_SERIAL(ln, cm_phys_state_unpack(m, br, &d, &s, i));
  if (keys && ln.lane == 0) keys[i] = d.nefc[0];
}

/* The compiler's registers, or capped at R (a warp is one env, so registers bound the envs
 * resident per SM: 165 give 6 blocks of 64 on the H200, 128 give 8) */
__global__ void phys_step_warp(STEP_PARAMS) { step_warp(STEP_ARGS); }
template <int R> __global__ void __maxnreg__(R) phys_step_warp_r(STEP_PARAMS) { step_warp(STEP_ARGS); }

/* push_state of the listed envs (ids NULL: env k = k). */
template <int W>
__global__ void phys_push_kernel(const cm_phys_model *__restrict__ m, const cm_phys_bridge *__restrict__ br,
                                 cm_phys_layout L, float *block, cm_sim_state s, const int *__restrict__ ids, int n,
                                 int *__restrict__ keys) {
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= n) return;
  int i = ids ? ids[k] : k;
  if (i < 0 || i >= L.num_envs) return; /* as the CPU driver: ids outside [0, N) are ignored */
  env_view<W> v;
  cm_phys_data d;
  v.at(&L, block, i, &d);
  cm_phys_state_pack(m, br, &s, i, &d);
  cm_phys_forward(m, &d);
  cm_phys_state_unpack(m, br, &d, &s, i);
  keys[i] = d.nefc[0];
}

/* push_state by a warp per env (ids as phys_push_kernel); forward_only: no state written, the
 * block's envs forwarded (the work of the block made current, e.g. after it moved there) */
__global__ void phys_push_warp(const cm_phys_model *__restrict__ m, const cm_phys_bridge *__restrict__ br, cm_phys_layout L,
                               float *block, cm_sim_state s, const int *__restrict__ ids, int n, int *__restrict__ keys,
                               int forward_only, int lanes) {
  cm_lanes ln;
  int k = lanes_env(&ln, lanes);
  if (k >= n) return;
  int i = ids ? ids[k] : k;
  if (i < 0 || i >= L.num_envs) return;
  cm_phys_data d;
  cm_phys_data_at(&L, block, i, &d);
  if (!forward_only) CM_LANES_SERIAL(ln, cm_phys_state_pack(m, br, &s, i, &d));
  cm_phys_forward_lanes(ln, m, &d);
  if (!forward_only) CM_LANES_SERIAL(ln, cm_phys_state_unpack(m, br, &d, &s, i));
  if (ln.lane == 0) keys[i] = d.nefc[0];
}

__global__ void iota_kernel(int *out, int n) {
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k < n) out[k] = k;
}

typedef void (*step_fn)(const cm_phys_model *, const cm_phys_bridge *, cm_phys_layout, float *, const float *,
                        cm_sim_state, const int *, int *, int, int, int, int);
typedef void (*push_fn)(const cm_phys_model *, const cm_phys_bridge *, cm_phys_layout, float *, cm_sim_state,
                        const int *, int, int *);

/* The local-work sizes compiled (floats per thread; 0: the work in the block); a model's work
 * takes the smallest that holds it, or the block past the largest. Each has its step kernel in
 * the register variants CM_PHYS_GPU_REG_VARIANTS (0 = the compiler's choice). Every variant
 * is a whole instantiation of the physics (about a minute of nvcc each), so the register caps
 * and the largest class are compiled only with -DCMIMIC_GPU_VARIANTS=all (CMake), which
 * defines CM_PHYS_GPU_ALL_VARIANTS. */
#ifdef CM_PHYS_GPU_ALL_VARIANTS
#define STEP_ROWS(W) {W, 0, phys_step_kernel<W>}, {W, 96, phys_step_kernel_r<W, 96>}, {W, 64, phys_step_kernel_r<W, 64>}
static const struct { int w, regs; step_fn step; } k_steps[] = {STEP_ROWS(0), STEP_ROWS(8192), STEP_ROWS(20480),
                                                                 STEP_ROWS(32768)};
static const struct { int w; push_fn push; } k_push[] = {
    {0, phys_push_kernel<0>}, {8192, phys_push_kernel<8192>}, {20480, phys_push_kernel<20480>}, {32768, phys_push_kernel<32768>}};
#else
static const struct { int w, regs; step_fn step; } k_steps[] = {
    {0, 0, phys_step_kernel<0>}, {8192, 0, phys_step_kernel<8192>}, {20480, 0, phys_step_kernel<20480>}};
static const struct { int w; push_fn push; } k_push[] = {
    {0, phys_push_kernel<0>}, {8192, phys_push_kernel<8192>}, {20480, phys_push_kernel<20480>}};
#endif
static const struct { int regs; step_fn step; } k_warp[] = {{0, phys_step_warp}, {128, phys_step_warp_r<128>},
#ifdef CM_PHYS_GPU_ALL_VARIANTS
                                                             {96, phys_step_warp_r<96>}
#endif
};
#define NUM_STEPS ((int)(sizeof k_steps / sizeof k_steps[0]))
#define NUM_WARP ((int)(sizeof k_warp / sizeof k_warp[0]))
#define NUM_PUSH ((int)(sizeof k_push / sizeof k_push[0]))

/* ---- the driver ------------------------------------------------------------------------- */

/* The arrays of cm_sim_state the engine simulates (the ref_* arrays are drawn, never simulated,
 * and stay on the host). */
#define STATE_ARRAYS(X) \
  X(root_pos, 3) X(root_rot, 4) X(root_vel, 3) X(root_ang_vel, 3) X(dof_pos, D) X(dof_vel, D) \
  X(body_pos, 3 * B) X(body_rot, 4 * B) X(body_vel, 3 * B) X(body_ang_vel, 3 * B)
enum {
#define X_ENUM(n, k) SA_##n,
  STATE_ARRAYS(X_ENUM)
#undef X_ENUM
  SA_COUNT
};

struct cm_phys_gpu {
  int device, num_envs, num_dofs;
  cm_phys_model *m;
  cm_phys_bridge *br;
  cm_phys_layout L;
  float *block;         /* device block */
  float *cmd;           /* device [N][D] */
  int *ids;             /* device, N */
  int *keys;            /* device, N: each env's constraint rows after its last substep (push or step) */
  int *keys_sorted;     /* device, N: the sort's key output (unused) */
  int *iota;            /* device, N: 0..N-1, the sort's values */
  int *perm;            /* device, N: thread k runs env perm[k] when sorting */
  void *sort_tmp;       /* CUB's scratch */
  size_t sort_tmp_bytes;
  int key_bits;         /* bits of the largest key (nefc_max) */
  cm_sim_state host;    /* the engine's arrays (page-locked while the driver lives) */
  cm_sim_state dev;     /* device mirror */
  void *host_reg[SA_COUNT + 2];
  int nreg;
  size_t bytes[SA_COUNT + 1]; /* per array; [SA_COUNT] = ground_contact */
  cudaStream_t stream;
  cudaEvent_t ev[5];
  int block_threads, fused;
  int sort;             /* CM_PHYS_GPU_SORT_*: the order envs are given to threads */
  int kernel;           /* index into k_steps */
  int push_kernel;      /* index into k_push (the same work size) */
  int lanes;            /* 1: a thread per env (k_steps[kernel]); 32: a warp per env (k_warp[warp_kernel]) */
  int warp_kernel;      /* index into k_warp (-1: the register cap has no warp variant) */
  int work_in_block;    /* the block was allocated with the work family (global work, or lanes 32) */
  size_t block_bytes;   /* what the device block holds: the state family, or all of it */
  cm_phys_gpu_stats st;
  char pending[sizeof(cm_err)]; /* a push_state failure, reported by the next step */
};

static int cu_ok(cudaError_t rc, const char *what, cm_err *err) {
  if (rc == cudaSuccess) return 0;
  cudaGetLastError(); /* clear a non-sticky error */
  return cm_fail(err, "cuda engine (GPU): %s: %s", what, cudaGetErrorString(rc));
}

static int parse_device(const char *device, int *out, cm_err *err) {
  char *end = NULL;
  if (!device || strncmp(device, "cuda:", 5) || !device[5]) return cm_fail(err, "cuda engine: device '%s' is not cuda:N", device ? device : "");
  long n = strtol(device + 5, &end, 10);
  if (*end || n < 0) return cm_fail(err, "cuda engine: device '%s' is not cuda:N", device);
  *out = (int)n;
  return 0;
}

/* a whole decimal integer; -1 when s is not one */
static int parse_int(const char *s, long *out) {
  char *end = NULL;
  *out = strtol(s, &end, 10);
  return *end ? -1 : 0;
}

static int grid_of(int n, int threads) { return (n + threads - 1) / threads; }

/* lanes per env offered: 1 (a thread per env), or an aligned power-of-two part of a warp */
static int lanes_ok(long lanes) { return lanes == 1 || lanes == 4 || lanes == 8 || lanes == 16 || lanes == 32; }

/* Page-locks the host state so the read-back copies run at full PCIe speed: one registration
 * when the arrays share one allocation (pages of neighbouring arrays cannot be registered
 * twice), else one per array. Only an optimisation: a failure leaves pageable copies. */
static void pin_host_state(cm_phys_gpu *g, float *const *arr, uint8_t *contacts) {
  uintptr_t lo = (uintptr_t)contacts, hi = (uintptr_t)contacts + g->bytes[SA_COUNT];
  size_t sum = g->bytes[SA_COUNT];
  for (int a = 0; a < SA_COUNT; a++) {
    if (!g->bytes[a]) continue;
    lo = (uintptr_t)arr[a] < lo ? (uintptr_t)arr[a] : lo;
    hi = (uintptr_t)arr[a] + g->bytes[a] > hi ? (uintptr_t)arr[a] + g->bytes[a] : hi;
    sum += g->bytes[a];
  }
  if (hi - lo <= 2 * sum + (1 << 20)) { /* one allocation (the ref_* arrays may sit inside) */
    if (cudaHostRegister((void *)lo, hi - lo, cudaHostRegisterDefault) == cudaSuccess) g->host_reg[g->nreg++] = (void *)lo;
  } else {
    for (int a = 0; a < SA_COUNT; a++)
      if (g->bytes[a] && cudaHostRegister(arr[a], g->bytes[a], cudaHostRegisterDefault) == cudaSuccess)
        g->host_reg[g->nreg++] = arr[a];
    if (cudaHostRegister(contacts, g->bytes[SA_COUNT], cudaHostRegisterDefault) == cudaSuccess) g->host_reg[g->nreg++] = contacts;
  }
  cudaGetLastError();
}

/* registers and frame of the selected step kernel, into the stats */
static int kernel_attrs(cm_phys_gpu *g, cm_err *err) {
  cudaFuncAttributes fa;
  const void *fn = g->lanes > 1 ? (const void *)k_warp[g->warp_kernel].step : (const void *)k_steps[g->kernel].step;
  if (cu_ok(cudaFuncGetAttributes(&fa, fn), "cudaFuncGetAttributes", err)) return -1;
  g->st.regs = fa.numRegs;
  g->st.local_bytes = fa.localSizeBytes;
  return 0;
}

extern "C" int cm_phys_gpu_create(const char *device, const cm_phys_model *m, const cm_phys_bridge *br,
                                  const cm_phys_layout *L, const float *block, cm_sim_state *st, cm_phys_gpu **out,
                                  cm_err *err) {
  *out = NULL;
  int dev = 0, count = 0;
  if (parse_device(device, &dev, err)) return -1;
  cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess || count == 0)
    return cm_fail(err, "cuda engine: --devices %s: no CUDA device (%s)", device,
                   rc != cudaSuccess ? cudaGetErrorString(rc) : "none found");
  if (dev >= count) return cm_fail(err, "cuda engine: --devices %s: only %d CUDA device(s)", device, count);
  cm_phys_gpu *g = (cm_phys_gpu *)calloc(1, sizeof *g);
  if (!g) return cm_fail(err, "out of memory");
  g->device = dev;
  g->num_envs = L->num_envs;
  g->num_dofs = st->num_dofs;
  g->L = *L;
  g->host = *st;
  g->block_threads = 64;
  g->fused = 1;
  int N = L->num_envs, D = st->num_dofs, B = st->num_bodies;
  /* the work family's home: local memory unless CM_PHYS_GPU_WORK=global (benchmarks) */
  const char *mode = getenv("CM_PHYS_GPU_WORK");
  int wclass = 0;
  /* (past the largest local-work class compiled: in the block too) */
  if (!mode || strcmp(mode, "global"))
    for (int k = NUM_PUSH - 1; k > 0; k--)
      if (k_push[k].w >= L->work_stride) wclass = k;
  g->push_kernel = wclass;
  /* launch order, register variant and lanes per env: CM_PHYS_GPU_SORT / CM_PHYS_GPU_REGS /
   * CM_PHYS_GPU_LANES (cmimic run; bench-env has flags for all three) */
  {
    const char *so = getenv("CM_PHYS_GPU_SORT"), *re = getenv("CM_PHYS_GPU_REGS"), *la = getenv("CM_PHYS_GPU_LANES");
    long v = CM_PHYS_GPU_SORT_DEFAULT, r = 0, lanes = CM_PHYS_GPU_LANES_DEFAULT(L->num_envs);
    if ((la && *la && parse_int(la, &lanes)) || !lanes_ok(lanes)) {
      free(g);
      return cm_fail(err, "cuda engine (GPU): CM_PHYS_GPU_LANES='%s': expected 1 (a thread per env), 4, 8, 16 or 32 (a warp per env)", la);
    }
    g->lanes = (int)lanes;
    if ((so && *so && parse_int(so, &v)) || v < CM_PHYS_GPU_SORT_OFF || v > CM_PHYS_GPU_SORT_ASCENDING) {
      free(g);
      return cm_fail(err, "cuda engine (GPU): CM_PHYS_GPU_SORT='%s': expected 0 (env order), 1 (heaviest first) or 2 (lightest first)", so);
    }
    g->sort = (int)v;
    g->kernel = g->warp_kernel = -1;
    if (!(re && *re && parse_int(re, &r))) {
      for (int k = 0; k < NUM_STEPS; k++)
        if (k_steps[k].w == k_push[wclass].w && k_steps[k].regs == r) g->kernel = k;
      for (int k = 0; k < NUM_WARP; k++)
        if (k_warp[k].regs == r) g->warp_kernel = k;
    }
    if ((g->lanes > 1 ? g->warp_kernel : g->kernel) < 0) {
      free(g);
      return cm_fail(err, "cuda engine (GPU): CM_PHYS_GPU_REGS='%s': expected one of %s", re, CM_PHYS_GPU_REG_VARIANTS);
    }
  }
  g->work_in_block = !wclass || g->lanes > 1;
  size_t block_bytes = sizeof(float) * (size_t)(g->work_in_block ? L->total : L->state_total);
  g->block_bytes = block_bytes;
  float *host_arr[SA_COUNT] = {
#define X_HOST(n, k) st->n,
      STATE_ARRAYS(X_HOST)
#undef X_HOST
  };
  float **dev_arr[SA_COUNT] = {
#define X_DEV(n, k) &g->dev.n,
      STATE_ARRAYS(X_DEV)
#undef X_DEV
  };
  size_t per_env[SA_COUNT] = {
#define X_SIZE(n, k) (size_t)(k),
      STATE_ARRAYS(X_SIZE)
#undef X_SIZE
  };
  g->dev.num_envs = st->num_envs; /* every device pointer NULL until allocated */
  g->dev.num_bodies = st->num_bodies;
  g->dev.num_dofs = st->num_dofs;
  if (cu_ok(cudaSetDevice(dev), "cudaSetDevice", err) || cu_ok(cudaStreamCreate(&g->stream), "cudaStreamCreate", err))
    goto fail;
  for (int k = 0; k < 5; k++)
    if (cu_ok(cudaEventCreate(&g->ev[k]), "cudaEventCreate", err)) goto fail;
  {
    cudaDeviceProp prop;
    if (cu_ok(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties", err)) goto fail;
    snprintf(g->st.device_name, sizeof g->st.device_name, "%.63s", prop.name);
    /* CM_PHYS_GPU_L1=max: no shared memory carved out of L1, all of it caches local memory
     * (benchmarks compare it with the driver's choice); set on every variant of the step */
    const char *l1 = getenv("CM_PHYS_GPU_L1");
    if (l1 && !strcmp(l1, "max")) {
      for (int k = 0; k < NUM_STEPS; k++)
        if (k_steps[k].w == k_push[wclass].w &&
            cu_ok(cudaFuncSetAttribute(k_steps[k].step, cudaFuncAttributePreferredSharedMemoryCarveout,
                                       cudaSharedmemCarveoutMaxL1), "setting the L1 carve-out", err))
          goto fail;
      g->st.l1_max = 1;
    }
  }
  if (kernel_attrs(g, err)) goto fail;
  if (cu_ok(cudaMalloc((void **)&g->m, sizeof *m), "cudaMalloc(model)", err) ||
      cu_ok(cudaMalloc((void **)&g->br, sizeof *br), "cudaMalloc(bridge)", err) ||
      cu_ok(cudaMalloc((void **)&g->block, block_bytes + 4), "cudaMalloc(block)", err) ||
      cu_ok(cudaMalloc((void **)&g->cmd, sizeof(float) * (size_t)N * (D ? D : 1)), "cudaMalloc(targets)", err) ||
      cu_ok(cudaMalloc((void **)&g->ids, sizeof(int) * (size_t)N), "cudaMalloc(ids)", err) ||
      cu_ok(cudaMalloc((void **)&g->keys, sizeof(int) * (size_t)N), "cudaMalloc(keys)", err) ||
      cu_ok(cudaMalloc((void **)&g->keys_sorted, sizeof(int) * (size_t)N), "cudaMalloc(keys)", err) ||
      cu_ok(cudaMalloc((void **)&g->iota, sizeof(int) * (size_t)N), "cudaMalloc(env order)", err) ||
      cu_ok(cudaMalloc((void **)&g->perm, sizeof(int) * (size_t)N), "cudaMalloc(env order)", err))
    goto fail;
  /* the sort's scratch, sized once for N keys of key_bits bits */
  for (g->key_bits = 1; (1L << g->key_bits) <= m->nefc_max; g->key_bits++) {}
  if (cu_ok(cub::DeviceRadixSort::SortPairsDescending(NULL, g->sort_tmp_bytes, g->keys, g->keys_sorted, g->iota, g->perm, N,
                                                       0, g->key_bits, g->stream), "sizing the env sort", err) ||
      cu_ok(cudaMalloc(&g->sort_tmp, g->sort_tmp_bytes + 16), "cudaMalloc(sort scratch)", err) ||
      cu_ok(cudaMemset(g->keys, 0, sizeof(int) * (size_t)N), "clearing the keys", err))
    goto fail;
  iota_kernel<<<grid_of(N, 256), 256, 0, g->stream>>>(g->iota, N);
  if (cu_ok(cudaGetLastError(), "launching iota", err) ||
      cu_ok(cudaMemcpyAsync(g->perm, g->iota, sizeof(int) * (size_t)N, cudaMemcpyDeviceToDevice, g->stream), "copying the env order", err) ||
      cu_ok(cudaStreamSynchronize(g->stream), "iota", err))
    goto fail;
  g->st.device_bytes = sizeof *m + sizeof *br + block_bytes + sizeof(float) * (size_t)N * (D ? D : 1) + 5 * sizeof(int) * (size_t)N +
                       g->sort_tmp_bytes;
  for (int a = 0; a < SA_COUNT; a++) {
    g->bytes[a] = sizeof(float) * per_env[a] * (size_t)N;
    if (cu_ok(cudaMalloc((void **)dev_arr[a], g->bytes[a] ? g->bytes[a] : 4), "cudaMalloc(state)", err)) goto fail;
    g->st.device_bytes += g->bytes[a];
  }
  g->bytes[SA_COUNT] = (size_t)N * B;
  if (cu_ok(cudaMalloc((void **)&g->dev.ground_contact, g->bytes[SA_COUNT] + 4), "cudaMalloc(contacts)", err)) goto fail;
  g->st.device_bytes += g->bytes[SA_COUNT];
  pin_host_state(g, host_arr, st->ground_contact);
  if (cu_ok(cudaMemcpy(g->m, m, sizeof *m, cudaMemcpyHostToDevice), "copying the model", err) ||
      cu_ok(cudaMemcpy(g->br, br, sizeof *br, cudaMemcpyHostToDevice), "copying the bridge", err) ||
      cu_ok(cudaMemcpy(g->block, block, block_bytes, cudaMemcpyHostToDevice), "copying the block", err))
    goto fail;
  *out = g;
  return 0;
fail:
  cm_phys_gpu_destroy(g);
  return -1;
}

/* Copies every state array between its host and device rows in one direction (the host rows
 * are the truth before a push; the device rows after a step). */
static int copy_state(cm_phys_gpu *g, int to_device, const char *what, cm_err *err) {
  float *h[SA_COUNT] = {
#define X_H(n, k) g->host.n,
      STATE_ARRAYS(X_H)
#undef X_H
  };
  float *d[SA_COUNT] = {
#define X_D(n, k) g->dev.n,
      STATE_ARRAYS(X_D)
#undef X_D
  };
  for (int a = 0; a < SA_COUNT; a++) {
    if (!g->bytes[a]) continue;
    cudaError_t rc = to_device ? cudaMemcpyAsync(d[a], h[a], g->bytes[a], cudaMemcpyHostToDevice, g->stream)
                               : cudaMemcpyAsync(h[a], d[a], g->bytes[a], cudaMemcpyDeviceToHost, g->stream);
    if (cu_ok(rc, what, err)) return -1;
  }
  return 0;
}

static int upload_state(cm_phys_gpu *g, cm_err *err) { return copy_state(g, 1, "uploading the state", err); }

static int download_state(cm_phys_gpu *g, cm_err *err) {
  if (copy_state(g, 0, "reading the state back", err)) return -1;
  return cu_ok(cudaMemcpyAsync(g->host.ground_contact, g->dev.ground_contact, g->bytes[SA_COUNT], cudaMemcpyDeviceToHost, g->stream),
               "reading the contacts back", err);
}

static double ev_s(cudaEvent_t a, cudaEvent_t b) {
  float ms = 0;
  cudaEventElapsedTime(&ms, a, b);
  return ms * 1e-3;
}

/* The env order of this step: env ids sorted by the keys the last step (or push) left, heaviest
 * first (CM_PHYS_GPU_SORT_HEAVY) or lightest first; NULL in env order. CUB's radix sort is
 * stable (equal keys keep env order) and runs ceil(key_bits / digit) passes, so it costs a few
 * tens of microseconds against a step of tens of milliseconds. */
static const int *env_order(cm_phys_gpu *g, cm_err *err, int *rc) {
  *rc = 0;
  if (g->sort == CM_PHYS_GPU_SORT_OFF) return NULL;
  size_t tmp = g->sort_tmp_bytes;
  cudaError_t e = g->sort == CM_PHYS_GPU_SORT_HEAVY
                      ? cub::DeviceRadixSort::SortPairsDescending(g->sort_tmp, tmp, g->keys, g->keys_sorted, g->iota, g->perm,
                                                                   g->num_envs, 0, g->key_bits, g->stream)
                      : cub::DeviceRadixSort::SortPairs(g->sort_tmp, tmp, g->keys, g->keys_sorted, g->iota, g->perm,
                                                        g->num_envs, 0, g->key_bits, g->stream);
  if (cu_ok(e, "sorting the envs by their constraint rows", err)) *rc = -1;
  return g->perm;
}

/* One control step: cmd from the host (uploaded first) or already on the device; the state read
 * back into the host arrays or left on the device (device-resident mode). */
static int run_step(cm_phys_gpu *g, const float *cmd, int cmd_on_host, int substeps, int read_back, cm_err *err) {
  if (g->pending[0]) return cm_fail(err, "%s", g->pending);
  int N = g->num_envs, T = g->block_threads, rc = 0;
  size_t cmd_bytes = sizeof(float) * (size_t)N * (size_t)g->num_dofs;
  if (cu_ok(cudaSetDevice(g->device), "cudaSetDevice", err)) return -1;
  cudaEventRecord(g->ev[0], g->stream);
  if (cmd_on_host && cmd_bytes &&
      cu_ok(cudaMemcpyAsync(g->cmd, cmd, cmd_bytes, cudaMemcpyHostToDevice, g->stream), "uploading targets", err))
    return -1;
  const float *cmd_dev = cmd_on_host ? g->cmd : cmd;
  cudaEventRecord(g->ev[1], g->stream);
  const int *perm = env_order(g, err, &rc);
  if (rc) return -1;
  cudaEventRecord(g->ev[2], g->stream);
  step_fn step = g->lanes > 1 ? k_warp[g->warp_kernel].step : k_steps[g->kernel].step;
  int grid = grid_of(N, T), ln = g->lanes;
  if (ln > 1) { /* whole warps per block, `lanes` threads per env */
    T = (T + 31) / 32 * 32;
    grid = grid_of(N, T / ln);
  }
  if (g->fused) {
    step<<<grid, T, 0, g->stream>>>(g->m, g->br, g->L, g->block, cmd_dev, g->dev, perm, g->keys, substeps, 1, 1, ln);
  } else {
    for (int s = 0; s < substeps; s++)
      step<<<grid, T, 0, g->stream>>>(g->m, g->br, g->L, g->block, cmd_dev, g->dev, perm, g->keys, 1, s == 0, s == substeps - 1,
                                      ln);
  }
  if (cu_ok(cudaGetLastError(), "launching the step kernel", err)) return -1;
  cudaEventRecord(g->ev[3], g->stream);
  if (read_back && download_state(g, err)) return -1;
  cudaEventRecord(g->ev[4], g->stream);
  if (cu_ok(cudaStreamSynchronize(g->stream), "the step kernel", err)) return -1;
  g->st.steps++;
  g->st.upload_s += ev_s(g->ev[0], g->ev[1]);
  g->st.sort_s += ev_s(g->ev[1], g->ev[2]);
  g->st.kernel_s += ev_s(g->ev[1], g->ev[3]); /* the sort is part of the step's kernels */
  g->st.download_s += ev_s(g->ev[3], g->ev[4]);
  return 0;
}

extern "C" int cm_phys_gpu_step(cm_phys_gpu *g, const float *cmd, int substeps, cm_err *err) {
  return run_step(g, cmd, 1, substeps, 1, err);
}

/* push_state of the listed envs: from the host rows (uploaded first, ids a host list, the result
 * read back) or from the device rows (ids a device list, nothing copied, not waited for). */
static int push(cm_phys_gpu *g, const int *ids, int n, int on_host, cm_err *err) {
  int T = g->block_threads, count = ids ? n : g->num_envs;
  if (count <= 0) return 0;
  if (ids && count > g->num_envs) return cm_fail(err, "cuda engine (GPU): push_state of %d envs, only %d exist", count, g->num_envs);
  if (cu_ok(cudaSetDevice(g->device), "cudaSetDevice", err) || (on_host && upload_state(g, err))) return -1;
  if (on_host && ids && cu_ok(cudaMemcpyAsync(g->ids, ids, sizeof(int) * (size_t)count, cudaMemcpyHostToDevice, g->stream), "uploading env ids", err))
    return -1;
  const int *ids_on_dev = ids ? (on_host ? g->ids : ids) : NULL;
  if (g->lanes > 1) {
    T = (T + 31) / 32 * 32;
    phys_push_warp<<<grid_of(count, T / g->lanes), T, 0, g->stream>>>(g->m, g->br, g->L, g->block, g->dev, ids_on_dev, count,
                                                                     g->keys, 0, g->lanes);
  } else {
    k_push[g->push_kernel].push<<<grid_of(count, T), T, 0, g->stream>>>(g->m, g->br, g->L, g->block, g->dev, ids_on_dev,
                                                                         count, g->keys);
  }
  if (cu_ok(cudaGetLastError(), "launching the push kernel", err)) return -1;
  if (!on_host) return 0;
  if (download_state(g, err)) return -1;
  return cu_ok(cudaStreamSynchronize(g->stream), "the push kernel", err);
}

/* engine ops return no status from push_state: a failure is kept and the next step reports it */
extern "C" int cm_phys_gpu_push(cm_phys_gpu *g, const int *ids, int n, cm_err *err) {
  cm_err e;
  if (!push(g, ids, n, 1, &e)) return 0;
  if (!g->pending[0]) snprintf(g->pending, sizeof g->pending, "%s", e.msg);
  if (err) *err = e;
  return -1;
}

/* the bytes of the block that are current: the work too when a kernel keeps it there */
static size_t current_block_bytes(const cm_phys_gpu *g) {
  return sizeof(float) * (size_t)(g->lanes > 1 || !g->push_kernel ? g->L.total : g->L.state_total);
}

/* ---- device-resident mode ---------------------------------------------------------------- */

extern "C" void cm_phys_gpu_dev_state(const cm_phys_gpu *g, cm_sim_state *out) { *out = g->dev; }
extern "C" void *cm_phys_gpu_stream(const cm_phys_gpu *g) { return (void *)g->stream; }
extern "C" int cm_phys_gpu_device(const cm_phys_gpu *g) { return g->device; }

extern "C" int cm_phys_gpu_step_dev(cm_phys_gpu *g, const float *cmd_dev, int substeps, cm_err *err) {
  return run_step(g, cmd_dev, 0, substeps, 0, err);
}

extern "C" int cm_phys_gpu_push_dev(cm_phys_gpu *g, const int *ids_dev, int n, cm_err *err) {
  return push(g, ids_dev, n, 0, err);
}

extern "C" int cm_phys_gpu_download_state(cm_phys_gpu *g, cm_err *err) {
  if (cu_ok(cudaSetDevice(g->device), "cudaSetDevice", err) || download_state(g, err)) return -1;
  return cu_ok(cudaStreamSynchronize(g->stream), "reading the state back", err);
}

extern "C" int cm_phys_gpu_upload_state(cm_phys_gpu *g, cm_err *err) {
  if (cu_ok(cudaSetDevice(g->device), "cudaSetDevice", err) || upload_state(g, err)) return -1;
  return cu_ok(cudaMemcpyAsync(g->dev.ground_contact, g->host.ground_contact, g->bytes[SA_COUNT], cudaMemcpyHostToDevice, g->stream),
               "uploading the contacts", err) ||
                 cu_ok(cudaStreamSynchronize(g->stream), "uploading the state", err)
             ? -1
             : 0;
}

extern "C" int cm_phys_gpu_download_block(cm_phys_gpu *g, float *block, cm_err *err) {
  if (cu_ok(cudaSetDevice(g->device), "cudaSetDevice", err)) return -1;
  return cu_ok(cudaMemcpy(block, g->block, current_block_bytes(g), cudaMemcpyDeviceToHost), "reading the block back", err);
}

extern "C" void cm_phys_gpu_set_launch(cm_phys_gpu *g, int block_threads, int fused) {
  if (block_threads > 0) g->block_threads = block_threads;
  g->fused = fused != 0;
}

extern "C" int cm_phys_gpu_set_order(cm_phys_gpu *g, int sort, cm_err *err) {
  if (sort < CM_PHYS_GPU_SORT_OFF || sort > CM_PHYS_GPU_SORT_ASCENDING)
    return cm_fail(err, "cuda engine (GPU): env order %d: expected 0 (env order), 1 (heaviest first) or 2 (lightest first)", sort);
  g->sort = sort;
  return 0;
}

/* the cap for both kernels (a warp per env, a thread per env) where each has it; it must
 * exist for the one in use */
extern "C" int cm_phys_gpu_set_regs(cm_phys_gpu *g, int regs, cm_err *err) {
  int thr = -1, warp = -1, was = g->kernel, was_warp = g->warp_kernel;
  for (int k = 0; k < NUM_STEPS; k++)
    if (k_steps[k].w == k_push[g->push_kernel].w && k_steps[k].regs == regs) thr = k;
  for (int k = 0; k < NUM_WARP; k++)
    if (k_warp[k].regs == regs) warp = k;
  if ((g->lanes > 1 ? warp : thr) < 0)
    return cm_fail(err, "cuda engine (GPU): register cap %d (%s): expected one of %s", regs,
                   g->lanes > 1 ? "lanes per env" : "a thread per env", CM_PHYS_GPU_REG_VARIANTS);
  g->kernel = thr;
  g->warp_kernel = warp;
  if (kernel_attrs(g, err)) {
    g->kernel = was;
    g->warp_kernel = was_warp;
    return -1;
  }
  return 0;
}

/* A warp per env needs the work in the block: a block of only the state grows (the state
 * copied over) and its envs are forwarded there, so the next step starts from current work. */
extern "C" int cm_phys_gpu_set_lanes(cm_phys_gpu *g, int lanes, cm_err *err) {
  if (!lanes_ok(lanes))
    return cm_fail(err, "cuda engine (GPU): %d lanes per env: expected 1 (a thread per env), 4, 8, 16 or 32 (a warp per env)", lanes);
  if (cu_ok(cudaSetDevice(g->device), "cudaSetDevice", err)) return -1;
  int was = g->lanes;
  if ((lanes > 1 ? g->warp_kernel : g->kernel) < 0)
    return cm_fail(err, "cuda engine (GPU): %s has no variant at the register cap chosen (%s)",
                   lanes > 1 ? "lanes per env" : "a thread per env", CM_PHYS_GPU_REG_VARIANTS);
  if (lanes > 1 && !g->work_in_block) {
    size_t bytes = sizeof(float) * (size_t)g->L.total;
    float *nb = NULL;
    if (cu_ok(cudaMalloc((void **)&nb, bytes + 4), "cudaMalloc(block with the work)", err)) return -1;
    if (cu_ok(cudaMemcpyAsync(nb, g->block, g->block_bytes, cudaMemcpyDeviceToDevice, g->stream), "copying the block", err) ||
        cu_ok(cudaStreamSynchronize(g->stream), "copying the block", err)) {
      cudaFree(nb);
      return -1;
    }
    cudaFree(g->block);
    g->st.device_bytes += bytes - g->block_bytes;
    g->block = nb;
    g->block_bytes = bytes;
    g->work_in_block = 1;
  }
  g->lanes = lanes;
  if (kernel_attrs(g, err)) {
    g->lanes = was;
    return -1;
  }
  if (lanes > 1 && was == 1) {
    int T = 128;
    phys_push_warp<<<grid_of(g->num_envs, T / lanes), T, 0, g->stream>>>(g->m, g->br, g->L, g->block, g->dev, NULL, g->num_envs,
                                                                        g->keys, 1, lanes);
    if (cu_ok(cudaGetLastError(), "launching the forward kernel", err) || cu_ok(cudaStreamSynchronize(g->stream), "the forward kernel", err))
      return -1;
  }
  return 0;
}

extern "C" void cm_phys_gpu_stats_get(const cm_phys_gpu *g, cm_phys_gpu_stats *out) {
  *out = g->st;
  out->block_threads = g->block_threads;
  out->fused = g->fused;
  out->sort = g->sort;
  out->max_regs = g->lanes > 1 ? k_warp[g->warp_kernel].regs : k_steps[g->kernel].regs;
  out->local_work = g->lanes > 1 ? 0 : k_push[g->push_kernel].w;
  out->lanes = g->lanes;
  size_t free_b = 0, total_b = 0;
  cudaSetDevice(g->device);
  if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) out->device_in_use = total_b - free_b;
  cudaGetLastError();
}

extern "C" void cm_phys_gpu_stats_reset(cm_phys_gpu *g) {
  g->st.steps = 0;
  g->st.kernel_s = g->st.upload_s = g->st.download_s = g->st.sort_s = 0;
}

extern "C" void cm_phys_gpu_destroy(cm_phys_gpu *g) {
  if (!g) return;
  cudaSetDevice(g->device);
  if (g->stream) cudaStreamSynchronize(g->stream);
  for (int k = 0; k < g->nreg; k++) cudaHostUnregister(g->host_reg[k]);
  float *d[SA_COUNT] = {
#define X_D(n, k) g->dev.n,
      STATE_ARRAYS(X_D)
#undef X_D
  };
  for (int a = 0; a < SA_COUNT; a++)
    if (d[a]) cudaFree(d[a]);
  if (g->dev.ground_contact) cudaFree(g->dev.ground_contact);
  cudaFree(g->m);
  cudaFree(g->br);
  cudaFree(g->block);
  cudaFree(g->cmd);
  cudaFree(g->ids);
  cudaFree(g->keys);
  cudaFree(g->keys_sorted);
  cudaFree(g->iota);
  cudaFree(g->perm);
  cudaFree(g->sort_tmp);
  for (int k = 0; k < 5; k++)
    if (g->ev[k]) cudaEventDestroy(g->ev[k]);
  if (g->stream) cudaStreamDestroy(g->stream);
  cudaGetLastError();
  free(g);
}
