/* Replays inputs through one fuzz target without libFuzzer: the ctest runs (and builds without
 * clang) feed every seed and regression file to LLVMFuzzerTestOneInput. Arguments are files,
 * folders (every file inside, sorted) or @LIST (a file of glob patterns relative to the current
 * directory, one per line; a leading '?' marks a pattern that may match nothing). A crash or
 * sanitizer report fails the run; otherwise it prints how many inputs it replayed and exits 0
 * (a required pattern matching nothing is an error: the seeds moved). */
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz_util.h"

static long g_count;

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return -1;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf) return -1;
  /* libFuzzer hands over an exact-size heap copy, so overreads are caught: do the same. */
  uint8_t *exact = malloc(n ? n : 1);
  if (n) memcpy(exact, buf, n);
  free(buf);
  LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  g_count++;
  return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int replay_path(const char *path);

static int replay_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  char **names = NULL;
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    names = realloc(names, (n + 1) * sizeof *names);
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    names[n] = malloc(len);
    snprintf(names[n++], len, "%s/%s", dir, e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    if (replay_path(names[i])) rc = -1;
    free(names[i]);
  }
  free(names);
  return rc;
}

static int replay_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: no such input %s\n", path);
    return -1;
  }
  return S_ISDIR(st.st_mode) ? replay_dir(path) : replay_file(path);
}

static int replay_list(const char *list) {
  FILE *f = fopen(list, "r");
  if (!f) {
    fprintf(stderr, "replay: cannot open list %s\n", list);
    return -1;
  }
  char line[1024];
  int rc = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0] || line[0] == '#') continue;
    int optional = line[0] == '?';
    const char *pat = line + optional;
    glob_t g;
    if (glob(pat, 0, NULL, &g) != 0) {
      if (!optional) {
        fprintf(stderr, "replay: %s: pattern '%s' matches nothing\n", list, pat);
        rc = -1;
      }
      continue;
    }
    for (size_t i = 0; i < g.gl_pathc; i++)
      if (replay_path(g.gl_pathv[i])) rc = -1;
    globfree(&g);
  }
  fclose(f);
  return rc;
}

int main(int argc, char **argv) {
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '@') rc |= replay_list(argv[i] + 1);
    else if (replay_path(argv[i])) rc = -1;
  }
  printf("replayed %ld inputs\n", g_count);
  return rc ? 1 : 0;
}
