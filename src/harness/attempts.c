#include "harness/attempts.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/fileio.h"

void cm_now_iso(char *buf, unsigned long cap) {
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
}

void cm_attempt_init(cm_attempt *at, const char *stage, const char *variant, long num_envs) {
  memset(at, 0, sizeof *at);
  snprintf(at->stage, sizeof at->stage, "%s", stage);
  snprintf(at->variant, sizeof at->variant, "%s", variant);
  snprintf(at->status, sizeof at->status, "running");
  at->num_envs = num_envs;
  at->gpu_util_avg = at->gpu_util_min = at->samples_per_s = at->mean_return = NAN;
  cm_now_iso(at->started, sizeof at->started);
}

int cm_attempts_add(cm_attempts *a, const cm_attempt *at) {
  cm_attempt *items = realloc(a->items, sizeof *items * (size_t)(a->n + 1));
  if (!items) return -1;
  a->items = items;
  a->items[a->n] = *at;
  return a->n++;
}

void cm_attempts_free(cm_attempts *a) {
  free(a->items);
  a->items = NULL;
  a->n = 0;
}

static void get_str(const cJSON *o, const char *key, char *dst, size_t cap) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  snprintf(dst, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static double get_num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* An integer field: 0 when absent, not a number or out of range (a hand-edited or damaged file
 * must not turn into undefined conversions). */
static long get_int(const cJSON *o, const char *key, long lo, long hi) {
  double v = get_num(o, key);
  return v >= (double)lo && v <= (double)hi ? (long)v : 0;
}

int cm_attempts_load(const char *path, const char *case_name, cm_attempts *a, cm_err *err) {
  memset(a, 0, sizeof *a);
  snprintf(a->case_name, sizeof a->case_name, "%s", case_name);
  if (!cm_file_exists(path)) return 0;
  char *text = NULL;
  size_t len = 0;
  if (cm_read_file(path, &text, &len, err)) return -1;
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *list = root ? cJSON_GetObjectItemCaseSensitive(root, "attempts") : NULL;
  if (!cJSON_IsArray(list)) {
    cJSON_Delete(root);
    return cm_fail(err, "%s: not an attempts file (no \"attempts\" array)", path);
  }
  const cJSON *o;
  cJSON_ArrayForEach(o, list) {
    cm_attempt at;
    memset(&at, 0, sizeof at);
    get_str(o, "stage", at.stage, sizeof at.stage);
    get_str(o, "variant", at.variant, sizeof at.variant);
    get_str(o, "status", at.status, sizeof at.status);
    get_str(o, "failure", at.failure, sizeof at.failure);
    get_str(o, "detail", at.detail, sizeof at.detail);
    get_str(o, "started", at.started, sizeof at.started);
    get_str(o, "finished", at.finished, sizeof at.finished);
    get_str(o, "log", at.log, sizeof at.log);
    get_str(o, "out_dir", at.out_dir, sizeof at.out_dir);
    get_str(o, "devices", at.devices, sizeof at.devices);
    at.num_envs = get_int(o, "num_envs", 0, 1L << 40);
    at.port = (int)get_int(o, "port", 0, 65535);
    at.exit_code = (int)get_int(o, "exit_code", INT_MIN, INT_MAX);
    at.signal = (int)get_int(o, "signal", 0, 1024);
    at.seconds = get_num(o, "seconds");
    at.gpu_util_avg = get_num(o, "gpu_util_avg");
    at.gpu_util_min = get_num(o, "gpu_util_min");
    at.samples_per_s = get_num(o, "samples_per_s");
    at.mean_return = get_num(o, "mean_return");
    if (!strcmp(at.status, "running")) { /* its harness died mid-attempt */
      snprintf(at.status, sizeof at.status, "interrupted");
      snprintf(at.failure, sizeof at.failure, "interrupted");
    }
    if (cm_attempts_add(a, &at) < 0) {
      cJSON_Delete(root);
      return cm_fail(err, "out of memory reading %s", path);
    }
  }
  cJSON_Delete(root);
  return 0;
}

static void put_num(cJSON *o, const char *key, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
  else cJSON_AddNullToObject(o, key);
}

int cm_attempts_save(const cm_attempts *a, const char *path, cm_err *err) {
  cJSON *root = cJSON_CreateObject(), *list = cJSON_CreateArray();
  cJSON_AddStringToObject(root, "case", a->case_name);
  cJSON_AddItemToObject(root, "attempts", list);
  for (int i = 0; i < a->n; i++) {
    const cm_attempt *at = &a->items[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "stage", at->stage);
    cJSON_AddStringToObject(o, "variant", at->variant);
    cJSON_AddNumberToObject(o, "num_envs", (double)at->num_envs);
    if (at->port) cJSON_AddNumberToObject(o, "port", at->port);
    if (at->devices[0]) cJSON_AddStringToObject(o, "devices", at->devices);
    cJSON_AddStringToObject(o, "status", at->status);
    cJSON_AddStringToObject(o, "failure", at->failure);
    cJSON_AddStringToObject(o, "detail", at->detail);
    cJSON_AddNumberToObject(o, "exit_code", at->exit_code);
    cJSON_AddNumberToObject(o, "signal", at->signal);
    put_num(o, "seconds", at->seconds);
    cJSON_AddStringToObject(o, "started", at->started);
    cJSON_AddStringToObject(o, "finished", at->finished);
    cJSON_AddStringToObject(o, "log", at->log);
    cJSON_AddStringToObject(o, "out_dir", at->out_dir);
    put_num(o, "gpu_util_avg", at->gpu_util_avg);
    put_num(o, "gpu_util_min", at->gpu_util_min);
    put_num(o, "samples_per_s", at->samples_per_s);
    put_num(o, "mean_return", at->mean_return);
    cJSON_AddItemToArray(list, o);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return cm_fail(err, "out of memory writing %s", path);
  size_t n = strlen(text);
  text[n] = '\n'; /* cJSON_Print's buffer ends in NUL; replace it, length +1 */
  int rc = cm_write_file_atomic(path, text, n + 1, err);
  free(text);
  return rc;
}
