/* Frame sinks for a running engine: a recorder renders env 0 each control step into an MP4
 * and keeps a few frames for a contact sheet; a window sink shows the same frames live. Both
 * draw the visual-only reference character when the engine has one. */
#ifndef CM_RECORDER_H
#define CM_RECORDER_H
#include <signal.h>
#include "core/marker.h"
#include "sim/engine.h"

typedef struct cm_recorder cm_recorder;

/* camera_mode: "track" or "still" (the env yaml's camera_mode). */
int cm_recorder_open(cm_recorder **out, cm_engine *eng, const char *camera_mode, const char *video_path, int width,
                     int height, int fps, cm_err *err);
/* The window is width x height, like the video's, with the same camera (render/viewer.h: keys). */
int cm_viewer_sink_open(cm_recorder **out, cm_engine *eng, const char *camera_mode, int width, int height,
                        cm_err *err);
/* Task markers (world frame) drawn into the following frames (n = 0 clears). */
void cm_recorder_set_markers(cm_recorder *r, const cm_marker *markers, int n);
/* Renders the current state of env (and shows or encodes it). */
int cm_recorder_frame(cm_recorder *r, int env, cm_err *err);
/* A paused window returns from cm_recorder_frame as soon as *flag is non-zero (set by a signal
 * handler), so Ctrl-C ends a paused viewer too. */
void cm_recorder_stop_flag(cm_recorder *r, volatile sig_atomic_t *flag);
/* 1 once when the window's user asked for a reset (R): the caller ends env's episode. */
int cm_recorder_take_reset(cm_recorder *r);
/* A window sink whose window was closed by the user. */
int cm_recorder_closed(const cm_recorder *r);
/* 1 in a build with rendering, 0 in one without (-DCMIMIC_RENDER=OFF, render/no_render.c). */
int cm_render_built(void);
/* Finishes the video and writes the contact sheet; frees r. */
int cm_recorder_close(cm_recorder *r, const char *sheet_path, int *frames, cm_err *err);
/* Frees r, discarding a partial video (NULL is fine). */
void cm_recorder_abort(cm_recorder *r);
#endif
