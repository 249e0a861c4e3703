/* DeepMimic motion text (JSON clips) through the converter's parser. */
#include "fuzz_util.h"
#include "anim/deepmimic_convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_cstr(data, size);
  cm_motion m;
  cm_err warn, err;
  if (cm_deepmimic_parse(text, "fuzz.txt", &m, &warn, &err) == 0) cm_motion_free(&m);
  free(text);
  return 0;
}
