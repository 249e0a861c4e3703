/* The report page of a harness root, and the entry points (see the header). */
#include "harness/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"
#include "harness/attempts.h"
#include "harness/report_page.h"
#include "harness/summary.h"
#include "io/flags.h"

/* ---------------- a harness root ---------------- */

/* Width of the curves and contact-sheet thumbnails: with the case name wrapping, the table
 * fits a 1280-pixel window (tests/cli/test_report.sh measures it in Chromium). */
enum { THUMB_W = 200 };

static const char *json_str(const cJSON *j, const char *k, const char *def) {
  const cJSON *v = j ? cJSON_GetObjectItem(j, k) : NULL;
  return cJSON_IsString(v) ? v->valuestring : def;
}
static double json_num(const cJSON *j, const char *k) {
  const cJSON *v = j ? cJSON_GetObjectItem(j, k) : NULL;
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void duration(cm_page *pg, double s) {
  if (!isfinite(s)) {
    cm_page_put(pg, "?");
    return;
  }
  long t = (long)(s + 0.5);
  if (t >= 3600) cm_page_put(pg, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else cm_page_put(pg, "%ldm%02lds", t / 60, t % 60);
}

/* The last attempt of the case at a stage whose name contains what ("train" also finds
 * probe_train and long_train), or NULL. */
static const cm_attempt *last_attempt(const cm_attempts *a, const char *what) {
  for (int i = a->n - 1; i >= 0; i--)
    if (strstr(a->items[i].stage, what)) return &a->items[i];
  return NULL;
}

/* The attempt's rung folder name: the folder holding its log (runs/CASE/base_e4/viz.log ->
 * base_e4), else variant_e<num_envs>. */
static void attempt_rung(const cm_attempt *l, char *out, size_t cap) {
  const char *end = strrchr(l->log, '/'), *start = end;
  while (start && start > l->log && start[-1] != '/') start--;
  if (end && start < end) snprintf(out, cap, "%.*s", (int)(end - start), start);
  else snprintf(out, cap, "%s_e%ld", l->variant, l->num_envs);
}

static void case_row(cm_page *pg, const cm_case_result *r, const cJSON *prog) {
  const char *root = pg->dir, *name = r->case_name;
  char path[PATH_MAX], png[PATH_MAX];
  cm_attempts at = {0};
  cm_err err;
  snprintf(path, sizeof path, "%s/runs/%s/attempts.json", root, name);
  if (cm_attempts_load(path, name, &at, &err)) at.n = 0;
  const cJSON *cases = prog ? cJSON_GetObjectItem(prog, "cases") : NULL, *cur = prog ? cJSON_GetObjectItem(prog, "current") : NULL;
  const char *status = json_str(cases, name, r->status);
  int current = !strcmp(status, "running") && !strcmp(json_str(cur, "case", ""), name);

  cm_page_put(pg, "<tr class=\"case\" data-case=\"");
  cm_page_esc(pg, name);
  cm_page_put(pg, "\" data-status=\"");
  cm_page_esc(pg, status);
  cm_page_put(pg, "\"><td class=\"name\">");
  /* a long case name may break after its underscores (view_motion_<wbr>humanoid_<wbr>args.txt) */
  for (const char *seg = name; *seg;) {
    const char *u = strchr(seg, '_');
    size_t n = u ? (size_t)(u - seg) + 1 : strlen(seg);
    char part[256];
    snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), seg);
    cm_page_esc(pg, part);
    if (u && u[1]) cm_page_put(pg, "<wbr>");
    seg += n;
  }
  cm_page_put(pg, "</td><td class=\"");
  cm_page_esc(pg, status);
  cm_page_put(pg, "\">");
  cm_page_esc(pg, status);
  cm_page_put(pg, "</td><td>");
  if (current) {
    cm_page_esc(pg, json_str(cur, "stage", "?"));
    cm_page_put(pg, " %s_e%.0f", json_str(cur, "variant", ""), json_num(cur, "num_envs"));
  } else if (at.n > 0) {
    /* the rung is the attempt's folder (base_e4 of train, test and viz alike; a test or viz
     * stage itself runs fewer envs) */
    const cm_attempt *l = &at.items[at.n - 1];
    char rung[64];
    attempt_rung(l, rung, sizeof rung);
    cm_page_esc(pg, l->stage);
    cm_page_put(pg, " ");
    cm_page_esc(pg, rung);
    cm_page_put(pg, " (");
    cm_page_esc(pg, l->status);
    cm_page_put(pg, ")");
  } else {
    cm_page_put(pg, "-");
  }
  cm_page_put(pg, "</td><td class=\"n\">%d</td><td class=\"n\">", at.n);
  /* a case whose every train rung failed has no best env count (its row keeps the last tried) */
  int trained = 0;
  for (int i = 0; i < at.n; i++) trained |= strstr(at.items[i].stage, "train") && !strcmp(at.items[i].status, "ok");
  if (r->num_envs > 0 && trained) cm_page_put(pg, "%ld", r->num_envs);
  else cm_page_put(pg, "-");
  cm_page_put(pg, "</td><td class=\"n\">");
  cm_page_num(pg, r->samples_per_s, "%.1f");
  cm_page_put(pg, "</td><td class=\"n\">");
  cm_page_num(pg, r->gpu_util_min, "%.0f%%");
  cm_page_put(pg, " / ");
  cm_page_num(pg, r->gpu_util_avg, "%.0f%%");
  cm_page_put(pg, "</td><td class=\"n\">");
  cm_page_num(pg, r->mean_return, "%.4g");
  cm_page_put(pg, " / ");
  cm_page_num(pg, r->mean_return / cm_report_nr_scale(r->out_dir), "%.3f");
  cm_page_put(pg, "</td><td>");

  /* logs: the result row's, else the latest attempts' (a running case has no row yet) */
  const cm_attempt *tr = last_attempt(&at, "train"), *te = last_attempt(&at, "test"), *vz = last_attempt(&at, "viz");
  cm_page_link(pg, r->train_log[0] ? r->train_log : tr ? tr->log : "", "train");
  cm_page_put(pg, " ");
  cm_page_link(pg, r->test_log[0] ? r->test_log : te ? te->log : "", "test");
  cm_page_put(pg, " ");
  if (!strncmp(r->viz_log, "skipped: ", 9)) /* no viz stage ran (--viz): say why, no link */
    cm_page_put(pg, "viz skipped");
  else
    cm_page_link(pg, r->viz_log[0] ? r->viz_log : vz ? vz->log : "", "viz");
  cm_page_put(pg, "</td><td class=\"curves\">");
  /* curves: the training running now, else the longest finished one (longcycle's long_train) */
  const char *out_dir = current && tr       ? tr->out_dir
                        : r->long_out_dir[0] ? r->long_out_dir
                        : r->out_dir[0]      ? r->out_dir
                        : tr                 ? tr->out_dir
                                             : "";
  snprintf(path, sizeof path, "%s/log.txt", out_dir);
  snprintf(png, sizeof png, "%s/report/%s.png", root, name);
  if (*out_dir) cm_page_curves(pg, path, png, NULL, THUMB_W);
  else cm_page_put(pg, "-");
  cm_page_put(pg, "</td><td class=\"video\">");
  if (vz && !strcmp(vz->status, "ok")) {
    char sheet[PATH_MAX];
    snprintf(path, sizeof path, "%s/viz.mp4", vz->out_dir);
    cm_page_link(pg, path, "viz.mp4");
    if (!cm_sheet_of(path, sheet, sizeof sheet)) {
      cm_page_put(pg, "<br>");
      cm_page_image(pg, sheet, "contact sheet", THUMB_W);
    }
  } else {
    cm_page_put(pg, "-");
  }
  cm_page_put(pg, "</td></tr>\n");
  cm_attempts_free(&at);
}

static int root_page(cm_page *pg, cm_err *err) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/progress.json", pg->dir);
  cJSON *prog = NULL;
  char *text = NULL;
  if (cm_file_exists(path) && !cm_read_file(path, &text, NULL, err)) prog = cJSON_Parse(text);
  free(text);
  cm_results rs;
  snprintf(path, sizeof path, "%s/best_by_case.tsv", pg->dir);
  if (cm_results_read(path, 1, &rs, err)) {
    cJSON_Delete(prog);
    return -1;
  }
  const cJSON *fin = prog ? cJSON_GetObjectItem(prog, "finished") : NULL, *intr = prog ? cJSON_GetObjectItem(prog, "interrupted") : NULL;
  int finished = cJSON_IsTrue(fin), interrupted = cJSON_IsTrue(intr), live = prog && !finished && !interrupted;
  char title[PATH_MAX + 64];
  snprintf(title, sizeof title, "cmimic %s: %s", json_str(prog, "command", "harness"), pg->dir);
  cm_page_head(pg, title, live ? CM_REPORT_REFRESH_S : 0);

  cm_page_put(pg, "<p class=\"state\" data-live=\"%d\"><b>%s</b>", live, live ? "running (this page reloads itself)" : finished ? "finished" : interrupted ? "interrupted" : "stopped");
  cm_page_put(pg, " &middot; started ");
  cm_page_esc(pg, json_str(prog, "started", "?"));
  cm_page_put(pg, " &middot; updated ");
  cm_page_esc(pg, json_str(prog, "updated", "?"));
  cm_page_put(pg, " &middot; elapsed ");
  duration(pg, json_num(prog, "elapsed_s"));
  if (live) {
    cm_page_put(pg, " &middot; ETA %s", cJSON_IsTrue(cJSON_GetObjectItem(prog, "eta_at_least")) ? "at least " : "");
    duration(pg, json_num(prog, "eta_s"));
  }
  cm_page_put(pg, "<br>\n");
  static const char *const counts[5][2] = {{"ok", "ok"}, {"running", "running"}, {"pending", "pending"}, {"fail", "fail"},
                                           {"interrupted", "interrupted_cases"}};
  cm_page_put(pg, "%d cases:", rs.n);
  for (int i = 0; i < 5; i++) {
    double v = json_num(prog, counts[i][1]);
    cm_page_put(pg, " <span class=\"%s\">%s %.0f</span>", counts[i][0], counts[i][0], isfinite(v) ? v : 0.0);
  }
  const cJSON *cur = prog ? cJSON_GetObjectItem(prog, "current") : NULL;
  if (live && cur) {
    cm_page_put(pg, "<br>\nnow: [%.0f/%.0f] ", json_num(cur, "k"), json_num(prog, "total"));
    cm_page_esc(pg, json_str(cur, "case", ""));
    cm_page_put(pg, " ");
    cm_page_esc(pg, json_str(cur, "stage", ""));
  }
  if (*json_str(prog, "last_failure", "")) {
    cm_page_put(pg, "<br>\nlast failure: ");
    cm_page_esc(pg, json_str(prog, "last_failure", ""));
  }
  cm_page_put(pg, "</p>\n");

  cm_page_put(pg, "<table class=\"cases\">\n<tr><th>case</th><th>status</th><th>stage</th><th>attempts</th><th>best env count</th>"
          "<th>samples/s</th><th>GPU util min / avg</th><th>Mean Return / NR</th><th>logs</th><th>curves</th><th>video</th></tr>\n");
  for (int i = 0; i < rs.n; i++) case_row(pg, &rs.rows[i], prog);
  cm_page_put(pg, "</table>\n<p>");
  static const char *const files[] = {"progress.json", "best_by_case.tsv", "case_manifest.tsv", NULL};
  for (int i = 0; files[i]; i++) {
    snprintf(path, sizeof path, "%s/%s", pg->dir, files[i]);
    cm_page_link(pg, path, files[i]);
    cm_page_put(pg, " ");
  }
  cm_page_put(pg, "</p>\n");
  cm_page_foot(pg);
  cm_results_free(&rs);
  cJSON_Delete(prog);
  return 0;
}

/* ---------------- entry points ---------------- */

int cm_report_write(const char *dir, char *out, unsigned long cap, cm_err *err) {
  cm_page pg = {0};
  char p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX], index[PATH_MAX + 16];
  pg.dir = dir;
  if (!realpath(dir, pg.dir_real)) return cm_fail(err, "%s: no such folder", dir);
  snprintf(p1, sizeof p1, "%s/best_by_case.tsv", dir);
  snprintf(p2, sizeof p2, "%s/progress.json", dir);
  snprintf(p3, sizeof p3, "%s/log.txt", dir);
  int rc = 0;
  if (cm_file_exists(p1) || cm_file_exists(p2)) {
    char rep[PATH_MAX + 16];
    snprintf(rep, sizeof rep, "%s/report", dir);
    rc = cm_mkdirs(rep, err) || root_page(&pg, err) ? -1 : 0;
  } else if (cm_file_exists(p3)) {
    cm_report_training_page(&pg);
  } else {
    return cm_fail(err, "%s: neither a training output folder (no log.txt) nor a harness root (no best_by_case.tsv)", dir);
  }
  if (!rc && pg.b.failed) rc = cm_fail(err, "out of memory writing the report of %s", dir);
  snprintf(index, sizeof index, "%s/index.html", dir);
  if (!rc) rc = cm_write_file_atomic(index, pg.b.data, pg.b.len, err);
  if (!rc && out) snprintf(out, cap, "%s", index);
  cm_buf_free(&pg.b);
  return rc;
}

int cm_cmd_report(int argc, char **argv) {
  static const cm_flag k_flags[] = {{NULL, NULL, NULL}};
  if (cm_flags_help_asked(argc, argv) || argc != 1) {
    cm_flags_usage(argc == 1 || cm_flags_help_asked(argc, argv) ? stdout : stderr, "report DIR",
                   "Writes DIR/index.html: for a training output folder (log.txt) its curves, last log row, latest\n"
                   "video and contact sheet, figures and files; for a harness root one row per case with status,\n"
                   "stage, attempts, env count, samples/s, GPU utilisation, Mean Return, logs, curves and video.\n"
                   "Nothing is fetched from the network. No flags.",
                   k_flags);
    return cm_flags_help_asked(argc, argv) ? 0 : 2;
  }
  cm_err err = {{0}};
  char out[PATH_MAX + 16];
  if (cm_report_write(argv[0], out, sizeof out, &err)) {
    fprintf(stderr, "cmimic report: %s\n", err.msg);
    return 1;
  }
  printf("wrote %s\n", out);
  return 0;
}
