/* Fully connected networks as MimicKit builds them (learning/nets/fc_*.py): a stack of
 * Linear+ReLU hidden layers, optionally followed by a linear head (the actor's mean layer
 * or the critic's value layer). Forward over a batch, backward to parameter gradients
 * (accumulated, like torch's .grad) and to the input.
 *
 * Parameter names are those torch gives in agent.state_dict(): hidden Linear i of a
 * Sequential sits at index 2*i (ReLUs take the odd slots), so the actor body is
 * "_model._actor_layers.0.weight", "_model._actor_layers.2.weight", ... and the heads are
 * "_model._action_dist._mean_net.weight" and "_model._critic_out.weight". */
#ifndef CM_LEARN_MLP_H
#define CM_LEARN_MLP_H
#include <stdint.h>
#include "learn/param.h"

#define CM_MLP_MAX_LINEAR 8

/* Hidden layer widths of a MimicKit net name ("fc_2layers_1024units" -> 1024, 512). */
int cm_net_hidden_sizes(const char *net_name, int *sizes, int max_sizes, int *count, cm_err *err);

typedef struct cm_mlp {
  const cm_dev *dev;
  int num_linear;                       /* hidden layers + head */
  int num_hidden;                       /* layers followed by ReLU */
  int dims[CM_MLP_MAX_LINEAR + 1];      /* dims[0] input, dims[i+1] output of linear i */
  cm_param w[CM_MLP_MAX_LINEAR];        /* [out][in] */
  cm_param b[CM_MLP_MAX_LINEAR];        /* [out] */
  /* Workspace for up to `capacity` rows, grown on demand. act[i+1] is linear i's output
   * (after its ReLU for hidden layers); the forward input is kept by pointer. */
  int capacity;
  float *act[CM_MLP_MAX_LINEAR + 1];
  float *gbuf[2];
  const float *input;
  int batch;
} cm_mlp;

/* Builds the net: in_dim inputs, the hidden layers of net_name, then a head of head_dim
 * outputs (head_dim 0: no head, the output is the last hidden layer). Parameters are named
 * body_prefix.<2i>.{weight,bias} and head_name.{weight,bias}. Call cm_mlp_init next. */
int cm_mlp_create(cm_mlp *net, const cm_dev *dev, const char *net_name, int in_dim, int head_dim,
                  const char *body_prefix, const char *head_name, cm_err *err);
/* The same with explicit hidden widths (tests, and nets MimicKit configures by list). */
int cm_mlp_create_sizes(cm_mlp *net, const cm_dev *dev, int in_dim, const int *hidden, int num_hidden, int head_dim,
                        const char *body_prefix, const char *head_name, cm_err *err);
void cm_mlp_destroy(cm_mlp *net);

/* Initialisation as MimicKit does it: every weight U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (torch's
 * nn.Linear default), every bias 0 (the nets and heads zero them); with head_init_scale > 0 the
 * head weight is U(-head_init_scale, head_init_scale) instead (actor_init_output_scale).
 * Reproducible: draws come from rng.h keyed by (seed, layer, stream). */
int cm_mlp_init(cm_mlp *net, uint64_t seed, uint32_t stream, float head_init_scale, cm_err *err);

static inline int cm_mlp_in_dim(const cm_mlp *net) { return net->dims[0]; }
static inline int cm_mlp_out_dim(const cm_mlp *net) { return net->dims[net->num_linear]; }
/* Output of the last forward: [batch][out_dim], device memory owned by the net. */
static inline float *cm_mlp_out(const cm_mlp *net) { return net->act[net->num_linear]; }

/* x: [batch][in_dim] on the device; it must stay valid until backward. */
int cm_mlp_forward(cm_mlp *net, const float *x, int batch, cm_err *err);
/* dout: dL/dout [batch][out_dim] for the last forward. Adds dL/dparams into the params' grad;
 * writes dL/dx [batch][in_dim] into dx when dx is not NULL. */
int cm_mlp_backward(cm_mlp *net, const float *dout, float *dx, cm_err *err);
void cm_mlp_zero_grad(cm_mlp *net);

/* Parameters in state_dict order (layer by layer, weight then bias); returns how many. */
int cm_mlp_params(cm_mlp *net, cm_param **out, int max_out);
#endif
