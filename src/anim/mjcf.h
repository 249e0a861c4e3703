/* Compiles an MJCF file with libmujoco after normalising it: attributes newer than the
 * installed MuJoCo (2.2.2) are removed instead of rejecting the file (joint
 * actuatorfrcrange is kept aside as a torque limit), and a scene can be added around the
 * character (ground plane with a grid, lights, offscreen buffer size). */
#ifndef CM_MJCF_H
#define CM_MJCF_H
#include <mujoco/mujoco.h>
#include "core/err.h"
#include "anim/static_object.h"

#define CM_MJCF_MAX_LIMITS 256

typedef struct cm_mjcf_opts {
  int add_scene;   /* ground plane "cm_floor", grid texture, lights, offscreen buffer */
  int fix_root;    /* drop the root body's free joint and make it a mocap body: welded to the
                      world, placed through mocap_pos/quat */
  int num_objects; /* with add_scene: static objects put into the world, each wrapped in a body
                      "static_object<i>" at its pose, their names prefixed "static_object<i>_" */
  const cm_static_object *objects;
} cm_mjcf_opts;

/* Torque limits found in attributes MuJoCo 2.2.2 does not know (joint actuatorfrcrange). */
typedef struct cm_mjcf_limits {
  int count;
  char joint[CM_MJCF_MAX_LIMITS][64];
  double lo[CM_MJCF_MAX_LIMITS], hi[CM_MJCF_MAX_LIMITS];
} cm_mjcf_limits;

/* limits may be NULL. On success *out is a model the caller frees with mj_deleteModel. */
int cm_mjcf_compile(const char *path, const cm_mjcf_opts *opts, mjModel **out, cm_mjcf_limits *limits, cm_err *err);
/* The normalised XML text itself (malloc'd), for tests and for tools that print it. */
int cm_mjcf_normalise(const char *path, const char *text, const cm_mjcf_opts *opts, char **out,
                      cm_mjcf_limits *limits, cm_err *err);
#endif
