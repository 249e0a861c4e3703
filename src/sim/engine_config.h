/* Reads an engine yaml (the files in data/engines) into a cm_engine_cfg. */
#ifndef CM_ENGINE_CONFIG_H
#define CM_ENGINE_CONFIG_H
#include "io/config.h"
#include "sim/engine.h"

int cm_engine_cfg_load(const char *path, cm_engine_cfg *out, cm_err *err);
/* An env yaml's `engine:` map (MimicKit's override_engine_config): the keys it names replace
 * cfg's values, the others stay; same keys and checks as an engine yaml. cfg is unchanged on
 * failure. */
int cm_engine_cfg_override(cm_engine_cfg *cfg, const cm_cfg *map, cm_err *err);
#endif
