/* Reading a retargeting map (data/retarget/<src>_to_<dst>.yaml); see anim/retarget.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mujoco/mujoco.h>
#include "anim/kin.h"
#include "anim/retarget.h"
#include "io/config.h"
#include "anim/mjcf.h"

static const char *const k_keys[] = {"src_char", "dst_char", "scale", "smooth_w", "rest_w", "iters", "contact_height",
                                     "scale_bodies", "src_feet", "dst_feet", "match_pose", "src_match_pose", "pairs", NULL};
static const char *const k_pair_keys[] = {"src", "dst", "pos", "rot", "offset", "rest_offset", "anchor", NULL};

static int body_of(const char *path, const cm_cfg *node, const cm_char *c, const char *which, const char *name,
                   const char *file, int *out, cm_err *err) {
  int b = cm_char_body_id(c, name);
  if (b < 0)
    return cm_fail(err, "%s:%d: %s body '%s' is not a body of %s", path, node ? node->line : 0, which, name, file);
  *out = b;
  return 0;
}

static int feet(const char *path, const cm_cfg *root, const char *key, const cm_char *c, const char *file, int *ids,
                int *n, cm_err *err) {
  const char *names[CM_RETARGET_MAX_FEET];
  *n = 0;
  if (cm_cfg_strs(root, key, names, CM_RETARGET_MAX_FEET, n, err)) return -1;
  if (*n == 0) return cm_fail(err, "%s: '%s' must list at least one foot body", path, key);
  for (int i = 0; i < *n; i++)
    if (body_of(path, cm_cfg_get(root, key), c, key, names[i], file, ids + i, err)) return -1;
  return 0;
}

/* A {joint name: angle} map -> MimicKit dofs of c (zero elsewhere), through the joints' qpos. */
static int match_pose(const char *path, const cm_cfg *root, const char *key, const char *file, const cm_char *c,
                      float *dof, cm_err *err) {
  memset(dof, 0, sizeof(float) * CM_MAX_DOFS);
  const cm_cfg *mp = cm_cfg_get(root, key);
  if (!mp || cm_cfg_is_null(mp)) return 0;
  if (mp->kind != CM_CFG_MAP) return cm_fail(err, "%s:%d: '%s' must map joint names to angles", path, mp->line, key);
  cm_mjcf_opts o = {0};
  mjModel *m = NULL;
  if (cm_mjcf_compile(file, &o, &m, NULL, err)) return -1;
  float *qpos = calloc((size_t)m->nq, sizeof *qpos);
  int rc = qpos ? 0 : cm_fail(err, "out of memory");
  float rp[3], rr[4];
  if (!rc) cm_kin_pose_to_qpos(c, (float[3]){0, 0, 0}, (float[4]){0, 0, 0, 1}, dof, qpos);
  for (int i = 0; i < mp->n && !rc; i++) {
    int j = mj_name2id(m, mjOBJ_JOINT, mp->keys[i]);
    double v;
    if (j < 0 || m->jnt_type[j] != mjJNT_HINGE)
      rc = cm_fail(err, "%s:%d: '%s': '%s' is not a hinge joint of %s", path, mp->key_lines[i], key, mp->keys[i], file);
    else if (!(rc = cm_cfg_as_float(mp->items[i], mp->keys[i], &v, err)))
      qpos[m->jnt_qposadr[j]] = (float)v;
  }
  if (!rc) cm_kin_qpos_to_pose(c, qpos, rp, rr, dof);
  free(qpos);
  mj_deleteModel(m);
  return rc;
}

int cm_retarget_map_load(const char *path, const cm_char *src, const cm_char *dst, cm_retarget_map *map, cm_err *err) {
  cm_cfg *root = NULL;
  if (cm_cfg_load(path, &root, err)) return -1;
  int rc = -1;
  const char *s;
  memset(map, 0, sizeof *map);
  if (root->kind != CM_CFG_MAP) {
    cm_fail(err, "%s: a retargeting map is a YAML map (src_char, dst_char, pairs, ...)", path);
    goto done;
  }
  if (cm_cfg_check_keys(root, k_keys, err) || cm_cfg_require(root, "src_char", err) ||
      cm_cfg_require(root, "dst_char", err) || cm_cfg_require(root, "pairs", err))
    goto done;
  if (cm_cfg_str(root, "src_char", "", &s, err)) goto done;
  snprintf(map->src_file, sizeof map->src_file, "%s", s);
  if (cm_cfg_str(root, "dst_char", "", &s, err)) goto done;
  snprintf(map->dst_file, sizeof map->dst_file, "%s", s);
  if (!src || !dst) {
    rc = 0;
    goto done;
  }
  double v;
  long it;
  if (cm_cfg_float(root, "scale", 0, &v, err)) goto done;
  map->scale = (float)v;
  if (cm_cfg_positive(root, "smooth_w", 0.05, &v, err)) goto done;
  map->smooth_w = (float)v;
  if (cm_cfg_positive(root, "rest_w", 0.01, &v, err)) goto done;
  map->rest_w = (float)v;
  if (cm_cfg_positive(root, "contact_height", 0.02, &v, err)) goto done;
  map->contact_height = (float)v;
  if (cm_cfg_int(root, "iters", 10, &it, err)) goto done;
  if (it < 1 || it > 1000) {
    cm_fail(err, "%s: 'iters' must be 1..1000, got %ld", path, it);
    goto done;
  }
  map->iters = (int)it;
  const char *sb[2];
  int nsb = 0;
  if (cm_cfg_strs(root, "scale_bodies", sb, 2, &nsb, err)) goto done;
  if (nsb != 0 && nsb != 2) {
    cm_fail(err, "%s: 'scale_bodies' must be [source body, destination body]", path);
    goto done;
  }
  if (nsb == 2 && (body_of(path, cm_cfg_get(root, "scale_bodies"), src, "scale", sb[0], map->src_file,
                           &map->scale_src_body, err) ||
                   body_of(path, cm_cfg_get(root, "scale_bodies"), dst, "scale", sb[1], map->dst_file,
                           &map->scale_dst_body, err)))
    goto done;
  if (feet(path, root, "src_feet", src, map->src_file, map->src_feet, &map->n_src_feet, err) ||
      feet(path, root, "dst_feet", dst, map->dst_file, map->dst_feet, &map->n_dst_feet, err))
    goto done;
  if (match_pose(path, root, "match_pose", map->dst_file, dst, map->match_dof, err) ||
      match_pose(path, root, "src_match_pose", map->src_file, src, map->src_match_dof, err))
    goto done;
  const cm_cfg *pairs = cm_cfg_get(root, "pairs");
  if (pairs->kind != CM_CFG_SEQ || pairs->n < 1) {
    cm_fail(err, "%s:%d: 'pairs' must be a list of {src, dst, pos, rot}", path, pairs->line);
    goto done;
  }
  if (pairs->n > CM_RETARGET_MAX_PAIRS) {
    cm_fail(err, "%s:%d: %d pairs, at most %d", path, pairs->line, pairs->n, CM_RETARGET_MAX_PAIRS);
    goto done;
  }
  for (int i = 0; i < pairs->n; i++) {
    const cm_cfg *p = pairs->items[i];
    const char *sn, *dn;
    double pw, rw;
    if (p->kind != CM_CFG_MAP) {
      cm_fail(err, "%s:%d: each pair is a map {src, dst, pos, rot}", path, p->line);
      goto done;
    }
    if (cm_cfg_check_keys(p, k_pair_keys, err) || cm_cfg_require(p, "src", err) || cm_cfg_require(p, "dst", err) ||
        cm_cfg_str(p, "src", "", &sn, err) || cm_cfg_str(p, "dst", "", &dn, err) ||
        cm_cfg_float(p, "pos", 0, &pw, err) || cm_cfg_float(p, "rot", 0, &rw, err))
      goto done;
    if (pw < 0 || rw < 0 || pw + rw <= 0) {
      cm_fail(err, "%s:%d: pair %s -> %s needs pos and/or rot weights >= 0, not both 0", path, p->line, sn, dn);
      goto done;
    }
    if (body_of(path, p, src, "src", sn, map->src_file, &map->src_body[i], err) ||
        body_of(path, p, dst, "dst", dn, map->dst_file, &map->dst_body[i], err))
      goto done;
    double off[3] = {0, 0, 0};
    int noff = 3;
    if (cm_cfg_floats(p, "offset", off, 3, &noff, err)) goto done;
    if (noff != 3) {
      cm_fail(err, "%s:%d: pair %s -> %s: 'offset' needs 3 numbers", path, p->line, sn, dn);
      goto done;
    }
    for (int k = 0; k < 3; k++) map->offset[i][k] = (float)off[k];
    if (cm_cfg_bool(p, "rest_offset", 0, &map->rest_offset[i], err)) goto done;
    const char *an;
    if (cm_cfg_str(p, "anchor", "", &an, err)) goto done;
    map->anchor[i] = -1;
    if (an[0]) {
      for (int k = 0; k < i; k++)
        if (map->pos_w[k] > 0 && !strcmp(dst->body_names[map->dst_body[k]], an)) map->anchor[i] = k;
      if (map->anchor[i] < 0) {
        cm_fail(err, "%s:%d: pair %s -> %s: anchor '%s' is not the destination of an earlier pair with a position weight",
                path, p->line, sn, dn, an);
        goto done;
      }
    }
    map->pos_w[i] = (float)pw;
    map->rot_w[i] = (float)rw;
  }
  map->n = pairs->n;
  rc = 0;
done:
  cm_cfg_free(root);
  return rc;
}
