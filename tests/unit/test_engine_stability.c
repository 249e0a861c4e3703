/* Measures at which sim_freq the humanoid's PD control is stable, for both ways of integrating
 * the damping term, and checks the value chosen in data/engines/mujoco_engine.yaml.
 * Scenarios (each 8 envs, 6 s, control_freq 30):
 *   random: dropped from 0.3 m above standing height, PD targets drawn uniformly inside
 *           MimicKit's action bounds, new targets every control step;
 *   stand:  dropped the same way, zero targets (the T-pose of the file).
 * Stable = no MuJoCo reset (NaN / huge acceleration), every hinge speed below
 * k_max_hinge_speed and kinetic energy below k_max_kinetic at all times, and with zero
 * targets the fallen body comes to rest (final kinetic energy below k_rest_kinetic): a PD loop
 * that chatters keeps pumping energy into a body lying on the ground.
 * Prints a table; docs/ENGINE.md records its output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "anim/char.h"
#include "core/rng.h"
#include "sim/engine.h"
#include "sim/mujoco/mj_engine.h"

#define HUMANOID "data/assets/humanoid/humanoid.xml"
static const double k_max_hinge_speed = 100.0; /* rad/s: ~16 turns per second */
static const double k_max_kinetic = 5000.0;    /* J: a 45 kg body at ~15 m/s */
static const double k_rest_kinetic = 1.0;      /* J */

typedef struct {
  long resets;
  int nan;
  double max_hinge_speed, max_kinetic, final_kinetic, min_root_height, final_root_height;
} run_stats;

static double kinetic_energy(const mjModel *m, mjData *d) {
  double mv[256];
  mj_mulM(m, d, mv, d->qvel);
  return 0.5 * mju_dot(mv, d->qvel, m->nv);
}

static int run(const cm_char *chr, int sim_freq, int implicit, int random_targets, double seconds, run_stats *out,
               cm_err *err) {
  cm_engine_cfg cfg = {.engine_name = "mujoco", .control_mode = CM_CTRL_POS, .control_freq = 30,
                       .sim_freq = sim_freq, .env_spacing = 5, .ground_contact_height = 0.3f, .num_threads = 2};
  cm_engine_opts opts = {.seed = 1};
  const int n = 8;
  cm_engine *e;
  if (cm_engine_create(&cfg, &opts, HUMANOID, chr, n, &e, err)) return -1;
  cm_mj_engine_set_implicit_damping(e, implicit);
  int nd = chr->num_dofs;
  /* zero pose, pelvis 1.2 m up: feet start ~0.3 m above the ground */
  for (int i = 0; i < n; i++) {
    e->st.root_pos[3 * i + 2] = 1.2f;
    e->st.root_rot[4 * i + 3] = 1.f;
  }
  e->ops->push_state(e, NULL, 0);
  float *tgt = calloc((size_t)n * nd, sizeof(float));
  memset(out, 0, sizeof *out);
  out->min_root_height = 1e9;
  const mjModel *m = cm_mj_model(e);
  int steps = (int)(seconds * cfg.control_freq);
  for (int t = 0; t < steps; t++) {
    if (random_targets)
      for (int i = 0; i < n; i++) {
        cm_rng r = cm_rng_make(77, (uint32_t)i, (uint64_t)t, 0);
        for (int k = 0; k < nd; k++)
          tgt[i * nd + k] = chr->action_low[k] + cm_rng_uniform(&r) * (chr->action_high[k] - chr->action_low[k]);
      }
    e->ops->set_targets(e, tgt);
    if (e->ops->step(e, err)) {
      free(tgt);
      cm_engine_destroy(e);
      return -1;
    }
    for (int i = 0; i < n; i++) {
      mjData *d = cm_mj_data(e, i);
      for (int v = 6; v < m->nv; v++) {
        if (d->qvel[v] != d->qvel[v]) out->nan = 1;
        if (fabs(d->qvel[v]) > out->max_hinge_speed) out->max_hinge_speed = fabs(d->qvel[v]);
      }
      double ke = kinetic_energy(m, d);
      if (ke != ke) out->nan = 1;
      if (ke > out->max_kinetic) out->max_kinetic = ke;
      if (t == steps - 1) {
        out->final_kinetic = fmax(out->final_kinetic, ke);
        out->final_root_height = fmax(out->final_root_height, e->st.root_pos[3 * i + 2]);
      }
      if (e->st.root_pos[3 * i + 2] < out->min_root_height) out->min_root_height = e->st.root_pos[3 * i + 2];
    }
  }
  out->resets = cm_mj_engine_num_resets(e);
  free(tgt);
  cm_engine_destroy(e);
  return 0;
}

static int stable(const run_stats *s, int random_targets) {
  return !s->nan && s->resets == 0 && s->max_hinge_speed < k_max_hinge_speed && s->max_kinetic < k_max_kinetic &&
         (random_targets || s->final_kinetic < k_rest_kinetic);
}

/* sim_freq from the yaml: the one line "sim_freq: N". */
static int yaml_sim_freq(void) {
  FILE *f = fopen("data/engines/mujoco_engine.yaml", "r");
  if (!f) return -1;
  char line[256];
  int v = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "sim_freq: %d", &v) == 1) break;
  fclose(f);
  return v;
}

static void quiet(const char *msg) { (void)msg; } /* resets are counted, not printed */

int main(void) {
  mju_user_warning = quiet;
  cm_char chr;
  cm_err err = {0};
  if (cm_char_load(HUMANOID, &chr, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  const int freqs[2] = {120, 240};
  int stable_at[2][2] = {{1, 1}, {1, 1}}; /* [implicit][freq] */
  printf("%-8s %-8s %-7s %6s %4s %10s %10s %10s %9s %9s %s\n", "sim_freq", "damping", "targets", "resets", "nan",
         "max|qd|", "maxKE_J", "finalKE_J", "minRootZ", "endRootZ", "stable");
  for (int im = 1; im >= 0; im--)
    for (int f = 0; f < 2; f++)
      for (int rnd = 1; rnd >= 0; rnd--) {
        run_stats s = {0};
        CHECK_OK(run(&chr, freqs[f], im, rnd, 6.0, &s, &err), &err);
        int ok = stable(&s, rnd);
        stable_at[im][f] &= ok;
        printf("%-8d %-8s %-7s %6ld %4d %10.2f %10.1f %10.2f %9.3f %9.3f %s\n", freqs[f], im ? "implicit" : "explicit",
               rnd ? "random" : "zero", s.resets, s.nan, s.max_hinge_speed, s.max_kinetic, s.final_kinetic,
               s.min_root_height, s.final_root_height, ok ? "yes" : "NO");
      }
  int lowest = stable_at[1][0] ? 120 : (stable_at[1][1] ? 240 : -1);
  printf("lowest stable sim_freq with the engine's default (implicit damping): %d\n", lowest);
  CHECK(lowest > 0);
  CHECK(yaml_sim_freq() == lowest);
  return check_report("test_engine_stability");
}
