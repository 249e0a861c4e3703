/* cmimic convert deepmimic IN.txt OUT.pkl: DeepMimic humanoid clips to MimicKit motions. */
#include <stdio.h>
#include <string.h>
#include "anim/deepmimic_convert.h"
#include "app/commands.h"

int cmd_convert(int argc, char **argv) {
  if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
    printf("usage: cmimic convert deepmimic IN.txt OUT.pkl\nConverts a DeepMimic clip (Y-up, w-first quaternions) into a MimicKit motion. No flags.\n");
    return 0;
  }
  if (argc != 3 || strcmp(argv[0], "deepmimic")) {
    fprintf(stderr, "usage: cmimic convert deepmimic IN.txt OUT.pkl\n");
    return 2;
  }
  cm_err err;
  if (cm_convert_deepmimic_file(argv[1], argv[2], &err)) {
    fprintf(stderr, "cmimic convert: %s\n", err.msg);
    return 1;
  }
  printf("wrote %s\n", argv[2]);
  return 0;
}
