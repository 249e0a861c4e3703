/* Device buffers: thin wrappers that route through the backend's function table. */
#include "learn/ops.h"

static const cm_dev k_cpu = {CM_DEV_CPU, 0, &cm_ops_cpu};

const cm_dev *cm_dev_cpu(void) { return &k_cpu; }

float *cm_dev_alloc(const cm_dev *dev, size_t n, cm_err *err) {
  float *p = dev->ops->alloc((n ? n : 1) * sizeof(float));
  if (!p) cm_fail(err, "%s: out of memory allocating %zu floats", dev->ops->name, n);
  return p;
}

void cm_dev_free(const cm_dev *dev, float *p) {
  if (p) dev->ops->free(p);
}

void cm_dev_upload(const cm_dev *dev, float *dst, const float *src_host, size_t n) {
  dev->ops->upload(dst, src_host, n * sizeof(float));
}

void cm_dev_download(const cm_dev *dev, float *dst_host, const float *src, size_t n) {
  dev->ops->download(dst_host, src, n * sizeof(float));
}
