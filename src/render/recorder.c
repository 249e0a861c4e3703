#include "render/recorder.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anim/kin.h"
#include "render/offscreen.h"
#include "render/png.h"
#include "render/video.h"
#include "render/viewer.h"
#include "sim/cuda/cuda_engine.h"
#include "sim/mujoco/mj_engine.h"

#define SHEET_KEEP 64 /* frames kept for the contact sheet; every other one dropped when full */
#define SHEET_TILES 8

struct cm_recorder {
  cm_engine *eng;
  cm_renderer *renderer;
  cm_camera cam;
  mjData *ref;           /* pose of the reference character, never simulated */
  mjData *sim;           /* engines other than mujoco: their state posed into this for drawing */
  int width, height;
  unsigned char *rgb;
  cm_video *video;
  cm_viewer *viewer;
  unsigned char *keep[SHEET_KEEP];
  int nkeep, stride, frames;
  double size;           /* character height over a 1.6 m humanoid's: scales the framing */
  double base_distance;  /* the camera mode's distance scaled by size */
  volatile sig_atomic_t *stop; /* non-zero: leave a pause (a signal arrived) */
  int drawn_hidden, said_hidden; /* window: reference hidden in the last frame drawn / as last said */
};

/* The camera defaults frame a 1.6 m humanoid; a 0.4 m quadruped would be a speck. The height of
 * the character's zero pose (bodies' vertical extent plus a margin for the outer shapes)
 * scales distance and look-at height, within limits. */
static double character_size(const cm_char *c) {
  float jr[CM_MAX_BODIES * 4], bp[CM_MAX_BODIES * 3], br[CM_MAX_BODIES * 4], dof[CM_MAX_DOFS] = {0};
  float o[3] = {0, 0, 0}, id[4] = {0, 0, 0, 1};
  cm_kin_dof_to_rot(c, dof, jr);
  cm_kin_fk(c, o, id, jr, bp, br);
  float lo = 0, hi = 0;
  for (int b = 0; b < c->num_bodies; b++) {
    lo = fminf(lo, bp[3 * b + 2]);
    hi = fmaxf(hi, bp[3 * b + 2]);
  }
  double h = (hi - lo) + 0.15;
  return fmin(1.2, fmax(0.5, h / 1.6));
}

/* The mujoco engine draws its own mjData; the cuda engine keeps the mjModel it was compiled
 * from and poses an mjData of it from its state each frame. */
static const mjModel *model_of(const cm_engine *eng) {
  return strcmp(eng->cfg.engine_name, "cuda") ? cm_mj_model(eng) : cm_cuda_engine_mj_model(eng);
}

static mjData *data_of(cm_recorder *r, int env) {
  if (!r->sim) return cm_mj_data(r->eng, env);
  cm_cuda_engine_pose_mj(r->eng, env, r->sim);
  return r->sim;
}

static int open_common(cm_recorder **out, cm_engine *eng, const char *camera_mode, int width, int height, cm_err *err) {
  if (strcmp(eng->cfg.engine_name, "mujoco") && strcmp(eng->cfg.engine_name, "cuda"))
    return cm_fail(err, "rendering needs the mujoco or cuda engine (this run uses '%s')", eng->cfg.engine_name);
  cm_recorder *r = calloc(1, sizeof *r);
  r->eng = eng;
  r->width = width & ~1;
  r->height = height & ~1;
  r->stride = 1;
  cm_camera_default(&r->cam, camera_mode && !strcmp(camera_mode, "still") ? CM_CAMERA_STILL : CM_CAMERA_TRACK);
  r->size = eng->chr ? character_size(eng->chr) : 1.0;
  r->cam.distance *= r->size;
  r->base_distance = r->cam.distance;
  r->cam.lookat[2] *= r->size;
  r->rgb = malloc((size_t)r->width * r->height * 3);
  const mjModel *m = model_of(eng);
  if (eng->opts.with_ref_char) r->ref = mj_makeData(m);
  if (!strcmp(eng->cfg.engine_name, "cuda")) r->sim = mj_makeData(m);
  *out = r;
  if (cm_renderer_create(m, r->width, r->height, &r->renderer, err)) {
    cm_recorder_abort(r);
    *out = NULL;
    return -1;
  }
  return 0;
}

int cm_render_built(void) { return 1; }

int cm_recorder_open(cm_recorder **out, cm_engine *eng, const char *camera_mode, const char *video_path, int width,
                     int height, int fps, cm_err *err) {
  if (width < 16 || height < 16) return cm_fail(err, "video size %dx%d is too small", width, height);
  if (open_common(out, eng, camera_mode, width, height, err)) return -1;
  if (cm_video_open(video_path, (*out)->width, (*out)->height, fps, &(*out)->video, err)) {
    cm_recorder_abort(*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

int cm_viewer_sink_open(cm_recorder **out, cm_engine *eng, const char *camera_mode, int width, int height,
                        cm_err *err) {
  cm_viewer *v = NULL;
  if (cm_viewer_open("cmimic", width & ~1, height & ~1, &v, err)) return -1;
  if (open_common(out, eng, camera_mode, width, height, err)) {
    cm_viewer_close(v);
    return -1;
  }
  (*out)->viewer = v;
  return 0;
}

/* The reference pose from the engine's ref_* arrays into the reference mjData. */
static void pose_reference(cm_recorder *r, int env) {
  const cm_sim_state *s = &r->eng->st;
  const cm_char *c = r->eng->chr;
  const mjModel *m = model_of(r->eng);
  float q[256];
  if (m->nq > (int)(sizeof q / sizeof q[0])) return;
  cm_kin_pose_to_qpos(c, s->ref_root_pos + 3 * env, s->ref_root_rot + 4 * env, s->ref_dof_pos + (size_t)s->num_dofs * env, q);
  for (int i = 0; i < m->nq; i++) r->ref->qpos[i] = q[i];
  mj_forward(m, r->ref);
}

static void keep_for_sheet(cm_recorder *r) {
  if (r->frames % r->stride == 0) {
    if (r->nkeep == SHEET_KEEP) { /* halve the kept frames and sample half as often */
      /* frames 0, s, 2s, ... are kept; keep 0, 2s, 4s, ... */
      for (int i = 1; i < SHEET_KEEP; i += 2) free(r->keep[i]);
      for (int i = 0; i < SHEET_KEEP / 2; i++) r->keep[i] = r->keep[2 * i];
      r->nkeep = SHEET_KEEP / 2;
      r->stride *= 2;
      if (r->frames % r->stride) return;
    }
    size_t n = (size_t)r->width * r->height * 3;
    r->keep[r->nkeep] = malloc(n);
    memcpy(r->keep[r->nkeep++], r->rgb, n);
  }
}

/* The tracking camera follows the character; with the reference character drawn beside it, it
 * frames the pair: looks at their midpoint from far enough away to see both. */
static void frame_view(cm_recorder *r, int env, int with_ref) {
  r->cam.distance = r->base_distance;
  if (r->cam.mode != CM_CAMERA_TRACK) return;
  r->cam.lookat[0] = r->cam.lookat[1] = 0;
  if (!with_ref) return;
  const cm_sim_state *s = &r->eng->st;
  double dx = 0.5 * (s->ref_root_pos[3 * env] - s->root_pos[3 * env]);
  double dy = 0.5 * (s->ref_root_pos[3 * env + 1] - s->root_pos[3 * env + 1]);
  double half = sqrt(dx * dx + dy * dy);
  if (half > 3.0) { dx *= 3.0 / half; dy *= 3.0 / half; half = 3.0; }
  r->cam.lookat[0] = dx;
  r->cam.lookat[1] = dy;
  r->cam.distance = r->base_distance + 1.5 * half;
}

static int render_view(cm_recorder *r, int env, cm_err *err) {
  if (r->viewer) r->drawn_hidden = cm_viewer_ref_hidden(r->viewer);
  int with_ref = r->ref && !(r->viewer && r->drawn_hidden);
  if (with_ref) pose_reference(r, env);
  frame_view(r, env, with_ref);
  if (r->viewer) cm_viewer_apply_mouse(r->viewer, &r->cam);
  return cm_render_frame(r->renderer, model_of(r->eng), data_of(r, env), with_ref ? r->ref : NULL, &r->cam, r->rgb,
                         err);
}

/* One frame in the window; while paused (MimicKit's render loop) the same state is shown until
 * Space takes a step, Enter plays, R asks for a reset or the window closes, and drawn again only
 * when the view changes (orbit, zoom, reference shown or hidden), so a paused picture holds still. */
/* Shows the frame drawn last; says so when it is the first to show or hide the reference. */
static int show_drawn(cm_recorder *r, cm_err *err) {
  if (cm_viewer_show(r->viewer, r->rgb, r->width, r->height, err)) return -1;
  if (r->drawn_hidden != r->said_hidden) {
    printf("viewer: reference character %s\n", r->drawn_hidden ? "hidden" : "shown");
    fflush(stdout);
    r->said_hidden = r->drawn_hidden;
  }
  return 0;
}

static int show_live(cm_recorder *r, int env, cm_err *err) {
  cm_viewer *v = r->viewer;
  if (render_view(r, env, err) || show_drawn(r, err)) return -1;
  if (++r->frames == 1) {
    printf("viewer: first frame shown\n");
    fflush(stdout);
  }
  int told = 0, hidden = cm_viewer_ref_hidden(v);
  while (cm_viewer_paused(v) && !cm_viewer_should_close(v) && !cm_viewer_reset_pending(v) && !(r->stop && *r->stop)) {
    if (!told) {
      printf("viewer: paused at frame %d\n", r->frames);
      fflush(stdout);
      told = 1;
    }
    if (cm_viewer_take_step(v)) break;
    cm_viewer_wait(v, 0.05);
    int changed = cm_viewer_apply_mouse(v, &r->cam) || hidden != cm_viewer_ref_hidden(v);
    hidden = cm_viewer_ref_hidden(v);
    if ((changed && render_view(r, env, err)) || show_drawn(r, err)) return -1;
  }
  return 0;
}

void cm_recorder_stop_flag(cm_recorder *r, volatile sig_atomic_t *flag) {
  if (r) r->stop = flag;
}

int cm_recorder_take_reset(cm_recorder *r) {
  if (!r || !r->viewer || !cm_viewer_take_reset(r->viewer)) return 0;
  cm_renderer_reset_camera(r->renderer);
  return 1;
}

int cm_recorder_frame(cm_recorder *r, int env, cm_err *err) {
  if (r->viewer) return show_live(r, env, err);
  if (render_view(r, env, err) || cm_video_write(r->video, r->rgb, err)) return -1;
  keep_for_sheet(r);
  r->frames++;
  return 0;
}

void cm_recorder_set_markers(cm_recorder *r, const cm_marker *markers, int n) {
  if (r) cm_render_set_markers(r->renderer, markers, n);
}

int cm_recorder_closed(const cm_recorder *r) { return r->viewer && cm_viewer_should_close(r->viewer); }

static void free_recorder(cm_recorder *r) {
  for (int i = 0; i < r->nkeep; i++) free(r->keep[i]);
  if (r->ref) mj_deleteData(r->ref);
  if (r->sim) mj_deleteData(r->sim);
  cm_renderer_destroy(r->renderer);
  cm_viewer_close(r->viewer);
  free(r->rgb);
  free(r);
}

int cm_recorder_close(cm_recorder *r, const char *sheet_path, int *frames, cm_err *err) {
  int rc = 0;
  if (r->video) {
    rc = cm_video_close(r->video, err);
    r->video = NULL;
  }
  if (!rc && sheet_path && r->nkeep > 0) {
    const unsigned char *tiles[SHEET_TILES];
    int k = r->nkeep < SHEET_TILES ? r->nkeep : SHEET_TILES;
    for (int i = 0; i < k; i++) tiles[i] = r->keep[(k == 1) ? 0 : (int)((long)i * (r->nkeep - 1) / (k - 1))];
    rc = cm_png_write_contact_sheet(sheet_path, tiles, k, r->width, r->height, 4, 480, err);
  }
  if (frames) *frames = r->frames;
  free_recorder(r);
  return rc;
}

void cm_recorder_abort(cm_recorder *r) {
  if (!r) return;
  if (r->video) cm_video_abort(r->video);
  free_recorder(r);
}
