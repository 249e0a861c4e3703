/* A static object of an env's scene (MimicKit's static_objects env: a rigid body with a fixed
 * root, from an MJCF file, at a given pose): the engine adds it to the world of every env. */
#ifndef CM_STATIC_OBJECT_H
#define CM_STATIC_OBJECT_H

#define CM_MAX_STATIC_OBJECTS 16

typedef struct cm_static_object {
  char file[256]; /* MJCF whose <worldbody> holds the object's bodies and geoms (no joints) */
  float pos[3];   /* world position of the object's frame */
  float rot[4];   /* world orientation, quaternion xyzw (MimicKit's convention) */
} cm_static_object;
#endif
