/* One stage as a child process: `cmimic run ...` in its own process group (setpgid) so the
 * harness can kill it with everything it started, its environment overrides, its output
 * captured in a stage log whose header records the command line and the overrides, watched
 * for log growth (hang), wall time (timeout) and the harness's own interruption, and its end
 * classified (failure.h). The harness never dies with a child. */
#ifndef CM_HARNESS_STAGE_H
#define CM_HARNESS_STAGE_H
#include "core/err.h"
#include "harness/failure.h"

#define CM_STAGE_MAX_ARGS 96
#define CM_STAGE_MAX_ENV 16

/* What a status callback sees while the child runs. */
typedef struct cm_stage_live {
  double elapsed;        /* seconds since start */
  double since_progress; /* seconds since the logs last grew */
  long log_bytes, watch_bytes;
} cm_stage_live;

typedef struct cm_stage_spec {
  const char *name;                  /* "train", "test", ... (log header) */
  const char *argv[CM_STAGE_MAX_ARGS]; /* argv[0] the program; NULL-terminated */
  int argc;
  const char *env[CM_STAGE_MAX_ENV]; /* "KEY=VALUE" overrides; NULL-terminated */
  int envc;
  const char *log_path;              /* stdout + stderr of the child, after the header */
  const char *watch_path;            /* another file whose growth counts as progress (log.txt); may be NULL */
  int cpu_is_progress;               /* CPU time used by the child also counts as progress */
  double max_seconds;                /* <= 0: no limit */
  double stall_seconds;              /* <= 0: no hang detection */
  double kill_grace;                 /* SIGTERM, then SIGKILL after this many seconds */
  double status_seconds;             /* period of on_status; <= 0: never */
  void (*on_status)(void *user, const cm_stage_live *live);
  void *user;
} cm_stage_spec;

typedef struct cm_stage_result {
  int exited, exit_code, signaled, sig;
  cm_kill_reason killed;
  double seconds;
  cm_failure failure;
} cm_stage_result;

/* Appends to spec->argv / spec->env (silently bounded; the arrays stay NULL-terminated). */
void cm_stage_arg(cm_stage_spec *s, const char *arg);
void cm_stage_env(cm_stage_spec *s, const char *kv);

/* Runs the stage to its end. Returns -1 (err) only when the child could not be started or the
 * log not written; every way the child can end is a result. */
int cm_stage_run(const cm_stage_spec *spec, cm_stage_result *res, cm_err *err);

/* SIGINT/SIGTERM/SIGHUP set the interrupt flag (the running stage's group is killed and the
 * harness unwinds); SIGPIPE is ignored so a closed terminal or pipe cannot kill the harness. */
void cm_stage_install_signals(void);
int cm_stage_interrupted(void);

/* The last cap-1 bytes of a file, NUL-terminated (empty when unreadable). */
void cm_stage_read_tail(const char *path, char *buf, size_t cap);
/* Absolute path of the running cmimic binary (the children run the same one). */
int cm_stage_self_exe(char *buf, size_t cap, cm_err *err);
#endif
