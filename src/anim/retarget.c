/* Per-frame inverse kinematics for retargeting (the method is described in anim/retarget.h). */
#include "anim/retarget.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "anim/kin.h"
#include "anim/lowest_point.h"

typedef struct {
  float root_pos[3], root_rot[4], dof[CM_MAX_DOFS];
} pose;

typedef struct {
  const cm_char *c;
  const cm_retarget_map *map;
  float tpos[CM_RETARGET_MAX_PAIRS][3], trot[CM_RETARGET_MAX_PAIRS][4];
  float rot_off[CM_RETARGET_MAX_PAIRS][4]; /* src match rot^-1 * dst match rot, per pair */
  float pos_off[CM_RETARGET_MAX_PAIRS][3]; /* in the source root's frame */
  float limb_ratio[CM_RETARGET_MAX_PAIRS];  /* anchored pairs: destination over source limb length */
  pose prev;
  int has_prev;
  int nx, nr;                               /* unknowns (6 + dofs) and residuals */
  float jrot[CM_MAX_BODIES * 4], bpos[CM_MAX_BODIES * 3], brot[CM_MAX_BODIES * 4];
} solver;

static void fk(const cm_char *c, const pose *p, float *jrot, float *bpos, float *brot) {
  cm_kin_dof_to_rot(c, p->dof, jrot);
  cm_kin_fk(c, p->root_pos, p->root_rot, jrot, bpos, brot);
}

static void frame_pose(const cm_char *c, const float *frame, pose *p) {
  memcpy(p->root_pos, frame, sizeof p->root_pos);
  cm_exp_map_to_quat(p->root_rot, frame + 3);
  memcpy(p->dof, frame + 6, sizeof(float) * (size_t)c->num_dofs);
}

/* x + dx: root position added, root orientation turned by exp(dx[3..5]) in the world frame. */
static void apply(const cm_char *c, const pose *p, const double *dx, pose *o) {
  *o = *p;
  float e[3] = {(float)dx[3], (float)dx[4], (float)dx[5]}, dq[4];
  for (int k = 0; k < 3; k++) o->root_pos[k] += (float)dx[k];
  cm_exp_map_to_quat(dq, e);
  cm_q_mul(o->root_rot, dq, p->root_rot);
  cm_q_normalize(o->root_rot);
  for (int i = 0; i < c->num_dofs; i++) o->dof[i] += (float)dx[6 + i];
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Joint ranges: hinges clamped; a spherical joint's exp-map re-expressed as its three hinge
 * angles (the branch nearest the ranges), clamped, and turned back into an exp-map. */
static void project_limits(const cm_char *c, pose *p) {
  for (int b = 1; b < c->num_bodies; b++) {
    int i = c->dof_idx[b];
    const float *lo = c->dof_low + i, *hi = c->dof_high + i;
    if (c->joint_type[b] == CM_JOINT_HINGE) {
      p->dof[i] = clampf(p->dof[i], lo[0], hi[0]);
    } else if (c->joint_type[b] == CM_JOINT_SPHERE) {
      float t[3];
      cm_kin_exp_map_to_hinges(c->hinge_axis[b], p->dof + i, lo, hi, t);
      int out = 0;
      for (int k = 0; k < 3; k++)
        if (t[k] < lo[k] || t[k] > hi[k]) {
          t[k] = clampf(t[k], lo[k], hi[k]);
          out = 1;
        }
      if (out) cm_kin_hinges_to_exp_map(c->hinge_axis[b], t, p->dof + i);
    }
  }
}

static void rot_err(const float *target, const float *q, float *e) {
  float ct[4], rel[4];
  cm_q_conj(ct, target);
  cm_q_mul(rel, ct, q);
  cm_quat_to_exp_map(e, rel);
}

static void residual(solver *s, const pose *p, double *r) {
  const cm_char *c = s->c;
  const cm_retarget_map *m = s->map;
  fk(c, p, s->jrot, s->bpos, s->brot);
  int k = 0;
  for (int i = 0; i < m->n; i++) {
    int b = m->dst_body[i];
    if (m->pos_w[i] > 0)
      for (int a = 0; a < 3; a++) r[k++] = m->pos_w[i] * (s->bpos[3 * b + a] - s->tpos[i][a]);
    if (m->rot_w[i] > 0) {
      float e[3];
      rot_err(s->trot[i], s->brot + 4 * b, e);
      for (int a = 0; a < 3; a++) r[k++] = m->rot_w[i] * e[a];
    }
  }
  for (int i = 0; i < c->num_dofs; i++) r[k++] = m->rest_w * p->dof[i];
  if (s->has_prev) {
    float e[3];
    for (int a = 0; a < 3; a++) r[k++] = m->smooth_w * (p->root_pos[a] - s->prev.root_pos[a]);
    rot_err(s->prev.root_rot, p->root_rot, e);
    for (int a = 0; a < 3; a++) r[k++] = m->smooth_w * e[a];
    for (int i = 0; i < c->num_dofs; i++) r[k++] = m->smooth_w * (p->dof[i] - s->prev.dof[i]);
  }
  s->nr = k;
}

static double sumsq(const double *r, int n) {
  double t = 0;
  for (int i = 0; i < n; i++) t += r[i] * r[i];
  return t;
}

/* Solves (A + lambda I) x = b in place by Cholesky (A symmetric positive semi-definite). */
static int cholesky_solve(double *A, double *b, int n) {
  for (int j = 0; j < n; j++) {
    double d = A[j * n + j];
    for (int k = 0; k < j; k++) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0)) return -1;
    d = sqrt(d);
    A[j * n + j] = d;
    for (int i = j + 1; i < n; i++) {
      double v = A[i * n + j];
      for (int k = 0; k < j; k++) v -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = v / d;
    }
  }
  for (int i = 0; i < n; i++) {
    double v = b[i];
    for (int k = 0; k < i; k++) v -= A[i * n + k] * b[k];
    b[i] = v / A[i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    double v = b[i];
    for (int k = i + 1; k < n; k++) v -= A[k * n + i] * b[k];
    b[i] = v / A[i * n + i];
  }
  return 0;
}

typedef struct {
  double *r, *r2, *J, *A, *g, *dx;
} work;

/* Levenberg-Marquardt steps from *p (forward-difference Jacobian). */
static void solve_frame(solver *s, pose *p, int iters, work *w) {
  const int nx = s->nx;
  const double h = 1e-3;
  double lambda = 1e-3;
  residual(s, p, w->r);
  int nr = s->nr;
  double cost = sumsq(w->r, nr);
  for (int it = 0; it < iters; it++) {
    for (int j = 0; j < nx; j++) {
      double dx[6 + CM_MAX_DOFS] = {0};
      dx[j] = h;
      pose q;
      apply(s->c, p, dx, &q);
      residual(s, &q, w->r2);
      for (int i = 0; i < nr; i++) w->J[i * nx + j] = (w->r2[i] - w->r[i]) / h;
    }
    for (int a = 0; a < nx; a++) {
      double g = 0;
      for (int i = 0; i < nr; i++) g -= w->J[i * nx + a] * w->r[i];
      w->g[a] = g;
      for (int b = 0; b <= a; b++) {
        double v = 0;
        for (int i = 0; i < nr; i++) v += w->J[i * nx + a] * w->J[i * nx + b];
        w->A[a * nx + b] = w->A[b * nx + a] = v;
      }
    }
    int improved = 0;
    for (int tries = 0; tries < 4 && !improved; tries++) {
      double *M = w->A + nx * nx; /* scratch copy */
      memcpy(M, w->A, sizeof(double) * (size_t)(nx * nx));
      for (int a = 0; a < nx; a++) {
        M[a * nx + a] += lambda * (1.0 + w->A[a * nx + a]);
        w->dx[a] = w->g[a];
      }
      pose q;
      if (cholesky_solve(M, w->dx, nx) == 0) {
        apply(s->c, p, w->dx, &q);
        project_limits(s->c, &q);
        residual(s, &q, w->r2);
        double c2 = sumsq(w->r2, nr);
        if (c2 < cost) {
          *p = q;
          memcpy(w->r, w->r2, sizeof(double) * (size_t)nr);
          improved = cost - c2 > 1e-12 * (1 + cost) ? 1 : 2;
          cost = c2;
          lambda = fmax(lambda * 0.3, 1e-7);
          break;
        }
      }
      lambda *= 10;
    }
    if (improved != 1) break; /* converged or stuck */
  }
}

/* Standing height of body `body` above the lowest point of the feet, and the mean height of the
 * foot bodies' origins above that point, in a pose with the root at the origin. */
static void stance(cm_lowest *l, const cm_char *c, const float *dof, const int *feet, int nf, int body, float *root_h,
                   float *foot_h) {
  float rp[3] = {0, 0, 0}, rr[4] = {0, 0, 0, 1}, jr[CM_MAX_BODIES * 4], bp[CM_MAX_BODIES * 3], br[CM_MAX_BODIES * 4];
  float low = cm_lowest_z(l, rp, rr, dof, feet, nf);
  cm_kin_dof_to_rot(c, dof, jr);
  cm_kin_fk(c, rp, rr, jr, bp, br);
  *root_h = bp[3 * body + 2] - low;
  float fh = 0;
  for (int k = 0; k < nf; k++) fh += bp[3 * feet[k] + 2] - cm_lowest_z(l, rp, rr, dof, feet + k, 1);
  *foot_h = fh / (float)nf;
}

/* Per pair, from the two match poses (roots at the origin, unrotated): the orientation offset,
 * the position offset (fixed plus rest_offset) and, for anchored pairs, the limb-length ratio. */
static void match_offsets(solver *s, const cm_char *src, const cm_char *dst, cm_lowest *lsrc, cm_lowest *ldst,
                          float scale, float dz) {
  const cm_retarget_map *map = s->map;
  float jr[CM_MAX_BODIES * 4], sp[CM_MAX_BODIES * 3], sr[CM_MAX_BODIES * 4], dp[CM_MAX_BODIES * 3],
      dr[CM_MAX_BODIES * 4], o[3] = {0, 0, 0}, id[4] = {0, 0, 0, 1};
  cm_kin_dof_to_rot(src, map->src_match_dof, jr);
  cm_kin_fk(src, o, id, jr, sp, sr);
  cm_kin_dof_to_rot(dst, map->match_dof, jr);
  cm_kin_fk(dst, o, id, jr, dp, dr);
  float low_s = cm_lowest_z(lsrc, o, id, map->src_match_dof, map->src_feet, map->n_src_feet);
  float low_d = cm_lowest_z(ldst, o, id, map->match_dof, map->dst_feet, map->n_dst_feet);
  for (int i = 0; i < map->n; i++) {
    float c[4];
    cm_q_conj(c, sr + 4 * map->src_body[i]);
    cm_q_mul(s->rot_off[i], c, dr + 4 * map->dst_body[i]);
    cm_v3_copy(s->pos_off[i], map->offset[i]);
    if (map->anchor[i] >= 0) {
      int k = map->anchor[i];
      float ds[3], dd[3];
      cm_v3_sub(ds, sp + 3 * map->src_body[i], sp + 3 * map->src_body[k]);
      cm_v3_sub(dd, dp + 3 * map->dst_body[i], dp + 3 * map->dst_body[k]);
      float ls = cm_v3_norm(ds);
      s->limb_ratio[i] = ls > 1e-6f ? cm_v3_norm(dd) / ls : scale;
    }
    if (map->rest_offset[i]) {
      /* both standing on z = 0, roots unrotated; frame_targets adds dz to unanchored targets */
      const float *a = sp + 3 * map->src_body[i], *b = dp + 3 * map->dst_body[i];
      s->pos_off[i][0] += b[0] - scale * a[0];
      s->pos_off[i][1] += b[1] - scale * a[1];
      s->pos_off[i][2] += (b[2] - low_d) - scale * (a[2] - low_s) - (map->anchor[i] < 0 ? dz : 0.f);
    }
  }
}

/* The targets of one source frame (bp, br: its body positions and rotations). */
static void frame_targets(solver *s, const float *bp, const float *br, float scale, float dz) {
  const cm_retarget_map *map = s->map;
  for (int i = 0; i < map->n; i++) {
    const float *q = bp + 3 * map->src_body[i];
    float off[3];
    cm_q_rotate(off, br, s->pos_off[i]);
    if (map->anchor[i] >= 0) {
      int k = map->anchor[i];
      const float *qa = bp + 3 * map->src_body[k];
      for (int a = 0; a < 3; a++) s->tpos[i][a] = s->tpos[k][a] + s->limb_ratio[i] * (q[a] - qa[a]) + off[a];
    } else {
      s->tpos[i][0] = scale * q[0] + off[0];
      s->tpos[i][1] = scale * q[1] + off[1];
      s->tpos[i][2] = scale * q[2] + off[2] + dz;
    }
    cm_q_mul(s->trot[i], br + 4 * map->src_body[i], s->rot_off[i]);
  }
}

int cm_retarget(const cm_char *src, const cm_char *dst, const cm_retarget_map *map, const cm_motion *in,
                cm_motion *out, cm_retarget_stats *st, cm_err *err) {
  return cm_retarget_ex(src, dst, map, in, out, st, NULL, NULL, err);
}

int cm_retarget_ex(const cm_char *src, const cm_char *dst, const cm_retarget_map *map, const cm_motion *in,
                   cm_motion *out, cm_retarget_stats *st, cm_retarget_progress progress, void *user, cm_err *err) {
  memset(out, 0, sizeof *out);
  memset(st, 0, sizeof *st);
  if (in->frame_dim != 6 + src->num_dofs)
    return cm_fail(err, "the clip has %d values per frame; its source character %s needs %d (root 6 + %d dofs)",
                   in->frame_dim, map->src_file, 6 + src->num_dofs, src->num_dofs);
  if (in->num_frames < 1) return cm_fail(err, "the clip has no frames");
  cm_lowest *lsrc = NULL, *ldst = NULL;
  if (cm_lowest_open(map->src_file, src, &lsrc, err)) return -1;
  if (cm_lowest_open(map->dst_file, dst, &ldst, err)) {
    cm_lowest_close(lsrc);
    return -1;
  }
  solver *s = calloc(1, sizeof *s);
  int nx = 6 + dst->num_dofs, nrmax = 6 * map->n + 2 * dst->num_dofs + 6;
  work w = {calloc((size_t)nrmax, sizeof(double)), calloc((size_t)nrmax, sizeof(double)),
            calloc((size_t)(nrmax * nx), sizeof(double)), calloc((size_t)(2 * nx * nx), sizeof(double)),
            calloc((size_t)nx, sizeof(double)), calloc((size_t)nx, sizeof(double))};
  out->frames = malloc(sizeof(float) * (size_t)in->num_frames * (size_t)nx);
  int rc = -1;
  if (!s || !w.r || !w.r2 || !w.J || !w.A || !w.g || !w.dx || !out->frames) {
    cm_fail(err, "retargeting: out of memory");
    goto done;
  }
  s->c = dst;
  s->map = map;
  s->nx = nx;

  /* scale and vertical offset from the two stances */
  float src_root_h, src_foot_h, dst_root_h, dst_foot_h;
  stance(lsrc, src, map->src_match_dof, map->src_feet, map->n_src_feet, map->scale_src_body, &src_root_h, &src_foot_h);
  stance(ldst, dst, map->match_dof, map->dst_feet, map->n_dst_feet, map->scale_dst_body, &dst_root_h, &dst_foot_h);
  float scale = map->scale > 0 ? map->scale : dst_root_h / src_root_h;
  float dz = dst_foot_h - scale * src_foot_h;
  st->scale = scale;

  match_offsets(s, src, dst, lsrc, ldst, scale, dz);

  pose p, sp;
  double sum_pos = 0, sum_rot = 0;
  long n_pos = 0, n_rot = 0;
  for (int f = 0; f < in->num_frames; f++) {
    const float *fr = in->frames + (size_t)f * (size_t)in->frame_dim;
    frame_pose(src, fr, &sp);
    float jr[CM_MAX_BODIES * 4], bp[CM_MAX_BODIES * 3], br[CM_MAX_BODIES * 4];
    fk(src, &sp, jr, bp, br);
    frame_targets(s, bp, br, scale, dz);
    if (f == 0) {
      /* start from the match pose with the root on its target */
      memset(&p, 0, sizeof p);
      memcpy(p.dof, map->match_dof, sizeof(float) * (size_t)dst->num_dofs);
      int rb = -1;
      for (int i = 0; i < map->n; i++)
        if (map->dst_body[i] == 0) rb = i;
      if (rb >= 0) {
        memcpy(p.root_pos, s->tpos[rb], sizeof p.root_pos);
        cm_q_copy(p.root_rot, s->trot[rb]);
      } else {
        cm_v3_scale(p.root_pos, sp.root_pos, scale);
        cm_q_copy(p.root_rot, sp.root_rot);
      }
      project_limits(dst, &p);
      solve_frame(s, &p, 20 * map->iters, &w);
    } else {
      solve_frame(s, &p, map->iters, &w);
    }

    /* feet on and above the ground */
    float low = cm_lowest_z(ldst, p.root_pos, p.root_rot, p.dof, map->dst_feet, map->n_dst_feet);
    float src_low = scale * cm_lowest_z(lsrc, sp.root_pos, sp.root_rot, sp.dof, map->src_feet, map->n_src_feet);
    int contact = src_low < map->contact_height;
    if (-low > st->max_penetration_before) st->max_penetration_before = -low;
    float shift = (low < 0 || contact) ? -low : 0.f;
    /* no other part of the body below the ground either (crawls, rolls, get-ups) */
    float low_all = cm_lowest_z(ldst, p.root_pos, p.root_rot, p.dof, NULL, 0);
    if (low_all + shift < 0) shift = -low_all;
    pose fixed = p;
    fixed.root_pos[2] += shift;
    float low2 = cm_lowest_z(ldst, fixed.root_pos, fixed.root_rot, fixed.dof, NULL, 0);
    if (-low2 > st->max_penetration) st->max_penetration = -low2;

    /* errors of the output frame */
    fk(dst, &fixed, jr, bp, br);
    for (int i = 0; i < map->n; i++) {
      int b = map->dst_body[i];
      if (map->pos_w[i] > 0) {
        float d[3];
        cm_v3_sub(d, bp + 3 * b, s->tpos[i]);
        double e = cm_v3_norm(d);
        st->pair_pos_err[i] += e / in->num_frames;
        sum_pos += e;
        n_pos++;
        if (e > st->max_pos_err) st->max_pos_err = e;
      }
      if (map->rot_w[i] > 0) {
        float e3[3];
        rot_err(s->trot[i], br + 4 * b, e3);
        double e = cm_v3_norm(e3);
        st->pair_rot_err[i] += e / in->num_frames;
        sum_rot += e;
        n_rot++;
        if (e > st->max_rot_err) st->max_rot_err = e;
      }
    }
    float *o = out->frames + (size_t)f * (size_t)nx;
    memcpy(o, fixed.root_pos, sizeof(float) * 3);
    cm_quat_to_exp_map(o + 3, fixed.root_rot);
    memcpy(o + 6, fixed.dof, sizeof(float) * (size_t)dst->num_dofs);
    for (int b = 1; b < dst->num_bodies; b++) {
      int i = dst->dof_idx[b];
      if (dst->joint_type[b] == CM_JOINT_HINGE) {
        if (fixed.dof[i] < dst->dof_low[i] - 1e-5f || fixed.dof[i] > dst->dof_high[i] + 1e-5f) st->limit_violations++;
        if (f > 0) {
          double jmp = fabs(fixed.dof[i] - s->prev.dof[i]);
          if (jmp > st->max_dof_jump) st->max_dof_jump = jmp;
        }
      } else if (dst->joint_type[b] == CM_JOINT_SPHERE) {
        float t[3];
        cm_kin_exp_map_to_hinges(dst->hinge_axis[b], fixed.dof + i, dst->dof_low + i, dst->dof_high + i, t);
        for (int k = 0; k < 3; k++)
          if (t[k] < dst->dof_low[i + k] - 1e-3f || t[k] > dst->dof_high[i + k] + 1e-3f) st->limit_violations++;
      }
    }
    s->prev = p; /* smoothness is measured against the solved pose, before the floor shift */
    s->has_prev = 1;
    if (progress) progress(user, f + 1, in->num_frames);
  }
  st->mean_pos_err = n_pos ? sum_pos / (double)n_pos : 0;
  st->mean_rot_err = n_rot ? sum_rot / (double)n_rot : 0;
  out->num_frames = in->num_frames;
  out->frame_dim = nx;
  out->fps = in->fps;
  out->loop_mode = in->loop_mode;
  rc = 0;
done:
  if (rc) cm_motion_free(out);
  free(w.r);
  free(w.r2);
  free(w.J);
  free(w.A);
  free(w.g);
  free(w.dx);
  free(s);
  cm_lowest_close(lsrc);
  cm_lowest_close(ldst);
  return rc;
}
