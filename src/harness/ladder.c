#include "harness/ladder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cm_ladder_parse(const char *text, const char *flag, cm_ladder *l, cm_err *err) {
  l->n = 0;
  const char *p = text;
  while (*p) {
    char *end = NULL;
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || (*end && *end != ','))
      return cm_fail(err, "--%s: expected a comma list of positive integers like 320,256,192, got '%s'", flag, text);
    if (l->n == CM_LADDER_MAX) return cm_fail(err, "--%s: more than %d rungs", flag, CM_LADDER_MAX);
    l->v[l->n++] = v;
    p = *end ? end + 1 : end;
  }
  if (l->n == 0) return cm_fail(err, "--%s: empty ladder", flag);
  return 0;
}

void cm_ladder_format(const cm_ladder *l, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; i < l->n && used < cap; i++) used += (size_t)snprintf(buf + used, cap - used, "%s%ld", i ? "," : "", l->v[i]);
}

cm_ladder_step cm_ladder_next(const cm_failure *f, int rung, int n, int port_retries_used, int port_retries_max) {
  if (f->cls == CM_FAIL_NONE) return CM_LADDER_PASS;
  if (f->cls == CM_FAIL_INTERRUPTED) return CM_LADDER_STOP;
  if (f->cls == CM_FAIL_DIST && f->port_in_use && port_retries_used < port_retries_max) return CM_LADDER_RETRY_RUNG;
  /* Every other failure (oom, dist, crash, hang, timeout, nan, error) is treated as "this scale
   * does not run here": the next, smaller rung is tried, as the seeds' probe ladders do. */
  return rung + 1 < n ? CM_LADDER_STEP_DOWN : CM_LADDER_STOP;
}

cm_ladder_step cm_ladder_next_devices(const cm_failure *f, int rung, int n, int port_retries_used, int port_retries_max,
                                      int multi_device) {
  cm_ladder_step s = cm_ladder_next(f, rung, n, port_retries_used, port_retries_max);
  if (multi_device && f->cls == CM_FAIL_DIST && s != CM_LADDER_RETRY_RUNG) return CM_LADDER_ONE_DEVICE;
  if (multi_device && s == CM_LADDER_STOP && f->cls != CM_FAIL_INTERRUPTED) return CM_LADDER_ONE_DEVICE_TOP;
  return s;
}
