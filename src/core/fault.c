#include "core/fault.h"

#include <stdio.h>
#include <stdlib.h>
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

int cm_fault_nan_at(long iter) {
  long k = env_limit("CMIMIC_FAULT_NAN_AT_ITER");
  return k >= 0 && iter == k;
}
