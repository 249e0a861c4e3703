/* DeepMimic humanoid3d clips (JSON: "Loop", "Frames") -> MimicKit motion frames for the
 * `humanoid` character.
 *
 * DeepMimic frame (44 numbers): duration, root pos (Y-up), root quat wxyz, then chest 4, neck 4,
 * right hip 4, right knee 1, right ankle 4, right shoulder 4, right elbow 1, left hip 4,
 * left knee 1, left ankle 4, left shoulder 4, left elbow 1.
 * MimicKit frame (34 numbers, Z-up): root pos 3, root rot exp-map 3, then the humanoid's dofs in
 * body order: torso 3, head 3, right_upper_arm 3, right_lower_arm 1, left_upper_arm 3,
 * left_lower_arm 1, right_thigh 3, right_shin 1, right_foot 3, left_thigh 3, left_shin 1,
 * left_foot 3 (spherical joints as exp-maps with angle in [0, pi], hinges as angles).
 *
 * Axes: DeepMimic is x forward, y up, z right; MimicKit is x forward, y left, z up, so vectors
 * map by M = rotation of +90 deg about x and rotations by conjugation with M. DeepMimic's rest
 * pose has the arms hanging down, MimicKit's is a T-pose: the shoulders absorb that difference
 * (see deepmimic_convert.c). */
#ifndef CM_DEEPMIMIC_CONVERT_H
#define CM_DEEPMIMIC_CONVERT_H
#include "anim/char.h"
#include "anim/motion.h"
#include "core/err.h"

#define CM_DM_HUMANOID_FRAME_DIM 44
#define CM_MK_HUMANOID_FRAME_DIM 34

/* One frame: dm has CM_DM_HUMANOID_FRAME_DIM values (duration first), mk receives
 * CM_MK_HUMANOID_FRAME_DIM. Quaternions need not be exactly unit. */
void cm_deepmimic_frame_to_mimickit(const double *dm, float *mk);

/* Parses a whole clip from JSON text; name labels messages ("<name>: frame 3 has 43 values ...").
 * fps = 1 / first frame's duration; loop_mode: "wrap" -> CM_LOOP_WRAP, "none" (or absent) ->
 * CM_LOOP_CLAMP. When later frames (all but the last, which DeepMimic sets to 0) have another
 * duration, *warn (if non-NULL) gets a one-line note and the first duration is kept; otherwise
 * warn->msg is set to "". out->frames is malloc'd (cm_motion_free releases it). */
int cm_deepmimic_parse(const char *json_text, const char *name, cm_motion *out, cm_err *warn,
                       cm_err *err);

/* Any other DeepMimic character (e.g. dog3d) whose MJCF lists its bodies in the DeepMimic joint
 * order with the same offsets (Z-up), revolute joints as one hinge about -y (DeepMimic's z) and
 * spherical joints as three hinges: each spherical joint's quaternion becomes its exp-map, each
 * revolute angle is kept, nothing absorbs a rest-pose difference (unlike the humanoid). */
int cm_deepmimic_parse_char(const char *json_text, const char *name, const cm_char *chr, cm_motion *out,
                            cm_err *warn, cm_err *err);

/* Reads a DeepMimic clip file and writes the MimicKit .pkl (atomically): a humanoid3d clip when
 * chr is NULL, else a clip of that character. Prints a duration warning, if any, to stderr. */
int cm_convert_deepmimic_file(const char *in, const char *out, const cm_char *chr, cm_err *err);
#endif
