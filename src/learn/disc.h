/* The discriminator of AMP, ASE and ADD (MimicKit amp_model.py: _disc_layers, an fc net, and
 * _disc_logits, Linear(hidden, 1) initialised U(-1, 1) with zero bias) and its loss terms
 * (amp_agent.py): BCE-with-logits against 1 for demo/positive rows and 0 for agent/negative
 * rows, the gradient penalty, the logit-layer and weight-decay regularisers, and the style
 * reward  r = -log(max(1 - sigmoid(logit), 1e-4)) * disc_reward_scale. */
#ifndef CM_LEARN_DISC_H
#define CM_LEARN_DISC_H
#include <math.h>
#include <stdint.h>
#include "core/hd.h"
#include "learn/disc_rows.h"
#include "learn/mlp.h"
#include "learn/mlp_grad_penalty.h"

typedef struct cm_disc {
  cm_mlp net; /* "_model._disc_layers.<2i>", head "_model._disc_logits" */
  cm_gp_ws gp;
  int capacity;
  float *dlogit; /* [capacity] device: dL/dlogit of the last BCE term */
  double *sums;  /* [CM_DISC_SUMS] device scratch of the host-result calls */
} cm_disc;

int cm_disc_create(cm_disc *d, const cm_dev *dev, const char *net_name, int in_dim, uint64_t seed, uint32_t stream,
                   cm_err *err);
void cm_disc_destroy(cm_disc *d);

/* Logits of rows of normalized inputs x (device) into out[rows] (device), in chunks. */
int cm_disc_logits(cm_disc *d, const float *x, int rows, float *out, cm_err *err);

/* One class of a BCE loss: mean over the rows of x of BCE(logit, target). Adds weight * its
 * gradient into the params' grads and, when gp_weight != 0, gp_weight * the gradient penalty
 * of the same rows. The rows' terms are formed and summed on the device (the disc_bce_rows op:
 * cm_disc_bce_row); only the sums come to the host. */
typedef struct cm_disc_term {
  double loss;       /* mean BCE */
  double acc;        /* fraction classified right (logit > 0 for target 1, < 0 for target 0) */
  double logit_mean;
  double grad_penalty; /* 0 unless asked */
} cm_disc_term;
int cm_disc_bce(cm_disc *d, const float *x, int rows, int target, float weight, float gp_weight, cm_disc_term *out,
                cm_err *err);
/* The same with the term's sums added into device doubles sums[CM_DISC_SUMS] (the BCE rows'
 * CM_BCE_* sums, then the penalty's sum at CM_DISC_GP): nothing comes down; cm_disc_term_of
 * forms the term from them once they are on the host. */
enum { CM_DISC_GP = CM_BCE_N, CM_DISC_SUMS };
int cm_disc_bce_dev(cm_disc *d, const float *x, int rows, int target, float weight, float gp_weight, double *sums,
                    cm_err *err);
void cm_disc_term_of(const double *sums, int rows, cm_disc_term *out);

/* sum of squared weights: of the logit layer only (get_disc_logit_weights) or of every layer
 * (get_disc_weights, biases excluded). Adds scale * d/dw into the grads. */
double cm_disc_weight_sq(cm_disc *d, int logit_only, float scale);
/* The same sum added into the device double *out. */
void cm_disc_weight_sq_dev(cm_disc *d, int logit_only, float scale, double *out);

#endif
