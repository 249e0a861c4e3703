/* Interactive window (GLFW) that shows frames made by the offscreen renderer.
 *
 * The window never draws the MuJoCo scene itself: MuJoCo 2.2.2 binds its GL entry points
 * once per process, and in this program they are OSMesa's (see offscreen.h). Frames are
 * rendered offscreen and copied into the window with glDrawPixels, looked up through
 * glfwGetProcAddress so they go to the window's own GL. Mouse: left drag orbits, right
 * drag or the wheel zooms. */
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
/* Adds the mouse orbit/zoom gathered since the last call to cam. */
void cm_viewer_apply_mouse(cm_viewer *v, cm_camera *cam);

/* Fills rgb (w*h*3, top row first) with the next frame seen through cam. Returns 0 to go
 * on, 1 when there is nothing more to show, -1 on error (err filled). */
typedef int (*cm_viewer_draw_fn)(void *user, const cm_camera *cam, unsigned char *rgb, int w, int h, cm_err *err);
/* Calls draw and shows its frames at up to fps until the window is closed or draw ends. */
int cm_viewer_run(cm_viewer *v, cm_camera *cam, double fps, cm_viewer_draw_fn draw, void *user, cm_err *err);
#endif
