/* A named parameter tensor as torch stores it in agent.state_dict(): name, shape
 * (Linear weight is [out][in], bias [out]), data on the device, and its gradient
 * (NULL for tensors torch keeps with requires_grad=False, e.g. a FIXED log-std). */
#ifndef CM_LEARN_PARAM_H
#define CM_LEARN_PARAM_H
#include <stddef.h>
#include "learn/ops.h"

#define CM_PARAM_NAME_MAX 128

typedef struct cm_param {
  char name[CM_PARAM_NAME_MAX];
  int ndim;
  int shape[2];
  size_t n;          /* element count */
  float *data;       /* device */
  float *grad;       /* device, or NULL when not trained */
} cm_param;

/* Allocates data (zeroed) and, when trainable, grad. shape1 <= 0 makes a 1-d tensor. */
int cm_param_alloc(cm_param *p, const cm_dev *dev, const char *name, int shape0, int shape1, int trainable,
                   cm_err *err);
void cm_param_release(cm_param *p, const cm_dev *dev);
#endif
