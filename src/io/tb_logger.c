/* log.txt rows as TensorBoard scalars with MimicKit's collection tags. */
#include "io/tb_logger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP_KEY "Samples"

static const char *collection_of(const char *key) {
  static const char *const main_keys[] = {"Test_Return", "Test_Episode_Length", "Train_Return", "Train_Episode_Length", NULL};
  static const char *const info_keys[] = {"Iteration", "Wall_Time", "Samples", "Test_Episodes", "Train_Episodes", NULL};
  for (int i = 0; main_keys[i]; i++)
    if (!strcmp(key, main_keys[i])) return "0_Main";
  for (int i = 0; info_keys[i]; i++)
    if (!strcmp(key, info_keys[i])) return "1_Info";
  return "Misc";
}

const char *cm_tb_tag(const char *key, char *buf, size_t n) {
  snprintf(buf, n, "%s/%s", collection_of(key), key);
  return buf;
}

int cm_tb_write_log_row(cm_tb *tb, const cm_log *log, cm_err *err) {
  int k = cm_log_num_keys(log), n = 0, rc = -1;
  int64_t step = cm_log_rows_written(log) + cm_log_rows_existing(log) - 1; /* MimicKit: the row count without a step key */
  char **tags = calloc((size_t)k + 1, sizeof *tags);
  double *vals = calloc((size_t)k + 1, sizeof *vals);
  if (!tags || !vals) {
    rc = cm_fail(err, "out of memory");
    goto done;
  }
  for (int i = 0; i < k; i++) {
    const char *key = cm_log_key(log, i);
    if (!strcmp(key, STEP_KEY)) {
      step = (int64_t)cm_log_value(log, i);
      continue;
    }
    char tag[300];
    tags[n] = strdup(cm_tb_tag(key, tag, sizeof tag));
    if (!tags[n]) {
      rc = cm_fail(err, "out of memory");
      goto done;
    }
    vals[n++] = cm_log_value(log, i);
  }
  rc = cm_tb_write_row(tb, step, n, (const char *const *)tags, vals, err);
done:
  for (int i = 0; tags && i < n; i++) free(tags[i]);
  free(tags);
  free(vals);
  return rc;
}
