/* runs/<case>/attempts.json: every stage attempt of one case, in order: stage, variant,
 * num_envs, port, status (ok / fail / running / interrupted), failure class and signature, exit
 * status or signal, seconds, start/end times, log and output paths, GPU utilisation. Saved
 * atomically after every change so an interrupted harness leaves a parseable record. */
#ifndef CM_HARNESS_ATTEMPTS_H
#define CM_HARNESS_ATTEMPTS_H
#include "core/err.h"

typedef struct cm_attempt {
  char stage[32], variant[32], status[16], failure[16], detail[256];
  char devices[128];  /* train stages: the --devices list ("cuda:0,cuda:1"); "" before it was kept */
  long num_envs;
  int port, exit_code, signal;
  double seconds;
  char started[32], finished[32];
  char log[1200], out_dir[1200];
  double gpu_util_avg, gpu_util_min; /* NAN when no GPU was monitored */
  double samples_per_s, mean_return; /* NAN when not measured */
} cm_attempt;

typedef struct cm_attempts {
  char case_name[256];
  cm_attempt *items;
  int n;
} cm_attempts;

/* Loads path (a missing file gives an empty list). Attempts left "running" by a harness that
 * died become "interrupted". */
int cm_attempts_load(const char *path, const char *case_name, cm_attempts *a, cm_err *err);
/* Appends a copy; returns its index or -1. */
int cm_attempts_add(cm_attempts *a, const cm_attempt *at);
int cm_attempts_save(const cm_attempts *a, const char *path, cm_err *err);
void cm_attempts_free(cm_attempts *a);
/* A fresh attempt with the NAN fields set. */
void cm_attempt_init(cm_attempt *at, const char *stage, const char *variant, long num_envs);
void cm_now_iso(char *buf, unsigned long cap);
#endif
