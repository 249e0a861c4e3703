/* progress.json (rewritten atomically after every stage) and the lines a person watches: one
 * per stage with case k/N, elapsed and ETA, and the per-minute status of a running stage
 * (phase, GPU util/memory/power, whether iterations advance, the last failure). */
#ifndef CM_HARNESS_PROGRESS_H
#define CM_HARNESS_PROGRESS_H
#include "core/err.h"
#include "harness/summary.h"

typedef struct cm_progress {
  char path[1100], command[32], root[1024], started[32];
  double t0;                 /* monotonic start */
  int total, k;              /* k: 1-based index of the current case */
  char case_name[256], stage[32], variant[32];
  long num_envs;
  char last_failure[320];
  double case_seconds_sum;   /* over cases run (not skipped) to completion, for the ETA */
  int cases_timed, cases_left_after_current;
  double case_t0;            /* monotonic start of the current case, while case_running */
  int case_running;
  int finished, interrupted;
  const cm_results *results; /* per-case statuses for the file */
} cm_progress;

/* Cases by state: ok (final_ok), running (the current case only), pending (not started),
 * interrupted (stopped by a signal, or "running" rows left by a killed harness), fail (the rest). */
typedef struct cm_progress_counts {
  int ok, running, pending, interrupted, fail;
} cm_progress_counts;
void cm_progress_count(const cm_progress *p, cm_progress_counts *n);

/* progress.json: counts as above, "cases" {name: state}, the current case and stage, ETA; then
 * the root's report page (index.html, harness/report.h) is rewritten from it. */
int cm_progress_write(cm_progress *p, cm_err *err);
/* Seconds left in the whole run at monotonic time now (NAN before a case has been timed): the
 * mean case time for each case after the current one, plus what the current case has left of
 * the mean (nothing once it runs over); counts down during a case. */
double cm_progress_eta(const cm_progress *p, double now);
/* 1 when the current case has run past the mean: the ETA is then a lower bound. */
int cm_progress_eta_over(const cm_progress *p, double now);
/* The ETA as a person reads it: "3m10s", "at least 0m40s" (over), "?" (unknown). */
void cm_progress_eta_text(const cm_progress *p, double now, char *buf, unsigned long cap);
/* "[k/N] case stage e<n>: <what> | elapsed 1m02s | ETA 3m10s" on stdout. */
void cm_progress_line(const cm_progress *p, const char *what);
/* "3m05s" */
void cm_format_duration(double s, char *buf, unsigned long cap);
#endif
