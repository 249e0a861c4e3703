#include "learn/gaussian.h"

#include <stdlib.h>

int cm_gauss_logstd_create(cm_param *logstd, const cm_dev *dev, int a_dim, float action_std, cm_err *err) {
  if (!(action_std > 0.f) || !isfinite(action_std))
    return cm_fail(err, "%s:%d: action_std %g must be positive", __FILE__, __LINE__, (double)action_std);
  if (cm_param_alloc(logstd, dev, "_model._action_dist._logstd_net", a_dim, 0, 0, err)) return -1;
  dev->ops->fill(logstd->data, logf(action_std), logstd->n);
  return 0;
}

void cm_gauss_sample(int batch, int dim, const float *mean, const float *logstd, uint64_t seed, uint32_t env0,
                     uint64_t step, uint32_t stream, float *x) {
  for (int i = 0; i < batch; i++) {
    cm_rng rng = cm_rng_make(seed, env0 + (uint32_t)i, step, stream);
    cm_gauss_sample_row(dim, mean + (size_t)i * dim, logstd, &rng, x + (size_t)i * dim);
  }
}

void cm_gauss_log_prob(int batch, int dim, const float *mean, const float *logstd, const float *x, float *logp) {
  for (int i = 0; i < batch; i++)
    logp[i] = cm_gauss_log_prob_row(dim, mean + (size_t)i * dim, logstd, x + (size_t)i * dim);
}

void cm_gauss_log_prob_grad_mean(int batch, int dim, const float *mean, const float *logstd, const float *x,
                                 const float *w, float *dmean) {
  for (int i = 0; i < batch; i++)
    cm_gauss_log_prob_grad_mean_row(dim, mean + (size_t)i * dim, logstd, x + (size_t)i * dim, w ? w[i] : 1.f,
                                    dmean + (size_t)i * dim);
}
