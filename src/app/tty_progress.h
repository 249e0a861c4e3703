/* A progress line for long commands (retargeting a long clip): "\r<what>: 1200/36000 frames
 * (3%), ETA 24s" on stderr, redrawn at most five times a second, only when stderr is a terminal
 * (a pipe or a log file gets nothing), and erased at the end so the terminal keeps the results. */
#ifndef CM_APP_TTY_PROGRESS_H
#define CM_APP_TTY_PROGRESS_H

typedef struct cm_tty_progress {
  const char *what, *unit; /* "retarget", "frames" */
  int on, shown;           /* stderr is a terminal; a line is on it now */
  double t0, last;         /* monotonic start and last redraw */
} cm_tty_progress;

void cm_tty_progress_start(cm_tty_progress *p, const char *what, const char *unit);
/* For a callback: user is the cm_tty_progress. */
void cm_tty_progress_update(void *user, long done, long total);
void cm_tty_progress_end(cm_tty_progress *p);
#endif
