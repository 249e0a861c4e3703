/* Size ladders: the num_envs values a case tries from the top down, and what to do after a
 * failed attempt (OOM and communicator failures step down; a port clash retries the rung). */
#ifndef CM_HARNESS_LADDER_H
#define CM_HARNESS_LADDER_H
#include "core/err.h"
#include "harness/failure.h"

#define CM_LADDER_MAX 32
typedef struct cm_ladder {
  long v[CM_LADDER_MAX];
  int n;
} cm_ladder;

/* "320,256,192" -> rungs; each a positive integer; at least one. */
int cm_ladder_parse(const char *text, const char *flag, cm_ladder *l, cm_err *err);
/* "320,256,192" into buf. */
void cm_ladder_format(const cm_ladder *l, char *buf, size_t cap);

typedef enum {
  CM_LADDER_PASS,
  CM_LADDER_RETRY_RUNG,
  CM_LADDER_STEP_DOWN,
  CM_LADDER_STOP,
  CM_LADDER_ONE_DEVICE,     /* the same rung again, on one device */
  CM_LADDER_ONE_DEVICE_TOP, /* the ladder again from its first rung, on one device */
} cm_ladder_step;
/* After an attempt at rung (0-based) of n rungs ended with f: pass; retry the same rung with a
 * new port (an address-in-use clash, while port retries remain); step down to rung + 1; or stop
 * (interrupted by the user, or no rung left). */
cm_ladder_step cm_ladder_next(const cm_failure *f, int rung, int n, int port_retries_used, int port_retries_max);
/* The same for an attempt on several devices, as the seeds fall back from the dual-device probe
 * to one device by hand: a communicator failure (class dist, not a port clash that still has
 * retries) retries the rung on one device; any other failure at the last rung (every rung failed
 * on several devices: out of memory, a crash, a hang) starts the ladder again on one device. */
cm_ladder_step cm_ladder_next_devices(const cm_failure *f, int rung, int n, int port_retries_used, int port_retries_max,
                                      int multi_device);
#endif
