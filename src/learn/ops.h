/* Device abstraction and the numerical kernels the learning code needs, as one function
 * table per backend (CPU: OpenBLAS + loops in ops_cpu.c; CUDA: cuBLAS + kernels in ops_cuda.cu).
 * All matrices are row-major float arrays that live in the device's memory; the device
 * decides what "pointer" means, and host code reads device buffers only through download /
 * cm_dev_read (GPU buffers are plain device memory). Host-side results (reductions) come
 * back as doubles. */
#ifndef CM_LEARN_OPS_H
#define CM_LEARN_OPS_H
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "core/hd.h"

/* Adam coefficients of one step, formed on the host in double (as torch does) then rounded. */
typedef struct cm_adam_coef {
  float beta1, beta2, one_minus_beta1, one_minus_beta2;
  float eps;
  float decay;          /* 1 - lr * weight_decay (AdamW) */
  float step_size;      /* lr / (1 - beta1^t) */
  float bias_c2_sqrt;   /* sqrt(1 - beta2^t) */
} cm_adam_coef;

/* The actor-loss rows' settings (learn/loss_rows.h), formed on the host as the scalar formulas
 * of the update round them. */
typedef enum { CM_ACTOR_PPO = 0, CM_ACTOR_AWR = 1 } cm_actor_objective;
typedef struct cm_actor_loss_cfg {
  int objective; /* cm_actor_objective */
  int act_dim;
  float m;           /* loss rows of the mini-batch (the gradient is -g / m) */
  float clip_eps;    /* PPO's ppo_clip_ratio */
  int bound;         /* the action-bound loss is on */
  float bound_scale; /* (float)(action_bound_weight / m) */
  int reg;           /* the action regulariser is on */
  float reg_scale;   /* (float)(2 action_reg_weight / m) */
} cm_actor_loss_cfg;

/* Columns of the per-row loss terms [rows][CM_LOSS_TERMS] the loss ops write; one column
 * reduction (col_moments) brings all their sums to the host. */
enum {
  CM_TERM_CRITIC_DIFF, /* tar - pred (its sum of squares is the critic loss sum) */
  CM_TERM_SURR,        /* PPO: min(adv r, adv clip(r)); AWR: w log p */
  CM_TERM_CLIPPED,     /* PPO: |r - 1| > eps */
  CM_TERM_RATIO,       /* PPO: r */
  CM_TERM_BOUND,       /* action-bound loss of the row */
  CM_TERM_REG,         /* sum_j mean_j^2 of the row */
  CM_LOSS_TERMS
};
/* masked_stats' outputs */
enum { CM_STAT_COUNT, CM_STAT_SUM, CM_STAT_SUM_SQ, CM_STAT_MIN, CM_STAT_MAX, CM_STATS_N };
/* rtrack_sums' outputs: episodes, sums of their returns and lengths, envs marked bad, envs
 * below min_eps episodes (learn/returns.h cm_rtrack_sum_row) */
enum { CM_RT_EPISODES, CM_RT_SUM_RET, CM_RT_SUM_LEN, CM_RT_BAD, CM_RT_BELOW, CM_RT_N };
/* disc_bce_rows' per-row terms and their sums (learn/disc_rows.h cm_disc_bce_row) */
enum { CM_BCE_LOSS, CM_BCE_ACC, CM_BCE_LOGIT, CM_BCE_N };
/* The mean of the entries masked_stats counted (0 with none): its sum over its count. */
CM_HD static inline double cm_stats_center(const double *st) {
  return st[CM_STAT_COUNT] > 0 ? st[CM_STAT_SUM] / st[CM_STAT_COUNT] : 0.0;
}
/* The sample standard deviation from masked_stats2's two passes st2 (the second centred on
 * the first's mean); if_single where one entry or none was counted. */
CM_HD static inline double cm_stats_std(const double *st2, double if_single) {
  double c = st2[CM_STAT_COUNT];
  return c > 1 ? sqrt(st2[CM_STATS_N + CM_STAT_SUM_SQ] / (c - 1)) : if_single;
}
struct cm_policy_act_args; /* learn/policy_rows.h */
struct cm_ase_latent_args; /* learn/ase_rows.h */
/* The return tracker's per-env arrays on the device (learn/returns.h cm_rtrack_row) */
typedef struct cm_rtrack_rows {
  double *ep_ret, *ep_len; /* [N] sums over the env's finished episodes */
  float *ret;              /* [N] running return of the current episode */
  int *len;                /* [N] its length in steps */
  int *eps;                /* [N] finished episodes */
  int *bad;                /* [N] 1 once a step of the env was bad */
} cm_rtrack_rows;

typedef struct cm_ops {
  const char *name;
  /* Memory: alloc returns zeroed memory or NULL. */
  void *(*alloc)(size_t bytes);
  void (*free)(void *p);
  /* Host memory the device reads fastest (CUDA: pinned, which kernels may also read in
   * place); zeroed or NULL. For large host arrays the ops read often. */
  void *(*alloc_host)(size_t bytes);
  void (*free_host)(void *p);
  void (*upload)(void *dst_dev, const void *src_host, size_t bytes);
  void (*download)(void *dst_host, const void *src_dev, size_t bytes);
  void (*copy)(float *dst, const float *src, size_t n);            /* device to device */
  void (*fill)(float *x, float v, size_t n);

  /* C[m][n] = alpha * op(A)[m][k] * op(B)[k][n] + beta * C; op(X) = X or X^T (as stored). */
  void (*gemm)(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc);
  void (*add_bias)(float *y, const float *bias, int rows, int cols);            /* y[r][c] += bias[c] */
  void (*col_sum)(float *out, const float *x, int rows, int cols);              /* out[c] += sum_r x[r][c] */
  void (*relu_fwd)(float *y, const float *x, size_t n);                         /* y = max(x, 0) */
  void (*relu_bwd)(float *dx, const float *dy, const float *y, size_t n);       /* dx = dy * (y > 0) */
  void (*axpy)(size_t n, float a, const float *x, float *y);                    /* y += a x */
  void (*scale)(size_t n, float a, float *x);                                   /* x *= a */
  double (*sum_sq)(const float *x, size_t n);                                   /* sum x^2, to host */
  /* *out += sum x^2, out one device double (nothing comes down; the CPU sums as sum_sq) */
  void (*sum_sq_dev)(const float *x, size_t n, double *out);
  /* x *= (float)c where c = cm_clip_coef(sq, count, clip) (learn/optim_rows.h) is below 1;
   * sq[count] device doubles (gradient-norm clipping without the norm on the host) */
  void (*clip_grads)(float *x, size_t n, const double *sq, int count, float clip);

  /* Optimiser updates, element-wise over one parameter (see optim.h for the formulas). */
  void (*sgd_step)(float *p, const float *g, float *buf, size_t n, float lr, float momentum, float wd);
  void (*adam_step)(float *p, const float *g, float *m, float *v, size_t n, cm_adam_coef c);

  /* Normalizer: per-column sums of x and x^2 added into host doubles; (un)normalize rows. */
  void (*col_moments)(const float *x, int rows, int cols, double *sum, double *sum_sq);
  /* The same sums added into device doubles sum[cols], sum_sq[cols] (nothing comes down) */
  void (*col_moments_dev)(const float *x, int rows, int cols, double *sum, double *sum_sq);
  /* sum[c] += sum_r |x[r][c]| (ADD's difference normalizer), rows in order per column on the CPU */
  void (*col_abs_sum)(const float *x, int rows, int cols, double *sum);
  void (*normalize)(float *y, const float *x, const float *mean, const float *std, float clip, int rows, int cols);
  void (*unnormalize)(float *y, const float *x, const float *mean, const float *std, int rows, int cols);

  /* ---- experience buffer, train data and losses on device arrays (learn/loss_rows.h and
   * learn/returns.h hold the per-row formulas) ---- */
  void (*copy_bytes)(void *dst, const void *src, size_t bytes); /* device to device, any size */
  /* Mini-batches q < count of mb buffer indices idx[q][mb] (device): part[q] the same indices,
   * those with mask == 1 first, each group in idx's order (a stable partition), and their count
   * into host counts[q] (count ints down) */
  void (*partition_rows)(int *part, int *counts, const int *idx, const float *mask, int mb, int count);
  /* dst[k][0:width] = src[idx[k]][0:width], k < n; idx a device int array */
  void (*gather_rows)(float *dst, const float *src, int width, const int *idx, int n);
  /* vals[i] = the success / failure value where done[i] is SUCC / FAIL (cm_bootstrap_done_value) */
  void (*bootstrap_done)(float *vals, const unsigned char *done, size_t n, float succ_val, float fail_val);
  /* TD(lambda) down every env column of [T][N] arrays (cm_td_lambda_env) */
  void (*td_lambda)(int T, int N, const float *r, const float *next_vals, const unsigned char *done, float discount,
                    float lambda, float *ret);
  /* Over the entries with mask NULL or mask[i] != 0, to host doubles: out[CM_STAT_COUNT], the sums
   * of (x - center) and (x - center)^2, min and max of x (+-inf with none). The CPU sums in index
   * order (the order of returns.c's cm_adv_stats). */
  void (*masked_stats)(const float *x, const float *mask, size_t n, double center, double *out);
  /* Both passes of a mean and variance in one trip: out[0:CM_STATS_N] masked_stats at center 0,
   * out[CM_STATS_N:2 CM_STATS_N] at the center cm_stats_center(out) (the first pass's mean,
   * formed on the device), to host doubles in one copy */
  void (*masked_stats2)(const float *x, const float *mask, size_t n, double *out);
  /* The same two passes into out[2 CM_STATS_N], device doubles (slots of the iteration's
   * stats): nothing comes down */
  void (*masked_stats2_dev)(const float *x, const float *mask, size_t n, double *out);
  /* x = clamp((x - mean) / max(std, 1e-5), -clip, clip) (cm_adv_norm_value) */
  void (*adv_normalize)(float *x, size_t n, float mean, float std, float clip);
  /* The same with mean and std (cm_stats_center, cm_stats_std(st2, 0), each rounded to float)
   * formed on the device from masked_stats2_dev's st2 (device doubles) */
  void (*adv_normalize_dev)(float *x, size_t n, const double *st2, float clip);
  /* r = tw r + dw d (+ ew e where e != NULL) (cm_reward_mix_value) */
  void (*reward_mix)(float *r, const float *d, const float *e, size_t n, float tw, float dw, float ew);
  /* w = min(exp(w / temp), clip) (cm_awr_weight_value) */
  void (*awr_weights)(float *w, size_t n, float temp, float clip);
  /* Critic rows (cm_critic_loss_row): dout[i] = -scale (tar - pred), terms[i * ld + CM_TERM_CRITIC_DIFF] */
  void (*critic_loss_rows)(float *dout, float *terms, int ld, const float *pred, const float *tar, int n, float scale);
  /* Actor rows i < m (cm_actor_loss_row): dmean [m][A] overwritten with dloss/dmean, terms
   * columns CM_TERM_SURR.. of row i; logstd [A] */
  void (*actor_loss_rows)(float *dmean, float *terms, int ld, const float *mean, const float *norm_a,
                          const float *old_logp, const float *adv, const float *logstd, int m, cm_actor_loss_cfg cfg);
  /* The policy's action of rows envs (cm_policy_act_row over each row; arrays on the device). */
  void (*policy_act)(const struct cm_policy_act_args *args, int rows);
  /* One step of the return tracker t over n envs (cm_rtrack_row; reward, done, t's arrays on
   * the device), and its totals over the n envs into host out[CM_RT_N] (cm_rtrack_sum_row, in
   * env order on the CPU) */
  void (*rtrack_step)(const struct cm_rtrack_rows *t, const float *reward, const unsigned char *done, int n);
  void (*rtrack_sums)(const struct cm_rtrack_rows *t, int n, int min_eps, double *out);
  /* the same totals added into device doubles out[CM_RT_N] (nothing comes down) */
  void (*rtrack_sums_dev)(const struct cm_rtrack_rows *t, int n, int min_eps, double *out);
  /* r[i] = cm_disc_reward(logit[i], scale) */
  void (*disc_reward)(float *r, const float *logit, size_t n, float scale);
  /* The BCE rows of n logits against target (cm_disc_bce_row, m = n): dlogit[i] overwritten,
   * the terms' sums over the rows into host out[CM_BCE_N] (row order on the CPU) */
  void (*disc_bce_rows)(float *dlogit, const float *logit, int n, int target, float weight, double *out);
  /* the same, its sums added into device doubles out[CM_BCE_N] (nothing comes down) */
  void (*disc_bce_rows_dev)(float *dlogit, const float *logit, int n, int target, float weight, double *out);

  /* ---- conditioned inputs and ASE (learn/ase_rows.h holds the per-row formulas) ---- */
  /* dst[r] = [x[r][0:O], c[r][0:C]], r < rows (MimicKit's torch.cat of the normalized
   * observation and the latent) */
  void (*concat_cols)(float *dst, const float *x, int O, const float *c, int C, int rows);
  /* The latents of envs i < n after a step or at a reset of all (cm_ase_latent_row) */
  void (*ase_latents)(const struct cm_ase_latent_args *p, int n);
  /* r[i] = cm_ase_enc_reward_row of encoder outputs u [n][Z] and latents z [n][Z] */
  void (*ase_enc_reward)(float *r, const float *u, const float *z, int n, int Z);
  /* Encoder loss rows (cm_ase_enc_loss_row) of outputs u [n][Z] against latents z[idx[i]]: du
   * [n][Z] overwritten, the sum of the rows' errors added into out[0], a device double (a slot
   * of the iteration's stats; row order on the CPU) */
  void (*ase_enc_loss_rows)(float *du, const float *u, const float *z, const int *idx, int n, int Z, float scale,
                            double *out);
  /* Diversity rows (cm_ase_div_row): extra [m][O + Z] = in's rows at fresh latents, zdiff [m] */
  void (*ase_div_rows)(float *extra, float *zdiff, const float *in, int m, int O, int Z, uint64_t seed, uint64_t step);
  /* Diversity loss rows r < k (cm_ase_div_loss_row) of means mean [k][A] and extra_mean [k][A]:
   * dextra overwritten, dmean added to, the sum of e^2 added into out[0], a device double (row
   * order on the CPU) */
  void (*ase_div_loss_rows)(float *dmean, float *dextra, const float *mean, const float *extra_mean,
                            const float *zdiff, int k, int A, double tar, float w, double *out);
} cm_ops;

typedef enum { CM_DEV_CPU = 0, CM_DEV_CUDA = 1 } cm_dev_kind;

typedef struct cm_dev {
  cm_dev_kind kind;
  int index;          /* cuda:N */
  const cm_ops *ops;
} cm_dev;

extern const cm_ops cm_ops_cpu;
/* The CPU device (a static singleton). */
const cm_dev *cm_dev_cpu(void);

/* The device named as MimicKit's --device/--devices flag does: "cpu", "cuda" (= "cuda:0") or
 * "cuda:N". Fails with a message for unknown names, or when CUDA is not built in or has no
 * such GPU. */
int cm_dev_from_name(const char *name, const cm_dev **out, cm_err *err);

/* Buffers of n floats on dev; alloc fails with a message rather than returning NULL silently. */
float *cm_dev_alloc(const cm_dev *dev, size_t n, cm_err *err);
void cm_dev_free(const cm_dev *dev, float *p);
/* Host arrays for dev's fastest transfers (see cm_ops.alloc_host); any byte size. */
void *cm_dev_host_alloc(const cm_dev *dev, size_t bytes, cm_err *err);
void cm_dev_host_free(const cm_dev *dev, void *p);
void cm_dev_upload(const cm_dev *dev, float *dst, const float *src_host, size_t n);
void cm_dev_download(const cm_dev *dev, float *dst_host, const float *src, size_t n);
/* n floats of the device buffer src where the host can read them: src itself on the CPU
 * device (no copy), else host (n floats; pinned from cm_dev_host_alloc for a fast copy) after
 * a download. The host never dereferences a GPU buffer any other way. */
const float *cm_dev_read(const cm_dev *dev, const float *src, float *host, size_t n);
/* TF32 tensor-core matrix products on a CUDA device (on by default where the GPU has them,
 * see dev_cuda.h); no effect on the CPU. Returns whether they are on. */
/* Bytes and copies dev has sent to the host since the process started: downloads, staged
 * outputs and reductions' results (the CPU device sends none: its memory is the host's). */
void cm_dev_d2h(const cm_dev *dev, double *bytes, double *copies);
int cm_dev_set_tf32(const cm_dev *dev, int on);
int cm_dev_tf32(const cm_dev *dev);
#endif
