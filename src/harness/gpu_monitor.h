/* GPU utilisation monitor: a background thread samples every GPU through NVML at >= 5 Hz
 * (1 s nvidia-smi snapshots miss PPO's short bursts), appends the samples to a TSV and keeps
 * per-GPU statistics: average, minimum and 95th percentile of utilisation, peak memory, average
 * power, and min_of_avgs, the "min_avg_util" the MimicKit reports rank runs by.
 *
 * NVML is loaded at run time (dlopen "libnvidia-ml.so.1", or the path in the environment
 * variable CMIMIC_NVML_LIB), so cmimic has no link-time dependency on the driver. Without it
 * the monitor runs in CPU-only mode: start succeeds, num_gpus is 0, the TSV holds just its
 * header, and one line saying why is printed to stderr once per process. */
#ifndef CM_HARNESS_GPU_MONITOR_H
#define CM_HARNESS_GPU_MONITOR_H
#include <stddef.h>
#include "core/err.h"

typedef struct cm_gpumon cm_gpumon;

#define CM_GPUMON_MAX_GPUS 16
#define CM_GPUMON_MIN_HZ 5.0
#define CM_GPUMON_MAX_HZ 1000.0
#define CM_GPUMON_DEFAULT_HZ 10.0

/* Per-GPU statistics over the samples it covers. Utilisation in percent, memory in MiB (as
 * nvidia-smi reports it), power in watts (NAN for a GPU that reports no power reading).
 * min_of_avgs / avg_of_avgs: the minimum / mean over GPUs of util_avg; 0 when num_gpus is 0. */
typedef struct cm_gpumon_summary {
  int num_gpus;
  long samples; /* sampling ticks covered */
  double util_avg[CM_GPUMON_MAX_GPUS];
  double util_min[CM_GPUMON_MAX_GPUS];
  double util_p95[CM_GPUMON_MAX_GPUS]; /* nearest rank: smallest u with >= 95% of samples <= u */
  double mem_used_mb[CM_GPUMON_MAX_GPUS]; /* maximum */
  double mem_total_mb[CM_GPUMON_MAX_GPUS];
  double power_w[CM_GPUMON_MAX_GPUS]; /* average */
  double min_of_avgs, avg_of_avgs;
} cm_gpumon_summary;

/* 1 if NVML loads and sees at least one GPU. */
int cm_gpumon_available(void);

/* Probes NVML and writes one line describing the mode into line (cap bytes), e.g.
 * "gpu-monitor: 2 GPUs via NVML: NVIDIA H100 80GB HBM3, ..." or
 * "gpu-monitor: NVML not available (<why>): CPU-only mode". Returns the number of GPUs. */
int cm_gpumon_describe(char *line, size_t cap);

/* Starts sampling at hz (CM_GPUMON_MIN_HZ..CM_GPUMON_MAX_HZ) into tsv_path (NULL: no file;
 * columns time_s, gpu, util_pct, mem_used_mb, mem_total_mb, power_w; flushed at least once a
 * second). The first sample is taken at once. Fails (-1, err) on a bad hz or an unwritable
 * TSV; a missing NVML is CPU-only mode, not a failure. */
int cm_gpumon_start(double hz, const char *tsv_path, cm_gpumon **out, cm_err *err);

/* The mode line of this monitor (see cm_gpumon_describe); valid until cm_gpumon_stop. */
const char *cm_gpumon_mode(const cm_gpumon *m);

/* The last sample of each GPU, for status lines: util_avg/min/p95 all hold the last
 * utilisation, mem_used_mb the last memory reading, power_w the last power reading. */
int cm_gpumon_latest(cm_gpumon *m, cm_gpumon_summary *now);

/* Statistics since the previous call (or since start), then begins a new interval: the
 * per-interval status lines of `cmimic gpu-monitor --interval`. Whole-run statistics are
 * unaffected. */
int cm_gpumon_take_interval(cm_gpumon *m, cm_gpumon_summary *s);

/* Stops the thread, fills s (may be NULL) with whole-run statistics, closes the TSV and frees
 * m (NULL is a no-op). Returns -1 if writing the TSV failed at any point (s is still filled). */
int cm_gpumon_stop(cm_gpumon *m, cm_gpumon_summary *s);
#endif
