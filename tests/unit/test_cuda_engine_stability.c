/* At which sim_freq the cuda engine keeps the humanoid's PD control stable, and that
 * data/engines/cuda_engine.yaml uses the lowest such rate. The scenarios and thresholds are
 * test_engine_stability's (the mujoco engine's): 8 envs, 6 s, control_freq 30, dropped from
 * 0.3 m above standing; random targets inside MimicKit's action bounds or the zero pose.
 * Stable = no env reset (non-finite state), hinge speeds < 100 rad/s, kinetic energy < 5000 J,
 * and with zero targets the body comes to rest (final kinetic energy < 1 J). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anim/char.h"
#include "check.h"
#include "core/rng.h"
#include "sim/cuda/cuda_engine.h"
#include "sim/cuda/phys_smooth.h"

#define HUMANOID "data/assets/humanoid/humanoid.xml"

typedef struct { long resets; double max_hinge_speed, max_kinetic, final_kinetic; } run_stats;

static int run(const cm_char *chr, int sim_freq, int random_targets, run_stats *out, cm_err *err) {
  cm_engine_cfg cfg = {.engine_name = "cuda", .control_mode = CM_CTRL_POS, .control_freq = 30, .sim_freq = sim_freq,
                       .env_spacing = 5, .ground_contact_height = 0.3f, .num_threads = 2};
  const int n = 8, nd = chr->num_dofs;
  cm_engine *e;
  if (cm_engine_create(&cfg, &(cm_engine_opts){.seed = 1}, HUMANOID, chr, n, &e, err)) return -1;
  for (int i = 0; i < n; i++) {
    e->st.root_pos[3 * i + 2] = 1.2f;
    e->st.root_rot[4 * i + 3] = 1.f;
  }
  e->ops->push_state(e, NULL, 0);
  float *tgt = calloc((size_t)n * nd, sizeof(float)), mv[CM_PHYS_MAX_DOF];
  memset(out, 0, sizeof *out);
  cm_cuda_engine_parts p;
  cm_cuda_engine_parts_get(e, &p);
  int steps = 6 * cfg.control_freq;
  for (int t = 0; t < steps; t++) {
    if (random_targets)
      for (int i = 0; i < n; i++) {
        cm_rng r = cm_rng_make(77, (uint32_t)i, (uint64_t)t, 0);
        for (int k = 0; k < nd; k++)
          tgt[i * nd + k] = chr->action_low[k] + cm_rng_uniform(&r) * (chr->action_high[k] - chr->action_low[k]);
      }
    e->ops->set_targets(e, tgt);
    if (e->ops->step(e, err)) break;
    for (int i = 0; i < n; i++) {
      cm_phys_data d;
      cm_cuda_engine_env(e, i, &d);
      for (int v = 6; v < p.model->nv; v++)
        if (!(fabs(d.qvel[v]) <= out->max_hinge_speed)) out->max_hinge_speed = fabs(d.qvel[v]); /* NaN propagates */
      cm_phys_mul_m(cm_lanes_one(), p.model, d.qM, d.qvel, mv);
      double ke = 0;
      for (int v = 0; v < p.model->nv; v++) ke += 0.5 * mv[v] * d.qvel[v];
      if (!(ke <= out->max_kinetic)) out->max_kinetic = ke;
      if (t == steps - 1 && !(ke <= out->final_kinetic)) out->final_kinetic = ke;
    }
  }
  out->resets = cm_cuda_engine_num_resets(e);
  free(tgt);
  cm_engine_destroy(e);
  return 0;
}

static int yaml_sim_freq(void) {
  FILE *f = fopen("data/engines/cuda_engine.yaml", "r");
  if (!f) return -1;
  char line[256];
  int v = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "sim_freq: %d", &v) == 1) break;
  fclose(f);
  return v;
}

int main(void) {
  static cm_char chr;
  cm_err err = {0};
  CHECK_OK(cm_char_load(HUMANOID, &chr, &err), &err);
  const int freqs[2] = {120, 240};
  int lowest = -1;
  printf("%-8s %-7s %6s %10s %10s %10s %s\n", "sim_freq", "targets", "resets", "max|qd|", "maxKE_J", "finalKE_J", "stable");
  for (int f = 1; f >= 0; f--) {
    int ok_all = 1;
    for (int rnd = 1; rnd >= 0; rnd--) {
      run_stats s = {0};
      CHECK_OK(run(&chr, freqs[f], rnd, &s, &err), &err);
      int ok = s.resets == 0 && s.max_hinge_speed < 100 && s.max_kinetic < 5000 && (rnd || s.final_kinetic < 1);
      ok_all &= ok;
      printf("%-8d %-7s %6ld %10.2f %10.1f %10.3f %s\n", freqs[f], rnd ? "random" : "zero", s.resets, s.max_hinge_speed,
             s.max_kinetic, s.final_kinetic, ok ? "yes" : "NO");
    }
    if (ok_all) lowest = freqs[f];
  }
  printf("lowest stable sim_freq of the cuda engine: %d\n", lowest);
  CHECK(lowest > 0);
  CHECK(yaml_sim_freq() == lowest);
  return check_report("test_cuda_engine_stability");
}
