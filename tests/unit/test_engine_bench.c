/* The engine benchmark runs end to end for a short time and reports consistent numbers
 * (no timing assertions: the machine is shared). */
#include <mujoco/mujoco.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "sim/engine_bench.h"

static void quiet(const char *msg) { (void)msg; }

int main(int argc, char **argv) {
  mju_user_warning = quiet;
  /* optional: test_engine_bench NUM_ENVS THREADS SECONDS prints a full measurement */
  int n = argc > 1 ? atoi(argv[1]) : 4, threads = argc > 2 ? atoi(argv[2]) : 2;
  double secs = argc > 3 ? atof(argv[3]) : 0.2;
  cm_engine_bench_result r;
  cm_err err = {0};
  CHECK_OK(cm_engine_bench("data/assets/humanoid/humanoid.xml", n, threads, secs, &r, &err), &err);
  printf("envs %d threads %d substeps %d: raw %.0f mj_step/s (%.2f s), engine %.0f samples/s (%.2f s), ratio %.3f; contacts/env raw %.1f engine %.1f\n",
         r.num_envs, r.threads, r.substeps, r.raw_steps_per_s, r.raw_seconds, r.engine_samples_per_s,
         r.engine_seconds, r.ratio, r.raw_contacts, r.engine_contacts);
  CHECK(r.num_envs == n && r.threads == threads && r.substeps == 4);
  CHECK(r.raw_seconds >= secs && r.engine_seconds >= secs);
  CHECK(r.raw_steps > 0 && r.engine_samples > 0 && r.raw_steps % (n * 4) == 0);
  CHECK_NEAR(r.ratio, r.engine_samples_per_s * r.substeps / r.raw_steps_per_s, 1e-9 * r.ratio);
  CHECK(r.ratio > 0 && r.ratio < 100);
  CHECK(cm_engine_bench("data/assets/humanoid/humanoid.xml", 0, 1, 0.1, &r, &err) == -1);
  CHECK(strstr(err.msg, "num_envs") != NULL);
  CHECK(cm_engine_bench("tests/data/engine/missing.xml", 2, 1, 0.1, &r, &err) == -1);
  CHECK(strstr(err.msg, "missing.xml") != NULL);
  return check_report("test_engine_bench");
}
