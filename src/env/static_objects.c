/* static_objects: deepmimic with static rigid objects in the scene (MimicKit's StaticObjectsEnv,
 * the vault cases). The env yaml's objects: [{file, pos, rot}] name MJCF files placed with a
 * fixed root at pos (rot xyzw, default identity); the engine builds them into every env's
 * world, where they collide with the character. Everything else is the deepmimic env. */
#include <stdio.h>
#include <string.h>
#include "env/deepmimic.h"
#include "env/env.h"

static const char *const k_keys[] = {"objects", NULL};
static const char *const k_object_keys[] = {"file", "pos", "rot", NULL};

static int parse_object(const cm_cfg *item, int i, cm_static_object *ob, cm_err *err) {
  char at[1200];
  snprintf(at, sizeof at, "%s:%d: objects[%d]", item->file, item->line, i);
  if (item->kind != CM_CFG_MAP) return cm_fail(err, "%s: expected a map {file, pos, rot}", at);
  const char *file = NULL;
  double pos[4], rot[5] = {0, 0, 0, 1};
  int np = 0, nr = 4;
  if (cm_cfg_check_keys(item, k_object_keys, err) || cm_cfg_require(item, "file", err) ||
      cm_cfg_str(item, "file", NULL, &file, err) || cm_cfg_require(item, "pos", err) ||
      cm_cfg_floats(item, "pos", pos, 4, &np, err) || cm_cfg_floats(item, "rot", rot, 5, &nr, err))
    return -1;
  if (np != 3) return cm_fail(err, "%s: pos needs 3 values (x, y, z metres), got %d", at, np);
  if (nr != 4) return cm_fail(err, "%s: rot needs 4 values (quaternion x, y, z, w), got %d", at, nr);
  double qn = rot[0] * rot[0] + rot[1] * rot[1] + rot[2] * rot[2] + rot[3] * rot[3];
  if (!(qn > 1e-12)) return cm_fail(err, "%s: rot is a zero quaternion", at);
  if ((size_t)snprintf(ob->file, sizeof ob->file, "%s", file) >= sizeof ob->file)
    return cm_fail(err, "%s: file path longer than %zu characters", at, sizeof ob->file - 1);
  for (int k = 0; k < 3; k++) ob->pos[k] = (float)pos[k];
  for (int k = 0; k < 4; k++) ob->rot[k] = (float)rot[k]; /* MuJoCo normalises quat attributes */
  return 0;
}

static int scene(const cm_cfg *cfg, cm_engine_opts *opts, cm_err *err) {
  const cm_cfg *objs = cm_cfg_get(cfg, "objects");
  if (cm_cfg_require(cfg, "objects", err)) return -1; /* MimicKit reads it without a default */
  if (objs->kind != CM_CFG_SEQ) return cm_fail(err, "%s:%d: key 'objects': expected a list of {file, pos, rot}", objs->file, objs->line);
  if (objs->n > CM_MAX_STATIC_OBJECTS)
    return cm_fail(err, "%s:%d: key 'objects': %d objects, at most %d", objs->file, objs->line, objs->n, CM_MAX_STATIC_OBJECTS);
  for (int i = 0; i < objs->n; i++)
    if (parse_object(objs->items[i], i, &opts->objects[i], err)) return -1;
  opts->num_objects = objs->n;
  return 0;
}

const cm_env_type cm_env_static_objects = {
    .name = "static_objects", .keys = k_keys, .base = &cm_env_deepmimic, .scene = scene, CM_DM_ENV_HOOKS};
