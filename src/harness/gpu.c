#include "harness/gpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/gpu_monitor.h"

struct cm_hgpu {
  cm_gpumon *mon;
};

int cm_hgpu_start(double hz, const char *tsv_path, cm_hgpu **out, cm_err *err) {
  *out = NULL;
  cm_hgpu *g = calloc(1, sizeof *g);
  if (!g) return cm_fail(err, "out of memory starting the GPU monitor");
  if (cm_gpumon_start(hz < 5 ? 5 : hz, tsv_path, &g->mon, err)) {
    free(g);
    return -1;
  }
  *out = g;
  return 0;
}

void cm_hgpu_now(cm_hgpu *g, char *buf, size_t cap) {
  cm_gpumon_summary s = {0};
  if (!g || cm_gpumon_latest(g->mon, &s) || s.num_gpus == 0) {
    snprintf(buf, cap, "gpu: none (CPU-only)");
    return;
  }
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; i < s.num_gpus && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%sgpu%d %.0f%% %.0fMB %.0fW", i ? ", " : "", i, s.util_avg[i],
                             s.mem_used_mb[i], s.power_w[i]);
}

void cm_hgpu_stop(cm_hgpu *g, double *avg_of_avgs, double *min_of_avgs) {
  *avg_of_avgs = *min_of_avgs = NAN;
  if (!g) return;
  cm_gpumon_summary s = {0};
  cm_gpumon_stop(g->mon, &s);
  if (s.num_gpus > 0) {
    *avg_of_avgs = s.avg_of_avgs;
    *min_of_avgs = s.min_of_avgs;
  }
  free(g);
}
