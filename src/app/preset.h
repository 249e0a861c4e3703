/* --preset fast|heavy|beast: a named set of agent settings for a purpose (quick tests, normal
 * training, the most GPU work per iteration), in data/agents/presets/<name>.yaml so a user can
 * read it (docs/PRESETS.md). A preset is an overlay: its keys are agent-yaml keys laid over the
 * agent yaml (maps such as model: merged key by key), except num_envs, which stands in for the
 * --num_envs of the arg file. Precedence, strongest first:
 *   the command line (--num_envs) > the preset > the arg file > the built-in defaults.
 * --preset also takes a path to any yaml of the same form. */
#ifndef CM_APP_PRESET_H
#define CM_APP_PRESET_H
#include "io/args.h"
#include "io/config.h"

#define CM_PRESET_DIR "data/agents/presets"

/* The preset file for name: CM_PRESET_DIR/<name>.yaml, or name itself when it contains '/' or
 * ends in .yaml. An unknown name fails with one line that lists the presets there. */
int cm_preset_load(const char *name, cm_cfg **out, cm_err *err);

/* When args has --preset: loads it into *preset (else *preset = NULL) and applies its num_envs
 * to args (cm_args_set_default: an arg file's --num_envs gives way, the command line's wins).
 * Call after the arg file is loaded and before the flags are read. */
int cm_preset_apply_args(cm_args *args, cm_cfg **preset, cm_err *err);

/* The agent yaml at agent_file with the preset (may be NULL) laid over it: the tree the agent is
 * built from and config.yaml records. */
int cm_preset_agent_cfg(const char *agent_file, const cm_cfg *preset, cm_cfg **out, cm_err *err);
#endif
