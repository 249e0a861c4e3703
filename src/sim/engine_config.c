#include "sim/engine_config.h"

#include <stdio.h>
#include <string.h>
#include "io/config.h"

static const char *const k_keys[] = {"engine_name", "control_mode", "control_freq", "sim_freq",
                                     "env_spacing", "ground_contact_height", "num_threads", NULL};

static int parse_control_mode(const char *s, int *out) {
  static const struct { const char *name; int mode; } k_modes[] = {
      {"none", CM_CTRL_NONE}, {"pos", CM_CTRL_POS}, {"vel", CM_CTRL_VEL},
      {"torque", CM_CTRL_TORQUE}, {"pd_explicit", CM_CTRL_PD_EXPLICIT}};
  for (size_t i = 0; i < sizeof k_modes / sizeof k_modes[0]; i++)
    if (!strcmp(s, k_modes[i].name)) { *out = k_modes[i].mode; return 0; }
  return -1;
}

static const char *control_mode_name(int mode) {
  switch (mode) {
    case CM_CTRL_NONE: return "none";
    case CM_CTRL_VEL: return "vel";
    case CM_CTRL_TORQUE: return "torque";
    case CM_CTRL_PD_EXPLICIT: return "pd_explicit";
    default: return "pos";
  }
}

/* Reads the keys present in map over *out: absent keys keep out's values (the file's defaults
 * for a whole engine yaml, the engine yaml's values for an env-level override). */
static int apply_map(const cm_cfg *cfg, const char *where, cm_engine_cfg *out, cm_err *err) {
  const char *name = NULL, *mode = NULL;
  long cf = 0, sf = 0, threads = 0;
  double spacing = 0, gch = 0;
  if (cm_cfg_check_keys(cfg, k_keys, err) || cm_cfg_str(cfg, "engine_name", out->engine_name[0] ? out->engine_name : NULL, &name, err) ||
      cm_cfg_str(cfg, "control_mode", control_mode_name(out->control_mode), &mode, err) ||
      cm_cfg_int(cfg, "control_freq", out->control_freq, &cf, err) || cm_cfg_int(cfg, "sim_freq", out->sim_freq, &sf, err) ||
      cm_cfg_float(cfg, "env_spacing", out->env_spacing, &spacing, err) ||
      cm_cfg_float(cfg, "ground_contact_height", out->ground_contact_height, &gch, err) ||
      cm_cfg_int(cfg, "num_threads", out->num_threads, &threads, err))
    return -1;
  if (!name) return cm_fail(err, "%s: missing required key 'engine_name'", where);
  if (!strcmp(name, "isaac_gym") || !strcmp(name, "isaac_lab") || !strcmp(name, "newton"))
    return cm_fail(err, "%s: engine_name '%s' is a MimicKit engine that cmimic does not have; use data/engines/mujoco_engine.yaml", where, name);
  char name_copy[sizeof out->engine_name];
  snprintf(name_copy, sizeof name_copy, "%s", name);
  if (parse_control_mode(mode, &out->control_mode))
    return cm_fail(err, "%s: control_mode '%s' is not one of none, pos, vel, torque, pd_explicit", where, mode);
  if (cf <= 0 || sf <= 0 || sf % cf != 0)
    return cm_fail(err, "%s: sim_freq (%ld) must be a positive multiple of control_freq (%ld)", where, sf, cf);
  snprintf(out->engine_name, sizeof out->engine_name, "%s", name_copy);
  out->control_freq = (int)cf;
  out->sim_freq = (int)sf;
  out->env_spacing = (float)spacing;
  out->ground_contact_height = (float)gch;
  out->num_threads = (int)threads;
  return 0;
}

int cm_engine_cfg_load(const char *path, cm_engine_cfg *out, cm_err *err) {
  cm_cfg *cfg = NULL;
  if (cm_cfg_load(path, &cfg, err)) return -1;
  memset(out, 0, sizeof *out);
  out->control_mode = CM_CTRL_POS;
  out->control_freq = 30;
  out->sim_freq = 120;
  out->env_spacing = 5.0f;
  out->ground_contact_height = 0.3f;
  int rc = apply_map(cfg, path, out, err);
  cm_cfg_free(cfg);
  return rc;
}

int cm_engine_cfg_override(cm_engine_cfg *cfg, const cm_cfg *map, cm_err *err) {
  char where[1200];
  snprintf(where, sizeof where, "%s:%d: key 'engine'", map->file, map->line);
  if (map->kind != CM_CFG_MAP) return cm_fail(err, "%s: expected a map of engine settings", where);
  cm_engine_cfg t = *cfg;
  if (apply_map(map, where, &t, err)) return -1;
  *cfg = t;
  return 0;
}
