/* The gradient penalty of a discriminator (MimicKit amp_agent/add_agent._compute_disc_loss):
 *   P = mean_r || d logit_r / d x_r ||^2
 * over the rows of the LAST forward of a ReLU MLP with a 1-wide head, and its gradient with
 * respect to the weights (torch's create_graph=True double backward). With the ReLU masks
 * D_i fixed, d logit/dx = W_0^T D_0 W_1^T D_1 ... w_head, so
 *   backward  delta_{H-1} = D_{H-1} w_head,  delta_{i-1} = D_{i-1} (W_i^T delta_i),  g = W_0^T delta_0
 *   tangent   t_{-1} = dP/dg = 2 g / B,  dP/dW_i = delta_i t_{i-1}^T,  t_i = D_i (W_i t_{i-1}),
 *             dP/dw_head = t_{H-1}
 * (biases get none: they only move the masks). */
#ifndef CM_LEARN_MLP_GRAD_PENALTY_H
#define CM_LEARN_MLP_GRAD_PENALTY_H
#include "learn/mlp.h"

typedef struct cm_gp_ws {
  const cm_dev *dev;
  int capacity;
  float *delta[CM_MLP_MAX_LINEAR]; /* [B][dims[i+1]] per hidden layer */
  float *t[2], *g, *ones;          /* tangents [B][widest], g [B][dims[0]], ones [B] */
  double *sq;                      /* one device double: cm_mlp_grad_penalty's sum */
} cm_gp_ws;

void cm_gp_ws_destroy(cm_gp_ws *ws);
/* Adds weight * dP/dW into the weights' grads and returns P in *penalty. The net must have at
 * least one hidden layer and a head of width 1. */
int cm_mlp_grad_penalty(cm_mlp *net, cm_gp_ws *ws, float weight, double *penalty, cm_err *err);
/* The same with B P (the sum of the rows' squared input gradients) added into the device
 * double *sq instead: nothing comes down. */
int cm_mlp_grad_penalty_dev(cm_mlp *net, cm_gp_ws *ws, float weight, double *sq, cm_err *err);
#endif
