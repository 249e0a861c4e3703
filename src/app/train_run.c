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
  int rows_lost; /* log rows that could not be written since the last one that could */
  char model_path[1100], resume_path[1100];
} run_ctx;

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
  /* an interrupted run also logs where it stopped, so the log matches the checkpoint */
  if (info->output || g_interrupted) {
    for (int i = 0; i < info->cols.count; i++)
      if (cm_log_set_ex(c->log, info->cols.keys[i], info->cols.values[i], column_flags(info->cols.keys[i]), err))
        return -1;
    cm_log_print_table(c->log, stdout);
    fflush(stdout);
    if (write_row_or_warn(c->log, &c->rows_lost, err)) return -1;
    /* A checkpoint that cannot be written stops the run: training on would only lose more. */
    if (save_checkpoint(c, a, err))
      return cm_wrap(err, "stopping: checkpoint not saved, the previous model.pt and resume.pt are kept");
  }
  if (g_interrupted) {
    return cm_fail(err, "interrupted at iteration %lld (%lld samples); checkpoint saved to %s",
                   (long long)info->iter, (long long)info->samples, c->resume_path);
  }
  return 0;
}

/* config.yaml: the resolved engine, env and agent configs and the flags, for the record. */
static int write_config(const cm_train_run *tr, const char *path, cm_err *err) {
  cm_cfg *root = cm_cfg_new_map("config.yaml"), *part = NULL;
  int rc = -1;
  const char *files[3][2] = {{"engine_config", tr->engine_file}, {"env_config", tr->env_file}, {"agent_config", tr->agent_file}};
  for (int i = 0; i < 3; i++) {
    if (!files[i][1]) continue;
    if (cm_cfg_load(files[i][1], &part, err) || cm_cfg_set_node(root, files[i][0], part, err)) goto done;
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

/* MimicKit's DummyAgent "training" for cases without an agent (view_motion, dof_test): zero
 * actions in iterations of 32 steps until max_samples, a log row per iteration, and a model.pt
 * holding the observation normalizer the run measured (the DummyAgent's whole state dict). */
#define DUMMY_STEPS_PER_ITER 32
static int train_dummy(const cm_train_run *tr, cm_rl_env *rl, const char *model_path, cm_log *log, cm_err *err) {
  if (tr->max_samples == INT64_MAX) return cm_fail(err, "training without an agent_config needs --max_samples");
  int N = rl->num_envs, D = rl->obs_dim, rc = -1;
  size_t no = (size_t)N * D;
  float *obs = calloc(no + 1, sizeof(float)), *next_obs = calloc(no + 1, sizeof(float));
  float *act = calloc((size_t)N * rl->act_dim + 1, sizeof(float)), *rew = calloc((size_t)N, sizeof(float));
  uint8_t *done = calloc((size_t)N, 1);
  double *ret = calloc((size_t)N, sizeof(double)), t0 = cm_now_seconds();
  cm_normalizer norm = {0};
  cm_state_dict sd;
  cm_sd_init(&sd);
  long samples = 0;
  int rows_lost = 0;
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
        cm_log_set_ex(log, "Train_Episodes", eps, CM_LOG_INT | CM_LOG_QUIET, err) ||
        write_row_or_warn(log, &rows_lost, err))
      goto done;
    cm_log_print_table(log, stdout);
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
  if (cm_mkdirs(tr->out_dir, err)) return -1;
  if (!tr->agent_file) {
    int r = write_config(tr, cfg_path, err) || cm_log_open(log_path, 0, &c.log, err) ? -1
            : train_dummy(tr, rl, c.model_path, c.log, err);
    cm_log_close(c.log);
    return r;
  }
  cm_agent *a = NULL;
  int rc = -1;
  if (cm_agent_create_file(tr->agent_file, rl, tr->dev, tr->seed, &a, err)) return -1;
  if (tr->resume) {
    const char *from = cm_file_exists(c.resume_path) ? c.resume_path : c.model_path;
    if (cm_agent_load(a, from, err)) goto done;
    printf("Resuming from %s\n", from);
  } else if (tr->model_file && cm_agent_load(a, tr->model_file, err)) {
    goto done;
  }
  if (write_config(tr, cfg_path, err) || cm_log_open(log_path, tr->resume, &c.log, err)) goto done;
  printf("Logging data to %s\n", log_path);
  g_interrupted = 0;
  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  cm_train_opts opts = {.max_samples = tr->max_samples, .resume = tr->resume, .callback = on_iteration, .user = &c};
  rc = cm_train(a, &opts, err);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  if (rc && g_interrupted) rc = CM_TRAIN_INTERRUPTED;
  if (!rc) printf("Saved model to %s\n", c.model_path);
done:
  cm_log_close(c.log);
  cm_agent_destroy(a);
  return rc;
}
