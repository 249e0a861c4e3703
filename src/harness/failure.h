/* Failure classes of one stage attempt, decided from how the child ended and what its logs say:
 *   oom      CUDA or host allocation failure ("out of memory", "Failed to allocate", negative
 *            array shapes, bad_alloc)
 *   dist     communicator init/teardown errors (NCCL, DistNetworkError); port_in_use when the
 *            rendezvous address was taken (EADDRINUSE): retry with a new port
 *   hang     no log growth for --stall-seconds (killed by the harness)
 *   timeout  ran past --max-seconds (killed by the harness)
 *   crash    killed by a signal the harness did not send
 *   nan      non-finite losses in the run's log.txt
 *   error    any other non-zero exit
 *   check    exited 0 but the stage's pass condition is unmet (no model, no metrics, no video)
 *   interrupted  the harness itself was interrupted (Ctrl-C) */
#ifndef CM_HARNESS_FAILURE_H
#define CM_HARNESS_FAILURE_H
#include <stddef.h>

typedef enum {
  CM_FAIL_NONE = 0, CM_FAIL_OOM, CM_FAIL_DIST, CM_FAIL_HANG, CM_FAIL_TIMEOUT, CM_FAIL_CRASH,
  CM_FAIL_NAN, CM_FAIL_ERROR, CM_FAIL_CHECK, CM_FAIL_INTERRUPTED,
} cm_fail_class;

/* Why the harness killed a child, if it did. */
typedef enum { CM_KILL_NONE = 0, CM_KILL_HANG, CM_KILL_TIMEOUT, CM_KILL_INTERRUPT } cm_kill_reason;

typedef struct cm_failure {
  cm_fail_class cls;
  int port_in_use;
  char detail[256]; /* the log line that decided it, or a short description */
} cm_failure;

const char *cm_fail_class_name(cm_fail_class c); /* "ok", "oom", ... */

/* Classifies from the kill reason, the wait status parts, the tail of the stage log and the
 * run's log.txt (may be NULL or missing). */
void cm_failure_classify(cm_kill_reason killed, int exited, int exit_code, int signaled, int sig,
                         const char *log_tail, const char *run_log_path, cm_failure *f);

/* 1 if any column of log.txt whose name contains "Loss" holds a non-finite value. */
int cm_failure_log_has_nan(const char *run_log_path, char *detail, size_t cap);
#endif
