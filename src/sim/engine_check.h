/* Validating an engine against MuJoCo on any character: a reference "mujoco" engine and a
 * candidate engine (normally "cuda") start from the same state and receive the same random PD
 * targets every control step; their states are compared after every control step beside a
 * yardstick: how far MuJoCo drifts from itself when its start state is perturbed by `perturb`
 * (1e-6). Contacts make the humanoid's motion chaotic, so no engine can track MuJoCo better
 * than MuJoCo tracks a copy of itself that differs by rounding; the candidate passes when at
 * every step each gated error is within `factor` (3) times the yardstick's plus an absolute
 * floor (docs/ENGINE.md, "engine-check", says why the floors are what they are).
 * `cmimic engine-check` is the command-line face of this. */
#ifndef CM_ENGINE_CHECK_H
#define CM_ENGINE_CHECK_H
#include <stdint.h>
#include "sim/engine.h"

/* Defaults (documented in docs/ENGINE.md). */
#define CM_ENGINE_CHECK_PERTURB 1e-6
#define CM_ENGINE_CHECK_FACTOR 3.0
#define CM_ENGINE_CHECK_POS_FLOOR 1e-3 /* m */
#define CM_ENGINE_CHECK_DOF_FLOOR 1e-2 /* rad */
#define CM_ENGINE_CHECK_MAX_YARD 8      /* perturbed copies at most */

/* How far state b is from state a (same sizes). */
typedef struct cm_state_err {
  double root_pos;      /* m: max over envs of |root_pos_b - root_pos_a| */
  double body_pos_max;  /* m: max over envs and bodies of |body_pos_b - body_pos_a| */
  double body_pos_mean; /* m: mean over envs and bodies */
  double dof_pos;       /* rad: max over envs and dofs of |dof_pos_b - dof_pos_a|; a spherical
                           joint counts the angle between its two rotations (an exp-map at angle
                           pi and its negation are one rotation) */
  double contacts;      /* mean over envs of |bodies touching the ground in b - in a| */
  int worst_env;        /* the env of body_pos_max (where to look first) */
} cm_state_err;

/* Non-finite values in b make every error NaN (so they fail any tolerance). chr names the
 * spherical joints' dofs (NULL: every dof compared as a scalar). */
void cm_state_err_compute(const cm_char *chr, const cm_sim_state *a, const cm_sim_state *b, cm_state_err *out);

typedef struct cm_engine_check_cfg {
  const char *char_file;
  cm_engine_cfg engine; /* rates and control mode for all three engines; engine_name and
                           device are the candidate's */
  char reference[32];   /* the reference engine and its perturbed copy, on CPU threads: "mujoco";
                           "cuda" checks the GPU kernels against the CPU build of the same engine */
  int steps, num_envs;
  int yard_copies;      /* perturbed copies (default 1); the yardstick is their largest error, since
                           one copy is one draw of a chaotic divergence (docs/ENGINE.md, G1) */
  uint64_t seed;
  double perturb, factor, pos_floor, dof_floor;
} cm_engine_check_cfg;

/* Fills the defaults above; 30 control steps, 8 envs, seed 1, candidate "cuda" on the CPU. */
void cm_engine_check_defaults(cm_engine_check_cfg *c);

typedef struct cm_engine_check_step {
  int step;            /* control steps done (0: the start state) */
  cm_state_err cand;   /* candidate vs reference */
  cm_state_err yard;   /* perturbed MuJoCo vs reference (per field the max over the copies) */
  /* bit set per gated error past its tolerance: 1 root, 2 body max, 4 dof */
  int failed;
} cm_engine_check_step;

#define CM_ENGINE_CHECK_FAIL_ROOT 1
#define CM_ENGINE_CHECK_FAIL_BODY 2
#define CM_ENGINE_CHECK_FAIL_DOF 4

/* Tolerance on an error given the yardstick's value at the same step. */
double cm_engine_check_tol(const cm_engine_check_cfg *c, double yard, double floor);

typedef struct cm_engine_check_result {
  int steps, failed_steps, first_failed_step; /* first_failed_step 0 when all passed */
  cm_engine_check_step first_failed;          /* that step's errors (valid when first_failed_step > 0) */
  cm_state_err cand_max, yard_max;            /* per field, the max over steps */
  /* per gated field, the largest error / tolerance over steps (<= 1 everywhere = pass) */
  double root_ratio, body_ratio, dof_ratio;
  int num_bodies, num_dofs, substeps;
} cm_engine_check_result;

/* The failure bits of one step (s->cand against s->yard); raises res's worst ratios. */
int cm_engine_check_judge(const cm_engine_check_cfg *c, const cm_engine_check_step *s, cm_engine_check_result *res);

typedef void (*cm_engine_check_cb)(void *ctx, const cm_engine_check_step *s);

/* Runs the comparison; cb (may be NULL) sees the start (step 0) and every step. Returns -1 only when it could not run
 * (file, unsupported model, engine failure); a candidate past tolerance returns 0 with
 * res->failed_steps > 0. */
int cm_engine_check_run(const cm_engine_check_cfg *c, cm_engine_check_cb cb, void *ctx, cm_engine_check_result *res,
                        cm_err *err);
#endif
