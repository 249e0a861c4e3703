/* cmimic bench-env: environment stepping and full training throughput against raw MuJoCo
 * mj_step on the same humanoid and core count, measured in one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/commands.h"
#include "app/preset.h"
#include "core/clock.h"
#include "harness/gpu_monitor.h"
#include "env/env.h"
#include "io/args.h"
#include "io/flags.h"
#include "learn/agent.h"
#include "learn/rl_env_char.h"
#include "sim/cuda/phys_gpu.h"
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
    {"preset", NULL, "fast, heavy or beast laid over the agent yaml (its num_envs unless --num_envs is given)"},
    {"tf32", "true where the GPU has it", "TF32 tensor-core matmuls on the GPU; false: full fp32"},
    {"devices", "cpu", "where the networks run (and the cuda engine's physics)"},
    {"raw_envs", "min(num_envs, 4096)", "other engines: envs of the raw mj_step baseline"},
    {"raw_seconds", "min(seconds, 3)", "other engines: seconds of the raw mj_step baseline (0: skip)"},
    {"gpu_block", "0 (auto)", "cuda engine: threads per block"},
    {"gpu_fused", "-1 (auto)", "cuda engine: 1 fuses substeps in one launch, 0 one launch per substep"},
    {"gpu_sort", "-1 (CM_PHYS_GPU_SORT, else off)", "cuda engine: env order, 0 as numbered, 1 heaviest (most constraint rows) first, 2 lightest first"},
    {"gpu_regs", "-1 (CM_PHYS_GPU_REGS, else 0)", "cuda engine: register cap of the step kernel, one of " CM_PHYS_GPU_REG_VARIANTS " (0: the compiler's)"},
    {"gpu_lanes", "-1 (CM_PHYS_GPU_LANES, else 32 up to 16384 envs, 1 above)", "cuda engine: threads per env, 1 (a thread per env), 4, 8, 16 (a warp holds 8, 4, 2 envs) or 32 (a warp per env)"},
    {NULL, NULL, NULL}};

typedef struct train_bench {
  long samples;
  double seconds, env_seconds;
  int steps_per_iter, mini_batch, epochs; /* the agent's settings as resolved (preset, auto) */
  char net[64];
  int env_on_device; /* the env stepped as kernels (deepmimic, amp, ase, add on the cuda engine's GPU) */
  cm_gpumon_summary gpu; /* NVML over the timed iterations (--devices cuda:N; num_gpus 0 otherwise) */
} train_bench;

/* The GPU utilisation line of the timed training (nothing without NVML or on the CPU). */
static void print_gpu_util(const train_bench *tb, int device) {
  const cm_gpumon_summary *g = &tb->gpu;
  if (device < 0 || device >= g->num_gpus) return;
  printf("  gpu utilisation (NVML, %ld samples): avg %.0f%%, p95 %.0f%%, min %.0f%%; memory peak %.0f of %.0f MiB\n",
         g->samples, g->util_avg[device], g->util_p95[device], g->util_min[device], g->mem_used_mb[device],
         g->mem_total_mb[device]);
}

/* N of --devices cuda:N, else -1 */
static int cuda_index(const char *devices) {
  return devices && !strncmp(devices, "cuda:", 5) ? atoi(devices + 5) : -1;
}

/* CMIMIC_PROFILE=1: the timed iterations' phases (stderr), the env's own split when it has one. */
static void print_training_profile(const cm_agent *a, cm_rl_env *rl, const train_bench *tb) {
  const char *pe = getenv("CMIMIC_PROFILE");
  if (!pe || !*pe || !strcmp(pe, "0")) return;
  fprintf(stderr, "profile bench-env training: %.2f s = policy %.2f + env %.2f + train_data %.2f + update %.2f + other %.2f\n",
          tb->seconds, a->prof.policy, a->prof.env, a->prof.train_data, a->prof.update,
          tb->seconds - a->prof.policy - a->prof.env - a->prof.train_data - a->prof.update);
  fprintf(stderr, "profile bench-env training: update %.2f s = gather %.2f + nets %.2f + losses %.2f + optimizer %.2f\n",
          a->prof.update, a->prof.upd_gather, a->prof.upd_nets, a->prof.upd_losses, a->prof.upd_optim);
  char line[256];
  if (rl->profile && rl->profile(rl->ctx, line, sizeof line)) fprintf(stderr, "profile bench-env training: %s\n", line);
}

/* PPO/AWR iterations (rollout + update, as `cmimic run --mode train` does them, without test
 * phases) for about `seconds` after one untimed warm-up iteration. */
static int bench_training(const cm_args *args, const cm_cfg *preset, int num_envs, int threads, double seconds,
                          const cm_dev *dev, train_bench *out, cm_err *err) {
  const char *engine_file = cm_args_str(args, "engine_config", "data/engines/mujoco_engine.yaml");
  const char *env_file = cm_args_str(args, "env_config", "data/envs/deepmimic_humanoid_walk_env.yaml");
  const char *agent_file = cm_args_str(args, "agent_config", "data/agents/deepmimic_humanoid_ppo_agent.yaml");
  cm_engine_cfg ecfg;
  cm_env *env = NULL;
  cm_rl_env rl = {0};
  cm_agent *a = NULL;
  cm_cfg *acfg = NULL;
  int rc = -1;
  if (cm_engine_cfg_load(engine_file, &ecfg, err)) return -1;
  ecfg.num_threads = threads;
  /* the cuda engine steps on the networks' GPU, as in `cmimic run` (other engines ignore it) */
  snprintf(ecfg.device, sizeof ecfg.device, "%s", cm_args_str(args, "devices", "cpu"));
  if (cm_env_create(env_file, &ecfg, num_envs, 1, &env, err) || cm_rl_env_from_char(&rl, env, err) ||
      cm_preset_agent_cfg(agent_file, preset, &acfg, err) || cm_agent_create(acfg, &rl, dev, 1, &a, err) ||
      cm_agent_reset_envs(a, err))
    goto done;
  out->steps_per_iter = a->cfg.steps_per_iter;
  out->mini_batch = a->cfg.batch_size * a->num_envs;
  out->epochs = a->cfg.update_epochs;
  snprintf(out->net, sizeof out->net, "%s", a->cfg.actor_net);
  cm_stats st;
  cm_stats_clear(&st);
  if (cm_agent_train_iter(a, &st, err)) goto done;
  out->env_on_device = rl.on_device;
  memset(&a->prof, 0, sizeof a->prof); /* the profile covers the timed iterations only */
  char discard[256];
  if (rl.profile) rl.profile(rl.ctx, discard, sizeof discard);
  long start_samples = (long)a->buf.total_samples;
  cm_gpumon *mon = NULL;
  memset(&out->gpu, 0, sizeof out->gpu);
  if (cuda_index(ecfg.device) >= 0 && cm_gpumon_start(CM_GPUMON_DEFAULT_HZ, NULL, &mon, err)) goto done;
  double env_before = a->prof.env, t0 = cm_now_seconds(), t = t0;
  int iter_rc = 0;
  do {
    cm_stats_clear(&st);
    iter_rc = cm_agent_train_iter(a, &st, err);
    t = cm_now_seconds();
  } while (!iter_rc && t - t0 < seconds);
  cm_gpumon_stop(mon, &out->gpu);
  if (iter_rc) goto done;
  out->samples = (long)a->buf.total_samples - start_samples;
  out->seconds = t - t0;
  out->env_seconds = a->prof.env - env_before;
  print_training_profile(a, &rl, out);
  rc = 0;
done:
  cm_agent_destroy(a);
  cm_cfg_free(acfg);
  cm_rl_env_destroy(&rl);
  cm_env_destroy(env);
  return rc;
}

/* One line that names what the training phase ran (bench/presets_bench.sh reads it). */
static void print_agent_settings(const cm_cfg *preset, int num_envs, const train_bench *tb, const cm_dev *dev) {
  printf("  agent: preset %s, %d envs, steps_per_iter %d, mini-batch %d samples, update_epochs %d, net %s, tf32 %s\n",
         preset ? preset->file : "none", num_envs, tb->steps_per_iter, tb->mini_batch, tb->epochs, tb->net,
         cm_dev_tf32(dev) ? "on" : "off");
}

/* An engine other than mujoco (--engine_config data/engines/cuda_engine.yaml): its physics and
 * env-sample rates (on a GPU: kernels alone, and with target upload and state read-back), its GPU
 * memory, and raw mj_step on the host's cores in the same run. */
static int bench_other_engine(const cm_args *args, const cm_engine_cfg *ecfg_in, const char *char_file, long num_envs,
                              long threads, double seconds, cm_err *err) {
  cm_engine_cfg ecfg = *ecfg_in;
  long raw_envs = 0, gpu_block = 0, gpu_fused = -1, gpu_sort = -1, gpu_regs = -1, gpu_lanes = -1;
  double raw_seconds = 0;
  if (cm_args_int(args, "raw_envs", num_envs < 4096 ? num_envs : 4096, &raw_envs, err) ||
      cm_args_float(args, "raw_seconds", seconds < 3 ? seconds : 3, &raw_seconds, err) ||
      cm_args_int(args, "gpu_block", 0, &gpu_block, err) || cm_args_int(args, "gpu_fused", -1, &gpu_fused, err) ||
      cm_args_int(args, "gpu_sort", -1, &gpu_sort, err) || cm_args_int(args, "gpu_regs", -1, &gpu_regs, err) ||
      cm_args_int(args, "gpu_lanes", -1, &gpu_lanes, err))
    return 2;
  cm_engine_bench_gpu gpu = {(int)gpu_block, (int)gpu_fused, (int)gpu_sort, (int)gpu_regs, (int)gpu_lanes};
  snprintf(ecfg.device, sizeof ecfg.device, "%s", cm_args_str(args, "devices", "cpu"));
  ecfg.num_threads = (int)threads;
  cm_engine_bench_any_result r;
  if (cm_engine_bench_any(&ecfg, char_file, (int)num_envs, seconds, &gpu, &r, err)) return 1;
  int on_gpu = r.gpu_name[0] != 0;
  printf("bench-env: %s, engine %s on %s%s%s, %d envs, %d substeps per control step, %ld control steps timed\n", char_file,
         ecfg.engine_name, ecfg.device, on_gpu ? " = " : "", r.gpu_name, r.num_envs, r.substeps, r.control_steps);
  printf("  physics:            %12.0f substeps/s  (%s)\n", r.physics_substeps_per_s,
         on_gpu ? "step kernels alone, CUDA events" : "the engine's step, CPU threads");
  printf("  env samples:        %12.0f samples/s   (targets in + physics + state read-back with contacts)\n",
         r.env_samples_per_s);
  printf("  contacts/env:       %12.2f bodies on the ground; %ld envs reset after going non-finite\n", r.contacts, r.resets);
  if (on_gpu) {
    double steps = (double)r.control_steps;
    printf("  per control step:   kernels %.3f ms, targets in %.3f ms, state out %.3f ms, wall %.3f ms (env sort %.3f ms, in the kernels)\n",
           1e3 * r.kernel_s / steps, 1e3 * r.upload_s / steps, 1e3 * r.download_s / steps, 1e3 * r.wall_s / steps,
           1e3 * r.sort_s / steps);
    printf("  gpu memory:         %.1f KB/env in the engine's arrays; %.1f KB/env of the device in use (%.2f GB, kernels' local memory included)\n",
           r.arrays_bytes / 1024.0 / r.num_envs, r.device_in_use / 1024.0 / r.num_envs, r.device_in_use / 1e9);
    static const char *const k_order[] = {"env order", "sorted by constraint rows, heaviest first",
                                          "sorted by constraint rows, lightest first"};
    char cap[32] = "the compiler's choice";
    if (r.max_regs) snprintf(cap, sizeof cap, "capped at %d", r.max_regs);
    char who[32] = "one thread per env";
    if (r.lanes > 1) snprintf(who, sizeof who, r.lanes == 32 ? "one warp per env" : "%d lanes per env", r.lanes);
    printf("  kernel:             %s, %d threads/block, %s, work in %s, %d registers (%s), %zu B local/thread%s, %s\n",
           who, r.block_threads, r.fused ? "substeps fused in one launch" : "one launch per substep",
           r.local_work ? "local memory" : "the global block", r.regs, cap, r.local_bytes, r.l1_max ? ", L1 all cache" : "",
           k_order[r.sort >= 0 && r.sort <= 2 ? r.sort : 0]);
  }
  fflush(stdout);
  cm_engine_bench_result raw;
  if (raw_seconds > 0) {
    if (cm_engine_bench(char_file, (int)raw_envs, (int)threads, raw_seconds, &raw, err)) return 1;
    printf("  raw mj_step:        %12.0f steps/s  (%d threads, %d envs, same run); %s physics = %.1fx raw\n",
           raw.raw_steps_per_s, raw.threads, raw.num_envs, ecfg.engine_name, r.physics_substeps_per_s / raw.raw_steps_per_s);
    printf("  mujoco engine:      %12.0f samples/s (PD, state; %d threads); %s env samples = %.1fx\n",
           raw.engine_samples_per_s, raw.threads, ecfg.engine_name, r.env_samples_per_s / raw.engine_samples_per_s);
  }
  return 0;
}

int cmd_bench_env(int argc, char **argv) {
  cm_args args = {0};
  cm_err err;
  long num_envs = 64, threads = 0;
  double seconds = 5.0, train_seconds = -1;
  const cm_dev *dev = NULL;
  cm_cfg *preset = NULL;
  int status = 2;
  if (cm_flags_help_asked(argc, argv)) {
    cm_flags_usage(stdout, "bench-env [flags]", "Environment stepping and training throughput against raw MuJoCo mj_step.", k_flags);
    return 0;
  }
  int tf32 = 1;
  if (cm_args_parse_argv(&args, argc, argv, &err) || cm_flags_check(&args, k_flags, &err) ||
      cm_preset_apply_args(&args, &preset, &err) || cm_args_bool(&args, "tf32", 1, &tf32, &err) ||
      cm_args_int(&args, "num_envs", 64, &num_envs, &err) || cm_args_int(&args, "threads", 0, &threads, &err) ||
      cm_args_float(&args, "seconds", 5.0, &seconds, &err) ||
      cm_args_float(&args, "train_seconds", seconds, &train_seconds, &err) ||
      cm_dev_from_name(cm_args_str(&args, "devices", "cpu"), &dev, &err)) {
    fprintf(stderr, "cmimic bench-env: %s\n", err.msg);
    goto done;
  }
  if (cm_args_has(&args, "tf32")) cm_dev_set_tf32(dev, tf32);
  const char *char_file = cm_args_str(&args, "char_file", "data/assets/humanoid/humanoid.xml");
  cm_engine_cfg ecfg;
  if (cm_args_has(&args, "engine_config")) {
    if (cm_engine_cfg_load(cm_args_str(&args, "engine_config", NULL), &ecfg, &err)) {
      fprintf(stderr, "cmimic bench-env: %s\n", err.msg);
      goto done;
    }
    if (strcmp(ecfg.engine_name, "mujoco")) {
      status = bench_other_engine(&args, &ecfg, char_file, num_envs, threads, seconds, &err);
      if (status) fprintf(stderr, "cmimic bench-env: %s\n", err.msg);
      /* the training phase with this engine when asked for by --train_seconds */
      if (!status && cm_args_has(&args, "train_seconds") && train_seconds > 0) {
        train_bench tb;
        if (bench_training(&args, preset, (int)num_envs, (int)threads, train_seconds, dev, &tb, &err)) {
          fprintf(stderr, "cmimic bench-env: training: %s\n", err.msg);
          status = 1;
          goto done;
        }
        printf("  training (networks on %s, %s engine, env step %s): %.0f samples/s (%ld samples in %.1f s, %.0f%% of it stepping envs)\n",
               dev->ops->name, ecfg.engine_name, tb.env_on_device ? "as kernels on the GPU" : "on the host",
               tb.samples / tb.seconds, tb.samples, tb.seconds, 100.0 * tb.env_seconds / tb.seconds);
        print_agent_settings(preset, (int)num_envs, &tb, dev);
        print_gpu_util(&tb, cuda_index(cm_args_str(&args, "devices", "cpu")));
      }
      goto done;
    }
  }
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
    if (bench_training(&args, preset, (int)num_envs, r.threads, train_seconds, dev, &tb, &err)) {
      fprintf(stderr, "cmimic bench-env: training: %s\n", err.msg);
      status = 1;
      goto done;
    }
    double rate = tb.samples / tb.seconds;
    printf("  training (networks on %s): %.0f samples/s, ratio %.3f (%ld samples in %.1f s, %.0f%% of it stepping envs)\n",
           dev->ops->name, rate, rate / raw_samples, tb.samples, tb.seconds, 100.0 * tb.env_seconds / tb.seconds);
    print_agent_settings(preset, (int)num_envs, &tb, dev);
    print_gpu_util(&tb, cuda_index(cm_args_str(&args, "devices", "cpu")));
  }
  status = 0;
done:
  cm_cfg_free(preset);
  cm_args_free(&args);
  return status;
}
