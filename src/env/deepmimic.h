/* The deepmimic env type's state, for drivers other than the CPU one (a GPU copy) and tests:
 * its settings, its batched reference buffers and its motion library. */
#ifndef CM_DEEPMIMIC_H
#define CM_DEEPMIMIC_H
#include "anim/motion_lib.h"
#include "env/deepmimic_params.h"
#include "env/deepmimic_ref.h"
#include "env/env.h"

extern const cm_env_type cm_env_deepmimic;

/* NULL when e is not a deepmimic env. */
const cm_dm_params *cm_deepmimic_params(const cm_env *e);
cm_dm_buf *cm_deepmimic_buf(cm_env *e);
const cm_motion_lib_view *cm_deepmimic_motions(const cm_env *e);
#endif
