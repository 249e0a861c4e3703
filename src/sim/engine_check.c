#include "sim/engine_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anim/char.h"
#include "core/rng.h"
#include "sim/mujoco/mj_standing.h"

/* rng streams of this tool: one for the PD targets, one for the yardstick's perturbation */
enum { STREAM_TARGETS = 0, STREAM_PERTURB = 1 };

static double dist3(const float *a, const float *b) {
  double dx = (double)b[0] - a[0], dy = (double)b[1] - a[1], dz = (double)b[2] - a[2];
  return sqrt(dx * dx + dy * dy + dz * dz);
}

/* max that lets a NaN through (fmax would drop it) */
static double max_nan(double m, double v) { return (v > m || isnan(v)) ? v : m; }

/* exp-map e (float) -> unit quaternion (w, x, y, z), in double */
static void exp_map_quat(const float *e, double *q) {
  double t = sqrt((double)e[0] * e[0] + (double)e[1] * e[1] + (double)e[2] * e[2]);
  double s = t > 1e-12 ? sin(0.5 * t) / t : 0.5; /* sin(t/2)/t -> 1/2 */
  q[0] = cos(0.5 * t);
  for (int k = 0; k < 3; k++) q[1 + k] = s * e[k];
}

/* angle (rad, in [0, pi]) of the rotation taking exp-map ea to eb: 2 atan2(|v|, |w|) of
 * conj(qa) qb, accurate for small angles too */
static double exp_map_angle(const float *ea, const float *eb) {
  double a[4], b[4];
  exp_map_quat(ea, a);
  exp_map_quat(eb, b);
  double w = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  double x = a[0] * b[1] - a[1] * b[0] - (a[2] * b[3] - a[3] * b[2]);
  double y = a[0] * b[2] - a[2] * b[0] - (a[3] * b[1] - a[1] * b[3]);
  double z = a[0] * b[3] - a[3] * b[0] - (a[1] * b[2] - a[2] * b[1]);
  return 2 * atan2(sqrt(x * x + y * y + z * z), fabs(w));
}

/* body j's joint is a spherical one whose 3 dofs lie inside the state's nd */
static int is_sphere(const cm_char *chr, int j, int nd) {
  return chr->joint_type[j] == CM_JOINT_SPHERE && chr->dof_dim[j] == 3 && chr->dof_idx[j] >= 0 &&
         chr->dof_idx[j] + 3 <= nd && chr->dof_idx[j] + 3 <= CM_MAX_DOFS;
}

void cm_state_err_compute(const cm_char *chr, const cm_sim_state *a, const cm_sim_state *b, cm_state_err *out) {
  memset(out, 0, sizeof *out);
  int n = a->num_envs, nb = a->num_bodies, nd = a->num_dofs;
  double body_sum = 0, contact_sum = 0;
  unsigned char sphere_dof[CM_MAX_DOFS] = {0};
  for (int j = 0; chr && j < chr->num_bodies; j++)
    if (is_sphere(chr, j, nd))
      for (int k = 0; k < 3; k++) sphere_dof[chr->dof_idx[j] + k] = 1;
  for (int i = 0; i < n; i++) {
    out->root_pos = max_nan(out->root_pos, dist3(a->root_pos + 3 * i, b->root_pos + 3 * i));
    int ca = 0, cb = 0;
    for (int k = 0; k < nb; k++) {
      size_t o = (size_t)i * nb + k;
      double d = dist3(a->body_pos + 3 * o, b->body_pos + 3 * o);
      if (d > out->body_pos_max || (isnan(d) && !isnan(out->body_pos_max))) out->worst_env = i;
      out->body_pos_max = max_nan(out->body_pos_max, d);
      body_sum += d;
      ca += a->ground_contact[o] != 0;
      cb += b->ground_contact[o] != 0;
    }
    contact_sum += abs(ca - cb);
    for (int k = 0; k < nd; k++) {
      size_t o = (size_t)i * nd + k;
      if (k < CM_MAX_DOFS && sphere_dof[k]) continue;
      out->dof_pos = max_nan(out->dof_pos, fabs((double)b->dof_pos[o] - a->dof_pos[o]));
    }
    /* spherical joints: the angle between the two rotations, not the components' error (up to
     * 2 pi where an exp-map at angle pi flips to its negation, the same rotation) */
    for (int j = 0; chr && j < chr->num_bodies; j++) {
      if (!is_sphere(chr, j, nd)) continue;
      size_t o = (size_t)i * nd + chr->dof_idx[j];
      out->dof_pos = max_nan(out->dof_pos, exp_map_angle(a->dof_pos + o, b->dof_pos + o));
    }
  }
  out->body_pos_mean = n > 0 && nb > 0 ? body_sum / ((double)n * nb) : 0;
  out->contacts = n ? contact_sum / n : 0;
}

void cm_engine_check_defaults(cm_engine_check_cfg *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->engine.engine_name, sizeof c->engine.engine_name, "cuda");
  snprintf(c->engine.device, sizeof c->engine.device, "cpu");
  snprintf(c->reference, sizeof c->reference, "mujoco");
  c->engine.control_mode = CM_CTRL_POS;
  c->engine.control_freq = 30;
  c->engine.sim_freq = 120;
  c->engine.env_spacing = 5;
  c->engine.ground_contact_height = 0.3f;
  c->steps = 30;
  c->num_envs = 8;
  c->seed = 1;
  c->yard_copies = 1;
  c->perturb = CM_ENGINE_CHECK_PERTURB;
  c->factor = CM_ENGINE_CHECK_FACTOR;
  c->pos_floor = CM_ENGINE_CHECK_POS_FLOOR;
  c->dof_floor = CM_ENGINE_CHECK_DOF_FLOOR;
}

double cm_engine_check_tol(const cm_engine_check_cfg *c, double yard, double floor) { return c->factor * yard + floor; }

/* Root and dof positions/velocities of every env, from src to dst, then pushed into dst. */
static void copy_start(cm_engine *dst, const cm_engine *src) {
  const cm_sim_state *s = &src->st;
  cm_sim_state *d = &dst->st;
  size_t n = (size_t)s->num_envs, nd = (size_t)s->num_dofs;
  memcpy(d->root_pos, s->root_pos, sizeof(float) * 3 * n);
  memcpy(d->root_rot, s->root_rot, sizeof(float) * 4 * n);
  memcpy(d->root_vel, s->root_vel, sizeof(float) * 3 * n);
  memcpy(d->root_ang_vel, s->root_ang_vel, sizeof(float) * 3 * n);
  memcpy(d->dof_pos, s->dof_pos, sizeof(float) * nd * n);
  memcpy(d->dof_vel, s->dof_vel, sizeof(float) * nd * n);
  dst->ops->push_state(dst, NULL, 0);
}

/* Yardstick copy k's start: every root coordinate and dof moved by +-perturb (random signs). */
static void perturb_start(cm_engine *e, double perturb, uint64_t seed, int k) {
  cm_sim_state *s = &e->st;
  for (int i = 0; i < s->num_envs; i++) {
    cm_rng r = cm_rng_make(seed, (uint32_t)i, (uint64_t)k, STREAM_PERTURB);
    for (int k = 0; k < 3; k++) s->root_pos[3 * i + k] += (float)(cm_rng_uniform(&r) < 0.5f ? -perturb : perturb);
    for (int k = 0; k < s->num_dofs; k++)
      s->dof_pos[(size_t)i * s->num_dofs + k] += (float)(cm_rng_uniform(&r) < 0.5f ? -perturb : perturb);
  }
  e->ops->push_state(e, NULL, 0);
}

/* PD targets uniform inside the character's action bounds, new every control step. */
static void random_targets(const cm_char *chr, int num_envs, uint64_t seed, int step, float *tgt) {
  int nd = chr->num_dofs;
  for (int i = 0; i < num_envs; i++) {
    cm_rng r = cm_rng_make(seed, (uint32_t)i, (uint64_t)step, STREAM_TARGETS);
    for (int k = 0; k < nd; k++)
      tgt[(size_t)i * nd + k] = chr->action_low[k] + cm_rng_uniform(&r) * (chr->action_high[k] - chr->action_low[k]);
  }
}

static double ratio_of(double e, double tol) { return isnan(e) ? INFINITY : e / tol; }

int cm_engine_check_judge(const cm_engine_check_cfg *c, const cm_engine_check_step *s, cm_engine_check_result *res) {
  double tr = cm_engine_check_tol(c, s->yard.root_pos, c->pos_floor);
  double tb = cm_engine_check_tol(c, s->yard.body_pos_max, c->pos_floor);
  double td = cm_engine_check_tol(c, s->yard.dof_pos, c->dof_floor);
  double rr = ratio_of(s->cand.root_pos, tr), rb = ratio_of(s->cand.body_pos_max, tb), rd = ratio_of(s->cand.dof_pos, td);
  res->root_ratio = fmax(res->root_ratio, rr);
  res->body_ratio = fmax(res->body_ratio, rb);
  res->dof_ratio = fmax(res->dof_ratio, rd);
  return (rr > 1 ? CM_ENGINE_CHECK_FAIL_ROOT : 0) | (rb > 1 ? CM_ENGINE_CHECK_FAIL_BODY : 0) |
         (rd > 1 ? CM_ENGINE_CHECK_FAIL_DOF : 0);
}

static void keep_max(cm_state_err *m, const cm_state_err *e) {
  m->root_pos = max_nan(m->root_pos, e->root_pos);
  m->body_pos_max = max_nan(m->body_pos_max, e->body_pos_max);
  m->body_pos_mean = max_nan(m->body_pos_mean, e->body_pos_mean);
  m->dof_pos = max_nan(m->dof_pos, e->dof_pos);
  m->contacts = max_nan(m->contacts, e->contacts);
}

/* The yardstick's errors: per field the largest over the ny perturbed copies (worst_env: that of
 * the copy with the largest body error). */
static void yard_err(const cm_char *chr, const cm_engine *ref, cm_engine *const *yard, int ny, cm_state_err *out) {
  cm_state_err e;
  cm_state_err_compute(chr, &ref->st, &yard[0]->st, out);
  for (int k = 1; k < ny; k++) {
    cm_state_err_compute(chr, &ref->st, &yard[k]->st, &e);
    if (e.body_pos_max > out->body_pos_max || isnan(e.body_pos_max)) out->worst_env = e.worst_env;
    keep_max(out, &e);
  }
}

int cm_engine_check_run(const cm_engine_check_cfg *c, cm_engine_check_cb cb, void *ctx, cm_engine_check_result *res,
                        cm_err *err) {
  memset(res, 0, sizeof *res);
  if (c->steps <= 0) return cm_fail(err, "engine-check: steps must be positive (got %d)", c->steps);
  if (c->num_envs <= 0) return cm_fail(err, "engine-check: num_envs must be positive (got %d)", c->num_envs);
  if (c->yard_copies < 1 || c->yard_copies > CM_ENGINE_CHECK_MAX_YARD)
    return cm_fail(err, "engine-check: yard_copies must be 1..%d (got %d)", CM_ENGINE_CHECK_MAX_YARD, c->yard_copies);
  if (!(c->perturb > 0) || !(c->factor > 0) || !(c->pos_floor >= 0) || !(c->dof_floor >= 0))
    return cm_fail(err, "engine-check: perturbation and factor must be positive, floors non-negative");
  cm_char *chr = malloc(sizeof *chr);
  if (!chr) return cm_fail(err, "out of memory");
  cm_engine *ref = NULL, *yard[CM_ENGINE_CHECK_MAX_YARD] = {NULL}, *cand = NULL, *start = NULL;
  int ny = c->yard_copies;
  float *tgt = NULL;
  int rc = -1;
  if (cm_char_load(c->char_file, chr, err)) goto done;
  cm_engine_cfg rc_cfg = c->engine, mj = c->engine;
  snprintf(rc_cfg.engine_name, sizeof rc_cfg.engine_name, "%s", c->reference);
  snprintf(rc_cfg.device, sizeof rc_cfg.device, "cpu");
  snprintf(mj.engine_name, sizeof mj.engine_name, "mujoco");
  snprintf(mj.device, sizeof mj.device, "cpu");
  cm_engine_opts opts = {.seed = c->seed};
  if (cm_engine_create(&rc_cfg, &opts, c->char_file, chr, c->num_envs, &ref, err)) goto done;
  for (int k = 0; k < ny; k++)
    if (cm_engine_create(&rc_cfg, &opts, c->char_file, chr, c->num_envs, &yard[k], err)) goto done;
  /* the start is placed by the mujoco engine (it knows the compiled geoms' heights) */
  int own_start = strcmp(c->reference, "mujoco") != 0;
  if (own_start && cm_engine_create(&mj, &opts, c->char_file, chr, c->num_envs, &start, err)) goto done;
  if (cm_engine_create(&c->engine, &opts, c->char_file, chr, c->num_envs, &cand, err)) {
    cm_wrap(err, "candidate engine '%s'", c->engine.engine_name);
    goto done;
  }
  res->num_bodies = chr->num_bodies;
  res->num_dofs = chr->num_dofs;
  res->substeps = c->engine.sim_freq / c->engine.control_freq;
  tgt = malloc(sizeof(float) * (size_t)c->num_envs * (size_t)(chr->num_dofs ? chr->num_dofs : 1));
  if (!tgt) {
    cm_fail(err, "out of memory");
    goto done;
  }
  /* the same start for all three, 2 cm above the ground so the first steps include landing */
  cm_mj_place_standing(own_start ? start : ref, 0.02);
  if (own_start) copy_start(ref, start);
  copy_start(cand, ref);
  for (int k = 0; k < ny; k++) {
    copy_start(yard[k], ref);
    perturb_start(yard[k], c->perturb, c->seed, k);
  }
  cm_engine *all[2 + CM_ENGINE_CHECK_MAX_YARD] = {ref, cand};
  for (int k = 0; k < ny; k++) all[2 + k] = yard[k];
  /* step 0 compares the start states themselves (the candidate must take them exactly) */
  for (int t = 0; t <= c->steps; t++) {
    random_targets(chr, c->num_envs, c->seed, t, tgt);
    for (int k = 0; k < 2 + ny && t > 0; k++) {
      all[k]->ops->set_targets(all[k], tgt);
      if (all[k]->ops->step(all[k], err)) {
        cm_wrap(err, "engine-check: %s engine, control step %d", k == 1 ? c->engine.engine_name : c->reference, t);
        goto done;
      }
    }
    cm_engine_check_step s = {.step = t};
    cm_state_err_compute(chr, &ref->st, &cand->st, &s.cand);
    yard_err(chr, ref, yard, ny, &s.yard);
    s.failed = cm_engine_check_judge(c, &s, res);
    keep_max(&res->cand_max, &s.cand);
    keep_max(&res->yard_max, &s.yard);
    res->steps = t;
    if (s.failed) {
      res->failed_steps++;
      if (!res->first_failed_step) {
        res->first_failed_step = t;
        res->first_failed = s;
      }
    }
    if (cb) cb(ctx, &s);
  }
  rc = 0;
done:
  cm_engine_destroy(cand);
  for (int k = 0; k < ny; k++) cm_engine_destroy(yard[k]);
  cm_engine_destroy(ref);
  cm_engine_destroy(start);
  free(tgt);
  free(chr);
  return rc;
}
