/* The deepmimic env's control step as kernels (see deepmimic_gpu.h). One thread per env; each
 * kernel calls the CM_HD function the CPU driver runs over the pool for that phase:
 *   action      cm_env_clip_action          (char_env.c apply_action_default)
 *   physics     the cuda engine's step kernel, device-resident (phys_gpu.h)
 *   post step   time += dt, cm_dm_update_ref (char_env.c cm_env_step, deepmimic.c ref_range)
 *   obs         cm_dm_obs                    (deepmimic.c obs_range)
 *   reward/done cm_dm_env_reward_done        (deepmimic.c reward_range)
 *   reset       cm_dm_reset_env, then the engine's push of the finished envs and their obs
 *               (char_env.c cm_env_reset, deepmimic.c reset_range)
 *   tracking    test mode with log_tracking_error: cm_dm_tracking_error after the obs and after
 *               the resets (deepmimic.c track_range); the rows come down and are summed on the
 *               host in env order (cm_dm_track_add), as the CPU driver sums them
 * The amp family (amp, ase, add) adds its kernels at the points amp.c adds its hooks
 * (amp_gpu.cu): its reset in place of deepmimic's, the history push after the reference update,
 * disc_obs after the obs, reward 0 and disc_obs down after reward and done. The task envs
 * add theirs after amp's (task_gpu.cu): root positions before the action, target changes after
 * the history push, new targets after a reset, the task obs and the task reward; train mode only.
 * Errors of CUDA calls and launches come back as cm_err. */
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "env/deepmimic_gpu_impl.h"
extern "C" {
#include "env/amp.h"
#include "env/task_view.h"
#include "sim/cuda/cuda_engine.h"
#include "sim/cuda/phys_gpu.h"
}
#include "env/action_clip.h"
#include "env/deepmimic_obs.h"
#include "env/deepmimic_ref.h"
#include "env/deepmimic_reward.h"
#include "env/deepmimic_track.h"

/* ---- kernels ---------------------------------------------------------------------------- */

__device__ __forceinline__ int env_index() { return blockIdx.x * blockDim.x + threadIdx.x; }

__global__ void k_action(const float *__restrict__ actions, const float *__restrict__ low, const float *__restrict__ high,
                         int act_dim, int n, float *__restrict__ targets) {
  int i = env_index();
  if (i >= n) return;
  cm_env_clip_action(actions + (long)act_dim * i, low, high, act_dim, targets + (long)act_dim * i);
}

__global__ void k_post_physics(dm_args a) {
  int i = env_index();
  if (i >= a.num_envs) return;
  a.time[i] += a.dt;
  a.timestep[i]++;
  cm_dm_update_ref(a.c, a.p, &a.v, &a.b, &a.s, i, a.time[i]);
}

/* mask NULL: every env; else only envs with mask[i] >= 0 */
__global__ void k_obs(dm_args a, const int *__restrict__ mask) {
  int i = env_index();
  if (i >= a.num_envs || (mask && mask[i] < 0)) return;
  cm_dm_obs(a.c, a.p, &a.v, &a.s, i, a.b.motion_id[i], a.time[i] + a.b.time_offset[i], a.obs + (long)a.obs_dim * i);
}

/* reward and done; done_out the rl_env's byte flags, ids[i] = i for a finished env, else -1 */
__global__ void k_reward_done(dm_args a, uint8_t *__restrict__ done_out, int *__restrict__ ids) {
  int i = env_index();
  if (i >= a.num_envs) return;
  cm_dm_env_reward_done(a.c, a.p, &a.v, &a.s, &a.b, i, a.time[i], a.reward + i, a.done + i);
  if (done_out) done_out[i] = (uint8_t)a.done[i];
  ids[i] = a.done[i] != CM_DONE_NULL ? i : -1;
}

/* the tracking error of the envs (mask as k_obs) into rows [N][CM_DM_NUM_TRACK_ERR] */
__global__ void k_track(dm_args a, const int *__restrict__ mask, float *__restrict__ rows) {
  int i = env_index();
  if (i >= a.num_envs || (mask && mask[i] < 0)) return;
  cm_dm_tracking_error(a.c, &a.s, &a.b, i, rows + CM_DM_NUM_TRACK_ERR * (long)i);
}

/* ids NULL: every env; else envs with ids[i] >= 0 */
__global__ void k_reset(dm_args a, const int *__restrict__ ids) {
  int i = env_index();
  if (i >= a.num_envs || (ids && ids[i] < 0)) return;
  dm_gpu_reset_counters(a, i);
  cm_dm_reset_env(a.c, a.p, &a.v, &a.b, &a.s, a.seed, a.env0, i);
}

/* ---- the module ------------------------------------------------------------------------- */

/* One device array per host array of the env's state, listed once for the copies both ways. */
typedef struct { void *dev, *host; size_t bytes; } dm_pair;
enum { EV_START, EV_ACTION, EV_PHYSICS, EV_ENV, EV_DISC, EV_RESET, EV_END, EV_COUNT };

struct cm_dm_gpu {
  cm_env *e;
  cm_phys_gpu *phys;
  cudaStream_t stream;
  int device, N, O, A, substeps;
  dm_args a;
  cm_char *c_dev;
  cm_dm_params *p_dev;
  float *low, *high, *targets, *actions; /* [A], [A], [N][A], [N][A] (host staging) */
  int *ids;                              /* [N] finished env ids or -1 */
  float *stage_obs, *stage_next_obs, *stage_reward;
  uint8_t *stage_done;
  float *track, *track_h; /* [N][7] tracking-error rows: device, page-locked host */
  int *ids_h;             /* [N] page-locked host copy of ids for the tracking sums */
  amp_gpu *amp;           /* the amp family's part, or NULL */
  task_gpu *task;         /* the task envs' part, or NULL */
  void *lib_mem[32];      /* read-only and scratch arrays */
  int nlib;
  dm_pair pairs[32];
  int npairs;
  cudaEvent_t ev[EV_COUNT];
  cm_dm_gpu_times t;
};

int dm_gpu_ok(cudaError_t rc, const char *what, cm_err *err) {
  if (rc == cudaSuccess) return 0;
  cudaGetLastError();
  return cm_fail(err, "deepmimic (GPU): %s: %s", what, cudaGetErrorString(rc));
}

/* The types whose every hook has a device version here (the task envs' test mode excepted). */
static int steps_on_gpu(const cm_env_type *t) {
  return t == &cm_env_deepmimic || t == &cm_env_amp || t == &cm_env_ase || t == &cm_env_add ||
         t == &cm_env_task_location || t == &cm_env_task_steering;
}

extern "C" int cm_dm_gpu_supported(const cm_env *e, const char **why) {
  const char *w = NULL;
  if (!e || !steps_on_gpu(e->type))
    w = "only the deepmimic, amp, ase, add, task_location and task_steering env types step on the GPU";
  else if (strcmp(e->engine->cfg.engine_name, "cuda")) w = "the env's engine is not the cuda engine";
  else if (!cm_cuda_engine_gpu(e->engine)) w = "the cuda engine runs on the CPU (--devices cpu)";
  if (why) *why = w;
  return w == NULL;
}

int dm_gpu_scratch(cm_dm_gpu *g, size_t bytes, void **out, cm_err *err) {
  void *d = NULL;
  *out = NULL;
  if (g->nlib >= (int)(sizeof g->lib_mem / sizeof g->lib_mem[0])) return cm_fail(err, "deepmimic (GPU): too many library arrays");
  if (dm_gpu_ok(cudaMalloc(&d, bytes + 4), "cudaMalloc(env constants)", err)) return -1;
  g->lib_mem[g->nlib++] = d;
  *out = d;
  return 0;
}

int dm_gpu_lib(cm_dm_gpu *g, const void *host, size_t bytes, const void **out, cm_err *err) {
  void *d = NULL;
  if (dm_gpu_scratch(g, bytes, &d, err)) return -1;
  *out = d;
  return bytes ? dm_gpu_ok(cudaMemcpy(d, host, bytes, cudaMemcpyHostToDevice), "copying the env constants", err) : 0;
}

int dm_gpu_mirror(cm_dm_gpu *g, void *host, size_t bytes, void **dev_out, cm_err *err) {
  void *d = NULL;
  if (g->npairs >= (int)(sizeof g->pairs / sizeof g->pairs[0])) return cm_fail(err, "deepmimic (GPU): too many state arrays");
  if (dm_gpu_ok(cudaMalloc(&d, bytes + 4), "cudaMalloc(env state)", err)) return -1;
  g->pairs[g->npairs++] = (dm_pair){d, host, bytes};
  *dev_out = d;
  return 0;
}

static int dev_alloc(void **out, size_t bytes, cm_err *err) {
  *out = NULL;
  return dm_gpu_ok(cudaMalloc(out, bytes + 4), "cudaMalloc(env buffers)", err);
}

static int copy_lib(cm_dm_gpu *g, const cm_motion_lib_view *h, cm_motion_lib_view *d, cm_err *err) {
  size_t M = (size_t)h->num_motions, F = (size_t)h->total_frames, J = (size_t)h->num_joints, D = (size_t)h->num_dofs;
  *d = *h;
#define LIB(f, n) dm_gpu_lib(g, h->f, sizeof(*h->f) * (n), (const void **)&d->f, err)
  return LIB(weight, M) || LIB(weight_cdf, M) || LIB(fps, M) || LIB(length, M) || LIB(num_frames, M) || LIB(start, M) ||
                 LIB(loop_mode, M) || LIB(root_pos_delta, 3 * M) || LIB(root_pos, 3 * F) || LIB(root_rot, 4 * F) ||
                 LIB(root_vel, 3 * F) || LIB(root_ang_vel, 3 * F) || LIB(joint_rot, 4 * J * F) || LIB(dof_vel, D * F)
             ? -1
             : 0;
#undef LIB
}

extern "C" int cm_dm_gpu_create(cm_env *e, cm_dm_gpu **out, cm_err *err) {
  *out = NULL;
  const char *why = NULL;
  if (!cm_dm_gpu_supported(e, &why)) return cm_fail(err, "deepmimic (GPU): %s", why);
  cm_dm_env *dm = cm_deepmimic_of(e);
  cm_dm_gpu *g = (cm_dm_gpu *)calloc(1, sizeof *g);
  if (!g) return cm_fail(err, "out of memory");
  g->e = e;
  g->phys = cm_cuda_engine_gpu(e->engine);
  g->stream = (cudaStream_t)cm_phys_gpu_stream(g->phys);
  g->device = cm_phys_gpu_device(g->phys);
  g->N = e->num_envs;
  g->O = e->obs_dim;
  g->A = e->act_dim;
  g->substeps = e->engine->cfg.sim_freq / e->engine->cfg.control_freq; /* as the engine divides them */
  size_t N = (size_t)g->N, B = (size_t)e->chr.num_bodies, D = (size_t)e->chr.num_dofs, A = (size_t)g->A, O = (size_t)g->O;
  dm_args *a = &g->a;
  a->num_envs = g->N;
  a->obs_dim = g->O;
  a->dt = (float)e->engine->control_dt; /* as cm_env_step rounds it */
  a->seed = e->seed;
  a->env0 = e->env0;
  cm_phys_gpu_dev_state(g->phys, &a->s);
  cm_sim_state *hs = &e->engine->st;
  const cm_dm_buf *hb = &dm->buf;
  cm_dm_buf *b = &a->b;
  if (dm_gpu_ok(cudaSetDevice(g->device), "cudaSetDevice", err)) goto fail;
  for (int k = 0; k < EV_COUNT; k++)
    if (dm_gpu_ok(cudaEventCreate(&g->ev[k]), "cudaEventCreate", err)) goto fail;
  if (dm_gpu_ok(cudaMalloc((void **)&g->c_dev, sizeof(cm_char)), "cudaMalloc(character)", err) ||
      dm_gpu_ok(cudaMemcpy(g->c_dev, &e->chr, sizeof(cm_char), cudaMemcpyHostToDevice), "copying the character", err) ||
      dm_gpu_ok(cudaMalloc((void **)&g->p_dev, sizeof(cm_dm_params)), "cudaMalloc(params)", err) ||
      dm_gpu_ok(cudaMemcpy(g->p_dev, &dm->p, sizeof(cm_dm_params), cudaMemcpyHostToDevice), "copying the params", err) ||
      copy_lib(g, &dm->view, &a->v, err))
    goto fail;
  a->c = g->c_dev;
  a->p = g->p_dev;
#define MIRROR(dst, host, n) dm_gpu_mirror(g, (void *)(host), sizeof(*(host)) * (n), (void **)&(dst), err)
  if (MIRROR(b->motion_id, hb->motion_id, N) || MIRROR(b->time_offset, hb->time_offset, N) ||
      MIRROR(b->episode, hb->episode, N) || MIRROR(b->root_pos, hb->root_pos, 3 * N) ||
      MIRROR(b->root_rot, hb->root_rot, 4 * N) || MIRROR(b->root_vel, hb->root_vel, 3 * N) ||
      MIRROR(b->root_ang_vel, hb->root_ang_vel, 3 * N) || MIRROR(b->joint_rot, hb->joint_rot, 4 * (B - 1) * N) ||
      MIRROR(b->dof_pos, hb->dof_pos, D * N) || MIRROR(b->dof_vel, hb->dof_vel, D * N) ||
      MIRROR(b->body_pos, hb->body_pos, 3 * B * N) || MIRROR(a->time, e->time, N) ||
      MIRROR(a->timestep, e->timestep, N) || MIRROR(a->done, e->done, N) || MIRROR(a->reward, e->reward, N) ||
      MIRROR(a->obs, e->obs, O * N) || MIRROR(a->s.ref_root_pos, hs->ref_root_pos, 3 * N) ||
      MIRROR(a->s.ref_root_rot, hs->ref_root_rot, 4 * N) || MIRROR(a->s.ref_dof_pos, hs->ref_dof_pos, D * N))
    goto fail;
#undef MIRROR
  if (dev_alloc((void **)&g->low, sizeof(float) * A, err) || dev_alloc((void **)&g->high, sizeof(float) * A, err) ||
      dev_alloc((void **)&g->targets, sizeof(float) * A * N, err) || dev_alloc((void **)&g->actions, sizeof(float) * A * N, err) ||
      dev_alloc((void **)&g->ids, sizeof(int) * N, err) || dev_alloc((void **)&g->stage_obs, sizeof(float) * O * N, err) ||
      dev_alloc((void **)&g->stage_next_obs, sizeof(float) * O * N, err) ||
      dev_alloc((void **)&g->stage_reward, sizeof(float) * N, err) || dev_alloc((void **)&g->stage_done, N, err) ||
      dev_alloc((void **)&g->track, sizeof(float) * CM_DM_NUM_TRACK_ERR * N, err) ||
      dm_gpu_ok(cudaMallocHost((void **)&g->track_h, sizeof(float) * CM_DM_NUM_TRACK_ERR * N + 4), "cudaMallocHost(tracking)", err) ||
      dm_gpu_ok(cudaMallocHost((void **)&g->ids_h, sizeof(int) * N + 4), "cudaMallocHost(ids)", err) ||
      dm_gpu_ok(cudaMemcpy(g->low, e->action_low, sizeof(float) * A, cudaMemcpyHostToDevice), "copying the action bounds", err) ||
      dm_gpu_ok(cudaMemcpy(g->high, e->action_high, sizeof(float) * A, cudaMemcpyHostToDevice), "copying the action bounds", err) ||
      amp_gpu_create(g, e, &g->amp, err) || task_gpu_create(g, e, &g->task, err) || cm_dm_gpu_from_host(g, err))
    goto fail;
  *out = g;
  return 0;
fail:
  cm_dm_gpu_destroy(g);
  return -1;
}

extern "C" void cm_dm_gpu_destroy(cm_dm_gpu *g) {
  if (!g) return;
  cudaSetDevice(g->device);
  if (g->stream) cudaStreamSynchronize(g->stream);
  amp_gpu_destroy(g->amp);
  task_gpu_destroy(g->task);
  for (int k = 0; k < g->nlib; k++) cudaFree(g->lib_mem[k]);
  for (int k = 0; k < g->npairs; k++) cudaFree(g->pairs[k].dev);
  void *own[] = {g->c_dev, g->p_dev, g->low, g->high, g->targets, g->actions, g->ids, g->stage_obs, g->stage_next_obs,
                 g->stage_reward, g->stage_done, g->track};
  for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
    if (own[k]) cudaFree(own[k]);
  if (g->track_h) cudaFreeHost(g->track_h);
  if (g->ids_h) cudaFreeHost(g->ids_h);
  for (int k = 0; k < EV_COUNT; k++)
    if (g->ev[k]) cudaEventDestroy(g->ev[k]);
  cudaGetLastError();
  free(g);
}

static int launched(const char *what, cm_err *err) { return dm_gpu_ok(cudaGetLastError(), what, err); }

static double ev_s(cudaEvent_t x, cudaEvent_t y) {
  float ms = 0;
  cudaEventElapsedTime(&ms, x, y);
  return ms * 1e-3;
}

/* Test mode with log_tracking_error: the tracking error of the envs (mask NULL: all) recorded
 * in the host env's running sums (deepmimic.c cm_dm_env_record_tracking). Waits for the rows. */
static int record_tracking(cm_dm_gpu *g, const int *mask, cm_err *err) {
  cm_dm_env *dm = cm_deepmimic_of(g->e);
  if (!g->e->test_mode || !dm->log_tracking_error) return 0;
  size_t N = (size_t)g->N;
  k_track<<<dm_gpu_grid(g->N), DM_GPU_BLOCK, 0, g->stream>>>(g->a, mask, g->track);
  if (launched("launching the tracking kernel", err) ||
      dm_gpu_ok(cudaMemcpyAsync(g->track_h, g->track, sizeof(float) * CM_DM_NUM_TRACK_ERR * N, cudaMemcpyDeviceToHost, g->stream),
            "reading the tracking errors", err) ||
      (mask && dm_gpu_ok(cudaMemcpyAsync(g->ids_h, mask, sizeof(int) * N, cudaMemcpyDeviceToHost, g->stream),
                         "reading the ids", err)) ||
      dm_gpu_ok(cudaStreamSynchronize(g->stream), "the tracking kernel", err))
    return -1;
  cm_dm_track_add(&dm->track, g->track_h, mask ? g->ids_h : NULL, g->N);
  return 0;
}

/* The finished envs (ids NULL: all) reset, pushed into the physics, their tracking error
 * recorded (test mode) and observed. */
static int reset_envs(cm_dm_gpu *g, const int *ids, cm_err *err) {
  if (g->amp) {
    if (amp_gpu_reset(g->amp, &g->a, ids, g->stream, err)) return -1;
  } else {
    k_reset<<<dm_gpu_grid(g->N), DM_GPU_BLOCK, 0, g->stream>>>(g->a, ids);
    if (launched("launching the reset kernel", err)) return -1;
  }
  if (cm_phys_gpu_push_dev(g->phys, ids, g->N, err) || record_tracking(g, ids, err) ||
      (g->task && task_gpu_reset(g->task, &g->a, ids, g->stream, err)))
    return -1;
  k_obs<<<dm_gpu_grid(g->N), DM_GPU_BLOCK, 0, g->stream>>>(g->a, ids);
  if (launched("launching the observation kernel", err) || (g->amp && amp_gpu_obs(g->amp, &g->a, ids, g->stream, err)))
    return -1;
  return g->task ? task_gpu_obs(g->task, &g->a, ids, g->stream, err) : 0;
}

/* The task envs' test figures are host code: in test mode they step on the host. */
static int refuse_host_only(const cm_dm_gpu *g, cm_err *err) {
  if (!cm_dm_gpu_host_only(g)) return 0;
  return cm_fail(err, "deepmimic (GPU): %s in test mode steps on the host (its test figures are host code)",
                 g->e->type->name);
}

extern "C" int cm_dm_gpu_host_only(const cm_dm_gpu *g) { return g->task && g->e->test_mode; }

static int copy_out(cm_dm_gpu *g, float *dst, const float *src, size_t bytes, cm_err *err) {
  if (dst == src) return 0;
  return dm_gpu_ok(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, g->stream), "copying the observations", err);
}

extern "C" int cm_dm_gpu_reset(cm_dm_gpu *g, float *obs, cm_err *err) {
  if (refuse_host_only(g, err) || dm_gpu_ok(cudaSetDevice(g->device), "cudaSetDevice", err) || reset_envs(g, NULL, err) ||
      copy_out(g, obs, g->a.obs, sizeof(float) * g->O * g->N, err))
    return -1;
  return dm_gpu_ok(cudaStreamSynchronize(g->stream), "the reset kernels", err);
}

extern "C" int cm_dm_gpu_step(cm_dm_gpu *g, const float *actions, float *next_obs, float *obs, float *reward, uint8_t *done,
                              cm_err *err) {
  int N = g->N;
  size_t obs_bytes = sizeof(float) * g->O * N;
  if (refuse_host_only(g, err) || dm_gpu_ok(cudaSetDevice(g->device), "cudaSetDevice", err)) return -1;
  cudaEventRecord(g->ev[EV_START], g->stream);
  if (g->task && task_gpu_pre_physics(g->task, &g->a, g->stream, err)) return -1;
  k_action<<<dm_gpu_grid(N), DM_GPU_BLOCK, 0, g->stream>>>(actions, g->low, g->high, g->A, N, g->targets);
  if (launched("launching the action kernel", err)) return -1;
  cudaEventRecord(g->ev[EV_ACTION], g->stream);
  if (cm_phys_gpu_step_dev(g->phys, g->targets, g->substeps, err)) return -1;
  cudaEventRecord(g->ev[EV_PHYSICS], g->stream);
  k_post_physics<<<dm_gpu_grid(N), DM_GPU_BLOCK, 0, g->stream>>>(g->a);
  if (launched("launching the env kernels", err) || (g->amp && amp_gpu_post_physics(g->amp, &g->a, g->stream, err)) ||
      (g->task && task_gpu_post_physics(g->task, &g->a, g->stream, err)))
    return -1;
  k_obs<<<dm_gpu_grid(N), DM_GPU_BLOCK, 0, g->stream>>>(g->a, NULL);
  if (launched("launching the env kernels", err) || (g->amp && amp_gpu_obs(g->amp, &g->a, NULL, g->stream, err)) ||
      (g->task && task_gpu_obs(g->task, &g->a, NULL, g->stream, err)) || record_tracking(g, NULL, err))
    return -1;
  k_reward_done<<<dm_gpu_grid(N), DM_GPU_BLOCK, 0, g->stream>>>(g->a, done, g->ids);
  if (launched("launching the env kernels", err) || (g->amp && amp_gpu_reward(g->amp, &g->a, g->stream, err)) ||
      (g->task && task_gpu_reward(g->task, &g->a, g->stream, err)))
    return -1;
  cudaEventRecord(g->ev[EV_ENV], g->stream);
  if (g->amp && amp_gpu_download(g->amp, g->stream, err)) return -1;
  cudaEventRecord(g->ev[EV_DISC], g->stream);
  if (copy_out(g, next_obs, g->a.obs, obs_bytes, err) ||
      dm_gpu_ok(cudaMemcpyAsync(reward, g->a.reward, sizeof(float) * N, cudaMemcpyDeviceToDevice, g->stream),
                "copying the rewards", err) ||
      reset_envs(g, g->ids, err))
    return -1;
  cudaEventRecord(g->ev[EV_RESET], g->stream);
  if (copy_out(g, obs, g->a.obs, obs_bytes, err)) return -1;
  cudaEventRecord(g->ev[EV_END], g->stream);
  if (dm_gpu_ok(cudaStreamSynchronize(g->stream), "the env step", err)) return -1;
  g->t.steps++;
  g->t.action_s += ev_s(g->ev[EV_START], g->ev[EV_ACTION]);
  g->t.physics_s += ev_s(g->ev[EV_ACTION], g->ev[EV_PHYSICS]);
  g->t.env_s += ev_s(g->ev[EV_PHYSICS], g->ev[EV_ENV]);
  g->t.reset_s += ev_s(g->ev[EV_DISC], g->ev[EV_RESET]);
  g->t.copy_s += ev_s(g->ev[EV_ENV], g->ev[EV_DISC]) + ev_s(g->ev[EV_RESET], g->ev[EV_END]);
  return 0;
}

static int stage(cm_dm_gpu *g, void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cm_err *err) {
  return dm_gpu_ok(cudaMemcpyAsync(dst, src, bytes, kind, g->stream), "staging env arrays", err);
}

extern "C" int cm_dm_gpu_reset_host(cm_dm_gpu *g, float *obs, cm_err *err) {
  size_t ob = sizeof(float) * g->O * g->N;
  if (cm_dm_gpu_reset(g, g->stage_obs, err) || stage(g, obs, g->stage_obs, ob, cudaMemcpyDeviceToHost, err)) return -1;
  return dm_gpu_ok(cudaStreamSynchronize(g->stream), "staging env arrays", err);
}

extern "C" int cm_dm_gpu_step_host(cm_dm_gpu *g, const float *actions, float *next_obs, float *obs, float *reward,
                                   uint8_t *done, cm_err *err) {
  size_t N = (size_t)g->N, ob = sizeof(float) * g->O * N;
  double t0 = 0;
  cudaEvent_t e0 = g->ev[EV_START], e1 = g->ev[EV_END];
  if (dm_gpu_ok(cudaSetDevice(g->device), "cudaSetDevice", err) ||
      stage(g, g->actions, actions, sizeof(float) * g->A * N, cudaMemcpyHostToDevice, err) ||
      cm_dm_gpu_step(g, g->actions, g->stage_next_obs, g->stage_obs, g->stage_reward, g->stage_done, err))
    return -1;
  cudaEventRecord(e0, g->stream);
  if (stage(g, next_obs, g->stage_next_obs, ob, cudaMemcpyDeviceToHost, err) ||
      stage(g, obs, g->stage_obs, ob, cudaMemcpyDeviceToHost, err) ||
      stage(g, reward, g->stage_reward, sizeof(float) * N, cudaMemcpyDeviceToHost, err) ||
      stage(g, done, g->stage_done, N, cudaMemcpyDeviceToHost, err))
    return -1;
  cudaEventRecord(e1, g->stream);
  if (dm_gpu_ok(cudaStreamSynchronize(g->stream), "staging env arrays", err)) return -1;
  t0 = ev_s(e0, e1);
  g->t.copy_s += t0;
  return 0;
}

static int copy_pairs(cm_dm_gpu *g, int to_host, cm_err *err) {
  if (dm_gpu_ok(cudaSetDevice(g->device), "cudaSetDevice", err)) return -1;
  for (int k = 0; k < g->npairs; k++) {
    dm_pair *q = &g->pairs[k];
    if (!q->bytes || !q->host) continue;
    cudaError_t rc = to_host ? cudaMemcpyAsync(q->host, q->dev, q->bytes, cudaMemcpyDeviceToHost, g->stream)
                             : cudaMemcpyAsync(q->dev, q->host, q->bytes, cudaMemcpyHostToDevice, g->stream);
    if (dm_gpu_ok(rc, to_host ? "reading the env state back" : "uploading the env state", err)) return -1;
  }
  return dm_gpu_ok(cudaStreamSynchronize(g->stream), "copying the env state", err);
}

extern "C" int cm_dm_gpu_to_host(cm_dm_gpu *g, cm_err *err) {
  if (g->amp) amp_gpu_sync(g->amp, 1);
  return copy_pairs(g, 1, err) || cm_phys_gpu_download_state(g->phys, err) ? -1 : 0;
}

extern "C" int cm_dm_gpu_from_host(cm_dm_gpu *g, cm_err *err) {
  if (g->amp) amp_gpu_sync(g->amp, 0);
  return copy_pairs(g, 0, err) || cm_phys_gpu_upload_state(g->phys, err) ? -1 : 0;
}

extern "C" int cm_dm_gpu_fetch_disc_obs_demo(cm_dm_gpu *g, int n, float *out, cm_err *err) {
  if (!g->amp) return cm_fail(err, "env '%s' has no discriminator observation", g->e->type->name);
  if (dm_gpu_ok(cudaSetDevice(g->device), "cudaSetDevice", err)) return -1;
  return amp_gpu_fetch_demo(g->amp, &g->a, n, out, g->stream, err);
}

extern "C" void cm_dm_gpu_set_disc_out(cm_dm_gpu *g, float *disc_obs, float *disc_obs_demo) {
  if (!g->amp) return;
  cudaSetDevice(g->device);
  amp_gpu_set_out(g->amp, disc_obs, disc_obs_demo);
}

extern "C" void *cm_dm_gpu_stream(const cm_dm_gpu *g) { return (void *)g->stream; }
extern "C" int cm_dm_gpu_device(const cm_dm_gpu *g) { return g->device; }
extern "C" void cm_dm_gpu_times_get(const cm_dm_gpu *g, cm_dm_gpu_times *out) { *out = g->t; }
extern "C" void cm_dm_gpu_times_reset(cm_dm_gpu *g) { memset(&g->t, 0, sizeof g->t); }
