/* The "mujoco" engine (see mj_engine.h). Each mjData is kept "forwarded": its derived
 * quantities (body poses, velocities, contacts, passive forces) always match its qpos/qvel,
 * because every substep runs mj_step2 (actuation, acceleration, integration) followed by
 * mj_step1 (position and velocity stages for the new state). That is exactly the work of one
 * mj_step, so the state read back after a control step costs nothing extra. */
#include "sim/mujoco/mj_engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "anim/kin.h"
#include "core/fileio.h"
#include "core/pool.h"
#include "core/quat.h"
#include "anim/mjcf.h"

typedef struct mj_joint {
  int body;    /* character body index */
  int dim;     /* 1 (hinge) or 3 (three hinges = one spherical joint) */
  int dof;     /* first MimicKit dof */
  int qadr;    /* first hinge's qpos address */
  int dadr;    /* first hinge's dof address */
  float axis[3][3];
} mj_joint;

typedef struct mj_impl {
  cm_char chr; /* a copy: the engine does not depend on the caller's lifetime */
  mjModel *m;
  mjData **d;
  cm_pool *pool;
  int num_envs, substeps;
  int free_root;             /* root has a free joint (not fix_root) */
  int root_qadr, root_dadr;  /* free joint addresses */
  int root_mocap;            /* fix_root: the root's mocap index */
  int body_mj[CM_MAX_BODIES];
  int num_joints;
  mj_joint jnt[CM_MAX_BODIES];
  int num_dofs;
  int dof_qadr[CM_MAX_DOFS], dof_dadr[CM_MAX_DOFS];
  double kp[CM_MAX_DOFS], kd[CM_MAX_DOFS], lim[CM_MAX_DOFS];
  int mode;                  /* effective control mode: NONE, POS or TORQUE */
  int implicit_damping;
  int floor_geom;
  int *geom_body;            /* [ngeom]: character body of each geom, -1 for the scene */
  float *cmd;                /* [N][D]: last set_targets */
} mj_impl;

static mj_impl *impl_of(const cm_engine *e) { return (mj_impl *)e->impl; }

const mjModel *cm_mj_model(const cm_engine *e) { return impl_of(e)->m; }
mjData *cm_mj_data(cm_engine *e, int env) { return impl_of(e)->d[env]; }

/* ---- control ---------------------------------------------------------------------------- */

/* Joint-space targets for one env: exp-maps of spherical joints become three hinge angles.
 * Of the two Euler triples of a rotation (each up to 2 pi per angle) the one nearest to the
 * current hinge angles is used, so a target never asks a joint to swing to the other branch. */
static void hinge_targets(const mj_impl *im, const mjData *d, const float *cmd, double *tgt) {
  for (int j = 0; j < im->num_joints; j++) {
    const mj_joint *jt = &im->jnt[j];
    if (jt->dim == 1) {
      tgt[jt->dof] = cmd[jt->dof];
    } else {
      float q[4], ang[3], cur[3];
      for (int k = 0; k < 3; k++) cur[k] = (float)d->qpos[jt->qadr + k];
      cm_exp_map_to_quat(q, cmd + jt->dof);
      cm_kin_quat_to_hinges_near(jt->axis, q, cur, ang);
      for (int k = 0; k < 3; k++) tgt[jt->dof + k] = ang[k];
    }
  }
}

/* Generalised forces for the next substep from the current state. */
static void apply_control(const mj_impl *im, mjData *d, const double *tgt, const float *cmd) {
  const double *qpos = d->qpos, *qvel = d->qvel;
  double *f = d->qfrc_applied;
  for (int k = 0; k < im->num_dofs; k++) {
    int da = im->dof_dadr[k];
    double lim = im->lim[k], tau;
    if (im->mode == CM_CTRL_POS) {
      double v = qvel[da];
      tau = im->kp[k] * (tgt[k] - qpos[im->dof_qadr[k]]) - im->kd[k] * v;
      tau = tau > lim ? lim : (tau < -lim ? -lim : tau);
      /* MuJoCo subtracts kd*qvel (implicitly) itself when kd is in dof_damping: add it back so
       * the net torque is the clamped PD torque */
      if (im->implicit_damping) tau += im->kd[k] * v;
    } else if (im->mode == CM_CTRL_TORQUE) {
      tau = cmd[k];
      tau = tau > lim ? lim : (tau < -lim ? -lim : tau);
    } else {
      tau = 0.0;
    }
    f[da] = tau;
  }
}

/* ---- state read-back -------------------------------------------------------------------- */

static void wxyz_to_xyzw(float *o, const double *q) {
  o[0] = (float)q[1]; o[1] = (float)q[2]; o[2] = (float)q[3]; o[3] = (float)q[0];
}

static void refresh_env(cm_engine *e, int i) {
  mj_impl *im = impl_of(e);
  const mjModel *m = im->m;
  const mjData *d = im->d[i];
  cm_sim_state *s = &e->st;
  int nb = im->chr.num_bodies, nd = im->num_dofs;
  float *rp = s->root_pos + 3 * i, *rr = s->root_rot + 4 * i, *rv = s->root_vel + 3 * i,
        *ra = s->root_ang_vel + 3 * i;
  if (im->free_root) {
    const double *q = d->qpos + im->root_qadr, *v = d->qvel + im->root_dadr;
    for (int k = 0; k < 3; k++) rp[k] = (float)q[k];
    wxyz_to_xyzw(rr, q + 3);
    for (int k = 0; k < 3; k++) rv[k] = (float)v[k];
    /* MuJoCo's free-joint angular velocity is in the body frame; MimicKit's is in the world */
    float wl[3] = {(float)v[3], (float)v[4], (float)v[5]};
    cm_q_rotate(ra, rr, wl);
  } else {
    int b = im->body_mj[0];
    for (int k = 0; k < 3; k++) rp[k] = (float)d->xpos[3 * b + k];
    wxyz_to_xyzw(rr, d->xquat + 4 * b);
    cm_v3_set(rv, 0, 0, 0);
    cm_v3_set(ra, 0, 0, 0);
  }
  float *dp = s->dof_pos + (size_t)nd * i, *dv = s->dof_vel + (size_t)nd * i;
  for (int j = 0; j < im->num_joints; j++) {
    const mj_joint *jt = &im->jnt[j];
    if (jt->dim == 1) {
      dp[jt->dof] = (float)d->qpos[jt->qadr];
      dv[jt->dof] = (float)d->qvel[jt->dadr];
    } else {
      float ang[3], rate[3];
      for (int k = 0; k < 3; k++) {
        ang[k] = (float)d->qpos[jt->qadr + k];
        rate[k] = (float)d->qvel[jt->dadr + k];
      }
      cm_kin_hinges_to_exp_map(jt->axis, ang, dp + jt->dof);
      cm_kin_hinge_vel_to_ang_vel(jt->axis, ang, rate, dv + jt->dof);
    }
  }
  float *bp = s->body_pos + (size_t)3 * nb * i, *br = s->body_rot + (size_t)4 * nb * i,
        *bv = s->body_vel + (size_t)3 * nb * i, *ba = s->body_ang_vel + (size_t)3 * nb * i;
  for (int b = 0; b < nb; b++) {
    int mb = im->body_mj[b];
    for (int k = 0; k < 3; k++) bp[3 * b + k] = (float)d->xpos[3 * mb + k];
    wxyz_to_xyzw(br + 4 * b, d->xquat + 4 * mb);
    /* velocity of the body frame's origin, world orientation: [angular, linear] */
    double v6[6];
    mj_objectVelocity(m, d, mjOBJ_XBODY, mb, v6, 0);
    for (int k = 0; k < 3; k++) {
      ba[3 * b + k] = (float)v6[k];
      bv[3 * b + k] = (float)v6[3 + k];
    }
  }
  uint8_t *gc = s->ground_contact + (size_t)nb * i;
  memset(gc, 0, (size_t)nb);
  /* a character body touching the scene: the floor or an env's static object (MimicKit's
   * contact force on the body, whatever it touches); contacts between two bodies of the
   * character do not count */
  for (int c = 0; c < d->ncon; c++) {
    const mjContact *con = &d->contact[c];
    int b1 = im->geom_body[con->geom1], b2 = im->geom_body[con->geom2];
    if (b1 >= 0 && b2 < 0) gc[b1] = 1;
    else if (b2 >= 0 && b1 < 0) gc[b2] = 1;
  }
}

/* ---- stepping ----------------------------------------------------------------------------- */

static void step_chunk(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_engine *e = ctx;
  mj_impl *im = impl_of(e);
  double tgt[CM_MAX_DOFS];
  for (int i = begin; i < end; i++) {
    mjData *d = im->d[i];
    const float *cmd = im->cmd + (size_t)im->num_dofs * i;
    if (im->mode == CM_CTRL_POS) hinge_targets(im, d, cmd, tgt);
    for (int s = 0; s < im->substeps; s++) {
      apply_control(im, d, tgt, cmd);
      mj_step2(im->m, d);
      mj_step1(im->m, d);
    }
    refresh_env(e, i);
  }
}

static void mj_set_targets(cm_engine *e, const float *targets) {
  mj_impl *im = impl_of(e);
  memcpy(im->cmd, targets, sizeof(float) * (size_t)im->num_envs * (size_t)im->num_dofs);
}

static int mj_step_all(cm_engine *e, cm_err *err) {
  (void)err;
  cm_pool_for(impl_of(e)->pool, impl_of(e)->num_envs, step_chunk, e);
  return 0;
}

/* ---- push_state ------------------------------------------------------------------------- */

typedef struct { cm_engine *e; const int *ids; } push_ctx;

static void write_env(cm_engine *e, int i) {
  mj_impl *im = impl_of(e);
  mjData *d = im->d[i];
  const cm_sim_state *s = &e->st;
  int nd = im->num_dofs;
  if (im->free_root) {
    double *q = d->qpos + im->root_qadr, *v = d->qvel + im->root_dadr;
    const float *rp = s->root_pos + 3 * i, *ra = s->root_ang_vel + 3 * i, *rv = s->root_vel + 3 * i;
    float rr[4], wl[3];
    cm_q_copy(rr, s->root_rot + 4 * i);
    cm_q_normalize(rr);
    for (int k = 0; k < 3; k++) q[k] = rp[k];
    q[3] = rr[3]; q[4] = rr[0]; q[5] = rr[1]; q[6] = rr[2];
    cm_q_rotate_inv(wl, rr, ra);
    for (int k = 0; k < 3; k++) {
      v[k] = rv[k];
      v[3 + k] = wl[k];
    }
  } else { /* the welded root goes where it is put; its velocities stay zero */
    double *p = d->mocap_pos + 3 * im->root_mocap, *q = d->mocap_quat + 4 * im->root_mocap;
    float rr[4];
    cm_q_copy(rr, s->root_rot + 4 * i);
    cm_q_normalize(rr);
    for (int k = 0; k < 3; k++) p[k] = s->root_pos[3 * i + k];
    q[0] = rr[3]; q[1] = rr[0]; q[2] = rr[1]; q[3] = rr[2];
  }
  const float *dp = s->dof_pos + (size_t)nd * i, *dv = s->dof_vel + (size_t)nd * i;
  for (int j = 0; j < im->num_joints; j++) {
    const mj_joint *jt = &im->jnt[j];
    if (jt->dim == 1) {
      d->qpos[jt->qadr] = dp[jt->dof];
      d->qvel[jt->dadr] = dv[jt->dof];
    } else {
      const cm_char *c = &im->chr;
      float ang[3], rate[3];
      cm_kin_exp_map_to_hinges(jt->axis, dp + jt->dof, c->dof_low + jt->dof, c->dof_high + jt->dof, ang);
      cm_kin_ang_vel_to_hinge_vel(jt->axis, ang, dv + jt->dof, rate);
      for (int k = 0; k < 3; k++) {
        d->qpos[jt->qadr + k] = ang[k];
        d->qvel[jt->dadr + k] = rate[k];
      }
    }
  }
  /* a reset env starts without memory of its previous episode */
  mju_zero(d->qacc_warmstart, im->m->nv);
  mju_zero(d->qfrc_applied, im->m->nv);
  mj_forward(im->m, d);
  refresh_env(e, i);
}

static void push_chunk(void *ctx, int begin, int end, int worker) {
  (void)worker;
  push_ctx *p = ctx;
  int n = impl_of(p->e)->num_envs;
  for (int k = begin; k < end; k++) {
    int i = p->ids ? p->ids[k] : k;
    if (i >= 0 && i < n) write_env(p->e, i); /* ids outside [0, N) are ignored */
  }
}

static void mj_push_state(cm_engine *e, const int *env_ids, int n) {
  mj_impl *im = impl_of(e);
  push_ctx p = {e, env_ids};
  cm_pool_for(im->pool, env_ids ? n : im->num_envs, push_chunk, &p);
}

/* ---- lifetime ----------------------------------------------------------------------------- */

static void free_state(cm_sim_state *s) {
  float **arrays[] = {&s->root_pos, &s->root_rot, &s->root_vel, &s->root_ang_vel, &s->dof_pos, &s->dof_vel,
                      &s->body_pos, &s->body_rot, &s->body_vel, &s->body_ang_vel, &s->ref_root_pos,
                      &s->ref_root_rot, &s->ref_dof_pos};
  for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; k++) {
    free(*arrays[k]);
    *arrays[k] = NULL;
  }
  free(s->ground_contact);
  s->ground_contact = NULL;
}

static void mj_destroy(cm_engine *e) {
  if (!e) return;
  mj_impl *im = impl_of(e);
  if (im) {
    if (im->pool) cm_pool_destroy(im->pool);
    if (im->d)
      for (int i = 0; i < im->num_envs; i++)
        if (im->d[i]) mj_deleteData(im->d[i]);
    free(im->d);
    if (im->m) mj_deleteModel(im->m);
    free(im->geom_body);
    free(im->cmd);
    free(im);
  }
  free_state(&e->st);
  free(e);
}

static long mj_num_resets(cm_engine *e);
static const cm_engine_ops k_mj_ops = {mj_set_targets, mj_step_all, mj_push_state, mj_destroy, mj_num_resets};

void cm_mj_engine_set_implicit_damping(cm_engine *e, int on) {
  mj_impl *im = impl_of(e);
  im->implicit_damping = on && im->mode == CM_CTRL_POS;
  for (int k = 0; k < im->num_dofs; k++) im->m->dof_damping[im->dof_dadr[k]] = im->implicit_damping ? im->kd[k] : 0.0;
}

long cm_mj_engine_num_resets(const cm_engine *e) {
  const mj_impl *im = impl_of(e);
  long n = 0;
  for (int i = 0; i < im->num_envs; i++)
    n += im->d[i]->warning[mjWARN_BADQPOS].number + im->d[i]->warning[mjWARN_BADQVEL].number +
         im->d[i]->warning[mjWARN_BADQACC].number;
  return n;
}

static long mj_num_resets(cm_engine *e) { return cm_mj_engine_num_resets(e); }

/* Maps the character's bodies and joints onto the compiled model by name, so the model may
 * differ from the one cm_char was loaded from (scene added, root free joint removed). */
static int map_character(mj_impl *im, const char *char_file, int fix_root, cm_err *err) {
  const mjModel *m = im->m;
  const cm_char *c = &im->chr;
  im->num_dofs = c->num_dofs;
  im->num_joints = 0;
  for (int b = 0; b < c->num_bodies; b++) {
    int mb = mj_name2id(m, mjOBJ_BODY, c->body_names[b]);
    if (mb < 0) return cm_fail(err, "%s: body '%s' of the character is not in the compiled model", char_file, c->body_names[b]);
    im->body_mj[b] = mb;
    int jadr = m->body_jntadr[mb], jnum = m->body_jntnum[mb];
    int type = c->joint_type[b];
    if (b == 0) {
      if (fix_root) {
        if (jnum != 0 || m->body_mocapid[mb] < 0)
          return cm_fail(err, "%s: root body '%s' cannot be fixed (joints left or not a mocap body)", char_file, c->body_names[b]);
        im->free_root = 0;
        im->root_mocap = m->body_mocapid[mb];
      } else {
        if (jnum != 1 || m->jnt_type[jadr] != mjJNT_FREE)
          return cm_fail(err, "%s: root body '%s' has no free joint", char_file, c->body_names[b]);
        im->free_root = 1;
        im->root_qadr = m->jnt_qposadr[jadr];
        im->root_dadr = m->jnt_dofadr[jadr];
      }
      continue;
    }
    int dim = c->dof_dim[b];
    if (type == CM_JOINT_FIXED || dim == 0) {
      if (jnum != 0) return cm_fail(err, "%s: body '%s' is fixed in the character but has joints", char_file, c->body_names[b]);
      continue;
    }
    if (jnum != dim) return cm_fail(err, "%s: body '%s' has %d joints, the character expects %d", char_file, c->body_names[b], jnum, dim);
    mj_joint *jt = &im->jnt[im->num_joints++];
    jt->body = b;
    jt->dim = dim;
    jt->dof = c->dof_idx[b];
    jt->qadr = m->jnt_qposadr[jadr];
    jt->dadr = m->jnt_dofadr[jadr];
    for (int k = 0; k < dim; k++) {
      int jj = jadr + k;
      if (m->jnt_type[jj] != mjJNT_HINGE) return cm_fail(err, "%s: body '%s' joint %d is not a hinge", char_file, c->body_names[b], k);
      if (m->jnt_qposadr[jj] != jt->qadr + k || m->jnt_dofadr[jj] != jt->dadr + k)
        return cm_fail(err, "%s: body '%s' hinges are not contiguous in qpos", char_file, c->body_names[b]);
      for (int a = 0; a < 3; a++) jt->axis[k][a] = (float)m->jnt_axis[3 * jj + a];
      int dof = jt->dof + k;
      if (dof < 0 || dof >= c->num_dofs) return cm_fail(err, "%s: body '%s' dof index %d out of range", char_file, c->body_names[b], dof);
      im->dof_qadr[dof] = jt->qadr + k;
      im->dof_dadr[dof] = jt->dadr + k;
      im->kp[dof] = c->kp[dof];
      im->kd[dof] = c->kd[dof];
      im->lim[dof] = c->torque_limit[dof] > 0 ? c->torque_limit[dof] : INFINITY;
    }
  }
  im->floor_geom = mj_name2id(m, mjOBJ_GEOM, "cm_floor");
  if (im->floor_geom < 0) return cm_fail(err, "%s: compiled model has no ground geom 'cm_floor'", char_file);
  im->geom_body = malloc(sizeof(int) * (size_t)(m->ngeom > 0 ? m->ngeom : 1));
  if (!im->geom_body) return cm_fail(err, "out of memory");
  for (int g = 0; g < m->ngeom; g++) {
    im->geom_body[g] = -1;
    for (int b = 0; b < c->num_bodies; b++)
      if (m->geom_bodyid[g] == im->body_mj[b]) im->geom_body[g] = b;
  }
  return 0;
}

/* fix_root: the root body loses its free joint and becomes a mocap body (cm_mjcf_normalise), so
 * each env's mjData carries its own welded root pose (mocap_pos/quat) that push_state can set,
 * as MimicKit places a fixed-root character at a start pose per env. */
static int compile_model(const char *path, const cm_engine_opts *opts, mjModel **out, cm_err *err) {
  /* the static objects join the world once: every env's mjData shares this model */
  cm_mjcf_opts mo = {.add_scene = 1, .fix_root = opts->fix_root, .num_objects = opts->num_objects, .objects = opts->objects};
  return cm_mjcf_compile(path, &mo, out, NULL, err);
}

static float *alloc_f(size_t n, int *bad) {
  float *p = calloc(n ? n : 1, sizeof(float));
  if (!p) *bad = 1;
  return p;
}

int cm_mj_engine_create(const cm_engine_cfg *cfg, const cm_engine_opts *opts, const char *char_file,
                        const cm_char *chr, int num_envs, cm_engine **out, cm_err *err) {
  *out = NULL;
  if (num_envs <= 0) return cm_fail(err, "mujoco engine: num_envs must be positive (got %d)", num_envs);
  if (cfg->control_freq <= 0 || cfg->sim_freq <= 0)
    return cm_fail(err, "mujoco engine: control_freq (%d) and sim_freq (%d) must be positive", cfg->control_freq, cfg->sim_freq);
  if (cfg->sim_freq % cfg->control_freq != 0)
    return cm_fail(err, "mujoco engine: sim_freq %d is not a multiple of control_freq %d", cfg->sim_freq, cfg->control_freq);
  int mode;
  switch (cfg->control_mode) {
    case CM_CTRL_NONE: mode = CM_CTRL_NONE; break;
    case CM_CTRL_POS:
    case CM_CTRL_PD_EXPLICIT: mode = CM_CTRL_POS; break; /* our PD is computed explicitly anyway */
    case CM_CTRL_TORQUE: mode = CM_CTRL_TORQUE; break;
    case CM_CTRL_VEL: return cm_fail(err, "mujoco engine: control_mode 'vel' is not supported (use pos, torque, pd_explicit or none)");
    default: return cm_fail(err, "mujoco engine: unknown control_mode %d", cfg->control_mode);
  }
  if (opts->disable_motors) mode = CM_CTRL_NONE;
  cm_engine *e = cm_engine_alloc(cfg, opts, &k_mj_ops, chr, char_file, sizeof(mj_impl), err);
  if (!e) return -1;
  mj_impl *im = e->impl;
  im->chr = *chr;
  e->chr = &im->chr;
  im->num_envs = num_envs;
  im->substeps = cfg->sim_freq / cfg->control_freq;
  im->mode = mode;

  if (compile_model(char_file, opts, &im->m, err) || map_character(im, char_file, opts->fix_root, err)) {
    mj_destroy(e);
    return -1;
  }
  mjModel *m = im->m;
  m->opt.timestep = e->sim_dt;
  /* the MJCF stiffness/damping are our PD gains, not passive springs and dampers */
  for (int j = 0; j < m->njnt; j++) m->jnt_stiffness[j] = 0.0;
  for (int v = 0; v < m->nv; v++) m->dof_damping[v] = 0.0;
  cm_mj_engine_set_implicit_damping(e, 1);

  int nb = chr->num_bodies, nd = chr->num_dofs, bad = 0;
  size_t n = (size_t)num_envs;
  cm_sim_state *s = &e->st;
  s->num_envs = num_envs;
  s->num_bodies = nb;
  s->num_dofs = nd;
  s->root_pos = alloc_f(n * 3, &bad);
  s->root_rot = alloc_f(n * 4, &bad);
  s->root_vel = alloc_f(n * 3, &bad);
  s->root_ang_vel = alloc_f(n * 3, &bad);
  s->dof_pos = alloc_f(n * nd, &bad);
  s->dof_vel = alloc_f(n * nd, &bad);
  s->body_pos = alloc_f(n * nb * 3, &bad);
  s->body_rot = alloc_f(n * nb * 4, &bad);
  s->body_vel = alloc_f(n * nb * 3, &bad);
  s->body_ang_vel = alloc_f(n * nb * 3, &bad);
  s->ref_root_pos = alloc_f(n * 3, &bad);
  s->ref_root_rot = alloc_f(n * 4, &bad);
  s->ref_dof_pos = alloc_f(n * nd, &bad);
  s->ground_contact = calloc(n * nb, 1);
  im->cmd = alloc_f(n * nd, &bad);
  im->d = calloc(n, sizeof *im->d);
  im->pool = cm_pool_create(cfg->num_threads);
  if (bad || !s->ground_contact || !im->d || !im->pool) {
    mj_destroy(e);
    return cm_fail(err, "mujoco engine: out of memory for %d envs", num_envs);
  }
  for (int i = 0; i < num_envs; i++) {
    s->ref_root_rot[4 * i + 3] = 1.f;
    im->d[i] = mj_makeData(m);
    if (!im->d[i]) {
      mj_destroy(e);
      return cm_fail(err, "mujoco engine: mj_makeData failed for env %d", i);
    }
    mj_forward(m, im->d[i]);
    refresh_env(e, i);
  }
  *out = e;
  return 0;
}
