#include "harness/progress.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/fileio.h"
#include "harness/attempts.h"
#include "harness/report.h"

void cm_format_duration(double s, char *buf, unsigned long cap) {
  if (!isfinite(s) || s < 0) {
    snprintf(buf, cap, "?");
    return;
  }
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(buf, cap, "%ldh%02ldm%02lds", t / 3600, t / 60 % 60, t % 60);
  else snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
}

double cm_progress_eta(const cm_progress *p, double now) {
  if (p->cases_timed == 0) return NAN;
  if (p->finished) return 0;
  double mean = p->case_seconds_sum / p->cases_timed, left = mean * p->cases_left_after_current;
  if (p->case_running) left += fmax(0.0, mean - (now - p->case_t0));
  return left;
}

int cm_progress_eta_over(const cm_progress *p, double now) {
  return p->cases_timed > 0 && !p->finished && p->case_running &&
         now - p->case_t0 > p->case_seconds_sum / p->cases_timed;
}

void cm_progress_eta_text(const cm_progress *p, double now, char *buf, unsigned long cap) {
  char d[32];
  cm_format_duration(cm_progress_eta(p, now), d, sizeof d);
  snprintf(buf, cap, "%s%s", cm_progress_eta_over(p, now) ? "at least " : "", d);
}

static double eta_seconds(const cm_progress *p) { return cm_progress_eta(p, cm_now_seconds()); }

void cm_progress_line(const cm_progress *p, const char *what) {
  char el[32], eta[48];
  cm_format_duration(cm_now_seconds() - p->t0, el, sizeof el);
  cm_progress_eta_text(p, cm_now_seconds(), eta, sizeof eta);
  printf("[%d/%d] %s %s", p->k, p->total, p->case_name, p->stage);
  if (p->num_envs > 0) printf(" %s_e%ld", p->variant, p->num_envs);
  printf(": %s | elapsed %s | ETA %s\n", what, el, eta);
  fflush(stdout);
}

/* A row says "running" from its case's start to its end; only the case this harness is running
 * now is really running: any other "running" row (read back from the root of a harness that was
 * killed) was interrupted. */
static const char *case_status(const cm_progress *p, const cm_case_result *r) {
  if (!strcmp(r->status, "running") && (p->finished || strcmp(r->case_name, p->case_name))) return "interrupted";
  return r->status;
}

void cm_progress_count(const cm_progress *p, cm_progress_counts *n) {
  memset(n, 0, sizeof *n);
  for (int i = 0; p->results && i < p->results->n; i++) {
    const cm_case_result *r = &p->results->rows[i];
    const char *st = case_status(p, r);
    if (r->final_ok) n->ok++;
    else if (!strcmp(st, "running")) n->running++;
    else if (!strcmp(st, "pending")) n->pending++;
    else if (!strcmp(st, "interrupted")) n->interrupted++;
    else n->fail++;
  }
}

int cm_progress_write(cm_progress *p, cm_err *err) {
  cJSON *root = cJSON_CreateObject();
  char now[32];
  cm_now_iso(now, sizeof now);
  cJSON_AddStringToObject(root, "command", p->command);
  cJSON_AddStringToObject(root, "root", p->root);
  cJSON_AddStringToObject(root, "started", p->started);
  cJSON_AddStringToObject(root, "updated", now);
  cJSON_AddNumberToObject(root, "elapsed_s", cm_now_seconds() - p->t0);
  double eta = eta_seconds(p);
  if (isfinite(eta)) cJSON_AddNumberToObject(root, "eta_s", eta);
  else cJSON_AddNullToObject(root, "eta_s");
  cJSON_AddBoolToObject(root, "eta_at_least", cm_progress_eta_over(p, cm_now_seconds()));
  cJSON_AddNumberToObject(root, "total", p->total);
  cm_progress_counts n;
  cm_progress_count(p, &n);
  cJSON *cases = cJSON_CreateObject();
  for (int i = 0; p->results && i < p->results->n; i++)
    cJSON_AddStringToObject(cases, p->results->rows[i].case_name, case_status(p, &p->results->rows[i]));
  cJSON_AddNumberToObject(root, "ok", n.ok);
  cJSON_AddNumberToObject(root, "fail", n.fail);
  cJSON_AddNumberToObject(root, "running", n.running);
  cJSON_AddNumberToObject(root, "pending", n.pending);
  cJSON_AddNumberToObject(root, "interrupted_cases", n.interrupted); /* "interrupted" is the run's flag */
  cJSON *cur = cJSON_CreateObject();
  cJSON_AddNumberToObject(cur, "k", p->k);
  cJSON_AddStringToObject(cur, "case", p->case_name);
  cJSON_AddStringToObject(cur, "stage", p->stage);
  cJSON_AddStringToObject(cur, "variant", p->variant);
  cJSON_AddNumberToObject(cur, "num_envs", (double)p->num_envs);
  cJSON_AddItemToObject(root, "current", cur);
  cJSON_AddStringToObject(root, "last_failure", p->last_failure);
  cJSON_AddBoolToObject(root, "finished", p->finished);
  cJSON_AddBoolToObject(root, "interrupted", p->interrupted);
  cJSON_AddItemToObject(root, "cases", cases);
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return cm_fail(err, "out of memory writing %s", p->path);
  int rc = cm_write_file_atomic(p->path, text, strlen(text), err);
  free(text);
  /* the report page follows progress.json; a page that can't be drawn never stops the run */
  cm_err rerr = {{0}};
  if (!rc && p->root[0] && cm_report_write(p->root, NULL, 0, &rerr))
    fprintf(stderr, "harness: report page: %s\n", rerr.msg);
  return rc;
}
