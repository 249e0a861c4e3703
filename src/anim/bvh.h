/* BVH motion capture files -> a character MJCF plus a MimicKit motion.
 *
 * BVH (Biovision hierarchy): HIERARCHY with ROOT / JOINT / End Site blocks, each an OFFSET from
 * its parent and CHANNELS (Xposition.. on the root, Zrotation Xrotation Yrotation in any order,
 * degrees), then MOTION: "Frames: N", "Frame Time: dt" and N lines of channel values. A joint's
 * local rotation is the product of its rotation channels in the order listed,
 * R = R_c1(a1) R_c2(a2) R_c3(a3), as in every BVH exporter.
 *
 * Axes: BVH files are Y-up with the character facing +Z (LAFAN1, CMU, Mixamo exports), so
 * vectors map to MimicKit's Z-up, X-forward frame by (x, y, z) -> (z, x, y), a proper rotation.
 * The rest pose of the written MJCF is the BVH's zero pose; every joint with rotation channels
 * becomes three hinges x, y, z (a MimicKit spherical joint, its dofs the exp-map of R), every
 * End Site a fixed body "<parent>_end". Only the root may have position channels. */
#ifndef CM_BVH_H
#define CM_BVH_H
#include "anim/motion.h"
#include "core/err.h"

#define CM_BVH_MAX_JOINTS 64

typedef struct cm_bvh {
  int num_joints;                 /* End Sites included (they have no channels) */
  char name[CM_BVH_MAX_JOINTS][64];
  int parent[CM_BVH_MAX_JOINTS];
  double offset[CM_BVH_MAX_JOINTS][3];
  int num_channels[CM_BVH_MAX_JOINTS];
  char channel[CM_BVH_MAX_JOINTS][6]; /* 'X','Y','Z' rotations, 'x','y','z' positions */
  int first_channel[CM_BVH_MAX_JOINTS];
  int channels_per_frame, num_frames;
  double frame_time;
  double *values;                 /* num_frames * channels_per_frame */
} cm_bvh;

int cm_bvh_parse(const char *text, const char *name, cm_bvh *out, cm_err *err);
void cm_bvh_free(cm_bvh *b);
/* The character: MJCF text (malloc'd); scale converts BVH units to metres (0.01 for cm). */
int cm_bvh_mjcf(const cm_bvh *b, double scale, char **xml, cm_err *err);
/* The motion in MimicKit frames for that character (wrap loop mode unless clamp). */
int cm_bvh_motion(const cm_bvh *b, double scale, int loop_mode, cm_motion *out, cm_err *err);
#endif
