/* The report page of a training output folder (harness/report.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/fileio.h"
#include "harness/report_page.h"
#include "io/run_log.h"

/* ---------------- a training folder ---------------- */

void cm_report_training_page(cm_page *pg) {
  const char *d = pg->dir;
  char path[PATH_MAX], png[PATH_MAX];
  cm_page_head(pg, d, 0);
  snprintf(path, sizeof path, "%s/log.txt", d);
  snprintf(png, sizeof png, "%s/report_curves.png", d);
  cm_page_put(pg, "<h2>Learning curves</h2>\n<p class=\"curves\">");
  cm_page_curves(pg, path, png, NULL, 640);
  cm_page_put(pg, "</p>\n");

  cm_log_table t;
  cm_err err;
  if (!cm_log_read(path, &t, &err)) {
    cm_page_put(pg, "<h2>Last log row</h2>\n<table class=\"lastrow\">\n");
    for (int c = 0; c < t.num_cols && t.num_rows > 0; c++) {
      cm_page_put(pg, "<tr><th>");
      cm_page_esc(pg, t.names[c]);
      cm_page_put(pg, "</th><td class=\"n\">%.6g</td></tr>\n", t.cols[c][t.num_rows - 1]);
    }
    cm_page_put(pg, "</table>\n<p>%d rows", t.num_rows);
    int ti = cm_log_table_find(&t, "Test_Return");
    double scale = cm_report_nr_scale(d);
    if (ti >= 0 && t.num_rows > 0 && isfinite(scale))
      cm_page_put(pg, "; NR (Test_Return / %.6g, the best possible return) %.3f", scale, t.cols[ti][t.num_rows - 1] / scale);
    cm_page_put(pg, "</p>\n");
    cm_log_table_free(&t);
  }

  /* the latest video and its contact sheet */
  char **videos = NULL, **pngs = NULL, sheet[PATH_MAX] = "";
  int nv = cm_list_dir(d, ".mp4", &videos), np = cm_list_dir(d, ".png", &pngs);
  const char *latest = NULL;
  double latest_t = -1;
  for (int i = 0; i < nv; i++) {
    snprintf(path, sizeof path, "%s/%s", d, videos[i]);
    if (cm_mtime_of(path) > latest_t) latest_t = cm_mtime_of(path), latest = videos[i];
  }
  if (latest) {
    snprintf(path, sizeof path, "%s/%s", d, latest);
    char h[PATH_MAX * 3];
    cm_page_put(pg, "<h2>Latest video</h2>\n<p class=\"video\">");
    if (cm_page_href(pg, path, h, sizeof h)) {
      cm_page_put(pg, "<video controls width=\"640\" src=\"");
      cm_page_esc(pg, h);
      cm_page_put(pg, "\"></video><br>");
    }
    cm_page_link(pg, path, latest);
    cm_page_put(pg, "</p>\n");
    if (!cm_sheet_of(path, sheet, sizeof sheet) && cm_file_exists(sheet)) {
      cm_page_put(pg, "<p class=\"sheet\">");
      cm_page_image(pg, sheet, "contact sheet", 640);
      cm_page_put(pg, "</p>\n");
    }
  }
  /* the other figures in the folder */
  int shown = 0;
  for (int i = 0; i < np; i++) {
    snprintf(path, sizeof path, "%s/%s", d, pngs[i]);
    if (!strcmp(pngs[i], "report_curves.png") || (sheet[0] && !strcmp(path, sheet))) continue;
    if (!shown++) cm_page_put(pg, "<h2>Figures</h2>\n<p class=\"figures\">");
    cm_page_image(pg, path, pngs[i], 320);
    cm_page_put(pg, " ");
  }
  if (shown) cm_page_put(pg, "</p>\n");
  cm_list_free(videos, nv);
  cm_list_free(pngs, np);

  cm_page_put(pg, "<h2>Files</h2>\n<ul class=\"files\">\n");
  static const char *const files[] = {"log.txt", "config.yaml", "engine_config.yaml", "env_config.yaml",
                                      "agent_config.yaml", "model.pt", "resume.pt", NULL};
  for (int i = 0; files[i]; i++) {
    snprintf(path, sizeof path, "%s/%s", d, files[i]);
    if (!cm_file_exists(path)) continue;
    cm_page_put(pg, "<li>");
    cm_page_link(pg, path, files[i]);
    cm_page_put(pg, "</li>\n");
  }
  char **events = NULL;
  int ne = cm_list_dir(d, "", &events);
  for (int i = 0; i < ne; i++)
    if (strstr(events[i], "tfevents")) {
      snprintf(path, sizeof path, "%s/%s", d, events[i]);
      cm_page_put(pg, "<li>");
      cm_page_link(pg, path, events[i]);
      cm_page_put(pg, " (tensorboard --logdir ");
      cm_page_esc(pg, d);
      cm_page_put(pg, ")</li>\n");
    }
  cm_list_free(events, ne);
  char **ints = NULL;
  snprintf(path, sizeof path, "%s/int_models", d);
  int ni = cm_list_dir(path, ".pt", &ints);
  if (ni) cm_page_put(pg, "<li>int_models/: %d intermediate models</li>\n", ni);
  cm_list_free(ints, ni);
  cm_page_put(pg, "</ul>\n");
  cm_page_foot(pg);
}
