/* What e2e, longcycle and bench share: opening a harness root (flags, cases, manifest, the
 * previous best_by_case.tsv when resuming), one case's record (attempts.json, its result row),
 * running one stage attempt of a case (command line, environment profile, GPU monitor, pass
 * checks, attempts.json + progress.json after it), a training ladder, and closing the root
 * (summary table and acceptance check). */
#ifndef CM_HARNESS_RUNNER_H
#define CM_HARNESS_RUNNER_H
#include "harness/attempts.h"
#include "harness/cases.h"
#include "harness/opts.h"
#include "harness/progress.h"
#include "harness/stage.h"
#include "harness/summary.h"

typedef struct cm_harness {
  cm_harness_opts o;
  cm_case_list all, sel;
  cm_results results;
  cm_progress prog;
  char exe[1024];
  unsigned port_state;
} cm_harness;

/* Returns 0 when the run should go on; otherwise *status is the exit status (0 after --help). */
int cm_harness_open(cm_harness *h, const char *command, int argc, char **argv, int *status);
/* Final files and report; returns the exit status (0 all pass, 1 failures, 130 interrupted). */
int cm_harness_close(cm_harness *h);

typedef struct cm_case_run {
  cm_harness *h;
  const cm_case *c;
  char dir[1100];           /* <root>/runs/<case> */
  char attempts_path[1200];
  cm_attempts attempts;
  cm_case_result *res;
  double t0;
  int one_device;           /* a dist failure on several devices: this case's train stages use the first only */
} cm_case_run;

/* One case of a harness command: 1 passed, 0 failed, -2 interrupted, -3 error (err set). */
typedef int (*cm_case_fn)(cm_case_run *x, void *user, cm_err *err);
/* Runs fn on each selected case in turn until all ran or Ctrl-C: before it the progress line
 * and attempts.json (a case --resume-skip-status ok finished earlier is skipped), after it the
 * result row, best_by_case.tsv and progress.json. Returns 0, or -1 after printing
 * "cmimic <command>: <error>". */
int cm_harness_run_cases(cm_harness *h, cm_case_fn fn, void *user);

/* One stage attempt. */
typedef struct cm_stage_req {
  const char *stage;        /* train, probe_train, long_train, bootstrap_train, test, viz */
  const char *variant;
  long num_envs;
  long max_samples;         /* train stages */
  int resume;               /* long_train: --resume <out_dir> */
  const char *model_file;   /* test / viz */
  double max_seconds;       /* 0: none */
} cm_stage_req;

typedef struct cm_stage_out {
  cm_attempt at;            /* as recorded */
  cm_failure failure;       /* CM_FAIL_NONE when the stage passed its checks */
  char out_dir[1100], log[1100], attempt_dir[1100];
} cm_stage_out;

/* <case dir>/<variant>_e<num_envs>, with _d<ndev> on several devices: a rung retried on one
 * device keeps the logs and outputs of its attempt on several */
void cm_case_attempt_dir(const cm_case_run *x, const char *variant, long num_envs, int ndev, char *buf, size_t cap);
/* Runs, checks, records. -1 only on a harness error (files not writable). */
int cm_case_stage(cm_case_run *x, const cm_stage_req *rq, cm_stage_out *out, cm_err *err);

/* The ladder of this case (non-trainable, amp pi-plus, pi-plus or default). */
const cm_ladder *cm_case_ladder(const cm_harness *h, const cm_case *c);
/* Train stage `stage` down the ladder from rung `from` until one passes. Returns the passing
 * rung, -1 when none passed, -2 when interrupted; out holds the last attempt. */
int cm_case_train_ladder(cm_case_run *x, const char *stage, long max_samples, int from, cm_stage_out *out, cm_err *err);

/* Test then viz of train's model.pt; fills the result row's logs and mean return. Returns 1 pass,
 * 0 fail, -2 interrupted, -3 harness error. */
int cm_case_test_viz(cm_case_run *x, const cm_stage_out *train, long num_envs, cm_err *err);
/* The training attempt the result row reports (variant, num_envs, dirs, samples/s, GPU). */
void cm_case_record_train(cm_case_run *x, const cm_stage_out *train, long num_envs);

/* Samples per second from a run's log.txt (NAN when it has no rows). */
double cm_run_log_samples_per_s(const char *log_txt);
#endif
