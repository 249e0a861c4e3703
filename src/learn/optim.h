/* Optimisers as MimicKit's MPOptimizer configures them (learning/mp_optimizer.py):
 *   "SGD":  torch.optim.SGD(lr, momentum=0.9, weight_decay)           (no dampening, no Nesterov)
 *           d = g + wd p;  buf = 0.9 buf + d;  p -= lr buf
 *   "Adam": torch.optim.AdamW(lr, weight_decay) with torch's defaults betas (0.9, 0.999), eps 1e-8
 *           p *= 1 - lr wd;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  t += 1
 *           p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 * weight_decay defaults to 0 ("weight_decay" key); "grad_clip" > 0 rescales all gradients
 * together when their global L2 norm exceeds it (torch clip_grad_norm_: coef = clip/(norm+1e-6)).
 * The optimiser holds pointers to the parameters it updates; it owns only its state. */
#ifndef CM_LEARN_OPTIM_H
#define CM_LEARN_OPTIM_H
#include <stdint.h>
#include "learn/param.h"

typedef enum { CM_OPT_SGD = 0, CM_OPT_ADAM = 1 } cm_opt_type;

typedef struct cm_optim_config {
  cm_opt_type type;
  float learning_rate;
  float weight_decay;   /* 0 unless the config sets it */
  float grad_clip;      /* <= 0: off */
  float momentum;       /* SGD: 0.9 */
  double beta1, beta2;  /* Adam: 0.9, 0.999 (double: torch forms the bias corrections in double) */
  double eps;           /* Adam: 1e-8 */
} cm_optim_config;

/* MimicKit's values for type ("SGD" or "Adam") and learning rate; other fields at their defaults. */
int cm_optim_config_default(cm_optim_config *cfg, const char *type, float learning_rate, cm_err *err);

typedef struct cm_optim {
  const cm_dev *dev;
  cm_optim_config cfg;
  int count;
  cm_param **params;    /* borrowed */
  float **buf1;         /* SGD momentum buffer / Adam first moment, per parameter (device) */
  float **buf2;         /* Adam second moment (NULL for SGD) */
  int64_t steps;        /* completed steps (Adam's t; MPOptimizer._steps) */
  double last_grad_norm;/* global L2 norm of the gradients at cm_optim_step's last step (before clipping) */
  double *sq, *sq_h;    /* cm_optim_step's per-parameter sums of squared gradients (device) and host copy */
} cm_optim;

/* params: trainable parameters (grad != NULL), in the order torch lists them. */
int cm_optim_create(cm_optim *opt, const cm_dev *dev, const cm_optim_config *cfg, cm_param *const *params, int count,
                    cm_err *err);
void cm_optim_destroy(cm_optim *opt);
void cm_optim_zero_grad(cm_optim *opt);
/* One update from the gradients currently in the parameters (already averaged across
 * processes if distributed). */
void cm_optim_step(cm_optim *opt);
/* The same step with the gradients' sums of squares added into device doubles sq[count]
 * (zeroed by the caller), parameter by parameter, and the clipping coefficient formed from them
 * on the device: nothing comes down (cm_optim_step reads them back into last_grad_norm). */
void cm_optim_step_dev(cm_optim *opt, double *sq);
#endif
