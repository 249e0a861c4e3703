/* Fault injection for the harness's integration tests, read from the environment in this one
 * place so production code carries only two one-line hooks:
 *   CMIMIC_FAULT_OOM_ABOVE_ENVS=N    engine creation with more than N environments fails with
 *                                    "out of memory: cannot allocate M environments (fault injection)"
 *   CMIMIC_FAULT_HANG_AFTER_ITERS=K  a training run stops logging once K iterations are done and
 *                                    waits for a signal (a hung rank, as the harness sees it); a
 *                                    caught signal (Ctrl-C, SIGTERM) then ends it as usual
 *   CMIMIC_FAULT_HANG_ENVS=N         only runs of exactly N environments hang (one rung of a ladder)
 *   CMIMIC_FAULT_NAN_AT_ITER=K       training iteration K starts with a NaN in the model's last
 *                                    trained tensor (the agent's NaN guard must stop the run)
 * Tests wait for the line "fault injection: hanging after K iterations" on stderr instead of
 * guessing how long a run takes. Unset or unparsable variables inject nothing. */
#ifndef CM_CORE_FAULT_H
#define CM_CORE_FAULT_H
#include <signal.h>
#include "core/err.h"

/* 0, or -1 with the out-of-memory message when num_envs exceeds CMIMIC_FAULT_OOM_ABOVE_ENVS. */
int cm_fault_check_envs(int num_envs, cm_err *err);
/* Called after each training iteration with the number done and the run's env count; once the
 * count reaches CMIMIC_FAULT_HANG_AFTER_ITERS it returns only after *wake is set by a handler. */
void cm_fault_after_iteration(long iters_done, int num_envs, volatile sig_atomic_t *wake);
/* 1 when iteration `iter` is CMIMIC_FAULT_NAN_AT_ITER's. */
int cm_fault_nan_at(long iter);
#endif
