#include "learn/param.h"

#include <stdio.h>
#include <string.h>

int cm_param_alloc(cm_param *p, const cm_dev *dev, const char *name, int shape0, int shape1, int trainable,
                   cm_err *err) {
  memset(p, 0, sizeof *p);
  if (shape0 <= 0) return cm_fail(err, "%s:%d: parameter '%s' has non-positive size %d", __FILE__, __LINE__, name, shape0);
  if (strlen(name) >= sizeof p->name)
    return cm_fail(err, "%s:%d: parameter name '%s' is longer than %d characters", __FILE__, __LINE__, name,
                   CM_PARAM_NAME_MAX - 1);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->ndim = shape1 > 0 ? 2 : 1;
  p->shape[0] = shape0;
  p->shape[1] = shape1 > 0 ? shape1 : 0;
  p->n = (size_t)shape0 * (size_t)(shape1 > 0 ? shape1 : 1);
  p->data = cm_dev_alloc(dev, p->n, err);
  if (!p->data) return cm_wrap(err, "parameter '%s'", name);
  if (trainable) {
    p->grad = cm_dev_alloc(dev, p->n, err);
    if (!p->grad) {
      cm_param_release(p, dev);
      return cm_wrap(err, "gradient of '%s'", name);
    }
  }
  return 0;
}

void cm_param_release(cm_param *p, const cm_dev *dev) {
  cm_dev_free(dev, p->data);
  cm_dev_free(dev, p->grad);
  p->data = p->grad = NULL;
}
