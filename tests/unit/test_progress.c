/* progress.json counts mid-run: a running case counts as running (not failed), only the case
 * being run now is running, a "running" row left by a killed harness is interrupted; the file
 * read back with cJSON. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "core/fileio.h"
#include "harness/progress.h"

static cJSON *write_and_read(cm_progress *p) {
  cm_err err;
  char *text = NULL;
  CHECK_OK(cm_progress_write(p, &err), &err);
  if (cm_read_file(p->path, &text, NULL, &err)) return NULL;
  cJSON *j = cJSON_Parse(text);
  free(text);
  return j;
}

static int num(cJSON *j, const char *k) {
  cJSON *v = cJSON_GetObjectItem(j, k);
  CHECK(cJSON_IsNumber(v));
  return v ? (int)v->valuedouble : -1;
}
static const char *case_state(cJSON *j, const char *name) {
  return cJSON_GetObjectItem(cJSON_GetObjectItem(j, "cases"), name)->valuestring;
}

static void set_row(cm_results *rs, const char *name, const char *status, int ok) {
  cm_case_result *r = cm_results_get(rs, name);
  snprintf(r->status, sizeof r->status, "%s", status);
  r->final_ok = ok;
}

int main(void) {
  char dir[128];
  snprintf(dir, sizeof dir, "/tmp/cm_test_progress_%ld", (long)getpid());
  cm_err err;
  cm_mkdirs(dir, &err);
  cm_results rs = {0};
  cm_progress p = {.total = 3, .results = &rs};
  snprintf(p.path, sizeof p.path, "%s/progress.json", dir);
  snprintf(p.command, sizeof p.command, "e2e");

  /* what a user saw: one case ok, one running, one pending */
  set_row(&rs, "a", "ok", 1);
  set_row(&rs, "b", "running", 0);
  set_row(&rs, "c", "pending", 0);
  p.k = 2;
  snprintf(p.case_name, sizeof p.case_name, "b");
  cJSON *j = write_and_read(&p);
  CHECK(j != NULL);
  if (j) {
    CHECK(num(j, "ok") == 1 && num(j, "running") == 1 && num(j, "pending") == 1);
    CHECK(num(j, "fail") == 0 && num(j, "interrupted_cases") == 0);
    CHECK(!strcmp(case_state(j, "b"), "running"));
    cJSON_Delete(j);
  }
  /* b failed, c runs */
  set_row(&rs, "b", "fail", 0);
  set_row(&rs, "c", "running", 0);
  snprintf(p.case_name, sizeof p.case_name, "c");
  j = write_and_read(&p);
  if (j) {
    CHECK(num(j, "ok") == 1 && num(j, "fail") == 1 && num(j, "running") == 1 && num(j, "pending") == 0);
    cJSON_Delete(j);
  }
  /* a root resumed after a kill: b's row still says running while the harness runs c */
  set_row(&rs, "b", "running", 0);
  j = write_and_read(&p);
  if (j) {
    CHECK(num(j, "running") == 1 && num(j, "interrupted_cases") == 1 && num(j, "fail") == 0);
    CHECK(!strcmp(case_state(j, "b"), "interrupted") && !strcmp(case_state(j, "c"), "running"));
    cJSON_Delete(j);
  }
  /* the run's ETA: unknown before a case is timed; then the mean case time per case left,
   * counting down during the current case and never below the cases after it */
  cm_progress e = {.total = 4, .k = 2, .cases_left_after_current = 2, .case_running = 1, .case_t0 = 100};
  CHECK(isnan(cm_progress_eta(&e, 100)));
  e.case_seconds_sum = 60, e.cases_timed = 1; /* case 1 took 60 s; case 2 of 4 runs */
  CHECK(fabs(cm_progress_eta(&e, 100) - 180) < 1e-9);
  CHECK(fabs(cm_progress_eta(&e, 140) - 140) < 1e-9);
  CHECK(fabs(cm_progress_eta(&e, 400) - 120) < 1e-9); /* running over the mean */
  char txt[48];
  cm_progress_eta_text(&e, 140, txt, sizeof txt);
  CHECK(!strcmp(txt, "2m20s") && !cm_progress_eta_over(&e, 140));
  cm_progress_eta_text(&e, 400, txt, sizeof txt);
  CHECK(!strcmp(txt, "at least 2m00s") && cm_progress_eta_over(&e, 400));
  e.case_running = 0, e.case_seconds_sum = 150, e.cases_timed = 2; /* case 2 done in 90 s */
  CHECK(fabs(cm_progress_eta(&e, 190) - 150) < 1e-9);    /* 2 cases of 75 s left, not 3 */
  e.finished = 1;
  CHECK(cm_progress_eta(&e, 190) == 0);
  /* a finished run has nothing running */
  p.finished = 1;
  cm_progress_counts n;
  cm_progress_count(&p, &n);
  CHECK(n.running == 0 && n.interrupted == 2 && n.ok == 1);
  /* the counts add up to the rows */
  CHECK(n.ok + n.running + n.pending + n.interrupted + n.fail == rs.n);
  cm_results_free(&rs);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_report("test_progress");
}
