/* Harness pieces without child processes: failure classification from wait status and log text,
 * ladder parsing and stepping, the best_by_case.tsv round trip, and the fault-injection switch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/fault.h"
#include "harness/failure.h"
#include "harness/ladder.h"
#include "harness/summary.h"

static cm_fail_class cls(int exited, int code, int sig, const char *log) {
  cm_failure f;
  cm_failure_classify(CM_KILL_NONE, exited, code, !exited, sig, log, NULL, &f);
  return f.cls;
}

static void test_classify(void) {
  CHECK(cls(1, 0, 0, "Mean Return: 1\n") == CM_FAIL_NONE);
  CHECK(cls(1, 1, 0, "RuntimeError: Failed to allocate 123 bytes on device 'cuda:0'\n") == CM_FAIL_OOM);
  CHECK(cls(1, 1, 0, "ValueError: Array shapes must be non-negative, got -3\n") == CM_FAIL_OOM);
  CHECK(cls(1, 1, 0, "cmimic run: out of memory: cannot allocate 8 environments (fault injection)\n") == CM_FAIL_OOM);
  CHECK(cls(1, 1, 0, "ncclInternalError: NCCL communicator was aborted\n") == CM_FAIL_DIST);
  /* the launcher's and the ranks' own lines (src/dist, docs/DIST.md): a rank killed (also by the
   * OOM killer: the kernel's kill, not an allocation that failed), hung, never started, mpirun killed */
  CHECK(cls(1, 137, 0, "cmimic run: rank 1 (pid 18515) died without finishing (a signal, a crash or the OOM killer); "
                       "stopping every rank\n") == CM_FAIL_DIST);
  CHECK(cls(1, 143, 0, "cmimic run: rank 0: rank 1 did not join the all-reduce of the stop flag (collective #30) "
                       "within 10 s: hung, stopped or lost; stopping every rank\n") == CM_FAIL_DIST);
  CHECK(cls(1, 1, 0, "cmimic run: only 1 of 2 ranks started within 120 s (started: 0); stopping every rank\n") == CM_FAIL_DIST);
  CHECK(cls(1, 137, 0, "cmimic run: /bin/mpirun (pid 7) was killed by signal 9 (Killed) before the ranks finished; "
                       "every rank stopped\n") == CM_FAIL_DIST);
  CHECK(cls(1, 1, 0, "cmimic run: rank 1 did not finish (exit status 1); every rank stopped\n") == CM_FAIL_DIST);
  CHECK(cls(1, 2, 0, "cmimic run: nccl: cannot load libnccl.so.2 (not found): install NCCL (libnccl2) or train on one GPU\n") ==
        CM_FAIL_DIST);
  /* a rank out of memory is oom (the ladder steps down), whichever rank it was */
  CHECK(cls(1, 143, 0, "cmimic run: rank 1: out of memory: cannot allocate 4 environments (fault injection)\n") == CM_FAIL_OOM);
  CHECK(cls(0, -1, 9, "training...\n") == CM_FAIL_CRASH);
  CHECK(cls(1, 2, 0, "cmimic run: bad flag\n") == CM_FAIL_ERROR);
  CHECK(cls(1, 1, 0, "cmimic run: iteration 2: NaN guard: the reward of env 1 is nan at step 1 of training iteration 2's "
                     "rollout (the env produced it); the last checkpoint written is the last good one\n") == CM_FAIL_NAN);
  CHECK(cls(1, 0, 0, "a clean run printing NaN guard: nothing\n") == CM_FAIL_NONE); /* only a failed run */
  /* the harness's own header names NCCL variables: not a dist failure */
  CHECK(cls(1, 1, 0, "# env overrides: NCCL_P2P_DISABLE=1\nsomething broke\n") == CM_FAIL_ERROR);
  cm_failure f;
  cm_failure_classify(CM_KILL_NONE, 1, 1, 0, 0, "DistNetworkError: EADDRINUSE: address already in use\n", NULL, &f);
  CHECK(f.cls == CM_FAIL_DIST && f.port_in_use);
  CHECK(strstr(f.detail, "EADDRINUSE") != NULL);
  cm_failure_classify(CM_KILL_HANG, 0, -1, 1, 15, "", NULL, &f);
  CHECK(f.cls == CM_FAIL_HANG);
  cm_failure_classify(CM_KILL_TIMEOUT, 0, -1, 1, 9, "", NULL, &f);
  CHECK(f.cls == CM_FAIL_TIMEOUT);
  cm_failure_classify(CM_KILL_INTERRUPT, 0, -1, 1, 15, "out of memory", NULL, &f);
  CHECK(f.cls == CM_FAIL_INTERRUPTED);
  /* non-finite loss in log.txt (MimicKit's '\r' line ends) */
  const char *path = "build/test_harness_units_log.txt";
  FILE *lf = fopen(path, "wb");
  fputs("Iteration Samples Loss Test_Return\r0 128 0.5 1.0\r1 256 nan 1.0\r", lf);
  fclose(lf);
  cm_failure_classify(CM_KILL_NONE, 1, 0, 0, 0, "", path, &f);
  CHECK(f.cls == CM_FAIL_NAN);
  CHECK(strstr(f.detail, "Loss") != NULL);
  remove(path);
  CHECK(!strcmp(cm_fail_class_name(CM_FAIL_OOM), "oom") && !strcmp(cm_fail_class_name(CM_FAIL_NONE), "ok"));
}

static void test_ladder(void) {
  cm_ladder l;
  cm_err err = {{0}};
  CHECK_OK(cm_ladder_parse("320,256,192", "default-ladder", &l, &err), &err);
  CHECK(l.n == 3 && l.v[0] == 320 && l.v[2] == 192);
  char buf[64];
  cm_ladder_format(&l, buf, sizeof buf);
  CHECK(!strcmp(buf, "320,256,192"));
  CHECK(cm_ladder_parse("320,,1", "default-ladder", &l, &err) == -1 && strstr(err.msg, "--default-ladder"));
  CHECK(cm_ladder_parse("0", "x", &l, &err) == -1);
  CHECK(cm_ladder_parse("", "x", &l, &err) == -1);
  cm_failure ok = {0}, oom = {.cls = CM_FAIL_OOM}, port = {.cls = CM_FAIL_DIST, .port_in_use = 1}, intr = {.cls = CM_FAIL_INTERRUPTED};
  CHECK(cm_ladder_next(&ok, 0, 3, 0, 2) == CM_LADDER_PASS);
  CHECK(cm_ladder_next(&oom, 0, 3, 0, 2) == CM_LADDER_STEP_DOWN);
  CHECK(cm_ladder_next(&oom, 2, 3, 0, 2) == CM_LADDER_STOP);
  CHECK(cm_ladder_next(&port, 0, 3, 0, 2) == CM_LADDER_RETRY_RUNG);
  CHECK(cm_ladder_next(&port, 0, 3, 2, 2) == CM_LADDER_STEP_DOWN);
  CHECK(cm_ladder_next(&intr, 0, 3, 0, 2) == CM_LADDER_STOP);
  /* on several devices (the seeds' dual-device probe, then one device by hand) */
  cm_failure dist = {.cls = CM_FAIL_DIST};
  CHECK(cm_ladder_next_devices(&dist, 0, 3, 0, 2, 1) == CM_LADDER_ONE_DEVICE);     /* the rung again, alone */
  CHECK(cm_ladder_next_devices(&dist, 2, 3, 0, 2, 1) == CM_LADDER_ONE_DEVICE);
  CHECK(cm_ladder_next_devices(&dist, 0, 3, 0, 2, 0) == CM_LADDER_STEP_DOWN);      /* one device already */
  CHECK(cm_ladder_next_devices(&port, 0, 3, 0, 2, 1) == CM_LADDER_RETRY_RUNG);     /* a new port first */
  CHECK(cm_ladder_next_devices(&port, 0, 3, 2, 2, 1) == CM_LADDER_ONE_DEVICE);
  CHECK(cm_ladder_next_devices(&oom, 0, 3, 0, 2, 1) == CM_LADDER_STEP_DOWN);       /* smaller, still on both */
  CHECK(cm_ladder_next_devices(&oom, 2, 3, 0, 2, 1) == CM_LADDER_ONE_DEVICE_TOP);  /* no rung ran on both */
  CHECK(cm_ladder_next_devices(&oom, 2, 3, 0, 2, 0) == CM_LADDER_STOP);
  CHECK(cm_ladder_next_devices(&intr, 2, 3, 0, 2, 1) == CM_LADDER_STOP);
  CHECK(cm_ladder_next_devices(&ok, 0, 3, 0, 2, 1) == CM_LADDER_PASS);
}

static void test_results_round_trip(void) {
  cm_results rs = {0}, back = {0};
  cm_err err = {{0}};
  cm_case_result *a = cm_results_get(&rs, "a_args.txt");
  snprintf(a->status, sizeof a->status, "ok");
  a->final_ok = 1;
  a->num_envs = 40;
  a->samples_per_s = 193.21;
  snprintf(a->viz_log, sizeof a->viz_log, "runs/a/viz\tlog"); /* a tab must not break the row */
  cm_results_get(&rs, "b_args.txt");
  const char *path = "build/test_harness_units_best.tsv";
  CHECK_OK(cm_results_write(&rs, path, &err), &err);
  CHECK_OK(cm_results_read(path, 0, &back, &err), &err);
  CHECK(back.n == 2);
  CHECK(back.rows[0].final_ok == 1 && back.rows[0].num_envs == 40 && !strcmp(back.rows[0].status, "ok"));
  CHECK_NEAR(back.rows[0].samples_per_s, 193.21, 1e-9);
  CHECK(!strcmp(back.rows[0].viz_log, "runs/a/viz log"));
  CHECK(back.rows[1].final_ok == 0 && !strcmp(back.rows[1].status, "pending") && isnan(back.rows[1].mean_return));
  FILE *null = fopen("/dev/null", "w");
  CHECK(cm_results_print_acceptance(&back, null) == 0);
  back.rows[1].final_ok = 1;
  CHECK(cm_results_print_acceptance(&back, null) == 1);
  fclose(null);
  remove(path);
  cm_results_free(&rs);
  cm_results_free(&back);
}

static void test_fault(void) {
  cm_err err = {{0}};
  unsetenv("CMIMIC_FAULT_OOM_ABOVE_ENVS");
  CHECK(cm_fault_check_envs(100000, &err) == 0);
  setenv("CMIMIC_FAULT_OOM_ABOVE_ENVS", "8", 1);
  CHECK(cm_fault_check_envs(8, &err) == 0);
  CHECK(cm_fault_check_envs(9, &err) == -1 && strstr(err.msg, "out of memory: cannot allocate 9 environments (fault injection)"));
  setenv("CMIMIC_FAULT_OOM_ABOVE_ENVS", "x", 1);
  CHECK(cm_fault_check_envs(9, &err) == 0);
  unsetenv("CMIMIC_FAULT_OOM_ABOVE_ENVS");
  volatile sig_atomic_t asleep = 0, woken = 1;
  unsetenv("CMIMIC_FAULT_HANG_AFTER_ITERS");
  cm_fault_after_iteration(1000, 4, &asleep); /* returns at once: nothing injected */
  setenv("CMIMIC_FAULT_HANG_AFTER_ITERS", "3", 1);
  cm_fault_after_iteration(2, 4, &asleep); /* before the third iteration: returns */
  setenv("CMIMIC_FAULT_HANG_ENVS", "8", 1);
  cm_fault_after_iteration(5, 4, &asleep); /* another rung's env count: returns */
  cm_fault_after_iteration(5, 8, &woken);  /* hangs until woken; already woken: returns */
  unsetenv("CMIMIC_FAULT_HANG_AFTER_ITERS");
  unsetenv("CMIMIC_FAULT_HANG_ENVS");
}

int main(void) {
  test_classify();
  test_ladder();
  test_results_round_trip();
  test_fault();
  return check_report("test_harness_units");
}
