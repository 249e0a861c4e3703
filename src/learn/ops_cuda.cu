/* CUDA backend of the learning ops (the CPU semantics of ops_cpu.c, on one GPU).
 *
 * Memory model: buffers are plain device memory (cudaMalloc). The host never dereferences
 * them: where host code needs values it downloads them (cm_dev_download, or cm_dev_read into a
 * pinned host array from cm_dev_host_alloc), and every op waits for its stream before
 * returning, so a download after an op sees its result. Managed memory is not used: the device
 * notes warn that managed allocations can hang the GPU. The agent also hands host arrays to
 * the ops: pinned ones (cm_dev_host_alloc) kernels read in place; plain malloc'd ones are
 * staged through device scratch buffers (copied in before, copied back after) after a
 * pointer check. Element-wise kernels are built with --fmad=false, so they round like the
 * CPU loops; products and reductions differ only by summation order (and by TF32 rounding
 * of the products' inputs when TF32 is on, see cm_dev_cuda_set_tf32).
 *
 * Errors: the ops return void, so the first CUDA/cuBLAS failure is recorded and reported by
 * cm_dev_cuda_check. Not thread-safe: one host thread drives the device at a time. */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern "C" {
#include "learn/dev_cuda.h"
#include "learn/ops.h"
#include "learn/policy_rows.h"
}
/* CM_HD formulas shared with the CPU loops (C++ linkage is fine for static inline functions) */
#include "learn/ase_rows.h"
#include "learn/disc_rows.h"
#include "learn/loss_rows.h"
#include "learn/optim_rows.h"
#include "learn/returns.h"

/* ---------------- state and errors ---------------- */

static struct {
  int ready;
  int device;
  cudaStream_t stream;
  cublasHandle_t blas;
  cm_dev dev;
  cm_ops ops;
  char error[512]; /* first failure since the last check, "" when none */
  /* Device scratch: staging slots for host pointers, a vector of ones (col_sum), doubles
   * for reductions; grown on demand, never shrunk. */
  void *stage[4];
  size_t stage_bytes[4];
  float *ones;
  size_t ones_n;
  double *red;
  size_t red_n;
  double *red_host; /* pinned mirror of red */
  size_t red_host_n;
  double d2h_bytes, d2h_copies; /* what went to the host (cm_dev_cuda_d2h) */
  int has_tf32; /* compute capability >= 8.0 */
  int tf32;     /* cuBLAS products in TF32 */
} g;

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...) {
  if (g.error[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g.error, sizeof g.error, fmt, ap);
  va_end(ap);
  if (!g.error[0]) snprintf(g.error, sizeof g.error, "unknown failure");
}

/* Returns 1 when rc is success; otherwise records "<error> in <what>" and returns 0. */
static int ok(cudaError_t rc, const char *what) {
  if (rc == cudaSuccess) return 1;
  cudaGetLastError(); /* clear a non-sticky error so the next op's launch check does not see it */
  record("%s in %s", cudaGetErrorString(rc), what);
  return 0;
}

static const char *blas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "cuBLAS not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED: return "cuBLAS allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE: return "cuBLAS invalid value";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "cuBLAS architecture mismatch";
    case CUBLAS_STATUS_MAPPING_ERROR: return "cuBLAS mapping error";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "cuBLAS execution failed";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "cuBLAS internal error";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "cuBLAS not supported";
    default: return "cuBLAS error";
  }
}

static int blas_ok(cublasStatus_t s, const char *what) {
  if (s == CUBLAS_STATUS_SUCCESS) return 1;
  record("%s (%d) in %s", blas_status_name(s), (int)s, what);
  return 0;
}

/* Waits for the stream and checks the launches before it; 1 when all went well. */
static int finish(const char *what) {
  int good = ok(cudaGetLastError(), what);
  return ok(cudaStreamSynchronize(g.stream), what) && good;
}

extern "C" int cm_dev_cuda_check(cm_err *err) {
  if (!g.error[0]) return 0;
  cm_fail(err, "CUDA error: %s", g.error);
  g.error[0] = '\0';
  return -1;
}

/* Counts a copy of bytes to the host (every device-to-host copy of the ops comes through here). */
static void count_d2h(size_t bytes) {
  g.d2h_bytes += (double)bytes;
  g.d2h_copies += 1;
}

extern "C" void cm_dev_cuda_d2h(double *bytes, double *copies) {
  *bytes = g.d2h_bytes;
  *copies = g.d2h_copies;
}

/* ---------------- scratch and host-pointer staging ---------------- */

static int grow_device(void **p, size_t *have, size_t bytes, const char *what) {
  if (bytes <= *have) return 1;
  if (*p) cudaFree(*p);
  *p = NULL;
  *have = 0;
  if (!ok(cudaMalloc(p, bytes), what)) {
    *p = NULL;
    return 0;
  }
  *have = bytes;
  return 1;
}

/* True for memory a kernel can use directly: device, managed, or registered host memory. */
static int device_visible(const void *p) {
  cudaPointerAttributes at;
  if (cudaPointerGetAttributes(&at, p) != cudaSuccess) {
    cudaGetLastError(); /* older runtimes fail on unknown pointers: that means plain host memory */
    return 0;
  }
  return at.type != cudaMemoryTypeUnregistered;
}

enum { ARG_IN = 1, ARG_OUT = 2, ARG_INOUT = 3 };

typedef struct {
  int count;
  struct { void *host; void *dev; size_t bytes; int mode; } arg[4];
  int failed;
} staging;

/* The pointer a kernel should use for `bytes` bytes at p: p itself when the GPU can see it,
 * else a scratch slot (filled from p when mode has ARG_IN). */
static void *stage(staging *s, const void *p, size_t bytes, int mode) {
  if (!p || bytes == 0 || device_visible(p)) return (void *)p;
  int i = s->count;
  if (i >= 4) { /* cannot happen: no op has more than 4 pointer arguments */
    record("staging: too many host pointers");
    s->failed = 1;
    return NULL;
  }
  if (!grow_device(&g.stage[i], &g.stage_bytes[i], bytes, "cudaMalloc (staging a host buffer)")) {
    s->failed = 1;
    return NULL;
  }
  if ((mode & ARG_IN) && !ok(cudaMemcpyAsync(g.stage[i], p, bytes, cudaMemcpyHostToDevice, g.stream),
                             "cudaMemcpyAsync (staging in)")) {
    s->failed = 1;
    return NULL;
  }
  s->arg[i].host = (void *)p;
  s->arg[i].dev = g.stage[i];
  s->arg[i].bytes = bytes;
  s->arg[i].mode = mode;
  s->count = i + 1;
  return g.stage[i];
}

/* Copies staged outputs back to their host arrays (unless staging failed and the kernel
 * never ran) and waits for everything; 1 when all went well. */
static int unstage(staging *s, const char *what) {
  int good = !s->failed;
  for (int i = 0; good && i < s->count; i++)
    if (s->arg[i].mode & ARG_OUT) {
      count_d2h(s->arg[i].bytes);
      good = ok(cudaMemcpyAsync(s->arg[i].host, s->arg[i].dev, s->arg[i].bytes, cudaMemcpyDeviceToHost, g.stream),
                "cudaMemcpyAsync (staging out)");
    }
  return finish(what) && good;
}

/* Bytes spanned by a row-major [rows][cols] matrix with leading dimension ld. */
static size_t span(int rows, int cols, int ld) {
  if (rows <= 0 || cols <= 0) return 0;
  return ((size_t)(rows - 1) * (size_t)ld + (size_t)cols) * sizeof(float);
}

/* ---------------- kernels ---------------- */

#define THREADS 256

static unsigned blocks_for(size_t n) {
  size_t b = (n + THREADS - 1) / THREADS;
  return (unsigned)(b > 65535 ? 65535 : (b ? b : 1));
}

#define GRID_STRIDE(i, n) \
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

__global__ void k_fill(float *x, float v, size_t n) {
  GRID_STRIDE(i, n) x[i] = v;
}

__global__ void k_scale_matrix(float *c, float beta, int m, int n, int ldc) {
  size_t total = (size_t)m * n;
  GRID_STRIDE(i, total) {
    float *e = c + (i / n) * (size_t)ldc + i % n;
    *e = beta == 0.f ? 0.f : beta * *e;
  }
}

__global__ void k_add_bias(float *y, const float *bias, size_t n, int cols) {
  GRID_STRIDE(i, n) y[i] += bias[i % cols];
}

__global__ void k_relu_fwd(float *y, const float *x, size_t n) {
  GRID_STRIDE(i, n) y[i] = x[i] > 0.f ? x[i] : 0.f;
}

__global__ void k_relu_bwd(float *dx, const float *dy, const float *y, size_t n) {
  GRID_STRIDE(i, n) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}

__global__ void k_axpy(size_t n, float a, const float *x, float *y) {
  GRID_STRIDE(i, n) y[i] += a * x[i];
}

__global__ void k_scale(size_t n, float a, float *x) {
  GRID_STRIDE(i, n) x[i] *= a;
}

__global__ void k_sgd(float *p, const float *g_, float *buf, size_t n, float lr, float momentum, float wd) {
  GRID_STRIDE(i, n) {
    float d = g_[i] + wd * p[i];
    float b = momentum * buf[i] + d;
    buf[i] = b;
    p[i] -= lr * b;
  }
}

__global__ void k_adam(float *p, const float *g_, float *m, float *v, size_t n, cm_adam_coef c) {
  GRID_STRIDE(i, n) {
    float gi = g_[i];
    float pi = p[i] * c.decay;
    float mi = c.beta1 * m[i] + c.one_minus_beta1 * gi;
    float vi = c.beta2 * v[i] + c.one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - c.step_size * mi / (sqrtf(vi) / c.bias_c2_sqrt + c.eps);
  }
}

__global__ void k_normalize(float *y, const float *x, const float *mean, const float *std, float clip, size_t n,
                            int cols) {
  GRID_STRIDE(i, n) {
    int c = (int)(i % cols);
    float z = (x[i] - mean[c]) / std[c];
    y[i] = z < -clip ? -clip : (z > clip ? clip : z);
  }
}

__global__ void k_unnormalize(float *y, const float *x, const float *mean, const float *std, size_t n, int cols) {
  GRID_STRIDE(i, n) {
    int c = (int)(i % cols);
    y[i] = x[i] * std[c] + mean[c];
  }
}

/* sum x^2 in double: per-thread sums, a block reduction, one atomic per block. */
__global__ void k_sum_sq(const float *x, size_t n, double *out) {
  __shared__ double part[THREADS];
  double s = 0;
  GRID_STRIDE(i, n) s += (double)x[i] * x[i];
  part[threadIdx.x] = s;
  __syncthreads();
  for (int w = THREADS / 2; w > 0; w >>= 1) {
    if ((int)threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) atomicAdd(out, part[0]);
}

/* Per-column sum and sum of squares in double. Block (32, 8): threadIdx.x walks columns
 * (coalesced reads), threadIdx.y and blockIdx.y split the rows. */
#define MOM_X 32
#define MOM_Y 8
__global__ void k_col_abs_sum(const float *x, int rows, int cols, double *sum) {
  __shared__ double s1[MOM_Y][MOM_X];
  int c = blockIdx.x * MOM_X + threadIdx.x;
  double a = 0;
  if (c < cols)
    for (int r = blockIdx.y * MOM_Y + threadIdx.y; r < rows; r += gridDim.y * MOM_Y) a += fabs((double)x[(size_t)r * cols + c]);
  s1[threadIdx.y][threadIdx.x] = a;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    for (int k = 1; k < MOM_Y; k++) a += s1[k][threadIdx.x];
    atomicAdd(sum + c, a);
  }
}

__global__ void k_col_moments(const float *x, int rows, int cols, double *sum, double *sum_sq) {
  __shared__ double s1[MOM_Y][MOM_X], s2[MOM_Y][MOM_X];
  int c = blockIdx.x * MOM_X + threadIdx.x;
  double a = 0, b = 0;
  if (c < cols)
    for (int r = blockIdx.y * MOM_Y + threadIdx.y; r < rows; r += gridDim.y * MOM_Y) {
      double v = x[(size_t)r * cols + c];
      a += v;
      b += v * v;
    }
  s1[threadIdx.y][threadIdx.x] = a;
  s2[threadIdx.y][threadIdx.x] = b;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    for (int k = 1; k < MOM_Y; k++) {
      a += s1[k][threadIdx.x];
      b += s2[k][threadIdx.x];
    }
    atomicAdd(sum + c, a);
    atomicAdd(sum_sq + c, b);
  }
}

/* one thread per env row: the CPU's row function */
__global__ void k_policy_act(cm_policy_act_args p, int rows) {
  GRID_STRIDE(i, (size_t)rows) cm_policy_act_row(&p, (int)i);
}

/* ---------------- the ops ---------------- */

static void cu_set_device(void) { cudaSetDevice(g.device); }

static void *cu_alloc(size_t bytes) {
  cu_set_device();
  void *p = NULL;
  if (!bytes) bytes = 1;
  char what[96];
  snprintf(what, sizeof what, "cudaMalloc (%zu bytes)", bytes);
  /* plain device memory: a request beyond the GPU's fails here instead of oversubscribing */
  if (!ok(cudaMalloc(&p, bytes), what)) return NULL;
  if (!ok(cudaMemsetAsync(p, 0, bytes, g.stream), "cudaMemsetAsync (zeroing an allocation)") ||
      !ok(cudaStreamSynchronize(g.stream), "cudaStreamSynchronize (zeroing an allocation)")) {
    cudaFree(p);
    return NULL;
  }
  return p;
}

static void cu_free(void *p) {
  if (!p) return;
  cu_set_device();
  /* cudaFree waits for pending work on the buffer */
  ok(cudaFree(p), "cudaFree");
}

static void *cu_alloc_host(size_t bytes) {
  cu_set_device();
  void *p = NULL;
  char what[96];
  snprintf(what, sizeof what, "cudaHostAlloc (%zu bytes)", bytes ? bytes : 1);
  if (!ok(cudaHostAlloc(&p, bytes ? bytes : 1, cudaHostAllocPortable), what)) return NULL;
  memset(p, 0, bytes ? bytes : 1);
  return p;
}

static void cu_free_host(void *p) {
  if (p) ok(cudaFreeHost(p), "cudaFreeHost");
}

static void cu_memcpy(void *dst, const void *src, size_t bytes, const char *what) {
  if (!bytes) return;
  cu_set_device();
  ok(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, g.stream), what);
  finish(what);
}

static void cu_upload(void *dst_dev, const void *src_host, size_t bytes) { cu_memcpy(dst_dev, src_host, bytes, "upload"); }
static void cu_download(void *dst_host, const void *src_dev, size_t bytes) {
  cudaPointerAttributes at;
  int to_dev = cudaPointerGetAttributes(&at, dst_host) == cudaSuccess && at.type == cudaMemoryTypeDevice;
  cudaGetLastError(); /* an unknown (plain host) pointer fails on older runtimes */
  if (bytes && !to_dev) count_d2h(bytes);
  cu_memcpy(dst_host, src_dev, bytes, "download");
}
static void cu_copy(float *dst, const float *src, size_t n) { cu_memcpy(dst, src, n * sizeof(float), "copy"); }

static void cu_fill(float *x, float v, size_t n) {
  if (!n) return;
  cu_set_device();
  staging s = {};
  float *dx = (float *)stage(&s, x, n * sizeof(float), ARG_OUT);
  if (!s.failed) k_fill<<<blocks_for(n), THREADS, 0, g.stream>>>(dx, v, n);
  unstage(&s, "fill");
}

static void cu_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                    int ldb, float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  cu_set_device();
  staging s = {};
  float *dc = (float *)stage(&s, c, span(m, n, ldc), ARG_INOUT); /* INOUT: keeps the gaps when ldc > n */
  if (k <= 0) { /* C = beta C, as the CPU backend does by hand */
    if (!s.failed) k_scale_matrix<<<blocks_for((size_t)m * n), THREADS, 0, g.stream>>>(dc, beta, m, n, ldc);
    unstage(&s, "gemm (k = 0)");
    return;
  }
  const float *da = (const float *)stage(&s, a, ta ? span(k, m, lda) : span(m, k, lda), ARG_IN);
  const float *db = (const float *)stage(&s, b, tb ? span(n, k, ldb) : span(k, n, ldb), ARG_IN);
  if (!s.failed) {
    /* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: a row-major array read
     * column-major is its transpose, so pass B first with the same transpose flags. */
    blas_ok(cublasSgemm(g.blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha,
                        db, ldb, da, lda, &beta, dc, ldc),
            "cublasSgemm");
  }
  unstage(&s, "gemm");
}

static void cu_add_bias(float *y, const float *bias, int rows, int cols) {
  if (rows <= 0 || cols <= 0) return;
  cu_set_device();
  size_t n = (size_t)rows * cols;
  staging s = {};
  float *dy = (float *)stage(&s, y, n * sizeof(float), ARG_INOUT);
  const float *db = (const float *)stage(&s, bias, (size_t)cols * sizeof(float), ARG_IN);
  if (!s.failed) k_add_bias<<<blocks_for(n), THREADS, 0, g.stream>>>(dy, db, n, cols);
  unstage(&s, "add_bias");
}

/* out += x^T 1 through cuBLAS gemv: a row-major [rows][cols] array is a column-major
 * [cols][rows] one, so y(cols) = A(cols x rows) * ones(rows) + y. */
static void cu_col_sum(float *out, const float *x, int rows, int cols) {
  if (rows <= 0 || cols <= 0) return;
  cu_set_device();
  if ((size_t)rows > g.ones_n) {
    size_t have = g.ones_n * sizeof(float);
    size_t want = (size_t)rows < 4096 ? 4096 : (size_t)rows;
    if (!grow_device((void **)&g.ones, &have, want * sizeof(float), "cudaMalloc (col_sum ones)")) {
      g.ones_n = 0;
      return;
    }
    k_fill<<<blocks_for(want), THREADS, 0, g.stream>>>(g.ones, 1.f, want);
    g.ones_n = want;
  }
  staging s = {};
  float *dout = (float *)stage(&s, out, (size_t)cols * sizeof(float), ARG_INOUT);
  const float *dx = (const float *)stage(&s, x, (size_t)rows * cols * sizeof(float), ARG_IN);
  if (!s.failed) {
    const float one = 1.f;
    blas_ok(cublasSgemv(g.blas, CUBLAS_OP_N, cols, rows, &one, dx, cols, g.ones, 1, &one, dout, 1), "cublasSgemv");
  }
  unstage(&s, "col_sum");
}

static void cu_relu_fwd(float *y, const float *x, size_t n) {
  if (!n) return;
  cu_set_device();
  staging s = {};
  float *dy = (float *)stage(&s, y, n * sizeof(float), ARG_OUT);
  const float *dx = (const float *)stage(&s, x, n * sizeof(float), ARG_IN);
  if (!s.failed) k_relu_fwd<<<blocks_for(n), THREADS, 0, g.stream>>>(dy, dx, n);
  unstage(&s, "relu_fwd");
}

static void cu_relu_bwd(float *dx, const float *dy, const float *y, size_t n) {
  if (!n) return;
  cu_set_device();
  staging s = {};
  float *ddx = (float *)stage(&s, dx, n * sizeof(float), ARG_OUT);
  const float *ddy = (const float *)stage(&s, dy, n * sizeof(float), ARG_IN);
  const float *dyv = (const float *)stage(&s, y, n * sizeof(float), ARG_IN);
  if (!s.failed) k_relu_bwd<<<blocks_for(n), THREADS, 0, g.stream>>>(ddx, ddy, dyv, n);
  unstage(&s, "relu_bwd");
}

static void cu_axpy(size_t n, float a, const float *x, float *y) {
  if (!n) return;
  cu_set_device();
  staging s = {};
  float *dy = (float *)stage(&s, y, n * sizeof(float), ARG_INOUT);
  const float *dx = (const float *)stage(&s, x, n * sizeof(float), ARG_IN);
  if (!s.failed) k_axpy<<<blocks_for(n), THREADS, 0, g.stream>>>(n, a, dx, dy);
  unstage(&s, "axpy");
}

static void cu_scale(size_t n, float a, float *x) {
  if (!n) return;
  cu_set_device();
  staging s = {};
  float *dx = (float *)stage(&s, x, n * sizeof(float), ARG_INOUT);
  if (!s.failed) k_scale<<<blocks_for(n), THREADS, 0, g.stream>>>(n, a, dx);
  unstage(&s, "scale");
}

/* Reduction scratch: n doubles on the device (zeroed) and a pinned host mirror. */
static double *reduction_buffers(size_t n) {
  size_t have = g.red_n * sizeof(double);
  if (!grow_device((void **)&g.red, &have, n * sizeof(double), "cudaMalloc (reduction)")) {
    g.red_n = 0;
    return NULL;
  }
  g.red_n = have / sizeof(double);
  if (n > g.red_host_n) {
    if (g.red_host) cudaFreeHost(g.red_host);
    g.red_host = NULL;
    g.red_host_n = 0;
    if (!ok(cudaMallocHost((void **)&g.red_host, n * sizeof(double)), "cudaMallocHost (reduction)")) return NULL;
    g.red_host_n = n;
  }
  if (!ok(cudaMemsetAsync(g.red, 0, n * sizeof(double), g.stream), "cudaMemsetAsync (reduction)")) return NULL;
  return g.red;
}

/* sum x^2 added into the device double acc: enough blocks to fill the GPU, few atomics */
static void launch_sum_sq(const float *dx, size_t n, double *acc) {
  size_t b = blocks_for(n);
  if (b > 1024) b = 1024;
  k_sum_sq<<<(unsigned)b, THREADS, 0, g.stream>>>(dx, n, acc);
}

static double cu_sum_sq(const float *x, size_t n) {
  if (!n) return 0;
  cu_set_device();
  double *acc = reduction_buffers(1);
  if (!acc) return 0;
  staging s = {};
  const float *dx = (const float *)stage(&s, x, n * sizeof(float), ARG_IN);
  if (s.failed) {
    unstage(&s, "sum_sq");
    return 0;
  }
  launch_sum_sq(dx, n, acc);
  count_d2h(sizeof(double));
  ok(cudaMemcpyAsync(g.red_host, acc, sizeof(double), cudaMemcpyDeviceToHost, g.stream), "cudaMemcpyAsync (sum_sq)");
  return unstage(&s, "sum_sq") ? g.red_host[0] : 0;
}

static int need_device(const void *p, const char *what);

static void cu_sum_sq_dev(const float *x, size_t n, double *out) {
  if (!n) return;
  cu_set_device();
  if (!need_device(x, "sum_sq_dev") || !need_device(out, "sum_sq_dev")) return;
  launch_sum_sq(x, n, out);
  finish("sum_sq_dev");
}

/* every thread forms the coefficient from the same doubles (count is small) */
__global__ void k_clip_grads(float *x, size_t n, const double *sq, int count, float clip) {
  double coef = cm_clip_coef(sq, count, clip);
  if (!(coef < 1.0)) return;
  float c = (float)coef;
  GRID_STRIDE(i, n) x[i] *= c;
}

static void cu_clip_grads(float *x, size_t n, const double *sq, int count, float clip) {
  if (!n) return;
  cu_set_device();
  if (!need_device(x, "clip_grads") || !need_device(sq, "clip_grads")) return;
  k_clip_grads<<<blocks_for(n), THREADS, 0, g.stream>>>(x, n, sq, count, clip);
  finish("clip_grads");
}

static void cu_sgd_step(float *p, const float *g_, float *buf, size_t n, float lr, float momentum, float wd) {
  if (!n) return;
  cu_set_device();
  staging s = {};
  float *dp = (float *)stage(&s, p, n * sizeof(float), ARG_INOUT);
  const float *dg = (const float *)stage(&s, g_, n * sizeof(float), ARG_IN);
  float *db = (float *)stage(&s, buf, n * sizeof(float), ARG_INOUT);
  if (!s.failed) k_sgd<<<blocks_for(n), THREADS, 0, g.stream>>>(dp, dg, db, n, lr, momentum, wd);
  unstage(&s, "sgd_step");
}

static void cu_adam_step(float *p, const float *g_, float *m, float *v, size_t n, cm_adam_coef c) {
  if (!n) return;
  cu_set_device();
  staging s = {};
  float *dp = (float *)stage(&s, p, n * sizeof(float), ARG_INOUT);
  const float *dg = (const float *)stage(&s, g_, n * sizeof(float), ARG_IN);
  float *dm = (float *)stage(&s, m, n * sizeof(float), ARG_INOUT);
  float *dv = (float *)stage(&s, v, n * sizeof(float), ARG_INOUT);
  if (!s.failed) k_adam<<<blocks_for(n), THREADS, 0, g.stream>>>(dp, dg, dm, dv, n, c);
  unstage(&s, "adam_step");
}

static void cu_col_moments(const float *x, int rows, int cols, double *sum, double *sum_sq) {
  if (rows <= 0 || cols <= 0) return;
  cu_set_device();
  double *acc = reduction_buffers(2 * (size_t)cols);
  if (!acc) return;
  staging s = {};
  const float *dx = (const float *)stage(&s, x, (size_t)rows * cols * sizeof(float), ARG_IN);
  if (s.failed) {
    unstage(&s, "col_moments");
    return;
  }
  dim3 block(MOM_X, MOM_Y);
  unsigned by = (unsigned)((rows + MOM_Y * 16 - 1) / (MOM_Y * 16)); /* about 16 rows per thread */
  dim3 grid((unsigned)((cols + MOM_X - 1) / MOM_X), by > 1024 ? 1024 : by);
  k_col_moments<<<grid, block, 0, g.stream>>>(dx, rows, cols, acc, acc + cols);
  count_d2h(2 * (size_t)cols * sizeof(double));
  ok(cudaMemcpyAsync(g.red_host, acc, 2 * (size_t)cols * sizeof(double), cudaMemcpyDeviceToHost, g.stream),
     "cudaMemcpyAsync (col_moments)");
  if (!unstage(&s, "col_moments")) return;
  for (int c = 0; c < cols; c++) {
    sum[c] += g.red_host[c];
    sum_sq[c] += g.red_host[cols + c];
  }
}

static void cu_col_abs_sum(const float *x, int rows, int cols, double *sum) {
  if (rows <= 0 || cols <= 0) return;
  cu_set_device();
  double *acc = reduction_buffers((size_t)cols);
  if (!acc) return;
  staging s = {};
  const float *dx = (const float *)stage(&s, x, (size_t)rows * cols * sizeof(float), ARG_IN);
  if (s.failed) {
    unstage(&s, "col_abs_sum");
    return;
  }
  dim3 block(MOM_X, MOM_Y);
  unsigned by = (unsigned)((rows + MOM_Y * 16 - 1) / (MOM_Y * 16)); /* about 16 rows per thread */
  dim3 grid((unsigned)((cols + MOM_X - 1) / MOM_X), by > 1024 ? 1024 : by);
  k_col_abs_sum<<<grid, block, 0, g.stream>>>(dx, rows, cols, acc);
  count_d2h((size_t)cols * sizeof(double));
  ok(cudaMemcpyAsync(g.red_host, acc, (size_t)cols * sizeof(double), cudaMemcpyDeviceToHost, g.stream),
     "cudaMemcpyAsync (col_abs_sum)");
  if (!unstage(&s, "col_abs_sum")) return;
  for (int c = 0; c < cols; c++) sum[c] += g.red_host[c];
}

static void cu_normalize(float *y, const float *x, const float *mean, const float *std, float clip, int rows,
                         int cols) {
  if (rows <= 0 || cols <= 0) return;
  cu_set_device();
  size_t n = (size_t)rows * cols;
  staging s = {};
  float *dy = (float *)stage(&s, y, n * sizeof(float), ARG_OUT);
  const float *dx = (const float *)stage(&s, x, n * sizeof(float), ARG_IN);
  const float *dm = (const float *)stage(&s, mean, (size_t)cols * sizeof(float), ARG_IN);
  const float *ds = (const float *)stage(&s, std, (size_t)cols * sizeof(float), ARG_IN);
  if (!s.failed) k_normalize<<<blocks_for(n), THREADS, 0, g.stream>>>(dy, dx, dm, ds, clip, n, cols);
  unstage(&s, "normalize");
}

static void cu_unnormalize(float *y, const float *x, const float *mean, const float *std, int rows, int cols) {
  if (rows <= 0 || cols <= 0) return;
  cu_set_device();
  size_t n = (size_t)rows * cols;
  staging s = {};
  float *dy = (float *)stage(&s, y, n * sizeof(float), ARG_OUT);
  const float *dx = (const float *)stage(&s, x, n * sizeof(float), ARG_IN);
  const float *dm = (const float *)stage(&s, mean, (size_t)cols * sizeof(float), ARG_IN);
  const float *ds = (const float *)stage(&s, std, (size_t)cols * sizeof(float), ARG_IN);
  if (!s.failed) k_unnormalize<<<blocks_for(n), THREADS, 0, g.stream>>>(dy, dx, dm, ds, n, cols);
  unstage(&s, "unnormalize");
}

/* ---------------- experience buffer, train data and losses ---------------- */

/* These ops take device arrays only (the buffer and the mini-batch live on the device). */
static int need_device(const void *p, const char *what) {
  if (!p || device_visible(p)) return 1;
  record("%s: a host pointer where a device array is needed", what);
  return 0;
}

__global__ void k_gather_rows(float *dst, const float *src, int width, const int *idx, size_t n) {
  GRID_STRIDE(i, n) dst[i] = cm_gather_at(width, src, idx, i / width, (int)(i % width));
}

__global__ void k_bootstrap_done(float *vals, const unsigned char *done, size_t n, float succ_val, float fail_val) {
  GRID_STRIDE(i, n) vals[i] = cm_bootstrap_done_value(done[i], vals[i], succ_val, fail_val);
}

__global__ void k_td_lambda(int T, int N, const float *r, const float *next_vals, const unsigned char *done,
                            float discount, float lambda, float *ret) {
  GRID_STRIDE(env, (size_t)N) cm_td_lambda_env(T, N, (int)env, r, next_vals, done, discount, lambda, ret);
}

/* Per-block partial statistics (count, sums, min, max) into part[block][CM_STATS_N]. */
#define STAT_BLOCKS 256
/* first != NULL: the center is the mean of that earlier pass's sums (cm_stats_center) */
__global__ void k_masked_stats(const float *x, const float *mask, size_t n, double center, const double *first,
                               double *part) {
  __shared__ double s[CM_STATS_N][THREADS];
  if (first) center = cm_stats_center(first);
  double c = 0, s1 = 0, s2 = 0, lo = INFINITY, hi = -INFINITY;
  GRID_STRIDE(i, n) {
    if (mask && mask[i] == 0.f) continue;
    double d = (double)x[i] - center;
    c += 1;
    s1 += d;
    s2 += d * d;
    lo = fmin(lo, (double)x[i]);
    hi = fmax(hi, (double)x[i]);
  }
  int t = threadIdx.x;
  s[CM_STAT_COUNT][t] = c;
  s[CM_STAT_SUM][t] = s1;
  s[CM_STAT_SUM_SQ][t] = s2;
  s[CM_STAT_MIN][t] = lo;
  s[CM_STAT_MAX][t] = hi;
  __syncthreads();
  for (int w = THREADS / 2; w > 0; w >>= 1) {
    if (t < w) {
      for (int q = CM_STAT_COUNT; q <= CM_STAT_SUM_SQ; q++) s[q][t] += s[q][t + w];
      s[CM_STAT_MIN][t] = fmin(s[CM_STAT_MIN][t], s[CM_STAT_MIN][t + w]);
      s[CM_STAT_MAX][t] = fmax(s[CM_STAT_MAX][t], s[CM_STAT_MAX][t + w]);
    }
    __syncthreads();
  }
  if (t < CM_STATS_N) part[(size_t)blockIdx.x * CM_STATS_N + t] = s[t][0];
}

/* The blocks' partials combined in block order by one thread (deterministic). */
__global__ void k_stats_combine(const double *part, int blocks, double *out) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  double r[CM_STATS_N] = {0, 0, 0, INFINITY, -INFINITY};
  for (int b = 0; b < blocks; b++) {
    const double *p = part + (size_t)b * CM_STATS_N;
    for (int q = CM_STAT_COUNT; q <= CM_STAT_SUM_SQ; q++) r[q] += p[q];
    r[CM_STAT_MIN] = fmin(r[CM_STAT_MIN], p[CM_STAT_MIN]);
    r[CM_STAT_MAX] = fmax(r[CM_STAT_MAX], p[CM_STAT_MAX]);
  }
  for (int q = 0; q < CM_STATS_N; q++) out[q] = r[q];
}

__global__ void k_adv_normalize(float *x, size_t n, float mean, float s, float clip) {
  GRID_STRIDE(i, n) x[i] = cm_adv_norm_value(x[i], mean, s, clip);
}

__global__ void k_reward_mix(float *r, const float *d, const float *e, size_t n, float tw, float dw, float ew) {
  GRID_STRIDE(i, n) r[i] = cm_reward_mix_value(r[i], d[i], e ? e[i] : 0.f, e != NULL, tw, dw, ew);
}

__global__ void k_awr_weights(float *w, size_t n, float temp, float clip) {
  GRID_STRIDE(i, n) w[i] = cm_awr_weight_value(w[i], temp, clip);
}

__global__ void k_critic_loss_rows(float *dout, float *terms, int ld, const float *pred, const float *tar, size_t n,
                                   float scale) {
  GRID_STRIDE(i, n) cm_critic_loss_row(pred[i], tar[i], scale, dout + i, terms + i * ld);
}

__global__ void k_actor_loss_rows(float *dmean, float *terms, int ld, const float *mean, const float *norm_a,
                                  const float *old_logp, const float *adv, const float *logstd, size_t m,
                                  cm_actor_loss_cfg cfg) {
  size_t A = (size_t)cfg.act_dim;
  GRID_STRIDE(i, m)
  cm_actor_loss_row(&cfg, logstd, mean + i * A, norm_a + i * A, old_logp[i], adv[i], dmean + i * A, terms + i * ld);
}

/* One block's sums of K doubles per thread into out[K], in a fixed order (deterministic). */
template <int K> __device__ void block_sums(double *v, double *out) {
  __shared__ double s[K][THREADS];
  int t = threadIdx.x;
  for (int q = 0; q < K; q++) s[q][t] = v[q];
  __syncthreads();
  for (int w = THREADS / 2; w > 0; w >>= 1) {
    if (t < w)
      for (int q = 0; q < K; q++) s[q][t] += s[q][t + w];
    __syncthreads();
  }
  if (t < K) out[t] += s[t][0]; /* out zeroed (reduction_buffers) or a slot being added into */
}

__global__ void k_rtrack_step(cm_rtrack_rows t, const float *reward, const unsigned char *done, size_t n) {
  GRID_STRIDE(i, n) cm_rtrack_row(&t, (int)i, reward[i], done[i]);
}

/* one block: every thread strides over the envs, then the block's sums */
__global__ void k_rtrack_sums(cm_rtrack_rows t, int n, int min_eps, double *out) {
  double v[CM_RT_N] = {0};
  for (int i = threadIdx.x; i < n; i += blockDim.x) cm_rtrack_sum_row(&t, i, min_eps, v);
  block_sums<CM_RT_N>(v, out);
}

__global__ void k_disc_reward(float *r, const float *logit, size_t n, float scale) {
  GRID_STRIDE(i, n) r[i] = cm_disc_reward(logit[i], scale);
}

/* one block: every thread its rows' dlogit and terms, then the block's sums */
__global__ void k_disc_bce_rows(float *dlogit, const float *logit, int n, int target, float weight, double *out) {
  double v[CM_BCE_N] = {0};
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    double t[CM_BCE_N];
    cm_disc_bce_row(logit[i], target, weight, (float)n, dlogit + i, t);
    for (int q = 0; q < CM_BCE_N; q++) v[q] += t[q];
  }
  block_sums<CM_BCE_N>(v, out);
}

/* One block per mini-batch: a stable partition of its mb indices (mask == 1 first) by chunks;
 * every thread counts the ones of its chunk, one thread scans the counts into the chunks'
 * offsets, then every thread writes its chunk in order. */
__global__ void k_partition_rows(int *part, int *counts, const int *idx, const float *mask, int mb) {
  __shared__ int off[THREADS];
  __shared__ int total;
  const int *h = idx + (size_t)blockIdx.x * mb;
  int *p = part + (size_t)blockIdx.x * mb;
  int t = threadIdx.x, chunk = (mb + THREADS - 1) / THREADS;
  int b = t * chunk < mb ? t * chunk : mb, e = b + chunk < mb ? b + chunk : mb, c = 0;
  for (int i = b; i < e; i++) c += mask[h[i]] == 1.f;
  off[t] = c;
  __syncthreads();
  if (t == 0) {
    int s = 0;
    for (int k = 0; k < THREADS; k++) {
      int v = off[k];
      off[k] = s;
      s += v;
    }
    total = s;
  }
  __syncthreads();
  int o1 = off[t], o0 = total + (b - off[t]); /* the chunk's ones and others go after those before it */
  for (int i = b; i < e; i++) {
    int x = h[i];
    if (mask[x] == 1.f) p[o1++] = x;
    else p[o0++] = x;
  }
  if (t == 0) counts[blockIdx.x] = total;
}

static void cu_copy_bytes(void *dst, const void *src, size_t bytes) {
  if (bytes && dst != src) cu_memcpy(dst, src, bytes, "copy_bytes");
}

static void cu_gather_rows(float *dst, const float *src, int width, const int *idx, int n) {
  if (n <= 0 || width <= 0) return;
  cu_set_device();
  if (!need_device(dst, "gather_rows") || !need_device(src, "gather_rows") || !need_device(idx, "gather_rows")) return;
  size_t total = (size_t)n * width;
  k_gather_rows<<<blocks_for(total), THREADS, 0, g.stream>>>(dst, src, width, idx, total);
  finish("gather_rows");
}

static void cu_bootstrap_done(float *vals, const unsigned char *done, size_t n, float succ_val, float fail_val) {
  if (!n) return;
  cu_set_device();
  if (!need_device(vals, "bootstrap_done") || !need_device(done, "bootstrap_done")) return;
  k_bootstrap_done<<<blocks_for(n), THREADS, 0, g.stream>>>(vals, done, n, succ_val, fail_val);
  finish("bootstrap_done");
}

static void cu_td_lambda(int T, int N, const float *r, const float *next_vals, const unsigned char *done,
                         float discount, float lambda, float *ret) {
  if (T <= 0 || N <= 0) return;
  cu_set_device();
  if (!need_device(r, "td_lambda") || !need_device(next_vals, "td_lambda") || !need_device(done, "td_lambda") ||
      !need_device(ret, "td_lambda"))
    return;
  k_td_lambda<<<blocks_for((size_t)N), THREADS, 0, g.stream>>>(T, N, r, next_vals, done, discount, lambda, ret);
  finish("td_lambda");
}

/* The passes into part (STAT_BLOCKS partials) and res[passes][CM_STATS_N] on the device: the
 * second, if any, centred on the first's mean; 0 when an argument is not device memory */
static int launch_masked_stats(const float *x, const float *mask, size_t n, double center, int passes, double **res) {
  if (!need_device(x, "masked_stats") || !need_device(mask, "masked_stats")) return 0;
  unsigned blocks = blocks_for(n);
  if (blocks > STAT_BLOCKS) blocks = STAT_BLOCKS;
  double *part = reduction_buffers((size_t)(blocks + passes) * CM_STATS_N);
  if (!part) return 0;
  if (!*res) *res = part + (size_t)blocks * CM_STATS_N; /* else the caller's device doubles */
  for (int p = 0; p < passes; p++) {
    k_masked_stats<<<blocks, THREADS, 0, g.stream>>>(x, mask, n, center, p ? *res : NULL, part);
    k_stats_combine<<<1, 1, 0, g.stream>>>(part, (int)blocks, *res + (size_t)p * CM_STATS_N);
  }
  return 1;
}

static void stats_to_host(const double *res, int passes, double *out, const char *what) {
  size_t bytes = (size_t)passes * CM_STATS_N * sizeof(double);
  count_d2h(bytes);
  ok(cudaMemcpyAsync(g.red_host, res, bytes, cudaMemcpyDeviceToHost, g.stream), what);
  if (finish(what)) memcpy(out, g.red_host, bytes);
}

static void cu_masked_stats(const float *x, const float *mask, size_t n, double center, double *out) {
  double none[CM_STATS_N] = {0, 0, 0, INFINITY, -INFINITY};
  memcpy(out, none, sizeof none);
  if (!n) return;
  cu_set_device();
  double *res = NULL;
  if (launch_masked_stats(x, mask, n, center, 1, &res)) stats_to_host(res, 1, out, "masked_stats");
}

static void cu_masked_stats2(const float *x, const float *mask, size_t n, double *out) {
  double none[CM_STATS_N] = {0, 0, 0, INFINITY, -INFINITY};
  memcpy(out, none, sizeof none);
  memcpy(out + CM_STATS_N, none, sizeof none);
  if (!n) return;
  cu_set_device();
  double *res = NULL;
  if (launch_masked_stats(x, mask, n, 0.0, 2, &res)) stats_to_host(res, 2, out, "masked_stats2");
}

static void cu_masked_stats2_dev(const float *x, const float *mask, size_t n, double *out) {
  cu_set_device();
  if (!need_device(out, "masked_stats2_dev")) return;
  if (!n) { /* no entries: both passes' "none" (count 0, +-inf) */
    for (int p = 0; p < 2; p++) k_stats_combine<<<1, 1, 0, g.stream>>>(NULL, 0, out + p * CM_STATS_N);
  } else if (!launch_masked_stats(x, mask, n, 0.0, 2, &out)) {
    return;
  }
  finish("masked_stats2_dev");
}

/* every thread forms mean and std from the same doubles, as cpu_adv_normalize_dev does */
__global__ void k_adv_normalize_dev(float *x, size_t n, const double *st2, float clip) {
  float mean = (float)cm_stats_center(st2), s = fmaxf((float)cm_stats_std(st2, 0.0), 1e-5f);
  GRID_STRIDE(i, n) x[i] = cm_adv_norm_value(x[i], mean, s, clip);
}

static void cu_adv_normalize_dev(float *x, size_t n, const double *st2, float clip) {
  if (!n) return;
  cu_set_device();
  if (!need_device(x, "adv_normalize_dev") || !need_device(st2, "adv_normalize_dev")) return;
  k_adv_normalize_dev<<<blocks_for(n), THREADS, 0, g.stream>>>(x, n, st2, clip);
  finish("adv_normalize_dev");
}

static void cu_adv_normalize(float *x, size_t n, float mean, float std, float clip) {
  if (!n) return;
  cu_set_device();
  if (!need_device(x, "adv_normalize")) return;
  k_adv_normalize<<<blocks_for(n), THREADS, 0, g.stream>>>(x, n, mean, fmaxf(std, 1e-5f), clip);
  finish("adv_normalize");
}

static void cu_reward_mix(float *r, const float *d, const float *e, size_t n, float tw, float dw, float ew) {
  if (!n) return;
  cu_set_device();
  if (!need_device(r, "reward_mix") || !need_device(d, "reward_mix") || (e && !need_device(e, "reward_mix"))) return;
  k_reward_mix<<<blocks_for(n), THREADS, 0, g.stream>>>(r, d, e, n, tw, dw, ew);
  finish("reward_mix");
}

static void cu_awr_weights(float *w, size_t n, float temp, float clip) {
  if (!n) return;
  cu_set_device();
  if (!need_device(w, "awr_weights")) return;
  k_awr_weights<<<blocks_for(n), THREADS, 0, g.stream>>>(w, n, temp, clip);
  finish("awr_weights");
}

static void cu_critic_loss_rows(float *dout, float *terms, int ld, const float *pred, const float *tar, int n,
                                float scale) {
  if (n <= 0) return;
  cu_set_device();
  if (!need_device(dout, "critic_loss_rows") || !need_device(terms, "critic_loss_rows") ||
      !need_device(pred, "critic_loss_rows") || !need_device(tar, "critic_loss_rows"))
    return;
  k_critic_loss_rows<<<blocks_for((size_t)n), THREADS, 0, g.stream>>>(dout, terms, ld, pred, tar, (size_t)n, scale);
  finish("critic_loss_rows");
}

static void cu_actor_loss_rows(float *dmean, float *terms, int ld, const float *mean, const float *norm_a,
                               const float *old_logp, const float *adv, const float *logstd, int m,
                               cm_actor_loss_cfg cfg) {
  if (m <= 0) return;
  cu_set_device();
  const void *ptrs[] = {dmean, terms, mean, norm_a, old_logp, adv, logstd};
  for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
    if (!need_device(ptrs[i], "actor_loss_rows")) return;
  k_actor_loss_rows<<<blocks_for((size_t)m), THREADS, 0, g.stream>>>(dmean, terms, ld, mean, norm_a, old_logp, adv,
                                                                     logstd, (size_t)m, cfg);
  finish("actor_loss_rows");
}

/* Every array must be device-visible (device or pinned memory): seven pointers are more than
 * the staging slots, and the rollout keeps them on the device anyway. */
static void cu_policy_act(const cm_policy_act_args *p, int rows) {
  if (rows <= 0) return;
  cu_set_device();
  const void *ptrs[] = {p->mean, p->logstd, p->a_mean, p->a_std, p->norm_a, p->logp, p->rand_mask, p->action};
  for (size_t k = 0; k < sizeof ptrs / sizeof ptrs[0]; k++)
    if (!device_visible(ptrs[k])) {
      record("policy_act: argument %zu is plain host memory (device or pinned arrays only)", k);
      return;
    }
  k_policy_act<<<blocks_for((size_t)rows), THREADS, 0, g.stream>>>(*p, rows);
  finish("policy_act");
}

static void cu_col_moments_dev(const float *x, int rows, int cols, double *sum, double *sum_sq) {
  if (rows <= 0 || cols <= 0) return;
  cu_set_device();
  if (!need_device(x, "col_moments_dev") || !need_device(sum, "col_moments_dev") ||
      !need_device(sum_sq, "col_moments_dev"))
    return;
  dim3 block(MOM_X, MOM_Y);
  unsigned by = (unsigned)((rows + MOM_Y * 16 - 1) / (MOM_Y * 16)); /* about 16 rows per thread */
  dim3 grid((unsigned)((cols + MOM_X - 1) / MOM_X), by > 1024 ? 1024 : by);
  k_col_moments<<<grid, block, 0, g.stream>>>(x, rows, cols, sum, sum_sq);
  finish("col_moments_dev");
}

static void cu_partition_rows(int *part, int *counts, const int *idx, const float *mask, int mb, int count) {
  if (count <= 0) return;
  memset(counts, 0, (size_t)count * sizeof(int));
  if (mb <= 0) return;
  cu_set_device();
  if (!need_device(part, "partition_rows") || !need_device(idx, "partition_rows") || !need_device(mask, "partition_rows"))
    return;
  int *cnt = (int *)reduction_buffers(((size_t)count + 1) / 2); /* count ints in the doubles' scratch */
  if (!cnt) return;
  k_partition_rows<<<(unsigned)count, THREADS, 0, g.stream>>>(part, cnt, idx, mask, mb);
  count_d2h((size_t)count * sizeof(int));
  ok(cudaMemcpyAsync(g.red_host, cnt, (size_t)count * sizeof(int), cudaMemcpyDeviceToHost, g.stream),
     "cudaMemcpyAsync (partition_rows)");
  if (finish("partition_rows")) memcpy(counts, g.red_host, (size_t)count * sizeof(int));
}

static void cu_rtrack_step(const cm_rtrack_rows *t, const float *reward, const unsigned char *done, int n) {
  if (n <= 0) return;
  cu_set_device();
  const void *ptrs[] = {t->ep_ret, t->ep_len, t->ret, t->len, t->eps, t->bad, reward, done};
  for (size_t k = 0; k < sizeof ptrs / sizeof ptrs[0]; k++)
    if (!need_device(ptrs[k], "rtrack_step")) return;
  k_rtrack_step<<<blocks_for((size_t)n), THREADS, 0, g.stream>>>(*t, reward, done, (size_t)n);
  finish("rtrack_step");
}

/* The sums of a one-block kernel's K doubles (at acc, on the device) to host out. */
static void reduction_to_host(const double *acc, int k, double *out, const char *what) {
  count_d2h((size_t)k * sizeof(double));
  ok(cudaMemcpyAsync(g.red_host, acc, (size_t)k * sizeof(double), cudaMemcpyDeviceToHost, g.stream), what);
  if (finish(what)) memcpy(out, g.red_host, (size_t)k * sizeof(double));
}

/* k_rtrack_sums adding into device acc; 0 when an argument is not device memory */
static int launch_rtrack_sums(const cm_rtrack_rows *t, int n, int min_eps, double *acc) {
  const void *ptrs[] = {t->ep_ret, t->ep_len, t->eps, t->bad, acc};
  for (size_t k = 0; k < sizeof ptrs / sizeof ptrs[0]; k++)
    if (!need_device(ptrs[k], "rtrack_sums")) return 0;
  k_rtrack_sums<<<1, THREADS, 0, g.stream>>>(*t, n, min_eps, acc);
  return 1;
}

static void cu_rtrack_sums(const cm_rtrack_rows *t, int n, int min_eps, double *out) {
  memset(out, 0, CM_RT_N * sizeof(double));
  if (n <= 0) return;
  cu_set_device();
  double *acc = reduction_buffers(CM_RT_N);
  if (acc && launch_rtrack_sums(t, n, min_eps, acc)) reduction_to_host(acc, CM_RT_N, out, "rtrack_sums");
}

static void cu_rtrack_sums_dev(const cm_rtrack_rows *t, int n, int min_eps, double *out) {
  if (n <= 0) return;
  cu_set_device();
  if (launch_rtrack_sums(t, n, min_eps, out)) finish("rtrack_sums_dev");
}

static void cu_disc_reward(float *r, const float *logit, size_t n, float scale) {
  if (!n) return;
  cu_set_device();
  if (!need_device(r, "disc_reward") || !need_device(logit, "disc_reward")) return;
  k_disc_reward<<<blocks_for(n), THREADS, 0, g.stream>>>(r, logit, n, scale);
  finish("disc_reward");
}

static int launch_disc_bce_rows(float *dlogit, const float *logit, int n, int target, float weight, double *acc) {
  if (!need_device(dlogit, "disc_bce_rows") || !need_device(logit, "disc_bce_rows") || !need_device(acc, "disc_bce_rows"))
    return 0;
  k_disc_bce_rows<<<1, THREADS, 0, g.stream>>>(dlogit, logit, n, target, weight, acc);
  return 1;
}

static void cu_disc_bce_rows(float *dlogit, const float *logit, int n, int target, float weight, double *out) {
  memset(out, 0, CM_BCE_N * sizeof(double));
  if (n <= 0) return;
  cu_set_device();
  double *acc = reduction_buffers(CM_BCE_N);
  if (acc && launch_disc_bce_rows(dlogit, logit, n, target, weight, acc))
    reduction_to_host(acc, CM_BCE_N, out, "disc_bce_rows");
}

static void cu_disc_bce_rows_dev(float *dlogit, const float *logit, int n, int target, float weight, double *out) {
  if (n <= 0) return;
  cu_set_device();
  if (launch_disc_bce_rows(dlogit, logit, n, target, weight, out)) finish("disc_bce_rows_dev");
}

/* ---------------- conditioned inputs and ASE (learn/ase_rows.h) ---------------- */

__global__ void k_concat_cols(float *dst, const float *x, int O, const float *c, int C, size_t n) {
  size_t W = (size_t)O + C;
  GRID_STRIDE(i, n) {
    size_t r = i / W, j = i % W;
    dst[i] = j < (size_t)O ? x[r * O + j] : c[r * C + (j - O)];
  }
}

__global__ void k_ase_latents(cm_ase_latent_args p, size_t n) {
  GRID_STRIDE(i, n) cm_ase_latent_row(&p, (int)i);
}

__global__ void k_ase_enc_reward(float *r, const float *u, const float *z, size_t n, int Z) {
  GRID_STRIDE(i, n) r[i] = cm_ase_enc_reward_row(Z, u + i * Z, z + i * Z);
}

/* one block: every thread its rows' gradients and errors, then the block's sum */
__global__ void k_ase_enc_loss_rows(float *du, const float *u, const float *z, const int *idx, int n, int Z,
                                    float scale, double *out) {
  double v[1] = {0};
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    v[0] += cm_ase_enc_loss_row(Z, u + (size_t)i * Z, z + (size_t)idx[i] * Z, scale, du + (size_t)i * Z);
  block_sums<1>(v, out);
}

__global__ void k_ase_div_rows(float *extra, float *zdiff, const float *in, size_t m, int O, int Z, uint64_t seed,
                               uint64_t step) {
  size_t W = (size_t)O + Z;
  GRID_STRIDE(r, m) zdiff[r] = cm_ase_div_row(O, Z, seed, step, (int)r, in + r * W, extra + r * W);
}

__global__ void k_ase_div_loss_rows(float *dmean, float *dextra, const float *mean, const float *extra_mean,
                                    const float *zdiff, int k, int A, double tar, float w, double *out) {
  double v[1] = {0};
  for (int r = threadIdx.x; r < k; r += blockDim.x) {
    size_t o = (size_t)r * A;
    v[0] += cm_ase_div_loss_row(A, mean + o, extra_mean + o, zdiff[r], tar, w, dmean + o, dextra + o);
  }
  block_sums<1>(v, out);
}

static void cu_concat_cols(float *dst, const float *x, int O, const float *c, int C, int rows) {
  if (rows <= 0 || O + C <= 0) return;
  cu_set_device();
  if (!need_device(dst, "concat_cols") || !need_device(x, "concat_cols") || !need_device(c, "concat_cols")) return;
  size_t n = (size_t)rows * (O + C);
  k_concat_cols<<<blocks_for(n), THREADS, 0, g.stream>>>(dst, x, O, c, C, n);
  finish("concat_cols");
}

static void cu_ase_latents(const cm_ase_latent_args *p, int n) {
  if (n <= 0) return;
  cu_set_device();
  if (!need_device(p->z, "ase_latents") || !need_device(p->env_time, "ase_latents") ||
      !need_device(p->reset_time, "ase_latents") || (!p->reset_all && !need_device(p->done, "ase_latents")))
    return;
  k_ase_latents<<<blocks_for((size_t)n), THREADS, 0, g.stream>>>(*p, (size_t)n);
  finish("ase_latents");
}

static void cu_ase_enc_reward(float *r, const float *u, const float *z, int n, int Z) {
  if (n <= 0) return;
  cu_set_device();
  if (!need_device(r, "ase_enc_reward") || !need_device(u, "ase_enc_reward") || !need_device(z, "ase_enc_reward"))
    return;
  k_ase_enc_reward<<<blocks_for((size_t)n), THREADS, 0, g.stream>>>(r, u, z, (size_t)n, Z);
  finish("ase_enc_reward");
}

static void cu_ase_enc_loss_rows(float *du, const float *u, const float *z, const int *idx, int n, int Z, float scale,
                                 double *out) {
  if (n <= 0) return;
  cu_set_device();
  const void *ptrs[] = {du, u, z, idx, out};
  for (size_t k = 0; k < sizeof ptrs / sizeof ptrs[0]; k++)
    if (!need_device(ptrs[k], "ase_enc_loss_rows")) return;
  k_ase_enc_loss_rows<<<1, THREADS, 0, g.stream>>>(du, u, z, idx, n, Z, scale, out);
  finish("ase_enc_loss_rows");
}

static void cu_ase_div_rows(float *extra, float *zdiff, const float *in, int m, int O, int Z, uint64_t seed,
                            uint64_t step) {
  if (m <= 0) return;
  cu_set_device();
  if (!need_device(extra, "ase_div_rows") || !need_device(zdiff, "ase_div_rows") || !need_device(in, "ase_div_rows"))
    return;
  k_ase_div_rows<<<blocks_for((size_t)m), THREADS, 0, g.stream>>>(extra, zdiff, in, (size_t)m, O, Z, seed, step);
  finish("ase_div_rows");
}

static void cu_ase_div_loss_rows(float *dmean, float *dextra, const float *mean, const float *extra_mean,
                                 const float *zdiff, int k, int A, double tar, float w, double *out) {
  if (k <= 0) return;
  cu_set_device();
  const void *ptrs[] = {dmean, dextra, mean, extra_mean, zdiff, out};
  for (size_t q = 0; q < sizeof ptrs / sizeof ptrs[0]; q++)
    if (!need_device(ptrs[q], "ase_div_loss_rows")) return;
  k_ase_div_loss_rows<<<1, THREADS, 0, g.stream>>>(dmean, dextra, mean, extra_mean, zdiff, k, A, tar, w, out);
  finish("ase_div_loss_rows");
}

/* ---------------- the device ---------------- */

extern "C" const cm_dev *cm_dev_cuda(int device, cm_err *err) {
  if (g.ready) {
    if (device == g.device) return &g.dev;
    cm_fail(err, "cuda:%d requested but this process already uses cuda:%d (one CUDA device per process)", device,
            g.device);
    return NULL;
  }
  int count = 0;
  cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess || count <= 0) {
    cm_fail(err, "no CUDA device available: %s",
            rc != cudaSuccess ? cudaGetErrorString(rc) : "the driver reports no devices");
    cudaGetLastError();
    return NULL;
  }
  if (device < 0 || device >= count) {
    cm_fail(err, "cuda:%d does not exist: %d CUDA device%s available (cuda:0%s)", device, count, count == 1 ? "" : "s",
            count == 1 ? "" : " ...");
    return NULL;
  }
  int major = 0;
  if ((rc = cudaSetDevice(device)) != cudaSuccess ||
      (rc = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device)) != cudaSuccess) {
    cm_fail(err, "no CUDA device available: %s (initialising cuda:%d)", cudaGetErrorString(rc), device);
    cudaGetLastError();
    return NULL;
  }
  if ((rc = cudaStreamCreateWithFlags(&g.stream, cudaStreamNonBlocking)) != cudaSuccess) {
    cm_fail(err, "CUDA error: %s in cudaStreamCreate (cuda:%d)", cudaGetErrorString(rc), device);
    return NULL;
  }
  cublasStatus_t bs = cublasCreate(&g.blas);
  if (bs != CUBLAS_STATUS_SUCCESS) {
    cm_fail(err, "CUDA error: %s (%d) in cublasCreate (cuda:%d)", blas_status_name(bs), (int)bs, device);
    cudaStreamDestroy(g.stream);
    return NULL;
  }
  /* TF32 tensor cores (compute capability 8.0 and newer) unless CMIMIC_TF32=0; CMIMIC_TF32=1
   * asks for them anyway (cuBLAS then falls back to fp32 where the GPU has none). */
  g.has_tf32 = major >= 8;
  const char *tf32 = getenv("CMIMIC_TF32");
  g.tf32 = tf32 && *tf32 ? strcmp(tf32, "0") != 0 : g.has_tf32;
  if ((bs = cublasSetStream(g.blas, g.stream)) != CUBLAS_STATUS_SUCCESS ||
      (bs = cublasSetMathMode(g.blas, g.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH)) !=
          CUBLAS_STATUS_SUCCESS) {
    cm_fail(err, "CUDA error: %s (%d) setting up cuBLAS (cuda:%d)", blas_status_name(bs), (int)bs, device);
    cublasDestroy(g.blas);
    cudaStreamDestroy(g.stream);
    return NULL;
  }
  g.device = device;
  cm_ops *o = &g.ops;
  o->name = "cuda";
  o->alloc = cu_alloc;
  o->free = cu_free;
  o->alloc_host = cu_alloc_host;
  o->free_host = cu_free_host;
  o->upload = cu_upload;
  o->download = cu_download;
  o->copy = cu_copy;
  o->fill = cu_fill;
  o->gemm = cu_gemm;
  o->add_bias = cu_add_bias;
  o->col_sum = cu_col_sum;
  o->relu_fwd = cu_relu_fwd;
  o->relu_bwd = cu_relu_bwd;
  o->axpy = cu_axpy;
  o->scale = cu_scale;
  o->sum_sq = cu_sum_sq;
  o->sum_sq_dev = cu_sum_sq_dev;
  o->clip_grads = cu_clip_grads;
  o->sgd_step = cu_sgd_step;
  o->adam_step = cu_adam_step;
  o->col_moments = cu_col_moments;
  o->col_moments_dev = cu_col_moments_dev;
  o->col_abs_sum = cu_col_abs_sum;
  o->normalize = cu_normalize;
  o->unnormalize = cu_unnormalize;
  o->copy_bytes = cu_copy_bytes;
  o->partition_rows = cu_partition_rows;
  o->gather_rows = cu_gather_rows;
  o->bootstrap_done = cu_bootstrap_done;
  o->td_lambda = cu_td_lambda;
  o->masked_stats = cu_masked_stats;
  o->masked_stats2 = cu_masked_stats2;
  o->masked_stats2_dev = cu_masked_stats2_dev;
  o->adv_normalize = cu_adv_normalize;
  o->adv_normalize_dev = cu_adv_normalize_dev;
  o->reward_mix = cu_reward_mix;
  o->awr_weights = cu_awr_weights;
  o->critic_loss_rows = cu_critic_loss_rows;
  o->actor_loss_rows = cu_actor_loss_rows;
  o->policy_act = cu_policy_act;
  o->rtrack_step = cu_rtrack_step;
  o->rtrack_sums = cu_rtrack_sums;
  o->rtrack_sums_dev = cu_rtrack_sums_dev;
  o->disc_reward = cu_disc_reward;
  o->disc_bce_rows = cu_disc_bce_rows;
  o->disc_bce_rows_dev = cu_disc_bce_rows_dev;
  o->concat_cols = cu_concat_cols;
  o->ase_latents = cu_ase_latents;
  o->ase_enc_reward = cu_ase_enc_reward;
  o->ase_enc_loss_rows = cu_ase_enc_loss_rows;
  o->ase_div_rows = cu_ase_div_rows;
  o->ase_div_loss_rows = cu_ase_div_loss_rows;
  g.dev.kind = CM_DEV_CUDA;
  g.dev.index = device;
  g.dev.ops = &g.ops;
  g.ready = 1;
  return &g.dev;
}

extern "C" int cm_dev_cuda_set_tf32(int on) {
  if (!g.ready) return 0;
  cu_set_device();
  if (!blas_ok(cublasSetMathMode(g.blas, on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode"))
    return g.tf32;
  g.tf32 = on ? 1 : 0;
  return g.tf32;
}

extern "C" int cm_dev_cuda_tf32(void) { return g.ready && g.tf32; }
