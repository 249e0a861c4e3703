#include "env/env_registry.h"

#include <stdio.h>
#include <string.h>

extern const cm_env_type cm_env_view_motion, cm_env_char_dof_test, cm_env_deepmimic;
extern const cm_env_type cm_env_amp, cm_env_ase, cm_env_add, cm_env_task_location, cm_env_task_steering;
extern const cm_env_type cm_env_static_objects;

/* Adding an environment = one file defining a cm_env_type and one line here. */
static const cm_env_type *const k_types[] = {&cm_env_view_motion, &cm_env_char_dof_test, &cm_env_deepmimic,
                                             &cm_env_amp, &cm_env_ase, &cm_env_add,
                                             &cm_env_task_location, &cm_env_task_steering,
                                             &cm_env_static_objects, NULL};

const cm_env_type *cm_env_type_find(const char *name) {
  for (int i = 0; k_types[i]; i++)
    if (!strcmp(k_types[i]->name, name)) return k_types[i];
  return NULL;
}

void cm_env_type_list(char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (int i = 0; k_types[i] && n < cap; i++) n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", k_types[i]->name);
}
