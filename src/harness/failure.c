#include "harness/failure.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "io/run_log.h"

const char *cm_fail_class_name(cm_fail_class c) {
  static const char *const names[] = {"ok", "oom", "dist", "hang", "timeout", "crash", "nan", "error", "check", "interrupted"};
  return (c >= 0 && c <= CM_FAIL_INTERRUPTED) ? names[c] : "unknown";
}

/* The last line of text containing any of the markers (case-insensitive), copied into out. */
static int find_marker(const char *text, const char *const *markers, char *out, size_t cap) {
  int found = 0;
  const char *line = text;
  while (line && *line) {
    const char *end = strpbrk(line, "\r\n");
    size_t len = end ? (size_t)(end - line) : strlen(line);
    if (!strncmp(line, "# ", 2)) goto next_line; /* the harness's own header lines */
    for (int m = 0; markers[m]; m++) {
      size_t ml = strlen(markers[m]);
      for (size_t i = 0; i + ml <= len; i++)
        if (!strncasecmp(line + i, markers[m], ml)) {
          size_t n = len < cap - 1 ? len : cap - 1;
          memcpy(out, line, n);
          out[n] = 0;
          found = 1;
          goto next_line;
        }
    }
  next_line:
    line = end ? end + 1 : NULL;
  }
  return found;
}

static const char *const k_oom[] = {"out of memory", "Failed to allocate", "Array shapes must be non-negative",
                                     "bad_alloc", "Cannot allocate memory", "MemoryError", "CUDA_ERROR_OUT_OF_MEMORY", NULL};
static const char *const k_port[] = {"EADDRINUSE", "address already in use", "Address in use", NULL};
/* the trainer's own NaN guard stops before the bad row is logged, so log.txt shows nothing */
static const char *const k_nan[] = {"NaN guard:", NULL};
static const char *const k_dist[] = {"NCCL", "DistNetworkError", "destroy_process_group", "ProcessGroup",
                                      "communicator", "MPI_ABORT", "nccl:", "did not join the", "died without finishing",
                                      "ranks started within", "cannot reach the launcher", "before the ranks finished",
                                      "before any rank reached the launcher", "did not finish (exit status", NULL};

int cm_failure_log_has_nan(const char *run_log_path, char *detail, size_t cap) {
  if (!run_log_path) return 0;
  FILE *f = fopen(run_log_path, "rb");
  if (!f) return 0;
  fclose(f);
  cm_log_table t = {0};
  cm_err err;
  if (cm_log_read(run_log_path, &t, &err)) return 0;
  int bad = 0;
  for (int c = 0; c < t.num_cols && !bad; c++) {
    if (!strstr(t.names[c], "Loss")) continue;
    for (int r = 0; r < t.num_rows; r++)
      if (!isfinite(t.cols[c][r])) {
        snprintf(detail, cap, "%s is %g at log.txt row %d", t.names[c], t.cols[c][r], r + 1);
        bad = 1;
        break;
      }
  }
  cm_log_table_free(&t);
  return bad;
}

void cm_failure_classify(cm_kill_reason killed, int exited, int exit_code, int signaled, int sig,
                         const char *log_tail, const char *run_log_path, cm_failure *f) {
  memset(f, 0, sizeof *f);
  const char *tail = log_tail ? log_tail : "";
  if (killed == CM_KILL_INTERRUPT) {
    f->cls = CM_FAIL_INTERRUPTED;
    snprintf(f->detail, sizeof f->detail, "harness interrupted; child process group killed");
    return;
  }
  if (killed == CM_KILL_HANG) {
    f->cls = CM_FAIL_HANG;
    snprintf(f->detail, sizeof f->detail, "no log growth within --stall-seconds; process group killed");
    return;
  }
  if (killed == CM_KILL_TIMEOUT) {
    f->cls = CM_FAIL_TIMEOUT;
    snprintf(f->detail, sizeof f->detail, "ran past --max-seconds; process group killed");
    return;
  }
  int ok_exit = exited && exit_code == 0;
  if (!ok_exit && find_marker(tail, k_oom, f->detail, sizeof f->detail)) {
    f->cls = CM_FAIL_OOM;
  } else if (!ok_exit && find_marker(tail, k_port, f->detail, sizeof f->detail)) {
    f->cls = CM_FAIL_DIST;
    f->port_in_use = 1;
  } else if (!ok_exit && find_marker(tail, k_dist, f->detail, sizeof f->detail)) {
    f->cls = CM_FAIL_DIST;
  } else if (!ok_exit && find_marker(tail, k_nan, f->detail, sizeof f->detail)) {
    f->cls = CM_FAIL_NAN;
  } else if (cm_failure_log_has_nan(run_log_path, f->detail, sizeof f->detail)) {
    f->cls = CM_FAIL_NAN;
  } else if (signaled) {
    f->cls = CM_FAIL_CRASH;
    snprintf(f->detail, sizeof f->detail, "killed by signal %d (%s)", sig, strsignal(sig));
  } else if (!ok_exit) {
    f->cls = CM_FAIL_ERROR;
    if (!find_marker(tail, (const char *const[]){"error", "cmimic run:", NULL}, f->detail, sizeof f->detail))
      snprintf(f->detail, sizeof f->detail, "exit status %d", exit_code);
  }
}
