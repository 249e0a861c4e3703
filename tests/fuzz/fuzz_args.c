/* MimicKit arg files: load from a file, then every lookup and typed getter on every flag. */
#include "fuzz_util.h"
#include "io/args.h"

static const char *const k_known[] = {"mode", "env_config", "agent_config", "engine_config", "num_envs",
                                      "devices", "visualize", "out_dir", "arg_file", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[512];
  fz_file(data, size, "_args.txt", path, sizeof path);
  cm_args a = {0};
  cm_err err;
  /* A command-line source first, as cm_args_load does, so the file's keys meet existing ones. */
  char *argv[] = {"--num_envs", "4", "--devices", "cpu", "cuda:0"};
  cm_args_parse_argv(&a, 5, argv, &err);
  if (cm_args_load_file(&a, path, &err) == 0) {
    cm_args_check_known(&a, k_known, &err);
    for (int i = 0; i < a.n; i++) {
      const char *key = a.items[i].key;
      long l;
      double d;
      int b;
      cm_args_has(&a, key);
      cm_args_str(&a, key, "d");
      int n = cm_args_count(&a, key);
      for (int j = -1; j <= n; j++) cm_args_at(&a, key, j);
      cm_args_int(&a, key, 0, &l, &err);
      cm_args_float(&a, key, 0, &d, &err);
      cm_args_bool(&a, key, 0, &b, &err);
    }
  }
  cm_args_free(&a);
  unlink(path);
  return 0;
}
