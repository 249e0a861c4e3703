/* view_motion: plays motion clips on the character kinematically (no learning, motors off):
 * env i shows clip i mod num_clips; an episode lasts one clip, or five loops of a wrap clip
 * (MimicKit's ViewMotionEnv). Physics runs one substep per control step and the pose is
 * overwritten from the clip after it. */
#include <stdlib.h>
#include <string.h>
#include "anim/motion_lib.h"
#include "anim/motion_lib_eval.h"
#include "env/env.h"

#define WRAP_LOOPS 5

typedef struct {
  cm_motion_lib lib;
  cm_motion_lib_view view;
} view_motion;

static const char *const k_keys[] = {"motion_file", NULL};

static void setup(cm_env *e, cm_engine_cfg *cfg, cm_engine_opts *opts) {
  (void)e;
  cfg->sim_freq = cfg->control_freq;
  opts->disable_motors = 1;
}

static int init(cm_env *e, const cm_cfg *cfg, cm_err *err) {
  const char *motion_file = NULL;
  if (cm_cfg_require(cfg, "motion_file", err) || cm_cfg_str(cfg, "motion_file", NULL, &motion_file, err)) return -1;
  view_motion *vm = calloc(1, sizeof *vm);
  e->impl = vm;
  if (cm_motion_lib_load(motion_file, &e->chr, &vm->lib, err)) return -1;
  vm->view = cm_motion_lib_host_view(&vm->lib);
  return 0;
}

static void destroy(cm_env *e) {
  view_motion *vm = e->impl;
  if (!vm) return;
  cm_motion_lib_free(&vm->lib);
  free(vm);
}

/* Poses env i from its clip at its current time (one env's work). */
static void sync_env(cm_env *e, int i) {
  const view_motion *vm = e->impl;
  cm_sim_state *s = &e->engine->st;
  int D = s->num_dofs, motion = i % vm->view.num_motions;
  float jrot[(CM_MAX_BODIES - 1) * 4];
  cm_mlib_calc_frame(&vm->view, motion, e->time[i], s->root_pos + 3 * i, s->root_rot + 4 * i, NULL, NULL, jrot, NULL);
  cm_mlib_joint_rot_to_dof(&e->chr, jrot, s->dof_pos + (size_t)D * i);
  memset(s->root_vel + 3 * i, 0, 3 * sizeof(float));
  memset(s->root_ang_vel + 3 * i, 0, 3 * sizeof(float));
  memset(s->dof_vel + (size_t)D * i, 0, (size_t)D * sizeof(float));
}

static void sync_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  for (int i = begin; i < end; i++) sync_env(ctx, i);
}

static void post_physics(cm_env *e) {
  cm_pool_for(e->pool, e->num_envs, sync_range, e);
  e->engine->ops->push_state(e->engine, NULL, e->num_envs);
}

/* Unlike MimicKit, a reset shows the clip's first frame right away rather than the initial
 * pose for one step, so recordings start on the motion. */
static void reset(cm_env *e, const int *ids, int n) {
  for (int k = 0; k < n; k++) sync_env(e, ids[k]);
  e->engine->ops->push_state(e->engine, ids, n);
}

static void update_done(cm_env *e) {
  const view_motion *vm = e->impl;
  for (int i = 0; i < e->num_envs; i++) {
    int m = i % vm->view.num_motions;
    float end = vm->view.length[m] * (vm->view.loop_mode[m] == CM_LOOP_WRAP ? WRAP_LOOPS : 1);
    e->done[i] = e->time[i] >= end ? CM_DONE_TIME : CM_DONE_NULL;
  }
}

const cm_env_type cm_env_view_motion = {
    .name = "view_motion",
    .keys = k_keys,
    .engine_setup = setup,
    .init = init,
    .reset = reset,
    .post_physics = post_physics,
    .update_done = update_done,
    .destroy = destroy,
};
