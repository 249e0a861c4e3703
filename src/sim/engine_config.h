/* Reads an engine yaml (the files in data/engines) into a cm_engine_cfg. */
#ifndef CM_ENGINE_CONFIG_H
#define CM_ENGINE_CONFIG_H
#include "sim/engine.h"

int cm_engine_cfg_load(const char *path, cm_engine_cfg *out, cm_err *err);
#endif
