/* Stand-in for the CUDA device in builds without CUDA (CMIMIC_CUDA=OFF, the default). */
#include "learn/dev_cuda.h"

const cm_dev *cm_dev_cuda(int device, cm_err *err) {
  (void)device;
  cm_fail(err, "this cmimic was built without CUDA (CMIMIC_CUDA=OFF)");
  return NULL;
}

int cm_dev_cuda_check(cm_err *err) {
  (void)err;
  return 0;
}

int cm_dev_cuda_set_tf32(int on) {
  (void)on;
  return 0;
}

int cm_dev_cuda_tf32(void) { return 0; }

void cm_dev_cuda_d2h(double *bytes, double *copies) { *bytes = *copies = 0; }
