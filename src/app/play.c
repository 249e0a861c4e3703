#include "app/play.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render/png.h"
#include "render/recorder.h"

int cm_play_test(cm_env *env, const cm_play_opts *opts, cm_play_result *res, cm_err *err) {
  memset(res, 0, sizeof *res);
  int N = env->num_envs, A = env->act_dim;
  float *actions = calloc((size_t)N * (size_t)(A ? A : 1), sizeof(float));
  double *ret = calloc((size_t)N, sizeof(double));
  int *reset_ids = malloc((size_t)N * sizeof(int));
  cm_recorder *rec = NULL, *view = NULL;
  int rc = -1, recording = 0;
  double sum_ret = 0, sum_len = 0;
  int fps = (int)(1.0 / cm_env_dt(env) + 0.5);

  if (opts->visualize && cm_viewer_sink_open(&view, env->engine, env->camera_mode, err)) goto done;
  if (opts->video) {
    if (cm_recorder_open(&rec, env->engine, env->camera_mode, opts->video, opts->width, opts->height, fps, err)) goto done;
    recording = 1;
  }
  cm_env_reset(env, NULL, 0);
  if (recording && cm_recorder_frame(rec, 0, err)) goto done;
  if (view && cm_recorder_frame(view, 0, err)) goto done;

  while ((res->episodes < opts->episodes || recording) && !(view && cm_recorder_closed(view))) {
    /* the dummy agent: zero actions (environments like dof_test drive their own joints) */
    if (cm_env_step(env, actions, err)) goto done;
    if (view && cm_recorder_frame(view, 0, err)) goto done;
    if (recording && cm_recorder_frame(rec, 0, err)) goto done;
    int nreset = 0;
    for (int i = 0; i < N; i++) {
      ret[i] += env->reward[i];
      if (env->done[i] != CM_DONE_NULL) {
        if (res->episodes < opts->episodes) {
          sum_ret += ret[i];
          sum_len += env->timestep[i];
          res->episodes++;
        }
        if (i == 0) recording = 0; /* env 0's first episode is the video */
        ret[i] = 0;
        reset_ids[nreset++] = i;
      }
    }
    if (nreset) cm_env_reset(env, reset_ids, nreset);
  }
  if (res->episodes > 0) {
    res->mean_return = sum_ret / res->episodes;
    res->mean_ep_len = sum_len / res->episodes;
  }
  if (rec) {
    if (cm_contact_sheet_path(opts->video, res->sheet_path, sizeof res->sheet_path, err)) goto done;
    int r = cm_recorder_close(rec, res->sheet_path, &res->video_frames, err);
    rec = NULL;
    if (r) goto done;
  }
  rc = 0;
done:
  cm_recorder_abort(rec);
  cm_recorder_abort(view);
  free(actions);
  free(ret);
  free(reset_ids);
  return rc;
}
