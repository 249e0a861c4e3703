#include "learn/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cm_optim_config_default(cm_optim_config *cfg, const char *type, float learning_rate, cm_err *err) {
  memset(cfg, 0, sizeof *cfg);
  if (strcmp(type, "SGD") == 0) cfg->type = CM_OPT_SGD;
  else if (strcmp(type, "Adam") == 0) cfg->type = CM_OPT_ADAM;
  else return cm_fail(err, "%s:%d: optimizer.type '%s' is not SGD or Adam", __FILE__, __LINE__, type);
  if (!(learning_rate > 0.f) || !isfinite(learning_rate))
    return cm_fail(err, "%s:%d: optimizer.learning_rate %g must be positive", __FILE__, __LINE__, (double)learning_rate);
  cfg->learning_rate = learning_rate;
  cfg->momentum = 0.9f;
  cfg->beta1 = 0.9;
  cfg->beta2 = 0.999;
  cfg->eps = 1e-8;
  return 0;
}

int cm_optim_create(cm_optim *opt, const cm_dev *dev, const cm_optim_config *cfg, cm_param *const *params, int count,
                    cm_err *err) {
  memset(opt, 0, sizeof *opt);
  opt->dev = dev;
  opt->cfg = *cfg;
  if (count <= 0) return cm_fail(err, "%s:%d: optimizer has no parameters", __FILE__, __LINE__);
  opt->params = calloc((size_t)count, sizeof *opt->params);
  opt->buf1 = calloc((size_t)count, sizeof *opt->buf1);
  opt->buf2 = calloc((size_t)count, sizeof *opt->buf2);
  if (!opt->params || !opt->buf1 || !opt->buf2) {
    cm_optim_destroy(opt);
    return cm_fail(err, "%s:%d: out of memory for optimizer state", __FILE__, __LINE__);
  }
  opt->count = count;
  opt->sq = (double *)cm_dev_alloc(dev, 2 * (size_t)count, err);
  opt->sq_h = malloc((size_t)count * sizeof(double));
  if (!opt->sq || !opt->sq_h) {
    cm_optim_destroy(opt);
    return cm_fail(err, "%s:%d: out of memory for optimizer state", __FILE__, __LINE__);
  }
  for (int i = 0; i < count; i++) {
    cm_param *p = params[i];
    opt->params[i] = p;
    if (!p->grad) {
      cm_optim_destroy(opt);
      return cm_fail(err, "%s:%d: parameter '%s' is not trainable (no gradient)", __FILE__, __LINE__, p->name);
    }
    opt->buf1[i] = cm_dev_alloc(dev, p->n, err);
    if (cfg->type == CM_OPT_ADAM && opt->buf1[i]) opt->buf2[i] = cm_dev_alloc(dev, p->n, err);
    if (!opt->buf1[i] || (cfg->type == CM_OPT_ADAM && !opt->buf2[i])) {
      cm_optim_destroy(opt);
      return cm_wrap(err, "optimizer state for '%s'", p->name);
    }
  }
  return 0;
}

void cm_optim_destroy(cm_optim *opt) {
  for (int i = 0; i < opt->count; i++) {
    if (opt->buf1) cm_dev_free(opt->dev, opt->buf1[i]);
    if (opt->buf2) cm_dev_free(opt->dev, opt->buf2[i]);
  }
  if (opt->sq) cm_dev_free(opt->dev, (float *)opt->sq);
  free(opt->sq_h);
  opt->sq = opt->sq_h = NULL;
  free(opt->params);
  free(opt->buf1);
  free(opt->buf2);
  opt->params = NULL;
  opt->buf1 = opt->buf2 = NULL;
  opt->count = 0;
}

void cm_optim_zero_grad(cm_optim *opt) {
  for (int i = 0; i < opt->count; i++) opt->dev->ops->fill(opt->params[i]->grad, 0.f, opt->params[i]->n);
}

void cm_optim_step(cm_optim *opt) {
  opt->dev->ops->fill((float *)opt->sq, 0.f, 2 * (size_t)opt->count); /* zero bits: 0.0 doubles */
  cm_optim_step_dev(opt, opt->sq);
  const double *sq = (const double *)cm_dev_read(opt->dev, (const float *)opt->sq, (float *)opt->sq_h, 2 * (size_t)opt->count);
  double s = 0;
  for (int i = 0; i < opt->count; i++) s += sq[i];
  opt->last_grad_norm = sqrt(s);
}

void cm_optim_step_dev(cm_optim *opt, double *sq) {
  const cm_ops *ops = opt->dev->ops;
  const cm_optim_config *c = &opt->cfg;
  for (int i = 0; i < opt->count; i++) ops->sum_sq_dev(opt->params[i]->grad, opt->params[i]->n, sq + i);
  if (c->grad_clip > 0.f)
    for (int i = 0; i < opt->count; i++) ops->clip_grads(opt->params[i]->grad, opt->params[i]->n, sq, opt->count, c->grad_clip);
  opt->steps++;
  /* Adam's coefficients in double, as torch forms them on the host. */
  double t = (double)opt->steps, lr = c->learning_rate;
  cm_adam_coef ac = {
    .beta1 = (float)c->beta1, .beta2 = (float)c->beta2,
    .one_minus_beta1 = (float)(1.0 - c->beta1), .one_minus_beta2 = (float)(1.0 - c->beta2),
    .eps = (float)c->eps,
    .decay = (float)(1.0 - lr * c->weight_decay),
    .step_size = (float)(lr / (1.0 - pow(c->beta1, t))),
    .bias_c2_sqrt = (float)sqrt(1.0 - pow(c->beta2, t)),
  };
  for (int i = 0; i < opt->count; i++) {
    cm_param *p = opt->params[i];
    if (c->type == CM_OPT_SGD)
      ops->sgd_step(p->data, p->grad, opt->buf1[i], p->n, c->learning_rate, c->momentum, c->weight_decay);
    else
      ops->adam_step(p->data, p->grad, opt->buf1[i], opt->buf2[i], p->n, ac);
  }
}
