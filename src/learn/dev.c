/* Device buffers: thin wrappers that route through the backend's function table. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "learn/dev_cuda.h"
#include "learn/ops.h"

static const cm_dev k_cpu = {CM_DEV_CPU, 0, &cm_ops_cpu};

const cm_dev *cm_dev_cpu(void) { return &k_cpu; }

int cm_dev_from_name(const char *name, const cm_dev **out, cm_err *err) {
  *out = NULL;
  if (!name) return cm_fail(err, "%s:%d: device name missing (expected cpu, cuda or cuda:N)", __FILE__, __LINE__);
  if (strcmp(name, "cpu") == 0) {
    *out = cm_dev_cpu();
    return 0;
  }
  long index = 0;
  if (strcmp(name, "cuda") != 0) {
    const char *num = strncmp(name, "cuda:", 5) == 0 ? name + 5 : NULL;
    char *end = NULL;
    errno = 0;
    if (num && *num >= '0' && *num <= '9') index = strtol(num, &end, 10);
    if (!num || !end || *end || errno || index > INT_MAX)
      return cm_fail(err, "unknown device '%s' (expected cpu, cuda or cuda:N)", name);
  }
  const cm_dev *d = cm_dev_cuda((int)index, err);
  if (!d) return cm_wrap(err, "device '%s'", name);
  *out = d;
  return 0;
}

float *cm_dev_alloc(const cm_dev *dev, size_t n, cm_err *err) {
  float *p = dev->ops->alloc((n ? n : 1) * sizeof(float));
  if (!p) cm_fail(err, "%s: out of memory allocating %zu floats", dev->ops->name, n);
  return p;
}

void cm_dev_free(const cm_dev *dev, float *p) {
  if (p) dev->ops->free(p);
}

void *cm_dev_host_alloc(const cm_dev *dev, size_t bytes, cm_err *err) {
  void *p = dev->ops->alloc_host(bytes ? bytes : 1);
  if (!p) cm_fail(err, "%s: out of host memory allocating %zu bytes", dev->ops->name, bytes);
  return p;
}

void cm_dev_host_free(const cm_dev *dev, void *p) {
  if (p) dev->ops->free_host(p);
}

void cm_dev_upload(const cm_dev *dev, float *dst, const float *src_host, size_t n) {
  dev->ops->upload(dst, src_host, n * sizeof(float));
}

void cm_dev_download(const cm_dev *dev, float *dst_host, const float *src, size_t n) {
  dev->ops->download(dst_host, src, n * sizeof(float));
}

const float *cm_dev_read(const cm_dev *dev, const float *src, float *host, size_t n) {
  if (dev->kind == CM_DEV_CPU) return src;
  cm_dev_download(dev, host, src, n);
  return host;
}

void cm_dev_d2h(const cm_dev *dev, double *bytes, double *copies) {
  *bytes = *copies = 0;
  if (dev->kind == CM_DEV_CUDA) cm_dev_cuda_d2h(bytes, copies);
}

int cm_dev_set_tf32(const cm_dev *dev, int on) { return dev->kind == CM_DEV_CUDA ? cm_dev_cuda_set_tf32(on) : 0; }

int cm_dev_tf32(const cm_dev *dev) { return dev->kind == CM_DEV_CUDA && cm_dev_cuda_tf32(); }
