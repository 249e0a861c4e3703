/* The deepmimic GPU step of a build without the CUDA toolkit (deepmimic_gpu.cu replaces this
 * file when CMIMIC_CUDA is on): never supported, every call fails with one line. */
#include "env/deepmimic_gpu.h"

int cm_dm_gpu_supported(const cm_env *e, const char **why) {
  (void)e;
  if (why) *why = "cmimic was built without CUDA";
  return 0;
}
#define NO_CUDA(err) cm_fail(err, "deepmimic (GPU): cmimic was built without CUDA")
int cm_dm_gpu_host_only(const cm_dm_gpu *g) { (void)g; return 0; }
int cm_dm_gpu_create(cm_env *e, cm_dm_gpu **out, cm_err *err) {
  (void)e;
  *out = NULL;
  return NO_CUDA(err);
}
void cm_dm_gpu_destroy(cm_dm_gpu *g) { (void)g; }
int cm_dm_gpu_reset(cm_dm_gpu *g, float *obs, cm_err *err) { (void)g, (void)obs; return NO_CUDA(err); }
int cm_dm_gpu_step(cm_dm_gpu *g, const float *a, float *no, float *o, float *r, uint8_t *d, cm_err *err) {
  (void)g, (void)a, (void)no, (void)o, (void)r, (void)d;
  return NO_CUDA(err);
}
int cm_dm_gpu_reset_host(cm_dm_gpu *g, float *obs, cm_err *err) { (void)g, (void)obs; return NO_CUDA(err); }
int cm_dm_gpu_step_host(cm_dm_gpu *g, const float *a, float *no, float *o, float *r, uint8_t *d, cm_err *err) {
  (void)g, (void)a, (void)no, (void)o, (void)r, (void)d;
  return NO_CUDA(err);
}
void cm_dm_gpu_set_disc_out(cm_dm_gpu *g, float *disc_obs, float *disc_obs_demo) { (void)g, (void)disc_obs, (void)disc_obs_demo; }
int cm_dm_gpu_fetch_disc_obs_demo(cm_dm_gpu *g, int n, float *out, cm_err *err) {
  (void)g, (void)n, (void)out;
  return NO_CUDA(err);
}
int cm_dm_gpu_to_host(cm_dm_gpu *g, cm_err *err) { (void)g; return NO_CUDA(err); }
int cm_dm_gpu_from_host(cm_dm_gpu *g, cm_err *err) { (void)g; return NO_CUDA(err); }
void *cm_dm_gpu_stream(const cm_dm_gpu *g) { (void)g; return NULL; }
int cm_dm_gpu_device(const cm_dm_gpu *g) { (void)g; return -1; }
void cm_dm_gpu_times_get(const cm_dm_gpu *g, cm_dm_gpu_times *out) {
  (void)g;
  *out = (cm_dm_gpu_times){0};
}
void cm_dm_gpu_times_reset(cm_dm_gpu *g) { (void)g; }
