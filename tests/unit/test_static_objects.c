/* Static objects (env static_objects): the MJCF objects an env yaml places go into the compiled
 * world at their pose, once per name, and the character collides with them in the mujoco
 * engine (MuJoCo's own contacts as the oracle: a character dropped on a platform rests on its
 * top, the same drop without it reaches the floor); bad object files and engines without
 * object support fail with one clear message; the env yaml's objects and engine: override
 * reach the engine. */
#include <mujoco/mujoco.h>
#include <string.h>
#include "anim/char.h"
#include "check.h"
#include "env/env.h"
#include "sim/engine.h"
#include "sim/engine_config.h"
#include "anim/mjcf.h"

#define HUMANOID "data/assets/humanoid/humanoid.xml"
#define VAULT_BOX "data/assets/objects/vault_box.xml"
#define WIDE_BOX "tests/data/engine/wide_box.xml"

static cm_char hum;

static void quiet(const char *msg) { (void)msg; }

static cm_static_object object(const char *file, float x, float y, float z, const float *rot) {
  cm_static_object o = {.pos = {x, y, z}, .rot = {0, 0, 0, 1}};
  strcpy(o.file, file);
  if (rot) memcpy(o.rot, rot, sizeof o.rot);
  return o;
}

/* Two copies of one file: both compile (names prefixed), at their poses, welded to the world. */
static void test_compiled_world(void) {
  const float s = 0.70710678f, yaw90[4] = {0, 0, s, s};
  cm_static_object objs[2] = {object(VAULT_BOX, 2.2f, 0.5f, 0.2f, NULL), object(VAULT_BOX, -1.f, 0.f, 0.3f, yaw90)};
  cm_mjcf_opts mo = {.add_scene = 1, .num_objects = 2, .objects = objs};
  mjModel *m = NULL;
  cm_err err = {0};
  CHECK_OK(cm_mjcf_compile(HUMANOID, &mo, &m, NULL, &err), &err);
  if (!m) return;
  mjData *d = mj_makeData(m);
  mj_forward(m, d);
  for (int i = 0; i < 2; i++) {
    char body[32], geom[48];
    snprintf(body, sizeof body, "static_object%d", i);
    snprintf(geom, sizeof geom, "static_object%d_vault_box", i);
    int b = mj_name2id(m, mjOBJ_BODY, body), g = mj_name2id(m, mjOBJ_GEOM, geom);
    CHECK(b > 0 && g >= 0);
    if (b <= 0 || g < 0) continue;
    CHECK(m->body_weldid[b] == 0 && m->body_weldid[m->geom_bodyid[g]] == 0 && m->body_parentid[m->geom_bodyid[g]] == b);
    for (int k = 0; k < 3; k++) CHECK_NEAR(d->geom_xpos[3 * g + k], objs[i].pos[k], 1e-6);
    /* the box is 0.15 x 0.6 x 0.2 half-extents; turned 90 deg about z, its local x is world y */
    CHECK_NEAR(m->geom_size[3 * g + 0], 0.15, 1e-9);
    double xw[3] = {d->geom_xmat[9 * g + 0], d->geom_xmat[9 * g + 3], d->geom_xmat[9 * g + 6]};
    CHECK_NEAR(xw[0], i == 0 ? 1.0 : 0.0, 1e-6);
    CHECK_NEAR(xw[1], i == 0 ? 0.0 : 1.0, 1e-6);
  }
  mj_deleteData(d);
  mj_deleteModel(m);
}

/* The humanoid dropped at rest from 0.5 m above a platform 0.4 m tall: after 1.5 s its lowest
 * body rests on the platform's top; without the platform it rests on the floor. */
static float lowest_body_after_drop(const char *engine, int with_platform) {
  cm_engine_cfg cfg = {.engine_name = "", .control_mode = CM_CTRL_POS, .control_freq = 30, .sim_freq = 120,
                       .env_spacing = 5, .ground_contact_height = 0.3f, .num_threads = 1};
  snprintf(cfg.engine_name, sizeof cfg.engine_name, "%s", engine);
  cm_engine_opts opts = {0};
  if (with_platform) {
    opts.objects[0] = object(WIDE_BOX, 0, 0, 0.2f, NULL);
    opts.num_objects = 1;
  }
  cm_engine *e = NULL;
  cm_err err = {0};
  CHECK_OK(cm_engine_create(&cfg, &opts, HUMANOID, &hum, 1, &e, &err), &err);
  if (!e) return -1;
  cm_sim_state *s = &e->st;
  memset(s->dof_pos, 0, sizeof(float) * (size_t)hum.num_dofs);
  s->root_pos[2] = 0.4f + 0.9f + 0.5f;
  e->ops->push_state(e, NULL, 0);
  float tgt[CM_MAX_DOFS] = {0};
  e->ops->set_targets(e, tgt);
  for (int t = 0; t < 45; t++) CHECK_OK(e->ops->step(e, &err), &err);
  float low = 1e9f;
  int lowest = 0;
  for (int b = 0; b < hum.num_bodies; b++)
    if (s->body_pos[3 * b + 2] < low) low = s->body_pos[3 * b + 2], lowest = b;
  /* resting on the platform or the floor, the lowest body reports its contact */
  CHECK(s->ground_contact[lowest] == 1);
  cm_engine_destroy(e);
  return low;
}

static void test_collision(void) {
  /* both engines: the cuda engine's packed model takes the box from the same mjModel */
  const char *engines[] = {"mujoco", "cuda"};
  float on[2], off[2];
  for (int k = 0; k < 2; k++) {
    on[k] = lowest_body_after_drop(engines[k], 1), off[k] = lowest_body_after_drop(engines[k], 0);
    /* a body origin sits within a foot's half-height (< 0.1 m) of the surface it rests on */
    CHECK(on[k] > 0.4f && on[k] < 0.5f);
    CHECK(off[k] > 0.0f && off[k] < 0.1f);
  }
  /* at rest the two engines agree on where the lowest body sits (MuJoCo's own rest height) */
  CHECK_NEAR(on[1], on[0], 2e-3);
  CHECK_NEAR(off[1], off[0], 2e-3);
}

static void test_errors(void) {
  cm_err err = {0};
  cm_engine *e = NULL;
  cm_engine_cfg cfg = {.engine_name = "mujoco", .control_mode = CM_CTRL_POS, .control_freq = 30, .sim_freq = 120};
  cm_engine_opts opts = {.num_objects = 1};
  opts.objects[0] = object("tests/data/engine/box_with_joint.xml", 0, 0, 0, NULL);
  CHECK(cm_engine_create(&cfg, &opts, HUMANOID, &hum, 1, &e, &err) == -1 && !e);
  CHECK(strstr(err.msg, "box_with_joint.xml: static object 0: <joint> is not supported") != NULL);
  opts.objects[0] = object("tests/data/engine/no_such_box.xml", 0, 0, 0, NULL);
  CHECK(cm_engine_create(&cfg, &opts, HUMANOID, &hum, 1, &e, &err) == -1 && !e);
  CHECK(strstr(err.msg, "no_such_box.xml") != NULL);
  strcpy(cfg.engine_name, "cuda"); /* the same refusal through the cuda engine's compile */
  opts.objects[0] = object("tests/data/engine/box_with_joint.xml", 0, 0, 0, NULL);
  CHECK(cm_engine_create(&cfg, &opts, HUMANOID, &hum, 1, &e, &err) == -1 && !e);
  CHECK(strstr(err.msg, "box_with_joint.xml: static object 0: <joint> is not supported") != NULL);
}

/* The vault env reads its objects from the yaml; go2's env yaml overrides ground_contact_height. */
static void test_env_yaml(void) {
  cm_engine_cfg cfg;
  cm_err err = {0};
  CHECK_OK(cm_engine_cfg_load("data/engines/mujoco_engine.yaml", &cfg, &err), &err);
  cfg.num_threads = 1;
  cm_env *e = NULL;
  CHECK_OK(cm_env_create("data/envs/vault_humanoid_env.yaml", &cfg, 1, 7, &e, &err), &err);
  if (e) {
    CHECK(e->engine->opts.num_objects == 1);
    CHECK_NEAR(e->engine->opts.objects[0].pos[0], 2.2, 1e-6);
    CHECK_NEAR(e->engine->opts.objects[0].pos[2], 0.2, 1e-6);
    CHECK(!strcmp(e->engine->opts.objects[0].file, VAULT_BOX));
    cm_env_destroy(e);
  }
  e = NULL;
  CHECK_NEAR(cfg.ground_contact_height, 0.3, 1e-6); /* the engine yaml's own value */
  CHECK_OK(cm_env_create("data/envs/deepmimic_go2_env.yaml", &cfg, 1, 7, &e, &err), &err);
  if (e) {
    CHECK_NEAR(e->engine->cfg.ground_contact_height, 0.15, 1e-6);
    cm_env_destroy(e);
  }
  cm_cfg *bad = NULL;
  CHECK_OK(cm_cfg_parse("bad.yaml", "ground_contact_hieght: 0.2\n", &bad, &err), &err);
  CHECK(cm_engine_cfg_override(&cfg, bad, &err) == -1);
  CHECK(strstr(err.msg, "unknown key 'ground_contact_hieght'") != NULL);
  cm_cfg_free(bad);
}

int main(void) {
  mju_user_warning = quiet;
  cm_err err = {0};
  CHECK_OK(cm_char_load(HUMANOID, &hum, &err), &err);
  test_compiled_world();
  test_collision();
  test_errors();
  test_env_yaml();
  return check_report("test_static_objects");
}
