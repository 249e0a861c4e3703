#include "harness/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"
#include "harness/harness_cmds.h"

static const char *const k_cols[] = {"case", "status", "final_ok", "variant", "num_envs", "out_dir", "long_out_dir",
                                     "train_log", "test_log", "viz_log", "mean_return", "samples_per_s",
                                     "gpu_util_avg", "gpu_util_min", "seconds", NULL};

void cm_result_init(cm_case_result *r, const char *case_name) {
  memset(r, 0, sizeof *r);
  snprintf(r->case_name, sizeof r->case_name, "%s", case_name);
  snprintf(r->status, sizeof r->status, "pending");
  r->mean_return = r->samples_per_s = r->gpu_util_avg = r->gpu_util_min = r->seconds = NAN;
}

cm_case_result *cm_results_get(cm_results *rs, const char *case_name) {
  for (int i = 0; i < rs->n; i++)
    if (!strcmp(rs->rows[i].case_name, case_name)) return &rs->rows[i];
  cm_case_result *rows = realloc(rs->rows, sizeof *rows * (size_t)(rs->n + 1));
  if (!rows) return NULL;
  rs->rows = rows;
  cm_result_init(&rs->rows[rs->n], case_name);
  return &rs->rows[rs->n++];
}

void cm_results_free(cm_results *rs) {
  free(rs->rows);
  rs->rows = NULL;
  rs->n = 0;
}

/* TSV cells hold no tabs or line ends. */
static void cell(char *buf, size_t cap, size_t *used, const char *s, int last) {
  for (const char *p = s; *p && *used + 2 < cap; p++) buf[(*used)++] = (*p == '\t' || *p == '\n' || *p == '\r') ? ' ' : *p;
  if (*used + 1 < cap) buf[(*used)++] = last ? '\n' : '\t';
}

static void num(char *out, size_t cap, double v, const char *fmt) {
  if (isfinite(v)) snprintf(out, cap, fmt, v);
  else out[0] = 0;
}

int cm_results_write(const cm_results *rs, const char *path, cm_err *err) {
  size_t cap = 1024 + (size_t)rs->n * 6000, used = 0;
  char *buf = malloc(cap);
  if (!buf) return cm_fail(err, "out of memory writing %s", path);
  for (int c = 0; k_cols[c]; c++) cell(buf, cap, &used, k_cols[c], !k_cols[c + 1]);
  for (int i = 0; i < rs->n; i++) {
    const cm_case_result *r = &rs->rows[i];
    char ok[8], ne[32], mr[32], sps[32], ga[32], gm[32], sec[32];
    snprintf(ok, sizeof ok, "%d", r->final_ok);
    if (r->num_envs > 0) snprintf(ne, sizeof ne, "%ld", r->num_envs);
    else ne[0] = 0;
    num(mr, sizeof mr, r->mean_return, "%.6g");
    num(sps, sizeof sps, r->samples_per_s, "%.2f");
    num(ga, sizeof ga, r->gpu_util_avg, "%.2f");
    num(gm, sizeof gm, r->gpu_util_min, "%.2f");
    num(sec, sizeof sec, r->seconds, "%.1f");
    const char *vals[] = {r->case_name, r->status, ok, r->variant, ne, r->out_dir, r->long_out_dir, r->train_log,
                          r->test_log, r->viz_log, mr, sps, ga, gm, sec};
    for (int c = 0; c < 15; c++) cell(buf, cap, &used, vals[c], c == 14);
  }
  int rc = cm_write_file_atomic(path, buf, used, err);
  free(buf);
  return rc;
}

static double parse_num(const char *s) {
  if (!*s) return NAN;
  char *end;
  double v = strtod(s, &end);
  return *end ? NAN : v;
}

int cm_results_read(const char *path, int missing_ok, cm_results *rs, cm_err *err) {
  memset(rs, 0, sizeof *rs);
  if (missing_ok && !cm_file_exists(path)) return 0;
  char *text = NULL;
  size_t len = 0;
  if (cm_read_file(path, &text, &len, err)) return -1;
  int idx[15], line_no = 0, rc = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
    line_no++;
    char *fields[64];
    int nf = 0;
    for (char *p = line;; ) {
      if (nf < 64) fields[nf++] = p;
      char *tab = strchr(p, '\t');
      if (!tab) break;
      *tab = 0;
      p = tab + 1;
    }
    if (line_no == 1) {
      for (int c = 0; c < 15; c++) {
        idx[c] = -1;
        for (int f = 0; f < nf; f++)
          if (!strcmp(fields[f], k_cols[c])) idx[c] = f;
        if (idx[c] < 0) rc = cm_fail(err, "%s:1: missing column '%s'", path, k_cols[c]);
      }
      continue;
    }
    const char *v[15];
    for (int c = 0; c < 15; c++) v[c] = idx[c] < nf ? fields[idx[c]] : "";
    cm_case_result *r = cm_results_get(rs, v[0]);
    if (!r) {
      rc = cm_fail(err, "out of memory reading %s", path);
      break;
    }
    snprintf(r->status, sizeof r->status, "%s", v[1]);
    r->final_ok = atoi(v[2]) == 1;
    snprintf(r->variant, sizeof r->variant, "%s", v[3]);
    r->num_envs = atol(v[4]);
    snprintf(r->out_dir, sizeof r->out_dir, "%s", v[5]);
    snprintf(r->long_out_dir, sizeof r->long_out_dir, "%s", v[6]);
    snprintf(r->train_log, sizeof r->train_log, "%s", v[7]);
    snprintf(r->test_log, sizeof r->test_log, "%s", v[8]);
    snprintf(r->viz_log, sizeof r->viz_log, "%s", v[9]);
    r->mean_return = parse_num(v[10]);
    r->samples_per_s = parse_num(v[11]);
    r->gpu_util_avg = parse_num(v[12]);
    r->gpu_util_min = parse_num(v[13]);
    r->seconds = parse_num(v[14]);
  }
  free(text);
  if (rc) cm_results_free(rs);
  return rc;
}

static void fmt(char *out, size_t cap, double v, const char *f) {
  if (isfinite(v)) snprintf(out, cap, f, v);
  else snprintf(out, cap, "-");
}

void cm_results_print_table(const cm_results *rs, FILE *f) {
  fprintf(f, "| %-40s | %-8s | %-7s | %8s | %12s | %12s | %12s | %8s |\n", "case", "status", "variant", "num_envs",
          "mean_return", "samples/s", "min_avg_util", "seconds");
  fprintf(f, "|%s|\n", "------------------------------------------|----------|---------|----------|--------------|--------------|--------------|---------");
  for (int i = 0; i < rs->n; i++) {
    const cm_case_result *r = &rs->rows[i];
    char mr[32], sps[32], gm[32], sec[32];
    fmt(mr, sizeof mr, r->mean_return, "%.4f");
    fmt(sps, sizeof sps, r->samples_per_s, "%.2f");
    fmt(gm, sizeof gm, r->gpu_util_min, "%.2f");
    fmt(sec, sizeof sec, r->seconds, "%.1f");
    fprintf(f, "| %-40s | %-8s | %-7s | %8ld | %12s | %12s | %12s | %8s |\n", r->case_name, r->status, r->variant,
            r->num_envs, mr, sps, gm, sec);
  }
}

int cm_results_print_acceptance(const cm_results *rs, FILE *f) {
  int ok = 0;
  for (int i = 0; i < rs->n; i++) ok += rs->rows[i].final_ok;
  int all = rs->n > 0 && ok == rs->n;
  fprintf(f, "total= %d ok= %d fail= %d\nall_pass= %s\n", rs->n, ok, rs->n - ok, all ? "True" : "False");
  return all;
}

int cm_cmd_summary(int argc, char **argv) {
  int help = argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"));
  if (argc != 1 || help) {
    fprintf(help ? stdout : stderr, "usage: cmimic summary ROOT   (ROOT: a harness root, or its name under output/train/). No flags.\n");
    return help ? 0 : 2;
  }
  char path[1200];
  cm_err err = {{0}};
  cm_results rs;
  snprintf(path, sizeof path, "%s/best_by_case.tsv", argv[0]);
  if (!cm_file_exists(path)) snprintf(path, sizeof path, "output/train/%s/best_by_case.tsv", argv[0]);
  if (cm_results_read(path, 0, &rs, &err)) {
    fprintf(stderr, "cmimic summary: %s\n", err.msg);
    return 2;
  }
  printf("root %s\n", path);
  cm_results_print_table(&rs, stdout);
  int all = cm_results_print_acceptance(&rs, stdout);
  cm_results_free(&rs);
  return all ? 0 : 1;
}
