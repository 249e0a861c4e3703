#include "app/play.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "core/fault.h"
#include "learn/rl_env_char.h"
#include "render/png.h"
#include "render/recorder.h"

struct cm_watch {
  cm_recorder *video, *window;
  const char *video_path;
  int video_done; /* env 0's first episode (the video) has ended */
  long frames;
  int handlers; /* old_int / old_term hold the handlers to restore */
  struct sigaction old_int, old_term;
};

/* Ctrl-C or SIGTERM while watching: the next frame fails, so the run ends through its error
 * path, which aborts the video (ffmpeg killed and reaped, its temporary file removed). */
static volatile sig_atomic_t g_watch_signal = 0;
static void on_watch_signal(int sig) { g_watch_signal = sig; }

static int watch_frame(void *user, cm_env *env, cm_err *err) {
  cm_watch *w = user;
  cm_fault_after_frame(++w->frames, &g_watch_signal);
  if (g_watch_signal)
    return cm_fail(err, "interrupted by %s%s%s", g_watch_signal == SIGTERM ? "SIGTERM" : "SIGINT",
                   w->video ? ": video not written: " : "", w->video ? w->video_path : "");
  cm_marker markers[8]; /* the task's targets of env 0 (location ball, steering arrows) */
  int nm = cm_env_markers(env, 0, markers, 8);
  cm_recorder_set_markers(w->window, markers, nm);
  cm_recorder_set_markers(w->video, markers, nm);
  if (w->window && !cm_recorder_closed(w->window) && cm_recorder_frame(w->window, 0, err)) return -1;
  /* R in the window: env 0's episode ends now (as a time-out), so the env and the agent reset it
   * the ordinary way after this step */
  if (cm_recorder_take_reset(w->window)) env->done[0] = CM_DONE_TIME;
  if (w->video && !w->video_done) {
    if (cm_recorder_frame(w->video, 0, err)) return -1;
    if (env->done[0] != CM_DONE_NULL) w->video_done = 1;
  }
  return 0;
}

int cm_watch_attach(cm_rl_env *rl, cm_env *env, const cm_play_opts *opts, cm_watch **out, cm_err *err) {
  *out = NULL;
  if (!opts->visualize && !opts->video) return 0;
  cm_watch *w = calloc(1, sizeof *w);
  int fps = (int)(1.0 / cm_env_dt(env) + 0.5);
  if ((opts->visualize && cm_viewer_sink_open(&w->window, env->engine, env->camera_mode, opts->width, opts->height, err)) ||
      (opts->video &&
       cm_recorder_open(&w->video, env->engine, env->camera_mode, opts->video, opts->width, opts->height, fps, err))) {
    cm_watch_abort(w);
    return -1;
  }
  w->video_path = opts->video;
  g_watch_signal = 0;
  cm_recorder_stop_flag(w->window, &g_watch_signal);
  struct sigaction sa = {0};
  sa.sa_handler = on_watch_signal;
  sigaction(SIGINT, &sa, &w->old_int);
  sigaction(SIGTERM, &sa, &w->old_term);
  w->handlers = 1;
  cm_rl_env_char_observe(rl, watch_frame, w);
  *out = w;
  return 0;
}

int cm_watch_busy(const cm_watch *w) {
  return w && ((w->video && !w->video_done) || (w->window && !cm_recorder_closed(w->window)));
}

int cm_watch_finish(cm_watch *w, int *frames, char *sheet_path, size_t cap, cm_err *err) {
  int rc = 0;
  if (frames) *frames = 0;
  if (!w) return 0;
  if (w->video) {
    rc = cm_contact_sheet_path(w->video_path, sheet_path, cap, err);
    if (!rc) rc = cm_recorder_close(w->video, sheet_path, frames, err);
    else cm_recorder_abort(w->video);
    w->video = NULL;
  }
  cm_watch_abort(w);
  return rc;
}

void cm_watch_abort(cm_watch *w) {
  if (!w) return;
  cm_recorder_abort(w->video);
  cm_recorder_abort(w->window);
  if (w->handlers) {
    sigaction(SIGINT, &w->old_int, NULL);
    sigaction(SIGTERM, &w->old_term, NULL);
  }
  free(w);
}

int cm_play_dummy_test(cm_rl_env *rl, int episodes, const cm_watch *w, cm_play_result *res, cm_err *err) {
  memset(res, 0, sizeof *res);
  int N = rl->num_envs, rc = -1;
  size_t no = (size_t)N * rl->obs_dim;
  float *obs = calloc(no + 1, sizeof(float)), *next_obs = calloc(no + 1, sizeof(float));
  float *actions = calloc((size_t)N * rl->act_dim + 1, sizeof(float)), *reward = calloc((size_t)N, sizeof(float));
  uint8_t *done = calloc((size_t)N, 1);
  double *ret = calloc((size_t)N, sizeof(double)), sum_ret = 0, sum_len = 0;
  int *len = calloc((size_t)N, sizeof(int));
  if (rl->reset(rl->ctx, obs, err)) goto done;
  while (res->episodes < episodes || cm_watch_busy(w)) {
    if (rl->step(rl->ctx, actions, next_obs, obs, reward, done, err)) goto done;
    for (int i = 0; i < N; i++) {
      ret[i] += reward[i];
      len[i]++;
      if (done[i]) {
        if (res->episodes < episodes) {
          sum_ret += ret[i];
          sum_len += len[i];
          res->episodes++;
        }
        ret[i] = 0;
        len[i] = 0;
      }
    }
  }
  if (res->episodes > 0) {
    res->mean_return = sum_ret / res->episodes;
    res->mean_ep_len = sum_len / res->episodes;
  }
  rc = 0;
done:
  free(obs); free(next_obs); free(actions); free(reward); free(done); free(ret); free(len);
  return rc;
}
