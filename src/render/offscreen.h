/* Offscreen rendering of a MuJoCo scene into an RGB buffer, on an OSMesa (software) GL
 * context, so videos and pictures work on machines without a GPU or a display.
 *
 * MuJoCo 2.2.2 finds its GL entry points at the first mjr_makeContext of the process by
 * looking, in this order, for eglGetProcAddress, OSMesaGetProcAddress and glXGetProcAddressARB
 * among the globally visible symbols, and keeps that choice for the life of the process.
 * We link libOSMesa and nothing that exports eglGetProcAddress, so every MuJoCo context
 * in this program is an OSMesa one; the interactive viewer therefore renders here too and
 * only copies pixels to its window. */
#ifndef CM_RENDER_OFFSCREEN_H
#define CM_RENDER_OFFSCREEN_H
#include <mujoco/mujoco.h>
#include "core/err.h"
#include "core/marker.h"

typedef enum cm_camera_mode {
  CM_CAMERA_TRACK, /* looks at the character's root body and follows it in x/y */
  CM_CAMERA_STILL, /* fixed, looks at `lookat` */
} cm_camera_mode;

typedef struct cm_camera {
  cm_camera_mode mode;
  double azimuth, elevation; /* degrees, MuJoCo's free-camera convention */
  double distance;           /* metres from the look-at point */
  double lookat[3];          /* still: the point looked at; track: x/y offset from the body, z height */
  int body;                  /* track: body followed; <= 0 picks the first body below the world */
  double smoothing;          /* track: share of the remaining gap kept each frame, 0 = snap, <1 */
} cm_camera;

/* Defaults that frame a 1.6 m humanoid standing near the origin in a 16:9 picture. */
void cm_camera_default(cm_camera *cam, cm_camera_mode mode);

typedef struct cm_renderer cm_renderer;

/* A renderer draws one model at width x height (1..4096). Not thread-safe: use one
 * renderer per thread. */
int cm_renderer_create(const mjModel *m, int width, int height, cm_renderer **out, cm_err *err);
void cm_renderer_destroy(cm_renderer *r);
/* Forgets the tracking camera's smoothed position: the next frame snaps to the body. */
void cm_renderer_reset_camera(cm_renderer *r);

/* Draws d (and, when ref_d is non-NULL, a second pose of the same model as a see-through
 * reference character, without the floor or other world geoms) into rgb_out: width*height*3
 * bytes, top row first. d is only read (MuJoCo's API wants a non-const pointer). */
int cm_render_frame(cm_renderer *r, const mjModel *m, mjData *d, const mjData *ref_d, const cm_camera *cam,
                    unsigned char *rgb_out, cm_err *err);

/* Markers drawn into every following frame (copied; at most CM_RENDER_MAX_MARKERS; n = 0 clears). */
#define CM_RENDER_MAX_MARKERS 16
void cm_render_set_markers(cm_renderer *r, const cm_marker *markers, int n);

/* Colour of the reference character (RGBA). */
extern const float cm_render_ref_rgba[4];
#endif
