/* The motion library (MimicKit's MotionLib): one clip (.pkl) or a weighted dataset (.yaml) of
 * clips for one character, preprocessed at load into flat per-frame arrays (root position and
 * rotation, joint rotations, root and dof velocities) that per-environment code samples and
 * interpolates (motion_lib_eval.h). Built once, never changed afterwards.
 *
 * Dataset files use MimicKit's format:
 *   motions:
 *     - file: "data/motions/humanoid/humanoid_walk.pkl"
 *       weight: 3.0
 * Paths are taken as written (relative to the working directory, as MimicKit does); a missing
 * weight counts as 1.0; weights are normalised to sum to 1. */
#ifndef CM_MOTION_LIB_H
#define CM_MOTION_LIB_H
#include "anim/char.h"
#include "anim/motion.h"
#include "core/err.h"

/* The arrays the evaluation functions read. It holds only counts and pointers, so a GPU copy is
 * the same struct with device pointers to copies of the same arrays. Frames of all clips are
 * concatenated; clip m owns frames [start[m], start[m] + num_frames[m]). */
typedef struct cm_motion_lib_view {
  int num_motions, total_frames;
  int num_joints; /* character bodies - 1: one rotation per non-root body (fixed ones identity) */
  int num_dofs;
  /* per motion */
  const float *weight;         /* normalised */
  const float *weight_cdf;     /* running sum of weight, last entry exactly 1 */
  const float *fps, *length;   /* length = (num_frames - 1) / fps seconds */
  const int *num_frames, *start, *loop_mode; /* loop_mode: CM_LOOP_CLAMP / CM_LOOP_WRAP */
  const float *root_pos_delta; /* 3 per motion: last root pos - first, z set to 0 */
  /* per frame */
  const float *root_pos;     /* 3 */
  const float *root_rot;     /* 4, x y z w */
  const float *root_vel;     /* 3, world frame, forward difference (last frame repeats) */
  const float *root_ang_vel; /* 3, world frame: exp-map of q1 q0^-1 times fps */
  const float *joint_rot;    /* num_joints * 4, local rotations with w >= 0 */
  const float *dof_vel;      /* num_dofs: exp-map of q0^-1 q1 times fps (hinges: its axis part) */
} cm_motion_lib_view;

typedef struct cm_motion_lib {
  int num_motions, total_frames, num_joints, num_dofs, frame_dim;
  char **files;        /* per motion: the .pkl path as given */
  float *weight, *weight_cdf, *fps, *length, *root_pos_delta;
  int *num_frames, *start, *loop_mode;
  float *frames;       /* the clips' raw frames, total_frames * frame_dim */
  float *root_pos, *root_rot, *root_vel, *root_ang_vel, *joint_rot, *dof_vel;
} cm_motion_lib;

/* Loads a .pkl clip (weight 1) or a .yaml / .yml dataset for character c. Every clip must have
 * 6 + c->num_dofs values per frame and at least 2 frames. */
/* Reads a dataset yaml into parallel arrays of paths (pointing into *cfg), weights and the yaml
 * line of each entry (*list_line: the line of 'motions'), without opening the clips. The caller
 * frees *files, *weights, *lines and *cfg (set NULL first), also on failure. */
typedef struct cm_cfg cm_cfg;
int cm_motion_dataset_read(const char *path, cm_cfg **cfg, const char ***files, double **weights, int **lines,
                           int *list_line, int *count, cm_err *err);
int cm_motion_lib_load(const char *path, const cm_char *c, cm_motion_lib *out, cm_err *err);
/* Builds the library from clips already in memory (weights need not be normalised); names label
 * messages and are kept as the clips' files. Used by the loader and by tests. */
int cm_motion_lib_build(const cm_motion *clips, const double *weights, const char *const *names, int n,
                        const cm_char *c, cm_motion_lib *out, cm_err *err);
void cm_motion_lib_free(cm_motion_lib *lib);
cm_motion_lib_view cm_motion_lib_host_view(const cm_motion_lib *lib);
double cm_motion_lib_total_length(const cm_motion_lib *lib);
#endif
