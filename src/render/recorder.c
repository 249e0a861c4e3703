#include "render/recorder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "anim/kin.h"
#include "render/offscreen.h"
#include "render/png.h"
#include "render/video.h"
#include "render/viewer.h"
#include "sim/mujoco/mj_engine.h"

#define SHEET_KEEP 64 /* frames kept for the contact sheet; every other one dropped when full */
#define SHEET_TILES 8

struct cm_recorder {
  cm_engine *eng;
  cm_renderer *renderer;
  cm_camera cam;
  mjData *ref;           /* pose of the reference character, never simulated */
  int width, height;
  unsigned char *rgb;
  cm_video *video;
  cm_viewer *viewer;
  unsigned char *keep[SHEET_KEEP];
  int nkeep, stride, frames;
};

static int open_common(cm_recorder **out, cm_engine *eng, const char *camera_mode, int width, int height, cm_err *err) {
  if (strcmp(eng->cfg.engine_name, "mujoco"))
    return cm_fail(err, "rendering needs the mujoco engine (this run uses '%s')", eng->cfg.engine_name);
  cm_recorder *r = calloc(1, sizeof *r);
  r->eng = eng;
  r->width = width & ~1;
  r->height = height & ~1;
  r->stride = 1;
  cm_camera_default(&r->cam, camera_mode && !strcmp(camera_mode, "still") ? CM_CAMERA_STILL : CM_CAMERA_TRACK);
  r->rgb = malloc((size_t)r->width * r->height * 3);
  const mjModel *m = cm_mj_model(eng);
  if (eng->opts.with_ref_char) r->ref = mj_makeData(m);
  *out = r;
  if (cm_renderer_create(m, r->width, r->height, &r->renderer, err)) {
    cm_recorder_abort(r);
    *out = NULL;
    return -1;
  }
  return 0;
}

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

int cm_viewer_sink_open(cm_recorder **out, cm_engine *eng, const char *camera_mode, cm_err *err) {
  cm_viewer *v = NULL;
  if (cm_viewer_open("cmimic", 1280, 720, &v, err)) return -1;
  if (open_common(out, eng, camera_mode, 1280, 720, err)) {
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
  const mjModel *m = cm_mj_model(r->eng);
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

/* With a reference character beside the simulated one, frame the pair: look at their midpoint
 * from far enough away to see both. */
static void frame_pair(cm_recorder *r, int env) {
  const cm_sim_state *s = &r->eng->st;
  double dx = 0.5 * (s->ref_root_pos[3 * env] - s->root_pos[3 * env]);
  double dy = 0.5 * (s->ref_root_pos[3 * env + 1] - s->root_pos[3 * env + 1]);
  double half = sqrt(dx * dx + dy * dy);
  if (half > 3.0) { dx *= 3.0 / half; dy *= 3.0 / half; half = 3.0; }
  r->cam.lookat[0] = dx;
  r->cam.lookat[1] = dy;
  r->cam.distance = 3.2 + 1.5 * half;
}

int cm_recorder_frame(cm_recorder *r, int env, cm_err *err) {
  const mjModel *m = cm_mj_model(r->eng);
  if (r->ref) {
    pose_reference(r, env);
    if (r->cam.mode == CM_CAMERA_TRACK) frame_pair(r, env);
  }
  if (r->viewer) cm_viewer_apply_mouse(r->viewer, &r->cam);
  if (cm_render_frame(r->renderer, m, cm_mj_data(r->eng, env), r->ref, &r->cam, r->rgb, err)) return -1;
  if (r->viewer) return cm_viewer_show(r->viewer, r->rgb, r->width, r->height, err);
  if (cm_video_write(r->video, r->rgb, err)) return -1;
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
