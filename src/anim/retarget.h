/* Motion retargeting: a clip of one character played by another, by per-frame inverse
 * kinematics on the positions and orientations of mapped body pairs.
 *
 * The mapping (data/retarget/<src>_to_<dst>.yaml, cm_retarget_map_load) names the two MJCFs, the
 * body pairs with a position and an orientation weight each, the destination's "match pose"
 * (the pose in which it looks like the source's zero pose: orientation offsets are measured
 * between the two), the feet of both, and optionally a scale.
 *
 * Targets of a frame: source body positions scaled by s (leg-length ratio: the height of the
 * destination's scale body -- its root unless the map names one, e.g. a hip -- above its feet
 * in the match pose over the source's, unless the map fixes the scale) with the
 * vertical offset that puts the destination's feet where the scaled source feet are; target
 * orientations are source orientations times the match-pose offsets. A pair may add a fixed
 * offset in the source root's frame (e.g. a quadruped's paws placed under wider hips), and/or
 * (rest_offset) the offset the pair has between the two standing match poses after scaling,
 * e.g. a robot's hips wider than the scaled human's, so legs stay as vertical as the source's.
 * A pair may instead hang from an earlier pair (anchor): its target is that pair's target plus
 * the source's vector between the two bodies times the ratio of the two limbs' lengths in the
 * match poses, so a robot with shorter arms than the scaled human's reaches the same way. Each frame is solved by
 * damped Gauss-Newton over root position, root orientation and every dof, warm-started from the
 * previous frame's solution, with a smoothness term (distance to the previous frame) and a small
 * pull towards the destination's zero pose; after every step hinge dofs are clamped to their
 * ranges and spherical joints are projected onto their three hinges' ranges. Finally the root is
 * lowered where the source foot is on the ground but the destination's floats, and lifted
 * wherever a foot (or any other part) would go below the ground: feet stay on and above it. */
#ifndef CM_RETARGET_H
#define CM_RETARGET_H
#include "anim/char.h"
#include "anim/motion.h"
#include "core/err.h"

#define CM_RETARGET_MAX_PAIRS 48
#define CM_RETARGET_MAX_FEET 8

typedef struct cm_retarget_map {
  char src_file[512], dst_file[512];
  int n;
  int src_body[CM_RETARGET_MAX_PAIRS], dst_body[CM_RETARGET_MAX_PAIRS];
  float pos_w[CM_RETARGET_MAX_PAIRS], rot_w[CM_RETARGET_MAX_PAIRS];
  float offset[CM_RETARGET_MAX_PAIRS][3]; /* added to the scaled source position, in the source root's frame */
  int rest_offset[CM_RETARGET_MAX_PAIRS]; /* also add the pair's offset between the two match poses */
  int anchor[CM_RETARGET_MAX_PAIRS];      /* -1, or an earlier pair this one's target hangs from */
  int n_src_feet, n_dst_feet;
  int src_feet[CM_RETARGET_MAX_FEET], dst_feet[CM_RETARGET_MAX_FEET];
  float match_dof[CM_MAX_DOFS];  /* destination match pose (MimicKit dofs) */
  float src_match_dof[CM_MAX_DOFS]; /* source pose the match pose corresponds to (zero unless given) */
  float scale;                    /* <= 0: from standing heights */
  int scale_src_body, scale_dst_body; /* whose heights above the feet give the scale (roots by default) */
  float smooth_w, rest_w;         /* smoothness and rest-pose weights (per dof, radians) */
  int iters;                      /* Gauss-Newton steps per frame */
  float contact_height;           /* a source foot this close to the ground (m, after scaling) is on it */
} cm_retarget_map;

typedef struct cm_retarget_stats {
  double mean_pos_err, max_pos_err;  /* m, over frames and position-weighted pairs */
  double mean_rot_err, max_rot_err;  /* rad, over frames and orientation-weighted pairs */
  double max_penetration_before;     /* m: deepest foot below the ground before the floor fix */
  double max_penetration;            /* m: deepest point of any geom below the ground after it (0) */
  int limit_violations;              /* dofs outside their ranges in the output (expected 0) */
  double scale;
  double max_dof_jump;               /* rad: largest change of a hinge dof between frames */
  double pair_pos_err[CM_RETARGET_MAX_PAIRS], pair_rot_err[CM_RETARGET_MAX_PAIRS]; /* per pair, mean */
} cm_retarget_stats;

/* Reads a mapping file and resolves its names against the two characters (loaded by the
 * caller from map->src_file / dst_file, which this fills first: call with src = dst = NULL to
 * get the file names, then again with the characters). */
int cm_retarget_map_load(const char *path, const cm_char *src, const cm_char *dst, cm_retarget_map *map, cm_err *err);

/* Retargets in (frames of src: 6 + src->num_dofs values) to out (6 + dst->num_dofs values, same
 * fps and loop mode). */
int cm_retarget(const cm_char *src, const cm_char *dst, const cm_retarget_map *map, const cm_motion *in,
                cm_motion *out, cm_retarget_stats *stats, cm_err *err);
/* The same, calling progress(user, frames done, frames) after each frame (progress may be NULL). */
typedef void (*cm_retarget_progress)(void *user, long done, long total);
int cm_retarget_ex(const cm_char *src, const cm_char *dst, const cm_retarget_map *map, const cm_motion *in,
                   cm_motion *out, cm_retarget_stats *stats, cm_retarget_progress progress, void *user, cm_err *err);
#endif
