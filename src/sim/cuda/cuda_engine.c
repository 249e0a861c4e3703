/* The "cuda" engine's CPU driver (see cuda_engine.h): the per-env CM_HD physics run over the
 * thread pool on one batched block. */
#include "sim/cuda/cuda_engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/pool.h"
#ifndef CM_PHYS_DOUBLE
#include "sim/cuda/phys_gpu.h"
#else /* the double build (tests) runs on the CPU only: no kernel driver */
typedef struct cm_phys_gpu cm_phys_gpu;
static int cm_phys_gpu_create(const char *dev, const cm_phys_model *m, const cm_phys_bridge *br, const cm_phys_layout *L,
                              const cm_preal *block, cm_sim_state *st, cm_phys_gpu **out, cm_err *err) {
  (void)m, (void)br, (void)L, (void)block, (void)st;
  *out = NULL;
  return cm_fail(err, "cuda engine: the double test build has no GPU path (%s)", dev);
}
static int cm_phys_gpu_step(cm_phys_gpu *g, const float *cmd, int nsub, cm_err *err) {
  (void)g, (void)cmd, (void)nsub;
  return cm_fail(err, "cuda engine: no GPU path");
}
static int cm_phys_gpu_push(cm_phys_gpu *g, const int *ids, int n, cm_err *err) { (void)g, (void)ids, (void)n, (void)err; return -1; }
static int cm_phys_gpu_download_block(cm_phys_gpu *g, cm_preal *block, cm_err *err) { (void)g, (void)block, (void)err; return -1; }
static void cm_phys_gpu_destroy(cm_phys_gpu *g) { (void)g; }
#endif
#include "sim/cuda/phys_step.h"
#include "anim/mjcf.h"

typedef struct cu_impl {
  cm_phys_model model;
  cm_phys_bridge bridge;
  cm_phys_layout layout;
  cm_preal *block;
  mjModel *mj;
  cm_pool *pool;
  int num_envs, substeps;
  float *cmd;        /* [N][D] */
  float *state_mem;  /* the batched state's arrays, one allocation */
  cm_phys_gpu *gpu;  /* --devices cuda:N: the kernel driver (phys_gpu.h) steps the envs instead */
} cu_impl;

static cu_impl *impl_of(const cm_engine *e) { return (cu_impl *)e->impl; }

void cm_cuda_engine_env(cm_engine *e, int i, cm_phys_data *d) {
  cu_impl *im = impl_of(e);
  cm_phys_data_at(&im->layout, im->block, i, d);
}

void cm_cuda_engine_parts_get(cm_engine *e, cm_cuda_engine_parts *o) {
  cu_impl *im = impl_of(e);
  o->model = &im->model;
  o->bridge = &im->bridge;
  o->layout = &im->layout;
  o->block = im->block;
  o->cmd = im->cmd;
  o->substeps = im->substeps;
}

const mjModel *cm_cuda_engine_mj_model(const cm_engine *e) { return impl_of(e)->mj; }
struct cm_phys_gpu *cm_cuda_engine_gpu(cm_engine *e) { return impl_of(e)->gpu; }

void cm_cuda_engine_pose_mj(cm_engine *e, int env, mjData *md) {
  cu_impl *im = impl_of(e);
  if (im->gpu) cm_phys_gpu_download_block(im->gpu, im->block, NULL); /* the state lives on the GPU */
  cm_phys_data d;
  cm_cuda_engine_env(e, env, &d);
  for (int k = 0; k < im->model.nq; k++) md->qpos[k] = d.qpos[k];
  for (int k = 0; k < im->model.nv; k++) md->qvel[k] = d.qvel[k];
  for (int k = 0; k < 3 * im->model.nmocap; k++) md->mocap_pos[k] = d.mocap_pos[k];
  for (int k = 0; k < 4 * im->model.nmocap; k++) md->mocap_quat[k] = d.mocap_quat[k];
  mj_forward(im->mj, md);
}

long cm_cuda_engine_num_resets(cm_engine *e) {
  cu_impl *im = impl_of(e);
  if (im->gpu) cm_phys_gpu_download_block(im->gpu, im->block, NULL);
  long n = 0;
  for (int i = 0; i < im->num_envs; i++) {
    cm_phys_data d;
    cm_cuda_engine_env(e, i, &d);
    n += d.nbad[0];
  }
  return n;
}

/* ---- stepping ----------------------------------------------------------------------------- */

static void step_chunk(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_engine *e = ctx;
  cu_impl *im = impl_of(e);
  for (int i = begin; i < end; i++) {
    cm_phys_data d;
    cm_phys_data_at(&im->layout, im->block, i, &d);
    cm_phys_set_targets(&im->model, &im->bridge, im->cmd + (size_t)e->st.num_dofs * i, &d);
    cm_phys_step_env(&im->model, &d, im->substeps);
    cm_phys_state_unpack(&im->model, &im->bridge, &d, &e->st, i);
  }
}

static void cu_set_targets(cm_engine *e, const float *targets) {
  cu_impl *im = impl_of(e);
  memcpy(im->cmd, targets, sizeof(float) * (size_t)im->num_envs * (size_t)e->st.num_dofs);
}

static int cu_step(cm_engine *e, cm_err *err) {
  if (impl_of(e)->gpu) return cm_phys_gpu_step(impl_of(e)->gpu, impl_of(e)->cmd, impl_of(e)->substeps, err);
  cm_pool_for(impl_of(e)->pool, impl_of(e)->num_envs, step_chunk, e);
  return 0;
}

typedef struct { cm_engine *e; const int *ids; } push_ctx;

static void push_env(cm_engine *e, int i) {
  cu_impl *im = impl_of(e);
  cm_phys_data d;
  cm_phys_data_at(&im->layout, im->block, i, &d);
  cm_phys_state_pack(&im->model, &im->bridge, &e->st, i, &d);
  cm_phys_forward(&im->model, &d);
  cm_phys_state_unpack(&im->model, &im->bridge, &d, &e->st, i);
}

static void push_chunk(void *ctx, int begin, int end, int worker) {
  (void)worker;
  push_ctx *p = ctx;
  int n = impl_of(p->e)->num_envs;
  for (int k = begin; k < end; k++) {
    int i = p->ids ? p->ids[k] : k;
    if (i >= 0 && i < n) push_env(p->e, i); /* ids outside [0, N) are ignored */
  }
}

static void cu_push_state(cm_engine *e, const int *env_ids, int n) {
  if (impl_of(e)->gpu) { /* a failure is reported by the next step */
    cm_phys_gpu_push(impl_of(e)->gpu, env_ids, n, NULL);
    return;
  }
  push_ctx p = {e, env_ids};
  cm_pool_for(impl_of(e)->pool, env_ids ? n : impl_of(e)->num_envs, push_chunk, &p);
}

/* ---- lifetime ----------------------------------------------------------------------------- */

static void cu_destroy(cm_engine *e) {
  if (!e) return;
  cu_impl *im = impl_of(e);
  if (im) {
    cm_phys_gpu_destroy(im->gpu); /* first: it unpins the state arrays freed below */
    if (im->pool) cm_pool_destroy(im->pool);
    if (im->mj) mj_deleteModel(im->mj);
    free(im->block);
    free(im->cmd);
    free(im->state_mem);
    free(im);
  }
  free(e);
}

static const cm_engine_ops k_cu_ops = {cu_set_targets, cu_step, cu_push_state, cu_destroy, cm_cuda_engine_num_resets};

/* The character's bodies and joints on the compiled model, found by name (the model has the
 * scene added and, with fix_root, the root welded), as the mujoco engine maps them. */
static int build_bridge(const mjModel *m, const cm_char *chr, const char *file, int fix_root, cm_phys_bridge *br,
                        cm_err *err) {
  memset(br, 0, sizeof *br);
  br->chr = *chr;
  cm_char *c = &br->chr;
  for (int b = 0; b < c->num_bodies; b++) {
    int mb = mj_name2id(m, mjOBJ_BODY, c->body_names[b]);
    if (mb < 0) return cm_fail(err, "%s: body '%s' of the character is not in the compiled model", file, c->body_names[b]);
    br->body_phys[b] = mb;
    int jadr = m->body_jntadr[mb], jnum = m->body_jntnum[mb];
    if (b == 0) {
      if (fix_root) {
        if (jnum != 0 || m->body_mocapid[mb] < 0)
          return cm_fail(err, "%s: root body '%s' cannot be fixed (joints left or not a mocap body)", file, c->body_names[b]);
        br->fixed_root = 1;
        br->root_mocap = m->body_mocapid[mb];
        c->mj_qpos_adr[0] = c->mj_dof_adr[0] = -1;
      } else {
        if (jnum != 1 || m->jnt_type[jadr] != mjJNT_FREE) return cm_fail(err, "%s: root body '%s' has no free joint", file, c->body_names[b]);
        c->mj_qpos_adr[0] = m->jnt_qposadr[jadr];
        c->mj_dof_adr[0] = m->jnt_dofadr[jadr];
      }
      continue;
    }
    int dim = c->dof_dim[b];
    if (c->joint_type[b] == CM_JOINT_FIXED || dim == 0) {
      if (jnum != 0) return cm_fail(err, "%s: body '%s' is fixed in the character but has joints", file, c->body_names[b]);
      c->mj_qpos_adr[b] = c->mj_dof_adr[b] = -1;
      continue;
    }
    if (jnum != dim) return cm_fail(err, "%s: body '%s' has %d joints, the character expects %d", file, c->body_names[b], jnum, dim);
    c->mj_qpos_adr[b] = m->jnt_qposadr[jadr];
    c->mj_dof_adr[b] = m->jnt_dofadr[jadr];
    for (int k = 0; k < dim; k++) {
      int jj = jadr + k, dof = c->dof_idx[b] + k;
      if (m->jnt_type[jj] != mjJNT_HINGE) return cm_fail(err, "%s: body '%s' joint %d is not a hinge", file, c->body_names[b], k);
      if (m->jnt_qposadr[jj] != c->mj_qpos_adr[b] + k || m->jnt_dofadr[jj] != c->mj_dof_adr[b] + k)
        return cm_fail(err, "%s: body '%s' hinges are not contiguous in qpos", file, c->body_names[b]);
      if (dof < 0 || dof >= c->num_dofs) return cm_fail(err, "%s: body '%s' dof index %d out of range", file, c->body_names[b], dof);
      br->dof_phys[dof] = m->jnt_dofadr[jj];
    }
  }
  c->mj_nq = m->nq;
  c->mj_nv = m->nv;
  br->floor_geom = mj_name2id(m, mjOBJ_GEOM, "cm_floor");
  if (br->floor_geom < 0) return cm_fail(err, "%s: compiled model has no ground geom 'cm_floor'", file);
  for (int g = 0; g < m->ngeom && g < CM_PHYS_MAX_GEOM; g++) {
    br->geom_char_body[g] = -1;
    for (int b = 0; b < c->num_bodies; b++)
      if (m->geom_bodyid[g] == br->body_phys[b]) br->geom_char_body[g] = b;
  }
  return 0;
}

/* PD gains and torque limits per physics dof, from the character (MimicKit dofs). */
static void set_control(cm_phys_model *pm, const cm_phys_bridge *br, int mode) {
  const cm_char *c = &br->chr;
  pm->ctrl_mode = mode;
  pm->ctrl_implicit_damping = mode == CM_PHYS_CTRL_PD;
  for (int k = 0; k < c->num_dofs; k++) {
    int v = br->dof_phys[k];
    pm->dof_actuated[v] = 1;
    pm->dof_kp[v] = c->kp[k];
    pm->dof_kd[v] = c->kd[k];
    pm->dof_torque_limit[v] = c->torque_limit[k] > 0 ? c->torque_limit[k] : INFINITY;
    pm->dof_damping[v] = pm->ctrl_implicit_damping ? c->kd[k] : 0.f;
  }
}

/* The batched state, every array in one allocation. */
static int alloc_state(cu_impl *im, cm_sim_state *s, int n, int nb, int nd) {
  size_t sizes[] = {3, 4, 3, 3, (size_t)nd, (size_t)nd, 3 * (size_t)nb, 4 * (size_t)nb, 3 * (size_t)nb, 3 * (size_t)nb, 3, 4, (size_t)nd};
  float **dst[] = {&s->root_pos, &s->root_rot, &s->root_vel, &s->root_ang_vel, &s->dof_pos, &s->dof_vel, &s->body_pos,
                   &s->body_rot, &s->body_vel, &s->body_ang_vel, &s->ref_root_pos, &s->ref_root_rot, &s->ref_dof_pos};
  size_t total = 0, k;
  for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) total += sizes[k] * (size_t)n;
  size_t contact_floats = ((size_t)nb * n + 3) / 4;
  im->state_mem = calloc(total + contact_floats + 1, sizeof(float));
  if (!im->state_mem) return -1;
  float *p = im->state_mem;
  for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    *dst[k] = p;
    p += sizes[k] * (size_t)n;
  }
  s->ground_contact = (uint8_t *)p;
  return 0;
}

int cm_cuda_engine_create(const cm_engine_cfg *cfg, const cm_engine_opts *opts, const char *char_file,
                          const cm_char *chr, int num_envs, cm_engine **out, cm_err *err) {
  *out = NULL;
  if (num_envs <= 0) return cm_fail(err, "cuda engine: num_envs must be positive (got %d)", num_envs);
  if (cfg->control_freq <= 0 || cfg->sim_freq <= 0 || cfg->sim_freq % cfg->control_freq != 0)
    return cm_fail(err, "cuda engine: sim_freq %d must be a positive multiple of control_freq %d", cfg->sim_freq, cfg->control_freq);
  int mode;
  switch (cfg->control_mode) {
    case CM_CTRL_NONE: mode = CM_PHYS_CTRL_NONE; break;
    case CM_CTRL_POS:
    case CM_CTRL_PD_EXPLICIT: mode = CM_PHYS_CTRL_PD; break;
    case CM_CTRL_TORQUE: mode = CM_PHYS_CTRL_TORQUE; break;
    default: return cm_fail(err, "cuda engine: control_mode 'vel' is not supported (use pos, torque, pd_explicit or none)");
  }
  if (opts->disable_motors) mode = CM_PHYS_CTRL_NONE;
  cm_engine *e = cm_engine_alloc(cfg, opts, &k_cu_ops, chr, char_file, sizeof(cu_impl), err);
  if (!e) return -1;
  cu_impl *im = impl_of(e);
  im->num_envs = num_envs;
  im->substeps = cfg->sim_freq / cfg->control_freq;
  /* the env's static objects (vault boxes) become world geoms of the mjModel the packed model
   * is compiled from, as in the mujoco engine */
  cm_mjcf_opts mo = {.add_scene = 1, .fix_root = opts->fix_root, .num_objects = opts->num_objects,
                     .objects = opts->objects};
  if (cm_mjcf_compile(char_file, &mo, &im->mj, NULL, err)) {
    cu_destroy(e);
    return -1;
  }
  mjModel *m = im->mj;
  m->opt.timestep = e->sim_dt;
  cm_char_clear_passive_pd(m); /* the MJCF stiffness/damping are our PD gains */
  if (build_bridge(m, chr, char_file, opts->fix_root, &im->bridge, err) ||
      cm_phys_model_compile(m, char_file, &im->model, err)) {
    cu_destroy(e);
    return -1;
  }
  e->chr = &im->bridge.chr;
  set_control(&im->model, &im->bridge, mode);
  /* the mjModel mirrors the damping the physics integrates, for tools that step it alongside */
  for (int v = 0; v < m->nv; v++) m->dof_damping[v] = im->model.dof_damping[v];

  int nb = chr->num_bodies, nd = chr->num_dofs;
  cm_sim_state *s = &e->st;
  s->num_envs = num_envs;
  s->num_bodies = nb;
  s->num_dofs = nd;
  cm_phys_layout_make(&im->model, num_envs, &im->layout);
  im->block = calloc((size_t)im->layout.total + 1, sizeof(cm_preal));
  im->cmd = calloc((size_t)num_envs * (nd ? nd : 1), sizeof(float));
  im->pool = cm_pool_create(cfg->num_threads);
  if (!im->block || !im->cmd || !im->pool || alloc_state(im, s, num_envs, nb, nd)) {
    cu_destroy(e);
    return cm_fail(err, "cuda engine: out of memory for %d envs", num_envs);
  }
  for (int i = 0; i < num_envs; i++) {
    cm_phys_data d;
    cm_phys_data_at(&im->layout, im->block, i, &d);
    for (int k = 0; k < m->nq; k++) d.qpos[k] = (cm_preal)m->qpos0[k];
    for (int b = 0; b < m->nbody; b++) {
      int id = m->body_mocapid[b];
      if (id < 0) continue;
      for (int k = 0; k < 3; k++) d.mocap_pos[3 * id + k] = (cm_preal)m->body_pos[3 * b + k];
      for (int k = 0; k < 4; k++) d.mocap_quat[4 * id + k] = (cm_preal)m->body_quat[4 * b + k];
    }
    cm_phys_forward(&im->model, &d);
    cm_phys_state_unpack(&im->model, &im->bridge, &d, s, i);
    s->ref_root_rot[4 * i + 3] = 1.f;
  }
  if (cfg->device[0] && strcmp(cfg->device, "cpu") &&
      cm_phys_gpu_create(cfg->device, &im->model, &im->bridge, &im->layout, im->block, s, &im->gpu, err)) {
    cu_destroy(e);
    return -1;
  }
  *out = e;
  return 0;
}
