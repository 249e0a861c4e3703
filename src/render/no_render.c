/* The recorder, window sink and plot writer of a build without rendering (-DCMIMIC_RENDER=OFF),
 * for headless compute machines without OpenGL or cairo libraries: asking for a video, a window
 * or a plot fails with one clear line instead of the program failing to start. */
#include "render/plot.h"
#include "render/recorder.h"

static int no_render(cm_err *err) {
  return cm_fail(err, "this cmimic was built without rendering (CMIMIC_RENDER=OFF): no --video or --visualize");
}

int cm_render_built(void) { return 0; }

int cm_recorder_open(cm_recorder **out, cm_engine *eng, const char *camera_mode, const char *video_path, int width,
                     int height, int fps, cm_err *err) {
  (void)eng; (void)camera_mode; (void)video_path; (void)width; (void)height; (void)fps;
  *out = NULL;
  return no_render(err);
}

int cm_viewer_sink_open(cm_recorder **out, cm_engine *eng, const char *camera_mode, int width, int height,
                        cm_err *err) {
  (void)eng; (void)camera_mode; (void)width; (void)height;
  *out = NULL;
  return no_render(err);
}

int cm_recorder_frame(cm_recorder *r, int env, cm_err *err) { (void)r; (void)env; return no_render(err); }
void cm_recorder_set_markers(cm_recorder *r, const cm_marker *markers, int n) { (void)r; (void)markers; (void)n; }
int cm_recorder_take_reset(cm_recorder *r) { (void)r; return 0; }
void cm_recorder_stop_flag(cm_recorder *r, volatile sig_atomic_t *flag) { (void)r; (void)flag; }
int cm_recorder_closed(const cm_recorder *r) { (void)r; return 1; }
int cm_recorder_close(cm_recorder *r, const char *sheet_path, int *frames, cm_err *err) {
  (void)r; (void)sheet_path; (void)frames;
  return no_render(err);
}
void cm_recorder_abort(cm_recorder *r) { (void)r; }

int cm_plot_write(const char *path, const cm_plot_series *series, int num_series, const cm_plot_opts *opts,
                  int *finite_points, cm_err *err) {
  (void)series; (void)num_series; (void)opts;
  if (finite_points) *finite_points = 0;
  return cm_fail(err, "%s: this cmimic was built without rendering (CMIMIC_RENDER=OFF): no plots; plot the log.txt "
                 "with a build that has it", path);
}
