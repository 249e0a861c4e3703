/* HTML writing for the report pages (see report_page.h). */
#include "harness/report_page.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/fileio.h"
#include "harness/attempts.h"
#include "io/config.h"
#include "io/run_log.h"
#include "render/plot.h"
#include "render/png.h"

/* ---------------- HTML text ---------------- */

void cm_page_put(cm_page *pg, const char *fmt, ...) {
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
void cm_page_esc(cm_page *pg, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
      case '&': cm_page_put(pg, "&amp;"); break;
      case '<': cm_page_put(pg, "&lt;"); break;
      case '>': cm_page_put(pg, "&gt;"); break;
      case '"': cm_page_put(pg, "&quot;"); break;
      case '\'': cm_page_put(pg, "&#39;"); break;
      default: cm_buf_put(&pg->b, s, 1);
    }
  }
}

void cm_page_num(cm_page *pg, double v, const char *fmt) {
  if (!isfinite(v)) cm_page_put(pg, "-");
  else cm_page_put(pg, fmt, v);
}

/* ---------------- files and links ---------------- */

double cm_mtime_of(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  return (double)st.st_mtim.tv_sec + 1e-9 * (double)st.st_mtim.tv_nsec;
}

/* The href of an existing file: relative when it lies in the page's folder (the folder can be
 * copied or served as it is), else a file:// URL; 0 when the file does not exist. */
int cm_page_href(const cm_page *pg, const char *path, char *out, size_t n) {
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
void cm_page_link(cm_page *pg, const char *path, const char *text) {
  char h[PATH_MAX * 3];
  if (!cm_page_href(pg, path, h, sizeof h)) {
    cm_page_put(pg, "<span class=\"missing\">");
    cm_page_esc(pg, text);
    cm_page_put(pg, "</span>");
    return;
  }
  cm_page_put(pg, "<a href=\"");
  cm_page_esc(pg, h);
  cm_page_put(pg, "\">");
  cm_page_esc(pg, text);
  cm_page_put(pg, "</a>");
}

/* A linked thumbnail of an existing image. */
void cm_page_image(cm_page *pg, const char *path, const char *alt, int width) {
  char h[PATH_MAX * 3];
  if (!cm_page_href(pg, path, h, sizeof h)) return;
  cm_page_put(pg, "<a href=\"");
  cm_page_esc(pg, h);
  cm_page_put(pg, "\"><img src=\"");
  cm_page_esc(pg, h);
  cm_page_put(pg, "\" alt=\"");
  cm_page_esc(pg, alt);
  cm_page_put(pg, "\" width=\"%d\"></a>", width);
}

/* The contact sheet path of a video (0 when it has one). */
int cm_sheet_of(const char *video, char *out, size_t n) {
  cm_err e;
  return cm_contact_sheet_path(video, out, n, &e);
}

/* Names in dir ending with suffix, sorted; returns the count (names malloc'd). */
int cm_list_dir(const char *dir, const char *suffix, char ***out) {
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

void cm_list_free(char **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* ---------------- normalised return ---------------- */

double cm_report_nr_scale(const char *train_dir) {
  char path[PATH_MAX];
  cm_cfg *env = NULL, *eng = NULL;
  cm_err err;
  double scale = NAN, len = 0, freq = 0, w = 0, sum = 0;
  const char *name = "";
  static const char *const weights[] = {"reward_pose_w", "reward_vel_w", "reward_root_pose_w", "reward_root_vel_w",
                                        "reward_key_pos_w", NULL};
  snprintf(path, sizeof path, "%s/env_config.yaml", train_dir);
  if (!cm_file_exists(path) || cm_cfg_load(path, &env, &err)) goto done;
  snprintf(path, sizeof path, "%s/engine_config.yaml", train_dir);
  if (!cm_file_exists(path) || cm_cfg_load(path, &eng, &err)) goto done;
  if (cm_cfg_str(env, "env_name", "", &name, &err) || strcmp(name, "deepmimic") ||
      cm_cfg_float(env, "episode_length", 0, &len, &err) || cm_cfg_float(eng, "control_freq", 0, &freq, &err))
    goto done;
  for (int i = 0; weights[i]; i++) {
    if (cm_cfg_float(env, weights[i], 0, &w, &err)) goto done;
    sum += w;
  }
  if (len > 0 && freq > 0 && sum > 0) scale = len * freq * sum;
done:
  cm_cfg_free(env);
  cm_cfg_free(eng);
  return scale;
}

/* ---------------- curves ---------------- */

/* Draws Test_Return and Train_Return against Samples from log_path into png, unless png is
 * already newer than the log. Returns 1 when png shows the log, 0 when there is nothing to draw,
 * -1 with err on a read or write failure. */
static int draw_curves(const char *log_path, const char *png, const char *title, int width, cm_err *err) {
  if (!cm_file_exists(log_path)) return 0;
  if (cm_file_exists(png) && cm_mtime_of(png) >= cm_mtime_of(log_path)) return 1;
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
    /* a thumbnail (the harness root's column) is drawn at 1.5x its shown size, not shrunk from
     * the full 640 px chart, so that its labels stay readable */
    int w = width < 400 ? (width * 3 / 2 < 200 ? 200 : width * 3 / 2) : 640;
    cm_plot_opts o = {.width = w, .height = w * 5 / 8 < 150 ? 150 : w * 5 / 8, .title = title, .xlabel = "Samples",
                      .ylabel = "Return", .legend = ns > 1};
    rc = cm_plot_write(png, s, ns, &o, NULL, err) ? -1 : 1;
  }
  cm_log_table_free(&t);
  return rc;
}

/* The curves image, or a line saying why there is none. */
void cm_page_curves(cm_page *pg, const char *log_path, const char *png, const char *title, int width) {
  cm_err err = {{0}};
  int r = draw_curves(log_path, png, title, width, &err);
  if (r == 1) cm_page_image(pg, png, "learning curves", width);
  else if (r == 0) cm_page_put(pg, "<span class=\"missing\">no log rows yet</span>");
  else {
    cm_page_put(pg, "<span class=\"missing\">curves: ");
    cm_page_esc(pg, err.msg);
    cm_page_put(pg, "</span>");
  }
}

/* ---------------- page frame ---------------- */

void cm_page_head(cm_page *pg, const char *title, int refresh) {
  cm_page_put(pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
  if (refresh > 0) cm_page_put(pg, "<meta http-equiv=\"refresh\" content=\"%d\">\n", refresh);
  cm_page_put(pg, "<title>");
  cm_page_esc(pg, title);
  cm_page_put(pg, "</title>\n<style>\n"
          "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top}\n"
          "td.name{max-width:14em;overflow-wrap:break-word}\n"
          "th{background:#f0f0f0;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
          ".ok{background:#dff5df}.fail{background:#f8d7d7}.running{background:#fff3c4}\n"
          ".pending{color:#888}.interrupted{background:#eadcf5}.missing{color:#999}\n"
          "</style></head><body>\n");
  cm_page_put(pg, "<h1>");
  cm_page_esc(pg, title);
  cm_page_put(pg, "</h1>\n");
}

void cm_page_foot(cm_page *pg) {
  char now[32];
  cm_now_iso(now, sizeof now);
  cm_page_put(pg, "<p class=\"missing\">written by cmimic report at %s</p>\n</body></html>\n", now);
}
