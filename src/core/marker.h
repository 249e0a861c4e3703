/* A visual marker in world coordinates that an environment hands to a renderer (a task's target
 * location, a commanded direction). Plain data: envs fill it, renderers draw it; neither knows
 * the other. */
#ifndef CM_MARKER_H
#define CM_MARKER_H

typedef enum { CM_MARKER_SPHERE = 0, CM_MARKER_ARROW = 1, CM_MARKER_LINE = 2 } cm_marker_kind;

typedef struct cm_marker {
  int kind;        /* cm_marker_kind */
  float pos[3];    /* sphere centre; arrow / line start */
  float vec[3];    /* arrow / line: start -> end (its length is the arrow's length) */
  float size;      /* sphere radius; arrow / line width (m) */
  float rgba[4];
} cm_marker;
#endif
