/* How low a character's geoms reach in a pose: the lowest point (world z) of the collision
 * shapes of chosen bodies, from the MuJoCo model compiled from the character's own MJCF (exact
 * for spheres, capsules, boxes and cylinders; other shapes use their bounding sphere). Used by
 * retargeting to keep feet on and above the ground and to measure foot penetration. */
#ifndef CM_LOWEST_POINT_H
#define CM_LOWEST_POINT_H
#include "anim/char.h"
#include "core/err.h"

typedef struct cm_lowest cm_lowest;

int cm_lowest_open(const char *char_file, const cm_char *c, cm_lowest **out, cm_err *err);
void cm_lowest_close(cm_lowest *l);
/* Lowest z of the geoms of the listed bodies (cm_char ids; n = 0: every body) in the pose. */
float cm_lowest_z(cm_lowest *l, const float *root_pos, const float *root_rot, const float *dof, const int *bodies,
                  int n);
#endif
