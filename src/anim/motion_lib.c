/* Motion library loading and preprocessing (see motion_lib.h). */
#include "anim/motion_lib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anim/kin.h"
#include "core/quat.h"
#include "io/config.h"

void cm_motion_lib_free(cm_motion_lib *lib) {
  if (!lib) return;
  if (lib->files)
    for (int m = 0; m < lib->num_motions; m++) free(lib->files[m]);
  free(lib->files);
  free(lib->weight); free(lib->weight_cdf); free(lib->fps); free(lib->length); free(lib->root_pos_delta);
  free(lib->num_frames); free(lib->start); free(lib->loop_mode);
  free(lib->frames);
  free(lib->root_pos); free(lib->root_rot); free(lib->root_vel); free(lib->root_ang_vel);
  free(lib->joint_rot); free(lib->dof_vel);
  memset(lib, 0, sizeof *lib);
}

cm_motion_lib_view cm_motion_lib_host_view(const cm_motion_lib *lib) {
  cm_motion_lib_view v = {
    .num_motions = lib->num_motions, .total_frames = lib->total_frames,
    .num_joints = lib->num_joints, .num_dofs = lib->num_dofs,
    .weight = lib->weight, .weight_cdf = lib->weight_cdf, .fps = lib->fps, .length = lib->length,
    .num_frames = lib->num_frames, .start = lib->start, .loop_mode = lib->loop_mode,
    .root_pos_delta = lib->root_pos_delta,
    .root_pos = lib->root_pos, .root_rot = lib->root_rot, .root_vel = lib->root_vel,
    .root_ang_vel = lib->root_ang_vel, .joint_rot = lib->joint_rot, .dof_vel = lib->dof_vel,
  };
  return v;
}

double cm_motion_lib_total_length(const cm_motion_lib *lib) {
  double t = 0;
  for (int m = 0; m < lib->num_motions; m++) t += lib->length[m];
  return t;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* Checks one clip against the character before anything is allocated for it. */
static int check_clip(const cm_motion *m, const char *name, const cm_char *c, cm_err *err) {
  if (m->frame_dim != 6 + c->num_dofs)
    return cm_fail(err, "%s: motion has %d values per frame but the character has %d dofs (+6 root)", name,
                   m->frame_dim, c->num_dofs);
  if (m->num_frames < 2)
    return cm_fail(err, "%s: motion has %d frame%s, at least 2 are needed", name, m->num_frames,
                   m->num_frames == 1 ? "" : "s");
  if (!(m->fps > 0) || !isfinite(m->fps)) return cm_fail(err, "%s: fps %g is not a positive number", name, m->fps);
  if (m->loop_mode != CM_LOOP_CLAMP && m->loop_mode != CM_LOOP_WRAP)
    return cm_fail(err, "%s: loop_mode %d is neither 0 (clamp) nor 1 (wrap)", name, m->loop_mode);
  size_t count = (size_t)m->num_frames * (size_t)m->frame_dim;
  for (size_t i = 0; i < count; i++)
    if (!isfinite(m->frames[i]))
      return cm_fail(err, "%s: frame %zu value %zu is not finite", name, i / (size_t)m->frame_dim,
                     i % (size_t)m->frame_dim);
  return 0;
}

/* The local angular velocity that takes q0 to q1 in dt (MimicKit's compute_dof_vel): the exp-map
 * of q0^-1 q1 over dt, in the joint's child frame. */
static void local_rot_vel(float *w, const float *q0, const float *q1, float fps) {
  float inv[4], d[4];
  cm_q_conj(inv, q0);
  cm_q_mul(d, inv, q1);
  cm_quat_to_exp_map(w, d);
  cm_v3_scale(w, w, fps);
}

/* Fills the per-frame arrays of one clip whose frames start at global frame s. */
static void preprocess_clip(cm_motion_lib *L, const cm_motion *mo, const cm_char *c, int m) {
  int n = mo->num_frames, s = L->start[m], J = L->num_joints, D = L->num_dofs;
  float fps = (float)mo->fps;
  for (int i = 0; i < n; i++) {
    const float *fr = mo->frames + (size_t)i * mo->frame_dim;
    int g = s + i;
    cm_v3_copy(L->root_pos + 3 * g, fr);
    cm_exp_map_to_quat(L->root_rot + 4 * g, fr + 3);
    float *jr = L->joint_rot + (size_t)g * J * 4;
    cm_kin_dof_to_rot(c, fr + 6, jr);
    for (int j = 0; j < J; j++) cm_q_pos(jr + 4 * j);
  }
  for (int i = 0; i + 1 < n; i++) {
    int g = s + i;
    const float *p0 = L->root_pos + 3 * g, *p1 = p0 + 3;
    for (int k = 0; k < 3; k++) L->root_vel[3 * g + k] = fps * (p1[k] - p0[k]);
    /* world frame: q1 q0^-1 (MimicKit's quat_diff(q0, q1)) */
    float inv[4], d[4];
    cm_q_conj(inv, L->root_rot + 4 * g);
    cm_q_mul(d, L->root_rot + 4 * (g + 1), inv);
    cm_quat_to_exp_map(L->root_ang_vel + 3 * g, d);
    cm_v3_scale(L->root_ang_vel + 3 * g, L->root_ang_vel + 3 * g, fps);
    const float *j0 = L->joint_rot + (size_t)g * J * 4, *j1 = j0 + J * 4;
    float *dv = L->dof_vel + (size_t)g * D;
    for (int b = 1; b < c->num_bodies; b++) {
      int t = c->joint_type[b];
      if (t != CM_JOINT_HINGE && t != CM_JOINT_SPHERE) continue;
      float w[3];
      local_rot_vel(w, j0 + 4 * (b - 1), j1 + 4 * (b - 1), fps);
      float *o = dv + c->dof_idx[b];
      if (t == CM_JOINT_HINGE) o[0] = cm_v3_dot(w, c->hinge_axis[b][0]);
      else cm_v3_copy(o, w);
    }
  }
  int last = s + n - 1;
  cm_v3_copy(L->root_vel + 3 * last, L->root_vel + 3 * (last - 1));
  cm_v3_copy(L->root_ang_vel + 3 * last, L->root_ang_vel + 3 * (last - 1));
  memcpy(L->dof_vel + (size_t)last * D, L->dof_vel + (size_t)(last - 1) * D, sizeof(float) * D);
  memcpy(L->frames + (size_t)s * mo->frame_dim, mo->frames, sizeof(float) * (size_t)n * mo->frame_dim);
  const float *first = L->root_pos + 3 * s, *lastp = L->root_pos + 3 * last;
  float *delta = L->root_pos_delta + 3 * m;
  cm_v3_sub(delta, lastp, first);
  delta[2] = 0.f;
}

int cm_motion_lib_build(const cm_motion *clips, const double *weights, const char *const *names, int n,
                        const cm_char *c, cm_motion_lib *out, cm_err *err) {
  memset(out, 0, sizeof *out);
  if (n < 1) return cm_fail(err, "motion library: no motions given");
  double wsum = 0;
  long total = 0;
  for (int m = 0; m < n; m++) {
    if (check_clip(&clips[m], names[m], c, err)) return -1;
    if (!(weights[m] >= 0) || !isfinite(weights[m]))
      return cm_fail(err, "%s: weight %g must be a finite number >= 0", names[m], weights[m]);
    wsum += weights[m];
    total += clips[m].num_frames;
  }
  if (!(wsum > 0)) return cm_fail(err, "motion library: all %d motion weights are 0 (%s ...)", n, names[0]);
  if (total > 100000000L) return cm_fail(err, "motion library: %ld frames in all, too many", total);
  cm_motion_lib *L = out;
  L->num_motions = n;
  L->total_frames = (int)total;
  L->num_joints = c->num_bodies - 1;
  L->num_dofs = c->num_dofs;
  L->frame_dim = 6 + c->num_dofs;
  size_t F = (size_t)total, J = (size_t)L->num_joints, D = (size_t)L->num_dofs;
  L->files = calloc((size_t)n, sizeof *L->files);
  L->weight = malloc(sizeof(float) * n);
  L->weight_cdf = malloc(sizeof(float) * n);
  L->fps = malloc(sizeof(float) * n);
  L->length = malloc(sizeof(float) * n);
  L->root_pos_delta = malloc(sizeof(float) * 3 * n);
  L->num_frames = malloc(sizeof(int) * n);
  L->start = malloc(sizeof(int) * n);
  L->loop_mode = malloc(sizeof(int) * n);
  L->frames = malloc(sizeof(float) * F * L->frame_dim);
  L->root_pos = malloc(sizeof(float) * F * 3);
  L->root_rot = malloc(sizeof(float) * F * 4);
  L->root_vel = malloc(sizeof(float) * F * 3);
  L->root_ang_vel = malloc(sizeof(float) * F * 3);
  L->joint_rot = malloc(sizeof(float) * F * (J ? J : 1) * 4);
  L->dof_vel = calloc(F * (D ? D : 1), sizeof(float));
  int oom = !L->files || !L->weight || !L->weight_cdf || !L->fps || !L->length || !L->root_pos_delta ||
            !L->num_frames || !L->start || !L->loop_mode || !L->frames || !L->root_pos || !L->root_rot ||
            !L->root_vel || !L->root_ang_vel || !L->joint_rot || !L->dof_vel;
  for (int m = 0; m < n && !oom; m++) oom = !(L->files[m] = dup_str(names[m]));
  if (oom) {
    cm_motion_lib_free(L);
    return cm_fail(err, "motion library: out of memory for %ld frames", total);
  }
  double run = 0;
  int start = 0, last_nonzero = 0;
  for (int m = 0; m < n; m++) {
    const cm_motion *mo = &clips[m];
    L->weight[m] = (float)(weights[m] / wsum);
    run += weights[m] / wsum;
    L->weight_cdf[m] = (float)run;
    if (weights[m] > 0) last_nonzero = m;
    L->fps[m] = (float)mo->fps;
    L->length[m] = (float)((mo->num_frames - 1) / mo->fps);
    L->num_frames[m] = mo->num_frames;
    L->start[m] = start;
    L->loop_mode[m] = mo->loop_mode;
    start += mo->num_frames;
    preprocess_clip(L, mo, c, m);
  }
  /* rounding must not leave a sliver above the last real motion's interval */
  for (int m = last_nonzero; m < n; m++) L->weight_cdf[m] = 1.f;
  return 0;
}

static int has_ext(const char *path, const char *ext) {
  size_t n = strlen(path), e = strlen(ext);
  return n >= e && !strcmp(path + n - e, ext);
}

int cm_motion_dataset_read(const char *path, cm_cfg **cfg, const char ***files, double **weights, int **lines,
                           int *list_line, int *count, cm_err *err) {
  if (cm_cfg_load(path, cfg, err)) return -1;
  const cm_cfg *list = cm_cfg_get(*cfg, "motions");
  if (!list) return cm_fail(err, "%s: missing required key 'motions' (a list of {file, weight})", path);
  if (list->kind != CM_CFG_SEQ) return cm_fail(err, "%s:%d: 'motions' must be a list of {file, weight}", path, list->line);
  if (list->n < 1) return cm_fail(err, "%s:%d: 'motions' is empty", path, list->line);
  *files = calloc((size_t)list->n, sizeof **files);
  *weights = calloc((size_t)list->n, sizeof **weights);
  *lines = calloc((size_t)list->n, sizeof **lines);
  *list_line = list->line;
  if (!*files || !*weights || !*lines) return cm_fail(err, "%s: out of memory", path);
  for (int i = 0; i < list->n; i++) {
    const cm_cfg *e = list->items[i];
    if (e->kind != CM_CFG_MAP)
      return cm_fail(err, "%s:%d: motions[%d] must be a map with 'file' and 'weight'", path, e->line, i);
    const char *f = NULL;
    if (cm_cfg_str(e, "file", NULL, &f, err)) return cm_wrap(err, "%s: motions[%d]", path, i);
    if (!f || cm_cfg_is_null(cm_cfg_get(e, "file")))
      return cm_fail(err, "%s:%d: motions[%d] has no 'file'", path, e->line, i);
    double w = 1.0;
    if (cm_cfg_float(e, "weight", 1.0, &w, err)) return cm_wrap(err, "%s: motions[%d] (%s)", path, i, f);
    if (!(w >= 0) || !isfinite(w)) {
      const cm_cfg *wn = cm_cfg_get(e, "weight");
      return cm_fail(err, "%s:%d: motions[%d] (%s): weight %g must be a finite number >= 0", path,
                     wn ? wn->line : e->line, i, f, w);
    }
    (*files)[i] = f;
    (*weights)[i] = w;
    (*lines)[i] = e->line;
  }
  *count = list->n;
  return 0;
}

int cm_motion_lib_load(const char *path, const cm_char *c, cm_motion_lib *out, cm_err *err) {
  memset(out, 0, sizeof *out);
  cm_cfg *cfg = NULL;
  const char **files = NULL;
  const char *single[1] = {path};
  double *weights = NULL, one = 1.0;
  cm_motion *clips = NULL;
  int n = 0, loaded = 0, rc = -1, *lines = NULL, list_line = 1;
  if (has_ext(path, ".yaml") || has_ext(path, ".yml")) {
    if (cm_motion_dataset_read(path, &cfg, &files, &weights, &lines, &list_line, &n, err)) goto done;
  } else {
    files = single;
    weights = &one;
    n = 1;
  }
  clips = calloc((size_t)n, sizeof *clips);
  if (!clips) { cm_fail(err, "%s: out of memory", path); goto done; }
  /* each dataset entry is loaded and checked on its own so a bad one is named by its yaml line */
  int i = 0;
  for (; i < n; i++) {
    if (cm_motion_load(files[i], &clips[i], err)) break;
    loaded = i + 1;
    if (files != single && check_clip(&clips[i], files[i], c, err)) break;
  }
  if (i < n) {
    if (files != single) cm_wrap(err, "%s:%d: motions[%d]", path, lines[i], i);
    goto done;
  }
  if (files != single) {
    double wsum = 0;
    for (int i = 0; i < n; i++) wsum += weights[i];
    if (!(wsum > 0)) {
      cm_fail(err, "%s:%d: 'motions': the %d weights sum to 0; at least one clip needs a weight > 0", path, list_line, n);
      goto done;
    }
  }
  rc = cm_motion_lib_build(clips, weights, files, n, c, out, err);
  if (rc && files != single) cm_wrap(err, "%s", path);
done:
  for (int i = 0; i < loaded; i++) cm_motion_free(&clips[i]);
  free(clips);
  if (files != single) { free(files); free(weights); free(lines); }
  cm_cfg_free(cfg);
  return rc;
}
