#include "harness/runner.h"

/* Paths and failure details are composed into fixed fields; a detail cut short is fine and
 * paths stay far below the field sizes (the root is at most 1 KB). */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/fileio.h"
#include "harness/gpu.h"
#include "io/run_log.h"

static const char *const k_nccl_profile[] = {"NCCL_P2P_DISABLE=1", "NCCL_IB_DISABLE=1", "NCCL_CUMEM_ENABLE=0",
                                             "TORCH_NCCL_ASYNC_ERROR_HANDLING=1", NULL};
static const char *const k_render_profile[] = {"MESA_GL_VERSION_OVERRIDE=3.3", "MESA_GLSL_VERSION_OVERRIDE=330",
                                               "MUJOCO_GL=osmesa", NULL};

/* ---------------- root ---------------- */

int cm_harness_open(cm_harness *h, const char *command, int argc, char **argv, int *status) {
  memset(h, 0, sizeof *h);
  cm_err err = {{0}};
  *status = 2;
  int r = cm_harness_opts_parse(command, argc, argv, &h->o, &err);
  if (r == 1) return (*status = 0), -1;
  if (r || cm_stage_self_exe(h->exe, sizeof h->exe, &err) ||
      cm_cases_discover(h->o.args_dir, h->o.cases, h->o.include_nontrainable, &h->all, &h->sel, &err))
    goto fail;
  char path[1200];
  snprintf(path, sizeof path, "%s/runs", h->o.root);
  if (cm_mkdirs(path, &err)) goto fail;
  snprintf(path, sizeof path, "%s/case_manifest.tsv", h->o.root);
  if (cm_cases_write_manifest(&h->all, &h->sel, path, &err)) goto fail;
  /* resuming keeps the rows of earlier runs; a fresh root starts with every case pending */
  snprintf(path, sizeof path, "%s/best_by_case.tsv", h->o.root);
  if (h->o.resume_skip_ok && cm_results_read(path, 1, &h->results, &err)) goto fail;
  for (int i = 0; i < h->sel.n; i++)
    if (!cm_results_get(&h->results, h->sel.items[i].name)) {
      cm_fail(&err, "out of memory");
      goto fail;
    }
  cm_progress *p = &h->prog;
  snprintf(p->path, sizeof p->path, "%s/progress.json", h->o.root);
  snprintf(p->command, sizeof p->command, "%s", command);
  snprintf(p->root, sizeof p->root, "%s", h->o.root);
  cm_now_iso(p->started, sizeof p->started);
  p->t0 = cm_now_seconds();
  p->total = h->sel.n;
  p->results = &h->results;
  if (cm_results_write(&h->results, path, &err) || cm_progress_write(p, &err)) goto fail;
  h->port_state = (unsigned)time(NULL) ^ ((unsigned)getpid() << 8);
  cm_stage_install_signals();
  printf("cmimic %s: %d case(s) under %s (devices %s%s)\n", command, h->sel.n, h->o.root, h->o.devices[0],
         h->o.num_devices > 1 ? ", ..." : "");
  if (!h->o.viz) printf("cmimic %s: no viz stage (videos): %s\n", command, h->o.viz_off_why);
  fflush(stdout);
  return 0;
fail:
  fprintf(stderr, "cmimic %s: %s\n", command, err.msg);
  cm_cases_free(&h->all);
  cm_cases_free(&h->sel);
  cm_results_free(&h->results);
  return -1;
}

int cm_harness_close(cm_harness *h) {
  cm_err err = {{0}};
  char path[1200];
  int interrupted = cm_stage_interrupted();
  h->prog.finished = !interrupted;
  h->prog.interrupted = interrupted;
  snprintf(path, sizeof path, "%s/best_by_case.tsv", h->o.root);
  int io_fail = cm_results_write(&h->results, path, &err) || cm_progress_write(&h->prog, &err);
  if (io_fail) fprintf(stderr, "cmimic %s: %s\n", h->o.command, err.msg);
  printf("\n");
  cm_results_print_table(&h->results, stdout);
  printf("root %s\n", h->o.root);
  int all = cm_results_print_acceptance(&h->results, stdout);
  if (interrupted) printf("interrupted: re-run with --resume-skip-status ok --root-out %s to continue\n", h->o.root);
  fflush(stdout);
  cm_cases_free(&h->all);
  cm_cases_free(&h->sel);
  cm_results_free(&h->results);
  return interrupted ? 130 : (io_fail || !all) ? 1 : 0;
}

/* ---------------- one case ---------------- */

/* Starts case index i (progress line, attempts loaded). Returns 1 when --resume-skip-status ok
 * skips it (already ok), 0 to run it, -1 on error. */
static int case_begin(cm_harness *h, int i, cm_case_run *x, cm_err *err) {
  memset(x, 0, sizeof *x);
  x->h = h;
  x->c = &h->sel.items[i];
  x->t0 = cm_now_seconds();
  x->res = cm_results_get(&h->results, x->c->name);
  if (!x->res) return cm_fail(err, "out of memory");
  cm_progress *p = &h->prog;
  p->k = i + 1;
  p->cases_left_after_current = h->sel.n - i - 1;
  snprintf(p->case_name, sizeof p->case_name, "%s", x->c->name);
  snprintf(p->stage, sizeof p->stage, "-");
  p->num_envs = 0;
  if (h->o.resume_skip_ok && !strcmp(x->res->status, "ok") && x->res->final_ok) {
    cm_progress_line(p, "already ok, skipped (--resume-skip-status ok)");
    return 1;
  }
  snprintf(x->dir, sizeof x->dir, "%s/runs/%s", h->o.root, x->c->name);
  snprintf(x->attempts_path, sizeof x->attempts_path, "%s/attempts.json", x->dir);
  if (cm_mkdirs(x->dir, err) || cm_attempts_load(x->attempts_path, x->c->name, &x->attempts, err) ||
      cm_attempts_save(&x->attempts, x->attempts_path, err))
    return -1;
  cm_result_init(x->res, x->c->name);
  snprintf(x->res->status, sizeof x->res->status, "running");
  p->case_t0 = x->t0;
  p->case_running = 1;
  return 0;
}

/* Records the result row (status from final_ok / interrupted) and writes best_by_case.tsv and
 * progress.json. */
static int case_end(cm_case_run *x, int final_ok, int interrupted, cm_err *err) {
  cm_harness *h = x->h;
  double secs = cm_now_seconds() - x->t0;
  x->res->final_ok = final_ok;
  x->res->seconds = secs;
  snprintf(x->res->status, sizeof x->res->status, "%s", final_ok ? "ok" : interrupted ? "interrupted" : "fail");
  if (!interrupted) {
    h->prog.case_seconds_sum += secs;
    h->prog.cases_timed++;
  }
  h->prog.case_running = 0;
  snprintf(h->prog.stage, sizeof h->prog.stage, "done");
  char what[64];
  snprintf(what, sizeof what, "case %s in %.1f s", x->res->status, secs);
  cm_progress_line(&h->prog, what);
  char path[1200];
  snprintf(path, sizeof path, "%s/best_by_case.tsv", h->o.root);
  int rc = cm_results_write(&h->results, path, err) || cm_progress_write(&h->prog, err) ? -1 : 0;
  cm_attempts_free(&x->attempts);
  return rc;
}

int cm_harness_run_cases(cm_harness *h, cm_case_fn fn, void *user) {
  cm_err err = {{0}};
  for (int i = 0; i < h->sel.n && !cm_stage_interrupted(); i++) {
    cm_case_run x;
    int b = case_begin(h, i, &x, &err);
    if (b == 1) continue;
    int r = b ? -3 : fn(&x, user, &err);
    if (r == -3 || case_end(&x, r == 1, r == -2, &err)) {
      fprintf(stderr, "cmimic %s: %s\n", h->o.command, err.msg);
      return -1;
    }
  }
  return 0;
}

/* ---------------- one stage ---------------- */

void cm_case_attempt_dir(const cm_case_run *x, const char *variant, long num_envs, int ndev, char *buf, size_t cap) {
  if (ndev > 1) snprintf(buf, cap, "%s/%s_e%ld_d%d", x->dir, variant, num_envs, ndev);
  else snprintf(buf, cap, "%s/%s_e%ld", x->dir, variant, num_envs);
}

static int is_train(const char *stage) { return strstr(stage, "train") != NULL; }

static int count_rows(const char *path) {
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f) return 0;
  int rows = 0, ch;
  while ((ch = fgetc(f)) != EOF) rows += ch == '\r' || ch == '\n';
  fclose(f);
  return rows > 0 ? rows - 1 : 0; /* minus the header */
}

typedef struct status_ctx {
  cm_case_run *x;
  cm_hgpu *gpu;
  const char *watch;
  int last_rows;
} status_ctx;

/* The per-interval line the seeds' reporting template asks for. */
static void on_status(void *user, const cm_stage_live *live) {
  status_ctx *s = user;
  const cm_progress *p = &s->x->h->prog;
  char el[32], gpu[512], eta[48];
  cm_format_duration(live->elapsed, el, sizeof el);
  cm_progress_eta_text(p, cm_now_seconds(), eta, sizeof eta);
  cm_hgpu_now(s->gpu, gpu, sizeof gpu);
  int rows = count_rows(s->watch);
  const char *adv = rows > s->last_rows ? "yes" : live->since_progress < 1.5 * s->x->h->o.status_seconds ? "output growing" : "NO";
  printf("  [status %d/%d] %s phase=%s %s_e%ld | %s | %s | iterations advancing: %s (log rows %d -> %d, idle %.0f s) | "
         "last failure: %s | run ETA %s\n",
         p->k, p->total, p->case_name, p->stage, p->variant, p->num_envs, el, gpu, adv, s->last_rows, rows,
         live->since_progress, p->last_failure[0] ? p->last_failure : "none", eta);
  fflush(stdout);
  s->last_rows = rows;
}

/* "Mean Return: x" and "Episodes: n" from a test log; returns 1 when both are present. */
static int parse_test_metrics(const char *log, double *mean_return) {
  static char tail[65536];
  cm_stage_read_tail(log, tail, sizeof tail);
  const char *m = strstr(tail, "Mean Return");
  const char *e = strstr(tail, "Episodes");
  *mean_return = NAN;
  if (m) {
    const char *colon = strchr(m, ':');
    if (colon) *mean_return = strtod(colon + 1, NULL);
  }
  return m && e;
}

/* "Video: PATH (N frames)" from a viz log. */
static int parse_video(const char *log, char *path, size_t cap, long *frames) {
  static char tail[65536];
  cm_stage_read_tail(log, tail, sizeof tail);
  const char *v = NULL;
  for (const char *p = strstr(tail, "Video: "); p; p = strstr(p + 1, "Video: ")) v = p;
  if (!v) return 0;
  v += 7;
  const char *open = strstr(v, " (");
  const char *eol = strpbrk(v, "\r\n");
  if (!open || (eol && open > eol)) return 0;
  snprintf(path, cap, "%.*s", (int)(open - v), v);
  *frames = strtol(open + 2, NULL, 10);
  return 1;
}

static int find_in_path(const char *prog, char *out, size_t cap) {
  const char *path = getenv("PATH");
  if (!path) return 0;
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    snprintf(out, cap, "%s/%s", d, prog);
    if (access(out, X_OK) == 0) return 1;
  }
  return 0;
}

/* Frame count of the video by ffprobe (a child like any stage); -1 when ffprobe is absent,
 * -2 when it fails, -3 when the harness was interrupted meanwhile (*f says so). */
static long ffprobe_frames(cm_case_run *x, const char *video, const char *attempt_dir, cm_failure *f, cm_err *err) {
  char exe[1100], log[1200];
  if (!find_in_path("ffprobe", exe, sizeof exe)) return -1;
  snprintf(log, sizeof log, "%s/viz_ffprobe.log", attempt_dir);
  cm_stage_spec s = {.name = "ffprobe", .log_path = log, .max_seconds = 120, .kill_grace = 2};
  const char *args[] = {exe, "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                        "stream=nb_read_frames", "-of", "csv=p=0", video, NULL};
  for (int i = 0; args[i]; i++) cm_stage_arg(&s, args[i]);
  cm_stage_result r;
  if (cm_stage_run(&s, &r, err)) return -2;
  (void)x;
  if (r.failure.cls == CM_FAIL_INTERRUPTED) {
    *f = r.failure; /* the viz attempt was interrupted, not failed: a resume redoes it */
    return -3;
  }
  if (!r.exited || r.exit_code) return -2;
  char tail[4096];
  cm_stage_read_tail(log, tail, sizeof tail);
  /* the answer is the first line after the header */
  for (char *line = tail; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (*line >= '0' && *line <= '9') return strtol(line, NULL, 10);
  return -2;
}

static void set_check_failure(cm_failure *f, const char *fmt, const char *a) {
  f->cls = CM_FAIL_CHECK;
  snprintf(f->detail, sizeof f->detail, fmt, a);
}

/* The pass conditions of the seeds per stage, applied after a clean exit. */
static void check_stage(cm_case_run *x, const cm_stage_req *rq, cm_stage_out *out, cm_err *err) {
  cm_failure *f = &out->failure;
  char p[1200];
  if (f->cls != CM_FAIL_NONE) return;
  if (is_train(rq->stage)) {
    snprintf(p, sizeof p, "%s/model.pt", out->out_dir);
    if (!cm_file_exists(p)) { set_check_failure(f, "no model.pt in %s", out->out_dir); return; }
    snprintf(p, sizeof p, "%s/log.txt", out->out_dir);
    if (!cm_file_exists(p)) { set_check_failure(f, "no log.txt in %s", out->out_dir); return; }
    out->at.samples_per_s = cm_run_log_samples_per_s(p);
    return;
  }
  if (!parse_test_metrics(out->log, &out->at.mean_return))
    { set_check_failure(f, "%s does not print 'Mean Return' and 'Episodes'", out->log); return; }
  if (strcmp(rq->stage, "viz")) return;
  char video[1024];
  long frames = 0;
  if (!parse_video(out->log, video, sizeof video, &frames)) { set_check_failure(f, "%s names no 'Video: PATH (N frames)'", out->log); return; }
  if (frames < 1 || !cm_file_exists(video)) { set_check_failure(f, "video %s missing or without frames", video); return; }
  long probed = ffprobe_frames(x, video, out->attempt_dir, f, err);
  if (probed == -3) return;
  if (probed == -2) { set_check_failure(f, "ffprobe cannot read %s", video); return; }
  if (probed >= 0 && probed != frames) {
    f->cls = CM_FAIL_CHECK;
    snprintf(f->detail, sizeof f->detail, "ffprobe counts %ld frames in %s, cmimic printed %ld", probed, video, frames);
  }
}

static int next_port(cm_harness *h) {
  h->port_state = h->port_state * 1103515245u + 12345u;
  return 20000 + (int)((h->port_state >> 8) % 25000u);
}

int cm_case_stage(cm_case_run *x, const cm_stage_req *rq, cm_stage_out *out, cm_err *err) {
  cm_harness *h = x->h;
  const cm_harness_opts *o = &h->o;
  const cm_case *c = x->c;
  memset(out, 0, sizeof *out);
  int train = is_train(rq->stage), viz = !strcmp(rq->stage, "viz");
  int ndev = train && !x->one_device ? o->num_devices : 1;
  cm_case_attempt_dir(x, rq->variant, rq->num_envs, ndev, out->attempt_dir, sizeof out->attempt_dir);
  if (cm_mkdirs(out->attempt_dir, err)) return -1;
  snprintf(out->log, sizeof out->log, "%s/%s.log", out->attempt_dir, rq->stage);
  if (train) snprintf(out->out_dir, sizeof out->out_dir, "%s/%s", out->attempt_dir, rq->stage);

  /* argument strings live here for the child's argv */
  char num[8][64], video[1200], watch[1200], gpu_tsv[1200];
  cm_stage_spec s = {.name = rq->stage, .log_path = out->log, .max_seconds = rq->max_seconds,
                     .stall_seconds = o->stall_seconds, .kill_grace = o->kill_grace, .status_seconds = o->status_seconds};
  const char *base[] = {h->exe, "run", "--arg_file", c->path, "--mode", train ? "train" : "test", "--visualize", "false", NULL};
  for (int i = 0; base[i]; i++) cm_stage_arg(&s, base[i]);
  snprintf(num[0], sizeof num[0], "%ld", train ? rq->num_envs : 1L);
  cm_stage_arg(&s, "--num_envs");
  cm_stage_arg(&s, num[0]);
  if (o->engine_config[0]) {
    cm_stage_arg(&s, "--engine_config");
    cm_stage_arg(&s, o->engine_config);
  }
  if (c->trainable && strcmp(rq->variant, "base") && c->variant_agent[0]) {
    cm_stage_arg(&s, "--agent_config");
    cm_stage_arg(&s, c->variant_agent);
  }
  cm_stage_arg(&s, "--devices");
  for (int d = 0; d < ndev; d++) cm_stage_arg(&s, o->devices[d]);
  int multi = ndev > 1;
  if (multi) {
    out->at.port = next_port(h);
    snprintf(num[1], sizeof num[1], "%d", out->at.port);
    cm_stage_arg(&s, "--master_port");
    cm_stage_arg(&s, num[1]);
    /* the seeds' NCCL environment, only where asked (--nccl-profile) */
    for (int i = 0; o->nccl_profile && k_nccl_profile[i]; i++) cm_stage_env(&s, k_nccl_profile[i]);
  }
  if (o->num_threads > 0) {
    snprintf(num[2], sizeof num[2], "%ld", o->num_threads);
    cm_stage_arg(&s, "--num_threads");
    cm_stage_arg(&s, num[2]);
  }
  if (train) {
    cm_stage_arg(&s, rq->resume ? "--resume" : "--out_dir");
    cm_stage_arg(&s, out->out_dir);
    snprintf(num[3], sizeof num[3], "%ld", rq->max_samples);
    cm_stage_arg(&s, "--max_samples");
    cm_stage_arg(&s, num[3]);
    snprintf(watch, sizeof watch, "%s/log.txt", out->out_dir);
    s.watch_path = watch;
  } else {
    if (rq->model_file) {
      cm_stage_arg(&s, "--model_file");
      cm_stage_arg(&s, rq->model_file);
    }
    snprintf(num[4], sizeof num[4], "%ld", viz ? 1L : o->test_episodes);
    cm_stage_arg(&s, "--test_episodes");
    cm_stage_arg(&s, num[4]);
  }
  /* test and viz print nothing until their episodes end (rendering can take minutes): there a
   * child burning CPU is alive; training must show iteration progress in its logs */
  s.cpu_is_progress = !train;
  if (viz) {
    snprintf(video, sizeof video, "%s/viz.mp4", out->attempt_dir);
    cm_stage_arg(&s, "--video");
    cm_stage_arg(&s, video);
    if (o->viz_width > 0) {
      snprintf(num[5], sizeof num[5], "%ld", o->viz_width);
      cm_stage_arg(&s, "--video_width");
      cm_stage_arg(&s, num[5]);
    }
    if (o->viz_height > 0) {
      snprintf(num[6], sizeof num[6], "%ld", o->viz_height);
      cm_stage_arg(&s, "--video_height");
      cm_stage_arg(&s, num[6]);
    }
    for (int i = 0; k_render_profile[i]; i++) cm_stage_env(&s, k_render_profile[i]);
  }

  /* the attempt is on record before it starts: a harness killed now leaves "running" */
  cm_attempt_init(&out->at, rq->stage, rq->variant, train ? rq->num_envs : 1);
  if (multi) out->at.port = atoi(num[1]);
  for (int d = 0, k = 0; d < ndev && k < (int)sizeof out->at.devices - 1; d++)
    k += snprintf(out->at.devices + k, sizeof out->at.devices - (size_t)k, "%s%s", d ? "," : "", o->devices[d]);
  snprintf(out->at.log, sizeof out->at.log, "%s", out->log);
  snprintf(out->at.out_dir, sizeof out->at.out_dir, "%s", train ? out->out_dir : out->attempt_dir);
  int idx = cm_attempts_add(&x->attempts, &out->at);
  cm_progress *p = &h->prog;
  snprintf(p->stage, sizeof p->stage, "%s", rq->stage);
  snprintf(p->variant, sizeof p->variant, "%s", rq->variant);
  p->num_envs = rq->num_envs;
  if (idx < 0) return cm_fail(err, "out of memory");
  if (cm_attempts_save(&x->attempts, x->attempts_path, err) || cm_progress_write(p, err)) return -1;
  cm_progress_line(p, "start");

  status_ctx st = {.x = x, .watch = s.watch_path};
  cm_err gerr = {{0}};
  if (train) {
    snprintf(gpu_tsv, sizeof gpu_tsv, "%s/%s.tsv", out->attempt_dir,
             (!strcmp(rq->stage, "probe_train") || !strcmp(rq->stage, "bootstrap_train")) ? "gpu_probe" : "gpu");
    if (cm_hgpu_start(o->gpu_hz, gpu_tsv, &st.gpu, &gerr)) fprintf(stderr, "harness: gpu monitor: %s\n", gerr.msg);
  }
  s.on_status = on_status;
  s.user = &st;
  cm_stage_result r;
  int rc = cm_stage_run(&s, &r, err);
  cm_hgpu_stop(st.gpu, &out->at.gpu_util_avg, &out->at.gpu_util_min);
  if (rc) {
    r.failure.cls = CM_FAIL_ERROR;
    snprintf(r.failure.detail, sizeof r.failure.detail, "%s", err->msg);
    r.exit_code = -1;
  }
  out->failure = r.failure;
  if (!rc) check_stage(x, rq, out, err);

  cm_attempt *at = &out->at;
  at->seconds = r.seconds;
  at->exit_code = r.exit_code;
  at->signal = r.sig;
  cm_now_iso(at->finished, sizeof at->finished);
  int passed = out->failure.cls == CM_FAIL_NONE;
  snprintf(at->status, sizeof at->status, "%s",
           passed ? "ok" : out->failure.cls == CM_FAIL_INTERRUPTED ? "interrupted" : "fail");
  snprintf(at->failure, sizeof at->failure, "%s", passed ? "" : cm_fail_class_name(out->failure.cls));
  snprintf(at->detail, sizeof at->detail, "%s", out->failure.detail);
  x->attempts.items[idx] = *at;
  if (!passed && out->failure.cls != CM_FAIL_INTERRUPTED)
    snprintf(p->last_failure, sizeof p->last_failure, "%s %s@e%ld: %.200s%s", c->name, cm_fail_class_name(out->failure.cls),
             rq->num_envs, out->failure.detail, strlen(out->failure.detail) > 200 ? "..." : "");
  char what[400];
  snprintf(what, sizeof what, "%s %.1f s%s%s", passed ? "ok" : cm_fail_class_name(out->failure.cls), r.seconds,
           passed ? "" : " - ", passed ? "" : out->failure.detail);
  cm_progress_line(p, what);
  if (cm_attempts_save(&x->attempts, x->attempts_path, err) || cm_progress_write(p, err)) return -1;
  return 0;
}

/* ---------------- ladders ---------------- */

const cm_ladder *cm_case_ladder(const cm_harness *h, const cm_case *c) {
  if (!c->trainable) return &h->o.nontrainable_ladder;
  if (c->amp_pi_plus) return &h->o.amp_pi_plus_ladder;
  if (c->pi_plus) return &h->o.pi_plus_ladder;
  return &h->o.default_ladder;
}

int cm_case_train_ladder(cm_case_run *x, const char *stage, long max_samples, int from, cm_stage_out *out, cm_err *err) {
  const cm_ladder *l = cm_case_ladder(x->h, x->c);
  int port_retries = 0;
  for (int rung = from; rung < l->n;) {
    if (cm_stage_interrupted()) return -2;
    cm_stage_req rq = {.stage = stage, .variant = x->c->trainable ? x->c->variant : "base", .num_envs = l->v[rung],
                       .max_samples = max_samples, .max_seconds = x->h->o.max_seconds};
    if (cm_case_stage(x, &rq, out, err)) return -3;
    int multi = x->h->o.num_devices > 1 && !x->one_device;
    switch (cm_ladder_next_devices(&out->failure, rung, l->n, port_retries, x->h->o.port_retries, multi)) {
      case CM_LADDER_ONE_DEVICE: x->one_device = 1; port_retries = 0; break; /* the same rung on one device */
      case CM_LADDER_ONE_DEVICE_TOP: x->one_device = 1; port_retries = 0; rung = from; break;
      case CM_LADDER_PASS: return rung;
      case CM_LADDER_RETRY_RUNG: port_retries++; break;
      case CM_LADDER_STEP_DOWN: port_retries = 0; rung++; break;
      case CM_LADDER_STOP: return out->failure.cls == CM_FAIL_INTERRUPTED ? -2 : -1;
    }
  }
  return -1;
}

double cm_run_log_samples_per_s(const char *log_txt) {
  cm_log_table t = {0};
  cm_err err;
  if (cm_log_read(log_txt, &t, &err)) return NAN;
  int s = cm_log_table_find(&t, "Samples"), w = cm_log_table_find(&t, "Wall_Time");
  double v = NAN;
  if (s >= 0 && w >= 0 && t.num_rows > 0) {
    int last = t.num_rows - 1;
    double ds = t.cols[s][last] - t.cols[s][0], dw = (t.cols[w][last] - t.cols[w][0]) * 3600.0;
    if (t.num_rows >= 2 && dw > 0) v = ds / dw; /* steady state: after the first row's start-up */
    else if (t.cols[w][last] > 0) v = t.cols[s][last] / (t.cols[w][last] * 3600.0);
  }
  cm_log_table_free(&t);
  return v;
}
