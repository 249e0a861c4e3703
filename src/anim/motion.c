/* MimicKit motion clips (.pkl): a pickled dict {"loop_mode", "fps", "frames"}. Frames may be a
 * list of lists (what MimicKit's Motion.save writes) or a numpy array (older files). */
#include "anim/motion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"
#include "io/pickle.h"

void cm_motion_free(cm_motion *m) {
  if (!m) return;
  free(m->frames);
  memset(m, 0, sizeof *m);
}

/* Number of values in one frame row: list/tuple of numbers or a 1-D array; -1 if not a row. */
static long row_len(const cm_pk *row) {
  if (row->type == CM_PK_LIST || row->type == CM_PK_TUPLE) return (long)row->n;
  if (row->type == CM_PK_ARRAY && row->ndim == 1) return (long)row->shape[0];
  return -1;
}

static int read_frames(const char *path, const cm_pk *fr, cm_motion *m, cm_err *err) {
  if (fr->type == CM_PK_ARRAY) {
    if (fr->ndim != 2) return cm_fail(err, "%s: motion: 'frames' array has %d dimensions, expected 2", path, fr->ndim);
    if (fr->shape[0] < 1) return cm_fail(err, "%s: motion: 'frames' is empty", path);
    if (fr->shape[1] < 1) return cm_fail(err, "%s: motion: frame 0 has 0 values", path);
    if (fr->shape[0] > INT32_MAX || fr->shape[1] > INT32_MAX) return cm_fail(err, "%s: motion: 'frames' too large", path);
    m->num_frames = (int)fr->shape[0];
    m->frame_dim = (int)fr->shape[1];
    size_t n = cm_pk_array_count(fr);
    m->frames = malloc(n * sizeof *m->frames);
    if (!m->frames) return cm_fail(err, "%s: motion: out of memory", path);
    for (size_t k = 0; k < n; k++) m->frames[k] = (float)fr->data[k];
    return 0;
  }
  if (fr->type != CM_PK_LIST && fr->type != CM_PK_TUPLE)
    return cm_fail(err, "%s: motion: 'frames' is a %s, expected a list of frames", path, cm_pk_type_name(fr->type));
  if (fr->n < 1) return cm_fail(err, "%s: motion: 'frames' is empty", path);
  if (fr->n > INT32_MAX) return cm_fail(err, "%s: motion: 'frames' too large", path);
  long dim = row_len(fr->items[0]);
  if (dim < 0) return cm_fail(err, "%s: motion: frame 0 is a %s, expected a list of numbers", path, cm_pk_type_name(fr->items[0]->type));
  if (dim < 1) return cm_fail(err, "%s: motion: frame 0 has 0 values", path);
  if ((size_t)dim > SIZE_MAX / sizeof(float) / fr->n || dim > INT32_MAX) return cm_fail(err, "%s: motion: 'frames' too large", path);
  m->num_frames = (int)fr->n;
  m->frame_dim = (int)dim;
  m->frames = malloc(fr->n * (size_t)dim * sizeof *m->frames);
  if (!m->frames) return cm_fail(err, "%s: motion: out of memory", path);
  for (size_t i = 0; i < fr->n; i++) {
    const cm_pk *row = fr->items[i];
    long n = row_len(row);
    if (n < 0) return cm_fail(err, "%s: motion: frame %zu is a %s, expected a list of numbers", path, i, cm_pk_type_name(row->type));
    if (n != dim) return cm_fail(err, "%s: motion: frame %zu has %ld values, expected %ld", path, i, n, dim);
    float *dst = m->frames + i * (size_t)dim;
    for (long j = 0; j < dim; j++) {
      double x;
      if (row->type == CM_PK_ARRAY) x = row->data[j];
      else if (cm_pk_number(row->items[j], &x))
        return cm_fail(err, "%s: motion: frame %zu value %ld is a %s, expected a number", path, i, j, cm_pk_type_name(row->items[j]->type));
      dst[j] = (float)x;
    }
  }
  return 0;
}

int cm_motion_load(const char *path, cm_motion *out, cm_err *err) {
  memset(out, 0, sizeof *out);
  cm_pk_doc doc;
  if (cm_pk_load(path, &doc, err)) return -1;
  const cm_pk *root = doc.root;
  cm_motion m = {0};
  int rc = -1;
  const cm_pk *lm, *fps, *fr;
  double fpsv;
  if (root->type != CM_PK_DICT) {
    cm_fail(err, "%s: motion: top level is a %s, expected a dict", path, cm_pk_type_name(root->type));
    goto done;
  }
  const char *keys[3] = {"loop_mode", "fps", "frames"};
  for (int k = 0; k < 3; k++)
    if (!cm_pk_dict_get(root, keys[k])) {
      cm_fail(err, "%s: motion: missing key '%s'", path, keys[k]);
      goto done;
    }
  lm = cm_pk_dict_get(root, "loop_mode");
  fps = cm_pk_dict_get(root, "fps");
  fr = cm_pk_dict_get(root, "frames");
  if (lm->type != CM_PK_INT || (lm->i != CM_LOOP_CLAMP && lm->i != CM_LOOP_WRAP)) {
    if (lm->type == CM_PK_INT) cm_fail(err, "%s: motion: 'loop_mode' is %lld, expected 0 (clamp) or 1 (wrap)", path, (long long)lm->i);
    else cm_fail(err, "%s: motion: 'loop_mode' is a %s, expected 0 (clamp) or 1 (wrap)", path, cm_pk_type_name(lm->type));
    goto done;
  }
  m.loop_mode = (int)lm->i;
  if (fps->type == CM_PK_BOOL || cm_pk_number(fps, &fpsv)) {
    cm_fail(err, "%s: motion: 'fps' is a %s, expected a number", path, cm_pk_type_name(fps->type));
    goto done;
  }
  if (!(fpsv > 0) || !isfinite(fpsv)) {
    cm_fail(err, "%s: motion: 'fps' is %g, expected a positive number", path, fpsv);
    goto done;
  }
  m.fps = fpsv;
  if (read_frames(path, fr, &m, err)) goto done;
  *out = m;
  rc = 0;
done:
  if (rc) cm_motion_free(&m);
  cm_pk_doc_free(&doc);
  return rc;
}

int cm_motion_save(const char *path, const cm_motion *m, cm_err *err) {
  if (m->loop_mode != CM_LOOP_CLAMP && m->loop_mode != CM_LOOP_WRAP)
    return cm_fail(err, "%s: motion: loop_mode %d is not 0 or 1", path, m->loop_mode);
  if (!(m->fps > 0) || !isfinite(m->fps)) return cm_fail(err, "%s: motion: fps %g is not positive", path, m->fps);
  if (m->num_frames < 1 || m->frame_dim < 1 || !m->frames)
    return cm_fail(err, "%s: motion: nothing to save (%d frames of %d values)", path, m->num_frames, m->frame_dim);
  /* Protocol 4, as Python 3.8+ pickle.dump writes by default; frames as lists of Python floats. */
  cm_pkw w;
  cm_pkw_init(&w, 4);
  cm_pkw_empty_dict(&w);
  cm_pkw_mark(&w);
  cm_pkw_str(&w, "loop_mode");
  cm_pkw_int(&w, m->loop_mode);
  cm_pkw_str(&w, "fps");
  cm_pkw_float(&w, m->fps);
  cm_pkw_str(&w, "frames");
  cm_pkw_empty_list(&w);
  cm_pkw_mark(&w);
  for (int i = 0; i < m->num_frames; i++) {
    cm_pkw_empty_list(&w);
    cm_pkw_mark(&w);
    const float *row = m->frames + (size_t)i * (size_t)m->frame_dim;
    for (int j = 0; j < m->frame_dim; j++) cm_pkw_float(&w, row[j]);
    cm_pkw_appends(&w);
  }
  cm_pkw_appends(&w);
  cm_pkw_setitems(&w);
  int rc = cm_pkw_finish(&w, err);
  if (rc == 0) rc = cm_write_file_atomic(path, w.out.data, w.out.len, err);
  cm_pkw_free(&w);
  return rc;
}
