/* Motion dataset yamls (motions: [{file, weight}]) through the motion library's reader; the
 * clips it names are not opened. */
#include "fuzz_util.h"
#include "anim/motion_lib.h"
#include "io/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[512];
  fz_file(data, size, "_dataset.yaml", path, sizeof path);
  cm_cfg *cfg = NULL;
  const char **files = NULL;
  double *weights = NULL;
  int n = 0, *lines = NULL, list_line = 0;
  cm_err err;
  if (cm_motion_dataset_read(path, &cfg, &files, &weights, &lines, &list_line, &n, &err) == 0) {
    volatile size_t len = 0;
    for (int i = 0; i < n; i++) len += strlen(files[i]) + (weights[i] >= 0) + (lines[i] >= list_line);
  }
  free(files);
  free(weights);
  free(lines);
  cm_cfg_free(cfg);
  unlink(path);
  return 0;
}
