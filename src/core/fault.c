#include "core/fault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A positive integer from the environment, or -1 when unset or malformed. */
static long env_limit(const char *name) {
  const char *s = getenv(name);
  if (!s || !*s) return -1;
  char *end = NULL;
  long v = strtol(s, &end, 10);
  return (*end || v < 0) ? -1 : v;
}

int cm_fault_check_envs(int num_envs, cm_err *err) {
  long limit = env_limit("CMIMIC_FAULT_OOM_ABOVE_ENVS");
  if (limit >= 0 && num_envs > limit)
    return cm_fail(err, "out of memory: cannot allocate %d environments (fault injection)", num_envs);
  return 0;
}

void cm_fault_after_iteration(long iters_done, int num_envs, volatile sig_atomic_t *wake) {
  long k = env_limit("CMIMIC_FAULT_HANG_AFTER_ITERS"), envs = env_limit("CMIMIC_FAULT_HANG_ENVS");
  if (k < 0 || iters_done < k || (envs >= 0 && envs != num_envs)) return;
  fprintf(stderr, "fault injection: hanging after %ld iterations\n", iters_done);
  fflush(NULL);
  while (!*wake) pause(); /* only a caught signal wakes us; SIGKILL ends us */
}

void cm_fault_hold_test(void) {
  if (env_limit("CMIMIC_FAULT_HOLD_TEST") < 1) return;
  fprintf(stderr, "fault injection: holding the test run\n");
  fflush(NULL);
  pause(); /* a test run without a watcher catches no signal: SIGTERM/SIGINT end it here */
}

static int errno_of(const char *name) {
  static const struct { const char *name; int value; } k_names[] = {
      {"ENOSPC", ENOSPC}, {"EIO", EIO}, {"EROFS", EROFS}, {"EACCES", EACCES}, {"EDQUOT", EDQUOT}};
  for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++)
    if (!strcmp(name, k_names[i].name)) return k_names[i].value;
  char *end = NULL;
  long v = strtol(name, &end, 10);
  return (end != name && !*end && v > 0 && v < 4096) ? (int)v : 0;
}

int cm_fault_write_errno(const char *path) {
  const char *spec = getenv("CMIMIC_FAULT_WRITE_FAIL");
  if (!spec || !*spec || !path) return 0;
  static long passed[16]; /* successful writes per rule, in rule order, for the spec below */
  static char counted[1024];
  char rules[1024];
  if (strncmp(counted, spec, sizeof counted - 1)) { /* a new spec starts its counts afresh */
    memset(passed, 0, sizeof passed);
    snprintf(counted, sizeof counted, "%s", spec);
  }
  snprintf(rules, sizeof rules, "%s", spec);
  int r = 0;
  char *save = NULL;
  for (char *rule = strtok_r(rules, ",", &save); rule && r < 16; rule = strtok_r(NULL, ",", &save), r++) {
    char *sub = rule, *en = strchr(rule, ':');
    if (!en) continue;
    *en++ = 0;
    char *skip_s = strchr(en, ':');
    long skip = 0;
    if (skip_s) {
      *skip_s++ = 0;
      skip = strtol(skip_s, NULL, 10);
    }
    int e = errno_of(en);
    if (!e || !*sub || !strstr(path, sub)) continue;
    if (passed[r] < skip) {
      passed[r]++;
      return 0;
    }
    return e;
  }
  return 0;
}

void cm_fault_after_frame(long frames_done, volatile sig_atomic_t *wake) {
  long k = env_limit("CMIMIC_FAULT_HANG_AFTER_FRAMES");
  if (k < 0 || frames_done != k) return;
  fprintf(stderr, "fault injection: hanging after %ld frames\n", frames_done);
  fflush(NULL);
  while (!*wake) pause();
}

void cm_fault_hold_write(const char *path) {
  const char *sub = getenv("CMIMIC_FAULT_HOLD_WRITE");
  if (!sub || !*sub || !strstr(path, sub)) return;
  fprintf(stderr, "fault injection: holding the write of %s\n", path);
  fflush(NULL);
  pause(); /* returns once a caught signal has run its handler */
}

int cm_fault_nan_at(long iter, const char *where) {
  long k = env_limit("CMIMIC_FAULT_NAN_AT_ITER");
  const char *in = getenv("CMIMIC_FAULT_NAN_IN");
  return k >= 0 && iter == k && strcmp(in && *in ? in : "loss", where) == 0;
}

extern char **environ;

void cm_fault_limit_to_rank(int rank) {
  long only = env_limit("CMIMIC_FAULT_RANK");
  if (only < 0 || only == rank) return;
  char name[128];
  for (int again = 1; again;) { /* unsetenv changes environ: rescan after each */
    again = 0;
    for (char **e = environ; e && *e; e++) {
      const char *eq = strchr(*e, '=');
      if (strncmp(*e, "CMIMIC_FAULT_", 13) || !eq || (size_t)(eq - *e) >= sizeof name) continue;
      snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
      unsetenv(name);
      again = 1;
      break;
    }
  }
}
