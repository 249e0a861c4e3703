/* Flags shared by cmimic e2e / longcycle / bench, with the names of MimicKit's
 * run_case_e2e.py, run_case_longcycle.py and run_case_gpu_bench.py. */
#ifndef CM_HARNESS_OPTS_H
#define CM_HARNESS_OPTS_H
#include <stdio.h>
#include "core/err.h"
#include "harness/ladder.h"

#define CM_H_MAX_DEVICES 16

typedef struct cm_harness_opts {
  const char *command;        /* "e2e", "longcycle", "bench" */
  char engine_config[512];
  char devices[CM_H_MAX_DEVICES][32];
  int num_devices;
  int include_nontrainable;
  char cases[4096];           /* comma list, "" = every args/<case>.txt */
  char args_dir[512];
  char root[1024];            /* output/train/<root-out>, or an absolute --root-out as given */
  cm_ladder default_ladder, pi_plus_ladder, amp_pi_plus_ladder, nontrainable_ladder;
  double max_seconds, stall_seconds, kill_grace, status_seconds, gpu_hz;
  long max_samples, long_max_samples, bootstrap_samples, iter_target, test_episodes, num_threads;
  long viz_width, viz_height;
  int resume_skip_ok;         /* --resume-skip-status ok */
  int port_retries;
  int nccl_profile;           /* --nccl-profile: the seeds' NCCL environment on multi-device stages */
  int bench_first_pass;       /* bench: stop a case at its first passing rung */
  int viz;                    /* run the viz stage (--viz on|off|auto) */
  char viz_off_why[160];      /* why not, for the start line and the result rows */
} cm_harness_opts;

/* Parses argv (after the subcommand name). Returns 0, -1 with err on a bad flag, 1 for --help
 * (usage printed). */
int cm_harness_opts_parse(const char *command, int argc, char **argv, cm_harness_opts *o, cm_err *err);
void cm_harness_usage(const char *command, FILE *f);
#endif
