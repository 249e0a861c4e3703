/* CPU backend: matrix products through OpenBLAS, element-wise kernels as plain loops
 * (the compiler vectorises them; OpenBLAS threads the products). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "learn/ops.h"

static void *cpu_alloc(size_t bytes) { return calloc(1, bytes); }
static void cpu_free(void *p) { free(p); }
static void cpu_memcpy(void *dst, const void *src, size_t bytes) { if (bytes) memcpy(dst, src, bytes); }
static void cpu_copy(float *dst, const float *src, size_t n) { if (n) memcpy(dst, src, n * sizeof(float)); }
static void cpu_fill(float *x, float v, size_t n) { for (size_t i = 0; i < n; i++) x[i] = v; }

static void cpu_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) { /* BLAS would leave C untouched for beta != 1 on some builds: do it by hand */
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0.f ? 0.f : beta * c[(size_t)i * ldc + j];
    return;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
              lda, b, ldb, beta, c, ldc);
}

static void cpu_add_bias(float *y, const float *bias, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    float *yr = y + (size_t)r * cols;
    for (int c = 0; c < cols; c++) yr[c] += bias[c];
  }
}

static void cpu_col_sum(float *out, const float *x, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    for (int c = 0; c < cols; c++) out[c] += xr[c];
  }
}

static void cpu_relu_fwd(float *y, const float *x, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.f ? x[i] : 0.f;
}

static void cpu_relu_bwd(float *dx, const float *dy, const float *y, size_t n) {
  for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}

static void cpu_axpy(size_t n, float a, const float *x, float *y) {
  for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

static void cpu_scale(size_t n, float a, float *x) {
  for (size_t i = 0; i < n; i++) x[i] *= a;
}

static double cpu_sum_sq(const float *x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return s;
}

static void cpu_sgd_step(float *p, const float *g, float *buf, size_t n, float lr, float momentum, float wd) {
  for (size_t i = 0; i < n; i++) {
    float d = g[i] + wd * p[i];
    buf[i] = momentum * buf[i] + d;
    p[i] -= lr * buf[i];
  }
}

static void cpu_adam_step(float *p, const float *g, float *m, float *v, size_t n, cm_adam_coef c) {
  for (size_t i = 0; i < n; i++) {
    p[i] *= c.decay;
    m[i] = c.beta1 * m[i] + c.one_minus_beta1 * g[i];
    v[i] = c.beta2 * v[i] + c.one_minus_beta2 * g[i] * g[i];
    p[i] -= c.step_size * m[i] / (sqrtf(v[i]) / c.bias_c2_sqrt + c.eps);
  }
}

static void cpu_col_moments(const float *x, int rows, int cols, double *sum, double *sum_sq) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    for (int c = 0; c < cols; c++) {
      double v = xr[c];
      sum[c] += v;
      sum_sq[c] += v * v;
    }
  }
}

static void cpu_normalize(float *y, const float *x, const float *mean, const float *std, float clip, int rows,
                          int cols) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    float *yr = y + (size_t)r * cols;
    for (int c = 0; c < cols; c++) {
      float z = (xr[c] - mean[c]) / std[c];
      yr[c] = z < -clip ? -clip : (z > clip ? clip : z);
    }
  }
}

static void cpu_unnormalize(float *y, const float *x, const float *mean, const float *std, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    float *yr = y + (size_t)r * cols;
    for (int c = 0; c < cols; c++) yr[c] = xr[c] * std[c] + mean[c];
  }
}

const cm_ops cm_ops_cpu = {
  .name = "cpu",
  .alloc = cpu_alloc,
  .free = cpu_free,
  .alloc_host = cpu_alloc,
  .free_host = cpu_free,
  .upload = cpu_memcpy,
  .download = cpu_memcpy,
  .copy = cpu_copy,
  .fill = cpu_fill,
  .gemm = cpu_gemm,
  .add_bias = cpu_add_bias,
  .col_sum = cpu_col_sum,
  .relu_fwd = cpu_relu_fwd,
  .relu_bwd = cpu_relu_bwd,
  .axpy = cpu_axpy,
  .scale = cpu_scale,
  .sum_sq = cpu_sum_sq,
  .sgd_step = cpu_sgd_step,
  .adam_step = cpu_adam_step,
  .col_moments = cpu_col_moments,
  .normalize = cpu_normalize,
  .unnormalize = cpu_unnormalize,
};
