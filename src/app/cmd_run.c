/* cmimic run: MimicKit's run.py. Flags keep MimicKit's names; the command line overrides
 * the arg file. Environments without an agent_config run with the dummy agent (zero
 * actions), as MimicKit's view_motion and dof_test cases do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/commands.h"
#include "app/play.h"
#include "env/env.h"
#include "io/args.h"
#include "sim/engine_config.h"

static const char *const k_run_flags[] = {
    "arg_file", "mode", "num_envs", "engine_config", "env_config", "agent_config", "out_dir", "model_file",
    "test_episodes", "visualize", "video", "devices", "device", "max_samples", "rand_seed", "seed", "logger",
    "save_int_models", "master_port", "num_threads", "video_width", "video_height", "resume", NULL};

static int fail(const cm_err *err) {
  fprintf(stderr, "cmimic run: %s\n", err->msg);
  return 2;
}

int cmd_run(int argc, char **argv) {
  cm_err err = {{0}};
  cm_args argsv = {0}, *args = &argsv;
  int status = 2;
  cm_env *env = NULL;
  if (cm_args_parse_argv(args, argc, argv, &err)) goto fail_err;
  const char *arg_file = cm_args_str(args, "arg_file", NULL);
  if (arg_file && cm_args_load_file(args, arg_file, &err)) goto fail_err;
  if (cm_args_check_known(args, k_run_flags, &err)) goto fail_err;

  const char *mode = cm_args_str(args, "mode", "train");
  const char *engine_file = cm_args_str(args, "engine_config", "data/engines/mujoco_engine.yaml");
  const char *env_file = cm_args_str(args, "env_config", NULL);
  const char *agent_file = cm_args_str(args, "agent_config", NULL);
  const char *video = cm_args_str(args, "video", NULL);
  long num_envs = 1, test_episodes = 10, seed = 0, threads = 0, width = 1280, height = 720;
  int visualize = getenv("DISPLAY") && *getenv("DISPLAY");
  if (cm_args_int(args, "num_envs", 1, &num_envs, &err) || cm_args_int(args, "test_episodes", 10, &test_episodes, &err) ||
      cm_args_int(args, "num_threads", 0, &threads, &err) || cm_args_bool(args, "visualize", visualize, &visualize, &err) ||
      cm_args_int(args, "video_width", 1280, &width, &err) || cm_args_int(args, "video_height", 720, &height, &err))
    goto fail_err;
  if (cm_args_has(args, "rand_seed")) {
    if (cm_args_int(args, "rand_seed", 0, &seed, &err)) goto fail_err;
  } else if (cm_args_int(args, "seed", 0, &seed, &err)) {
    goto fail_err;
  }
  if (strcmp(mode, "train") && strcmp(mode, "test")) {
    cm_fail(&err, "--mode must be train or test (got '%s')", mode);
    goto fail_err;
  }
  if (!env_file) {
    cm_fail(&err, "no --env_config given (pass --arg_file args/<case>.txt or --env_config F)");
    goto fail_err;
  }
  if (agent_file) {
    cm_fail(&err, "%s: training agents are not available in this build yet", agent_file);
    goto fail_err;
  }
  if (num_envs < 1 || test_episodes < 1) {
    cm_fail(&err, "--num_envs and --test_episodes must be at least 1");
    goto fail_err;
  }

  cm_engine_cfg ecfg;
  if (cm_engine_cfg_load(engine_file, &ecfg, &err)) goto fail_err;
  if (threads > 0) ecfg.num_threads = (int)threads;
  if (cm_env_create(env_file, &ecfg, (int)num_envs, (uint64_t)seed, &env, &err)) goto fail_err;
  printf("Char properties\n\tDoFs: %d\n\tMass: %.3f kg\n", env->chr.num_dofs, env->chr.total_mass);

  cm_play_opts popts = {.episodes = (int)test_episodes, .visualize = visualize, .video = video,
                        .width = (int)width, .height = (int)height};
  cm_play_result res;
  if (cm_play_test(env, &popts, &res, &err)) {
    fprintf(stderr, "cmimic run: %s\n", err.msg);
    status = 1;
    goto done;
  }
  printf("Mean Return: %.6f\n", res.mean_return);
  printf("Mean Episode Length: %.6f\n", res.mean_ep_len);
  printf("Episodes: %d\n", res.episodes);
  if (video) printf("Video: %s (%d frames)\nContact sheet: %s\n", video, res.video_frames, res.sheet_path);
  status = 0;
  goto done;
fail_err:
  fail(&err);
done:
  cm_env_destroy(env);
  cm_args_free(args);
  return status;
}
