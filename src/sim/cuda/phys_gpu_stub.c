/* The kernel driver of a build without the CUDA toolkit (phys_gpu.cu replaces this file when
 * CMIMIC_CUDA is on): --devices cuda:N for the cuda engine fails with one line. */
#include "sim/cuda/phys_gpu.h"

int cm_phys_gpu_create(const char *device, const cm_phys_model *m, const cm_phys_bridge *br, const cm_phys_layout *L,
                       const float *block, cm_sim_state *st, cm_phys_gpu **out, cm_err *err) {
  (void)m, (void)br, (void)L, (void)block, (void)st;
  *out = NULL;
  return cm_fail(err, "cuda engine: --devices %s: cmimic was built without CUDA (use --devices cpu, or build where the CUDA toolkit is installed)", device);
}
int cm_phys_gpu_step(cm_phys_gpu *g, const float *cmd, int substeps, cm_err *err) {
  (void)g, (void)cmd, (void)substeps;
  return cm_fail(err, "cuda engine: built without CUDA");
}
int cm_phys_gpu_push(cm_phys_gpu *g, const int *ids, int n, cm_err *err) {
  (void)g, (void)ids, (void)n;
  return cm_fail(err, "cuda engine: built without CUDA");
}
int cm_phys_gpu_download_block(cm_phys_gpu *g, float *block, cm_err *err) {
  (void)g, (void)block;
  return cm_fail(err, "cuda engine: built without CUDA");
}
void cm_phys_gpu_set_launch(cm_phys_gpu *g, int block_threads, int fused) { (void)g, (void)block_threads, (void)fused; }
int cm_phys_gpu_set_order(cm_phys_gpu *g, int sort, cm_err *err) {
  (void)g, (void)sort;
  return cm_fail(err, "cuda engine: built without CUDA");
}
int cm_phys_gpu_set_regs(cm_phys_gpu *g, int regs, cm_err *err) {
  (void)g, (void)regs;
  return cm_fail(err, "cuda engine: built without CUDA");
}
int cm_phys_gpu_set_lanes(cm_phys_gpu *g, int lanes, cm_err *err) {
  (void)g, (void)lanes;
  return cm_fail(err, "cuda engine: built without CUDA");
}
void cm_phys_gpu_stats_get(const cm_phys_gpu *g, cm_phys_gpu_stats *out) {
  (void)g;
  *out = (cm_phys_gpu_stats){0};
}
void cm_phys_gpu_stats_reset(cm_phys_gpu *g) { (void)g; }
void cm_phys_gpu_destroy(cm_phys_gpu *g) { (void)g; }
void cm_phys_gpu_dev_state(const cm_phys_gpu *g, cm_sim_state *out) {
  (void)g;
  *out = (cm_sim_state){0};
}
void *cm_phys_gpu_stream(const cm_phys_gpu *g) { (void)g; return NULL; }
int cm_phys_gpu_device(const cm_phys_gpu *g) { (void)g; return -1; }
int cm_phys_gpu_step_dev(cm_phys_gpu *g, const float *cmd_dev, int substeps, cm_err *err) {
  (void)g, (void)cmd_dev, (void)substeps;
  return cm_fail(err, "cuda engine: built without CUDA");
}
int cm_phys_gpu_push_dev(cm_phys_gpu *g, const int *ids_dev, int n, cm_err *err) {
  (void)g, (void)ids_dev, (void)n;
  return cm_fail(err, "cuda engine: built without CUDA");
}
int cm_phys_gpu_download_state(cm_phys_gpu *g, cm_err *err) {
  (void)g;
  return cm_fail(err, "cuda engine: built without CUDA");
}
int cm_phys_gpu_upload_state(cm_phys_gpu *g, cm_err *err) {
  (void)g;
  return cm_fail(err, "cuda engine: built without CUDA");
}
