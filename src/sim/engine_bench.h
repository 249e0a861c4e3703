/* Engine throughput against raw MuJoCo, measured in one run on the same model, thread count
 * and starting states: raw = mj_step on one mjData per env (no PD, no state read-back);
 * engine = control steps of the "mujoco" engine with random PD targets. The ratio says how
 * much of MuJoCo's speed the engine keeps (1.0 = no overhead). The app exposes it as
 * `cmimic bench-env`. */
#ifndef CM_ENGINE_BENCH_H
#define CM_ENGINE_BENCH_H
#include "core/err.h"

/* Rates the bench runs at (those of data/engines/mujoco_engine.yaml). */
#define CM_ENGINE_BENCH_CONTROL_FREQ 30
#define CM_ENGINE_BENCH_SIM_FREQ 120

typedef struct cm_engine_bench_result {
  int num_envs, threads, substeps;
  double raw_steps_per_s;      /* mj_step calls per second, summed over envs */
  double engine_samples_per_s; /* env control steps per second (each = substeps physics steps) */
  double ratio;                /* engine_samples_per_s / (raw_steps_per_s / substeps) */
  double raw_seconds, engine_seconds; /* time spent in each */
  long raw_steps, engine_samples;
  /* mean number of MuJoCo contacts per env, sampled after every control step: contacts are
   * most of a step's cost, so the two sides are comparable only when these are close */
  double raw_contacts, engine_contacts;
} cm_engine_bench_result;

/* Runs until each side has spent about `seconds`, in rounds of 1 s of simulated time that start
 * with every env standing. At every control step the raw data are first set (untimed) to the
 * engine's current states, then the raw side takes `substeps` mj_steps per env and the engine
 * one control step, each as one pool call, so both meet the same contact situations. */
int cm_engine_bench(const char *char_file, int num_envs, int threads, double seconds, cm_engine_bench_result *res,
                    cm_err *err);
#endif
