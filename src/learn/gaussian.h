/* Diagonal Gaussian policy (MimicKit learning/distribution_gaussian_diag.py), std type FIXED:
 * the log-std is a constant vector log(action_std), stored in the state dict as
 * "_model._action_dist._logstd_net" ([a_dim], requires_grad=False); the mean comes from the
 * actor MLP's head "_model._action_dist._mean_net".
 *   log p(x) = -1/2 sum_j ((x_j - mu_j) / sigma_j)^2 - sum_j log sigma_j - dim/2 log(2 pi)
 *   entropy  = sum_j log sigma_j + dim/2 log(2 pi e)
 *   sample   = mu + sigma * N(0, 1)
 * The per-row functions are CM_HD so a GPU kernel runs the same code; the batch drivers below
 * run them on the CPU over row-major [batch][dim] arrays. */
#ifndef CM_LEARN_GAUSSIAN_H
#define CM_LEARN_GAUSSIAN_H
#include <math.h>
#include <stdint.h>
#include "core/hd.h"
#include "core/rng.h"
#include "learn/param.h"

#define CM_LOG_2PI 1.8378770664093453f
#define CM_LOG_2PIE 2.8378770664093453f

CM_HD static inline float cm_gauss_log_prob_row(int dim, const float *mean, const float *logstd, const float *x) {
  float quad = 0.f, logdet = 0.f;
  for (int j = 0; j < dim; j++) {
    float z = (x[j] - mean[j]) * expf(-logstd[j]);
    quad += z * z;
    logdet += logstd[j];
  }
  return -0.5f * quad - logdet - 0.5f * (float)dim * CM_LOG_2PI;
}

CM_HD static inline float cm_gauss_entropy_row(int dim, const float *logstd) {
  float s = 0.f;
  for (int j = 0; j < dim; j++) s += logstd[j];
  return s + 0.5f * (float)dim * CM_LOG_2PIE;
}

CM_HD static inline void cm_gauss_sample_row(int dim, const float *mean, const float *logstd, cm_rng *rng, float *x) {
  for (int j = 0; j < dim; j++) x[j] = mean[j] + expf(logstd[j]) * cm_rng_normal(rng);
}

/* dmean_j += w * d log p / d mu_j = w (x_j - mu_j) / sigma_j^2 */
CM_HD static inline void cm_gauss_log_prob_grad_mean_row(int dim, const float *mean, const float *logstd,
                                                         const float *x, float w, float *dmean) {
  for (int j = 0; j < dim; j++) dmean[j] += w * (x[j] - mean[j]) * expf(-2.f * logstd[j]);
}

/* dlogstd_j += w * d log p / d log sigma_j = w (((x_j - mu_j) / sigma_j)^2 - 1), for learnt std types. */
CM_HD static inline void cm_gauss_log_prob_grad_logstd_row(int dim, const float *mean, const float *logstd,
                                                           const float *x, float w, float *dlogstd) {
  for (int j = 0; j < dim; j++) {
    float z = (x[j] - mean[j]) * expf(-logstd[j]);
    dlogstd[j] += w * (z * z - 1.f);
  }
}

/* The FIXED log-std parameter, filled with log(action_std). */
int cm_gauss_logstd_create(cm_param *logstd, const cm_dev *dev, int a_dim, float action_std, cm_err *err);

/* Batch drivers (CPU). logstd is one [dim] vector shared by every row. Row i draws from
 * rng (seed, env0 + i, step, stream), so any subset of rows reproduces on its own. */
void cm_gauss_sample(int batch, int dim, const float *mean, const float *logstd, uint64_t seed, uint32_t env0,
                     uint64_t step, uint32_t stream, float *x);
void cm_gauss_log_prob(int batch, int dim, const float *mean, const float *logstd, const float *x, float *logp);
/* dmean[i] += w[i] * d log p(x[i]) / d mean[i]  (w: dL/dlogp per row; NULL means 1) */
void cm_gauss_log_prob_grad_mean(int batch, int dim, const float *mean, const float *logstd, const float *x,
                                 const float *w, float *dmean);
#endif
