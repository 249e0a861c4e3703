/* cmimic engine-check: validates an engine (normally `cuda`) against MuJoCo on a character file,
 * step by step beside MuJoCo's own divergence under a 1e-6 perturbation (sim/engine_check.h).
 * Exit 0: within tolerance at every step; 1: past tolerance (or an engine failed); 2: bad input.
 * CM_ENGINE_CHECK_CANDIDATE=NAME replaces the candidate engine (mujoco checks the tool itself);
 * CM_ENGINE_CHECK_REFERENCE=cuda compares the candidate with the cuda engine's CPU build instead of
 * MuJoCo (bench/engine_cuda_check.sh: the GPU kernels against the CPU build). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/commands.h"
#include "io/args.h"
#include "io/flags.h"
#include "sim/engine_check.h"
#include "sim/engine_config.h"

static const cm_flag k_flags[] = {
    {"char_file", NULL, "the character MJCF to check (required)"},
    {"steps", "30", "control steps compared"},
    {"num_envs", "8", "environments, each with its own random PD targets"},
    {"devices", "cpu", "where the candidate runs: cpu or cuda:N"},
    {"seed", "1", "seed of the targets"},
    {"yard_copies", "1", "perturbed MuJoCo copies; the yardstick is their largest error (1..8)"},
    {"engine_config", "data/engines/cuda_engine.yaml", "the candidate engine's yaml"},
    {"threads", "0 (auto)", "CPU threads"},
    {NULL, NULL, NULL}};

#define DEFAULT_ENGINE_CONFIG "data/engines/cuda_engine.yaml"

/* "cpu" or "cuda:N" */
static int check_device(const char *dev, cm_err *err) {
  if (!strcmp(dev, "cpu")) return 0;
  if (!strncmp(dev, "cuda:", 5) && dev[5]) {
    char *end;
    long n = strtol(dev + 5, &end, 10);
    if (!*end && n >= 0 && n < 64) return 0;
  }
  return cm_fail(err, "--devices '%s' is not cpu or cuda:N", dev);
}

static void print_header(const cm_engine_check_cfg *c) {
  printf("engine-check: %s, %d envs, %d control steps at %d Hz, physics %d Hz; candidate '%s' on %s vs %s on cpu, seed %ld\n",
         c->char_file, c->num_envs, c->steps, c->engine.control_freq, c->engine.sim_freq, c->engine.engine_name,
         c->engine.device, c->reference, (long)c->seed);
  printf("yardstick (yard): %s vs %s started %.0e off in every root coordinate and dof", c->reference, c->reference, c->perturb);
  if (c->yard_copies > 1) printf(" (the largest of %d such copies)", c->yard_copies);
  printf("\n");
  printf("pass: at every step root, body max and dof error <= %.0f x yard + floor (%.0e m, %.0e rad)\n", c->factor,
         c->pos_floor, c->dof_floor);
  printf("step  root_m    (yard)     body_max_m (yard)     body_mean_m (yard)    dof_rad   (yard)     contacts (yard)\n");
  fflush(stdout);
}

static void print_step(void *ctx, const cm_engine_check_step *s) {
  if (s->step == 0) print_header(ctx); /* the engines are built: the model is accepted */
  const cm_state_err *c = &s->cand, *y = &s->yard;
  printf("%4d  %9.2e %9.2e  %9.2e %9.2e  %9.2e %9.2e  %9.2e %9.2e  %6.2f %6.2f  %s\n", s->step, c->root_pos,
         y->root_pos, c->body_pos_max, y->body_pos_max, c->body_pos_mean, y->body_pos_mean, c->dof_pos, y->dof_pos,
         c->contacts, y->contacts, s->failed ? "FAIL" : "ok");
  fflush(stdout);
}

int cmd_engine_check(int argc, char **argv) {
  cm_args args = {0};
  cm_err err;
  cm_engine_check_cfg c;
  cm_engine_check_defaults(&c);
  long steps = 0, num_envs = 0, seed = 0, threads = 0, copies = 0;
  int status = 2;
  if (cm_flags_help_asked(argc, argv)) {
    cm_flags_usage(stdout, "engine-check --char_file X.xml [flags]",
                   "An engine (normally cuda) against MuJoCo step by step, beside MuJoCo's own divergence from a 1e-6-perturbed start.",
                   k_flags);
    return 0;
  }
  if (cm_args_parse_argv(&args, argc, argv, &err) || cm_flags_check(&args, k_flags, &err) ||
      cm_args_int(&args, "steps", c.steps, &steps, &err) || cm_args_int(&args, "num_envs", c.num_envs, &num_envs, &err) ||
      cm_args_int(&args, "seed", (long)c.seed, &seed, &err) || cm_args_int(&args, "threads", 0, &threads, &err) ||
      cm_args_int(&args, "yard_copies", c.yard_copies, &copies, &err) ||
      check_device(cm_args_str(&args, "devices", "cpu"), &err))
    goto bad;
  c.char_file = cm_args_str(&args, "char_file", NULL);
  if (!c.char_file) {
    cm_fail(&err, "--char_file X.xml is required");
    goto bad;
  }
  if (steps <= 0 || num_envs <= 0 || seed < 0) {
    cm_fail(&err, "--steps and --num_envs must be positive, --seed non-negative");
    goto bad;
  }
  /* rates and control mode from the candidate's yaml (both engines then run at those rates) */
  const char *engine_file = cm_args_str(&args, "engine_config", NULL);
  if (!engine_file && access(DEFAULT_ENGINE_CONFIG, R_OK) == 0) engine_file = DEFAULT_ENGINE_CONFIG;
  if (engine_file && cm_engine_cfg_load(engine_file, &c.engine, &err)) goto bad;
  const char *cand = getenv("CM_ENGINE_CHECK_CANDIDATE");
  if (cand && *cand) snprintf(c.engine.engine_name, sizeof c.engine.engine_name, "%s", cand);
  const char *ref = getenv("CM_ENGINE_CHECK_REFERENCE");
  if (ref && *ref) snprintf(c.reference, sizeof c.reference, "%s", ref);
  snprintf(c.engine.device, sizeof c.engine.device, "%s", cm_args_str(&args, "devices", "cpu"));
  c.engine.num_threads = (int)threads;
  c.steps = (int)steps;
  c.num_envs = (int)num_envs;
  c.seed = (uint64_t)seed;
  c.yard_copies = (int)copies;

  cm_engine_check_result r;
  if (cm_engine_check_run(&c, print_step, &c, &r, &err)) {
    fprintf(stderr, "cmimic engine-check: %s\n", err.msg);
    status = r.steps > 0 ? 1 : 2; /* it ran and then an engine failed, or it could not start */
    goto done;
  }
  printf("summary: %d bodies, %d dofs, %d substeps per control step; max over steps (candidate / yard):\n",
         r.num_bodies, r.num_dofs, r.substeps);
  printf("  root %.2e / %.2e m, body max %.2e / %.2e m, body mean %.2e / %.2e m, dof %.2e / %.2e rad, contacts %.2f / %.2f\n",
         r.cand_max.root_pos, r.yard_max.root_pos, r.cand_max.body_pos_max, r.yard_max.body_pos_max,
         r.cand_max.body_pos_mean, r.yard_max.body_pos_mean, r.cand_max.dof_pos, r.yard_max.dof_pos, r.cand_max.contacts,
         r.yard_max.contacts);
  printf("  worst error / tolerance: root %.3f, body %.3f, dof %.3f\n", r.root_ratio, r.body_ratio, r.dof_ratio);
  if (r.failed_steps) {
    const cm_engine_check_step *f = &r.first_failed;
    printf("FAIL: %d of %d steps past tolerance, first at step %d: body max %.2e m (allowed %.2e) in env %d, "
           "root %.2e (allowed %.2e), dof %.2e rad (allowed %.2e)\n",
           r.failed_steps, r.steps, r.first_failed_step, f->cand.body_pos_max,
           cm_engine_check_tol(&c, f->yard.body_pos_max, c.pos_floor), f->cand.worst_env, f->cand.root_pos,
           cm_engine_check_tol(&c, f->yard.root_pos, c.pos_floor), f->cand.dof_pos, cm_engine_check_tol(&c, f->yard.dof_pos, c.dof_floor));
    status = 1;
  } else {
    printf("PASS: within tolerance at all %d steps\n", r.steps);
    status = 0;
  }
  goto done;
bad:
  fprintf(stderr, "cmimic engine-check: %s\n", err.msg);
done:
  cm_args_free(&args);
  return status;
}
