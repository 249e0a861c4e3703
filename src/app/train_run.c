#include "app/train_run.h"

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "core/fault.h"
#include "core/fileio.h"
#include "core/clock.h"
#include "io/config.h"
#include "io/run_log.h"
#include "io/tb_logger.h"
#include "io/torch_ckpt.h"
#include "learn/agent.h"
#include "learn/normalizer.h"
#include "learn/trainer.h"

static volatile sig_atomic_t g_interrupted = 0;
static void on_sigint(int sig) {
  (void)sig;
  g_interrupted = 1;
}

typedef struct run_ctx {
  const cm_train_run *tr;
  cm_log *log;
  cm_tb *tb; /* --logger tb: the TensorBoard events beside log.txt */
  int rows_lost; /* log rows that could not be written since the last one that could */
  char model_path[1100], resume_path[1100];
  double t0;  /* when this process started training, and the sample count then (for the ETA) */
  int64_t s0;
} run_ctx;

static void format_eta(double s, char *buf, size_t n) {
  long t = (long)(s + 0.5);
  if (t < 60) snprintf(buf, n, "%lds", t);
  else if (t < 3600) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
  else snprintf(buf, n, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

/* The console table; under --max_samples with two more rows, Progress (percent of max_samples)
 * and ETA (the samples left at this process's rate so far). */
static void print_table(run_ctx *c, int64_t samples) {
  if (c->tr->max_samples == INT64_MAX) {
    cm_log_print_table(c->log, stdout);
    return;
  }
  char pct[32], eta[32] = "-";
  double frac = (double)samples / (double)c->tr->max_samples, dt = cm_now_seconds() - c->t0;
  snprintf(pct, sizeof pct, "%.1f%%", 100.0 * (frac < 1 ? frac : 1));
  if (samples >= c->tr->max_samples) snprintf(eta, sizeof eta, "done");
  else if (samples > c->s0 && dt > 0)
    format_eta((double)(c->tr->max_samples - samples) * dt / (double)(samples - c->s0), eta, sizeof eta);
  const char *keys[2] = {"Progress", "ETA"}, *vals[2] = {pct, eta};
  cm_log_print_table_ex(c->log, stdout, 2, keys, vals);
}

/* A log row the disk refuses (full, I/O error) costs only that row: training goes on and says
 * so once per run of failures, then once when rows are written again. Other errors stop it. */
static int write_row_or_warn(cm_log *log, int *rows_lost, cm_err *err) {
  int rc = cm_log_write_row(log, err);
  if (rc == CM_LOG_IO_ERROR) {
    if ((*rows_lost)++ == 0) fprintf(stderr, "warning: %s; training continues without log rows\n", err->msg);
    return 0;
  }
  if (rc) return -1;
  if (*rows_lost) fprintf(stderr, "log rows are written again (%d rows were lost)\n", *rows_lost);
  *rows_lost = 0;
  return 0;
}

/* One log.txt row and the same values as one TensorBoard event, flushed together. */
static int write_row(run_ctx *c, cm_err *err) {
  if (write_row_or_warn(c->log, &c->rows_lost, err)) return -1;
  return c->tb ? cm_tb_write_log_row(c->tb, c->log, err) : 0;
}

static int open_logs(run_ctx *c, const char *log_path, int append, cm_err *err) {
  if (cm_log_open(log_path, append, &c->log, err)) return -1;
  if (!c->tr->logger || strcmp(c->tr->logger, "tb")) return 0;
  if (cm_tb_open(c->tr->out_dir, &c->tb, err)) return -1;
  printf("TensorBoard events: %s\n", cm_tb_path(c->tb));
  return 0;
}

/* --save_int_models: MimicKit keeps every output iteration's model as int_models/model_<iter>.pt. */
static int save_int_model(run_ctx *c, cm_agent *a, int64_t iter, cm_err *err) {
  char dir[1100], path[1200];
  snprintf(dir, sizeof dir, "%s/int_models", c->tr->out_dir);
  snprintf(path, sizeof path, "%s/model_%010lld.pt", dir, (long long)iter);
  return cm_mkdirs(dir, err) || cm_agent_save(a, path, 0, err) ? -1 : 0;
}

/* model.pt is what MimicKit loads (model only); resume.pt adds optimiser state and counters. */
static int save_checkpoint(run_ctx *c, cm_agent *a, cm_err *err) {
  if (cm_agent_save(a, c->model_path, 0, err) || cm_agent_save(a, c->resume_path, 1, err)) return -1;
  return 0;
}

static unsigned column_flags(const char *key) {
  if (!strcmp(key, "Iteration") || !strcmp(key, "Samples")) return CM_LOG_INT;
  if (strstr(key, "_Episodes")) return CM_LOG_INT | CM_LOG_QUIET;
  if (!strcmp(key, "Test_Episode_Length") || !strncmp(key, "Obs_Norm", 8)) return CM_LOG_QUIET;
  return 0;
}

static int on_iteration(cm_agent *a, const cm_iter_info *info, void *user, cm_err *err) {
  run_ctx *c = user;
  /* a hung run (fault injection) blocks here, before logging, until a signal ends it below */
  cm_fault_after_iteration((long)info->iter + 1, a->num_envs, &g_interrupted);
  /* every rank stops at the same iteration, whichever of them was signalled first */
  int64_t stop = g_interrupted != 0;
  if (cm_comm_allreduce_i64(a->comm, &stop, 1, "the stop flag", err)) return -1;
  if (stop) g_interrupted = 1;
  if (!cm_comm_is_root(a->comm)) /* rank 0 writes the log and the checkpoints */
    return g_interrupted ? cm_fail(err, "interrupted at iteration %lld", (long long)info->iter) : 0;
  /* the console table every iteration, as MimicKit's print_log (Test_Return is the last output
   * iteration's test until the next), so a run shows its progress and ETA between outputs */
  for (int i = 0; i < info->cols.count; i++)
    if (cm_log_set_ex(c->log, info->cols.keys[i], info->cols.values[i], column_flags(info->cols.keys[i]), err))
      return -1;
  print_table(c, info->samples);
  fflush(stdout);
  /* log.txt rows and checkpoints at output iterations; an interrupted run also logs where it
   * stopped, so the log matches the checkpoint */
  if (info->output || g_interrupted) {
    if (write_row(c, err)) return -1;
    /* A checkpoint that cannot be written stops the run: training on would only lose more. */
    if (save_checkpoint(c, a, err))
      return cm_wrap(err, "stopping: checkpoint not saved, the previous model.pt and resume.pt are kept");
    if (info->output && c->tr->save_int_models && save_int_model(c, a, info->iter, err)) return -1;
  }
  if (g_interrupted) {
    return cm_fail(err, "interrupted at iteration %lld (%lld samples); checkpoint saved to %s",
                   (long long)info->iter, (long long)info->samples, c->resume_path);
  }
  return 0;
}

/* config.yaml: the resolved engine, env and agent configs and the flags, for the record. The
 * agent's is the tree it was built from (the preset laid over the yaml, batch_size resolved). */
static int write_config(const cm_train_run *tr, const char *path, cm_err *err) {
  cm_cfg *root = cm_cfg_new_map("config.yaml"), *part = NULL;
  int rc = -1;
  const char *files[3][2] = {{"engine_config", tr->engine_file}, {"env_config", tr->env_file}, {"agent_config", tr->agent_file}};
  for (int i = 0; i < 3; i++) {
    if (!files[i][1]) continue;
    if (i == 2 && tr->agent_cfg) {
      if (!(part = cm_cfg_clone(tr->agent_cfg))) {
        cm_fail(err, "%s: out of memory", path);
        goto done;
      }
    } else if (cm_cfg_load(files[i][1], &part, err)) {
      goto done;
    }
    if (cm_cfg_set_node(root, files[i][0], part, err)) { /* it owns part either way */
      part = NULL;
      goto done;
    }
    part = NULL;
  }
  for (int i = 0; i < tr->args->n; i++) {
    char key[300];
    const cm_arg *arg = &tr->args->items[i];
    snprintf(key, sizeof key, "args.%s", arg->key);
    if (cm_cfg_set(root, key, arg->nvals > 0 ? arg->vals[0] : "", "command line", err)) goto done;
  }
  rc = cm_cfg_save(root, path, err);
done:
  cm_cfg_free(part);
  cm_cfg_free(root);
  return rc;
}

/* batch_size: auto is said on the console and recorded resolved in config.yaml. */
static int resolve_auto_batch(cm_cfg *acfg, const cm_agent *a, cm_err *err) {
  const cm_cfg *n = acfg ? cm_cfg_get(acfg, "batch_size") : NULL;
  if (!n || n->kind != CM_CFG_SCALAR || strcmp(n->str, "auto")) return 0;
  char v[32];
  snprintf(v, sizeof v, "%d", a->cfg.batch_size);
  int per_epoch = (a->cfg.steps_per_iter + a->cfg.batch_size - 1) / a->cfg.batch_size;
  printf("batch_size auto: %d steps of all envs (%d samples per mini-batch, %d mini-batch%s per epoch)\n",
         a->cfg.batch_size, a->cfg.batch_size * a->num_envs, per_epoch, per_epoch == 1 ? "" : "es");
  return cm_cfg_set(acfg, "batch_size", v, "batch_size: auto", err);
}

/* MimicKit's run.py copies the three config files into the output folder as given. */
static int copy_configs(const cm_train_run *tr, cm_err *err) {
  const char *files[3][2] = {{"engine_config.yaml", tr->engine_file}, {"env_config.yaml", tr->env_file},
                             {"agent_config.yaml", tr->agent_file}};
  for (int i = 0; i < 3; i++) {
    if (!files[i][1]) continue;
    char path[1100], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", tr->out_dir, files[i][0]);
    int rc = cm_read_file(files[i][1], &data, &len, err) || cm_write_file_atomic(path, data, len, err);
    free(data);
    if (rc) return -1;
  }
  return 0;
}

/* MimicKit's DummyAgent "training" for cases without an agent (view_motion, dof_test): zero
 * actions in iterations of 32 steps until max_samples, a log row per iteration, and a model.pt
 * holding the observation normalizer the run measured (the DummyAgent's whole state dict). */
#define DUMMY_STEPS_PER_ITER 32
static int train_dummy(run_ctx *c, cm_rl_env *rl, cm_err *err) {
  const cm_train_run *tr = c->tr;
  const char *model_path = c->model_path;
  cm_log *log = c->log;
  if (tr->max_samples == INT64_MAX) return cm_fail(err, "training without an agent_config needs --max_samples");
  int N = rl->num_envs, D = rl->obs_dim, rc = -1;
  size_t no = (size_t)N * D;
  float *obs = calloc(no + 1, sizeof(float)), *next_obs = calloc(no + 1, sizeof(float));
  float *act = calloc((size_t)N * rl->act_dim + 1, sizeof(float)), *rew = calloc((size_t)N, sizeof(float));
  uint8_t *done = calloc((size_t)N, 1);
  double *ret = calloc((size_t)N, sizeof(double)), t0 = cm_now_seconds();
  c->t0 = t0;
  cm_normalizer norm = {0};
  cm_state_dict sd;
  cm_sd_init(&sd);
  long samples = 0;
  if (cm_norm_create(&norm, cm_dev_cpu(), "_obs_norm", D, 10.f, 1e-4f, INFINITY, err) || rl->reset(rl->ctx, obs, err))
    goto done;
  for (long iter = 0; samples < tr->max_samples; iter++) {
    double ret_sum = 0, eps = 0;
    for (int s = 0; s < DUMMY_STEPS_PER_ITER && samples < tr->max_samples; s++) {
      cm_norm_record(&norm, obs, N);
      if (rl->step(rl->ctx, act, next_obs, obs, rew, done, err)) goto done;
      samples += N;
      for (int i = 0; i < N; i++) {
        ret[i] += rew[i];
        if (done[i]) { ret_sum += ret[i]; eps++; ret[i] = 0; }
      }
    }
    if (cm_norm_update(&norm, err)) goto done;
    if (cm_log_set_ex(log, "Iteration", (double)iter, CM_LOG_INT, err) ||
        cm_log_set(log, "Wall_Time", (cm_now_seconds() - t0) / 3600.0, err) ||
        cm_log_set_ex(log, "Samples", (double)samples, CM_LOG_INT, err) ||
        cm_log_set(log, "Train_Return", eps > 0 ? ret_sum / eps : 0.0, err) ||
        cm_log_set_ex(log, "Train_Episodes", eps, CM_LOG_INT | CM_LOG_QUIET, err) || write_row(c, err))
      goto done;
    print_table(c, samples);
  }
  float *mean = malloc(sizeof(float) * (size_t)D), *std = malloc(sizeof(float) * (size_t)D);
  cm_norm_get(&norm, mean, std);
  int64_t one = 1, dim = D, count = norm.count;
  rc = (cm_sd_add_i64(&sd, "_obs_norm._count", 1, &one, &count, err) || cm_sd_add(&sd, "_obs_norm._mean", 1, &dim, mean, err) ||
        cm_sd_add(&sd, "_obs_norm._std", 1, &dim, std, err) || cm_torch_save(model_path, &sd, err)) ? -1 : 0;
  free(mean);
  free(std);
  if (!rc) printf("Saved model to %s\n", model_path);
done:
  cm_sd_free(&sd);
  cm_norm_destroy(&norm);
  free(obs); free(next_obs); free(act); free(rew); free(done); free(ret);
  return rc;
}

int cm_train_run_main(const cm_train_run *tr, cm_rl_env *rl, cm_err *err) {
  run_ctx c = {.tr = tr};
  char log_path[1100], cfg_path[1100];
  snprintf(c.model_path, sizeof c.model_path, "%s/model.pt", tr->out_dir);
  snprintf(c.resume_path, sizeof c.resume_path, "%s/resume.pt", tr->out_dir);
  snprintf(log_path, sizeof log_path, "%s/log.txt", tr->out_dir);
  snprintf(cfg_path, sizeof cfg_path, "%s/config.yaml", tr->out_dir);
  int root = cm_comm_is_root(cm_comm_world());
  if (root && cm_mkdirs(tr->out_dir, err)) return -1;
  if (!tr->agent_file) {
    if (!root || cm_comm_world()->size > 1)
      return cm_fail(err, "training without an agent_config runs in one process (pass one --devices entry)");
    int r = write_config(tr, cfg_path, err) || copy_configs(tr, err) || open_logs(&c, log_path, 0, err) ? -1
            : train_dummy(&c, rl, err);
    cm_log_close(c.log);
    cm_tb_close(c.tb);
    return r;
  }
  cm_agent *a = NULL;
  cm_cfg *own = NULL, *acfg = tr->agent_cfg;
  int rc = -1;
  if (!acfg && cm_cfg_load(tr->agent_file, &own, err)) return -1;
  if (!acfg) acfg = own;
  if (cm_agent_create(acfg, rl, tr->dev, tr->seed, &a, err) || resolve_auto_batch(tr->agent_cfg, a, err)) goto done;
  if (tr->resume) {
    const char *from = cm_file_exists(c.resume_path) ? c.resume_path : c.model_path;
    if (cm_agent_load(a, from, err)) goto done;
    if (cm_comm_is_root(cm_comm_world())) printf("Resuming from %s\n", from);
  } else if (tr->model_file && cm_agent_load(a, tr->model_file, err)) {
    goto done;
  }
  if (root && (write_config(tr, cfg_path, err) || copy_configs(tr, err) || open_logs(&c, log_path, tr->resume, err)))
    goto done;
  if (root) printf("Logging data to %s\n", log_path);
  g_interrupted = 0;
  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  c.t0 = cm_now_seconds();
  c.s0 = (int64_t)a->buf.total_samples;
  cm_comm_started(a->comm); /* from here on a rank late by --dist_timeout is named */
  cm_train_opts opts = {.max_samples = tr->max_samples, .resume = tr->resume, .callback = on_iteration, .user = &c};
  rc = cm_train(a, &opts, err);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  if (rc && g_interrupted) rc = CM_TRAIN_INTERRUPTED;
  if (!rc && root) printf("Saved model to %s\n", c.model_path);
done:
  cm_log_close(c.log);
  cm_tb_close(c.tb);
  cm_agent_destroy(a);
  cm_cfg_free(own);
  return rc;
}
