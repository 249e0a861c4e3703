/* Interactive window (GLFW) that shows frames made by the offscreen renderer.
 *
 * The window never draws the MuJoCo scene itself: MuJoCo 2.2.2 binds its GL entry points
 * once per process, and in this program they are OSMesa's (see offscreen.h). Frames are
 * rendered offscreen and copied into the window with glDrawPixels, looked up through
 * glfwGetProcAddress so they go to the window's own GL.
 *
 * Controls, as MimicKit's viewer has them: left drag orbits, right drag or the wheel zooms;
 * Enter pauses or plays, Space steps one frame (and pauses); R resets the episode, K shows or
 * hides the reference character, Esc quits. The window only records what was asked; its user
 * (render/recorder.c) acts on it. Each key's effect is printed as a "viewer: ..." line. */
#ifndef CM_RENDER_VIEWER_H
#define CM_RENDER_VIEWER_H
#include "core/err.h"
#include "render/offscreen.h"

typedef struct cm_viewer cm_viewer;

/* Fails with "cannot open a window: no display found (...)" where no display exists. */
int cm_viewer_open(const char *title, int width, int height, cm_viewer **out, cm_err *err);
void cm_viewer_close(cm_viewer *v);
/* The size frames should be rendered at (the size asked for at open). */
void cm_viewer_size(const cm_viewer *v, int *width, int *height);
/* Shows one frame (width*height*3 bytes, top row first), scaled to the window, and
 * processes pending window events. */
int cm_viewer_show(cm_viewer *v, const unsigned char *rgb, int width, int height, cm_err *err);
/* 1 once the user closed the window (or pressed Escape). */
int cm_viewer_should_close(const cm_viewer *v);
/* Adds the mouse orbit gathered since the last call to cam's angles and scales cam->distance
 * (set by the caller each frame: the framing) by the zoom so far. Returns 1 when the mouse
 * moved the view since the last call. */
int cm_viewer_apply_mouse(cm_viewer *v, cm_camera *cam);
/* 1 while paused (Enter toggles; Space pauses too). */
int cm_viewer_paused(const cm_viewer *v);
/* 1 (once per Space press) when one paused step may be taken. */
int cm_viewer_take_step(cm_viewer *v);
/* A reset asked for with R: _pending peeks, _take clears it. */
int cm_viewer_reset_pending(const cm_viewer *v);
int cm_viewer_take_reset(cm_viewer *v);
/* 1 when the user hid the reference character (K). */
int cm_viewer_ref_hidden(const cm_viewer *v);
/* Waits up to seconds for window events (while paused: no busy loop). */
void cm_viewer_wait(cm_viewer *v, double seconds);
#endif
