/* The table of environment types by env_name (MimicKit's env_builder). */
#ifndef CM_ENV_REGISTRY_H
#define CM_ENV_REGISTRY_H
#include <stddef.h>
#include "env/env.h"

const cm_env_type *cm_env_type_find(const char *name);
/* Comma-separated names, for error messages. */
void cm_env_type_list(char *out, size_t cap);
#endif
