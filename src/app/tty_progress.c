#include "app/tty_progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/clock.h"

void cm_tty_progress_start(cm_tty_progress *p, const char *what, const char *unit) {
  memset(p, 0, sizeof *p);
  p->what = what;
  p->unit = unit;
  p->on = isatty(STDERR_FILENO);
  p->t0 = cm_now_seconds();
}

void cm_tty_progress_update(void *user, long done, long total) {
  cm_tty_progress *p = user;
  double now = cm_now_seconds();
  if (!p->on || total <= 0 || (p->shown && now - p->last < 0.2 && done < total)) return;
  char eta[32] = "?";
  if (done > 0) {
    long s = (long)((now - p->t0) * (double)(total - done) / (double)done + 0.5);
    if (s < 60) snprintf(eta, sizeof eta, "%lds", s);
    else snprintf(eta, sizeof eta, "%ldm%02lds", s / 60, s % 60);
  }
  fprintf(stderr, "\r%s: %ld/%ld %s (%ld%%), ETA %s\033[K", p->what, done, total, p->unit, 100 * done / total, eta);
  fflush(stderr);
  p->shown = 1;
  p->last = now;
}

void cm_tty_progress_end(cm_tty_progress *p) {
  if (p->shown) fprintf(stderr, "\r\033[K");
  fflush(stderr);
  p->shown = 0;
}
