/* cmimic run: MimicKit's run.py. Flags keep MimicKit's names; the command line overrides the
 * arg file. Without an agent_config the dummy agent plays (zero actions), as MimicKit's
 * view_motion and dof_test cases do. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/commands.h"
#include "app/play.h"
#include "app/preset.h"
#include "app/train_run.h"
#include "core/fault.h"
#include "dist/comm.h"
#include "dist/launch.h"
#include "env/env.h"
#include "io/args.h"
#include "io/flags.h"
#include "learn/agent.h"
#include "learn/ops.h"
#include "learn/rl_env_char.h"
#include "learn/trainer.h"
#include "sim/engine_config.h"

static const cm_flag k_run_flags[] = {
    {"arg_file", NULL, "MimicKit arg file (args/<case>.txt); command-line flags override it"},
    {"mode", "train", "train or test"},
    {"num_envs", "1", "number of environments simulated at once"},
    {"engine_config", "data/engines/mujoco_engine.yaml", "engine yaml"},
    {"env_config", NULL, "env yaml (required, usually from the arg file)"},
    {"agent_config", NULL, "agent yaml; none: MimicKit's dummy agent (zero actions)"},
    {"preset", NULL, "fast, heavy or beast: agent settings laid over the agent yaml (data/agents/presets/, docs/PRESETS.md); --num_envs on the command line still wins"},
    {"tf32", "true where the GPU has it", "TF32 tensor-core matmuls on the GPU (compute capability >= 8.0); false: full fp32 (overrides CMIMIC_TF32)"},
    {"out_dir", "output/", "train: folder for log.txt, events, model.pt, config copies"},
    {"model_file", NULL, "model.pt to start from (train) or to test"},
    {"test_episodes", "10", "episodes of a test run (train: the agent yaml's per output)"},
    {"visualize", "true if $DISPLAY", "open a viewer window"},
    {"video", NULL, "test: write the episodes as this MP4 (and a PNG contact sheet)"},
    {"devices", "cpu", "where the networks run: cpu or cuda:N; several (cpu cpu, cuda:0 cuda:1): one process each"},
    {"device", "cpu", "alias of --devices"},
    {"max_samples", "no limit", "train until this many samples (console shows % done and ETA)"},
    {"rand_seed", "0", "random seed"},
    {"seed", "0", "alias of --rand_seed"},
    {"logger", "tb", "tb: TensorBoard events and log.txt; txt: log.txt only"},
    {"save_int_models", "false", "also keep int_models/model_<iteration>.pt at every output"},
    {"master_port", "6100 + pid % 900", "several --devices: the launcher's port on 127.0.0.1 (taken: another is used)"},
    {"dist_timeout", "300 or $CMIMIC_DIST_TIMEOUT", "several devices: seconds a rank waits for the others before naming the missing ones"},
    {"num_threads", "the engine's", "CPU threads stepping the environments"},
    {"video_width", "1280", "video width in pixels"},
    {"video_height", "720", "video height in pixels"},
    {"resume", NULL, "continue training in this out_dir from its resume.pt"},
    {NULL, NULL, NULL}};

typedef struct run_opts {
  const char *mode, *engine_file, *env_file, *agent_file, *video, *model_file, *out_dir, *resume, *logger;
  long num_envs, test_episodes, seed, threads, width, height, max_samples;
  int visualize, test_episodes_given, save_int_models;
  const cm_dev *dev;      /* where the networks run: --devices cpu | cuda:N (MimicKit's flag) */
  const cm_cfg *preset;   /* --preset's overlay, or NULL */
} run_opts;

/* defaults come from the flag table, so --help shows what the code does */
#define DEF(name) cm_flags_default(k_run_flags, name)
#define DEF_L(name) cm_flags_default_long(k_run_flags, name)

static int read_opts(const cm_args *args, const char *dev_name, run_opts *o, cm_err *err) {
  memset(o, 0, sizeof *o);
  o->mode = cm_args_str(args, "mode", DEF("mode"));
  o->engine_file = cm_args_str(args, "engine_config", DEF("engine_config"));
  o->env_file = cm_args_str(args, "env_config", NULL);
  o->agent_file = cm_args_str(args, "agent_config", NULL);
  o->video = cm_args_str(args, "video", NULL);
  o->model_file = cm_args_str(args, "model_file", NULL);
  o->resume = cm_args_str(args, "resume", NULL);
  o->out_dir = cm_args_str(args, "out_dir", DEF("out_dir"));
  o->logger = cm_args_str(args, "logger", DEF("logger"));
  if (o->resume) o->out_dir = o->resume;
  o->visualize = getenv("DISPLAY") && *getenv("DISPLAY");
  o->test_episodes_given = cm_args_has(args, "test_episodes");
  if (cm_args_int(args, "num_envs", DEF_L("num_envs"), &o->num_envs, err) ||
      cm_args_int(args, "test_episodes", DEF_L("test_episodes"), &o->test_episodes, err) ||
      cm_args_int(args, "num_threads", 0, &o->threads, err) || cm_args_bool(args, "visualize", o->visualize, &o->visualize, err) ||
      cm_args_int(args, "video_width", DEF_L("video_width"), &o->width, err) ||
      cm_args_int(args, "video_height", DEF_L("video_height"), &o->height, err) ||
      cm_args_int(args, "max_samples", INT64_MAX, &o->max_samples, err) ||
      cm_args_bool(args, "save_int_models", 0, &o->save_int_models, err))
    return -1;
  if (cm_args_int(args, cm_args_has(args, "rand_seed") ? "rand_seed" : "seed", DEF_L("rand_seed"), &o->seed, err)) return -1;
  if (cm_dev_from_name(dev_name, &o->dev, err)) return -1;
  if (strcmp(o->mode, "train") && strcmp(o->mode, "test"))
    return cm_fail(err, "--mode must be train or test (got '%s')", o->mode);
  if (strcmp(o->logger, "tb") && strcmp(o->logger, "txt"))
    return cm_fail(err, "--logger must be tb (TensorBoard events and log.txt) or txt (log.txt only), got '%s'", o->logger);
  if (!o->env_file) return cm_fail(err, "no --env_config given (pass --arg_file args/<case>.txt or --env_config F)");
  if (o->num_envs < 1 || o->test_episodes < 1 || o->max_samples < 1)
    return cm_fail(err, "--num_envs, --test_episodes and --max_samples must be at least 1");
  return 0;
}

/* A --preset named in the arg file (the command line's is applied before the file is read), the
 * console line naming the preset, and --tf32 on the networks' device. */
static int apply_preset_and_tf32(cm_args *args, cm_cfg **preset, run_opts *o, cm_err *err) {
  if (!*preset && cm_args_has(args, "preset")) {
    if (cm_preset_apply_args(args, preset, err) ||
        cm_args_int(args, "num_envs", o->num_envs, &o->num_envs, err))
      return -1;
  }
  o->preset = *preset;
  if (*preset) printf("Preset: %s\n", (*preset)->file);
  if (cm_args_has(args, "tf32")) {
    int tf32;
    if (cm_args_bool(args, "tf32", 1, &tf32, err)) return -1;
    cm_dev_set_tf32(o->dev, tf32);
  }
  return 0;
}

static int report_test(double mean_return, double mean_len, long episodes) {
  printf("Mean Return: %.6f\nMean Episode Length: %.6f\nEpisodes: %ld\n", mean_return, mean_len, episodes);
  return 0;
}

/* The env's own test figures (tracking error, task success ...), printed "Key: value" like the above. */
static void report_env_stats(const cm_stats *f) {
  for (int i = 0; i < f->count; i++) printf("%s: %.6f\n", f->keys[i], f->values[i]);
}

/* Test mode: the agent's mean action (or the dummy agent's zeros), episodes counted over envs. */
static int run_test(const run_opts *o, cm_env *env, cm_rl_env *rl, cm_err *err) {
  cm_play_opts popts = {.visualize = o->visualize, .video = o->video, .width = (int)o->width, .height = (int)o->height};
  cm_watch *watch = NULL;
  cm_agent *agent = NULL;
  int rc = -1, frames = 0;
  char sheet[1100] = "";
  if (cm_watch_attach(rl, env, &popts, &watch, err)) return -1;
  if (!watch) cm_fault_hold_test();
  if (o->agent_file) {
    cm_cfg *acfg = NULL;
    int bad = cm_preset_agent_cfg(o->agent_file, o->preset, &acfg, err) ||
              cm_agent_create(acfg, rl, o->dev, (uint64_t)o->seed, &agent, err);
    cm_cfg_free(acfg);
    if (bad) goto done;
    if (o->model_file && cm_agent_load(agent, o->model_file, err)) goto done;
    if (!o->model_file) fprintf(stderr, "cmimic run: warning: testing an untrained policy (no --model_file)\n");
    cm_test_result res;
    if (cm_agent_test(agent, (int)o->test_episodes, &res, err)) goto done;
    /* keep stepping with the policy until the video's episode is complete */
    while (cm_watch_busy(watch))
      if (cm_agent_test(agent, 1, &(cm_test_result){0}, err)) goto done;
    report_test(res.mean_return, res.mean_ep_len, (long)res.episodes);
    report_env_stats(&res.env); /* over the counted episodes, not the video's extra ones */
  } else {
    cm_play_result res;
    if (rl->set_mode) rl->set_mode(rl->ctx, CM_RL_TEST);
    if (cm_play_dummy_test(rl, (int)o->test_episodes, watch, &res, err)) goto done;
    report_test(res.mean_return, res.mean_ep_len, res.episodes);
    cm_stats figs = {0};
    if (rl->env_stats) figs.count = rl->env_stats(rl->ctx, figs.keys, figs.values, CM_STATS_MAX);
    report_env_stats(&figs);
  }
  if (cm_watch_finish(watch, &frames, sheet, sizeof sheet, err)) {
    watch = NULL;
    goto done;
  }
  watch = NULL;
  if (o->video) printf("Video: %s (%d frames)\nContact sheet: %s\n", o->video, frames, sheet);
  rc = 0;
done:
  cm_watch_abort(watch);
  cm_agent_destroy(agent);
  return rc;
}

static const char *dev_key(const cm_args *args) { return cm_args_has(args, "devices") ? "devices" : "device"; }

/* This rank's device: its entry of --devices, or the one named with its local GPU index
 * (mpirun -np N cmimic run --devices cuda: each rank takes its machine's GPU local_rank). */
static const char *rank_device(const cm_args *args, const cm_comm *c, char *buf, size_t cap) {
  const char *k = dev_key(args);
  int n = cm_args_count(args, k);
  if (n > 1) return cm_args_at(args, k, c->rank % n);
  const char *name = cm_args_str(args, k, DEF("devices"));
  if (c->size > 1 && !strcmp(name, "cuda")) {
    snprintf(buf, cap, "cuda:%d", c->local_rank);
    return buf;
  }
  return name;
}

/* Several devices: this process either launches the job (one process per device through
 * mpirun) or is one of its ranks and joins it. Returns 1 when it was the launcher (*status
 * set), 0 to go on as a rank (or the only process), -1 on error. */
static int join_or_launch(int argc, char **argv, const cm_args *args, int *status, cm_err *err) {
  int ndev = cm_args_count(args, dev_key(args));
  if (ndev < 1) ndev = 1;
  int size = 1, rank = 0;
  int in_job = cm_comm_in_job(&size, &rank, NULL);
  if (!in_job && ndev == 1) {
    cm_fault_limit_to_rank(0); /* a one-process run is rank 0 */
    return 0;
  }
  if (strcmp(cm_args_str(args, "mode", DEF("mode")), "train"))
    return cm_fail(err, "--mode test runs in one process: pass one --devices entry");
  /* CMIMIC_DIST_TIMEOUT: the default for runs started by a harness or a script */
  const char *te = getenv("CMIMIC_DIST_TIMEOUT");
  double timeout, def_timeout = te && atof(te) > 0 ? atof(te) : 300;
  if (cm_args_float(args, "dist_timeout", def_timeout, &timeout, err)) return -1;
  if (!(timeout > 0)) return cm_fail(err, "--dist_timeout must be positive seconds");

  if (!in_job) {
    /* every entry named right and of one kind, before any process starts (each rank opens its
     * own device: the launcher never touches a GPU) */
    int ncuda = 0;
    for (int i = 0; i < ndev; i++) {
      const char *d = cm_args_at(args, dev_key(args), i);
      char *end = NULL;
      int cuda = !strncmp(d, "cuda", 4) && (!d[4] || (d[4] == ':' && d[5] >= '0' && d[5] <= '9' &&
                                                       (strtol(d + 5, &end, 10), !*end)));
      if (!cuda && strcmp(d, "cpu"))
        return cm_fail(err, "--%s: unknown device '%s' (expected cpu, cuda or cuda:N)", dev_key(args), d);
      ncuda += cuda;
    }
    if (ncuda && ncuda < ndev)
      return cm_fail(err, "--%s: mixes cpu and cuda devices; give all ranks the same kind", dev_key(args));
#ifndef CM_HAVE_CUDA
    if (ncuda) /* said once here, not by every rank after mpirun started them */
      return cm_fail(err, "--%s %s: this cmimic was built without CUDA (CMIMIC_CUDA=OFF)", dev_key(args),
                     cm_args_at(args, dev_key(args), 0));
#endif
    long port;
    if (cm_args_int(args, "master_port", 0, &port, err)) return -1;
    if (port < 0 || port > 65535) return cm_fail(err, "--master_port %ld is not a TCP port", port);
    *status = cm_dist_launch("run", argc, argv, ndev, port, err);
    if (*status && err->msg[0]) fprintf(stderr, "cmimic run: %s\n", err->msg);
    return 1;
  }
  cm_fault_limit_to_rank(rank);
  if (cm_comm_open(ndev > 1 ? ndev : 0, timeout, err)) return -1;
  cm_comm *c = cm_comm_world();
  if (cm_dist_link_hello(c->rank, err)) return -1;
  printf("rank %d of %d (pid %d, %s backend)\n", c->rank, c->size, (int)getpid(), c->ops ? c->ops->name : "single");
  return 0;
}

int cmd_run(int argc, char **argv) {
  cm_err err = {{0}};
  cm_args argsv = {0}, *args = &argsv;
  run_opts o;
  cm_env *env = NULL;
  cm_rl_env rl = {0};
  cm_cfg *preset = NULL;
  int status = 2;
  if (cm_flags_help_asked(argc, argv)) {
    cm_flags_usage(stdout, "run --arg_file args/<case>.txt --mode train|test [flags]",
                   "Train or test a policy, or play an env (MimicKit's run.py; the same flags).", k_run_flags);
    return 0;
  }
  /* the command line is checked before the arg file is read, so a typo is named first */
  if (cm_args_parse_argv(args, argc, argv, &err) || cm_flags_check(args, k_run_flags, &err)) goto fail;
  const char *arg_file = cm_args_str(args, "arg_file", NULL);
  /* the command line's --preset first: its num_envs then outranks the arg file's */
  if (cm_preset_apply_args(args, &preset, &err)) goto fail;
  if (arg_file && cm_args_load_file(args, arg_file, &err)) goto fail;
  if (cm_flags_check(args, k_run_flags, &err)) goto fail;
  int launched = join_or_launch(argc, argv, args, &status, &err);
  if (launched < 0) goto fail;
  if (launched) {
    cm_args_free(args);
    return status;
  }
  cm_comm *comm = cm_comm_world();
  char devbuf[32];
  const char *dev_name = rank_device(args, comm, devbuf, sizeof devbuf);
  if (read_opts(args, dev_name, &o, &err)) goto fail;
  /* GPU ranks: gradients through NCCL (CMIMIC_DIST_NO_NCCL=1: staged through MPI instead) */
  if (comm->size > 1 && o.dev->kind == CM_DEV_CUDA && !getenv("CMIMIC_DIST_NO_NCCL")) {
    if (cm_comm_use_nccl(o.dev, &err)) goto fail;
    printf("rank %d: device buffers through NCCL on %s\n", comm->rank, dev_name);
  }

  if (apply_preset_and_tf32(args, &preset, &o, &err)) goto fail;

  cm_engine_cfg ecfg;
  if (cm_engine_cfg_load(o.engine_file, &ecfg, &err)) goto fail;
  if (o.threads > 0) ecfg.num_threads = (int)o.threads;
  /* the cuda engine steps on the networks' GPU (other engines ignore the device) */
  snprintf(ecfg.device, sizeof ecfg.device, "%.*s", (int)sizeof ecfg.device - 1, dev_name);
  /* --num_envs per rank; rank r's envs are r * num_envs ... of the global batch */
  uint32_t env0 = (uint32_t)((long)comm->rank * o.num_envs);
  if (cm_env_create_at(o.env_file, &ecfg, (int)o.num_envs, (uint64_t)o.seed, env0, &env, &err)) goto fail;
  if (cm_rl_env_from_char(&rl, env, &err)) goto fail;
  printf("Char properties\n\tDoFs: %d\n\tMass: %.3f kg\n", env->chr.num_dofs, env->chr.total_mass);

  status = 1;
  if (!strcmp(o.mode, "test")) {
    if (run_test(&o, env, &rl, &err)) goto fail;
  } else {
    cm_train_run tr = {.args = args, .out_dir = o.out_dir, .engine_file = o.engine_file, .env_file = o.env_file,
                       .agent_file = o.agent_file, .model_file = o.model_file, .resume = o.resume != NULL,
                       .max_samples = o.max_samples, .seed = (uint64_t)o.seed, .dev = o.dev,
                       .test_episodes = o.test_episodes_given ? (int)o.test_episodes : 0,
                       .logger = o.logger, .save_int_models = o.save_int_models};
    if (o.agent_file && cm_preset_agent_cfg(o.agent_file, preset, &tr.agent_cfg, &err)) goto fail;
    int r = cm_train_run_main(&tr, &rl, &err);
    cm_cfg_free(tr.agent_cfg);
    if (r) {
      status = r > 0 ? r : 1;
      goto fail;
    }
  }
  status = 0;
  goto done;
fail:
  if (cm_comm_world()->size > 1) fprintf(stderr, "cmimic run: rank %d: %s\n", cm_comm_world()->rank, err.msg);
  else fprintf(stderr, "cmimic run: %s\n", err.msg);
done:
  if (rl.destroy) rl.destroy(rl.ctx);
  cm_env_destroy(env);
  cm_cfg_free(preset);
  cm_args_free(args);
  cm_dist_link_bye(status == 0);
  /* a failed rank ends the whole job at once: the others must not wait for it (an interrupted
   * job stops at the same iteration on every rank, so it closes as usual) */
  if (status != 0 && status != CM_TRAIN_INTERRUPTED) cm_comm_abort(cm_comm_world(), status);
  cm_comm_close();
  return status;
}
