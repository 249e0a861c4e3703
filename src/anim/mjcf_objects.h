/* The XML of an env's static objects for the world of a compiled scene (cm_mjcf_normalise with
 * add_scene): each object file's <worldbody> content inside a body "static_object<i>" at the
 * object's pose, its names prefixed "static_object<i>_" so one file placed twice compiles. */
#ifndef CM_MJCF_OBJECTS_H
#define CM_MJCF_OBJECTS_H
#include "core/bytebuf.h"
#include "core/err.h"
#include "anim/static_object.h"

int cm_mjcf_objects_xml(const cm_static_object *objs, int n, cm_buf *out, cm_err *err);
#endif
