/* runs/<case>/attempts.json as the harness reads it back on --resume. */
#include "fuzz_util.h"
#include "harness/attempts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[512];
  fz_file(data, size, "_attempts.json", path, sizeof path);
  cm_attempts a;
  cm_err err;
  if (cm_attempts_load(path, "case", &a, &err) == 0) {
    cm_attempt at;
    cm_attempt_init(&at, "train", "base", 4);
    cm_attempts_add(&a, &at);
    cm_attempts_free(&a);
  }
  unlink(path);
  return 0;
}
