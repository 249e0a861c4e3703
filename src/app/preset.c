/* Agent presets: yaml overlays under data/agents/presets/ (see preset.h). */
#include "app/preset.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include "core/fileio.h"

static const char *const k_run_keys[] = {"num_envs", NULL}; /* a preset's keys that are not the agent's */

#define MAX_PRESETS 32

/* The names of the .yaml files in CM_PRESET_DIR, sorted; -1 when the folder is missing. */
static int preset_names(char names[MAX_PRESETS][64]) {
  DIR *d = opendir(CM_PRESET_DIR);
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < MAX_PRESETS;) {
    size_t len = strlen(e->d_name);
    if (len <= 5 || len - 5 >= 64 || strcmp(e->d_name + len - 5, ".yaml")) continue;
    snprintf(names[n], 64, "%.*s", (int)(len - 5), e->d_name);
    for (int i = n++; i > 0 && strcmp(names[i - 1], names[i]) > 0; i--) { /* insertion sort */
      char t[64];
      memcpy(t, names[i], sizeof t);
      memcpy(names[i], names[i - 1], sizeof t);
      memcpy(names[i - 1], t, sizeof t);
    }
  }
  closedir(d);
  return n;
}

/* "unknown preset 'fats' (did you mean 'fast'?; known: beast, fast, heavy)" */
static int unknown_preset(const char *name, cm_err *err) {
  char names[MAX_PRESETS][64], known[MAX_PRESETS * 66] = "";
  int n = preset_names(names);
  if (n < 0) return cm_fail(err, "--preset %s: %s/ is missing (run cmimic from its folder)", name, CM_PRESET_DIR);
  const char *list[MAX_PRESETS + 1];
  size_t k = 0;
  for (int i = 0; i < n; i++) {
    list[i] = names[i];
    k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", names[i]);
  }
  list[n] = NULL;
  const char *near = cm_closest_name(name, list);
  if (near) return cm_fail(err, "--preset: unknown preset '%s' (did you mean '%s'? known: %s)", name, near, known);
  return cm_fail(err, "--preset: unknown preset '%s' (known: %s)", name, known);
}

int cm_preset_load(const char *name, cm_cfg **out, cm_err *err) {
  *out = NULL;
  size_t len = strlen(name);
  int is_path = strchr(name, '/') || (len > 5 && !strcmp(name + len - 5, ".yaml"));
  char path[1100];
  if (is_path) snprintf(path, sizeof path, "%s", name);
  else snprintf(path, sizeof path, "%s/%s.yaml", CM_PRESET_DIR, name);
  if (is_path && !cm_file_exists(path)) return cm_fail(err, "--preset: no such file '%s'", name);
  if (!is_path && (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len || !cm_file_exists(path)))
    return unknown_preset(name, err);
  cm_cfg *cfg = NULL;
  if (cm_cfg_load(path, &cfg, err)) return cm_wrap(err, "--preset %s", name);
  if (cfg->kind != CM_CFG_MAP) {
    cm_cfg_free(cfg);
    return cm_fail(err, "%s: a preset is a map of agent-yaml keys (and num_envs)", path);
  }
  *out = cfg;
  return 0;
}

int cm_preset_apply_args(cm_args *args, cm_cfg **preset, cm_err *err) {
  *preset = NULL;
  const char *name = cm_args_str(args, "preset", NULL);
  if (!name) return 0;
  cm_cfg *p = NULL;
  if (cm_preset_load(name, &p, err)) return -1;
  const cm_cfg *n = cm_cfg_get(p, "num_envs");
  if (n) {
    long v;
    if (cm_cfg_as_int(n, "num_envs", &v, err)) goto fail;
    if (v < 1) {
      cm_fail(err, "%s:%d: key 'num_envs': must be at least 1, got %ld", n->file, n->line, v);
      goto fail;
    }
    char text[32];
    snprintf(text, sizeof text, "%ld", v);
    if (cm_args_set_default(args, "num_envs", text, n->file, n->line, err) < 0) goto fail;
  }
  *preset = p;
  return 0;
fail:
  cm_cfg_free(p);
  return -1;
}

int cm_preset_agent_cfg(const char *agent_file, const cm_cfg *preset, cm_cfg **out, cm_err *err) {
  *out = NULL;
  cm_cfg *root = NULL;
  if (cm_cfg_load(agent_file, &root, err)) return -1;
  if (preset) {
    if (root->kind != CM_CFG_MAP) {
      cm_cfg_free(root);
      return cm_fail(err, "%s: agent config is not a map", agent_file);
    }
    if (cm_cfg_merge(root, preset, k_run_keys, err)) {
      cm_cfg_free(root);
      return cm_wrap(err, "applying the preset %s", preset->file);
    }
  }
  *out = root;
  return 0;
}
