/* One motion clip as MimicKit stores it: {"loop_mode": 0 clamp | 1 wrap, "fps": number,
 * "frames": [[root pos 3, root rot exp-map 3, joint dofs ...], ...]}. */
#ifndef CM_MOTION_H
#define CM_MOTION_H
#include "core/err.h"

enum { CM_LOOP_CLAMP = 0, CM_LOOP_WRAP = 1 };

typedef struct cm_motion {
  int loop_mode;
  double fps;
  int num_frames, frame_dim;
  float *frames; /* num_frames * frame_dim */
} cm_motion;

int cm_motion_load(const char *path, cm_motion *out, cm_err *err);
int cm_motion_save(const char *path, const cm_motion *m, cm_err *err); /* atomic */
void cm_motion_free(cm_motion *m);
static inline double cm_motion_length(const cm_motion *m) { return (m->num_frames - 1) / m->fps; }
#endif
