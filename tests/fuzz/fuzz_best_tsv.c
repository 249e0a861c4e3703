/* best_by_case.tsv as the harness reads it back on --resume. */
#include "fuzz_util.h"
#include "harness/summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[512];
  fz_file(data, size, "_best.tsv", path, sizeof path);
  cm_results rs;
  cm_err err;
  if (cm_results_read(path, 1, &rs, &err) == 0) {
    cm_results_get(&rs, "new_case");
    cm_results_free(&rs);
  }
  unlink(path);
  return 0;
}
