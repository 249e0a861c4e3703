/* best_by_case.tsv: one row per case with the selected attempt (columns as the seeds'
 * acceptance one-liner reads them), the end-of-run table and the acceptance check
 * (total / ok / fail / all_pass). */
#ifndef CM_HARNESS_SUMMARY_H
#define CM_HARNESS_SUMMARY_H
#include <stdio.h>
#include "core/err.h"

typedef struct cm_case_result {
  char case_name[256], status[16], variant[32];
  int final_ok;
  long num_envs;
  char out_dir[1200], long_out_dir[1200], train_log[1200], test_log[1200], viz_log[1200];
  double mean_return, samples_per_s, gpu_util_avg, gpu_util_min, seconds; /* NAN: unknown */
} cm_case_result;

typedef struct cm_results {
  cm_case_result *rows;
  int n;
} cm_results;

/* A "pending" row (final_ok 0) for a case not run yet. */
void cm_result_init(cm_case_result *r, const char *case_name);
/* The row of case_name (inserted as pending when absent); NULL only when out of memory. */
cm_case_result *cm_results_get(cm_results *rs, const char *case_name);
int cm_results_write(const cm_results *rs, const char *path, cm_err *err);
/* Reads a best_by_case.tsv (a missing file: 0 rows when missing_ok). */
int cm_results_read(const char *path, int missing_ok, cm_results *rs, cm_err *err);
void cm_results_free(cm_results *rs);

void cm_results_print_table(const cm_results *rs, FILE *f);
/* "total= N ok= K fail= M" / "all_pass= True|False"; returns all_pass. */
int cm_results_print_acceptance(const cm_results *rs, FILE *f);
#endif
