#include "harness/gpu_monitor_cmd.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include "core/clock.h"
#include "harness/gpu_monitor.h"
#include "io/args.h"
#include "io/flags.h"

static const cm_flag k_flags[] = {
    {"hz", "10", "samples per second"},
    {"seconds", "0", "how long to sample; 0: until Ctrl-C"},
    {"tsv", NULL, "write every sample to this TSV"},
    {"interval", "60", "seconds between the interval lines"},
    {NULL, NULL, NULL}};

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static void print_interval(double t, const cm_gpumon_summary *iv, const cm_gpumon_summary *now) {
  for (int g = 0; g < iv->num_gpus; g++)
    printf("[%8.1f s] GPU%d util avg %5.1f%% min %3.0f p95 %3.0f | mem %.0f/%.0f MiB | power %.1f W\n", t, g,
           iv->util_avg[g], iv->util_min[g], iv->util_p95[g], now->mem_used_mb[g], now->mem_total_mb[g],
           iv->power_w[g]);
  fflush(stdout);
}

static void print_summary(double seconds, double hz, const cm_gpumon_summary *s) {
  if (s->num_gpus == 0) {
    printf("gpu-monitor summary: %.1f s, no GPU monitored (CPU-only mode)\n", seconds);
    return;
  }
  printf("gpu-monitor summary: %.1f s, %ld samples at %g Hz\n", seconds, s->samples, hz);
  printf("%4s %9s %9s %9s %12s %13s %12s\n", "gpu", "util_avg", "util_min", "util_p95", "mem_max_mib",
         "mem_total_mib", "power_avg_w");
  for (int g = 0; g < s->num_gpus; g++)
    printf("%4d %9.2f %9.2f %9.2f %12.1f %13.1f %12.2f\n", g, s->util_avg[g], s->util_min[g], s->util_p95[g],
           s->mem_used_mb[g], s->mem_total_mb[g], s->power_w[g]);
  printf("min_avg_util %.2f  avg_util %.2f\n", s->min_of_avgs, s->avg_of_avgs);
}

int cm_cmd_gpu_monitor(int argc, char **argv) {
  cm_args args = {0};
  cm_err err;
  double hz = CM_GPUMON_DEFAULT_HZ, seconds = 0, interval = 60;
  int status = 2;
  cm_gpumon *mon = NULL;
  if (cm_flags_help_asked(argc, argv)) {
    cm_flags_usage(stdout, "gpu-monitor [flags]", "GPU utilisation, memory and power via NVML (CPU-only mode without).", k_flags);
    return 0;
  }
  if (cm_args_parse_argv(&args, argc, argv, &err) || cm_flags_check(&args, k_flags, &err) ||
      cm_args_float(&args, "hz", CM_GPUMON_DEFAULT_HZ, &hz, &err) ||
      cm_args_float(&args, "seconds", 0, &seconds, &err) || cm_args_float(&args, "interval", 60, &interval, &err)) {
    fprintf(stderr, "cmimic gpu-monitor: %s\n", err.msg);
    goto done;
  }
  if (!isfinite(seconds) || seconds < 0) {
    fprintf(stderr, "cmimic gpu-monitor: command line: --seconds %g: expected >= 0 (0: until Ctrl-C)\n", seconds);
    goto done;
  }
  if (!isfinite(interval) || interval <= 0) {
    fprintf(stderr, "cmimic gpu-monitor: command line: --interval %g: expected > 0 seconds\n", interval);
    goto done;
  }
  const char *tsv = cm_args_str(&args, "tsv", NULL);
  if (cm_gpumon_start(hz, tsv, &mon, &err)) {
    fprintf(stderr, "cmimic gpu-monitor: %s\n", err.msg);
    goto done;
  }
  cm_gpumon_summary iv, now, total;
  int gpus = cm_gpumon_latest(mon, &now) == 0 ? now.num_gpus : 0;
  if (gpus > 0) printf("%s\n", cm_gpumon_mode(mon));
  fflush(stdout);

  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  g_stop = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  double t0 = cm_now_seconds(), next_report = interval;
  /* Without a GPU there is nothing to wait for unless the caller asked for a duration. */
  while (!g_stop && (gpus > 0 || seconds > 0)) {
    double t = cm_now_seconds() - t0;
    if (seconds > 0 && t >= seconds) break;
    if (t >= next_report) {
      cm_gpumon_take_interval(mon, &iv);
      cm_gpumon_latest(mon, &now);
      print_interval(t, &iv, &now);
      while (next_report <= t) next_report += interval;
    }
    double wait = next_report - t;
    if (seconds > 0 && seconds - t < wait) wait = seconds - t;
    if (wait > 0.05) wait = 0.05; /* short naps keep Ctrl-C responsive */
    struct timespec ts = {0, (long)(wait * 1e9)};
    nanosleep(&ts, NULL);
  }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  double elapsed = cm_now_seconds() - t0;
  int failed = cm_gpumon_stop(mon, &total);
  print_summary(elapsed, hz, &total);
  if (failed) {
    fprintf(stderr, "cmimic gpu-monitor: %s: writing the sample TSV failed (disk full?)\n", tsv ? tsv : "");
    status = 1;
  } else {
    status = 0;
  }
done:
  cm_args_free(&args);
  return status;
}
