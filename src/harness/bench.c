/* cmimic bench (MimicKit's run_case_gpu_bench.py): per trainable case and per ladder rung a
 * bounded training run (--iter-target iterations, --max-seconds), its samples/s from log.txt
 * and the GPU utilisation (average and minimum of the per-GPU averages); the best passing rung
 * (most samples/s) is the case's row. Prints the seeds' table and the success ratio. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"
#include "harness/harness_cmds.h"
#include "harness/runner.h"

typedef struct rung_row {
  char case_name[256], variant[32], status[16], failure[16];
  long num_envs;
  double samples_per_s, util_avg, util_min, seconds;
} rung_row;

typedef struct rung_rows {
  rung_row *items;
  int n;
} rung_rows;

static void fmt(char *out, size_t cap, double v) {
  if (isfinite(v)) snprintf(out, cap, "%.2f", v);
  else out[0] = 0;
}

/* bench_rungs.tsv: every rung measured, for comparing scales. */
static int write_rungs(const cm_harness *h, const rung_rows *rows, cm_err *err) {
  size_t cap = 512 + (size_t)rows->n * 512, used = 0;
  char *buf = malloc(cap), path[1200];
  if (!buf) return cm_fail(err, "out of memory");
  used += (size_t)snprintf(buf, cap, "case\tvariant\tnum_envs\tstatus\tfailure\tsamples_per_s\tgpu_util_avg\tgpu_util_min\tseconds\n");
  for (int i = 0; i < rows->n; i++) {
    const rung_row *r = &rows->items[i];
    char sps[32], ua[32], um[32], sec[32];
    fmt(sps, sizeof sps, r->samples_per_s);
    fmt(ua, sizeof ua, r->util_avg);
    fmt(um, sizeof um, r->util_min);
    fmt(sec, sizeof sec, r->seconds);
    used += (size_t)snprintf(buf + used, cap - used, "%s\t%s\t%ld\t%s\t%s\t%s\t%s\t%s\t%s\n", r->case_name, r->variant,
                             r->num_envs, r->status, r->failure, sps, ua, um, sec);
  }
  snprintf(path, sizeof path, "%s/bench_rungs.tsv", h->o.root);
  int rc = cm_write_file_atomic(path, buf, used, err);
  free(buf);
  return rc;
}

/* Runs every rung (or up to the first pass with --first-pass); returns 1 when one passed, 0
 * when none did, -2 interrupted, -3 harness error. */
static int bench_case(cm_case_run *x, void *user, cm_err *err) {
  rung_rows *rows = user;
  const cm_harness_opts *o = &x->h->o;
  const cm_ladder *l = cm_case_ladder(x->h, x->c);
  int best = -1;
  double best_sps = -1;
  for (int rung = 0; rung < l->n; rung++) {
    if (cm_stage_interrupted()) return -2;
    long n = l->v[rung];
    cm_stage_req rq = {.stage = "train", .variant = x->c->variant, .num_envs = n,
                       .max_samples = o->iter_target * n * x->c->steps_per_iter, .max_seconds = o->max_seconds};
    cm_stage_out out;
    if (cm_case_stage(x, &rq, &out, err)) return -3;
    if (out.failure.cls == CM_FAIL_INTERRUPTED) return -2;
    rung_row *grown = realloc(rows->items, sizeof *grown * (size_t)(rows->n + 1));
    if (!grown) return cm_fail(err, "out of memory"), -3;
    rows->items = grown;
    rung_row *r = &rows->items[rows->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->case_name, sizeof r->case_name, "%s", x->c->name);
    snprintf(r->variant, sizeof r->variant, "%s", out.at.variant);
    snprintf(r->status, sizeof r->status, "%s", out.at.status);
    snprintf(r->failure, sizeof r->failure, "%s", out.at.failure);
    r->num_envs = n;
    r->samples_per_s = out.at.samples_per_s;
    r->util_avg = out.at.gpu_util_avg;
    r->util_min = out.at.gpu_util_min;
    r->seconds = out.at.seconds;
    if (write_rungs(x->h, rows, err)) return -3;
    int pass = out.failure.cls == CM_FAIL_NONE && isfinite(out.at.samples_per_s);
    if (pass && out.at.samples_per_s > best_sps) {
      best = rung;
      best_sps = out.at.samples_per_s;
      cm_case_record_train(x, &out, n);
    }
    if (pass && o->bench_first_pass) break;
  }
  if (best < 0) {
    snprintf(x->res->variant, sizeof x->res->variant, "%s", x->c->variant);
    return 0;
  }
  return 1;
}

static void print_bench_table(const cm_harness *h) {
  printf("\n| case | variant | num_envs | min_avg_util | samples/s |\n|---|---|---:|---:|---:|\n");
  int ok = 0;
  for (int i = 0; i < h->results.n; i++) {
    const cm_case_result *r = &h->results.rows[i];
    char um[32], sps[32];
    fmt(um, sizeof um, r->gpu_util_min);
    fmt(sps, sizeof sps, r->samples_per_s);
    if (r->final_ok) ok++;
    printf("| `%s` | `%s` | `%ld` | `%s` | `%s` |\n", r->case_name, r->variant, r->num_envs, um[0] ? um : "-",
           sps[0] ? sps : "-");
  }
  printf("success ratio: %d/%d (%.0f%%)\n", ok, h->results.n, h->results.n ? 100.0 * ok / h->results.n : 0.0);
}

int cm_cmd_bench(int argc, char **argv) {
  cm_harness h;
  int status;
  if (cm_harness_open(&h, "bench", argc, argv, &status)) return status;
  rung_rows rows = {0};
  int failed = cm_harness_run_cases(&h, bench_case, &rows);
  free(rows.items);
  if (failed) {
    cm_harness_close(&h);
    return 1;
  }
  print_bench_table(&h);
  return cm_harness_close(&h);
}
