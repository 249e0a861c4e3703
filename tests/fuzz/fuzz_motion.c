/* Motion .pkl files (MimicKit/GMR clips) through cm_motion_load, as --motion_file reads them. */
#include "fuzz_util.h"
#include "anim/motion.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[512];
  fz_file(data, size, ".pkl", path, sizeof path);
  cm_motion m;
  cm_err err;
  if (cm_motion_load(path, &m, &err) == 0) {
    volatile float sum = 0;
    for (long i = 0; i < (long)m.num_frames * m.frame_dim; i++) sum += m.frames[i];
    (void)cm_motion_length(&m);
    cm_motion_free(&m);
  }
  unlink(path);
  return 0;
}
