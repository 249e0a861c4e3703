/* torch zip checkpoints (model.pt from cmimic or torch.save) through cm_torch_load_mem. */
#include "fuzz_util.h"
#include "io/torch_ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cm_state_dict sd;
  cm_err err;
  cm_sd_init(&sd);
  if (cm_torch_load_mem(data, size, "fuzz.pt", &sd, &err) == 0) {
    for (int i = 0; i < sd.count; i++) {
      volatile float sum = 0;
      size_t n = cm_sd_numel(&sd.entries[i]);
      for (size_t j = 0; j < n; j++) sum += sd.entries[i].data[j] + (sd.entries[i].idata ? (float)sd.entries[i].idata[j] : 0);
      cm_sd_find(&sd, sd.entries[i].name);
    }
  }
  cm_sd_free(&sd);
  return 0;
}
