#include "app/train_run.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "core/fileio.h"
#include "io/config.h"
#include "io/run_log.h"
#include "io/torch_ckpt.h"
#include "learn/agent.h"
#include "learn/trainer.h"

static volatile sig_atomic_t g_interrupted = 0;
static void on_sigint(int sig) {
  (void)sig;
  g_interrupted = 1;
}

typedef struct run_ctx {
  const cm_train_run *tr;
  cm_log *log;
  char model_path[1100], resume_path[1100];
} run_ctx;

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
  if (info->output) {
    for (int i = 0; i < info->cols.count; i++)
      if (cm_log_set_ex(c->log, info->cols.keys[i], info->cols.values[i], column_flags(info->cols.keys[i]), err))
        return -1;
    cm_log_print_table(c->log, stdout);
    fflush(stdout);
    if (cm_log_write_row(c->log, err) || save_checkpoint(c, a, err)) return -1;
  }
  if (g_interrupted) {
    if (save_checkpoint(c, a, err)) return -1;
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

int cm_train_run_main(const cm_train_run *tr, cm_rl_env *rl, cm_err *err) {
  if (!tr->agent_file) return cm_fail(err, "training needs --agent_config (this case has no agent: use --mode test)");
  run_ctx c = {.tr = tr};
  char log_path[1100], cfg_path[1100];
  snprintf(c.model_path, sizeof c.model_path, "%s/model.pt", tr->out_dir);
  snprintf(c.resume_path, sizeof c.resume_path, "%s/resume.pt", tr->out_dir);
  snprintf(log_path, sizeof log_path, "%s/log.txt", tr->out_dir);
  snprintf(cfg_path, sizeof cfg_path, "%s/config.yaml", tr->out_dir);
  if (cm_mkdirs(tr->out_dir, err)) return -1;
  cm_agent *a = NULL;
  int rc = -1;
  if (cm_agent_create_file(tr->agent_file, rl, cm_dev_cpu(), tr->seed, &a, err)) return -1;
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
