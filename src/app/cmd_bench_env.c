/* cmimic bench-env: environment stepping throughput against raw MuJoCo mj_step on the same
 * humanoid and core count, measured in one run. */
#include <stdio.h>
#include "app/commands.h"
#include "io/args.h"
#include "sim/engine_bench.h"

static const char *const k_flags[] = {"num_envs", "threads", "seconds", "char_file", NULL};

int cmd_bench_env(int argc, char **argv) {
  cm_args args = {0};
  cm_err err;
  long num_envs = 64, threads = 0;
  double seconds = 5.0;
  int status = 2;
  if (cm_args_parse_argv(&args, argc, argv, &err) || cm_args_check_known(&args, k_flags, &err) ||
      cm_args_int(&args, "num_envs", 64, &num_envs, &err) || cm_args_int(&args, "threads", 0, &threads, &err) ||
      cm_args_float(&args, "seconds", 5.0, &seconds, &err)) {
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
  printf("bench-env: %s, %d envs, %d threads, %d substeps per control step\n", char_file, r.num_envs, r.threads,
         r.substeps);
  printf("  raw mj_step:        %10.0f steps/s  (%.1f contacts/env)\n", r.raw_steps_per_s, r.raw_contacts);
  printf("  raw / substeps:     %10.0f samples/s\n", r.raw_steps_per_s / r.substeps);
  printf("  engine (PD, state): %10.0f samples/s  (%.1f contacts/env)\n", r.engine_samples_per_s, r.engine_contacts);
  printf("  ratio:              %10.3f\n", r.ratio);
  status = 0;
done:
  cm_args_free(&args);
  return status;
}
