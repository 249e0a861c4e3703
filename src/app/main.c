/* cmimic: one binary, subcommands. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
    printf("usage: cmimic <command> [flags]\n");
    return argc < 2 ? 2 : 0;
  }
  fprintf(stderr, "cmimic: unknown command '%s' (try: cmimic help)\n", argv[1]);
  return 2;
}
