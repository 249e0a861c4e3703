/* char_dof_test: the root is welded in place and each dof in turn swings to its lower and
 * upper action bound and back (sin wave, 4 s per dof), so a person can check every joint's
 * axis, range and gains by eye (MimicKit's CharDofTestEnv). */
#include <math.h>
#include <string.h>
#include "core/quat.h"
#include "env/env.h"

#define TIME_PER_DOF 4.0f

static void setup(cm_env *e, cm_engine_cfg *cfg, cm_engine_opts *opts) {
  (void)e; (void)cfg;
  opts->fix_root = 1;
}

static int init(cm_env *e, const cm_cfg *cfg, cm_err *err) {
  (void)cfg; (void)err;
  e->episode_length = TIME_PER_DOF * (float)e->act_dim;
  return 0;
}

/* The test action of one env: only one dof is non-zero at a time. */
static void dof_test_action(const cm_env *e, int env, float *out) {
  int A = e->act_dim;
  memset(out, 0, (size_t)A * sizeof(float));
  if (A == 0) return;
  float phase = e->time[env] / TIME_PER_DOF;
  int dof = ((int)floorf(phase) + env) % A;
  float wave = sinf(2.f * CM_PI * (phase - floorf(phase)));
  float lim = wave < 0.f ? e->action_low[dof] : e->action_high[dof];
  out[dof] = fabsf(wave) * lim;
}

static void apply_action(cm_env *e, const float *actions) {
  (void)actions; /* the agent's actions are ignored: the env drives the joints itself */
  int A = e->act_dim;
  for (int i = 0; i < e->num_envs; i++) {
    float *t = e->targets + (size_t)i * A;
    dof_test_action(e, i, t);
    for (int k = 0; k < A; k++) t[k] = fminf(fmaxf(t[k], e->action_low[k]), e->action_high[k]);
  }
  e->engine->ops->set_targets(e->engine, e->targets);
}

const cm_env_type cm_env_char_dof_test = {
    .name = "char_dof_test",
    .engine_setup = setup,
    .init = init,
    .apply_action = apply_action,
};
