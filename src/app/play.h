/* Watching a run: records env 0's first episode to an MP4 (+ contact sheet) and/or shows it in a
 * window, as an observer of the environment; and the dummy agent's test loop (zero actions)
 * for environments without an agent (view_motion, dof_test). */
#ifndef CM_PLAY_H
#define CM_PLAY_H
#include "env/env.h"
#include "learn/rl_env.h"

typedef struct cm_play_opts {
  int visualize;          /* open a window (fails clearly without a display) */
  const char *video;      /* MP4 path or NULL */
  int width, height;
} cm_play_opts;

typedef struct cm_watch cm_watch;
/* Attaches to rl (made by cm_rl_env_from_char over env). */
int cm_watch_attach(cm_rl_env *rl, cm_env *env, const cm_play_opts *opts, cm_watch **out, cm_err *err);
/* 1 while frames are still wanted (video unfinished or window open). */
int cm_watch_busy(const cm_watch *w);
/* Finishes the video and writes its contact sheet; frees w (NULL is fine). */
int cm_watch_finish(cm_watch *w, int *frames, char *sheet_path, size_t cap, cm_err *err);
void cm_watch_abort(cm_watch *w);

typedef struct cm_play_result {
  double mean_return, mean_ep_len;
  int episodes;
} cm_play_result;
/* Runs zero-action episodes until `episodes` have ended and the watcher (if any) is done. */
int cm_play_dummy_test(cm_rl_env *rl, int episodes, const cm_watch *w, cm_play_result *res, cm_err *err);
#endif
