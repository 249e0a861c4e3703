/* A shipped yaml with substrings replaced (from[k] -> to[k], each the first occurrence, which
 * must exist), written to a temporary file /tmp/cm_test_<tag>_<pid>_XXXXXX: how the env tests
 * make a variant of a shipped config. Returns 0 and the path, or -1 (a CHECK has failed). */
#ifndef CM_TEST_YAML_VARIANT_H
#define CM_TEST_YAML_VARIANT_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"

static int yaml_variant(const char *base, const char *const *from, const char *const *to, int n, const char *tag,
                        char *path, size_t cap) {
  FILE *f = fopen(base, "rb");
  CHECK(f != NULL);
  if (!f) return -1;
  size_t grow = 1;
  for (int k = 0; k < n; k++) grow += strlen(to[k]);
  char *t = calloc(1, (1 << 16) + grow);
  size_t len = t ? fread(t, 1, 1 << 16, f) : 0;
  fclose(f);
  CHECK(t != NULL && len < (1 << 16));
  if (!t) return -1;
  for (int k = 0; k < n; k++) {
    char *p = strstr(t, from[k]);
    CHECK(p != NULL);
    if (!p) continue;
    size_t lf = strlen(from[k]), lt = strlen(to[k]);
    memmove(p + lt, p + lf, strlen(p + lf) + 1);
    memcpy(p, to[k], lt);
  }
  snprintf(path, cap, "/tmp/cm_test_%s_%d_XXXXXX", tag, (int)getpid());
  int fd = mkstemp(path);
  int ok = fd >= 0 && write(fd, t, strlen(t)) == (ssize_t)strlen(t);
  CHECK(ok);
  if (fd >= 0) close(fd);
  free(t);
  return ok ? 0 : -1;
}
#endif
