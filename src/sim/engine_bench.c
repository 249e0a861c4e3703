#include "sim/engine_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "anim/char.h"
#include "core/pool.h"
#include "core/rng.h"
#include "sim/cuda/cuda_engine.h"
#include "sim/cuda/phys_gpu.h"
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

/* ---- any engine (cm_engine_bench_any) ------------------------------------------------------ */

/* The standing start of one env of a mujoco engine copied to every env of e, pushed. */
static int place_standing_any(cm_engine *e, const cm_engine_cfg *cfg, const char *char_file, const cm_char *chr,
                              cm_err *err) {
  cm_engine_cfg mc = *cfg;
  snprintf(mc.engine_name, sizeof mc.engine_name, "mujoco");
  snprintf(mc.device, sizeof mc.device, "cpu");
  mc.num_threads = 1;
  cm_engine_opts o = {.seed = 1};
  cm_engine *mj = NULL;
  if (cm_engine_create(&mc, &o, char_file, chr, 1, &mj, err)) return -1;
  cm_mj_place_standing(mj, 0.01);
  cm_sim_state *s = &e->st;
  const cm_sim_state *m = &mj->st;
  size_t nd = (size_t)s->num_dofs;
  for (int i = 0; i < s->num_envs; i++) {
    memcpy(s->root_pos + 3 * i, m->root_pos, 3 * sizeof(float));
    memcpy(s->root_rot + 4 * i, m->root_rot, 4 * sizeof(float));
    memset(s->root_vel + 3 * i, 0, 3 * sizeof(float));
    memset(s->root_ang_vel + 3 * i, 0, 3 * sizeof(float));
    memcpy(s->dof_pos + nd * i, m->dof_pos, nd * sizeof(float));
    memset(s->dof_vel + nd * i, 0, nd * sizeof(float));
  }
  cm_engine_destroy(mj);
  e->ops->push_state(e, NULL, 0);
  return 0;
}

#define ANY_TARGET_SETS 4

int cm_engine_bench_any(const cm_engine_cfg *cfg, const char *char_file, int num_envs, double seconds,
                        const cm_engine_bench_gpu *gpu_opts, cm_engine_bench_any_result *res, cm_err *err) {
  memset(res, 0, sizeof *res);
  if (num_envs <= 0) return cm_fail(err, "bench-env: num_envs must be positive (got %d)", num_envs);
  if (!(seconds > 0)) return cm_fail(err, "bench-env: seconds must be positive");
  cm_char *chr = malloc(sizeof *chr);
  if (!chr) return cm_fail(err, "out of memory");
  cm_engine *e = NULL;
  float *tgt = NULL;
  int rc = -1;
  if (cm_char_load(char_file, chr, err)) goto done;
  cm_engine_opts opts = {.seed = 1};
  if (cm_engine_create(cfg, &opts, char_file, chr, num_envs, &e, err)) goto done;
  int is_cuda = !strcmp(cfg->engine_name, "cuda");
  struct cm_phys_gpu *gpu = is_cuda ? cm_cuda_engine_gpu(e) : NULL;
  if (gpu) {
    cm_phys_gpu_set_launch(gpu, gpu_opts->block > 0 ? gpu_opts->block : 0, gpu_opts->fused >= 0 ? gpu_opts->fused : 1);
    if ((gpu_opts->sort >= 0 && cm_phys_gpu_set_order(gpu, gpu_opts->sort, err)) ||
        (gpu_opts->lanes >= 0 && cm_phys_gpu_set_lanes(gpu, gpu_opts->lanes, err)) || /* (lanes first: a cap is per kernel) */
        (gpu_opts->regs >= 0 && cm_phys_gpu_set_regs(gpu, gpu_opts->regs, err)))
      goto done;
  }
  size_t nd = (size_t)chr->num_dofs, n = (size_t)num_envs, nb = (size_t)chr->num_bodies;
  tgt = malloc(sizeof(float) * ANY_TARGET_SETS * n * (nd ? nd : 1));
  if (!tgt) {
    cm_fail(err, "bench-env: out of memory for %d envs", num_envs);
    goto done;
  }
  for (int k = 0; k < ANY_TARGET_SETS; k++)
    for (size_t i = 0; i < n; i++) {
      cm_rng r = cm_rng_make(opts.seed, (uint32_t)i, (uint64_t)k, 0);
      for (size_t j = 0; j < nd; j++)
        tgt[(k * n + i) * nd + j] = chr->action_low[j] + cm_rng_uniform(&r) * (chr->action_high[j] - chr->action_low[j]);
    }
  res->num_envs = num_envs;
  res->substeps = cfg->sim_freq / cfg->control_freq;
  if (place_standing_any(e, cfg, char_file, chr, err)) goto done;
  /* one untimed step: first launches, local memory, page faults */
  e->ops->set_targets(e, tgt);
  if (e->ops->step(e, err)) goto done;
  if (gpu) cm_phys_gpu_stats_reset(gpu);
  double contacts = 0;
  long samples = 0;
  for (long t = 0; res->wall_s < seconds; t++) {
    if (t % cfg->control_freq == 0 && place_standing_any(e, cfg, char_file, chr, err)) goto done; /* rounds of 1 s */
    double t0 = cm_now_seconds();
    e->ops->set_targets(e, tgt + (size_t)(t % ANY_TARGET_SETS) * n * nd);
    if (e->ops->step(e, err)) goto done;
    res->wall_s += cm_now_seconds() - t0;
    res->control_steps++;
    /* contact flags of a sample of envs (all of them up to 4096) */
    size_t stride = n > 4096 ? n / 4096 : 1;
    long cnt = 0, envs = 0;
    for (size_t i = 0; i < n; i += stride, envs++)
      for (size_t b = 0; b < nb; b++) cnt += e->st.ground_contact[i * nb + b] != 0;
    contacts += (double)cnt / (double)envs;
    samples++;
  }
  res->contacts = contacts / (double)samples;
  res->env_samples_per_s = (double)num_envs * (double)res->control_steps / res->wall_s;
  if (gpu) {
    cm_phys_gpu_stats gs;
    cm_phys_gpu_stats_get(gpu, &gs);
    res->kernel_s = gs.kernel_s;
    res->upload_s = gs.upload_s;
    res->download_s = gs.download_s;
    snprintf(res->gpu_name, sizeof res->gpu_name, "%s", gs.device_name);
    res->arrays_bytes = gs.device_bytes;
    res->device_in_use = gs.device_in_use;
    res->block_threads = gs.block_threads;
    res->fused = gs.fused;
    res->local_work = gs.local_work;
    res->regs = gs.regs;
    res->local_bytes = gs.local_bytes;
    res->l1_max = gs.l1_max;
    res->sort = gs.sort;
    res->max_regs = gs.max_regs;
    res->lanes = gs.lanes;
    res->sort_s = gs.sort_s;
  }
  double phys_s = res->kernel_s > 0 ? res->kernel_s : res->wall_s;
  res->physics_substeps_per_s = (double)num_envs * res->substeps * (double)res->control_steps / phys_s;
  if (is_cuda) res->resets = cm_cuda_engine_num_resets(e);
  rc = 0;
done:
  cm_engine_destroy(e);
  free(tgt);
  free(chr);
  return rc;
}
