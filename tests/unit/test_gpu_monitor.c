/* GPU monitor against a fake NVML (tests/fake_nvml, loaded through CMIMIC_NVML_LIB) whose
 * readings follow a known cycle per query, so every statistic has an exact expected value:
 * GPU0 utilisation 0,50,100,..., memory 1024,2048,3072 MiB of 8192, power 100,200,300 W;
 * GPU1 40 %, 512 of 16384 MiB, 75 W. The TSV is parsed back and its statistics recomputed
 * independently (sorting, not the monitor's histogram). Also: CPU-only mode when the library is
 * missing or is not NVML, rejected rates and paths, and the gpu-monitor command. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "core/fileio.h"
#include "harness/gpu_monitor.h"
#include "harness/gpu_monitor_cmd.h"

#ifndef CM_FAKE_NVML_LIB
#error "CMakeLists.txt passes the fake NVML's path as CM_FAKE_NVML_LIB"
#endif

static char g_dir[64];

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static void path_in_dir(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", g_dir, name); }

/* Runs fn with stream (1 = stdout, 2 = stderr) redirected into path. */
static int redirect_run(int fd_target, const char *path, int (*fn)(void *), void *ctx) {
  fflush(stdout);
  fflush(stderr);
  int saved = dup(fd_target);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, fd_target);
  close(fd);
  int rc = fn(ctx);
  fflush(stdout);
  fflush(stderr);
  dup2(saved, fd_target);
  close(saved);
  return rc;
}

static int count_occurrences(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

/* Expected statistics of the fake GPU0 after n queries of each kind. */
static double fake_gpu0_util_avg(long n) {
  double sum = 0;
  for (long k = 0; k < n; k++) sum += 50.0 * (double)(k % 3);
  return sum / (double)n;
}
static double fake_gpu0_power_avg(long n) {
  double sum = 0;
  for (long k = 0; k < n; k++) sum += 100.0 * (double)(k % 3 + 1);
  return sum / (double)n;
}

typedef struct tsv_row {
  double t;
  int gpu;
  double util, mem_used, mem_total, power;
} tsv_row;

/* Parses the monitor's TSV; returns the row count or -1 when the header or a row is malformed. */
static long read_tsv(const char *path, tsv_row *rows, long cap) {
  char *data;
  size_t len;
  cm_err err;
  if (cm_read_file(path, &data, &len, &err)) return -1;
  const char *header = "time_s\tgpu\tutil_pct\tmem_used_mb\tmem_total_mb\tpower_w\n";
  long n = -1;
  if (strncmp(data, header, strlen(header)) == 0) {
    n = 0;
    char *save = NULL;
    for (char *line = strtok_r(data + strlen(header), "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      if (n >= cap) {
        n = -1;
        break;
      }
      tsv_row *r = &rows[n];
      char util[16], power[32];
      if (sscanf(line, "%lf\t%d\t%15[^\t]\t%lf\t%lf\t%31s", &r->t, &r->gpu, util, &r->mem_used, &r->mem_total,
                 power) != 6) {
        n = -1;
        break;
      }
      r->util = strtod(util, NULL);
      r->power = strtod(power, NULL); /* "nan" reads as NAN */
      n++;
    }
  }
  free(data);
  return n;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_bad_arguments(void) {
  cm_err err;
  cm_gpumon *m = (cm_gpumon *)&err; /* start must reset it on failure */
  const double bad_hz[] = {0, 4.9, -10, 2000, NAN, INFINITY};
  for (size_t i = 0; i < sizeof bad_hz / sizeof bad_hz[0]; i++) {
    err.msg[0] = '\0';
    CHECK(cm_gpumon_start(bad_hz[i], NULL, &m, &err) == -1);
    CHECK(m == NULL);
    CHECK(strstr(err.msg, "hz") != NULL);
  }
  CHECK(cm_gpumon_start(10, "/nonexistent_dir_cm/gpu.tsv", &m, &err) == -1);
  CHECK(m == NULL);
  CHECK(strstr(err.msg, "/nonexistent_dir_cm/gpu.tsv") != NULL);
  CHECK(cm_gpumon_start(10, NULL, NULL, &err) == -1);
  CHECK(cm_gpumon_stop(NULL, NULL) == 0);
}

typedef struct cpu_only_ctx {
  const char *tsv;
  cm_gpumon_summary s[2];
  int rc[2];
} cpu_only_ctx;

static int cpu_only_twice(void *p) {
  cpu_only_ctx *c = p;
  for (int i = 0; i < 2; i++) {
    cm_err err;
    cm_gpumon *m = NULL;
    c->rc[i] = cm_gpumon_start(10, c->tsv, &m, &err);
    if (c->rc[i] == 0) c->rc[i] = cm_gpumon_stop(m, &c->s[i]);
  }
  return 0;
}

/* Must run before anything else reports CPU-only mode: the line is printed once per process. */
static void test_cpu_only_missing_library(void) {
  setenv("CMIMIC_NVML_LIB", "/nonexistent_dir_cm/libnvidia-ml.so.1", 1);
  CHECK(cm_gpumon_available() == 0);
  char line[1024];
  CHECK(cm_gpumon_describe(line, sizeof line) == 0);
  CHECK(strstr(line, "gpu-monitor: NVML not available (") == line);
  CHECK(strstr(line, "cannot open shared object file") != NULL);
  CHECK(strstr(line, "): CPU-only mode") != NULL);

  char tsv[128], err_path[128];
  path_in_dir(tsv, sizeof tsv, "cpu_only.tsv");
  path_in_dir(err_path, sizeof err_path, "cpu_only.stderr");
  cpu_only_ctx c = {.tsv = tsv};
  redirect_run(2, err_path, cpu_only_twice, &c);
  CHECK(c.rc[0] == 0 && c.rc[1] == 0);
  for (int i = 0; i < 2; i++) {
    CHECK(c.s[i].num_gpus == 0);
    CHECK(c.s[i].samples == 0);
    CHECK(c.s[i].min_of_avgs == 0 && c.s[i].avg_of_avgs == 0);
  }
  char *text;
  size_t len;
  cm_err err;
  CHECK_OK(cm_read_file(err_path, &text, &len, &err), &err);
  if (text) {
    /* Exactly one line, once, although two monitors started. */
    CHECK(count_occurrences(text, "CPU-only mode") == 1);
    CHECK(count_occurrences(text, "\n") == 1);
    CHECK(strncmp(text, line, strlen(line)) == 0);
    free(text);
  }
  tsv_row rows[4];
  CHECK(read_tsv(tsv, rows, 4) == 0); /* header only */
}

static void test_cpu_only_not_nvml(void) {
  /* A library that loads but is not NVML. */
  setenv("CMIMIC_NVML_LIB", "libm.so.6", 1);
  char line[1024];
  CHECK(cm_gpumon_describe(line, sizeof line) == 0);
  CHECK(strstr(line, "has no symbol nvmlInit_v2") != NULL);
  CHECK(strstr(line, "CPU-only mode") != NULL);
  /* NVML that sees no GPU. */
  setenv("CMIMIC_NVML_LIB", CM_FAKE_NVML_LIB, 1);
  setenv("FAKE_NVML_GPUS", "0", 1);
  CHECK(cm_gpumon_available() == 0);
  CHECK(cm_gpumon_describe(line, sizeof line) == 0);
  CHECK(strstr(line, "NVML sees no GPU") != NULL);
  cm_err err;
  cm_gpumon *m = NULL;
  cm_gpumon_summary s;
  CHECK_OK(cm_gpumon_start(10, NULL, &m, &err), &err);
  CHECK(cm_gpumon_stop(m, &s) == 0);
  CHECK(s.num_gpus == 0);
  unsetenv("FAKE_NVML_GPUS");
}

static void test_fake_two_gpus(void) {
  setenv("CMIMIC_NVML_LIB", CM_FAKE_NVML_LIB, 1);
  CHECK(cm_gpumon_available() == 1);
  char line[1024];
  CHECK(cm_gpumon_describe(line, sizeof line) == 2);
  CHECK(strcmp(line, "gpu-monitor: 2 GPUs via NVML: GPU0 Fake GPU 0, GPU1 Fake GPU 1") == 0);

  const double hz = 20, seconds = 1.0;
  char tsv[128];
  path_in_dir(tsv, sizeof tsv, "fake.tsv");
  cm_err err;
  cm_gpumon *m = NULL;
  CHECK_OK(cm_gpumon_start(hz, tsv, &m, &err), &err);
  if (!m) return;
  CHECK(strcmp(cm_gpumon_mode(m), line) == 0);
  sleep_s(0.5);
  cm_gpumon_summary now, iv, s;
  CHECK(cm_gpumon_latest(m, &now) == 0);
  CHECK(now.num_gpus == 2);
  CHECK(now.samples >= 5);
  CHECK(now.util_avg[1] == 40 && now.mem_used_mb[1] == 512 && now.mem_total_mb[1] == 16384 && now.power_w[1] == 75);
  CHECK(now.util_avg[0] == 0 || now.util_avg[0] == 50 || now.util_avg[0] == 100);
  CHECK(cm_gpumon_take_interval(m, &iv) == 0);
  CHECK(iv.num_gpus == 2 && iv.samples >= 5);
  CHECK(iv.util_avg[1] == 40 && iv.util_min[1] == 40 && iv.util_p95[1] == 40);
  CHECK(iv.util_min[0] == 0 && iv.util_p95[0] == 100);
  /* Flushed within a second: the file already holds rows while the monitor runs. */
  tsv_row early[64];
  CHECK(read_tsv(tsv, early, 64) >= 2);
  sleep_s(seconds - 0.5);
  CHECK(cm_gpumon_stop(m, &s) == 0);

  long n = s.samples;
  CHECK(s.num_gpus == 2);
  CHECK(n >= (long)(0.7 * hz * seconds) && n <= (long)(hz * seconds) + 2);
  CHECK(n >= iv.samples);
  /* GPU1 is constant. */
  CHECK(s.util_avg[1] == 40 && s.util_min[1] == 40 && s.util_p95[1] == 40);
  CHECK(s.mem_used_mb[1] == 512 && s.mem_total_mb[1] == 16384 && s.power_w[1] == 75);
  /* GPU0 cycles 0,50,100 from the first query on. */
  CHECK(s.util_min[0] == 0);
  CHECK(s.util_p95[0] == 100);
  CHECK_NEAR(s.util_avg[0], fake_gpu0_util_avg(n), 1e-9);
  CHECK_NEAR(s.util_avg[0], 50, 4);
  CHECK(s.mem_used_mb[0] == 3072 && s.mem_total_mb[0] == 8192);
  CHECK_NEAR(s.power_w[0], fake_gpu0_power_avg(n), 1e-9);
  CHECK_NEAR(s.min_of_avgs, fmin(s.util_avg[0], 40), 1e-12);
  CHECK_NEAR(s.avg_of_avgs, (s.util_avg[0] + 40) / 2, 1e-12);

  /* The TSV, read back: one row per GPU per sample, in GPU order, the same statistics. */
  tsv_row *rows = calloc(4096, sizeof *rows);
  long nrows = read_tsv(tsv, rows, 4096);
  CHECK(nrows == 2 * n);
  if (nrows == 2 * n && n > 1) {
    double *u[2] = {calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double))};
    double sum[2] = {0, 0}, power_sum[2] = {0, 0}, mem_max[2] = {0, 0};
    int order_ok = 1, pattern_ok = 1;
    for (long i = 0; i < nrows; i++) {
      const tsv_row *r = &rows[i];
      int g = (int)(i % 2);
      long k = i / 2;
      if (r->gpu != g || (i >= 2 && r->t < rows[i - 2].t)) order_ok = 0;
      if (r->util != (g == 0 ? 50.0 * (double)(k % 3) : 40.0)) pattern_ok = 0;
      if (r->mem_total != (g == 0 ? 8192 : 16384)) pattern_ok = 0;
      u[g][k] = r->util;
      sum[g] += r->util;
      power_sum[g] += r->power;
      if (r->mem_used > mem_max[g]) mem_max[g] = r->mem_used;
    }
    CHECK(order_ok);
    CHECK(pattern_ok);
    CHECK(rows[0].t >= 0 && rows[0].t < 0.1);
    /* Mean spacing of the samples is the period. */
    CHECK_NEAR((rows[nrows - 1].t - rows[0].t) / (double)(n - 1), 1.0 / hz, 0.3 / hz);
    for (int g = 0; g < 2; g++) {
      qsort(u[g], (size_t)n, sizeof(double), cmp_double);
      long rank = (long)ceil(0.95 * (double)n); /* nearest-rank percentile, 1-based */
      CHECK_NEAR(s.util_avg[g], sum[g] / (double)n, 1e-9);
      CHECK(s.util_min[g] == u[g][0]);
      CHECK(s.util_p95[g] == u[g][rank - 1]);
      CHECK_NEAR(s.power_w[g], power_sum[g] / (double)n, 1e-6);
      CHECK(s.mem_used_mb[g] == mem_max[g]);
      free(u[g]);
    }
  }
  free(rows);
}

/* GPU0 ramps 0..99 so the 95th percentile differs from its neighbours; power reads fail. */
static void test_ramp_without_power(void) {
  setenv("CMIMIC_NVML_LIB", CM_FAKE_NVML_LIB, 1);
  setenv("FAKE_NVML_NO_POWER", "1", 1);
  setenv("FAKE_NVML_RAMP", "1", 1);
  char tsv[128];
  path_in_dir(tsv, sizeof tsv, "ramp.tsv");
  cm_err err;
  cm_gpumon *m = NULL;
  cm_gpumon_summary s;
  CHECK_OK(cm_gpumon_start(200, tsv, &m, &err), &err);
  sleep_s(0.5);
  CHECK(cm_gpumon_stop(m, &s) == 0);
  unsetenv("FAKE_NVML_NO_POWER");
  unsetenv("FAKE_NVML_RAMP");
  long n = s.samples;
  CHECK(s.num_gpus == 2 && n >= 40);
  CHECK(isnan(s.power_w[0]) && isnan(s.power_w[1]));
  CHECK(s.util_avg[1] == 40); /* the other readings are unaffected */
  CHECK(s.mem_used_mb[1] == 512);
  enum { CAP = 1024 };
  tsv_row *rows = calloc(CAP, sizeof *rows);
  long nrows = read_tsv(tsv, rows, CAP);
  CHECK(nrows == 2 * n);
  CHECK(nrows > 0 && isnan(rows[0].power));
  if (nrows == 2 * n && n >= 40) {
    double *u = calloc((size_t)n, sizeof(double));
    double sum = 0;
    for (long k = 0; k < n; k++) {
      u[k] = rows[2 * k].util;
      sum += u[k];
    }
    qsort(u, (size_t)n, sizeof(double), cmp_double);
    long r95 = (long)ceil(0.95 * (double)n), r90 = (long)ceil(0.90 * (double)n);
    CHECK(s.util_p95[0] == u[r95 - 1]);
    CHECK(u[r95 - 1] != u[r90 - 1]); /* the check above can tell p95 from p90 */
    CHECK(s.util_min[0] == 0);
    CHECK_NEAR(s.util_avg[0], sum / (double)n, 1e-9);
    free(u);
  }
  free(rows);
}

typedef struct cmd_ctx {
  int argc;
  char **argv;
} cmd_ctx;

static int run_cmd(void *p) {
  cmd_ctx *c = p;
  return cm_cmd_gpu_monitor(c->argc, c->argv);
}

static void test_command(void) {
  setenv("CMIMIC_NVML_LIB", CM_FAKE_NVML_LIB, 1);
  char tsv[128], out[128];
  path_in_dir(tsv, sizeof tsv, "cmd.tsv");
  path_in_dir(out, sizeof out, "cmd.out");
  char *argv[] = {"--hz", "20", "--seconds", "0.75", "--interval", "0.3", "--tsv", tsv};
  cmd_ctx c = {8, argv};
  CHECK(redirect_run(1, out, run_cmd, &c) == 0);
  char *text = NULL;
  size_t len;
  cm_err err;
  CHECK_OK(cm_read_file(out, &text, &len, &err), &err);
  if (text) {
    CHECK(strstr(text, "gpu-monitor: 2 GPUs via NVML") != NULL);
    /* Status lines at 0.3 s and 0.6 s, one per GPU each. */
    CHECK(count_occurrences(text, "] GPU1 util avg  40.0% min  40 p95  40 | mem 512/16384 MiB | power 75.0 W") == 2);
    CHECK(count_occurrences(text, "] GPU0 util avg") == 2);
    CHECK(strstr(text, "gpu-monitor summary:") != NULL);
    CHECK(strstr(text, "   1     40.00     40.00     40.00        512.0       16384.0        75.00") != NULL);
    CHECK(strstr(text, "min_avg_util 40.00") != NULL);
    free(text);
  }
  tsv_row rows[256];
  long nrows = read_tsv(tsv, rows, 256);
  CHECK(nrows >= 2 * 10 && nrows <= 2 * 17);

  /* Bad usage is exit status 2 and says which flag. */
  char *bad1[] = {"--hzz", "20"};
  char *bad2[] = {"--interval", "0"};
  char *bad3[] = {"--hz", "1", "--seconds", "0.1"};
  char *bad4[] = {"--seconds", "-1"};
  char *bad5[] = {"--hz", "fast"};
  cmd_ctx bad[] = {{2, bad1}, {2, bad2}, {4, bad3}, {2, bad4}, {2, bad5}};
  char err_path[128];
  path_in_dir(err_path, sizeof err_path, "cmd.err");
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(redirect_run(2, err_path, run_cmd, &bad[i]) == 2);
    char *msg = NULL;
    if (cm_read_file(err_path, &msg, &len, &err) == 0) {
      CHECK(strstr(msg, "cmimic gpu-monitor: ") == msg);
      CHECK(strstr(msg, bad[i].argv[0] + 2) != NULL || strstr(msg, "hz") != NULL);
      free(msg);
    }
  }
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/cm_gpumon_XXXXXX");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_bad_arguments();
  test_cpu_only_missing_library();
  test_cpu_only_not_nvml();
  test_fake_two_gpus();
  test_ramp_without_power();
  test_command();
  const char *names[] = {"cpu_only.tsv", "cpu_only.stderr", "fake.tsv", "ramp.tsv", "cmd.tsv", "cmd.out", "cmd.err"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char p[128];
    path_in_dir(p, sizeof p, names[i]);
    unlink(p);
  }
  rmdir(g_dir);
  return check_report("test_gpu_monitor");
}
