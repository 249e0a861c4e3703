/* A run's log.txt as it is read back: by a resumed training run (cm_log_parse), by plot and
 * the harness's nan check (cm_failure_log_has_nan). */
#include "fuzz_util.h"
#include "harness/failure.h"
#include "io/run_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[512];
  fz_file(data, size, "_log.txt", path, sizeof path);
  cm_log_table t;
  cm_err err;
  if (cm_log_parse((const char *)data, size, "fuzz_log.txt", &t, &err) == 0) {
    cm_log_table_find(&t, "Iteration");
    cm_log_table_free(&t);
  }
  /* A resumed run appends to it: its header must match this run's keys. */
  cm_log *log = NULL;
  if (cm_log_open(path, 1, &log, &err) == 0) {
    if (cm_log_set_ex(log, "Iteration", 1, CM_LOG_INT, &err) == 0 && cm_log_set(log, "Loss", 0.5, &err) == 0)
      cm_log_write_row(log, &err);
    cm_log_close(log);
  }
  char detail[256];
  cm_failure_log_has_nan(path, detail, sizeof detail);
  unlink(path);
  return 0;
}
