#include "harness/opts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "io/args.h"

static const char *const k_flags[] = {
    "engine-config", "devices-train", "include-nontrainable", "cases", "args-dir", "root-out", "default-ladder",
    "env-ladder", "pi-plus-ladder", "amp-pi-plus-ladder", "nontrainable-ladder", "max-seconds", "stall-seconds",
    "kill-grace", "status-seconds", "gpu-hz", "max-samples", "long-max-samples", "bootstrap-samples", "iter-target",
    "test-episodes", "num-threads", "viz-width", "viz-height", "resume-skip-status", "port-retries", "first-pass",
    "help", NULL};

void cm_harness_usage(const char *command, FILE *f) {
  fprintf(f,
          "usage: cmimic %s [flags]   (docs/HARNESS.md)\n"
          "  --cases a.txt,b.txt         cases to run (default: every args/*.txt)\n"
          "  --include-nontrainable      also run dof_test_* / view_motion_* (bootstrap train of --bootstrap-samples)\n"
          "  --root-out NAME             root under output/train/ (an absolute path is used as is)\n"
          "  --engine-config F           engine yaml for every run (default: the arg file's)\n"
          "  --devices-train cpu|cuda:0,cuda:1   devices of the train stages (several: NCCL profile)\n"
          "  --default-ladder 4096,2048,...      num_envs rungs (alias --env-ladder)\n"
          "  --pi-plus-ladder L  --amp-pi-plus-ladder L  --nontrainable-ladder L\n"
          "  --max-samples N             probe / e2e train samples (131072)\n"
          "  --long-max-samples N        longcycle long_train samples (30000000)\n"
          "  --bootstrap-samples N       non-trainable bootstrap train samples (128)\n"
          "  --iter-target N             bench: iterations per rung (8)\n"
          "  --max-seconds S             per stage wall limit (1800; long_train: none unless given)\n"
          "  --stall-seconds S           no log growth for S seconds = hang (900)\n"
          "  --kill-grace S              SIGTERM -> SIGKILL delay when killing a stage (10)\n"
          "  --status-seconds S          status line period during a stage (60)\n"
          "  --test-episodes N           test stage episodes (10)\n"
          "  --num-threads N             threads of each run (default: the engine's)\n"
          "  --viz-width W --viz-height H   viz video size (cmimic run's default)\n"
          "  --gpu-hz HZ                 GPU sampling rate (10)\n"
          "  --resume-skip-status ok     reuse the root: skip cases already ok, resume long_train\n"
          "  --port-retries N            address-in-use retries per rung (2)\n"
          "  --first-pass                bench: stop a case at its first passing rung\n",
          command);
}

static int flag_on(const cm_args *a, const char *key, int *out, cm_err *err) {
  *out = 0;
  if (!cm_args_has(a, key)) return 0;
  if (cm_args_count(a, key) == 0) return (*out = 1), 0;
  return cm_args_bool(a, key, 0, out, err);
}

static int get_ladder(const cm_args *a, const char *key, const char *def, cm_ladder *l, cm_err *err) {
  return cm_ladder_parse(cm_args_str(a, key, def), key, l, err);
}

int cm_harness_opts_parse(const char *command, int argc, char **argv, cm_harness_opts *o, cm_err *err) {
  memset(o, 0, sizeof *o);
  o->command = command;
  cm_args a = {0};
  int rc = -1;
  if (cm_args_parse_argv(&a, argc, argv, err) || cm_args_check_known(&a, k_flags, err)) goto done;
  if (cm_args_has(&a, "help")) {
    cm_harness_usage(command, stdout);
    rc = 1;
    goto done;
  }
  snprintf(o->engine_config, sizeof o->engine_config, "%s", cm_args_str(&a, "engine-config", ""));
  snprintf(o->cases, sizeof o->cases, "%s", cm_args_str(&a, "cases", ""));
  snprintf(o->args_dir, sizeof o->args_dir, "%s", cm_args_str(&a, "args-dir", "args"));
  char devs[512];
  snprintf(devs, sizeof devs, "%s", cm_args_str(&a, "devices-train", "cpu"));
  for (char *save = NULL, *t = strtok_r(devs, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
    if (o->num_devices < CM_H_MAX_DEVICES) snprintf(o->devices[o->num_devices++], sizeof o->devices[0], "%s", t);
  if (o->num_devices == 0) {
    cm_fail(err, "--devices-train: no device given");
    goto done;
  }
  if (flag_on(&a, "include-nontrainable", &o->include_nontrainable, err) ||
      flag_on(&a, "first-pass", &o->bench_first_pass, err))
    goto done;
  const char *skip = cm_args_str(&a, "resume-skip-status", NULL);
  if (skip && strcmp(skip, "ok")) {
    cm_fail(err, "--resume-skip-status: only 'ok' is supported (got '%s')", skip);
    goto done;
  }
  o->resume_skip_ok = skip != NULL;
  const char *ladder = cm_args_has(&a, "env-ladder") ? "env-ladder" : "default-ladder";
  if (get_ladder(&a, ladder, "4096,2048,1024,512,256,128,64", &o->default_ladder, err) ||
      get_ladder(&a, "pi-plus-ladder", "44,40,39,38,36,32,24,16,8,4,2,1", &o->pi_plus_ladder, err) ||
      get_ladder(&a, "amp-pi-plus-ladder", "38,36,32,24,16,8,4,2,1", &o->amp_pi_plus_ladder, err) ||
      get_ladder(&a, "nontrainable-ladder", "4,2,1", &o->nontrainable_ladder, err))
    goto done;
  long port_retries = 0;
  if (cm_args_float(&a, "max-seconds", 1800, &o->max_seconds, err) ||
      cm_args_float(&a, "stall-seconds", 900, &o->stall_seconds, err) ||
      cm_args_float(&a, "kill-grace", 10, &o->kill_grace, err) ||
      cm_args_float(&a, "status-seconds", 60, &o->status_seconds, err) ||
      cm_args_float(&a, "gpu-hz", 10, &o->gpu_hz, err) ||
      cm_args_int(&a, "max-samples", 131072, &o->max_samples, err) ||
      cm_args_int(&a, "long-max-samples", 30000000, &o->long_max_samples, err) ||
      cm_args_int(&a, "bootstrap-samples", 128, &o->bootstrap_samples, err) ||
      cm_args_int(&a, "iter-target", 8, &o->iter_target, err) ||
      cm_args_int(&a, "test-episodes", 10, &o->test_episodes, err) ||
      cm_args_int(&a, "num-threads", 0, &o->num_threads, err) ||
      cm_args_int(&a, "viz-width", 0, &o->viz_width, err) || cm_args_int(&a, "viz-height", 0, &o->viz_height, err) ||
      cm_args_int(&a, "port-retries", 2, &port_retries, err))
    goto done;
  o->port_retries = (int)port_retries;
  if (o->max_samples < 1 || o->long_max_samples < 1 || o->bootstrap_samples < 1 || o->iter_target < 1 ||
      o->test_episodes < 1 || o->gpu_hz < 5) {
    cm_fail(err, "--max-samples, --long-max-samples, --bootstrap-samples, --iter-target and --test-episodes must be "
                 "at least 1, --gpu-hz at least 5");
    goto done;
  }
  char def_root[128];
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  snprintf(def_root, sizeof def_root, "case_%s_", command);
  strftime(def_root + strlen(def_root), sizeof def_root - strlen(def_root), "%Y%m%d_%H%M%S", &tm);
  const char *root_out = cm_args_str(&a, "root-out", def_root);
  if (root_out[0] == '/') snprintf(o->root, sizeof o->root, "%s", root_out);
  else snprintf(o->root, sizeof o->root, "output/train/%s", root_out);
  rc = 0;
done:
  cm_args_free(&a);
  return rc;
}
