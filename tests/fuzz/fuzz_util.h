/* Helpers shared by the fuzz targets (tests/fuzz/fuzz_*.c): libFuzzer hands over bytes, the
 * loaders want a C string or a file. */
#ifndef CM_FUZZ_UTIL_H
#define CM_FUZZ_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd NUL-terminated copy (an embedded NUL simply ends the text early). */
static inline char *fz_cstr(const uint8_t *d, size_t n) {
  char *s = malloc(n + 1);
  if (!s) abort();
  if (n) memcpy(s, d, n);
  s[n] = 0;
  return s;
}

/* Writes the input to a per-process file whose name ends with ext, for loaders that take a
 * path; the caller unlinks it. The folder is $TMPDIR or /tmp. */
static inline void fz_file(const uint8_t *d, size_t n, const char *ext, char *path, size_t cap) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, cap, "%s/cmimic_fuzz_%ld%s", dir && *dir ? dir : "/tmp", (long)getpid(), ext);
  FILE *f = fopen(path, "wb");
  if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f) != 0) abort();
}
#endif
