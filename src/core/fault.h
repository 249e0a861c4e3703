/* Fault injection for the harness's integration tests, read from the environment in this one
 * place so production code carries only two one-line hooks:
 *   CMIMIC_FAULT_OOM_ABOVE_ENVS=N    engine creation with more than N environments fails with
 *                                    "out of memory: cannot allocate M environments (fault injection)"
 *   CMIMIC_FAULT_HANG_AFTER_ITERS=K  a training run stops logging once K iterations are done and
 *                                    waits for a signal (a hung rank, as the harness sees it); a
 *                                    caught signal (Ctrl-C, SIGTERM) then ends it as usual
 *   CMIMIC_FAULT_HANG_ENVS=N         only runs of exactly N environments hang (one rung of a ladder)
 *   CMIMIC_FAULT_HANG_AFTER_FRAMES=K a run that records a video or shows a window waits for a
 *                                    signal once K frames are rendered ("fault injection: hanging
 *                                    after K frames"), so tests can interrupt it mid-video
 *   CMIMIC_FAULT_HOLD_TEST=1         a test run without a video or window prints "fault injection:
 *                                    holding the test run" before its first episode and waits for
 *                                    a signal (the default action of SIGTERM/SIGINT ends it), so
 *                                    tests can interrupt a harness in its test stage
 *   CMIMIC_FAULT_HOLD_WRITE=SUBSTRING  an atomic write of a path containing SUBSTRING stops after
 *                                    its temporary file is written, prints "fault injection:
 *                                    holding the write of PATH" and goes on after the next caught
 *                                    signal (a second Ctrl-C landing inside a checkpoint write)
 *   CMIMIC_FAULT_NAN_AT_ITER=K       training iteration K gets a NaN where CMIMIC_FAULT_NAN_IN says:
 *                                    loss (default: the model's last trained tensor at the start,
 *                                    so the forward pass and the loss turn NaN), obs (element 2 of env
 *                                    1's observation at rollout step 1), reward (env 1's at step 1), grad (the first trained
 *                                    tensor's gradient, after the backward pass), param (the first
 *                                    trained tensor, after the update), disc_obs (element 2 of env 1's
 *                                    discriminator observation at step 1), disc_demo (element 2 of
 *                                    the second demo row sampled for the discriminator; ADD: of env
 *                                    1's demo observation at step 1), latent (element 2 of ASE's
 *                                    latent of env 1, drawn at step 1); the NaN guard must stop the run
 *   CMIMIC_FAULT_WRITE_FAIL=RULE[,RULE...]   RULE = SUBSTRING:ERRNO[:SKIP]: writes of artefacts
 *                                    whose path contains SUBSTRING fail with ERRNO (ENOSPC, EIO,
 *                                    EROFS, EACCES, EDQUOT or a number) once SKIP (default 0)
 *                                    such writes have succeeded, as a full disk, a dying disk or
 *                                    a read-only folder would make them fail
 *   CMIMIC_FAULT_RANK=R              in a data-parallel run, only rank R injects the faults above
 *                                    (the others clear them at start: cm_fault_limit_to_rank)
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
/* Called after each rendered frame of a watched run; see CMIMIC_FAULT_HANG_AFTER_FRAMES. */
void cm_fault_after_frame(long frames_done, volatile sig_atomic_t *wake);
/* Called by a test run without a watcher before its episodes; see CMIMIC_FAULT_HOLD_TEST. */
void cm_fault_hold_test(void);
/* Called by cm_write_file_atomic once the temporary file is written; see CMIMIC_FAULT_HOLD_WRITE. */
void cm_fault_hold_write(const char *path);
/* The errno a write of path must fail with under CMIMIC_FAULT_WRITE_FAIL, or 0. Each call that
 * returns 0 for a matching rule counts as one successful write of that rule. Called by the
 * writers of every artefact: cm_write_file_atomic, log.txt rows, videos. */
int cm_fault_write_errno(const char *path);
/* Clears every CMIMIC_FAULT_* variable unless CMIMIC_FAULT_RANK is unset or names this rank. */
void cm_fault_limit_to_rank(int rank);
/* 1 when iteration `iter` is CMIMIC_FAULT_NAN_AT_ITER's and `where` is CMIMIC_FAULT_NAN_IN's
 * (loss, obs, reward, grad, param, disc_obs, disc_demo or latent; unset means loss). */
int cm_fault_nan_at(long iter, const char *where);
#endif
