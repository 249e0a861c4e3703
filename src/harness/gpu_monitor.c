#include "harness/gpu_monitor.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"

/* ------------------------------------------------------------------ the slice of NVML we use */
/* Declared here from NVML's public, stable C ABI (nvml.h) so nothing links against the driver:
 * nvmlReturn_t is a C enum (int) with NVML_SUCCESS = 0, nvmlDevice_t an opaque pointer. */
typedef int nvml_return;
typedef struct nvmlDevice_st *nvml_device;
typedef struct nvml_utilization {
  unsigned int gpu;    /* percent of the last sample period with a kernel running */
  unsigned int memory; /* percent of the period with device memory being read or written */
} nvml_utilization;
typedef struct nvml_memory {
  unsigned long long total, free, used; /* bytes */
} nvml_memory;

#define NVML_SUCCESS 0
#define NVML_NAME_CAP 96 /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define CM_NVML_DEFAULT_LIB "libnvidia-ml.so.1"

typedef struct nvml_api {
  void *lib;
  int initialised;
  nvml_return (*init)(void);
  nvml_return (*shutdown)(void);
  nvml_return (*get_count)(unsigned int *count);
  nvml_return (*get_handle)(unsigned int index, nvml_device *device);
  nvml_return (*get_utilization)(nvml_device device, nvml_utilization *util);
  nvml_return (*get_memory)(nvml_device device, nvml_memory *mem);
  nvml_return (*get_power)(nvml_device device, unsigned int *milliwatts);
  nvml_return (*get_name)(nvml_device device, char *name, unsigned int length);
  const char *(*error_string)(nvml_return result);
  int num_gpus;   /* monitored: min(seen, CM_GPUMON_MAX_GPUS) */
  unsigned seen;  /* reported by NVML */
  nvml_device devices[CM_GPUMON_MAX_GPUS];
  char names[CM_GPUMON_MAX_GPUS][NVML_NAME_CAP];
} nvml_api;

static const char *nvml_error(const nvml_api *api, nvml_return r) {
  const char *s = api->error_string ? api->error_string(r) : NULL;
  return s ? s : "unknown NVML error";
}

static void nvml_close(nvml_api *api) {
  if (api->initialised && api->shutdown) api->shutdown();
  if (api->lib) dlclose(api->lib);
  memset(api, 0, sizeof *api);
}

/* Loads NVML and enumerates the GPUs. Returns 0, or -1 with the reason in why (api closed). */
static int nvml_open(nvml_api *api, char *why, size_t cap) {
  memset(api, 0, sizeof *api);
  const char *path = getenv("CMIMIC_NVML_LIB");
  if (!path || !*path) path = CM_NVML_DEFAULT_LIB;
  api->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!api->lib) {
    const char *e = dlerror();
    snprintf(why, cap, "%s", e ? e : path);
    return -1;
  }
  struct {
    const char *name;
    void **slot;
  } syms[] = {
      {"nvmlInit_v2", (void **)&api->init},
      {"nvmlShutdown", (void **)&api->shutdown},
      {"nvmlDeviceGetCount_v2", (void **)&api->get_count},
      {"nvmlDeviceGetHandleByIndex_v2", (void **)&api->get_handle},
      {"nvmlDeviceGetUtilizationRates", (void **)&api->get_utilization},
      {"nvmlDeviceGetMemoryInfo", (void **)&api->get_memory},
      {"nvmlDeviceGetPowerUsage", (void **)&api->get_power},
      {"nvmlDeviceGetName", (void **)&api->get_name},
      {"nvmlErrorString", (void **)&api->error_string},
  };
  for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
    *syms[i].slot = dlsym(api->lib, syms[i].name);
    if (!*syms[i].slot) {
      snprintf(why, cap, "%s has no symbol %s", path, syms[i].name);
      nvml_close(api);
      return -1;
    }
  }
  nvml_return r = api->init();
  if (r != NVML_SUCCESS) {
    snprintf(why, cap, "nvmlInit_v2: %s", nvml_error(api, r));
    nvml_close(api);
    return -1;
  }
  api->initialised = 1;
  unsigned count = 0;
  r = api->get_count(&count);
  if (r != NVML_SUCCESS) {
    snprintf(why, cap, "nvmlDeviceGetCount_v2: %s", nvml_error(api, r));
    nvml_close(api);
    return -1;
  }
  if (count == 0) {
    snprintf(why, cap, "NVML sees no GPU");
    nvml_close(api);
    return -1;
  }
  api->seen = count;
  api->num_gpus = count > CM_GPUMON_MAX_GPUS ? CM_GPUMON_MAX_GPUS : (int)count;
  for (int i = 0; i < api->num_gpus; i++) {
    r = api->get_handle((unsigned)i, &api->devices[i]);
    if (r != NVML_SUCCESS) {
      snprintf(why, cap, "nvmlDeviceGetHandleByIndex_v2(%d): %s", i, nvml_error(api, r));
      nvml_close(api);
      return -1;
    }
    if (api->get_name(api->devices[i], api->names[i], NVML_NAME_CAP) != NVML_SUCCESS)
      snprintf(api->names[i], NVML_NAME_CAP, "unnamed GPU");
    api->names[i][NVML_NAME_CAP - 1] = '\0';
  }
  return 0;
}

/* The one-line description of the mode; returns the number of monitored GPUs. */
static int describe_mode(const nvml_api *api, int ok, const char *why, char *line, size_t cap) {
  if (!ok) {
    snprintf(line, cap, "gpu-monitor: NVML not available (%s): CPU-only mode", why);
    return 0;
  }
  size_t len = (size_t)snprintf(line, cap, "gpu-monitor: %d GPU%s via NVML", api->num_gpus,
                                api->num_gpus == 1 ? "" : "s");
  if (api->seen > (unsigned)api->num_gpus && len < cap)
    len += (size_t)snprintf(line + len, cap - len, " (the first %d of %u)", api->num_gpus, api->seen);
  for (int i = 0; i < api->num_gpus && len < cap; i++)
    len += (size_t)snprintf(line + len, cap - len, "%s GPU%d %s", i ? "," : ":", i, api->names[i]);
  return api->num_gpus;
}

int cm_gpumon_describe(char *line, size_t cap) {
  nvml_api api;
  char why[512];
  int ok = nvml_open(&api, why, sizeof why) == 0;
  int n = describe_mode(&api, ok, why, line, cap);
  if (ok) nvml_close(&api);
  return n;
}

int cm_gpumon_available(void) {
  char line[1024];
  return cm_gpumon_describe(line, sizeof line) > 0;
}

/* ------------------------------------------------------------------ statistics */

/* Utilisation is an integer percent, so a 101-bin histogram gives the exact minimum and
 * percentile in constant memory however long the run. */
typedef struct gpu_stats {
  long n;
  long hist[101];
  double util_sum;
  long mem_n;
  double mem_used_max, mem_total;
  double power_sum;
  long power_n;
} gpu_stats;

typedef struct gpu_sample {
  int util_ok;
  unsigned util;
  double mem_used_mb, mem_total_mb; /* NAN when unavailable */
  double power_w;                   /* NAN when unavailable */
} gpu_sample;

static void stats_add(gpu_stats *st, const gpu_sample *s) {
  if (s->util_ok) {
    st->n++;
    st->hist[s->util]++;
    st->util_sum += s->util;
  }
  if (!isnan(s->mem_used_mb)) {
    if (st->mem_n == 0 || s->mem_used_mb > st->mem_used_max) st->mem_used_max = s->mem_used_mb;
    st->mem_total = s->mem_total_mb;
    st->mem_n++;
  }
  if (!isnan(s->power_w)) {
    st->power_sum += s->power_w;
    st->power_n++;
  }
}

static void summarise(const gpu_stats *stats, int num_gpus, long ticks, cm_gpumon_summary *s) {
  memset(s, 0, sizeof *s);
  s->num_gpus = num_gpus;
  s->samples = ticks;
  double sum_avgs = 0, min_avg = 0;
  for (int g = 0; g < num_gpus; g++) {
    const gpu_stats *st = &stats[g];
    if (st->n > 0) {
      s->util_avg[g] = st->util_sum / (double)st->n;
      long target = (95 * st->n + 99) / 100; /* ceil(0.95 n): nearest rank */
      long cum = 0;
      int lo = -1, p95 = 100;
      for (int u = 0; u <= 100; u++) {
        if (st->hist[u] && lo < 0) lo = u;
        cum += st->hist[u];
        if (cum >= target) {
          p95 = u;
          break;
        }
      }
      s->util_min[g] = lo;
      s->util_p95[g] = p95;
    } else {
      s->util_avg[g] = s->util_min[g] = s->util_p95[g] = NAN;
    }
    s->mem_used_mb[g] = st->mem_n ? st->mem_used_max : NAN;
    s->mem_total_mb[g] = st->mem_n ? st->mem_total : NAN;
    s->power_w[g] = st->power_n ? st->power_sum / (double)st->power_n : NAN;
    sum_avgs += s->util_avg[g];
    if (g == 0 || s->util_avg[g] < min_avg) min_avg = s->util_avg[g];
  }
  if (num_gpus > 0) {
    s->min_of_avgs = min_avg;
    s->avg_of_avgs = sum_avgs / num_gpus;
  }
}

/* ------------------------------------------------------------------ the monitor */

struct cm_gpumon {
  nvml_api nvml;
  int num_gpus;
  double hz, t0;
  char mode[1024];
  FILE *tsv;
  int tsv_failed;
  double last_flush;
  pthread_t thread;
  int thread_running;
  pthread_mutex_t mu; /* guards everything below */
  pthread_cond_t wake;
  int stop_requested;
  long ticks, interval_ticks;
  gpu_stats total[CM_GPUMON_MAX_GPUS], interval[CM_GPUMON_MAX_GPUS];
  gpu_sample last[CM_GPUMON_MAX_GPUS];
};

static atomic_int g_cpu_only_reported;

static void read_gpu(const nvml_api *api, int g, gpu_sample *s) {
  nvml_utilization u;
  nvml_memory mem;
  unsigned mw;
  s->util_ok = api->get_utilization(api->devices[g], &u) == NVML_SUCCESS;
  s->util = s->util_ok ? (u.gpu > 100 ? 100 : u.gpu) : 0;
  if (api->get_memory(api->devices[g], &mem) == NVML_SUCCESS) {
    s->mem_used_mb = (double)mem.used / (1024.0 * 1024.0);
    s->mem_total_mb = (double)mem.total / (1024.0 * 1024.0);
  } else {
    s->mem_used_mb = s->mem_total_mb = NAN;
  }
  s->power_w = api->get_power(api->devices[g], &mw) == NVML_SUCCESS ? mw / 1000.0 : NAN;
}

static void write_rows(cm_gpumon *m, double t, const gpu_sample *samples) {
  if (!m->tsv || m->tsv_failed) return;
  for (int g = 0; g < m->num_gpus; g++) {
    const gpu_sample *s = &samples[g];
    char util[16];
    if (s->util_ok)
      snprintf(util, sizeof util, "%u", s->util);
    else
      snprintf(util, sizeof util, "nan");
    if (fprintf(m->tsv, "%.3f\t%d\t%s\t%.1f\t%.1f\t%.3f\n", t, g, util, s->mem_used_mb, s->mem_total_mb,
                s->power_w) < 0)
      m->tsv_failed = 1;
  }
  /* At most a second of samples is lost if the process dies (last_flush starts in the past). */
  if (t - m->last_flush >= 1.0) {
    if (fflush(m->tsv) != 0) m->tsv_failed = 1;
    m->last_flush = t;
  }
}

static void take_sample(cm_gpumon *m) {
  gpu_sample samples[CM_GPUMON_MAX_GPUS];
  double t = cm_now_seconds() - m->t0;
  for (int g = 0; g < m->num_gpus; g++) read_gpu(&m->nvml, g, &samples[g]);
  pthread_mutex_lock(&m->mu);
  for (int g = 0; g < m->num_gpus; g++) {
    stats_add(&m->total[g], &samples[g]);
    stats_add(&m->interval[g], &samples[g]);
    m->last[g] = samples[g];
  }
  m->ticks++;
  m->interval_ticks++;
  pthread_mutex_unlock(&m->mu);
  write_rows(m, t, samples);
}

static struct timespec monotonic_deadline(double seconds) {
  struct timespec ts;
  double whole = floor(seconds);
  ts.tv_sec = (time_t)whole;
  ts.tv_nsec = (long)((seconds - whole) * 1e9);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

static void *sampler_main(void *arg) {
  cm_gpumon *m = arg;
  double period = 1.0 / m->hz;
  long k = 0;
  for (;;) {
    take_sample(m);
    /* Ticks sit on a fixed grid from t0 so the rate does not drift; a tick missed because the
     * machine was busy is skipped rather than made up with a burst of back-to-back samples. */
    k++;
    double now = cm_now_seconds();
    if (m->t0 + k * period < now) k = (long)floor((now - m->t0) / period) + 1;
    struct timespec deadline = monotonic_deadline(m->t0 + k * period);
    pthread_mutex_lock(&m->mu);
    int rc = 0;
    while (!m->stop_requested && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&m->wake, &m->mu, &deadline);
    int stop = m->stop_requested;
    pthread_mutex_unlock(&m->mu);
    if (stop) break;
  }
  return NULL;
}

static void monitor_free(cm_gpumon *m) {
  if (m->tsv) fclose(m->tsv);
  nvml_close(&m->nvml);
  pthread_cond_destroy(&m->wake);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

int cm_gpumon_start(double hz, const char *tsv_path, cm_gpumon **out, cm_err *err) {
  if (!out) return cm_fail(err, "gpu_monitor: out is NULL");
  *out = NULL;
  if (!isfinite(hz) || hz < CM_GPUMON_MIN_HZ || hz > CM_GPUMON_MAX_HZ)
    return cm_fail(err, "gpu_monitor: hz %g: the sampling rate must be between %g and %g per second", hz,
                   CM_GPUMON_MIN_HZ, CM_GPUMON_MAX_HZ);
  cm_gpumon *m = calloc(1, sizeof *m);
  if (!m) return cm_fail(err, "gpu_monitor: out of memory");
  m->hz = hz;
  pthread_mutex_init(&m->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines come from cm_now_seconds */
  pthread_cond_init(&m->wake, &ca);
  pthread_condattr_destroy(&ca);

  if (tsv_path) {
    m->tsv = fopen(tsv_path, "w");
    if (!m->tsv) {
      int e = errno;
      monitor_free(m);
      return cm_fail(err, "%s: cannot write the GPU sample TSV: %s", tsv_path, strerror(e));
    }
    if (fputs("time_s\tgpu\tutil_pct\tmem_used_mb\tmem_total_mb\tpower_w\n", m->tsv) < 0 || fflush(m->tsv) != 0) {
      int e = errno;
      monitor_free(m);
      return cm_fail(err, "%s: writing the GPU sample TSV header: %s", tsv_path, strerror(e));
    }
  }

  char why[512];
  int ok = nvml_open(&m->nvml, why, sizeof why) == 0;
  m->num_gpus = describe_mode(&m->nvml, ok, why, m->mode, sizeof m->mode);
  if (!ok && !atomic_exchange(&g_cpu_only_reported, 1)) fprintf(stderr, "%s\n", m->mode);

  m->t0 = cm_now_seconds();
  m->last_flush = -1.0;
  if (m->num_gpus > 0) {
    int rc = pthread_create(&m->thread, NULL, sampler_main, m);
    if (rc != 0) {
      monitor_free(m);
      return cm_fail(err, "gpu_monitor: cannot start the sampling thread: %s", strerror(rc));
    }
    m->thread_running = 1;
  }
  *out = m;
  return 0;
}

const char *cm_gpumon_mode(const cm_gpumon *m) { return m ? m->mode : ""; }

int cm_gpumon_latest(cm_gpumon *m, cm_gpumon_summary *now) {
  if (!m || !now) return -1;
  pthread_mutex_lock(&m->mu);
  memset(now, 0, sizeof *now);
  now->num_gpus = m->num_gpus;
  now->samples = m->ticks;
  double sum = 0, lo = 0;
  for (int g = 0; g < m->num_gpus; g++) {
    const gpu_sample *s = &m->last[g];
    double u = m->ticks > 0 && s->util_ok ? (double)s->util : NAN;
    now->util_avg[g] = now->util_min[g] = now->util_p95[g] = u;
    now->mem_used_mb[g] = m->ticks > 0 ? s->mem_used_mb : NAN;
    now->mem_total_mb[g] = m->ticks > 0 ? s->mem_total_mb : NAN;
    now->power_w[g] = m->ticks > 0 ? s->power_w : NAN;
    sum += u;
    if (g == 0 || u < lo) lo = u;
  }
  if (m->num_gpus > 0) {
    now->min_of_avgs = lo;
    now->avg_of_avgs = sum / m->num_gpus;
  }
  pthread_mutex_unlock(&m->mu);
  return 0;
}

int cm_gpumon_take_interval(cm_gpumon *m, cm_gpumon_summary *s) {
  if (!m || !s) return -1;
  pthread_mutex_lock(&m->mu);
  summarise(m->interval, m->num_gpus, m->interval_ticks, s);
  memset(m->interval, 0, sizeof m->interval);
  m->interval_ticks = 0;
  pthread_mutex_unlock(&m->mu);
  return 0;
}

int cm_gpumon_stop(cm_gpumon *m, cm_gpumon_summary *s) {
  if (!m) return 0;
  if (m->thread_running) {
    pthread_mutex_lock(&m->mu);
    m->stop_requested = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
  }
  if (s) summarise(m->total, m->num_gpus, m->ticks, s);
  int failed = m->tsv_failed;
  if (m->tsv) {
    if (fclose(m->tsv) != 0) failed = 1;
    m->tsv = NULL;
  }
  monitor_free(m);
  return failed ? -1 : 0;
}
