#include "sim/engine_bench.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "anim/char.h"
#include "core/pool.h"
#include "core/rng.h"
#include "sim/engine.h"
#include "sim/mujoco/mj_engine.h"
#include "sim/mujoco/mj_standing.h"
#include "core/clock.h"

typedef struct {
  const mjModel *m;
  mjData **d;
  int steps;
} raw_ctx;

static void raw_chunk(void *ctx, int begin, int end, int worker) {
  (void)worker;
  raw_ctx *r = ctx;
  for (int i = begin; i < end; i++)
    for (int s = 0; s < r->steps; s++) mj_step(r->m, r->d[i]);
}

int cm_engine_bench(const char *char_file, int num_envs, int threads, double seconds, cm_engine_bench_result *res,
                    cm_err *err) {
  memset(res, 0, sizeof *res);
  if (num_envs <= 0) return cm_fail(err, "bench-env: num_envs must be positive (got %d)", num_envs);
  if (!(seconds > 0)) return cm_fail(err, "bench-env: seconds must be positive");
  cm_char *chr = malloc(sizeof *chr);
  if (!chr) return cm_fail(err, "out of memory");
  if (cm_char_load(char_file, chr, err)) {
    free(chr);
    return -1;
  }
  cm_engine_cfg cfg = {.engine_name = "mujoco", .control_mode = CM_CTRL_POS,
                       .control_freq = CM_ENGINE_BENCH_CONTROL_FREQ, .sim_freq = CM_ENGINE_BENCH_SIM_FREQ,
                       .env_spacing = 5, .ground_contact_height = 0.3f, .num_threads = threads};
  cm_engine_opts opts = {.seed = 1};
  cm_engine *e = NULL;
  if (cm_engine_create(&cfg, &opts, char_file, chr, num_envs, &e, err)) {
    free(chr);
    return -1;
  }
  /* raw side: the engine's own model (same timestep, damping, contacts), its own data */
  const mjModel *m = cm_mj_model(e);
  mjData **raw = calloc((size_t)num_envs, sizeof *raw);
  cm_pool *pool = cm_pool_create(threads);
  int nd = chr->num_dofs, substeps = cfg.sim_freq / cfg.control_freq, round_steps = cfg.control_freq;
  float *tgt = malloc(sizeof(float) * (size_t)num_envs * (size_t)(nd ? nd : 1));
  int bad = !raw || !pool || !tgt;
  for (int i = 0; i < num_envs && !bad; i++) bad = !(raw[i] = mj_makeData(m));
  if (bad) {
    cm_fail(err, "bench-env: out of memory for %d envs", num_envs);
  } else {
    res->num_envs = num_envs;
    res->threads = cm_pool_threads(pool);
    res->substeps = substeps;
    double raw_con = 0, eng_con = 0;
    raw_ctx rc = {m, raw, substeps};
    for (int round = 0; res->raw_seconds < seconds || res->engine_seconds < seconds; round++) {
      cm_mj_place_standing(e, 0.01); /* soles 1 cm above the ground */
      for (int t = 0; t < round_steps && !bad; t++) {
        /* raw: from the engine's current states (untimed copy), so both sides meet the same
         * contacts; the same simulated time, one pool call per control step like the engine */
        for (int i = 0; i < num_envs; i++) {
          const mjData *src = cm_mj_data(e, i);
          mju_copy(raw[i]->qpos, src->qpos, m->nq);
          mju_copy(raw[i]->qvel, src->qvel, m->nv);
          mju_copy(raw[i]->qacc_warmstart, src->qacc_warmstart, m->nv);
        }
        double t0 = cm_now_seconds();
        cm_pool_for(pool, num_envs, raw_chunk, &rc);
        res->raw_seconds += cm_now_seconds() - t0;
        res->raw_steps += (long)substeps * num_envs;
        for (int i = 0; i < num_envs; i++) raw_con += raw[i]->ncon;
        /* engine: random targets inside the action bounds, new every control step */
        for (int i = 0; i < num_envs; i++) {
          cm_rng r = cm_rng_make(opts.seed, (uint32_t)i, (uint64_t)(round * round_steps + t), 0);
          for (int k = 0; k < nd; k++)
            tgt[(size_t)i * nd + k] =
                chr->action_low[k] + cm_rng_uniform(&r) * (chr->action_high[k] - chr->action_low[k]);
        }
        double t1 = cm_now_seconds();
        e->ops->set_targets(e, tgt);
        if (e->ops->step(e, err)) bad = 1;
        res->engine_seconds += cm_now_seconds() - t1;
        res->engine_samples += num_envs;
        for (int i = 0; i < num_envs; i++) eng_con += cm_mj_data(e, i)->ncon;
      }
      if (bad) break;
    }
    if (!bad) {
      res->raw_steps_per_s = (double)res->raw_steps / res->raw_seconds;
      res->engine_samples_per_s = (double)res->engine_samples / res->engine_seconds;
      res->ratio = res->engine_samples_per_s / (res->raw_steps_per_s / substeps);
      res->raw_contacts = raw_con / ((double)res->raw_steps / substeps);
      res->engine_contacts = eng_con / (double)res->engine_samples;
    }
  }
  for (int i = 0; raw && i < num_envs; i++)
    if (raw[i]) mj_deleteData(raw[i]);
  free(raw);
  if (pool) cm_pool_destroy(pool);
  free(tgt);
  cm_engine_destroy(e);
  free(chr);
  return bad ? -1 : 0;
}
