/* cmimic bench-env: environment stepping and full training throughput against raw MuJoCo
 * mj_step on the same humanoid and core count, measured in one run. */
#include <stdio.h>
#include "app/commands.h"
#include "core/clock.h"
#include "env/env.h"
#include "io/args.h"
#include "io/flags.h"
#include "learn/agent.h"
#include "learn/rl_env_char.h"
#include "sim/engine_bench.h"
#include "sim/engine_config.h"

static const cm_flag k_flags[] = {
    {"num_envs", "64", "environments stepped at once"},
    {"threads", "0 (auto)", "CPU threads"},
    {"seconds", "5", "measuring time of each phase"},
    {"char_file", "data/assets/humanoid/humanoid.xml", "character of the raw MuJoCo baseline"},
    {"train_seconds", "--seconds", "measuring time of the training phase"},
    {"engine_config", "data/engines/mujoco_engine.yaml", "engine yaml"},
    {"env_config", "data/envs/deepmimic_humanoid_walk_env.yaml", "env yaml"},
    {"agent_config", "data/agents/deepmimic_humanoid_ppo_agent.yaml", "agent yaml of the training phase"},
    {"devices", "cpu", "where the networks run"},
    {NULL, NULL, NULL}};

typedef struct train_bench {
  long samples;
  double seconds, env_seconds;
} train_bench;

/* PPO/AWR iterations (rollout + update, as `cmimic run --mode train` does them, without test
 * phases) for about `seconds` after one untimed warm-up iteration. */
static int bench_training(const cm_args *args, int num_envs, int threads, double seconds, const cm_dev *dev,
                          train_bench *out, cm_err *err) {
  const char *engine_file = cm_args_str(args, "engine_config", "data/engines/mujoco_engine.yaml");
  const char *env_file = cm_args_str(args, "env_config", "data/envs/deepmimic_humanoid_walk_env.yaml");
  const char *agent_file = cm_args_str(args, "agent_config", "data/agents/deepmimic_humanoid_ppo_agent.yaml");
  cm_engine_cfg ecfg;
  cm_env *env = NULL;
  cm_rl_env rl = {0};
  cm_agent *a = NULL;
  int rc = -1;
  if (cm_engine_cfg_load(engine_file, &ecfg, err)) return -1;
  ecfg.num_threads = threads;
  if (cm_env_create(env_file, &ecfg, num_envs, 1, &env, err) || cm_rl_env_from_char(&rl, env, err) ||
      cm_agent_create_file(agent_file, &rl, dev, 1, &a, err) || cm_agent_reset_envs(a, err))
    goto done;
  cm_stats st;
  cm_stats_clear(&st);
  if (cm_agent_train_iter(a, &st, err)) goto done;
  long start_samples = (long)a->buf.total_samples;
  double env_before = a->prof.env, t0 = cm_now_seconds(), t = t0;
  do {
    cm_stats_clear(&st);
    if (cm_agent_train_iter(a, &st, err)) goto done;
    t = cm_now_seconds();
  } while (t - t0 < seconds);
  out->samples = (long)a->buf.total_samples - start_samples;
  out->seconds = t - t0;
  out->env_seconds = a->prof.env - env_before;
  rc = 0;
done:
  cm_agent_destroy(a);
  cm_rl_env_destroy(&rl);
  cm_env_destroy(env);
  return rc;
}

int cmd_bench_env(int argc, char **argv) {
  cm_args args = {0};
  cm_err err;
  long num_envs = 64, threads = 0;
  double seconds = 5.0, train_seconds = -1;
  const cm_dev *dev = NULL;
  int status = 2;
  if (cm_flags_help_asked(argc, argv)) {
    cm_flags_usage(stdout, "bench-env [flags]", "Environment stepping and training throughput against raw MuJoCo mj_step.", k_flags);
    return 0;
  }
  if (cm_args_parse_argv(&args, argc, argv, &err) || cm_flags_check(&args, k_flags, &err) ||
      cm_args_int(&args, "num_envs", 64, &num_envs, &err) || cm_args_int(&args, "threads", 0, &threads, &err) ||
      cm_args_float(&args, "seconds", 5.0, &seconds, &err) ||
      cm_args_float(&args, "train_seconds", seconds, &train_seconds, &err) ||
      cm_dev_from_name(cm_args_str(&args, "devices", "cpu"), &dev, &err)) {
    fprintf(stderr, "cmimic bench-env: %s\n", err.msg);
    goto done;
  }
  const char *char_file = cm_args_str(&args, "char_file", "data/assets/humanoid/humanoid.xml");
  cm_engine_bench_result r;
  if (cm_engine_bench(char_file, (int)num_envs, (int)threads, seconds, &r, &err)) {
    fprintf(stderr, "cmimic bench-env: %s\n", err.msg);
    status = 1;
    goto done;
  }
  double raw_samples = r.raw_steps_per_s / r.substeps;
  printf("bench-env: %s, %d envs, %d threads, %d substeps per control step\n", char_file, r.num_envs, r.threads,
         r.substeps);
  printf("  raw mj_step:        %10.0f steps/s  (%.1f contacts/env)\n", r.raw_steps_per_s, r.raw_contacts);
  printf("  raw / substeps:     %10.0f samples/s\n", raw_samples);
  printf("  engine (PD, state): %10.0f samples/s  (%.1f contacts/env)\n", r.engine_samples_per_s, r.engine_contacts);
  printf("  ratio:              %10.3f\n", r.ratio);
  fflush(stdout);
  if (train_seconds > 0) {
    train_bench tb;
    if (bench_training(&args, (int)num_envs, r.threads, train_seconds, dev, &tb, &err)) {
      fprintf(stderr, "cmimic bench-env: training: %s\n", err.msg);
      status = 1;
      goto done;
    }
    double rate = tb.samples / tb.seconds;
    printf("  training (networks on %s): %.0f samples/s, ratio %.3f (%ld samples in %.1f s, %.0f%% of it stepping envs)\n",
           dev->ops->name, rate, rate / raw_samples, tb.samples, tb.seconds, 100.0 * tb.env_seconds / tb.seconds);
  }
  status = 0;
done:
  cm_args_free(&args);
  return status;
}
