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

int cm_engine_cfg_load(const char *path, cm_engine_cfg *out, cm_err *err) {
  cm_cfg *cfg = NULL;
  if (cm_cfg_load(path, &cfg, err)) return -1;
  memset(out, 0, sizeof *out);
  const char *name = NULL, *mode = NULL;
  long cf = 0, sf = 0, threads = 0;
  double spacing = 0, gch = 0;
  int rc = -1;
  if (cm_cfg_check_keys(cfg, k_keys, err) || cm_cfg_str(cfg, "engine_name", NULL, &name, err) ||
      cm_cfg_str(cfg, "control_mode", "pos", &mode, err) || cm_cfg_int(cfg, "control_freq", 30, &cf, err) ||
      cm_cfg_int(cfg, "sim_freq", 120, &sf, err) || cm_cfg_float(cfg, "env_spacing", 5.0, &spacing, err) ||
      cm_cfg_float(cfg, "ground_contact_height", 0.3, &gch, err) || cm_cfg_int(cfg, "num_threads", 0, &threads, err))
    goto done;
  if (!name) {
    cm_fail(err, "%s: missing required key 'engine_name'", path);
    goto done;
  }
  if (!strcmp(name, "isaac_gym") || !strcmp(name, "isaac_lab") || !strcmp(name, "newton")) {
    cm_fail(err, "%s: engine_name '%s' is a MimicKit engine that cmimic does not have; use data/engines/mujoco_engine.yaml", path, name);
    goto done;
  }
  snprintf(out->engine_name, sizeof out->engine_name, "%s", name);
  if (parse_control_mode(mode, &out->control_mode)) {
    cm_fail(err, "%s: control_mode '%s' is not one of none, pos, vel, torque, pd_explicit", path, mode);
    goto done;
  }
  if (cf <= 0 || sf <= 0 || sf % cf != 0) {
    cm_fail(err, "%s: sim_freq (%ld) must be a positive multiple of control_freq (%ld)", path, sf, cf);
    goto done;
  }
  out->control_freq = (int)cf;
  out->sim_freq = (int)sf;
  out->env_spacing = (float)spacing;
  out->ground_contact_height = (float)gch;
  out->num_threads = (int)threads;
  rc = 0;
done:
  cm_cfg_free(cfg);
  return rc;
}
