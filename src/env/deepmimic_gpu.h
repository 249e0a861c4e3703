/* The deepmimic env's control step as CUDA kernels (deepmimic_gpu.cu): action clipping, the
 * physics (the cuda engine's device-resident mode, phys_gpu.h), time, the reference motion,
 * observation, reward and episode end, and the reference-state reset of the finished envs with
 * the engine's push, all on device arrays. The amp family (amp, ase, add: env/amp.h) adds its
 * discriminator history, disc_obs (ADD: disc_obs_demo), reward 0 and its reset (amp_gpu.cu);
 * the task envs their targets, task obs and task reward in train mode (task_gpu.cu).
 * The kernels call the CM_HD functions the CPU driver (deepmimic.c, amp.c, char_env.c) calls
 * over the thread pool, in the same order, with the same rng keys, so a CPU-driven and a
 * GPU-driven env of one seed follow the same episodes.
 *
 * While a cm_dm_gpu exists its device copy is the env's truth: the host cm_env, its deepmimic
 * buffers and the engine's host state are stale until cm_dm_gpu_to_host (videos), and
 * cm_dm_gpu_from_host hands the host's state back to the device. In test mode with
 * log_tracking_error the step records the tracking error into the host env's running sums, as
 * the CPU driver does.
 * Built without CUDA, cm_dm_gpu_supported says so and the rest fails with one line. */
#ifndef CM_DEEPMIMIC_GPU_H
#define CM_DEEPMIMIC_GPU_H
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "env/env.h"

typedef struct cm_dm_gpu cm_dm_gpu;

/* Device time of each phase, summed over steps (CUDA events; resets of the finished envs,
 * their push included, under reset_s; the obs/next_obs copies, the amp family's disc_obs
 * download and host staging under copy_s). */
typedef struct cm_dm_gpu_times {
  long steps;
  double action_s, physics_s, env_s, reset_s, copy_s;
} cm_dm_gpu_times;

/* 1 when e can step on the device: exactly the deepmimic, amp, ase, add, task_location or
 * task_steering type on the cuda engine with --devices cuda:N; else 0 with the reason in *why. */
int cm_dm_gpu_supported(const cm_env *e, const char **why);
/* 1 while the env must step on the host (a task env in test mode: its trial counts and test
 * figures are host code); reset and step then fail with one line. */
int cm_dm_gpu_host_only(const cm_dm_gpu *g);
/* Device copies of e's character, settings, motion library and buffers, filled from the host. */
int cm_dm_gpu_create(cm_env *e, cm_dm_gpu **out, cm_err *err);
void cm_dm_gpu_destroy(cm_dm_gpu *g);
/* Device arrays: obs/next_obs [N][obs_dim], actions [N][act_dim], reward [N], done [N] (DoneFlags),
 * on the engine's device; the work is queued on cm_dm_gpu_stream and finished on return.
 * reset: every env, as cm_env_reset(e, NULL, 0); step: one control step, then the finished envs
 * reset (learn/rl_env.h: next_obs pre-reset, obs post-reset). */
int cm_dm_gpu_reset(cm_dm_gpu *g, float *obs, cm_err *err);
int cm_dm_gpu_step(cm_dm_gpu *g, const float *actions, float *next_obs, float *obs, float *reward, uint8_t *done,
                   cm_err *err);
/* The same with host arrays (staged through the module's own device buffers): only actions go
 * up and obs, next_obs, reward, done come down; the physics state stays on the device. */
int cm_dm_gpu_reset_host(cm_dm_gpu *g, float *obs, cm_err *err);
int cm_dm_gpu_step_host(cm_dm_gpu *g, const float *actions, float *next_obs, float *obs, float *reward, uint8_t *done,
                        cm_err *err);
/* amp family: the arrays [N][disc_obs_dim] every step's pre-reset disc_obs (and ADD's
 * disc_obs_demo) is copied into before the step returns: host arrays (pinned in place while
 * set) or device arrays on the env's GPU (a device copy); NULL: not copied. The agent reads
 * them as rl_env's disc_obs (or hands its own device rows: set_disc_out_dev). Other types:
 * nothing. */
void cm_dm_gpu_set_disc_out(cm_dm_gpu *g, float *disc_obs, float *disc_obs_demo);
/* cm_env_fetch_disc_obs_demo on the device (amp family): n demo observations [n][disc_obs_dim]
 * into out (a host array, or a device array on the env's GPU), the same draws as the host's
 * (its draw counter is the host env's). */
int cm_dm_gpu_fetch_disc_obs_demo(cm_dm_gpu *g, int n, float *out, cm_err *err);
/* Whole env state device -> host (cm_env arrays, deepmimic buffers, engine state incl. ref_*,
 * the amp family's history, head and post-reset disc_obs),
 * and host -> device. */
int cm_dm_gpu_to_host(cm_dm_gpu *g, cm_err *err);
int cm_dm_gpu_from_host(cm_dm_gpu *g, cm_err *err);
void *cm_dm_gpu_stream(const cm_dm_gpu *g); /* cudaStream_t */
int cm_dm_gpu_device(const cm_dm_gpu *g);
void cm_dm_gpu_times_get(const cm_dm_gpu *g, cm_dm_gpu_times *out);
void cm_dm_gpu_times_reset(cm_dm_gpu *g);
#endif
