/* Test-mode rollouts: runs episodes with a policy (the dummy agent's zero actions for
 * environments without one), reports returns, and records env 0 to video on request. */
#ifndef CM_PLAY_H
#define CM_PLAY_H
#include "env/env.h"

typedef struct cm_play_opts {
  int episodes;
  int visualize;          /* open a window (fails clearly without a display) */
  const char *video;      /* MP4 path or NULL; env 0's first episode is recorded */
  int width, height;
} cm_play_opts;

typedef struct cm_play_result {
  double mean_return, mean_ep_len;
  int episodes;
  int video_frames;
  char sheet_path[1100];
} cm_play_result;

int cm_play_test(cm_env *env, const cm_play_opts *opts, cm_play_result *res, cm_err *err);
#endif
