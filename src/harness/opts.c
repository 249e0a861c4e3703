#include "harness/opts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "io/args.h"
#include "io/flags.h"
#include "render/recorder.h"
#include "render/video.h"

static const cm_flag k_flags[] = {
    {"cases", "every args/*.txt", "cases to run: a.txt,b.txt"},
    {"args-dir", "args", "folder of the cases' arg files"},
    {"include-nontrainable", "off", "also run dof_test_* / view_motion_* (bootstrap train of --bootstrap-samples)"},
    {"root-out", "case_<cmd>_<time>", "root under output/train/ (an absolute path is used as is)"},
    {"engine-config", "the arg file's", "engine yaml for every run"},
    {"devices-train", "cpu", "devices of the train stages: cpu | cuda:0,cuda:1 (several: NCCL profile)"},
    {"default-ladder", "4096,2048,...,64", "num_envs rungs tried from the top down"},
    {"env-ladder", "--default-ladder", "alias of --default-ladder"},
    {"pi-plus-ladder", "44,40,...,1", "rungs of the pi_plus cases"},
    {"amp-pi-plus-ladder", "38,36,...,1", "rungs of the amp pi_plus cases"},
    {"nontrainable-ladder", "4,2,1", "rungs of the non-trainable cases"},
    {"max-samples", "131072", "probe / e2e train samples"},
    {"long-max-samples", "30000000", "longcycle long_train samples"},
    {"bootstrap-samples", "128", "non-trainable bootstrap train samples"},
    {"iter-target", "8", "bench: iterations per rung"},
    {"max-seconds", "1800", "per stage wall limit (long_train: none unless given)"},
    {"stall-seconds", "900", "no log growth for this long = hang"},
    {"kill-grace", "10", "SIGTERM -> SIGKILL delay when killing a stage (s)"},
    {"status-seconds", "60", "status line period during a stage (s)"},
    {"test-episodes", "10", "test stage episodes"},
    {"num-threads", "the engine's", "threads of each run"},
    {"viz-width", "cmimic run's", "viz video width"},
    {"viz-height", "cmimic run's", "viz video height"},
    {"gpu-hz", "10", "GPU sampling rate"},
    {"resume-skip-status", NULL, "ok: reuse the root, skip cases already ok, resume long_train"},
    {"port-retries", "2", "address-in-use retries per rung"},
    {"nccl-profile", "false", "multi-device stages get NCCL_P2P_DISABLE=1 NCCL_IB_DISABLE=1 NCCL_CUMEM_ENABLE=0 (the seeds')"},
    {"first-pass", "off", "bench: stop a case at its first passing rung"},
    {"viz", "auto", "viz stage: on | off | auto (off where this cmimic has no rendering or ffmpeg is not on PATH)"},
    {"help", NULL, "this text"},
    {NULL, NULL, NULL}};

void cm_harness_usage(const char *command, FILE *f) {
  char synopsis[64];
  snprintf(synopsis, sizeof synopsis, "%s [flags]", command);
  /* what this command does with the cases; the flags are shared (one table), and a flag that
   * one command only uses says so ("bench:", "longcycle long_train") */
  const char *about =
      !strcmp(command, "e2e")         ? "Every case: train (probing the num_envs ladder from the top) -> test -> viz video, with a\n"
                                        "report page (index.html) and progress.json in the root (docs/HARNESS.md)."
      : !strcmp(command, "longcycle") ? "Every case: probe train -> long train (--long-max-samples) -> test -> viz; resumable with\n"
                                        "--resume-skip-status ok (docs/HARNESS.md)."
      : !strcmp(command, "bench")     ? "Samples/s and GPU utilisation of every trainable case at each num_envs rung (--iter-target\n"
                                        "iterations each); the case's row is its fastest passing rung (docs/HARNESS.md)."
                                      : "The all-case harness (docs/HARNESS.md).";
  cm_flags_usage(f, synopsis, about, k_flags);
}

/* numeric defaults come from the flag table, so --help shows what the code does */
#define DEF_L(name) cm_flags_default_long(k_flags, name)

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
  if (cm_flags_help_asked(argc, argv)) {
    cm_harness_usage(command, stdout);
    rc = 1;
    goto done;
  }
  if (cm_args_parse_argv(&a, argc, argv, err) || cm_flags_check(&a, k_flags, err)) goto done;
  if (cm_args_has(&a, "help")) {
    cm_harness_usage(command, stdout);
    rc = 1;
    goto done;
  }
  snprintf(o->engine_config, sizeof o->engine_config, "%s", cm_args_str(&a, "engine-config", ""));
  snprintf(o->cases, sizeof o->cases, "%s", cm_args_str(&a, "cases", ""));
  snprintf(o->args_dir, sizeof o->args_dir, "%s", cm_args_str(&a, "args-dir", cm_flags_default(k_flags, "args-dir")));
  char devs[512];
  snprintf(devs, sizeof devs, "%s", cm_args_str(&a, "devices-train", cm_flags_default(k_flags, "devices-train")));
  for (char *save = NULL, *t = strtok_r(devs, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
    if (o->num_devices < CM_H_MAX_DEVICES) snprintf(o->devices[o->num_devices++], sizeof o->devices[0], "%s", t);
  if (o->num_devices == 0) {
    cm_fail(err, "--devices-train: no device given");
    goto done;
  }
  if (flag_on(&a, "include-nontrainable", &o->include_nontrainable, err) ||
      flag_on(&a, "first-pass", &o->bench_first_pass, err))
    goto done;
  const char *viz = cm_args_str(&a, "viz", cm_flags_default(k_flags, "viz"));
  if (strcmp(viz, "on") && strcmp(viz, "off") && strcmp(viz, "auto")) {
    cm_fail(err, "--viz: on, off or auto (got '%s')", viz);
    goto done;
  }
  o->viz = strcmp(viz, "off") != 0;
  if (!o->viz) snprintf(o->viz_off_why, sizeof o->viz_off_why, "--viz off");
  if (!strcmp(viz, "auto") && !cm_render_built()) {
    o->viz = 0;
    snprintf(o->viz_off_why, sizeof o->viz_off_why, "this cmimic was built without rendering (--viz auto)");
  } else if (!strcmp(viz, "auto") && !cm_have_program("ffmpeg")) {
    o->viz = 0;
    snprintf(o->viz_off_why, sizeof o->viz_off_why, "ffmpeg is not on PATH (--viz auto)");
  }
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
      get_ladder(&a, "nontrainable-ladder", cm_flags_default(k_flags, "nontrainable-ladder"), &o->nontrainable_ladder, err))
    goto done;
  long port_retries = 0;
  if (cm_args_float(&a, "max-seconds", DEF_L("max-seconds"), &o->max_seconds, err) ||
      cm_args_float(&a, "stall-seconds", DEF_L("stall-seconds"), &o->stall_seconds, err) ||
      cm_args_float(&a, "kill-grace", DEF_L("kill-grace"), &o->kill_grace, err) ||
      cm_args_float(&a, "status-seconds", DEF_L("status-seconds"), &o->status_seconds, err) ||
      cm_args_float(&a, "gpu-hz", DEF_L("gpu-hz"), &o->gpu_hz, err) ||
      cm_args_int(&a, "max-samples", DEF_L("max-samples"), &o->max_samples, err) ||
      cm_args_int(&a, "long-max-samples", DEF_L("long-max-samples"), &o->long_max_samples, err) ||
      cm_args_int(&a, "bootstrap-samples", DEF_L("bootstrap-samples"), &o->bootstrap_samples, err) ||
      cm_args_int(&a, "iter-target", DEF_L("iter-target"), &o->iter_target, err) ||
      cm_args_int(&a, "test-episodes", DEF_L("test-episodes"), &o->test_episodes, err) ||
      cm_args_int(&a, "num-threads", 0, &o->num_threads, err) ||
      cm_args_int(&a, "viz-width", 0, &o->viz_width, err) || cm_args_int(&a, "viz-height", 0, &o->viz_height, err) ||
      cm_args_int(&a, "port-retries", DEF_L("port-retries"), &port_retries, err) ||
      cm_args_bool(&a, "nccl-profile", 0, &o->nccl_profile, err))
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
