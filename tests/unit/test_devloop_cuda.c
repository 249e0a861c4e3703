/* The deepmimic env, the amp family (amp, ase, add) and the task envs (task_location,
 * task_steering; train mode) stepped as kernels (env/deepmimic_gpu.h)
 * against the same env stepped by the host driver (cm_env_step and the reset of the finished
 * envs, as learn/rl_env_char.c does it), both on the cuda engine on GPU 0, same seed, same
 * actions. The physics kernel is the same on both sides, so what differs is only where the
 * CM_HD env functions ran: after every step the whole env state of the device copy is read back
 * and walked field by field (observation, reward, done, the step's pre-reset disc_obs and ADD's
 * disc_obs_demo, time, the deepmimic buffers of the reference and the reset draws, the
 * discriminator history and the post-reset disc_obs, the task's targets, change times, draw
 * counters and root positions, the engine's state and the reference character's pose); the first field that differs is named with its env, element and both
 * values; the history ring's head must agree too.
 *
 * Before every step the device env takes the host env's state and both engines push it, so the
 * physics of the step starts from bit-identical states and the tolerance is that of the env
 * functions' rounding on two devices. Cases: the shipped deepmimic and add envs for a few steps
 * in test mode (the means of the tracking error they log compared too), the shipped amp env, and
 * runs over several episodes of deepmimic, amp, ase (half its resets to the init pose) and add
 * and both tasks (0.3 s episodes without early termination, so every env resets by time on both
 * sides at the same steps; a dataset of five clips, so the reset draws pick clips; task targets
 * changing every 0.1 to 0.2 s, so targets change both by time and on resets).
 *
 * Then one PPO training iteration of an agent on GPU 0 with the env on the device (the rollout
 * on device arrays, reset_dev / step_dev) against the same agent and env of the same seeds
 * with the env on the host (CMIMIC_DEVICE_ENV=0: actions down, observations up at the env
 * boundary): the experience buffers (obs, next_obs, actions, log-probs, exploration mask,
 * rewards, done) agree within float tolerance, the first difference named with its field,
 * env and step; then the normalizer statistics and the return tracker (the device tracker also
 * against the CPU tracker run over the rollout's buffer: episodes, lengths, PPO's returns). The same for an AMP agent
 * on the amp env and on the location task, its rollout's disc_obs and demo rows (device rows the
 * device env wrote and fetched into, against a host env's uploaded ones) too, and the
 * discriminator's BCE terms summed on the device against the same logits summed on the host,
 * and the two agents' disc columns; the task's test
 * mode runs on the host (cm_dm_gpu_host_only). And for an ASE agent on the ase env, whose
 * latents, encoder reward and encoder/diversity loss rows stay on the device: its rollout's
 * latents against the CPU ops' latents replayed from the buffer's done flags (the schedule's
 * decisions exactly, the latents within logf/cosf rounding) and between the two agents, the
 * encoder reward's mean against its device rows, and the two agents' ASE columns.
 *
 * Without CUDA or without a GPU: the device path must decline (a reason, the rl_env's host
 * flavour), then "SKIP" for the rest; bench/devloop_check.sh runs it on the GPU machine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "yaml_variant.h"
#include "core/rng.h"
#include "env/amp.h"
#include "env/deepmimic.h"
#include "env/deepmimic_gpu.h"
#include "env/env.h"
#include "env/task_view.h"
#include "learn/agent.h"
#include "learn/amp.h"
#include "learn/ase_rows.h"
#include "learn/dev_cuda.h"
#include "io/config.h"
#include "learn/rl_env_char.h"
#include "sim/engine_config.h"

#define SHIPPED "data/envs/deepmimic_humanoid_env.yaml"
#define AMP_ENV "data/envs/amp_humanoid_env.yaml"
#define ASE_ENV "data/envs/ase_humanoid_env.yaml"
#define ADD_ENV "data/envs/add_humanoid_env.yaml"
#define LOC_ENV "data/envs/amp_location_humanoid_env.yaml"
#define STEER_ENV "data/envs/amp_steering_humanoid_env.yaml"
#define ENGINE "data/engines/cuda_engine.yaml"
#define NUM_ENVS 48

/* A shipped yaml with lines replaced, into a temporary file (path: 64 bytes). */
static int write_variant(const char *base, char *path, const char *const *from, const char *const *to, int n) {
  return yaml_variant(base, from, to, n, "devloop", path, 64);
}

static cm_env *make_env(const char *yaml, const char *device, cm_err *err) {
  cm_engine_cfg c;
  cm_env *e = NULL;
  if (cm_engine_cfg_load(ENGINE, &c, err)) return NULL;
  c.num_threads = 2;
  snprintf(c.device, sizeof c.device, "%s", device);
  if (cm_env_create(yaml, &c, NUM_ENVS, 7, &e, err)) return NULL;
  return e;
}

/* ---- the field walk --------------------------------------------------------------------- */

typedef enum { F32, I32, U32, U8 } kind;
typedef struct {
  const char *name;
  const void *cpu, *gpu;
  int per_env;
  kind k;
} field;

static double value_at(const field *f, const void *p, long j) {
  switch (f->k) {
    case F32: return ((const float *)p)[j];
    case I32: return ((const int *)p)[j];
    case U32: return ((const uint32_t *)p)[j];
    default: return ((const uint8_t *)p)[j];
  }
}

/* One side's step outputs: next_obs, reward, done, and the amp family's pre-reset disc_obs
 * (ADD: disc_obs_demo; NULL otherwise). */
typedef struct {
  float *next_obs, *reward, *disc, *demo;
  uint8_t *done;
} step_out;

static int step_out_alloc(step_out *o, const cm_env *e) {
  size_t N = NUM_ENVS, dim = (size_t)e->disc_obs_dim;
  memset(o, 0, sizeof *o);
  o->next_obs = calloc(N * e->obs_dim, sizeof(float));
  o->reward = calloc(N, sizeof(float));
  o->done = calloc(N, 1);
  if (dim) o->disc = calloc(N * dim, sizeof(float));
  if (e->disc_obs_demo) o->demo = calloc(N * dim, sizeof(float));
  return o->next_obs && o->reward && o->done && (!dim || o->disc) && (!e->disc_obs_demo || o->demo) ? 0 : -1;
}

static void step_out_free(step_out *o) {
  free(o->next_obs);
  free(o->reward);
  free(o->done);
  free(o->disc);
  free(o->demo);
}

/* Every field of both envs; the first *n_out are the step's outputs, the rest the env's state. */
static int fields_of(cm_env *h, cm_env *g, const step_out *ho, const step_out *go, field *out, int *n_out) {
  int n = 0, B = h->chr.num_bodies, D = h->chr.num_dofs, dim = h->disc_obs_dim;
  cm_dm_buf *hb = cm_deepmimic_buf(h), *gb = cm_deepmimic_buf(g);
  cm_sim_state *hs = &h->engine->st, *gs = &g->engine->st;
  cm_amp_env *ha = cm_amp_of(h), *ga = cm_amp_of(g);
#define F(nm, a, b, per, k) out[n++] = (field){nm, a, b, per, k}
  F("next_obs", ho->next_obs, go->next_obs, h->obs_dim, F32);
  F("reward", ho->reward, go->reward, 1, F32);
  F("done", ho->done, go->done, 1, U8);
  if (ho->disc) F("disc_obs (step)", ho->disc, go->disc, dim, F32);
  if (ho->demo) F("disc_obs_demo (step)", ho->demo, go->demo, dim, F32);
  *n_out = n;
  F("obs", h->obs, g->obs, h->obs_dim, F32);
  F("time", h->time, g->time, 1, F32);
  F("timestep", h->timestep, g->timestep, 1, I32);
  F("buf.motion_id", hb->motion_id, gb->motion_id, 1, I32);
  F("buf.episode", hb->episode, gb->episode, 1, U32);
  F("buf.time_offset", hb->time_offset, gb->time_offset, 1, F32);
  F("buf.root_pos", hb->root_pos, gb->root_pos, 3, F32);
  F("buf.root_rot", hb->root_rot, gb->root_rot, 4, F32);
  F("buf.root_vel", hb->root_vel, gb->root_vel, 3, F32);
  F("buf.root_ang_vel", hb->root_ang_vel, gb->root_ang_vel, 3, F32);
  F("buf.joint_rot", hb->joint_rot, gb->joint_rot, 4 * (B - 1), F32);
  F("buf.dof_pos", hb->dof_pos, gb->dof_pos, D, F32);
  F("buf.dof_vel", hb->dof_vel, gb->dof_vel, D, F32);
  F("buf.body_pos", hb->body_pos, gb->body_pos, 3 * B, F32);
  F("state.root_pos", hs->root_pos, gs->root_pos, 3, F32);
  F("state.root_rot", hs->root_rot, gs->root_rot, 4, F32);
  F("state.root_vel", hs->root_vel, gs->root_vel, 3, F32);
  F("state.root_ang_vel", hs->root_ang_vel, gs->root_ang_vel, 3, F32);
  F("state.dof_pos", hs->dof_pos, gs->dof_pos, D, F32);
  F("state.dof_vel", hs->dof_vel, gs->dof_vel, D, F32);
  F("state.body_pos", hs->body_pos, gs->body_pos, 3 * B, F32);
  F("state.body_rot", hs->body_rot, gs->body_rot, 4 * B, F32);
  F("state.body_vel", hs->body_vel, gs->body_vel, 3 * B, F32);
  F("state.body_ang_vel", hs->body_ang_vel, gs->body_ang_vel, 3 * B, F32);
  F("state.ground_contact", hs->ground_contact, gs->ground_contact, B, U8);
  F("state.ref_root_pos", hs->ref_root_pos, gs->ref_root_pos, 3, F32);
  F("state.ref_root_rot", hs->ref_root_rot, gs->ref_root_rot, 4, F32);
  F("state.ref_dof_pos", hs->ref_dof_pos, gs->ref_dof_pos, D, F32);
  if (ha) {
    F("amp.hist", ha->hist, ga->hist, ha->dp.steps * ha->frame_size, F32);
    F("env.disc_obs", h->disc_obs, g->disc_obs, dim, F32);
    if (h->disc_obs_demo) F("env.disc_obs_demo", h->disc_obs_demo, g->disc_obs_demo, dim, F32);
  }
  cm_task_view hv, gv;
  if (!cm_task_env_view(h, &hv) && !cm_task_env_view(g, &gv)) {
    static const char *const rows[3][CM_TASK_MAX_ROWS] = {{""}, {"task.tar_pos"}, {"task.dir", "task.face", "task.speed"}};
    F("task.prev_root_pos", hv.prev_root_pos, gv.prev_root_pos, 3, F32);
    F("task.change_time", hv.change_time, gv.change_time, 1, F32);
    F("task.draws", hv.draws, gv.draws, 1, U32);
    for (int k = 0; k < hv.nrows; k++) F(rows[hv.kind][k], hv.rows[k], gv.rows[k], hv.row_width[k], F32);
  }
#undef F
  return n;
}

/* Walks the fields; floats agree within tol * (1 + |cpu|), integers exactly (contacts: up to
 * tol_contacts of the env-bodies may flip once rounding reaches the physics). Reports the first
 * field that differs and returns 1, else 0; *worst gets the largest float error seen. */
static int compare(const field *f, int nf, int num_envs, double tol, double tol_contacts, int step, const char *what,
                   double *worst) {
  for (int a = 0; a < nf; a++) {
    long total = (long)f[a].per_env * num_envs, flips = 0;
    for (long j = 0; j < total; j++) {
      double c = value_at(&f[a], f[a].cpu, j), g = value_at(&f[a], f[a].gpu, j);
      int bad;
      if (f[a].k == F32) {
        double d = fabs(c - g) / (1.0 + fabs(c));
        if (d > *worst) *worst = d;
        bad = !(d <= tol); /* NaN fails */
      } else if (f[a].k == U8 && !strcmp(f[a].name, "state.ground_contact")) {
        bad = c != g && ++flips > tol_contacts * total;
      } else {
        bad = c != g;
      }
      if (bad) {
        fprintf(stderr, "%s: step %d: %s env %ld elem %ld: cpu %.9g gpu %.9g (tol %.2g)\n", what, step, f[a].name,
                j / f[a].per_env, j % f[a].per_env, c, g, tol);
        return 1;
      }
    }
  }
  return 0;
}

/* ---- the two drivers -------------------------------------------------------------------- */

/* The host step as rl_env_char does it: step, record, reset the finished envs. */
static int host_step(cm_env *e, const float *actions, step_out *o, cm_err *err) {
  int ids[NUM_ENVS], n = 0;
  size_t disc_bytes = sizeof(float) * (size_t)e->disc_obs_dim * NUM_ENVS;
  if (cm_env_step(e, actions, err)) return -1;
  memcpy(o->next_obs, e->obs, sizeof(float) * (size_t)e->obs_dim * NUM_ENVS);
  if (o->disc) memcpy(o->disc, e->disc_obs, disc_bytes);
  if (o->demo) memcpy(o->demo, e->disc_obs_demo, disc_bytes);
  for (int i = 0; i < NUM_ENVS; i++) {
    o->reward[i] = e->reward[i];
    o->done[i] = (uint8_t)e->done[i];
    if (e->done[i]) ids[n++] = i;
  }
  if (n) cm_env_reset(e, ids, n);
  return 0;
}

/* Actions near the reference pose with noise, the same on both sides. */
static void make_actions(const cm_env *e, int step, float *a) {
  const cm_dm_buf *b = cm_deepmimic_buf((cm_env *)e);
  for (int i = 0; i < NUM_ENVS; i++) {
    cm_rng r = cm_rng_make(99, (uint32_t)i, (uint64_t)step, 3);
    for (int k = 0; k < e->act_dim; k++) a[(size_t)e->act_dim * i + k] = b->dof_pos[(size_t)e->chr.num_dofs * i + k] + 0.3f * (cm_rng_uniform(&r) - 0.5f);
  }
}

static size_t elem_bytes(kind k) { return k == U8 ? 1 : 4; }

/* The device env takes the host env's whole state (fields from n_out on: not the step's
 * outputs), and both engines push it, so the next step's physics runs from bit-identical
 * states on both sides and only the env functions' rounding can differ. */
static int resync(cm_env *h, cm_env *g, cm_dm_gpu *dg, const field *f, int n_out, int nf, cm_err *err) {
  for (int a = n_out; a < nf; a++) memcpy((void *)f[a].gpu, f[a].cpu, elem_bytes(f[a].k) * (size_t)f[a].per_env * NUM_ENVS);
  if (cm_amp_of(h)) cm_amp_of(g)->head = cm_amp_of(h)->head;
  h->engine->ops->push_state(h->engine, NULL, 0);
  g->engine->ops->push_state(g->engine, NULL, 0);
  return cm_dm_gpu_from_host(dg, err);
}

/* fetch_disc_obs_demo on the device (env g's) against the host env's, n samples (above 16384:
 * the device works in chunks), both from the same draw counter, which both advance. */
static void check_demo(cm_env *h, cm_env *g, cm_dm_gpu *dg, int n, double tol, const char *what) {
  cm_err err = {{0}};
  size_t D = (size_t)h->disc_obs_dim;
  cm_amp_env *ha = cm_amp_of(h), *ga = cm_amp_of(g);
  uint64_t draws = ha->demo_draws;
  float *hd = calloc((size_t)n * D, sizeof(float)), *gd = calloc((size_t)n * D, sizeof(float));
  CHECK(hd && gd && ga->demo_draws == draws);
  if (!hd || !gd) goto done;
  CHECK_OK(cm_dm_gpu_fetch_disc_obs_demo(dg, n, gd, &err), &err);
  CHECK_OK(cm_env_fetch_disc_obs_demo(h, n, hd, &err), &err);
  CHECK(ha->demo_draws == draws + 1 && ga->demo_draws == draws + 1);
  double worst = 0;
  for (size_t k = 0; k < (size_t)n * D; k++) {
    double d = fabs((double)hd[k] - gd[k]) / (1.0 + fabs((double)hd[k]));
    if (d > worst) worst = d;
    if (!(d <= tol)) {
      fprintf(stderr, "%s: demo observation %zu elem %zu: cpu %.9g gpu %.9g (tol %.2g)\n", what, k / D, k % D, hd[k], gd[k], tol);
      CHECK(0);
      break;
    }
  }
  printf("  %d demo observations, largest relative difference %.3g\n", n, worst);
done:
  free(hd);
  free(gd);
}

/* `steps` steps of both envs from one yaml, compared after every step with tolerance tol, the
 * device env re-synchronised to the host env before each step. */
static void run_case(const char *what, const char *yaml, int steps, double tol, int want_resets, int test_mode) {
  cm_err err = {{0}};
  cm_env *h = make_env(yaml, "cuda:0", &err), *g = make_env(yaml, "cuda:0", &err);
  cm_dm_gpu *dg = NULL;
  CHECK(h && g);
  if (!h || !g) {
    fprintf(stderr, "%s: %s\n", what, err.msg);
    goto done;
  }
  CHECK(cm_dm_gpu_supported(g, NULL));
  CHECK_OK(cm_dm_gpu_create(g, &dg, &err), &err);
  if (!dg) goto done;
  size_t O = (size_t)h->obs_dim, A = (size_t)h->act_dim;
  float *act = calloc(A * NUM_ENVS, sizeof(float)), *gobs = calloc(O * NUM_ENVS, sizeof(float));
  step_out ho, go;
  CHECK(!step_out_alloc(&ho, h) && !step_out_alloc(&go, g) && act && gobs);
  cm_dm_gpu_set_disc_out(dg, go.disc, go.demo);
  field f[48];
  double worst = 0;
  int resets = 0, failed = 0, n_out = 0;
  cm_amp_env *ha = cm_amp_of(h), *ga = cm_amp_of(g);
  /* test mode: both record the tracking error (the shipped yaml logs it) */
  cm_env_set_mode(h, test_mode);
  cm_env_set_mode(g, test_mode);
  /* both sides reset every env, each on its own device: the reset draws and reference states */
  cm_env_reset(h, NULL, 0);
  CHECK_OK(cm_dm_gpu_reset_host(dg, gobs, &err), &err);
  CHECK_OK(cm_dm_gpu_to_host(dg, &err), &err);
  int nf = fields_of(h, g, &ho, &go, f, &n_out);
  failed = compare(f + n_out, nf - n_out, NUM_ENVS, tol, 0, 0, what, &worst);
  CHECK(!failed);
  CHECK(!ha || ha->head == ga->head);
  CHECK(!memcmp(gobs, g->obs, sizeof(float) * O * NUM_ENVS)); /* the reset's obs output is the env's obs */
  for (int s = 1; s <= steps && !failed; s++) {
    CHECK_OK(resync(h, g, dg, f, n_out, nf, &err), &err);
    make_actions(h, s, act);
    CHECK_OK(host_step(h, act, &ho, &err), &err);
    CHECK_OK(cm_dm_gpu_step_host(dg, act, go.next_obs, gobs, go.reward, go.done, &err), &err);
    CHECK_OK(cm_dm_gpu_to_host(dg, &err), &err);
    for (int i = 0; i < NUM_ENVS; i++) resets += ho.done[i] != 0;
    failed = compare(f, nf, NUM_ENVS, tol, 0, s, what, &worst);
    CHECK(!failed);
    if (ha && ha->head != ga->head) {
      fprintf(stderr, "%s: step %d: history head cpu %d gpu %d\n", what, s, ha->head, ga->head);
      CHECK(0);
      failed = 1;
    }
    CHECK(!memcmp(gobs, g->obs, sizeof(float) * O * NUM_ENVS));
  }
  printf("%s: %d steps, %d env resets, largest relative float difference %.3g\n", what, steps, resets, worst);
  if (test_mode) { /* the means of the tracking error over the same records */
    const char *hk[16], *gk[16];
    double hv[16], gv[16];
    int hn = cm_env_stats(h, hk, hv, 16), gn = cm_env_stats(g, gk, gv, 16);
    CHECK(hn == gn && hn >= 7);
    for (int k = 0; k < hn && k < gn; k++) {
      CHECK(!strcmp(hk[k], gk[k]));
      CHECK_NEAR(gv[k], hv[k], tol * (1 + fabs(hv[k])));
      printf("  %s: cpu %.6g gpu %.6g\n", hk[k], hv[k], gv[k]);
    }
  }
  if (want_resets) CHECK(resets >= NUM_ENVS); /* the reset path ran for every env */
  if (ha && !failed) check_demo(h, g, dg, want_resets ? 2 * NUM_ENVS + 7 : 16384 + 100, tol, what);
  cm_dm_gpu_destroy(dg); /* before the disc_obs outputs it pinned */
  dg = NULL;
  free(act);
  free(gobs);
  step_out_free(&ho);
  step_out_free(&go);
done:
  cm_dm_gpu_destroy(dg);
  cm_env_destroy(h);
  cm_env_destroy(g);
}

/* Without a GPU the device path declines with a reason and the rl_env stays on the host; with
 * CUDA built in, the reason for each type it takes on the CPU is the device, for another
 * (view_motion) its type. */
static void check_declines(void) {
  static const char *const yamls[] = {SHIPPED, AMP_ENV, LOC_ENV, "data/envs/view_motion_humanoid_env.yaml"};
  for (int k = 0; k < 4; k++) {
    cm_err err = {{0}};
    cm_env *e = make_env(yamls[k], "cpu", &err);
    CHECK_OK(e == NULL, &err);
    if (!e) continue;
    const char *why = NULL;
    CHECK(!cm_dm_gpu_supported(e, &why));
    CHECK(why && strlen(why) > 0);
#ifdef CM_HAVE_CUDA
    CHECK(why && strstr(why, k == 3 ? "env types step on the GPU" : "--devices cpu"));
#endif
    cm_rl_env rl;
    CHECK_OK(cm_rl_env_from_char(&rl, e, &err), &err);
    CHECK(rl.on_device == 0 && rl.step_dev == NULL && rl.reset_dev == NULL);
    cm_rl_env_destroy(&rl);
    cm_env_destroy(e);
  }
}

/* A task env in test mode steps on the host: the device step refuses with a line, the rl_env
 * reports it not ready and steps on the host, then on the device again back in train mode. */
static void check_task_test_mode(void) {
  cm_err err = {{0}};
  cm_env *e = make_env(LOC_ENV, "cuda:0", &err);
  CHECK_OK(e == NULL, &err);
  if (!e) return;
  cm_rl_env rl;
  CHECK_OK(cm_rl_env_from_char(&rl, e, &err), &err);
  size_t O = (size_t)e->obs_dim, A = (size_t)e->act_dim;
  float *obs = calloc(O * NUM_ENVS, sizeof(float)), *next = calloc(O * NUM_ENVS, sizeof(float));
  float *act = calloc(A * NUM_ENVS, sizeof(float)), rew[NUM_ENVS];
  uint8_t done[NUM_ENVS];
  CHECK(rl.on_device && rl.dev_ready && rl.dev_ready(rl.ctx));
  rl.set_mode(rl.ctx, CM_RL_TEST);
  CHECK(!rl.dev_ready(rl.ctx));
  CHECK(rl.step_dev(rl.ctx, act, next, obs, rew, done, &err) != 0 && strstr(err.msg, "task env"));
  CHECK_OK(rl.reset(rl.ctx, obs, &err), &err);
  for (int s = 0; s < 3; s++) CHECK_OK(rl.step(rl.ctx, act, next, obs, rew, done, &err), &err);
  const char *keys[16];
  double vals[16];
  int n = rl.env_stats(rl.ctx, keys, vals, 16), found = 0;
  for (int k = 0; k < n; k++) found += !strcmp(keys[k], "Location_Tar_Dist") && vals[k] > 0;
  CHECK(found == 1); /* the host's test figures ran */
  rl.set_mode(rl.ctx, CM_RL_TRAIN);
  CHECK(rl.dev_ready(rl.ctx));
  CHECK_OK(rl.step(rl.ctx, act, next, obs, rew, done, &err), &err);
  free(obs);
  free(next);
  free(act);
  cm_rl_env_destroy(&rl);
  cm_env_destroy(e);
}

/* ---- one training iteration, env on the device vs env on the host --------------------------- */

#define AGENT "data/agents/deepmimic_humanoid_ppo_agent.yaml"
#define AMP_AGENT "data/agents/amp_humanoid_agent.yaml"
#define ITER_STEPS 10 /* early terminations start near 20 steps: a done flag flipped by rounding is unlikely */

typedef struct {
  cm_env *env;
  cm_rl_env rl;
  cm_agent *a;
} trainee;

static int make_trainee(trainee *t, const char *env_yaml, const char *agent_yaml, const cm_dev *gpu, int device_env,
                        cm_err *err) {
  if (!(t->env = make_env(env_yaml, "cuda:0", err))) return -1;
  if (!device_env) setenv("CMIMIC_DEVICE_ENV", "0", 1);
  int rc = cm_rl_env_from_char(&t->rl, t->env, err);
  unsetenv("CMIMIC_DEVICE_ENV");
  if (rc || cm_agent_create_file(agent_yaml, &t->rl, gpu, 3, &t->a, err)) return -1;
  return 0;
}

static void free_trainee(trainee *t) {
  cm_agent_destroy(t->a);
  cm_rl_env_destroy(&t->rl);
  cm_env_destroy(t->env);
}

/* A buffer field [T][N][width] of both agents, downloaded (the buffer may live on the device) and
 * compared; floats within tol * (1 + |host-env value|), bytes exactly. Names the first difference. */
static int compare_buffer_field(const char *name, const cm_dev *dev, const void *d_ref, const void *d_got, int width,
                                int bytes_per, double tol, int T, int N, double *worst) {
  size_t n = (size_t)T * N * width, bytes = n * bytes_per;
  unsigned char *r = malloc(bytes), *g = malloc(bytes);
  int bad = 0;
  dev->ops->download(r, d_ref, bytes);
  dev->ops->download(g, d_got, bytes);
  double w = 0, step_w[64] = {0}; /* per step: how the difference grows along the rollout */
  for (size_t k = 0; k < n && !bad; k++) {
    double c = bytes_per == 1 ? r[k] : ((float *)r)[k], v = bytes_per == 1 ? g[k] : ((float *)g)[k];
    double d = bytes_per == 1 ? (c != v ? INFINITY : 0.0) : fabs(c - v) / (1.0 + fabs(c)); /* not 0 * inf: NaN */
    if (d > w) w = d;
    size_t step = k / width / N;
    if (step < 64 && d > step_w[step]) step_w[step] = d;
    if (!(d <= tol)) {
      size_t row = k / width;
      fprintf(stderr, "training iteration: buffer %s differs at step %zu env %zu elem %zu: host env %.9g device env %.9g (tol %.2g)\n",
              name, row / N, row % N, k % width, c, v, tol);
      bad = 1;
    }
  }
  printf("  buffer %-10s largest relative difference %.3g; by step:", name, w);
  for (int t = 0; t < T && t < 64; t++) printf(" %.1e", step_w[t]);
  printf("\n");
  if (w > *worst && bytes_per != 1) *worst = w;
  free(r);
  free(g);
  return bad;
}

/* The AMP agent's rollout rows [T*N][D] of disc_obs and of the demo observations it fetched
 * (device arrays: the device env's agent got them from the env's own device rows and its device
 * demo fetch, the host env's agent uploaded them), downloaded and compared. */
static int compare_agent_rows(const char *name, const cm_dev *dev, const float *d_ref, const float *d_got, size_t n,
                              int D, int N, double tol, double *worst) {
  float *r = malloc(n * sizeof(float)), *g = malloc(n * sizeof(float));
  int bad = 0;
  double w = 0;
  dev->ops->download(r, d_ref, n * sizeof(float));
  dev->ops->download(g, d_got, n * sizeof(float));
  for (size_t k = 0; k < n && !bad; k++) {
    double c = r[k], v = g[k], e = fabs(c - v) / (1.0 + fabs(c));
    if (e > w) w = e;
    if (!(e <= tol)) {
      fprintf(stderr, "training iteration: agent %s differs at step %zu env %zu elem %zu: host env %.9g device env %.9g"
              " (tol %.2g)\n", name, k / D / N, k / D % N, k % D, c, v, tol);
      bad = 1;
    }
  }
  if (!bad) printf("  agent %s largest relative difference %.3g\n", name, w);
  if (w > *worst) *worst = w;
  free(r);
  free(g);
  return bad;
}

static int compare_disc_rows(const trainee *h, const trainee *d, int T, int N, double tol, double *worst) {
  const cm_amp *mh = h->a->impl, *md = d->a->impl;
  int D = mh->D;
  size_t n = (size_t)T * N * D;
  /* the device env wrote its rows into the agent's device rows; the host env's agent uploads */
  CHECK(md->step_d != NULL && md->on_dev_steps == 1 && mh->step_d == NULL);
  return compare_agent_rows("disc_obs", h->a->dev, mh->disc_obs, md->disc_obs, n, D, N, tol, worst) ||
         compare_agent_rows(mh->diff ? "disc_obs_demo - disc_obs" : "demo rows", h->a->dev, mh->disc_obs_demo,
                            md->disc_obs_demo, n, D, N, tol, worst);
}

/* The device return tracker after one rollout (its totals read by the iteration's one
 * reduction) against the same tracker run by the CPU ops on the host over the rollout's buffer:
 * episodes, mean length and every env's running length from the done flags; with_rewards (PPO,
 * whose buffer keeps the env's rewards; AMP mixes the style reward in) the mean return and every
 * env's running return too. */
static void check_tracker(const trainee *d, int with_rewards, double tol) {
  cm_err err = {{0}};
  const cm_agent *a = d->a;
  const cm_exp_buffer *b = &a->buf;
  int T = b->steps, N = b->num_envs;
  size_t n = (size_t)T * N;
  float *r = malloc(n * sizeof(float)), *ret = malloc((size_t)N * sizeof(float));
  uint8_t *dn = malloc(n);
  int *len = malloc((size_t)N * sizeof(int));
  a->dev->ops->download(r, b->reward, n * sizeof(float));
  a->dev->ops->download(dn, b->done, n);
  const cm_return_tracker *g = &a->train_ret;
  a->dev->ops->download(ret, g->rows.ret, (size_t)N * sizeof(float));
  a->dev->ops->download(len, g->rows.len, (size_t)N * sizeof(int));
  cm_return_tracker ref;
  CHECK_OK(cm_rtrack_create(&ref, cm_dev_cpu(), N, &err), &err);
  cm_rtrack_reset(&ref);
  for (int t = 0; t < T; t++) cm_rtrack_update(&ref, r + (size_t)t * N, dn + (size_t)t * N);
  cm_rtrack_read(&ref, 0);
  CHECK(g->episodes == ref.episodes && g->bad == 0 && ref.bad == 0);
  CHECK_NEAR(g->mean_ep_len, ref.mean_ep_len, 1e-12);
  if (with_rewards) CHECK_NEAR(g->mean_return, ref.mean_return, tol * (1 + fabs(ref.mean_return)));
  int bad_len = 0, bad_ret = 0;
  double w = 0;
  for (int i = 0; i < N; i++) {
    if (len[i] != ref.rows.len[i]) bad_len++;
    double e = fabs((double)ret[i] - ref.rows.ret[i]) / (1.0 + fabs(ref.rows.ret[i]));
    if (e > w) w = e;
    if (with_rewards && !(e <= tol)) bad_ret++;
  }
  CHECK(bad_len == 0 && bad_ret == 0);
  printf("  return tracker on the device: %lld episodes, mean return %.6g length %.4g (host %.6g, %.4g); running "
         "returns%s largest relative difference %.3g\n", (long long)g->episodes, g->mean_return, g->mean_ep_len,
         ref.mean_return, ref.mean_ep_len, with_rewards ? "" : " (mixed rewards: not compared)", w);
  cm_rtrack_destroy(&ref);
  free(r);
  free(ret);
  free(dn);
  free(len);
}

/* AMP's discriminator terms as the device forms and sums them (disc_bce_rows) against the same
 * logits, downloaded and summed on the host; the style reward's mean against the rewards'; then
 * the two agents' logged discriminator columns (host env and device env: the same rows within
 * rounding; an accuracy may move by a row whose logit sits at 0). */
static void check_disc_terms(const trainee *h, const trainee *d, const cm_stats *sh, const cm_stats *sd, double tol) {
  cm_err err = {{0}};
  cm_agent *a = d->a;
  cm_amp *m = a->impl;
  int rows = m->disc_batch_size, n = cm_exp_capacity(&a->buf);
  if (rows > n) rows = n;
  cm_amp_normalize(m, m->mb_nx, m->disc_obs, rows);
  float *zd = cm_dev_alloc(a->dev, (size_t)rows, &err), *z = malloc((size_t)rows * sizeof(float));
  float *rw = malloc((size_t)n * sizeof(float));
  CHECK_OK(cm_disc_logits(&m->disc, m->mb_nx, rows, zd, &err), &err);
  cm_dev_download(a->dev, z, zd, (size_t)rows);
  for (int target = 0; target <= 1; target++) {
    cm_disc_term t;
    CHECK_OK(cm_disc_bce(&m->disc, m->mb_nx, rows, target, 0.5f, 0.f, &t, &err), &err);
    double loss = 0, acc = 0, mean = 0;
    for (int i = 0; i < rows; i++) {
      loss += cm_bce_logit(z[i], target);
      acc += target ? z[i] > 0.f : z[i] < 0.f;
      mean += z[i];
    }
    CHECK_NEAR(t.loss, loss / rows, 1e-6 * (1 + loss / rows));
    CHECK_NEAR(t.acc, acc / rows, 1e-12);
    CHECK_NEAR(t.logit_mean, mean / rows, 1e-6 * (1 + fabs(mean / rows)));
    printf("  disc BCE on the device, target %d, %d rows: loss %.6g (host %.6g), accuracy %.4g (host %.4g)\n", target,
           rows, t.loss, loss / rows, t.acc, acc / rows);
  }
  cm_optim_zero_grad(&a->optim);
  cm_dev_download(a->dev, rw, m->disc_r, (size_t)n);
  double s = 0;
  for (int i = 0; i < n; i++) s += rw[i];
  CHECK_NEAR(cm_stats_get(sd, "Disc_Reward_Mean", NAN), s / n, 1e-9 * (1 + fabs(s / n)));
  const char *keys[] = {"Disc_Loss", "Disc_Agent_Logit", "Disc_Demo_Logit", "Disc_Reward_Mean", "Disc_Reward_Std"};
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
    double vh = cm_stats_get(sh, keys[k], NAN), vd = cm_stats_get(sd, keys[k], NAN);
    CHECK(isfinite(vh) && isfinite(vd));
    CHECK_NEAR(vd, vh, tol * (1 + fabs(vh)));
  }
  const char *acc_keys[] = {"Disc_Agent_Acc", "Disc_Demo_Acc"};
  for (int k = 0; k < 2; k++) {
    double vh = cm_stats_get(sh, acc_keys[k], NAN), vd = cm_stats_get(sd, acc_keys[k], NAN);
    CHECK(vh >= 0 && vh <= 1 && vd >= 0 && vd <= 1);
    CHECK_NEAR(vd, vh, 1.0 / rows + 1e-12);
  }
  printf("  Disc_Loss host env %.6g device env %.6g\n", cm_stats_get(sh, "Disc_Loss", NAN),
         cm_stats_get(sd, "Disc_Loss", NAN));
  (void)h;
  cm_dev_free(a->dev, zd);
  free(z);
  free(rw);
}

/* ASE: the device agent's rollout latents buf_cond [T][N][Z] against the CPU ops' latents run
 * over the buffer's done flags from the reset on (latent step 0 at the reset, step t after env
 * step t - 1: the latents the policy saw at step t), and against the host env's agent's; the
 * encoder reward's mean against its device rows (extra_d); the two agents' ASE columns. */
static void check_ase(const trainee *h, const trainee *d, const char *agent_yaml, const cm_stats *sh,
                      const cm_stats *sd, double tol) {
  cm_err err = {{0}};
  cm_agent *a = d->a;
  const cm_exp_buffer *b = &a->buf;
  int T = b->steps, N = b->num_envs, Z = a->cond_dim;
  cm_cfg *root = NULL;
  double tmin = NAN, tmax = NAN;
  CHECK_OK(cm_cfg_load(agent_yaml, &root, &err), &err);
  CHECK_OK(cm_cfg_float(root, "latent_time_min", 0, &tmin, &err) || cm_cfg_float(root, "latent_time_max", 0, &tmax, &err),
           &err);
  cm_cfg_free(root);
  size_t n = (size_t)T * N;
  float *got = malloc(n * Z * sizeof(float)), *ref_h = malloc(n * Z * sizeof(float));
  float *z = malloc((size_t)N * Z * sizeof(float)), *et = malloc((size_t)N * sizeof(float));
  float *rt = malloc((size_t)N * sizeof(float));
  uint8_t *dn = malloc(n);
  a->dev->ops->download(got, a->buf_cond, n * Z * sizeof(float));
  a->dev->ops->download(ref_h, h->a->buf_cond, n * Z * sizeof(float));
  a->dev->ops->download(dn, b->done, n);
  cm_ase_latent_args p = {.Z = Z, .reset_all = 1, .seed = a->seed, .env0 = a->env0, .draws = 0,
                          .dt = a->env->control_dt > 0.f ? a->env->control_dt : 1.f / 30.f, .time_min = tmin,
                          .time_max = tmax, .z = z, .env_time = et, .reset_time = rt};
  double worst = 0, worst_h = 0;
  int bad_sched = 0, changes = 0, unit = 1;
  for (int t = 0; t < T; t++) {
    if (t > 0) {
      p.reset_all = 0;
      p.draws = (uint64_t)t;
      p.done = dn + (size_t)(t - 1) * N;
    }
    cm_ops_cpu.ase_latents(&p, N);
    for (int i = 0; i < N; i++) {
      const float *g = got + ((size_t)t * N + i) * Z, *c = z + (size_t)i * Z, *hh = ref_h + ((size_t)t * N + i) * Z;
      double e = 0, eh = 0, n2 = 0;
      for (int j = 0; j < Z; j++) {
        e = fmax(e, fabs((double)g[j] - c[j]));
        eh = fmax(eh, fabs((double)g[j] - hh[j]));
        n2 += (double)g[j] * g[j];
      }
      unit &= fabs(n2 - 1) < 1e-5;
      if (e > 1e-3) bad_sched++; /* a different draw, not rounding: the schedule decided otherwise */
      worst = fmax(worst, e);
      worst_h = fmax(worst_h, eh);
      if (t > 0 && memcmp(g, g - (size_t)N * Z, (size_t)Z * sizeof(float))) changes++;
    }
  }
  CHECK(bad_sched == 0 && unit);
  CHECK(worst <= 1e-5);
  CHECK(worst_h <= tol);
  printf("  ASE latents on the device: %d draws after the reset over %d steps x %d envs; largest difference "
         "%.3g from the CPU rows replayed over the done flags, %.3g from the host env's agent\n", changes, T, N, worst,
         worst_h);
  /* Enc_Reward_Mean is the mean of the device rows */
  const cm_amp *m = a->impl;
  float *rw = malloc(n * sizeof(float));
  a->dev->ops->download(rw, m->extra_d, n * sizeof(float));
  double s = 0;
  int in01 = 1;
  for (size_t k = 0; k < n; k++) {
    s += rw[k];
    in01 &= rw[k] >= 0.f && rw[k] <= 1.f + 1e-6f;
  }
  CHECK(in01);
  CHECK_NEAR(cm_stats_get(sd, "Enc_Reward_Mean", NAN), s / n, 1e-9 * (1 + fabs(s / n)));
  const char *keys[] = {"Enc_Reward_Mean", "Enc_Reward_Std", "Enc_Loss", "Diversity_Loss"};
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
    double vh = cm_stats_get(sh, keys[k], NAN), vd = cm_stats_get(sd, keys[k], NAN);
    CHECK(isfinite(vh) && isfinite(vd));
    CHECK_NEAR(vd, vh, tol * (1 + fabs(vh)));
    printf("  %s host env %.6g device env %.6g\n", keys[k], vh, vd);
  }
  free(got);
  free(ref_h);
  free(z);
  free(et);
  free(rt);
  free(dn);
  free(rw);
}

static void check_training_iteration(const char *env_yaml, const char *agent_file) {
  cm_err err = {{0}};
  const cm_dev *gpu = cm_dev_cuda(0, &err);
  CHECK_OK(gpu == NULL, &err);
  if (!gpu) return;
  cm_dev_cuda_set_tf32(0); /* fp32 products: both agents' networks see the same numbers */
  char steps_from[32], agent_yaml[64];
  snprintf(steps_from, sizeof steps_from, "steps_per_iter: %d", ITER_STEPS);
  const char *f[] = {"steps_per_iter: 32"}, *t[] = {steps_from};
  CHECK(!yaml_variant(agent_file, f, t, 1, "devloop_agent", agent_yaml, sizeof agent_yaml));
  trainee h = {0}, d = {0};
  int ok_h = make_trainee(&h, env_yaml, agent_yaml, gpu, 0, &err) == 0;
  CHECK_OK(!ok_h, &err);
  int ok_d = ok_h && make_trainee(&d, env_yaml, agent_yaml, gpu, 1, &err) == 0;
  CHECK_OK(ok_h && !ok_d, &err);
  if (ok_h && ok_d) {
    CHECK(h.rl.on_device == 0 && h.a->env_dev == 0);
    CHECK(d.rl.on_device == 1 && d.a->env_dev == 1);
    cm_stats sh, sd;
    cm_stats_clear(&sh);
    cm_stats_clear(&sd);
    CHECK_OK(cm_agent_reset_envs(h.a, &err), &err);
    CHECK_OK(cm_agent_reset_envs(d.a, &err), &err);
    CHECK_OK(cm_agent_train_iter(h.a, &sh, &err), &err);
    double b0, c0, b1, c1;
    cm_dev_d2h(gpu, &b0, &c0);
    CHECK_OK(cm_agent_train_iter(d.a, &sd, &err), &err);
    cm_dev_d2h(gpu, &b1, &c1);
    CHECK_OK(cm_dev_cuda_check(&err), &err);
    const cm_exp_buffer *bh = &h.a->buf, *bd = &d.a->buf;
    int T = bh->steps, N = bh->num_envs, O = bh->obs_dim, A = bh->act_dim;
    CHECK(T == ITER_STEPS && bd->steps == T && bd->total_samples == bh->total_samples);
    double worst = 0, tol = 1e-3;
    printf("one training iteration of %s on %s (%d steps x %d envs), env on the device vs on the host:\n", agent_file,
           env_yaml, T, N);
    int bad = compare_buffer_field("obs", gpu, bh->obs, bd->obs, O, 4, tol, T, N, &worst) ||
              compare_buffer_field("action", gpu, bh->action, bd->action, A, 4, tol, T, N, &worst) ||
              compare_buffer_field("a_logp", gpu, bh->a_logp, bd->a_logp, 1, 4, tol, T, N, &worst) ||
              compare_buffer_field("rand_mask", gpu, bh->rand_mask, bd->rand_mask, 1, 4, 0, T, N, &worst) ||
              compare_buffer_field("reward", gpu, bh->reward, bd->reward, 1, 4, tol, T, N, &worst) ||
              compare_buffer_field("done", gpu, bh->done, bd->done, 1, 1, 0, T, N, &worst) ||
              compare_buffer_field("next_obs", gpu, bh->next_obs, bd->next_obs, O, 4, tol, T, N, &worst) ||
              (h.rl.disc_obs_dim > 0 && compare_disc_rows(&h, &d, T, N, tol, &worst));
    CHECK(!bad);
    /* the normalizer recorded the same rows (device rows on one side, uploaded host rows on the other) */
    for (int j = 0; j < O; j++) {
      CHECK_NEAR(d.a->obs_norm.mean_h[j], h.a->obs_norm.mean_h[j], tol * (1 + fabs(h.a->obs_norm.mean_h[j])));
      CHECK_NEAR(d.a->obs_norm.var_h[j], h.a->obs_norm.var_h[j], tol * (1 + fabs(h.a->obs_norm.var_h[j])));
    }
    CHECK(d.a->obs_norm.count == h.a->obs_norm.count && h.a->obs_norm.count == (int64_t)T * N);
    CHECK(d.a->train_ret.episodes == h.a->train_ret.episodes);
    CHECK_NEAR(d.a->train_ret.mean_return, h.a->train_ret.mean_return, tol * (1 + fabs(h.a->train_ret.mean_return)));
    CHECK_NEAR(d.a->train_ret.mean_ep_len, h.a->train_ret.mean_ep_len, 1e-12);
    check_tracker(&d, !strcmp(d.a->type->name, "PPO"), tol);
    if (h.rl.disc_obs_dim > 0) check_disc_terms(&h, &d, &sh, &sd, tol);
    if (!strcmp(d.a->type->name, "ASE")) check_ase(&h, &d, agent_yaml, &sh, &sd, tol);
    double lh = cm_stats_get(&sh, "Loss", NAN), ld = cm_stats_get(&sd, "Loss", NAN);
    CHECK(isfinite(lh) && isfinite(ld));
    printf("  largest float difference %.3g; Loss host env %.6g device env %.6g\n", worst, lh, ld);
    printf("  device env's iteration: %.0f bytes in %.0f copies from the device to the host\n", b1 - b0, c1 - c0);
    /* what may cross in an iteration (issue 11 item 1), one copy each: the rollout's NaN guards
     * with the return tracker's totals, the mini-batches' sampled-row counts (they size the
     * actor's products), the update's loss sums, gradient norms, method terms, parameter check
     * and the train data's statistics (advantages; AMP: its demo rows' guard and style rewards;
     * ASE: its encoder rewards), the observation normalizer's sums; AMP, ASE and ADD add their
     * normalizer's sums. None per step or mini-batch (569 for PPO before; ASE 38 in session 11
     * before its losses' sums went into slots). */
    int max_copies = strcmp(d.a->type->name, "PPO") ? 5 : 4;
    CHECK(c1 - c0 <= max_copies);
    printf("  (at most %d copies allowed)\n", max_copies);
    /* test mode on the device path: means, every env to an episode end */
    cm_test_result r;
    CHECK_OK(cm_agent_test(d.a, N, &r, &err), &err);
    CHECK(r.episodes >= N && isfinite(r.mean_return) && r.mean_ep_len > 0);
    printf("  test mode, env on the device: %lld episodes, mean return %.4g, length %.4g\n", (long long)r.episodes,
           r.mean_return, r.mean_ep_len);
  }
  free_trainee(&h); /* safe on a partly made one */
  free_trainee(&d);
  unlink(agent_yaml);
}

int main(void) {
  check_declines();
  cm_err err = {{0}};
  cm_env *probe = make_env(SHIPPED, "cuda:0", &err);
  if (!probe) {
    printf("SKIP: no CUDA device (%s)\n", err.msg);
    return check_report("test_devloop_cuda");
  }
  const char *why = NULL;
  CHECK(cm_dm_gpu_supported(probe, &why));
  cm_env_destroy(probe);
  char run[64];
  /* the shipped env in test mode (tracking error recorded) */
  run_case("shipped env, test mode", SHIPPED, 4, 2e-5, 0, 1);
  /* episodes of 0.3 s (9 steps) by time only, clips drawn from a dataset */
  const char *f2[] = {"log_tracking_error: True", "episode_length: 10.0", "enable_early_termination: True",
                      "data/motions/humanoid/humanoid_spinkick.pkl"};
  const char *t2[] = {"log_tracking_error: False", "episode_length: 0.3", "enable_early_termination: False",
                      "data/datasets/dataset_humanoid_locomotion.yaml"};
  CHECK(!write_variant(SHIPPED, run, f2, t2, 4));
  run_case("episodes", run, 30, 2e-5, 1, 0);
  unlink(run);
  /* the amp family: the shipped amp env, then episodes of amp, ase (default_reset_prob 0.5: both
   * reset kinds) and add, and add in test mode (it logs the tracking error) */
  run_case("amp, shipped env", AMP_ENV, 6, 2e-5, 0, 0);
  const char *f3[] = {"episode_length: 10.0", "enable_early_termination: True", "data/motions/humanoid/humanoid_spinkick.pkl"};
  const char *t3[] = {"episode_length: 0.3", "enable_early_termination: False", "data/datasets/dataset_humanoid_locomotion.yaml"};
  CHECK(!write_variant(AMP_ENV, run, f3, t3, 3));
  run_case("amp, episodes", run, 30, 2e-5, 1, 0);
  unlink(run);
  CHECK(!write_variant(ASE_ENV, run, f3, t3, 2)); /* its motion_file is the dataset already */
  run_case("ase, episodes", run, 30, 2e-5, 1, 0);
  unlink(run);
  run_case("add, shipped env, test mode", ADD_ENV, 4, 2e-5, 0, 1);
  CHECK(!write_variant(ADD_ENV, run, f3, t3, 3));
  run_case("add, episodes", run, 30, 2e-5, 1, 0);
  unlink(run);
  /* the tasks in train mode, targets changing every 0.1 to 0.2 s */
  const char *f4[] = {"episode_length: 20.0", "enable_early_termination: True", "tar_change_time_min: 5.0",
                      "tar_change_time_max: 10.0"};
  const char *t4[] = {"episode_length: 0.3", "enable_early_termination: False", "tar_change_time_min: 0.1",
                      "tar_change_time_max: 0.2"};
  CHECK(!write_variant(LOC_ENV, run, f4, t4, 4));
  run_case("task_location, episodes", run, 30, 2e-5, 1, 0);
  unlink(run);
  const char *f5[] = {"episode_length: 10.0", "enable_early_termination: True", "tar_change_time_min: 4.0",
                      "tar_change_time_max: 7.0"};
  CHECK(!write_variant(STEER_ENV, run, f5, t4, 4));
  run_case("task_steering, episodes", run, 30, 2e-5, 1, 0);
  unlink(run);
  check_task_test_mode();
  check_training_iteration(SHIPPED, AGENT);
  check_training_iteration(AMP_ENV, AMP_AGENT);
  check_training_iteration(LOC_ENV, "data/agents/amp_task_humanoid_agent.yaml");
  check_training_iteration(ASE_ENV, "data/agents/ase_humanoid_agent.yaml");
  return check_report("test_devloop_cuda");
}
