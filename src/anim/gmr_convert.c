#include "anim/gmr_convert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/quat.h"
#include "io/pickle.h"

/* A (N, cols) table: a 2-D numpy array or a list of equal rows. Returns N, or -1 with err. */
static long table_rows(const char *path, const cm_pk *v, const char *key, int cols, cm_err *err) {
  if (!v) return cm_fail(err, "%s: GMR motion: missing key '%s'", path, key), -1;
  if (v->type == CM_PK_ARRAY) {
    if (v->ndim != 2 || (cols > 0 && v->shape[1] != cols))
      return cm_fail(err, "%s: GMR motion: '%s' has shape %s, expected (num_frames, %d)", path, key,
                     v->ndim == 2 ? "(N, other)" : "of another rank", cols), -1;
    return (long)v->shape[0];
  }
  if (v->type == CM_PK_LIST || v->type == CM_PK_TUPLE) return (long)v->n;
  return cm_fail(err, "%s: GMR motion: '%s' is a %s, expected a (num_frames, %d) array", path, key,
                 cm_pk_type_name(v->type), cols), -1;
}

static long table_cols(const cm_pk *v) {
  if (v->type == CM_PK_ARRAY) return v->ndim == 2 ? (long)v->shape[1] : -1;
  if (v->n == 0) return 0;
  const cm_pk *r = v->items[0];
  if (r->type == CM_PK_ARRAY) return r->ndim == 1 ? (long)r->shape[0] : -1;
  return (r->type == CM_PK_LIST || r->type == CM_PK_TUPLE) ? (long)r->n : -1;
}

static int table_get(const char *path, const cm_pk *v, const char *key, long i, long j, float *out, cm_err *err) {
  double x;
  if (v->type == CM_PK_ARRAY) x = v->data[i * v->shape[1] + j];
  else {
    const cm_pk *r = v->items[i];
    if (r->type == CM_PK_ARRAY) {
      if (r->ndim != 1 || r->shape[0] <= j) return cm_fail(err, "%s: GMR motion: '%s' row %ld is too short", path, key, i);
      x = r->data[j];
    } else if ((r->type != CM_PK_LIST && r->type != CM_PK_TUPLE) || (long)r->n <= j ||
               cm_pk_number(r->items[j], &x)) {
      return cm_fail(err, "%s: GMR motion: '%s' row %ld is not a row of %ld numbers", path, key, i, j + 1);
    }
  }
  if (!isfinite(x)) return cm_fail(err, "%s: GMR motion: '%s'[%ld][%ld] is not finite", path, key, i, j);
  *out = (float)x;
  return 0;
}

int cm_gmr_load(const char *path, int loop_mode, cm_motion *out, cm_err *err) {
  memset(out, 0, sizeof *out);
  cm_pk_doc doc;
  if (cm_pk_load(path, &doc, err)) return -1;
  int rc = -1;
  cm_motion m = {0};
  const cm_pk *root = doc.root;
  if (root->type != CM_PK_DICT) {
    cm_fail(err, "%s: GMR motion: top level is a %s, expected a dict with fps, root_pos, root_rot, dof_pos", path,
            cm_pk_type_name(root->type));
    goto done;
  }
  double fps;
  const cm_pk *f = cm_pk_dict_get(root, "fps");
  if (!f) { cm_fail(err, "%s: GMR motion: missing key 'fps'", path); goto done; }
  if (cm_pk_number(f, &fps) || !(fps > 0) || !isfinite(fps)) {
    cm_fail(err, "%s: GMR motion: 'fps' must be a positive number", path);
    goto done;
  }
  const cm_pk *rp = cm_pk_dict_get(root, "root_pos"), *rr = cm_pk_dict_get(root, "root_rot"),
              *dp = cm_pk_dict_get(root, "dof_pos");
  long n = table_rows(path, rp, "root_pos", 3, err);
  if (n < 0) goto done;
  long n2 = table_rows(path, rr, "root_rot", 4, err);
  if (n2 < 0) goto done;
  long n3 = table_rows(path, dp, "dof_pos", 0, err);
  if (n3 < 0) goto done;
  if (n < 2 || n2 != n || n3 != n) {
    cm_fail(err, "%s: GMR motion: root_pos, root_rot and dof_pos have %ld, %ld and %ld frames; expected the same "
            "number, at least 2", path, n, n2, n3);
    goto done;
  }
  long nd = table_cols(dp);
  if (nd < 1 || nd > 1000) { cm_fail(err, "%s: GMR motion: 'dof_pos' rows must hold 1..1000 numbers", path); goto done; }
  m.num_frames = (int)n;
  m.frame_dim = 6 + (int)nd;
  m.fps = fps;
  m.loop_mode = loop_mode;
  m.frames = malloc(sizeof(float) * (size_t)n * (size_t)m.frame_dim);
  if (!m.frames) { cm_fail(err, "%s: GMR motion: out of memory", path); goto done; }
  for (long i = 0; i < n; i++) {
    float *row = m.frames + i * m.frame_dim, q[4];
    for (int k = 0; k < 3; k++)
      if (table_get(path, rp, "root_pos", i, k, row + k, err)) goto done;
    for (int k = 0; k < 4; k++)
      if (table_get(path, rr, "root_rot", i, k, q + k, err)) goto done;
    float qn = sqrtf(cm_v3_dot(q, q) + q[3] * q[3]);
    if (!(qn > 1e-6f)) { cm_fail(err, "%s: GMR motion: root_rot[%ld] is a zero quaternion", path, i); goto done; }
    for (int k = 0; k < 4; k++) q[k] /= qn;
    cm_quat_to_exp_map(row + 3, q);
    for (long j = 0; j < nd; j++)
      if (table_get(path, dp, "dof_pos", i, j, row + 6 + j, err)) goto done;
  }
  *out = m;
  rc = 0;
done:
  if (rc) cm_motion_free(&m);
  cm_pk_doc_free(&doc);
  return rc;
}
