/* CUDA ops against the CPU ops (the reference semantics) on random data: every entry of
 * the table, host pointers staged through the GPU, the error path, and a small MLP
 * forward/backward with SGD and Adam steps giving the same numbers on both devices.
 * Without CUDA (or without a GPU) only the device-name parsing runs, then "SKIP".
 * `test_ops_cuda bench` prints gemm GFLOP/s for 4096x1024x1024 on each backend, the GPU's in
 * fp32 and TF32 (`bench cuda`: the GPU only); `test_ops_cuda tf32` prints the TF32 default. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef CM_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif
#include "check.h"
#include "core/rng.h"
#include "learn/agent.h"
#include "learn/ase_rows.h"
#include "learn/dev_cuda.h"
#include "learn/loss_rows.h"
#include "learn/mlp.h"
#include "learn/optim.h"
#include "learn/replay.h"
#include "learn/returns.h"

static cm_err err;
static const cm_dev *cpu, *gpu;

static void fill_random(float *x, size_t n, float lo, float hi, uint32_t stream) {
  cm_rng r = cm_rng_make(1234, 0, 0, stream);
  for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * cm_rng_uniform(&r);
}

/* One buffer of n floats on each device, both holding the same host data. */
typedef struct {
  size_t n;
  float *host, *c, *g;
} pair;

static pair pair_make(size_t n, float lo, float hi, uint32_t stream) {
  pair p = {n, malloc(n * sizeof(float)), cm_dev_alloc(cpu, n, &err), cm_dev_alloc(gpu, n, &err)};
  if (!p.host || !p.c || !p.g) {
    fprintf(stderr, "out of memory for %zu floats: %s\n", n, err.msg);
    exit(1);
  }
  fill_random(p.host, n, lo, hi, stream);
  cm_dev_upload(cpu, p.c, p.host, n);
  cm_dev_upload(gpu, p.g, p.host, n);
  return p;
}

static void pair_free(pair *p) {
  free(p->host);
  cm_dev_free(cpu, p->c);
  cm_dev_free(gpu, p->g);
}

/* Worst |gpu - cpu| against atol + rtol |cpu|, over all n entries; one CHECK per array. */
static void expect_close(const char *what, const float *c_dev, const float *g_dev, size_t n, double atol, double rtol) {
  float *hc = malloc(n * sizeof(float)), *hg = malloc(n * sizeof(float));
  cm_dev_download(cpu, hc, c_dev, n);
  cm_dev_download(gpu, hg, g_dev, n);
  size_t worst = 0;
  double worst_excess = -1;
  int nonfinite = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(hc[i]) || !isfinite(hg[i])) {
      nonfinite += !(hc[i] == hg[i] || (isnan(hc[i]) && isnan(hg[i])));
      continue;
    }
    double excess = fabs((double)hg[i] - hc[i]) - (atol + rtol * fabs(hc[i]));
    if (excess > worst_excess) worst_excess = excess, worst = i;
  }
  check_count++;
  if (worst_excess > 0 || nonfinite) {
    check_failures++;
    fprintf(stderr, "%s: gpu differs from cpu at [%zu]: %.9g vs %.9g (atol %.2g rtol %.2g), %d non-finite mismatches\n",
            what, worst, (double)hg[worst], (double)hc[worst], atol, rtol, nonfinite);
  }
  free(hc);
  free(hg);
}

static void check_device_names(void) {
  const cm_dev *d = NULL;
  CHECK_OK(cm_dev_from_name("cpu", &d, &err), &err);
  CHECK(d == cm_dev_cpu());
  const char *bad[] = {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "cuda0", "", "CPU", "cuda:99999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    d = cm_dev_cpu();
    err.msg[0] = 0;
    CHECK(cm_dev_from_name(bad[i], &d, &err) == -1);
    CHECK(d == NULL);
    CHECK(err.msg[0] != 0);
  }
  CHECK(cm_dev_from_name(NULL, &d, &err) == -1);
  CHECK(cm_dev_from_name("cuda:12345", &d, &err) == -1); /* no machine has that many GPUs */
  CHECK(strstr(err.msg, "cuda:12345") != NULL);
#ifndef CM_HAVE_CUDA
  CHECK(cm_dev_from_name("cuda", &d, &err) == -1);
  CHECK(strstr(err.msg, "built without CUDA") != NULL);
#endif
}

/* ---------------- gemm ---------------- */

/* C = alpha op(A) op(B) + beta C on both devices; padded leading dimensions, and the GPU
 * side optionally takes plain host arrays (which it must stage). */
static void check_gemm(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int pad, bool host_ptrs) {
  int ra = ta ? k : m, ca = ta ? m : k, rb = tb ? n : k, cb = tb ? k : n;
  int lda = ca + pad, ldb = cb + pad, ldc = n + pad;
  size_t na = (size_t)(ra > 0 ? ra : 1) * lda, nb = (size_t)(rb > 0 ? rb : 1) * ldb, nc = (size_t)m * ldc;
  pair a = pair_make(na, -1, 1, 1), b = pair_make(nb, -1, 1, 2), c = pair_make(nc, -1, 1, 3);
  cpu->ops->gemm(ta, tb, m, n, k, alpha, a.c, lda, b.c, ldb, beta, c.c, ldc);
  float *hc = NULL;
  if (host_ptrs) {
    hc = malloc(nc * sizeof(float));
    memcpy(hc, c.host, nc * sizeof(float));
    gpu->ops->gemm(ta, tb, m, n, k, alpha, a.host, lda, b.host, ldb, beta, hc, ldc);
    cm_dev_upload(gpu, c.g, hc, nc);
    free(hc);
  } else {
    gpu->ops->gemm(ta, tb, m, n, k, alpha, a.g, lda, b.g, ldb, beta, c.g, ldc);
  }
  char what[128];
  snprintf(what, sizeof what, "gemm %c%c m=%d n=%d k=%d pad=%d%s", ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, pad,
           host_ptrs ? " (host pointers)" : "");
  /* fp32 products of k terms in [-1,1]: summation-order error grows about like sqrt(k) eps */
  expect_close(what, c.c, c.g, nc, 2e-6 * (k > 1 ? k : 1), 1e-5); /* the gaps must stay untouched too */
  pair_free(&a);
  pair_free(&b);
  pair_free(&c);
}

static void check_gemms(void) {
  for (int t = 0; t < 4; t++) {
    bool ta = t & 1, tb = t & 2;
    check_gemm(ta, tb, 37, 29, 53, 0.7f, 0.3f, 3, false);
    check_gemm(ta, tb, 1, 17, 5, 1.f, 0.f, 0, false);
    check_gemm(ta, tb, 301, 129, 517, 1.f, 1.f, 1, false);
    check_gemm(ta, tb, 33, 7, 19, -1.5f, 0.f, 2, true);
  }
  check_gemm(false, false, 9, 11, 0, 1.f, 0.5f, 2, false); /* k = 0: C = beta C */
  check_gemm(true, false, 9, 11, 0, 1.f, 0.f, 1, true);
}

/* ---------------- element-wise ops, reductions, optimiser steps ---------------- */

static void check_elementwise(void) {
  const size_t n = 100003; /* odd: no kernel may assume a multiple of its block */
  const int rows = 1013, cols = 37;
  const size_t rc = (size_t)rows * cols;

  pair x = pair_make(n, -2, 2, 10), y = pair_make(n, -1, 1, 11), z = pair_make(n, -1, 1, 12);
  cpu->ops->fill(x.c, 0.25f, 1001);
  gpu->ops->fill(x.g, 0.25f, 1001);
  expect_close("fill", x.c, x.g, n, 0, 0);
  cpu->ops->copy(y.c + 5, x.c, 2000);
  gpu->ops->copy(y.g + 5, x.g, 2000);
  expect_close("copy", y.c, y.g, n, 0, 0);
  cpu->ops->relu_fwd(z.c, x.c, n);
  gpu->ops->relu_fwd(z.g, x.g, n);
  expect_close("relu_fwd", z.c, z.g, n, 0, 0);
  cpu->ops->relu_fwd(x.c, x.c, n); /* in place, as the MLP does */
  gpu->ops->relu_fwd(x.g, x.g, n);
  expect_close("relu_fwd in place", x.c, x.g, n, 0, 0);
  cpu->ops->relu_bwd(z.c, y.c, x.c, n);
  gpu->ops->relu_bwd(z.g, y.g, x.g, n);
  expect_close("relu_bwd", z.c, z.g, n, 0, 0);
  cpu->ops->axpy(n, -0.37f, y.c, z.c);
  gpu->ops->axpy(n, -0.37f, y.g, z.g);
  expect_close("axpy", z.c, z.g, n, 0, 1e-7);
  cpu->ops->scale(n, 1.7f, z.c);
  gpu->ops->scale(n, 1.7f, z.g);
  expect_close("scale", z.c, z.g, n, 0, 1e-7);
  double sc = cpu->ops->sum_sq(y.c, n), sg = gpu->ops->sum_sq(y.g, n);
  CHECK_NEAR(sg, sc, 1e-10 * sc);
  CHECK(sc > 0);
  CHECK_NEAR(gpu->ops->sum_sq(y.g, 1), (double)y.host[0] * y.host[0], 1e-12);
  CHECK(gpu->ops->sum_sq(y.g, 0) == 0);

  /* optimiser steps, a few in a row so the moment buffers matter */
  pair p = pair_make(n, -1, 1, 20), gr = pair_make(n, -1, 1, 21), m = pair_make(n, 0, 0, 22),
       v = pair_make(n, 0, 0, 23);
  for (int t = 1; t <= 3; t++) {
    cpu->ops->sgd_step(p.c, gr.c, m.c, n, 0.01f, 0.9f, 0.001f);
    gpu->ops->sgd_step(p.g, gr.g, m.g, n, 0.01f, 0.9f, 0.001f);
  }
  expect_close("sgd_step p", p.c, p.g, n, 1e-7, 1e-6);
  expect_close("sgd_step buf", m.c, m.g, n, 1e-7, 1e-6);
  cpu->ops->fill(m.c, 0, n);
  gpu->ops->fill(m.g, 0, n);
  for (int t = 1; t <= 3; t++) {
    double lr = 3e-4, b1 = 0.9, b2 = 0.999;
    cm_adam_coef ac = {(float)b1, (float)b2, (float)(1 - b1), (float)(1 - b2), 1e-8f, (float)(1 - lr * 0.01),
                       (float)(lr / (1 - pow(b1, t))), (float)sqrt(1 - pow(b2, t))};
    cpu->ops->adam_step(p.c, gr.c, m.c, v.c, n, ac);
    gpu->ops->adam_step(p.g, gr.g, m.g, v.g, n, ac);
  }
  expect_close("adam_step p", p.c, p.g, n, 1e-7, 1e-6);
  expect_close("adam_step m", m.c, m.g, n, 1e-9, 1e-6);
  expect_close("adam_step v", v.c, v.g, n, 1e-12, 1e-6);

  /* row/column ops on [rows][cols] */
  pair a = pair_make(rc, -3, 5, 30), bias = pair_make(cols, -1, 1, 31), out = pair_make(cols, -1, 1, 32);
  cpu->ops->add_bias(a.c, bias.c, rows, cols);
  gpu->ops->add_bias(a.g, bias.g, rows, cols);
  expect_close("add_bias", a.c, a.g, rc, 0, 0);
  cpu->ops->col_sum(out.c, a.c, rows, cols); /* accumulates into what is there */
  gpu->ops->col_sum(out.g, a.g, rows, cols);
  expect_close("col_sum", out.c, out.g, cols, 2e-2, 1e-5); /* float sums of ~1000 terms up to 6 */

  double sum_c[37], sq_c[37], sum_g[37], sq_g[37];
  for (int c = 0; c < cols; c++) sum_c[c] = sum_g[c] = c, sq_c[c] = sq_g[c] = 2.0 * c;
  cpu->ops->col_moments(a.c, rows, cols, sum_c, sq_c);
  gpu->ops->col_moments(a.g, rows, cols, sum_g, sq_g);
  for (int c = 0; c < cols; c++) {
    CHECK_NEAR(sum_g[c], sum_c[c], 1e-9 * (1 + fabs(sum_c[c])));
    CHECK_NEAR(sq_g[c], sq_c[c], 1e-9 * sq_c[c]);
  }
  cpu->ops->col_abs_sum(a.c, rows, cols, sum_c); /* accumulates too */
  gpu->ops->col_abs_sum(a.g, rows, cols, sum_g);
  for (int c = 0; c < cols; c++) CHECK_NEAR(sum_g[c], sum_c[c], 1e-9 * (1 + fabs(sum_c[c])));

  pair mean = pair_make(cols, -1, 1, 33), stdv = pair_make(cols, 0.5f, 2, 34), nz = pair_make(rc, 0, 0, 35);
  cpu->ops->normalize(nz.c, a.c, mean.c, stdv.c, 1.5f, rows, cols); /* clips a good share */
  gpu->ops->normalize(nz.g, a.g, mean.g, stdv.g, 1.5f, rows, cols);
  expect_close("normalize", nz.c, nz.g, rc, 0, 0);
  cpu->ops->normalize(nz.c, a.c, mean.c, stdv.c, INFINITY, rows, cols);
  gpu->ops->normalize(nz.g, a.g, mean.g, stdv.g, INFINITY, rows, cols);
  expect_close("normalize, no clip", nz.c, nz.g, rc, 0, 0);
  cpu->ops->unnormalize(a.c, nz.c, mean.c, stdv.c, rows, cols);
  gpu->ops->unnormalize(a.g, nz.g, mean.g, stdv.g, rows, cols);
  expect_close("unnormalize", a.c, a.g, rc, 1e-6, 1e-7);

  /* plain host arrays handed to the GPU ops (the agent's mini-batch workspaces are) */
  float *hx = malloc(rc * sizeof(float)), *hy = malloc(rc * sizeof(float));
  memcpy(hx, a.host, rc * sizeof(float));
  gpu->ops->normalize(hy, hx, mean.g, stdv.g, 2.f, rows, cols);
  cpu->ops->normalize(nz.c, a.host, mean.c, stdv.c, 2.f, rows, cols);
  cm_dev_upload(gpu, nz.g, hy, rc);
  expect_close("normalize of host arrays", nz.c, nz.g, rc, 0, 0);
  gpu->ops->relu_fwd(hx, hx, rc);
  cpu->ops->relu_fwd(a.c, a.host, rc);
  cm_dev_upload(gpu, a.g, hx, rc);
  expect_close("relu_fwd of a host array in place", a.c, a.g, rc, 0, 0);
  CHECK_NEAR(gpu->ops->sum_sq(hx, rc), cpu->ops->sum_sq(a.c, rc), 1e-9 * cpu->ops->sum_sq(a.c, rc));
  free(hx);
  free(hy);

  /* pinned host memory (the agent's observation arrays): zeroed, read by kernels in place */
  float *px = cm_dev_host_alloc(gpu, rc * sizeof(float), &err);
  CHECK(px != NULL);
  double zero = 0;
  for (size_t i = 0; i < rc; i++) zero += fabs(px[i]);
  CHECK(zero == 0);
  memcpy(px, a.host, rc * sizeof(float));
  gpu->ops->normalize(nz.g, px, mean.g, stdv.g, 2.f, rows, cols);
  expect_close("normalize of pinned host memory", nz.c, nz.g, rc, 0, 0);
  cm_dev_host_free(gpu, px);

  pair *all[] = {&x, &y, &z, &p, &gr, &m, &v, &a, &bias, &out, &mean, &stdv, &nz};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
  CHECK_OK(cm_dev_cuda_check(&err), &err);
}

/* The update's ops (experience buffer, train data, loss rows): the GPU's kernels against the
 * CPU loops on the same data. */
static void check_update_ops(void) {
  const int T = 37, N = 501, W = 29, A = 7, rows = 4099;
  const size_t n = (size_t)T * N;
  /* gather_rows from a [T*N][W] buffer by device indices */
  pair src = pair_make(n * W, -2, 2, 40), dst = pair_make((size_t)rows * W, 0, 0, 41);
  int *idx = malloc((size_t)rows * sizeof(int));
  cm_rng r = cm_rng_make(6, 0, 0, 42);
  for (int k = 0; k < rows; k++) idx[k] = (int)(cm_rng_u32(&r) % n);
  int *idx_g = gpu->ops->alloc((size_t)rows * sizeof(int));
  gpu->ops->upload(idx_g, idx, (size_t)rows * sizeof(int));
  cpu->ops->gather_rows(dst.c, src.c, W, idx, rows);
  gpu->ops->gather_rows(dst.g, src.g, W, idx_g, rows);
  expect_close("gather_rows", dst.c, dst.g, (size_t)rows * W, 0, 0);
  /* copy_bytes of done flags, bootstrap, TD(lambda) */
  unsigned char *done = malloc(n), *done_c = malloc(n), *done_g = gpu->ops->alloc(n), *done_g2 = gpu->ops->alloc(n);
  for (size_t i = 0; i < n; i++) done[i] = (unsigned char)(cm_rng_u32(&r) % 17 < 4 ? cm_rng_u32(&r) % 4 : 0);
  gpu->ops->upload(done_g2, done, n);
  gpu->ops->copy_bytes(done_g, done_g2, n);
  memcpy(done_c, done, n);
  pair rew = pair_make(n, -1, 2, 43), nv = pair_make(n, -5, 5, 44), ret = pair_make(n, 0, 0, 45);
  cpu->ops->bootstrap_done(nv.c, done_c, n, 7.5f, -2.f);
  gpu->ops->bootstrap_done(nv.g, done_g, n, 7.5f, -2.f);
  expect_close("bootstrap_done", nv.c, nv.g, n, 0, 0);
  cpu->ops->td_lambda(T, N, rew.c, nv.c, done_c, 0.95f, 0.9f, ret.c);
  gpu->ops->td_lambda(T, N, rew.g, nv.g, done_g, 0.95f, 0.9f, ret.g);
  expect_close("td_lambda", ret.c, ret.g, n, 0, 0);
  /* masked statistics, normalisation, AWR weights */
  pair mask = pair_make(n, 0, 1, 46);
  float *mh = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) mh[i] = mask.host[i] < 0.3f ? 0.f : 1.f;
  cm_dev_upload(cpu, mask.c, mh, n);
  cm_dev_upload(gpu, mask.g, mh, n);
  double sc[CM_STATS_N], sg[CM_STATS_N];
  for (int pass = 0; pass < 2; pass++) {
    double center = pass ? 0.7 : 0.0;
    cpu->ops->masked_stats(ret.c, pass ? NULL : mask.c, n, center, sc);
    gpu->ops->masked_stats(ret.g, pass ? NULL : mask.g, n, center, sg);
    CHECK(sg[CM_STAT_COUNT] == sc[CM_STAT_COUNT]);
    CHECK_NEAR(sg[CM_STAT_SUM], sc[CM_STAT_SUM], 1e-9 * (1 + fabs(sc[CM_STAT_SUM])));
    CHECK_NEAR(sg[CM_STAT_SUM_SQ], sc[CM_STAT_SUM_SQ], 1e-9 * sc[CM_STAT_SUM_SQ]);
    CHECK(sg[CM_STAT_MIN] == sc[CM_STAT_MIN] && sg[CM_STAT_MAX] == sc[CM_STAT_MAX]);
  }
  cpu->ops->adv_normalize(ret.c, n, 1.3f, 2.1f, 4.f);
  gpu->ops->adv_normalize(ret.g, n, 1.3f, 2.1f, 4.f);
  expect_close("adv_normalize", ret.c, ret.g, n, 0, 0);
  cpu->ops->awr_weights(ret.c, n, 0.4f, 20.f);
  gpu->ops->awr_weights(ret.g, n, 0.4f, 20.f);
  expect_close("awr_weights", ret.c, ret.g, n, 0, 1e-6); /* expf: the CUDA and libm ulps may differ */
  cpu->ops->reward_mix(ret.c, rew.c, nv.c, n, 0.3f, 0.7f, 0.5f);
  gpu->ops->reward_mix(ret.g, rew.g, nv.g, n, 0.3f, 0.7f, 0.5f);
  expect_close("reward_mix", ret.c, ret.g, n, 1e-6, 1e-6); /* nvcc contracts to FMAs */
  cpu->ops->reward_mix(ret.c, rew.c, NULL, n, 1.f, 0.5f, 0.f);
  gpu->ops->reward_mix(ret.g, rew.g, NULL, n, 1.f, 0.5f, 0.f);
  expect_close("reward_mix (no extra)", ret.c, ret.g, n, 1e-6, 1e-6);
  /* loss rows */
  const int ld = CM_LOSS_TERMS;
  pair pred = pair_make((size_t)rows, -2, 2, 47), tar = pair_make((size_t)rows, -2, 2, 48),
       dout = pair_make((size_t)rows, 0, 0, 49), terms = pair_make((size_t)rows * ld, 0, 0, 50);
  cpu->ops->critic_loss_rows(dout.c, terms.c, ld, pred.c, tar.c, rows, 0.01f);
  gpu->ops->critic_loss_rows(dout.g, terms.g, ld, pred.g, tar.g, rows, 0.01f);
  expect_close("critic_loss_rows dout", dout.c, dout.g, (size_t)rows, 0, 0);
  expect_close("critic_loss_rows terms", terms.c, terms.g, (size_t)rows * ld, 0, 0);
  pair mean = pair_make((size_t)rows * A, -1.5f, 1.5f, 51), na = pair_make((size_t)rows * A, -1, 1, 52),
       logp = pair_make((size_t)rows, -8, -2, 53), adv = pair_make((size_t)rows, -2, 2, 54),
       logstd = pair_make((size_t)A, -1.5f, -0.5f, 55), dmean = pair_make((size_t)rows * A, 0, 0, 56);
  for (int obj = CM_ACTOR_PPO; obj <= CM_ACTOR_AWR; obj++) {
    cm_actor_loss_cfg c = {.objective = obj, .act_dim = A, .m = (float)rows, .clip_eps = 0.2f, .bound = 1,
                           .bound_scale = 10.f / rows, .reg = 1, .reg_scale = 0.02f / rows};
    cpu->ops->actor_loss_rows(dmean.c, terms.c, ld, mean.c, na.c, logp.c, adv.c, logstd.c, rows, c);
    gpu->ops->actor_loss_rows(dmean.g, terms.g, ld, mean.g, na.g, logp.g, adv.g, logstd.g, rows, c);
    expect_close(obj == CM_ACTOR_PPO ? "PPO actor_loss_rows dmean" : "AWR actor_loss_rows dmean", dmean.c, dmean.g,
                 (size_t)rows * A, 1e-9, 1e-5);
    expect_close(obj == CM_ACTOR_PPO ? "PPO actor_loss_rows terms" : "AWR actor_loss_rows terms", terms.c, terms.g,
                 (size_t)rows * ld, 1e-7, 1e-5);
  }
  /* mini-batch partitions by the exploration mask (mh: 0 or 1), 5 mini-batches of 777 indices */
  {
    enum { MB = 777, Q = 5 };
    int *ih = malloc(MB * Q * sizeof(int)), *pc = malloc(MB * Q * sizeof(int)), *pg = malloc(MB * Q * sizeof(int));
    int cc[Q], cg[Q];
    for (int k = 0; k < MB * Q; k++) ih[k] = (int)(cm_rng_u32(&r) % n);
    int *ig = gpu->ops->alloc(MB * Q * sizeof(int)), *pd = gpu->ops->alloc(MB * Q * sizeof(int));
    gpu->ops->upload(ig, ih, MB * Q * sizeof(int));
    cpu->ops->partition_rows(pc, cc, ih, mask.c, MB, Q);
    gpu->ops->partition_rows(pd, cg, ig, mask.g, MB, Q);
    gpu->ops->download(pg, pd, MB * Q * sizeof(int));
    CHECK(memcmp(cc, cg, sizeof cc) == 0 && memcmp(pc, pg, MB * Q * sizeof(int)) == 0);
    /* by hand for mini-batch 0: the ones in order, then the others in order */
    int m = 0, ok_order = 1;
    for (int i = 0; i < MB; i++)
      if (mh[ih[i]] == 1.f && pc[m++] != ih[i]) ok_order = 0;
    for (int i = 0, j = m; i < MB; i++)
      if (mh[ih[i]] != 1.f && pc[j++] != ih[i]) ok_order = 0;
    CHECK(m == cc[0] && m > 0 && m < MB && ok_order);
    free(ih);
    free(pc);
    free(pg);
    gpu->ops->free(ig);
    gpu->ops->free(pd);
  }
  /* the return tracker over the same rewards and done flags, T steps of N envs (a NaN reward at
   * one step of env 5, a done flag 4 at env 7: both marked bad) */
  {
    cm_rtrack_rows tc, tg;
    size_t w8 = 8 * (size_t)N; /* ep_ret, ep_len (doubles), ret, len, eps, bad */
    float *bc = cpu->ops->alloc(w8 * sizeof(float)), *bg = gpu->ops->alloc(w8 * sizeof(float));
    cm_rtrack_rows *tt[2] = {&tc, &tg};
    float *bb[2] = {bc, bg};
    for (int k = 0; k < 2; k++) {
      tt[k]->ep_ret = (double *)bb[k];
      tt[k]->ep_len = tt[k]->ep_ret + N;
      tt[k]->ret = (float *)(tt[k]->ep_len + N);
      tt[k]->len = (int *)(tt[k]->ret + N);
      tt[k]->eps = tt[k]->len + N;
      tt[k]->bad = tt[k]->eps + N;
    }
    unsigned char *dbad = malloc(n);
    memcpy(dbad, done, n);
    dbad[3 * (size_t)N + 7] = 4;
    float nanv = NAN;
    cm_dev_upload(cpu, rew.c + 2 * (size_t)N + 5, &nanv, 1);
    cm_dev_upload(gpu, rew.g + 2 * (size_t)N + 5, &nanv, 1);
    unsigned char *dg = gpu->ops->alloc(n);
    gpu->ops->upload(dg, dbad, n);
    double oc[CM_RT_N], og[CM_RT_N];
    for (int t = 0; t < T; t++) {
      cpu->ops->rtrack_step(&tc, rew.c + (size_t)t * N, dbad + (size_t)t * N, N);
      gpu->ops->rtrack_step(&tg, rew.g + (size_t)t * N, dg + (size_t)t * N, N);
    }
    cpu->ops->rtrack_sums(&tc, N, 3, oc);
    gpu->ops->rtrack_sums(&tg, N, 3, og);
    CHECK(oc[CM_RT_EPISODES] > N && og[CM_RT_EPISODES] == oc[CM_RT_EPISODES]);
    CHECK(oc[CM_RT_BAD] == 2 && og[CM_RT_BAD] == 2);
    CHECK(og[CM_RT_BELOW] == oc[CM_RT_BELOW] && og[CM_RT_SUM_LEN] == oc[CM_RT_SUM_LEN]);
    /* env 5's sums are NaN on both; the sums over the rest compared through the rows */
    CHECK(isnan(oc[CM_RT_SUM_RET]) == isnan(og[CM_RT_SUM_RET]));
    /* every env's rows alike (element-wise float and double adds in step order on both); env 5's
     * return is NaN on both */
    float *hb = malloc(w8 * sizeof(float));
    gpu->ops->download(hb, bg, w8 * sizeof(float));
    cm_rtrack_rows h = {.ep_ret = (double *)hb};
    h.ep_len = h.ep_ret + N;
    h.ret = (float *)(h.ep_len + N);
    h.len = (int *)(h.ret + N);
    h.eps = h.len + N;
    h.bad = h.eps + N;
    int same = 1;
    for (int i = 0; i < N; i++) {
      int nan_ok = i == 5 ? isnan(h.ret[i]) == isnan(tc.ret[i]) : h.ret[i] == tc.ret[i] && h.ep_ret[i] == tc.ep_ret[i];
      if (!nan_ok || h.ep_len[i] != tc.ep_len[i] || h.len[i] != tc.len[i] || h.eps[i] != tc.eps[i] ||
          h.bad[i] != tc.bad[i])
        same = 0;
    }
    CHECK(same);
    CHECK(tc.bad[5] == 1 && tc.bad[7] == 1);
    free(hb);
    free(dbad);
    gpu->ops->free(dg);
    cpu->ops->free(bc);
    gpu->ops->free(bg);
  }
  /* column moments added into device doubles (the normalizer's record), two batches */
  {
    double *mc = calloc(2 * (size_t)W, sizeof(double)), *mh2 = malloc(2 * (size_t)W * sizeof(double));
    double *mg = gpu->ops->alloc(2 * (size_t)W * sizeof(double));
    for (int k = 0; k < 2; k++) {
      cpu->ops->col_moments_dev(src.c + (size_t)k * 1000 * W, 1000, W, mc, mc + W);
      gpu->ops->col_moments_dev(src.g + (size_t)k * 1000 * W, 1000, W, mg, mg + W);
    }
    gpu->ops->download(mh2, mg, 2 * (size_t)W * sizeof(double));
    int close = 1;
    for (int c = 0; c < 2 * W; c++)
      if (!(fabs(mh2[c] - mc[c]) <= 1e-9 * (1 + fabs(mc[c])))) close = 0;
    CHECK(close);
    free(mc);
    free(mh2);
    gpu->ops->free(mg);
  }
  /* the discriminator's rows: style rewards and BCE terms of logits */
  {
    pair lg = pair_make((size_t)rows, -6, 6, 57), dz = pair_make((size_t)rows, 0, 0, 58);
    cpu->ops->disc_reward(dz.c, lg.c, (size_t)rows, 2.f);
    gpu->ops->disc_reward(dz.g, lg.g, (size_t)rows, 2.f);
    expect_close("disc_reward", dz.c, dz.g, (size_t)rows, 1e-6, 1e-6);
    for (int target = 0; target <= 1; target++) {
      double sc2[CM_BCE_N], sg2[CM_BCE_N];
      cpu->ops->disc_bce_rows(dz.c, lg.c, rows, target, 0.5f, sc2);
      gpu->ops->disc_bce_rows(dz.g, lg.g, rows, target, 0.5f, sg2);
      expect_close("disc_bce_rows dlogit", dz.c, dz.g, (size_t)rows, 1e-9, 1e-5);
      CHECK_NEAR(sg2[CM_BCE_LOSS], sc2[CM_BCE_LOSS], 1e-9 * (1 + sc2[CM_BCE_LOSS]));
      CHECK(sg2[CM_BCE_ACC] == sc2[CM_BCE_ACC]);
      CHECK_NEAR(sg2[CM_BCE_LOGIT], sc2[CM_BCE_LOGIT], 1e-9 * (1 + fabs(sc2[CM_BCE_LOGIT])));
    }
    pair_free(&lg);
    pair_free(&dz);
  }
  /* the device-to-host counter: a download of 1000 bytes counts 1000 bytes in one copy, a
   * reduction its doubles, a device-to-device copy nothing */
  {
    double b0, c0, b1, c1;
    float tmp[250];
    cm_dev_d2h(gpu, &b0, &c0);
    gpu->ops->download(tmp, rew.g, sizeof tmp);
    cm_dev_d2h(gpu, &b1, &c1);
    CHECK(b1 - b0 == sizeof tmp && c1 - c0 == 1);
    gpu->ops->sum_sq(rew.g, 100);
    gpu->ops->copy(ret.g, rew.g, 100);
    cm_dev_d2h(gpu, &b0, &c0);
    CHECK(b0 - b1 == sizeof(double) && c0 - c1 == 1);
    cm_dev_d2h(cpu, &b0, &c0);
    CHECK(b0 == 0 && c0 == 0);
  }
  /* a host pointer where a device array is needed: the error is recorded, not a crash */
  gpu->ops->gather_rows(dst.g, src.host, W, idx_g, rows);
  CHECK(cm_dev_cuda_check(&err) != 0);
  pair *all[] = {&src, &dst, &rew, &nv, &ret, &mask, &pred, &tar, &dout, &terms, &mean, &na, &logp, &adv, &logstd,
                 &dmean};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
  gpu->ops->free(idx_g);
  gpu->ops->free(done_g);
  gpu->ops->free(done_g2);
  free(idx);
  free(done);
  free(done_c);
  free(mh);
  CHECK_OK(cm_dev_cuda_check(&err), &err);
}

/* ASE's ops (learn/ase_rows.h) and the conditioned inputs' concatenation, GPU against CPU: the
 * latents of 1000 envs over steps with done flags and resets due (the same latents within the
 * rounding of logf/cosf, the same resample decisions exactly), the encoder reward, the encoder
 * loss rows and their sum, the diversity rows and their loss sum. */
static void check_ase_ops(void) {
  const int N = 1000, Z = 64, O = 37, A = 28, m = 2500;
  /* concat_cols */
  pair x = pair_make((size_t)m * O, -3, 3, 70), c = pair_make((size_t)m * Z, -1, 1, 71);
  pair y = pair_make((size_t)m * (O + Z), 0, 0, 72);
  cpu->ops->concat_cols(y.c, x.c, O, c.c, Z, m);
  gpu->ops->concat_cols(y.g, x.g, O, c.g, Z, m);
  expect_close("concat_cols", y.c, y.g, (size_t)m * (O + Z), 0, 0);
  /* latents: a reset of all, then 40 steps of 1/30 s with reset times in [0, 0.5) and about a
   * tenth of the envs done each step */
  pair z = pair_make((size_t)N * Z, 0, 0, 73), et = pair_make((size_t)N, 0, 0, 74), rt = pair_make((size_t)N, 0, 0, 75);
  unsigned char *done = malloc((size_t)N), *done_g = gpu->ops->alloc((size_t)N);
  cm_ase_latent_args pc = {.Z = Z, .reset_all = 1, .seed = 77, .env0 = 3, .draws = 0, .dt = 1.f / 30.f,
                           .time_min = 0.0, .time_max = 0.5, .z = z.c, .env_time = et.c, .reset_time = rt.c,
                           .done = done};
  cm_ase_latent_args pg = pc;
  pg.z = z.g;
  pg.env_time = et.g;
  pg.reset_time = rt.g;
  pg.done = done_g;
  cpu->ops->ase_latents(&pc, N);
  gpu->ops->ase_latents(&pg, N);
  cm_rng r = cm_rng_make(8, 0, 0, 76);
  for (int t = 1; t <= 40; t++) {
    for (int i = 0; i < N; i++) done[i] = (unsigned char)(cm_rng_u32(&r) % 10 == 0 ? 1 + cm_rng_u32(&r) % 3 : 0);
    gpu->ops->upload(done_g, done, (size_t)N);
    pc.reset_all = pg.reset_all = 0;
    pc.draws = pg.draws = (uint64_t)t;
    cpu->ops->ase_latents(&pc, N);
    gpu->ops->ase_latents(&pg, N);
  }
  /* components of unit vectors (about 1/8 each at Z 64): an absolute bound on their scale;
   * the H200 gave 6.3e-6 at one near-zero component (the resample decisions match exactly) */
  expect_close("ase_latents z", z.c, z.g, (size_t)N * Z, 2e-5, 1e-5);
  expect_close("ase_latents env_time", et.c, et.g, (size_t)N, 0, 0);
  expect_close("ase_latents reset_time", rt.c, rt.g, (size_t)N, 1e-7, 1e-6);
  /* encoder reward and loss rows of outputs u against the latents */
  pair u = pair_make((size_t)N * Z, -2, 2, 78), rw = pair_make((size_t)N, 0, 0, 79), du = pair_make((size_t)N * Z, 0, 0, 80);
  cpu->ops->ase_enc_reward(rw.c, u.c, z.c, N, Z);
  gpu->ops->ase_enc_reward(rw.g, u.g, z.g, N, Z);
  expect_close("ase_enc_reward", rw.c, rw.g, (size_t)N, 1e-6, 1e-5);
  int *idx = malloc((size_t)N * sizeof(int)), *idx_g = gpu->ops->alloc((size_t)N * sizeof(int));
  for (int i = 0; i < N; i++) idx[i] = (int)(cm_rng_u32(&r) % (uint32_t)N);
  gpu->ops->upload(idx_g, idx, (size_t)N * sizeof(int));
  /* the losses' sums are added into device doubles (slots of the iteration's stats) */
  double ec = 0, eg, dc = 0, dg, *slot_g = gpu->ops->alloc(2 * sizeof(double));
  gpu->ops->fill((float *)slot_g, 0.f, 4);
  cpu->ops->ase_enc_loss_rows(du.c, u.c, z.c, idx, N, Z, 0.01f, &ec);
  gpu->ops->ase_enc_loss_rows(du.g, u.g, z.g, idx_g, N, Z, 0.01f, slot_g);
  gpu->ops->download(&eg, slot_g, sizeof(double));
  expect_close("ase_enc_loss_rows du", du.c, du.g, (size_t)N * Z, 1e-8, 1e-5);
  CHECK_NEAR(eg, ec, 1e-5 * (1 + fabs(ec)));
  /* diversity rows of m input rows [O + Z] (their latents unit vectors), then their loss */
  pair in = pair_make((size_t)m * (O + Z), -1, 1, 81), ex = pair_make((size_t)m * (O + Z), 0, 0, 82);
  pair zd = pair_make((size_t)m, 0, 0, 83);
  for (int k = 0; k < m; k++) {
    float *row = in.host + (size_t)k * (O + Z) + O;
    double n2 = 0;
    for (int j = 0; j < Z; j++) n2 += (double)row[j] * row[j];
    for (int j = 0; j < Z; j++) row[j] /= (float)sqrt(n2);
  }
  cm_dev_upload(cpu, in.c, in.host, in.n);
  cm_dev_upload(gpu, in.g, in.host, in.n);
  cpu->ops->ase_div_rows(ex.c, zd.c, in.c, m, O, Z, 77, 12);
  gpu->ops->ase_div_rows(ex.g, zd.g, in.g, m, O, Z, 77, 12);
  expect_close("ase_div_rows extra", ex.c, ex.g, (size_t)m * (O + Z), 2e-5, 1e-5); /* fresh unit latents: as above */
  expect_close("ase_div_rows zdiff", zd.c, zd.g, (size_t)m, 1e-6, 1e-5);
  pair mu = pair_make((size_t)m * A, -1, 1, 84), mu1 = pair_make((size_t)m * A, -1, 1, 85);
  pair dm = pair_make((size_t)m * A, -0.1f, 0.1f, 86), dx = pair_make((size_t)m * A, 0, 0, 87);
  cpu->ops->ase_div_loss_rows(dm.c, dx.c, mu.c, mu1.c, zd.c, m, A, 1.0, 0.01f / m, &dc);
  gpu->ops->ase_div_loss_rows(dm.g, dx.g, mu.g, mu1.g, zd.g, m, A, 1.0, 0.01f / m, slot_g + 1);
  gpu->ops->download(&dg, slot_g + 1, sizeof(double));
  expect_close("ase_div_loss_rows dextra", dx.c, dx.g, (size_t)m * A, 1e-9, 1e-4);
  expect_close("ase_div_loss_rows dmean", dm.c, dm.g, (size_t)m * A, 1e-9, 1e-4);
  CHECK_NEAR(dg, dc, 1e-4 * (1 + fabs(dc)));
  printf("ase ops: encoder loss sum %.9g (cpu %.9g), diversity sum %.9g (cpu %.9g)\n", eg, ec, dg, dc);
  pair *all[] = {&x, &c, &y, &z, &et, &rt, &u, &rw, &du, &in, &ex, &zd, &mu, &mu1, &dm, &dx};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
  free(done);
  free(idx);
  gpu->ops->free(done_g);
  gpu->ops->free(idx_g);
  gpu->ops->free(slot_g);
  CHECK_OK(cm_dev_cuda_check(&err), &err);
}

/* Device buffers are plain device memory, read by the host only through cm_dev_read /
 * download: on the CPU cm_dev_read hands back the buffer itself, on the GPU a pinned copy. */
static void check_host_reads(void) {
  const size_t n = 4099;
  pair x = pair_make(n, -1, 1, 50);
#ifdef CM_HAVE_CUDA
  struct cudaPointerAttributes at;
  CHECK(cudaPointerGetAttributes(&at, x.g) == cudaSuccess);
  CHECK(at.type == cudaMemoryTypeDevice); /* not managed */
#endif
  float *pinned = cm_dev_host_alloc(gpu, n * sizeof(float), &err);
  CHECK(pinned != NULL);
  CHECK(cm_dev_read(cpu, x.c, pinned, n) == x.c);
  const float *r = cm_dev_read(gpu, x.g, pinned, n);
  CHECK(r == pinned);
  CHECK(memcmp(r, x.host, n * sizeof(float)) == 0);
  gpu->ops->scale(n, 2.f, x.g); /* the op has finished when it returns: a read sees its result */
  r = cm_dev_read(gpu, x.g, pinned, n);
  int same = 1;
  for (size_t i = 0; i < n; i++) same &= r[i] == 2.f * x.host[i];
  CHECK(same);
  cm_dev_host_free(gpu, pinned);
  pair_free(&x);
  CHECK_OK(cm_dev_cuda_check(&err), &err);
}

/* The ops cannot return errors: a failed allocation gives NULL and is reported once. The
 * request exceeds the GPU's memory; plain device memory (no managed memory, which could
 * oversubscribe and hang the GPU) fails at once. */
static void check_errors(void) {
  CHECK(gpu->ops->alloc((size_t)1 << 62) == NULL);
  CHECK(cm_dev_cuda_check(&err) == -1);
  CHECK(strstr(err.msg, "CUDA error:") == err.msg);
  CHECK(strstr(err.msg, "out of memory in cudaMalloc (") != NULL);
  CHECK(cm_dev_cuda_check(&err) == 0); /* cleared */
  float *p = cm_dev_alloc(gpu, (size_t)1 << 60, &err);
  CHECK(p == NULL);
  CHECK(strstr(err.msg, "out of memory") != NULL);
  CHECK(cm_dev_cuda_check(&err) == -1);
  CHECK(strstr(err.msg, "out of memory") != NULL);
  const cm_dev *d = NULL;
  CHECK_OK(cm_dev_from_name("cuda:0", &d, &err), &err);
  CHECK(d == gpu);
  CHECK_OK(cm_dev_from_name("cuda", &d, &err), &err);
  CHECK(d == gpu);
}

/* ---------------- a small MLP on both devices ---------------- */

static void check_mlp(void) {
  const int in = 13, hidden[2] = {32, 24}, head = 5, batch = 67;
  cm_mlp nc, ng;
  CHECK_OK(cm_mlp_create_sizes(&nc, cpu, in, hidden, 2, head, "body", "head", &err), &err);
  CHECK_OK(cm_mlp_create_sizes(&ng, gpu, in, hidden, 2, head, "body", "head", &err), &err);
  CHECK_OK(cm_mlp_init(&nc, 7, 0, 0.01f, &err), &err);
  CHECK_OK(cm_mlp_init(&ng, 7, 0, 0.01f, &err), &err);
  pair x = pair_make((size_t)batch * in, -2, 2, 40), dx = pair_make((size_t)batch * in, 0, 0, 42);
  float *dout = malloc((size_t)batch * head * sizeof(float)); /* host array, as the agent's losses are */
  fill_random(dout, (size_t)batch * head, -1, 1, 41);

  cm_optim_config cs, ca;
  CHECK_OK(cm_optim_config_default(&cs, "SGD", 0.05f, &err), &err);
  CHECK_OK(cm_optim_config_default(&ca, "Adam", 1e-3f, &err), &err);
  ca.grad_clip = 0.1f; /* small enough to clip: exercises sum_sq and scale */
  cm_param *pc[16], *pg[16];
  int np = cm_mlp_params(&nc, pc, 16);
  CHECK(cm_mlp_params(&ng, pg, 16) == np);
  cm_optim sc, sg, ac, ag;
  CHECK_OK(cm_optim_create(&sc, cpu, &cs, pc, np, &err), &err);
  CHECK_OK(cm_optim_create(&sg, gpu, &cs, pg, np, &err), &err);
  CHECK_OK(cm_optim_create(&ac, cpu, &ca, pc, np, &err), &err);
  CHECK_OK(cm_optim_create(&ag, gpu, &ca, pg, np, &err), &err);

  for (int it = 0; it < 4; it++) {
    cm_optim_zero_grad(&sc);
    cm_optim_zero_grad(&sg);
    CHECK_OK(cm_mlp_forward(&nc, x.c, batch, &err), &err);
    CHECK_OK(cm_mlp_forward(&ng, x.g, batch, &err), &err);
    char what[200];
    snprintf(what, sizeof what, "mlp forward, step %d", it);
    expect_close(what, cm_mlp_out(&nc), cm_mlp_out(&ng), (size_t)batch * head, 1e-5, 1e-4);
    CHECK_OK(cm_mlp_backward(&nc, dout, dx.c, &err), &err);
    CHECK_OK(cm_mlp_backward(&ng, dout, dx.g, &err), &err);
    snprintf(what, sizeof what, "mlp dx, step %d", it);
    expect_close(what, dx.c, dx.g, dx.n, 1e-5, 1e-4);
    for (int i = 0; i < np; i++) {
      snprintf(what, sizeof what, "grad %s, step %d", pc[i]->name, it);
      expect_close(what, pc[i]->grad, pg[i]->grad, pc[i]->n, 1e-5, 1e-4);
    }
    cm_optim *oc = it % 2 ? &ac : &sc, *og = it % 2 ? &ag : &sg;
    cm_optim_step(oc);
    cm_optim_step(og);
    CHECK_NEAR(og->last_grad_norm, oc->last_grad_norm, 1e-5 * oc->last_grad_norm);
    for (int i = 0; i < np; i++) {
      snprintf(what, sizeof what, "param %s after step %d", pc[i]->name, it);
      expect_close(what, pc[i]->data, pg[i]->data, pc[i]->n, 1e-6, 1e-5);
    }
  }
  CHECK(ac.last_grad_norm > ca.grad_clip); /* the clip really happened */
  cm_optim_destroy(&sc);
  cm_optim_destroy(&sg);
  cm_optim_destroy(&ac);
  cm_optim_destroy(&ag);
  cm_mlp_destroy(&nc);
  cm_mlp_destroy(&ng);
  pair_free(&x);
  pair_free(&dx);
  free(dout);
  CHECK_OK(cm_dev_cuda_check(&err), &err);
}

/* ---------------- bench ---------------- */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The MLP's three products for a 4096-row batch through a 1024x1024 layer. */
static void bench_gemm(const cm_dev *d) {
  const int m = 4096, n = 1024, k = 1024;
  float *a = cm_dev_alloc(d, (size_t)m * k, &err), *b = cm_dev_alloc(d, (size_t)n * k, &err),
        *c = cm_dev_alloc(d, (size_t)m * n, &err), *w = cm_dev_alloc(d, (size_t)n * k, &err);
  if (!a || !b || !c || !w) {
    printf("bench %s: %s\n", d->ops->name, err.msg);
    return;
  }
  d->ops->fill(a, 0.5f, (size_t)m * k);
  d->ops->fill(b, 0.25f, (size_t)n * k);
  const char *names[3] = {"NT (forward)", "TN (dW)", "NN (dx)"};
  for (int form = 0; form < 3; form++) {
    int reps = 0;
    double t0 = 0, t1 = 0;
    for (int i = -1; i < 1000; i++) { /* one warm-up, then about a second's worth */
      if (i == 0) t0 = now();
      if (form == 0) d->ops->gemm(false, true, m, n, k, 1.f, a, k, b, k, 0.f, c, n);
      if (form == 1) d->ops->gemm(true, false, n, k, m, 1.f, c, n, a, k, 1.f, w, k);
      if (form == 2) d->ops->gemm(false, false, m, k, n, 1.f, c, n, b, k, 0.f, a, k);
      if (i >= 0) {
        reps++;
        t1 = now();
        if (t1 - t0 > 1.0) break;
      }
    }
    double flops = 2.0 * m * n * k * reps;
    printf("bench %-4s gemm %-12s %dx%dx%d: %8.1f GFLOP/s (%d reps, %.3f ms each)\n", d->ops->name, names[form], m, n,
           k, flops / (t1 - t0) * 1e-9, reps, (t1 - t0) / reps * 1e3);
  }
  cm_dev_free(d, a);
  cm_dev_free(d, b);
  cm_dev_free(d, c);
  cm_dev_free(d, w);
}

/* The discriminator's replay buffer on each device (replay.c: host-drawn indices, device copies
 * and gathers): the same seed stores and samples the same rows, exactly. */
static void check_replay(void) {
  enum { CAP = 10, DIM = 3, ROWS = 8, DRAWS = 50 };
  cm_replay rc, rg;
  CHECK_OK(cm_replay_create(&rc, cpu, CAP, DIM, 7, &err), &err);
  CHECK_OK(cm_replay_create(&rg, gpu, CAP, DIM, 7, &err), &err);
  pair x = pair_make(ROWS * DIM, -2, 2, 60), out = pair_make(DRAWS * DIM, 0, 0, 61);
  CHECK_OK(cm_replay_sample(&rc, DRAWS, out.c, &err), &err); /* nothing stored: zeros */
  CHECK_OK(cm_replay_sample(&rg, DRAWS, out.g, &err), &err);
  expect_close("replay sample (empty)", out.c, out.g, out.n, 0, 0);
  for (int k = 0; k < 4; k++) { /* fills, wraps, then stores random subsets of 3 */
    CHECK_OK(cm_replay_store(&rc, x.c, ROWS, 3, &err), &err);
    CHECK_OK(cm_replay_store(&rg, x.g, ROWS, 3, &err), &err);
  }
  CHECK(rc.head == rg.head && rc.total == rg.total && cm_replay_full(&rg));
  expect_close("replay rows", rc.data, rg.data, (size_t)CAP * DIM, 0, 0);
  CHECK_OK(cm_replay_sample(&rc, DRAWS, out.c, &err), &err);
  CHECK_OK(cm_replay_sample(&rg, DRAWS, out.g, &err), &err);
  expect_close("replay sample", out.c, out.g, out.n, 0, 0);
  pair_free(&x);
  pair_free(&out);
  cm_replay_destroy(&rc);
  cm_replay_destroy(&rg);
}

/* ---------------- ops adding into device doubles (the iteration's stats) ---------------- */

/* n device doubles of the GPU downloaded */
static void slots_down(double *h, const double *d, size_t n) { gpu->ops->download(h, d, n * sizeof(double)); }

static void check_slot_ops(void) {
  const size_t n = 100003;
  pair x = pair_make(n, -2, 2, 70), gc = pair_make(n, -1, 1, 71), mask = pair_make(n, 0, 1, 72);
  for (size_t i = 0; i < n; i++) mask.host[i] = mask.host[i] < 0.5f ? 0.f : 1.f;
  cm_dev_upload(cpu, mask.c, mask.host, n);
  cm_dev_upload(gpu, mask.g, mask.host, n);
  double *sd = gpu->ops->alloc(16 * sizeof(double)), hs[16], cs[16];
  double b0, c0, b1, c1;
  cm_dev_d2h(gpu, &b0, &c0);
  /* sum_sq_dev: added to the slot's value (twice: 1.5 + 2 S) */
  double one = 1.5;
  gpu->ops->upload(sd, &one, sizeof one);
  gpu->ops->sum_sq_dev(x.g, n, sd);
  gpu->ops->sum_sq_dev(x.g, n, sd);
  double want = cpu->ops->sum_sq(x.c, n);
  /* clip_grads: the norm of gc against a clip of a tenth of it (scaled) and of ten times it (kept) */
  double gsq[2] = {cpu->ops->sum_sq(gc.c, n / 2), cpu->ops->sum_sq(gc.c + n / 2, n - n / 2)};
  float clip_lo = (float)(0.1 * sqrt(gsq[0] + gsq[1])), clip_hi = (float)(10 * sqrt(gsq[0] + gsq[1]));
  gpu->ops->upload(sd + 1, gsq, sizeof gsq);
  gpu->ops->clip_grads(gc.g, n, sd + 1, 2, clip_hi);
  cm_dev_d2h(gpu, &b1, &c1);
  CHECK(b1 == b0 && c1 == c0); /* nothing came down */
  expect_close("clip_grads above the norm (untouched)", gc.c, gc.g, n, 0, 0);
  cpu->ops->clip_grads(gc.c, n, gsq, 2, clip_lo);
  gpu->ops->clip_grads(gc.g, n, sd + 1, 2, clip_lo);
  expect_close("clip_grads below the norm", gc.c, gc.g, n, 0, 0); /* the same coefficient, one float product */
  float g7;
  cm_dev_download(cpu, &g7, gc.c + 7, 1);
  CHECK(g7 == gc.host[7] * (float)(clip_lo / (sqrt(gsq[0] + gsq[1]) + 1e-6))); /* clip / (norm + 1e-6) */
  slots_down(hs, sd, 1);
  CHECK_NEAR(hs[0], 1.5 + 2 * want, 1e-9 * want);
  /* masked_stats2: both passes, the second centred on the first's mean (formed on the device), in
   * one copy; the same as two masked_stats at the host's centre */
  double s2c[2 * CM_STATS_N], s2g[2 * CM_STATS_N], t1[CM_STATS_N], t2[CM_STATS_N];
  cm_dev_d2h(gpu, &b0, &c0);
  gpu->ops->masked_stats2(x.g, mask.g, n, s2g);
  cm_dev_d2h(gpu, &b1, &c1);
  CHECK(b1 - b0 == 2 * CM_STATS_N * sizeof(double) && c1 - c0 == 1);
  cpu->ops->masked_stats2(x.c, mask.c, n, s2c);
  gpu->ops->masked_stats(x.g, mask.g, n, 0.0, t1);
  gpu->ops->masked_stats(x.g, mask.g, n, cm_stats_center(t1), t2);
  for (int q = 0; q < CM_STATS_N; q++) {
    CHECK(s2g[q] == t1[q] && s2g[CM_STATS_N + q] == t2[q]); /* the same kernels at the same centre */
    CHECK_NEAR(s2g[q], s2c[q], 1e-9 * (1 + fabs(s2c[q])));
    CHECK_NEAR(s2g[CM_STATS_N + q], s2c[CM_STATS_N + q], 1e-9 * (1 + fabs(s2c[q])));
  }
  CHECK(s2c[CM_STAT_COUNT] > 0.4 * n && s2c[CM_STAT_COUNT] < 0.6 * n);
  CHECK(fabs(s2c[CM_STATS_N + CM_STAT_SUM]) < 1e-6 * s2c[CM_STAT_COUNT]); /* centred: the sum nearly cancels */
  /* disc_bce_rows_dev: the sums added into the slots, twice; dlogit as the host-result op */
  pair lg = pair_make(5000, -6, 6, 73), dz = pair_make(5000, 0, 0, 74);
  gpu->ops->fill((float *)(sd + 4), 0.f, 2 * CM_BCE_N);
  cm_dev_d2h(gpu, &b0, &c0);
  gpu->ops->disc_bce_rows_dev(dz.g, lg.g, 5000, 1, 0.5f, sd + 4);
  gpu->ops->disc_bce_rows_dev(dz.g, lg.g, 5000, 1, 0.5f, sd + 4);
  cm_dev_d2h(gpu, &b1, &c1);
  CHECK(b1 == b0 && c1 == c0);
  cpu->ops->disc_bce_rows(dz.c, lg.c, 5000, 1, 0.5f, cs);
  expect_close("disc_bce_rows_dev dlogit", dz.c, dz.g, 5000, 1e-9, 1e-5);
  slots_down(hs, sd + 4, CM_BCE_N);
  for (int q = 0; q < CM_BCE_N; q++) CHECK_NEAR(hs[q], 2 * cs[q], 1e-9 * (1 + fabs(cs[q])));
  /* rtrack_sums_dev: a tracker's totals added (twice) against the CPU tracker's */
  {
    enum { NE = 777, TS = 9 };
    cm_return_tracker tc, tg;
    CHECK_OK(cm_rtrack_create(&tc, cpu, NE, &err), &err);
    CHECK_OK(cm_rtrack_create(&tg, gpu, NE, &err), &err);
    cm_rtrack_reset(&tc);
    cm_rtrack_reset(&tg);
    pair rw = pair_make((size_t)NE * TS, -1, 1, 75);
    unsigned char *done = malloc((size_t)NE * TS), *dd = gpu->ops->alloc((size_t)NE * TS);
    for (size_t i = 0; i < (size_t)NE * TS; i++) done[i] = (i * 7919) % 5 == 0 ? CM_DONE_FAIL : 0;
    gpu->ops->upload(dd, done, (size_t)NE * TS);
    for (int t = 0; t < TS; t++) {
      cm_rtrack_update(&tc, rw.c + (size_t)t * NE, done + (size_t)t * NE);
      cm_rtrack_update(&tg, rw.g + (size_t)t * NE, dd + (size_t)t * NE);
    }
    gpu->ops->fill((float *)(sd + 8), 0.f, 2 * CM_RT_N);
    gpu->ops->rtrack_sums_dev(&tg.rows, NE, 2, sd + 8);
    gpu->ops->rtrack_sums_dev(&tg.rows, NE, 2, sd + 8);
    cpu->ops->rtrack_sums(&tc.rows, NE, 2, cs);
    slots_down(hs, sd + 8, CM_RT_N);
    CHECK(cs[CM_RT_EPISODES] > NE);
    for (int q = 0; q < CM_RT_N; q++) CHECK_NEAR(hs[q], 2 * cs[q], 1e-9 * (1 + fabs(cs[q])));
    cm_rtrack_destroy(&tc);
    cm_rtrack_destroy(&tg);
    pair_free(&rw);
    free(done);
    gpu->ops->free(dd);
  }
  CHECK_OK(cm_dev_cuda_check(&err), &err);
  gpu->ops->free(sd);
  pair_free(&x);
  pair_free(&gc);
  pair_free(&mask);
  pair_free(&lg);
  pair_free(&dz);
}

int main(int argc, char **argv) {
  check_device_names();
  cpu = cm_dev_cpu();
  gpu = cm_dev_cuda(0, &err);
  if (!gpu) {
    printf("SKIP: no CUDA device (%s)\n", err.msg);
    return check_report("test_ops_cuda");
  }
  if (argc > 1 && strcmp(argv[1], "tf32") == 0) { /* what this GPU and CMIMIC_TF32 give by default */
    int major = 0, minor = 0;
#ifdef CM_HAVE_CUDA
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0);
    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, 0);
#endif
    const char *env = getenv("CMIMIC_TF32");
    printf("tf32 %s (compute capability %d.%d, CMIMIC_TF32=%s)\n", cm_dev_cuda_tf32() ? "on" : "off", major, minor,
           env ? env : "unset");
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "bench") == 0) {
    for (int tf32 = 0; tf32 < 2; tf32++) {
      printf("tf32 %s\n", cm_dev_cuda_set_tf32(tf32) ? "on" : "off (full fp32)");
      bench_gemm(gpu);
    }
    if (argc <= 2 || strcmp(argv[2], "cuda") != 0) bench_gemm(cpu); /* `bench cuda`: GPU only */
    return cm_dev_cuda_check(&err) ? (fprintf(stderr, "%s\n", err.msg), 1) : 0;
  }
  /* the comparisons hold fp32 products to fp32 tolerances; TF32 is toggled here to check the switch */
  CHECK(cm_dev_cuda_set_tf32(1) == 1);
  CHECK(cm_dev_cuda_tf32() == 1);
  CHECK(cm_dev_cuda_set_tf32(0) == 0);
  CHECK(cm_dev_cuda_tf32() == 0);
  check_gemms();
  check_host_reads();
  check_elementwise();
  check_errors();
  check_mlp();
  check_update_ops();
  check_slot_ops();
  check_ase_ops();
  check_replay();
  return check_report("test_ops_cuda");
}
