/* The MJCF normaliser (attribute stripping, torque limits, scene insertion) on any text, with
 * and without the scene and the fixed root. MuJoCo's own XML compiler is not fuzzed here. */
#include "fuzz_util.h"
#include "anim/mjcf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_cstr(data, size);
  static cm_mjcf_limits limits; /* 40 KB: keep it off the stack */
  for (int mode = 0; mode < 4; mode++) {
    cm_mjcf_opts opts = {.add_scene = mode & 1, .fix_root = mode >> 1};
    char *out = NULL;
    cm_err err;
    if (cm_mjcf_normalise("fuzz.xml", text, &opts, &out, (mode & 1) ? &limits : NULL, &err) == 0) free(out);
  }
  free(text);
  return 0;
}
