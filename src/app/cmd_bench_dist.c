/* cmimic bench-dist: the communicator's all-reduce time for the gradient of each case's agent
 * (the one collective of every optimizer step, docs/DIST.md), over the ranks of this job:
 *   cmimic bench-dist --ranks 2 [--cases a.txt,b.txt] [--reps 200]   (starts its ranks itself)
 *   mpirun -np N cmimic bench-dist ...                               (across machines)
 * Each case's agent is built on one env to count its trained elements; the buffer of that size
 * is then all-reduced (mean) reps times after a warm-up, between barriers. Rank 0 prints a row
 * per case: trained elements, MB, mean and best microseconds, and GB/s of buffer reduced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/commands.h"
#include "core/clock.h"
#include "dist/comm.h"
#include "dist/launch.h"
#include "env/env.h"
#include "io/args.h"
#include "io/flags.h"
#include "learn/agent.h"
#include "learn/rl_env_char.h"
#include "sim/engine_config.h"

static const cm_flag k_flags[] = {
    {"ranks", "1", "processes to start on this machine (ignored under mpirun)"},
    {"cases", "deepmimic_humanoid_ppo_args.txt,amp_humanoid_args.txt,ase_humanoid_args.txt",
     "arg files under args/ whose agents' gradient sizes are measured"},
    {"reps", "200", "timed all-reduces per case"},
    {"master_port", "6100 + pid % 900", "the launcher's port (--ranks > 1)"},
    {NULL, NULL, NULL}};

/* Trained elements of the case's agent (built on one env). */
static int grad_size(const char *case_file, size_t *out, cm_err *err) {
  char path[1024];
  snprintf(path, sizeof path, "args/%s", case_file);
  cm_args a = {0};
  cm_engine_cfg ecfg;
  cm_env *env = NULL;
  cm_rl_env rl = {0};
  cm_agent *ag = NULL;
  int rc = -1;
  if (cm_args_load_file(&a, path, err)) goto done;
  const char *agent = cm_args_str(&a, "agent_config", NULL), *envf = cm_args_str(&a, "env_config", NULL);
  if (!agent || !envf) {
    cm_fail(err, "%s: no agent_config or env_config", path);
    goto done;
  }
  if (cm_engine_cfg_load(cm_args_str(&a, "engine_config", "data/engines/mujoco_engine.yaml"), &ecfg, err)) goto done;
  ecfg.num_threads = 1;
  if (cm_env_create(envf, &ecfg, 1, 1, &env, err) || cm_rl_env_from_char(&rl, env, err) ||
      cm_agent_create_file(agent, &rl, cm_dev_cpu(), 1, &ag, err))
    goto done;
  *out = 0;
  for (int i = 0; i < ag->optim.count; i++) *out += ag->optim.params[i]->n;
  rc = 0;
done:
  cm_agent_destroy(ag);
  if (rl.destroy) rl.destroy(rl.ctx);
  cm_env_destroy(env);
  cm_args_free(&a);
  return rc;
}

static int bench_case(cm_comm *c, const char *case_file, long reps, cm_err *err) {
  size_t n = 0;
  if (grad_size(case_file, &n, err)) return -1;
  float *buf = malloc(n * sizeof(float));
  if (!buf) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  for (size_t i = 0; i < n; i++) buf[i] = (float)(i % 7) * 0.25f;
  double best = 1e30, total = 0;
  int rc = 0;
  for (long r = -5; r < reps && !rc; r++) {
    rc = cm_comm_barrier(c, "bench", err);
    double t0 = cm_now_seconds();
    if (!rc) rc = cm_comm_allreduce_f32(c, buf, n, CM_RED_MEAN, "bench gradients", err);
    double dt = cm_now_seconds() - t0;
    if (r >= 0) {
      total += dt;
      if (dt < best) best = dt;
    }
  }
  free(buf);
  if (rc) return -1;
  double mean = total / (double)reps, mb = (double)n * 4.0 / 1e6;
  if (c->rank == 0)
    printf("%-45s %10zu %8.2f %10.1f %10.1f %8.2f\n", case_file, n, mb, mean * 1e6, best * 1e6, mb / 1e3 / mean);
  return 0;
}

int cmd_bench_dist(int argc, char **argv) {
  cm_err err = {{0}};
  cm_args args = {0};
  int status = 2;
  long ranks = 1, reps = 200, port = 0;
  if (cm_flags_help_asked(argc, argv)) {
    cm_flags_usage(stdout, "bench-dist [--ranks N] [--cases a.txt,b.txt] [--reps R]",
                   "All-reduce time of each case's gradient over the ranks of the job.", k_flags);
    return 0;
  }
  if (cm_args_parse_argv(&args, argc, argv, &err) || cm_flags_check(&args, k_flags, &err) ||
      cm_args_int(&args, "ranks", 1, &ranks, &err) || cm_args_int(&args, "reps", 200, &reps, &err) ||
      cm_args_int(&args, "master_port", 0, &port, &err))
    goto fail;
  if (ranks < 1 || reps < 1) {
    cm_fail(&err, "--ranks and --reps must be at least 1");
    goto fail;
  }
  if (!cm_comm_in_job(NULL, NULL, NULL) && ranks > 1) {
    status = cm_dist_launch("bench-dist", argc, argv, (int)ranks, port, &err);
    if (status && err.msg[0]) fprintf(stderr, "cmimic bench-dist: %s\n", err.msg);
    cm_args_free(&args);
    return status;
  }
  status = 1;
  if (cm_comm_open(0, 120, &err)) goto fail;
  cm_comm *c = cm_comm_world();
  if (cm_dist_link_hello(c->rank, &err)) goto fail;
  if (c->rank == 0)
    printf("all-reduce (mean, float32) over %d rank(s), %s backend, %ld reps\n%-45s %10s %8s %10s %10s %8s\n", c->size,
           c->ops ? c->ops->name : "single", reps, "case", "elements", "MB", "mean_us", "best_us", "GB/s");
  char list[2048];
  snprintf(list, sizeof list, "%s", cm_args_str(&args, "cases", cm_flags_default(k_flags, "cases")));
  for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
    if (bench_case(c, tok, reps, &err)) goto fail;
  status = 0;
  goto done;
fail:
  fprintf(stderr, "cmimic bench-dist: %s\n", err.msg);
done:
  cm_args_free(&args);
  cm_dist_link_bye(status == 0);
  if (status == 1) cm_comm_abort(cm_comm_world(), status);
  cm_comm_close();
  return status;
}
