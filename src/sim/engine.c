/* Engine selection by name: a small table maps engine_name to a constructor, like
 * MimicKit's engine_builder. Adding an engine is one file and one line here. */
#include "sim/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fault.h"
#include "sim/cuda/cuda_engine.h"
#include "sim/mujoco/mj_engine.h"

typedef int (*engine_ctor)(const cm_engine_cfg *cfg, const cm_engine_opts *opts, const char *char_file,
                           const cm_char *chr, int num_envs, cm_engine **out, cm_err *err);

static const struct {
  const char *name;
  engine_ctor create;
  int static_objects; /* builds the env's static objects into its world */
} k_engines[] = {
    {"mujoco", cm_mj_engine_create, 1},
    {"cuda", cm_cuda_engine_create, 1}, /* its packed model takes the world boxes from the mjModel */
};

int cm_engine_create(const cm_engine_cfg *cfg, const cm_engine_opts *opts, const char *char_file,
                     const cm_char *chr, int num_envs, cm_engine **out, cm_err *err) {
  *out = NULL;
  if (cm_fault_check_envs(num_envs, err)) return -1;
  size_t n = sizeof k_engines / sizeof k_engines[0];
  for (size_t i = 0; i < n; i++)
    if (!strcmp(cfg->engine_name, k_engines[i].name)) {
      if (opts->num_objects > 0 && !k_engines[i].static_objects)
        return cm_fail(err, "engine '%s' does not support static objects (env static_objects); use engine_name mujoco", cfg->engine_name);
      return k_engines[i].create(cfg, opts, char_file, chr, num_envs, out, err);
    }
  char known[256] = "";
  for (size_t i = 0; i < n; i++) {
    size_t used = strlen(known);
    snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", k_engines[i].name);
  }
  return cm_fail(err, "unknown engine_name '%s' (known: %s)", cfg->engine_name, known);
}

void cm_engine_destroy(cm_engine *e) {
  if (e && e->ops && e->ops->destroy) e->ops->destroy(e);
}

cm_engine *cm_engine_alloc(const cm_engine_cfg *cfg, const cm_engine_opts *opts, const cm_engine_ops *ops,
                           const cm_char *chr, const char *char_file, size_t impl_size, cm_err *err) {
  if (chr->num_bodies <= 0 || chr->num_bodies > CM_MAX_BODIES || chr->num_dofs < 0 || chr->num_dofs > CM_MAX_DOFS) {
    cm_fail(err, "%s: character has %d bodies and %d dofs, out of range", char_file, chr->num_bodies, chr->num_dofs);
    return NULL;
  }
  cm_engine *e = calloc(1, sizeof *e);
  void *impl = calloc(1, impl_size);
  if (!e || !impl) {
    free(e);
    free(impl);
    cm_fail(err, "out of memory");
    return NULL;
  }
  e->ops = ops;
  e->cfg = *cfg;
  e->opts = *opts;
  e->impl = impl;
  e->sim_dt = 1.0 / cfg->sim_freq;
  e->control_dt = 1.0 / cfg->control_freq;
  return e;
}
