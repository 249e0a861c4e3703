/* The report page of a training folder or a harness root (see the header). */
#include "harness/report.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/bytebuf.h"
#include "core/fileio.h"
#include "harness/attempts.h"
#include "harness/summary.h"
#include "io/flags.h"
#include "io/run_log.h"
#include "render/plot.h"
#include "render/png.h"

typedef struct page {
  cm_buf b;
  const char *dir;         /* the folder the page is written into, as given */
  char dir_real[PATH_MAX]; /* its real path, to turn file paths into relative links */
} page;

/* ---------------- HTML text ---------------- */

static void put(page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(page *pg, const char *fmt, ...) {
  char tmp[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    cm_buf_put(&pg->b, tmp, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    pg->b.failed = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  cm_buf_put(&pg->b, big, (size_t)n);
  free(big);
}

/* Text with the five HTML specials escaped (safe in elements and quoted attributes). */
static void esc(page *pg, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
      case '&': put(pg, "&amp;"); break;
      case '<': put(pg, "&lt;"); break;
      case '>': put(pg, "&gt;"); break;
      case '"': put(pg, "&quot;"); break;
      case '\'': put(pg, "&#39;"); break;
      default: cm_buf_put(&pg->b, s, 1);
    }
  }
}

static void num(page *pg, double v, const char *fmt) {
  if (!isfinite(v)) put(pg, "-");
  else put(pg, fmt, v);
}

/* ---------------- files and links ---------------- */

static double mtime_of(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  return (double)st.st_mtim.tv_sec + 1e-9 * (double)st.st_mtim.tv_nsec;
}

/* The href of an existing file: relative when it lies in the page's folder (the folder can be
 * copied or served as it is), else a file:// URL; 0 when the file does not exist. */
static int href_of(const page *pg, const char *path, char *out, size_t n) {
  char real[PATH_MAX];
  if (!path || !*path || !realpath(path, real)) return 0;
  size_t dl = strlen(pg->dir_real);
  const char *rel = !strncmp(real, pg->dir_real, dl) && real[dl] == '/' ? real + dl + 1 : NULL;
  char raw[PATH_MAX + 8];
  snprintf(raw, sizeof raw, "%s%s", rel ? "" : "file://", rel ? rel : real);
  size_t k = 0;
  for (const char *s = raw; *s && k + 4 < n; s++) {
    if (*s == ' ' || *s == '#' || *s == '?' || *s == '%') k += (size_t)snprintf(out + k, n - k, "%%%02X", (unsigned char)*s);
    else out[k++] = *s;
  }
  out[k] = 0;
  return 1;
}

/* <a href=...>text</a>, or the text alone when the file is missing. */
static void put_link(page *pg, const char *path, const char *text) {
  char h[PATH_MAX * 3];
  if (!href_of(pg, path, h, sizeof h)) {
    put(pg, "<span class=\"missing\">");
    esc(pg, text);
    put(pg, "</span>");
    return;
  }
  put(pg, "<a href=\"");
  esc(pg, h);
  put(pg, "\">");
  esc(pg, text);
  put(pg, "</a>");
}

/* A linked thumbnail of an existing image. */
static void put_image(page *pg, const char *path, const char *alt, int width) {
  char h[PATH_MAX * 3];
  if (!href_of(pg, path, h, sizeof h)) return;
  put(pg, "<a href=\"");
  esc(pg, h);
  put(pg, "\"><img src=\"");
  esc(pg, h);
  put(pg, "\" alt=\"");
  esc(pg, alt);
  put(pg, "\" width=\"%d\"></a>", width);
}

/* The contact sheet path of a video (0 when it has one). */
static int sheet_of(const char *video, char *out, size_t n) {
  cm_err e;
  return cm_contact_sheet_path(video, out, n, &e);
}

/* Names in dir ending with suffix, sorted; returns the count (names malloc'd). */
static int list_dir(const char *dir, const char *suffix, char ***out) {
  *out = NULL;
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0, cap = 0;
  char **names = NULL;
  size_t sl = strlen(suffix);
  for (struct dirent *e; (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (e->d_name[0] == '.' || l < sl || strcmp(e->d_name + l - sl, suffix)) continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 16;
      char **nn = realloc(names, (size_t)cap * sizeof *nn);
      if (!nn) break;
      names = nn;
    }
    if (!(names[n] = strdup(e->d_name))) break;
    n++;
  }
  closedir(d);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
    }
  *out = names;
  return n;
}

static void free_list(char **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* ---------------- curves ---------------- */

/* Draws Test_Return and Train_Return against Samples from log_path into png, unless png is
 * already newer than the log. Returns 1 when png shows the log, 0 when there is nothing to draw,
 * -1 with err on a read or write failure. */
static int draw_curves(const char *log_path, const char *png, const char *title, cm_err *err) {
  if (!cm_file_exists(log_path)) return 0;
  if (cm_file_exists(png) && mtime_of(png) >= mtime_of(log_path)) return 1;
  cm_log_table t;
  if (cm_log_read(log_path, &t, err)) return -1;
  static const char *const ys[2] = {"Test_Return", "Train_Return"};
  cm_plot_series s[2];
  int ns = 0, xi = cm_log_table_find(&t, "Samples"), rc = 0;
  for (int k = 0; k < 2 && xi >= 0 && t.num_rows > 0; k++) {
    int yi = cm_log_table_find(&t, ys[k]);
    if (yi >= 0) s[ns++] = (cm_plot_series){.label = ys[k], .x = t.cols[xi], .y = t.cols[yi], .n = t.num_rows};
  }
  if (ns > 0) {
    cm_plot_opts o = {.width = 640, .height = 400, .title = title, .xlabel = "Samples", .ylabel = "Return", .legend = ns > 1};
    unsigned char *rgb = NULL;
    int w = 0, h = 0;
    rc = cm_plot_render(s, ns, &o, &rgb, &w, &h, NULL, err) || cm_plot_write_png(png, rgb, w, h, err) ? -1 : 1;
    free(rgb);
  }
  cm_log_table_free(&t);
  return rc;
}

/* The curves image, or a line saying why there is none. */
static void curves(page *pg, const char *log_path, const char *png, const char *title, int width) {
  cm_err err = {{0}};
  int r = draw_curves(log_path, png, title, &err);
  if (r == 1) put_image(pg, png, "learning curves", width);
  else if (r == 0) put(pg, "<span class=\"missing\">no log rows yet</span>");
  else {
    put(pg, "<span class=\"missing\">curves: ");
    esc(pg, err.msg);
    put(pg, "</span>");
  }
}

/* ---------------- page frame ---------------- */

static void head(page *pg, const char *title, int refresh) {
  put(pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
  if (refresh > 0) put(pg, "<meta http-equiv=\"refresh\" content=\"%d\">\n", refresh);
  put(pg, "<title>");
  esc(pg, title);
  put(pg, "</title>\n<style>\n"
          "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top}\n"
          "th{background:#f0f0f0;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
          ".ok{background:#dff5df}.fail{background:#f8d7d7}.running{background:#fff3c4}\n"
          ".pending{color:#888}.interrupted{background:#eadcf5}.missing{color:#999}\n"
          "</style></head><body>\n");
  put(pg, "<h1>");
  esc(pg, title);
  put(pg, "</h1>\n");
}

static void foot(page *pg) {
  char now[32];
  cm_now_iso(now, sizeof now);
  put(pg, "<p class=\"missing\">written by cmimic report at %s</p>\n</body></html>\n", now);
}

/* ---------------- a training folder ---------------- */

static void training_page(page *pg) {
  const char *d = pg->dir;
  char path[PATH_MAX], png[PATH_MAX];
  head(pg, d, 0);
  snprintf(path, sizeof path, "%s/log.txt", d);
  snprintf(png, sizeof png, "%s/report_curves.png", d);
  put(pg, "<h2>Learning curves</h2>\n<p class=\"curves\">");
  curves(pg, path, png, NULL, 640);
  put(pg, "</p>\n");

  cm_log_table t;
  cm_err err;
  if (!cm_log_read(path, &t, &err)) {
    put(pg, "<h2>Last log row</h2>\n<table class=\"lastrow\">\n");
    for (int c = 0; c < t.num_cols && t.num_rows > 0; c++) {
      put(pg, "<tr><th>");
      esc(pg, t.names[c]);
      put(pg, "</th><td class=\"n\">%.6g</td></tr>\n", t.cols[c][t.num_rows - 1]);
    }
    put(pg, "</table>\n<p>%d rows</p>\n", t.num_rows);
    cm_log_table_free(&t);
  }

  /* the latest video and its contact sheet */
  char **videos = NULL, **pngs = NULL, sheet[PATH_MAX] = "";
  int nv = list_dir(d, ".mp4", &videos), np = list_dir(d, ".png", &pngs);
  const char *latest = NULL;
  double latest_t = -1;
  for (int i = 0; i < nv; i++) {
    snprintf(path, sizeof path, "%s/%s", d, videos[i]);
    if (mtime_of(path) > latest_t) latest_t = mtime_of(path), latest = videos[i];
  }
  if (latest) {
    snprintf(path, sizeof path, "%s/%s", d, latest);
    char h[PATH_MAX * 3];
    put(pg, "<h2>Latest video</h2>\n<p class=\"video\">");
    if (href_of(pg, path, h, sizeof h)) {
      put(pg, "<video controls width=\"640\" src=\"");
      esc(pg, h);
      put(pg, "\"></video><br>");
    }
    put_link(pg, path, latest);
    put(pg, "</p>\n");
    if (!sheet_of(path, sheet, sizeof sheet) && cm_file_exists(sheet)) {
      put(pg, "<p class=\"sheet\">");
      put_image(pg, sheet, "contact sheet", 640);
      put(pg, "</p>\n");
    }
  }
  /* the other figures in the folder */
  int shown = 0;
  for (int i = 0; i < np; i++) {
    snprintf(path, sizeof path, "%s/%s", d, pngs[i]);
    if (!strcmp(pngs[i], "report_curves.png") || (sheet[0] && !strcmp(path, sheet))) continue;
    if (!shown++) put(pg, "<h2>Figures</h2>\n<p class=\"figures\">");
    put_image(pg, path, pngs[i], 320);
    put(pg, " ");
  }
  if (shown) put(pg, "</p>\n");
  free_list(videos, nv);
  free_list(pngs, np);

  put(pg, "<h2>Files</h2>\n<ul class=\"files\">\n");
  static const char *const files[] = {"log.txt", "config.yaml", "engine_config.yaml", "env_config.yaml",
                                      "agent_config.yaml", "model.pt", "resume.pt", NULL};
  for (int i = 0; files[i]; i++) {
    snprintf(path, sizeof path, "%s/%s", d, files[i]);
    if (!cm_file_exists(path)) continue;
    put(pg, "<li>");
    put_link(pg, path, files[i]);
    put(pg, "</li>\n");
  }
  char **events = NULL;
  int ne = list_dir(d, "", &events);
  for (int i = 0; i < ne; i++)
    if (strstr(events[i], "tfevents")) {
      snprintf(path, sizeof path, "%s/%s", d, events[i]);
      put(pg, "<li>");
      put_link(pg, path, events[i]);
      put(pg, " (tensorboard --logdir %s)</li>\n", "this folder");
    }
  free_list(events, ne);
  char **ints = NULL;
  snprintf(path, sizeof path, "%s/int_models", d);
  int ni = list_dir(path, ".pt", &ints);
  if (ni) put(pg, "<li>int_models/: %d intermediate models</li>\n", ni);
  free_list(ints, ni);
  put(pg, "</ul>\n");
  foot(pg);
}

/* ---------------- a harness root ---------------- */

static const char *json_str(const cJSON *j, const char *k, const char *def) {
  const cJSON *v = j ? cJSON_GetObjectItem(j, k) : NULL;
  return cJSON_IsString(v) ? v->valuestring : def;
}
static double json_num(const cJSON *j, const char *k) {
  const cJSON *v = j ? cJSON_GetObjectItem(j, k) : NULL;
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void duration(page *pg, double s) {
  if (!isfinite(s)) {
    put(pg, "?");
    return;
  }
  long t = (long)(s + 0.5);
  if (t >= 3600) put(pg, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else put(pg, "%ldm%02lds", t / 60, t % 60);
}

/* The last attempt of the case at a stage whose name contains what ("train" also finds
 * probe_train and long_train), or NULL. */
static const cm_attempt *last_attempt(const cm_attempts *a, const char *what) {
  for (int i = a->n - 1; i >= 0; i--)
    if (strstr(a->items[i].stage, what)) return &a->items[i];
  return NULL;
}

static void case_row(page *pg, const cm_case_result *r, const cJSON *prog) {
  const char *root = pg->dir, *name = r->case_name;
  char path[PATH_MAX], png[PATH_MAX];
  cm_attempts at = {0};
  cm_err err;
  snprintf(path, sizeof path, "%s/runs/%s/attempts.json", root, name);
  if (cm_attempts_load(path, name, &at, &err)) at.n = 0;
  const cJSON *cases = prog ? cJSON_GetObjectItem(prog, "cases") : NULL, *cur = prog ? cJSON_GetObjectItem(prog, "current") : NULL;
  const char *status = json_str(cases, name, r->status);
  int current = !strcmp(status, "running") && !strcmp(json_str(cur, "case", ""), name);

  put(pg, "<tr class=\"case\" data-case=\"");
  esc(pg, name);
  put(pg, "\" data-status=\"");
  esc(pg, status);
  put(pg, "\"><td>");
  esc(pg, name);
  put(pg, "</td><td class=\"");
  esc(pg, status);
  put(pg, "\">");
  esc(pg, status);
  put(pg, "</td><td>");
  if (current) {
    esc(pg, json_str(cur, "stage", "?"));
    put(pg, " %s_e%.0f", json_str(cur, "variant", ""), json_num(cur, "num_envs"));
  } else if (at.n > 0) {
    const cm_attempt *l = &at.items[at.n - 1];
    esc(pg, l->stage);
    put(pg, " %s_e%ld (", l->variant, l->num_envs);
    esc(pg, l->status);
    put(pg, ")");
  } else {
    put(pg, "-");
  }
  put(pg, "</td><td class=\"n\">%d</td><td class=\"n\">", at.n);
  if (r->num_envs > 0) put(pg, "%ld", r->num_envs);
  else put(pg, "-");
  put(pg, "</td><td class=\"n\">");
  num(pg, r->samples_per_s, "%.1f");
  put(pg, "</td><td class=\"n\">");
  num(pg, r->gpu_util_min, "%.0f%%");
  put(pg, " / ");
  num(pg, r->gpu_util_avg, "%.0f%%");
  put(pg, "</td><td class=\"n\">");
  num(pg, r->mean_return, "%.4g");
  put(pg, "</td><td>");

  /* logs: the result row's, else the latest attempts' (a running case has no row yet) */
  const cm_attempt *tr = last_attempt(&at, "train"), *te = last_attempt(&at, "test"), *vz = last_attempt(&at, "viz");
  put_link(pg, r->train_log[0] ? r->train_log : tr ? tr->log : "", "train");
  put(pg, " ");
  put_link(pg, r->test_log[0] ? r->test_log : te ? te->log : "", "test");
  put(pg, " ");
  put_link(pg, r->viz_log[0] ? r->viz_log : vz ? vz->log : "", "viz");
  put(pg, "</td><td class=\"curves\">");
  const char *out_dir = current && tr ? tr->out_dir : r->out_dir[0] ? r->out_dir : tr ? tr->out_dir : "";
  snprintf(path, sizeof path, "%s/log.txt", out_dir);
  snprintf(png, sizeof png, "%s/report/%s.png", root, name);
  if (*out_dir) curves(pg, path, png, NULL, 240);
  else put(pg, "-");
  put(pg, "</td><td class=\"video\">");
  if (vz && !strcmp(vz->status, "ok")) {
    char sheet[PATH_MAX];
    snprintf(path, sizeof path, "%s/viz.mp4", vz->out_dir);
    put_link(pg, path, "viz.mp4");
    if (!sheet_of(path, sheet, sizeof sheet)) {
      put(pg, "<br>");
      put_image(pg, sheet, "contact sheet", 240);
    }
  } else {
    put(pg, "-");
  }
  put(pg, "</td></tr>\n");
  cm_attempts_free(&at);
}

static int root_page(page *pg, cm_err *err) {
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
  head(pg, title, live ? CM_REPORT_REFRESH_S : 0);

  put(pg, "<p class=\"state\" data-live=\"%d\"><b>%s</b>", live, live ? "running (this page reloads itself)" : finished ? "finished" : interrupted ? "interrupted" : "stopped");
  put(pg, " &middot; started ");
  esc(pg, json_str(prog, "started", "?"));
  put(pg, " &middot; updated ");
  esc(pg, json_str(prog, "updated", "?"));
  put(pg, " &middot; elapsed ");
  duration(pg, json_num(prog, "elapsed_s"));
  if (live) {
    put(pg, " &middot; ETA ");
    duration(pg, json_num(prog, "eta_s"));
  }
  put(pg, "<br>\n");
  static const char *const counts[5][2] = {{"ok", "ok"}, {"running", "running"}, {"pending", "pending"}, {"fail", "fail"},
                                           {"interrupted", "interrupted_cases"}};
  put(pg, "%d cases:", rs.n);
  for (int i = 0; i < 5; i++) {
    double v = json_num(prog, counts[i][1]);
    put(pg, " <span class=\"%s\">%s %.0f</span>", counts[i][0], counts[i][0], isfinite(v) ? v : 0.0);
  }
  const cJSON *cur = prog ? cJSON_GetObjectItem(prog, "current") : NULL;
  if (live && cur) {
    put(pg, "<br>\nnow: [%.0f/%.0f] ", json_num(cur, "k"), json_num(prog, "total"));
    esc(pg, json_str(cur, "case", ""));
    put(pg, " ");
    esc(pg, json_str(cur, "stage", ""));
  }
  if (*json_str(prog, "last_failure", "")) {
    put(pg, "<br>\nlast failure: ");
    esc(pg, json_str(prog, "last_failure", ""));
  }
  put(pg, "</p>\n");

  put(pg, "<table class=\"cases\">\n<tr><th>case</th><th>status</th><th>stage</th><th>attempts</th><th>best env count</th>"
          "<th>samples/s</th><th>GPU util min / avg</th><th>Mean Return</th><th>logs</th><th>curves</th><th>video</th></tr>\n");
  for (int i = 0; i < rs.n; i++) case_row(pg, &rs.rows[i], prog);
  put(pg, "</table>\n<p>");
  static const char *const files[] = {"progress.json", "best_by_case.tsv", "case_manifest.tsv", NULL};
  for (int i = 0; files[i]; i++) {
    snprintf(path, sizeof path, "%s/%s", pg->dir, files[i]);
    put_link(pg, path, files[i]);
    put(pg, " ");
  }
  put(pg, "</p>\n");
  foot(pg);
  cm_results_free(&rs);
  cJSON_Delete(prog);
  return 0;
}

/* ---------------- entry points ---------------- */

int cm_report_write(const char *dir, char *out, unsigned long cap, cm_err *err) {
  page pg = {0};
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
    training_page(&pg);
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
