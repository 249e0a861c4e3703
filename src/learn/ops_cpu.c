/* CPU backend: matrix products through OpenBLAS (which threads them), element-wise kernels
 * as loops the compiler vectorises, spread over a thread pool when the arrays are large.
 * Reductions are split by column, so every sum keeps one order whatever the thread count. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/pool.h"
#include "learn/ase_rows.h"
#include "learn/disc_rows.h"
#include "learn/loss_rows.h"
#include "learn/ops.h"
#include "learn/optim_rows.h"
#include "learn/returns.h"
#include "learn/policy_rows.h"

/* ---- parallel loops ---- */

#define GRAIN 16384 /* elements per task: below two tasks the loop runs inline */

static cm_pool *g_pool;
static pthread_once_t g_pool_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static void make_pool(void) { g_pool = cm_pool_create(0); } /* lives as long as the process */

typedef void (*range_fn)(void *ctx, size_t begin, size_t end);
typedef struct { range_fn fn; void *ctx; size_t n, grain; } par_job;

static void par_chunk(void *vjob, int begin, int end, int worker) {
  (void)worker;
  par_job *j = vjob;
  size_t b = (size_t)begin * j->grain, e = (size_t)end * j->grain;
  j->fn(j->ctx, b, e < j->n ? e : j->n);
}

/* fn over [0, n) in tasks of `grain` items (items: elements, rows or columns). */
static void par_for(size_t n, size_t grain, range_fn fn, void *ctx) {
  size_t tasks = (n + grain - 1) / grain;
  if (tasks < 2) {
    if (n) fn(ctx, 0, n);
    return;
  }
  pthread_once(&g_pool_once, make_pool);
  par_job j = {fn, ctx, n, grain};
  pthread_mutex_lock(&g_pool_mu); /* one caller at a time: the pool runs one job */
  cm_pool_for(g_pool, (int)tasks, par_chunk, &j);
  pthread_mutex_unlock(&g_pool_mu);
}

/* Items per task so one task covers about GRAIN elements of `width` each. */
static size_t grain_of(int width) { return width > 0 && width < GRAIN ? (size_t)(GRAIN / width) : 1; }

typedef struct {
  float *y, *buf, *m, *v;
  const float *x, *g, *bias, *mean, *std;
  float a, lr, momentum, wd, clip;
  int rows, cols;
  double *sum, *sum_sq;
  cm_adam_coef adam;
} op_args;

static void *cpu_alloc(size_t bytes) { return calloc(1, bytes); }
static void cpu_free(void *p) { free(p); }
static void cpu_memcpy(void *dst, const void *src, size_t bytes) { if (bytes) memcpy(dst, src, bytes); }
static void cpu_copy(float *dst, const float *src, size_t n) { if (n) memcpy(dst, src, n * sizeof(float)); }

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

static void fill_range(void *c, size_t b, size_t e) {
  op_args *o = c;
  for (size_t i = b; i < e; i++) o->y[i] = o->a;
}
static void cpu_fill(float *x, float v, size_t n) { par_for(n, GRAIN, fill_range, &(op_args){.y = x, .a = v}); }

static void add_bias_range(void *c, size_t b, size_t e) { /* rows */
  op_args *o = c;
  for (size_t r = b; r < e; r++) {
    float *yr = o->y + r * (size_t)o->cols;
    for (int k = 0; k < o->cols; k++) yr[k] += o->bias[k];
  }
}
static void cpu_add_bias(float *y, const float *bias, int rows, int cols) {
  par_for((size_t)rows, grain_of(cols), add_bias_range, &(op_args){.y = y, .bias = bias, .cols = cols});
}

static void col_sum_range(void *c, size_t b, size_t e) { /* columns, every row in order */
  op_args *o = c;
  for (int r = 0; r < o->rows; r++) {
    const float *xr = o->x + (size_t)r * o->cols;
    for (size_t k = b; k < e; k++) o->y[k] += xr[k];
  }
}
static void cpu_col_sum(float *out, const float *x, int rows, int cols) {
  par_for((size_t)cols, grain_of(rows), col_sum_range, &(op_args){.y = out, .x = x, .rows = rows, .cols = cols});
}

static void relu_fwd_range(void *c, size_t b, size_t e) {
  op_args *o = c;
  for (size_t i = b; i < e; i++) o->y[i] = o->x[i] > 0.f ? o->x[i] : 0.f;
}
static void cpu_relu_fwd(float *y, const float *x, size_t n) {
  par_for(n, GRAIN, relu_fwd_range, &(op_args){.y = y, .x = x});
}

static void relu_bwd_range(void *c, size_t b, size_t e) { /* y: dx, g: dy, x: the forward output */
  op_args *o = c;
  for (size_t i = b; i < e; i++) o->y[i] = o->x[i] > 0.f ? o->g[i] : 0.f;
}
static void cpu_relu_bwd(float *dx, const float *dy, const float *y, size_t n) {
  par_for(n, GRAIN, relu_bwd_range, &(op_args){.y = dx, .g = dy, .x = y});
}

static void axpy_range(void *c, size_t b, size_t e) {
  op_args *o = c;
  for (size_t i = b; i < e; i++) o->y[i] += o->a * o->x[i];
}
static void cpu_axpy(size_t n, float a, const float *x, float *y) {
  par_for(n, GRAIN, axpy_range, &(op_args){.y = y, .x = x, .a = a});
}

static void scale_range(void *c, size_t b, size_t e) {
  op_args *o = c;
  for (size_t i = b; i < e; i++) o->y[i] *= o->a;
}
static void cpu_scale(size_t n, float a, float *x) { par_for(n, GRAIN, scale_range, &(op_args){.y = x, .a = a}); }

static double cpu_sum_sq(const float *x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return s;
}
/* the host's memory is the device's: the sum added where it lies */
static void cpu_sum_sq_dev(const float *x, size_t n, double *out) { *out += cpu_sum_sq(x, n); }

static void cpu_clip_grads(float *x, size_t n, const double *sq, int count, float clip) {
  double coef = cm_clip_coef(sq, count, clip);
  if (coef < 1.0) cpu_scale(n, (float)coef, x);
}

static void sgd_range(void *c, size_t b, size_t e) {
  op_args *o = c;
  for (size_t i = b; i < e; i++) {
    float d = o->g[i] + o->wd * o->y[i];
    o->buf[i] = o->momentum * o->buf[i] + d;
    o->y[i] -= o->lr * o->buf[i];
  }
}
static void cpu_sgd_step(float *p, const float *g, float *buf, size_t n, float lr, float momentum, float wd) {
  par_for(n, GRAIN, sgd_range, &(op_args){.y = p, .g = g, .buf = buf, .lr = lr, .momentum = momentum, .wd = wd});
}

static void adam_range(void *c, size_t b, size_t e) {
  op_args *o = c;
  const cm_adam_coef *k = &o->adam;
  for (size_t i = b; i < e; i++) {
    o->y[i] *= k->decay;
    o->m[i] = k->beta1 * o->m[i] + k->one_minus_beta1 * o->g[i];
    o->v[i] = k->beta2 * o->v[i] + k->one_minus_beta2 * o->g[i] * o->g[i];
    o->y[i] -= k->step_size * o->m[i] / (sqrtf(o->v[i]) / k->bias_c2_sqrt + k->eps);
  }
}
static void cpu_adam_step(float *p, const float *g, float *m, float *v, size_t n, cm_adam_coef c) {
  par_for(n, GRAIN, adam_range, &(op_args){.y = p, .g = g, .m = m, .v = v, .adam = c});
}

static void col_moments_range(void *c, size_t b, size_t e) { /* columns, every row in order */
  op_args *o = c;
  for (int r = 0; r < o->rows; r++) {
    const float *xr = o->x + (size_t)r * o->cols;
    for (size_t k = b; k < e; k++) {
      double v = xr[k];
      o->sum[k] += v;
      o->sum_sq[k] += v * v;
    }
  }
}
static void cpu_col_moments(const float *x, int rows, int cols, double *sum, double *sum_sq) {
  par_for((size_t)cols, grain_of(rows), col_moments_range,
          &(op_args){.x = x, .rows = rows, .cols = cols, .sum = sum, .sum_sq = sum_sq});
}

static void col_abs_range(void *c, size_t b, size_t e) { /* columns, every row in order */
  op_args *o = c;
  for (int r = 0; r < o->rows; r++) {
    const float *xr = o->x + (size_t)r * o->cols;
    for (size_t k = b; k < e; k++) o->sum[k] += fabs((double)xr[k]);
  }
}
static void cpu_col_abs_sum(const float *x, int rows, int cols, double *sum) {
  if (rows <= 0 || cols <= 0) return;
  par_for((size_t)cols, grain_of(rows), col_abs_range, &(op_args){.x = x, .rows = rows, .cols = cols, .sum = sum});
}

static void normalize_range(void *c, size_t b, size_t e) { /* rows */
  op_args *o = c;
  for (size_t r = b; r < e; r++) {
    const float *xr = o->x + r * (size_t)o->cols;
    float *yr = o->y + r * (size_t)o->cols;
    for (int k = 0; k < o->cols; k++) {
      float z = (xr[k] - o->mean[k]) / o->std[k];
      yr[k] = z < -o->clip ? -o->clip : (z > o->clip ? o->clip : z);
    }
  }
}
static void cpu_normalize(float *y, const float *x, const float *mean, const float *std, float clip, int rows,
                          int cols) {
  par_for((size_t)rows, grain_of(cols), normalize_range,
          &(op_args){.y = y, .x = x, .mean = mean, .std = std, .clip = clip, .cols = cols});
}

static void unnormalize_range(void *c, size_t b, size_t e) { /* rows */
  op_args *o = c;
  for (size_t r = b; r < e; r++) {
    const float *xr = o->x + r * (size_t)o->cols;
    float *yr = o->y + r * (size_t)o->cols;
    for (int k = 0; k < o->cols; k++) yr[k] = xr[k] * o->std[k] + o->mean[k];
  }
}
static void cpu_unnormalize(float *y, const float *x, const float *mean, const float *std, int rows, int cols) {
  par_for((size_t)rows, grain_of(cols), unnormalize_range,
          &(op_args){.y = y, .x = x, .mean = mean, .std = std, .cols = cols});
}

/* ---- experience buffer, train data and losses ---- */

static void cpu_copy_bytes(void *dst, const void *src, size_t bytes) {
  if (bytes && dst != src) memmove(dst, src, bytes);
}

typedef struct {
  float *dst, *dmean, *terms, *w;
  const float *src, *pred, *tar, *mean, *norm_a, *old_logp, *adv, *logstd, *r, *next_vals;
  const unsigned char *done;
  const int *idx;
  const cm_rtrack_rows *rt;
  int width, ld, T, N;
  float scale, a, b, c, discount, lambda;
  cm_actor_loss_cfg cfg;
} row_args;

static void gather_range(void *c, size_t b, size_t e) { /* rows */
  row_args *o = c;
  for (size_t k = b; k < e; k++)
    for (int j = 0; j < o->width; j++) o->dst[k * o->width + j] = cm_gather_at(o->width, o->src, o->idx, k, j);
}
static void cpu_gather_rows(float *dst, const float *src, int width, const int *idx, int n) {
  if (n <= 0 || width <= 0) return;
  par_for((size_t)n, grain_of(width), gather_range, &(row_args){.dst = dst, .src = src, .idx = idx, .width = width});
}

/* one thread, in order: each mini-batch's sampled-action rows, then the rest */
static void cpu_partition_rows(int *part, int *counts, const int *idx, const float *mask, int mb, int count) {
  for (int q = 0; q < count; q++) {
    const int *h = idx + (size_t)q * mb;
    int *p = part + (size_t)q * mb, m = 0;
    for (int i = 0; i < mb; i++)
      if (mask[h[i]] == 1.f) p[m++] = h[i];
    for (int i = 0, r = m; i < mb; i++)
      if (mask[h[i]] != 1.f) p[r++] = h[i];
    counts[q] = m;
  }
}

static void bootstrap_range(void *c, size_t b, size_t e) {
  row_args *o = c;
  for (size_t i = b; i < e; i++) o->w[i] = cm_bootstrap_done_value(o->done[i], o->w[i], o->a, o->b);
}
static void cpu_bootstrap_done(float *vals, const unsigned char *done, size_t n, float succ_val, float fail_val) {
  par_for(n, GRAIN, bootstrap_range, &(row_args){.w = vals, .done = done, .a = succ_val, .b = fail_val});
}

static void td_range(void *c, size_t b, size_t e) { /* env columns */
  row_args *o = c;
  for (size_t env = b; env < e; env++)
    cm_td_lambda_env(o->T, o->N, (int)env, o->r, o->next_vals, o->done, o->discount, o->lambda, o->w);
}
static void cpu_td_lambda(int T, int N, const float *r, const float *next_vals, const unsigned char *done,
                          float discount, float lambda, float *ret) {
  if (T <= 0 || N <= 0) return;
  par_for((size_t)N, grain_of(T), td_range,
          &(row_args){.T = T, .N = N, .r = r, .next_vals = next_vals, .done = done, .discount = discount,
                      .lambda = lambda, .w = ret});
}

/* one thread, index order: the statistics keep returns.c's summation order */
static void cpu_masked_stats(const float *x, const float *mask, size_t n, double center, double *out) {
  double count = 0, s1 = 0, s2 = 0, lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (mask && mask[i] == 0.f) continue;
    double d = (double)x[i] - center;
    count += 1;
    s1 += d;
    s2 += d * d;
    lo = fmin(lo, x[i]);
    hi = fmax(hi, x[i]);
  }
  out[CM_STAT_COUNT] = count;
  out[CM_STAT_SUM] = s1;
  out[CM_STAT_SUM_SQ] = s2;
  out[CM_STAT_MIN] = lo;
  out[CM_STAT_MAX] = hi;
}

static void cpu_masked_stats2(const float *x, const float *mask, size_t n, double *out) {
  cpu_masked_stats(x, mask, n, 0.0, out);
  cpu_masked_stats(x, mask, n, cm_stats_center(out), out + CM_STATS_N);
}

static void adv_norm_range(void *c, size_t b, size_t e) {
  row_args *o = c;
  for (size_t i = b; i < e; i++) o->w[i] = cm_adv_norm_value(o->w[i], o->a, o->b, o->c);
}
static void cpu_adv_normalize(float *x, size_t n, float mean, float std, float clip) {
  par_for(n, GRAIN, adv_norm_range, &(row_args){.w = x, .a = mean, .b = fmaxf(std, 1e-5f), .c = clip});
}
static void cpu_adv_normalize_dev(float *x, size_t n, const double *st2, float clip) {
  cpu_adv_normalize(x, n, (float)cm_stats_center(st2), (float)cm_stats_std(st2, 0.0), clip);
}

static void awr_range(void *c, size_t b, size_t e) {
  row_args *o = c;
  for (size_t i = b; i < e; i++) o->w[i] = cm_awr_weight_value(o->w[i], o->a, o->b);
}
static void cpu_awr_weights(float *w, size_t n, float temp, float clip) {
  par_for(n, GRAIN, awr_range, &(row_args){.w = w, .a = temp, .b = clip});
}

static void reward_mix_range(void *c, size_t b, size_t e) {
  row_args *o = c;
  for (size_t i = b; i < e; i++)
    o->w[i] = cm_reward_mix_value(o->w[i], o->src[i], o->pred ? o->pred[i] : 0.f, o->pred != NULL, o->a, o->b, o->c);
}
static void cpu_reward_mix(float *r, const float *d, const float *e, size_t n, float tw, float dw, float ew) {
  par_for(n, GRAIN, reward_mix_range, &(row_args){.w = r, .src = d, .pred = e, .a = tw, .b = dw, .c = ew});
}

static void critic_range(void *c, size_t b, size_t e) {
  row_args *o = c;
  for (size_t i = b; i < e; i++) cm_critic_loss_row(o->pred[i], o->tar[i], o->scale, o->w + i, o->terms + i * o->ld);
}
static void cpu_critic_loss_rows(float *dout, float *terms, int ld, const float *pred, const float *tar, int n,
                                 float scale) {
  if (n <= 0) return;
  par_for((size_t)n, GRAIN, critic_range,
          &(row_args){.w = dout, .terms = terms, .ld = ld, .pred = pred, .tar = tar, .scale = scale});
}

static void actor_range(void *c, size_t b, size_t e) {
  row_args *o = c;
  size_t A = (size_t)o->cfg.act_dim;
  for (size_t i = b; i < e; i++)
    cm_actor_loss_row(&o->cfg, o->logstd, o->mean + i * A, o->norm_a + i * A, o->old_logp[i], o->adv[i],
                      o->dmean + i * A, o->terms + i * o->ld);
}
static void cpu_actor_loss_rows(float *dmean, float *terms, int ld, const float *mean, const float *norm_a,
                                const float *old_logp, const float *adv, const float *logstd, int m,
                                cm_actor_loss_cfg cfg) {
  if (m <= 0) return;
  par_for((size_t)m, grain_of(cfg.act_dim * 8), actor_range,
          &(row_args){.dmean = dmean, .terms = terms, .ld = ld, .mean = mean, .norm_a = norm_a, .old_logp = old_logp,
                      .adv = adv, .logstd = logstd, .cfg = cfg});
}

typedef struct { const cm_policy_act_args *p; } act_ctx;
static void policy_act_range(void *c, size_t b, size_t e) { /* rows */
  const act_ctx *o = c;
  for (size_t i = b; i < e; i++) cm_policy_act_row(o->p, (int)i);
}
static void cpu_policy_act(const cm_policy_act_args *p, int rows) {
  if (rows > 0) par_for((size_t)rows, grain_of(4 * p->act_dim), policy_act_range, &(act_ctx){p});
}

static void rtrack_range(void *c, size_t b, size_t e) {
  row_args *o = c;
  for (size_t i = b; i < e; i++) cm_rtrack_row(o->rt, (int)i, o->r[i], o->done[i]);
}
static void cpu_rtrack_step(const cm_rtrack_rows *t, const float *reward, const unsigned char *done, int n) {
  if (n > 0) par_for((size_t)n, GRAIN, rtrack_range, &(row_args){.rt = t, .r = reward, .done = done});
}

/* one thread, env order */
static void cpu_rtrack_sums(const cm_rtrack_rows *t, int n, int min_eps, double *out) {
  for (int k = 0; k < CM_RT_N; k++) out[k] = 0;
  for (int i = 0; i < n; i++) cm_rtrack_sum_row(t, i, min_eps, out);
}

static void disc_reward_range(void *c, size_t b, size_t e) {
  row_args *o = c;
  for (size_t i = b; i < e; i++) o->w[i] = cm_disc_reward(o->src[i], o->scale);
}
static void cpu_disc_reward(float *r, const float *logit, size_t n, float scale) {
  par_for(n, GRAIN, disc_reward_range, &(row_args){.w = r, .src = logit, .scale = scale});
}

/* one thread, row order: the sums of the rows' terms as amp_agent's means take them */
static void cpu_disc_bce_rows(float *dlogit, const float *logit, int n, int target, float weight, double *out) {
  for (int k = 0; k < CM_BCE_N; k++) out[k] = 0;
  for (int i = 0; i < n; i++) {
    double t[CM_BCE_N];
    cm_disc_bce_row(logit[i], target, weight, (float)n, dlogit + i, t);
    for (int k = 0; k < CM_BCE_N; k++) out[k] += t[k];
  }
}

static void cpu_rtrack_sums_dev(const cm_rtrack_rows *t, int n, int min_eps, double *out) {
  double s[CM_RT_N];
  cpu_rtrack_sums(t, n, min_eps, s);
  for (int k = 0; k < CM_RT_N; k++) out[k] += s[k];
}
static void cpu_disc_bce_rows_dev(float *dlogit, const float *logit, int n, int target, float weight, double *out) {
  double s[CM_BCE_N];
  cpu_disc_bce_rows(dlogit, logit, n, target, weight, s);
  for (int k = 0; k < CM_BCE_N; k++) out[k] += s[k];
}

/* ---- conditioned inputs and ASE (learn/ase_rows.h) ---- */

typedef struct {
  float *dst;
  const float *x, *c;
  int O, C;
} concat_ctx;
static void concat_range(void *v, size_t b, size_t e) { /* rows */
  const concat_ctx *o = v;
  size_t W = (size_t)o->O + o->C;
  for (size_t r = b; r < e; r++) {
    memcpy(o->dst + r * W, o->x + r * o->O, (size_t)o->O * sizeof(float));
    memcpy(o->dst + r * W + o->O, o->c + r * o->C, (size_t)o->C * sizeof(float));
  }
}
static void cpu_concat_cols(float *dst, const float *x, int O, const float *c, int C, int rows) {
  if (rows > 0) par_for((size_t)rows, grain_of(O + C), concat_range, &(concat_ctx){dst, x, c, O, C});
}

typedef struct { const cm_ase_latent_args *p; } latent_ctx;
static void latent_range(void *v, size_t b, size_t e) { /* envs */
  const latent_ctx *o = v;
  for (size_t i = b; i < e; i++) cm_ase_latent_row(o->p, (int)i);
}
static void cpu_ase_latents(const cm_ase_latent_args *p, int n) {
  if (n > 0) par_for((size_t)n, grain_of(4 * p->Z), latent_range, &(latent_ctx){p});
}

typedef struct {
  float *r;
  const float *u, *z;
  int Z;
} enc_reward_ctx;
static void enc_reward_range(void *v, size_t b, size_t e) { /* rows */
  const enc_reward_ctx *o = v;
  for (size_t i = b; i < e; i++) o->r[i] = cm_ase_enc_reward_row(o->Z, o->u + i * o->Z, o->z + i * o->Z);
}
static void cpu_ase_enc_reward(float *r, const float *u, const float *z, int n, int Z) {
  if (n > 0) par_for((size_t)n, grain_of(2 * Z), enc_reward_range, &(enc_reward_ctx){r, u, z, Z});
}

/* one thread, row order: the error sum as the host loop took it */
static void cpu_ase_enc_loss_rows(float *du, const float *u, const float *z, const int *idx, int n, int Z, float scale,
                                  double *out) {
  double sum = 0;
  for (int i = 0; i < n; i++)
    sum += cm_ase_enc_loss_row(Z, u + (size_t)i * Z, z + (size_t)idx[i] * Z, scale, du + (size_t)i * Z);
  out[0] += sum;
}

typedef struct {
  float *extra, *zdiff;
  const float *in;
  int O, Z;
  uint64_t seed, step;
} div_ctx;
static void div_range(void *v, size_t b, size_t e) { /* rows */
  const div_ctx *o = v;
  size_t W = (size_t)o->O + o->Z;
  for (size_t r = b; r < e; r++)
    o->zdiff[r] = cm_ase_div_row(o->O, o->Z, o->seed, o->step, (int)r, o->in + r * W, o->extra + r * W);
}
static void cpu_ase_div_rows(float *extra, float *zdiff, const float *in, int m, int O, int Z, uint64_t seed,
                             uint64_t step) {
  if (m > 0) par_for((size_t)m, grain_of(O + 4 * Z), div_range, &(div_ctx){extra, zdiff, in, O, Z, seed, step});
}

/* one thread, row order */
static void cpu_ase_div_loss_rows(float *dmean, float *dextra, const float *mean, const float *extra_mean,
                                  const float *zdiff, int k, int A, double tar, float w, double *out) {
  double sum = 0;
  for (int r = 0; r < k; r++) {
    size_t o = (size_t)r * A;
    sum += cm_ase_div_loss_row(A, mean + o, extra_mean + o, zdiff[r], tar, w, dmean + o, dextra + o);
  }
  out[0] += sum;
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
  .sum_sq_dev = cpu_sum_sq_dev,
  .clip_grads = cpu_clip_grads,
  .sgd_step = cpu_sgd_step,
  .adam_step = cpu_adam_step,
  .col_moments = cpu_col_moments,
  .col_moments_dev = cpu_col_moments, /* the host's memory is the device's */
  .col_abs_sum = cpu_col_abs_sum,
  .normalize = cpu_normalize,
  .unnormalize = cpu_unnormalize,
  .copy_bytes = cpu_copy_bytes,
  .partition_rows = cpu_partition_rows,
  .gather_rows = cpu_gather_rows,
  .bootstrap_done = cpu_bootstrap_done,
  .td_lambda = cpu_td_lambda,
  .masked_stats = cpu_masked_stats,
  .masked_stats2 = cpu_masked_stats2,
  .masked_stats2_dev = cpu_masked_stats2, /* the CPU's device doubles are host memory */
  .adv_normalize = cpu_adv_normalize,
  .adv_normalize_dev = cpu_adv_normalize_dev,
  .reward_mix = cpu_reward_mix,
  .awr_weights = cpu_awr_weights,
  .critic_loss_rows = cpu_critic_loss_rows,
  .actor_loss_rows = cpu_actor_loss_rows,
  .policy_act = cpu_policy_act,
  .rtrack_step = cpu_rtrack_step,
  .rtrack_sums = cpu_rtrack_sums,
  .rtrack_sums_dev = cpu_rtrack_sums_dev,
  .disc_reward = cpu_disc_reward,
  .disc_bce_rows = cpu_disc_bce_rows,
  .disc_bce_rows_dev = cpu_disc_bce_rows_dev,
  .concat_cols = cpu_concat_cols,
  .ase_latents = cpu_ase_latents,
  .ase_enc_reward = cpu_ase_enc_reward,
  .ase_enc_loss_rows = cpu_ase_enc_loss_rows,
  .ase_div_rows = cpu_ase_div_rows,
  .ase_div_loss_rows = cpu_ase_div_loss_rows,
};
