#include "render/viewer.h"

#include <GLFW/glfw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_DISPLAY_HINT "use --visualize false, optionally with --video out.mp4"

/* The few GL 1.x calls the window needs, bound to the window's GL (not OSMesa's). */
typedef struct window_gl {
  void (*Viewport)(int, int, int, int);
  void (*ClearColor)(float, float, float, float);
  void (*Clear)(unsigned);
  void (*RasterPos2f)(float, float);
  void (*PixelZoom)(float, float);
  void (*PixelStorei)(unsigned, int);
  void (*DrawPixels)(int, int, unsigned, unsigned, const void *);
} window_gl;

struct cm_viewer {
  GLFWwindow *win;
  window_gl gl;
  int width, height;
  int dragging, zooming;
  double last_x, last_y;
  double d_azimuth, d_elevation; /* orbit gathered since the last apply */
  double log_zoom;               /* the user's zoom so far: distance x exp(log_zoom) */
  int zoom_moved;                /* log_zoom changed since the last apply */
  int paused, steps, reset, hide_ref;
};

static int env_set(const char *name) {
  const char *v = getenv(name);
  return v && *v;
}

static void on_button(GLFWwindow *w, int button, int action, int mods) {
  (void)mods;
  cm_viewer *v = glfwGetWindowUserPointer(w);
  int down = action == GLFW_PRESS;
  if (button == GLFW_MOUSE_BUTTON_LEFT) v->dragging = down;
  if (button == GLFW_MOUSE_BUTTON_RIGHT) v->zooming = down;
  glfwGetCursorPos(w, &v->last_x, &v->last_y);
}

static void on_cursor(GLFWwindow *w, double x, double y) {
  cm_viewer *v = glfwGetWindowUserPointer(w);
  double dx = x - v->last_x, dy = y - v->last_y;
  v->last_x = x;
  v->last_y = y;
  if (v->dragging) {
    v->d_azimuth -= 0.3 * dx;
    v->d_elevation -= 0.3 * dy;
  } else if (v->zooming) {
    v->log_zoom += 0.01 * dy;
    v->zoom_moved = 1;
  }
}

static void on_scroll(GLFWwindow *w, double dx, double dy) {
  (void)dx;
  cm_viewer *v = glfwGetWindowUserPointer(w);
  v->log_zoom -= 0.1 * dy;
  v->zoom_moved = 1;
}

/* Each key's effect is said on stdout (flushed): the user sees it took, a test can wait for it. */
static void say(const char *what) {
  printf("viewer: %s\n", what);
  fflush(stdout);
}

/* MimicKit's viewer keys (sim_env._setup_gui): Enter plays or pauses, Space takes one step and
 * pauses; ours add R (reset the episode), K (show or hide the reference character), Esc (quit). */
static void on_key(GLFWwindow *w, int key, int scancode, int action, int mods) {
  (void)scancode;
  (void)mods;
  cm_viewer *v = glfwGetWindowUserPointer(w);
  if (action != GLFW_PRESS && !(action == GLFW_REPEAT && key == GLFW_KEY_SPACE)) return;
  switch (key) {
    case GLFW_KEY_ESCAPE: glfwSetWindowShouldClose(w, GLFW_TRUE); break;
    case GLFW_KEY_ENTER:
    case GLFW_KEY_KP_ENTER:
      v->paused = !v->paused;
      v->steps = 0;
      say(v->paused ? "pause (Space steps one frame, Enter plays)" : "play");
      break;
    case GLFW_KEY_SPACE:
      v->paused = 1;
      v->steps++;
      break;
    case GLFW_KEY_R:
      v->reset = 1;
      say("reset");
      break;
    case GLFW_KEY_K: v->hide_ref = !v->hide_ref; break; /* said by the recorder once drawn */
    default: break;
  }
}

int cm_viewer_open(const char *title, int width, int height, cm_viewer **out, cm_err *err) {
  *out = NULL;
  if (!env_set("DISPLAY") && !env_set("WAYLAND_DISPLAY"))
    return cm_fail(err, "cannot open a window: no display found (DISPLAY is not set); " NO_DISPLAY_HINT);
  if (width < 16 || height < 16 || width > 4096 || height > 4096)
    return cm_fail(err, "cannot open a window: size %dx%d is outside 16x16 .. 4096x4096", width, height);
  if (!glfwInit()) {
    const char *why = NULL;
    glfwGetError(&why);
    return cm_fail(err, "cannot open a window: no display found (%s); " NO_DISPLAY_HINT,
                   why ? why : "GLFW cannot initialise");
  }
  cm_viewer *v = calloc(1, sizeof *v);
  if (!v) {
    glfwTerminate();
    return cm_fail(err, "cannot open a window: out of memory");
  }
  v->width = width;
  v->height = height;
  v->win = glfwCreateWindow(width, height, title ? title : "cmimic", NULL, NULL);
  if (!v->win) {
    const char *why = NULL;
    glfwGetError(&why);
    free(v);
    glfwTerminate();
    return cm_fail(err, "cannot open a window: %s; " NO_DISPLAY_HINT, why ? why : "GLFW cannot create it");
  }
  glfwMakeContextCurrent(v->win);
  glfwSwapInterval(0); /* cm_viewer_run paces frames itself */
  /* Each GL pointer is fetched through GLFW; GLFWglproc -> specific pointer via memcpy, as
   * ISO C has no direct conversion between unrelated function pointer types it blesses. */
#define LOAD(field, name)                                     \
  do {                                                        \
    GLFWglproc p = glfwGetProcAddress(name);                  \
    if (!p) bad = name;                                       \
    memcpy(&v->gl.field, &p, sizeof p);                       \
  } while (0)
  const char *bad = NULL;
  LOAD(Viewport, "glViewport");
  LOAD(ClearColor, "glClearColor");
  LOAD(Clear, "glClear");
  LOAD(RasterPos2f, "glRasterPos2f");
  LOAD(PixelZoom, "glPixelZoom");
  LOAD(PixelStorei, "glPixelStorei");
  LOAD(DrawPixels, "glDrawPixels");
#undef LOAD
  if (bad) {
    glfwDestroyWindow(v->win);
    free(v);
    glfwTerminate();
    return cm_fail(err, "cannot open a window: its OpenGL lacks %s", bad);
  }
  glfwSetWindowUserPointer(v->win, v);
  glfwSetMouseButtonCallback(v->win, on_button);
  glfwSetCursorPosCallback(v->win, on_cursor);
  glfwSetScrollCallback(v->win, on_scroll);
  glfwSetKeyCallback(v->win, on_key);
  say("left drag orbits, right drag or the wheel zooms; Enter pauses or plays, Space steps one frame, "
      "R resets, K shows or hides the reference character, Esc quits");
  *out = v;
  return 0;
}

void cm_viewer_close(cm_viewer *v) {
  if (!v) return;
  glfwDestroyWindow(v->win);
  free(v);
  glfwTerminate();
}

void cm_viewer_size(const cm_viewer *v, int *width, int *height) {
  *width = v->width;
  *height = v->height;
}

int cm_viewer_should_close(const cm_viewer *v) { return glfwWindowShouldClose(v->win); }

int cm_viewer_apply_mouse(cm_viewer *v, cm_camera *cam) {
  int moved = v->d_azimuth != 0 || v->d_elevation != 0 || v->zoom_moved;
  cam->azimuth = fmod(cam->azimuth + v->d_azimuth, 360.0);
  cam->elevation += v->d_elevation;
  if (cam->elevation > 89) cam->elevation = 89;
  if (cam->elevation < -89) cam->elevation = -89;
  /* the zoom is kept here, not in cam, because the caller sets the framing distance anew each frame */
  if (v->log_zoom > 4) v->log_zoom = 4;
  if (v->log_zoom < -2.5) v->log_zoom = -2.5;
  cam->distance *= exp(v->log_zoom);
  v->d_azimuth = v->d_elevation = 0;
  v->zoom_moved = 0;
  return moved;
}

int cm_viewer_paused(const cm_viewer *v) { return v->paused; }

int cm_viewer_take_step(cm_viewer *v) {
  if (v->steps <= 0) return 0;
  v->steps--;
  return 1;
}

int cm_viewer_reset_pending(const cm_viewer *v) { return v->reset; }

int cm_viewer_take_reset(cm_viewer *v) {
  int r = v->reset;
  v->reset = 0;
  return r;
}

int cm_viewer_ref_hidden(const cm_viewer *v) { return v->hide_ref; }

void cm_viewer_wait(cm_viewer *v, double seconds) {
  (void)v;
  glfwWaitEventsTimeout(seconds);
}

#define GL_COLOR_BUFFER_BIT_ 0x4000u
#define GL_RGB_ 0x1907u
#define GL_UNSIGNED_BYTE_ 0x1401u
#define GL_UNPACK_ALIGNMENT_ 0x0CF5u

int cm_viewer_show(cm_viewer *v, const unsigned char *rgb, int width, int height, cm_err *err) {
  if (!v || !rgb || width < 1 || height < 1) return cm_fail(err, "cm_viewer_show: missing frame");
  /* Mesa's GLX and OSMesa share one "current context" slot (libglapi), and the offscreen
   * renderer has taken it since our last frame, while GLX's own bookkeeping (glvnd) still
   * believes the window is current and would skip a plain re-bind: release, then bind. */
  glfwMakeContextCurrent(NULL);
  glfwMakeContextCurrent(v->win);
  int fw = 0, fh = 0;
  glfwGetFramebufferSize(v->win, &fw, &fh);
  if (fw > 0 && fh > 0) {
    v->gl.Viewport(0, 0, fw, fh);
    v->gl.ClearColor(0.1f, 0.1f, 0.1f, 1);
    v->gl.Clear(GL_COLOR_BUFFER_BIT_);
    /* Fit the frame into the window keeping its aspect, drawn top row first from the
     * top-left corner (a negative vertical zoom flips GL's bottom-up rows). */
    float s = fminf((float)fw / (float)width, (float)fh / (float)height);
    float ox = ((float)fw - s * (float)width) / (float)fw, oy = ((float)fh - s * (float)height) / (float)fh;
    v->gl.RasterPos2f(-1 + ox, 1 - oy);
    v->gl.PixelZoom(s, -s);
    v->gl.PixelStorei(GL_UNPACK_ALIGNMENT_, 1);
    v->gl.DrawPixels(width, height, GL_RGB_, GL_UNSIGNED_BYTE_, rgb);
    glfwSwapBuffers(v->win);
    /* a round trip to the display server (X11: XGetWindowAttributes): it has drawn the frame
     * before anything that follows says it is shown */
    int ww, wh;
    glfwGetWindowSize(v->win, &ww, &wh);
  }
  glfwPollEvents();
  return 0;
}
