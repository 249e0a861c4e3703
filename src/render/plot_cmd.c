/* cmimic plot: learning curves from MimicKit-format log.txt files (what MimicKit's
 * tools/plot_log/plot_log.py draws with matplotlib), written as a PNG or SVG. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/config.h"
#include "io/run_log.h"
#include "io/flags.h"
#include "render/plot.h"

enum { MAX_LOGS = 64, MAX_Y = 16 };

static const cm_flag k_plot_flags[] = {
    {"o", NULL, "output .png or .svg (required; also --out, --output)"},
    {"out", NULL, "alias of -o"},
    {"output", NULL, "alias of -o"},
    {"x", "Samples", "x column: Samples, Wall_Time (drawn in hours, minutes under an hour) or Iteration"},
    {"y", "Test_Return", "y columns, comma-separated (e.g. Test_Return,Train_Return)"},
    {"smooth", "1", "moving average over N log rows, drawn over the faint raw curve (1 = raw only)"},
    {"title", "one log: its folder", "chart title (several logs: none, the legend names them)"},
    {"width", "960", "pixels (200..10000)"},
    {"height", "640", "pixels (200..10000)"},
    {"help", NULL, "this text"},
    {NULL, NULL, NULL}};

static void usage(FILE *f) {
  cm_flags_usage(f, "plot LOG [LOG...] -o OUT.png|OUT.svg [flags]",
                 "Draws columns of MimicKit log.txt files as a line chart; several logs are overlaid and named\n"
                 "by their folder.",
                 k_plot_flags);
}

/* Name of the folder holding path ("runs/a/log.txt" -> "a"); falls back to the path itself. */
static void folder_name(const char *path, char *out, size_t n) {
  char *real = realpath(path, NULL);
  const char *p = real ? real : path;
  const char *slash = strrchr(p, '/');
  if (slash && slash != p) {
    const char *start = slash - 1;
    while (start > p && start[-1] != '/') start--;
    snprintf(out, n, "%.*s", (int)(slash - start), start);
  } else {
    snprintf(out, n, "%s", path);
  }
  free(real);
}

/* The folder part of path as given ("runs/a/log.txt" -> "runs/a"), used when folder names clash. */
static void folder_path(const char *path, char *out, size_t n) {
  const char *slash = strrchr(path, '/');
  if (slash)
    snprintf(out, n, "%.*s", (int)(slash - path), path);
  else
    snprintf(out, n, "%s", path);
}

static int check_column(const cm_log_table *t, const char *path, const char *col, cm_err *err) {
  if (cm_log_table_find(t, col) >= 0) return 0;
  const char **known = malloc(((size_t)t->num_cols + 1) * sizeof *known);
  if (!known) return cm_fail(err, "out of memory");
  for (int i = 0; i < t->num_cols; i++) known[i] = t->names[i];
  known[t->num_cols] = NULL;
  const char *near = cm_closest_name(col, known);
  if (near)
    cm_fail(err, "%s has no column '%s' (did you mean '%s'?)", path, col, near);
  else
    cm_fail(err, "%s has no column '%s' (it has %d columns, the first '%s')", path, col, t->num_cols,
            t->num_cols ? t->names[0] : "");
  free(known);
  return -1;
}

int cm_cmd_plot(int argc, char **argv) {
  const char *logs[MAX_LOGS], *out = NULL, *xcol = "Samples", *ycols = "Test_Return", *title = NULL;
  int nlogs = 0;
  long width = 960, height = 640, smooth = 1;
  cm_err err = {{0}};
  /* pass 0 checks every flag name (and --help) before pass 1 reads any value, so a typo is
   * reported as such wherever it stands */
  for (int pass = 0; pass < 2; pass++)
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == 0) {
      if (pass == 0) continue;
      if (nlogs == MAX_LOGS) {
        fprintf(stderr, "cmimic plot: at most %d logs\n", MAX_LOGS);
        return 2;
      }
      logs[nlogs++] = a;
      continue;
    }
    const char *name = a + (a[1] == '-' ? 2 : 1);
    char key[64];
    const char *eq = strchr(name, '=');
    size_t klen = eq ? (size_t)(eq - name) : strlen(name);
    snprintf(key, sizeof key, "%.*s", (int)(klen < sizeof key ? klen : sizeof key - 1), name);
    if (strcmp(key, "h") == 0 || strcmp(key, "help") == 0) {
      usage(stdout);
      return 0;
    }
    if (cm_flags_check_name(key, k_plot_flags, "command line", &err)) {
      fprintf(stderr, "cmimic plot: %s\n", err.msg);
      return 2;
    }
    const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (pass == 0) continue;
    if (!val) {
      fprintf(stderr, "cmimic plot: option '%s' needs a value\n", a);
      return 2;
    }
    if (!strcmp(key, "o") || !strcmp(key, "out") || !strcmp(key, "output")) out = val;
    else if (!strcmp(key, "x")) xcol = val;
    else if (!strcmp(key, "y")) ycols = val;
    else if (!strcmp(key, "title")) title = val;
    else if (!strcmp(key, "smooth")) {
      char *end = NULL;
      smooth = strtol(val, &end, 10);
      if (end == val || *end || smooth < 1 || smooth > 100000) {
        fprintf(stderr, "cmimic plot: --smooth must be a whole number of log rows in 1..100000 (got '%s')\n", val);
        return 2;
      }
    } else {
      char *end = NULL;
      long v = strtol(val, &end, 10);
      if (end == val || *end || v < 200 || v > 10000) {
        fprintf(stderr, "cmimic plot: --%s must be a whole number of pixels in 200..10000 (got '%s')\n", key, val);
        return 2;
      }
      if (!strcmp(key, "width")) width = v;
      else height = v;
    }
  }
  if (nlogs == 0 || !out) {
    fprintf(stderr, "cmimic plot: %s (cmimic plot --help lists the flags)\n",
            nlogs == 0 ? "no log.txt given" : "missing -o OUT.png (or OUT.svg)");
    return 2;
  }

  if (cm_plot_format_of(out) == CM_PLOT_UNKNOWN) {
    fprintf(stderr, "cmimic plot: -o %s: the output's name must end in .png or .svg (that picks the format)\n", out);
    return 2;
  }

  /* --y A,B: the columns to draw against --x. */
  char ybuf[1024];
  snprintf(ybuf, sizeof ybuf, "%s", ycols);
  char *ynames[MAX_Y];
  int ny = 0;
  for (char *save = NULL, *tok = strtok_r(ybuf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (ny == MAX_Y) {
      fprintf(stderr, "cmimic plot: at most %d --y columns\n", MAX_Y);
      return 2;
    }
    ynames[ny++] = tok;
  }
  if (ny == 0) {
    fprintf(stderr, "cmimic plot: --y names no column\n");
    return 2;
  }

  int status = 2, ns = 0;
  cm_log_table *tables = calloc((size_t)nlogs, sizeof *tables);
  cm_plot_series *series = calloc((size_t)nlogs * (size_t)ny, sizeof *series);
  char(*labels)[PATH_MAX] = calloc((size_t)nlogs * (size_t)ny, sizeof *labels);
  char(*folders)[PATH_MAX] = calloc((size_t)nlogs, sizeof *folders);
  if (!tables || !series || !labels || !folders) {
    fprintf(stderr, "cmimic plot: out of memory\n");
    goto done;
  }
  for (int l = 0; l < nlogs; l++) {
    if (cm_log_read(logs[l], &tables[l], &err)) goto fail;
    if (check_column(&tables[l], logs[l], xcol, &err)) goto fail;
    for (int k = 0; k < ny; k++)
      if (check_column(&tables[l], logs[l], ynames[k], &err)) goto fail;
    folder_name(logs[l], folders[l], PATH_MAX);
  }
  /* Logs in folders of the same name are told apart by the folder path as given. */
  for (int l = 0; l < nlogs; l++)
    for (int m = 0; m < nlogs; m++)
      if (m != l && strcmp(folders[l], folders[m]) == 0) {
        folder_path(logs[l], folders[l], PATH_MAX);
        break;
      }
  for (int l = 0; l < nlogs; l++)
    for (int k = 0; k < ny; k++) {
      cm_plot_series *s = &series[ns];
      s->x = tables[l].cols[cm_log_table_find(&tables[l], xcol)];
      s->y = tables[l].cols[cm_log_table_find(&tables[l], ynames[k])];
      s->n = tables[l].num_rows;
      if (nlogs > 1 && ny > 1)
        snprintf(labels[ns], PATH_MAX, "%.2000s %.200s", folders[l], ynames[k]);
      else
        snprintf(labels[ns], PATH_MAX, "%s", nlogs > 1 ? folders[l] : ynames[k]);
      s->label = labels[ns];
      ns++;
    }

  char ylabel[1024] = "", xlabel[128];
  for (int k = 0; k < ny; k++) {
    size_t used = strlen(ylabel);
    snprintf(ylabel + used, sizeof ylabel - used, "%s%s", k ? ", " : "", ynames[k]);
  }
  /* MimicKit logs Wall_Time in hours; a run shorter than an hour reads better in minutes. */
  const char *xunit = "";
  if (strcmp(xcol, "Wall_Time") == 0) {
    double longest = 0;
    int also_y = 0;
    for (int k = 0; k < ny; k++) also_y |= strcmp(ynames[k], xcol) == 0;
    for (int k = 0; k < ns; k++)
      for (int i = 0; i < series[k].n; i++)
        if (isfinite(series[k].x[i])) longest = fmax(longest, fabs(series[k].x[i]));
    xunit = " (hours)";
    if (longest < 1 && !also_y) {
      xunit = " (minutes)";
      for (int l = 0; l < nlogs; l++) {
        double *col = tables[l].cols[cm_log_table_find(&tables[l], xcol)];
        for (int i = 0; i < tables[l].num_rows; i++) col[i] *= 60;
      }
    }
  }
  snprintf(xlabel, sizeof xlabel, "%.100s%s", xcol, xunit);
  cm_plot_opts opts = {.width = (int)width, .height = (int)height, .title = title ? title : (nlogs == 1 ? folders[0] : NULL),
                       .xlabel = xlabel, .ylabel = ylabel, .legend = ns > 1, .smooth = (int)smooth};
  int points = 0;
  if (cm_plot_write(out, series, ns, &opts, &points, &err)) {
    fprintf(stderr, "cmimic plot: %s\n", err.msg);
    status = 1;
    goto done;
  }
  if (points == 0) fprintf(stderr, "cmimic plot: warning: no finite points to draw (empty or all-NaN columns)\n");
  printf("cmimic plot: wrote %s (%d series, %d points)\n", out, ns, points);
  status = 0;
  goto done;
fail:
  fprintf(stderr, "cmimic plot: %s\n", err.msg);
done:
  if (tables)
    for (int l = 0; l < nlogs; l++) cm_log_table_free(&tables[l]);
  free(tables);
  free(series);
  free(labels);
  free(folders);
  return status;
}
