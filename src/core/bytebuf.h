/* A growable byte buffer for building files and texts in memory. It keeps a NUL after the
 * bytes so text users can read data as a string; after an allocation failure it stays failed
 * and ignores further appends, so callers may check once at the end. */
#ifndef CM_BYTEBUF_H
#define CM_BYTEBUF_H
#include <stdlib.h>
#include <string.h>

typedef struct cm_buf {
  unsigned char *data;
  size_t len, cap;
  int failed;
} cm_buf;

static inline int cm_buf_put(cm_buf *b, const void *p, size_t n) {
  if (b->failed) return -1;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d) {
      b->failed = 1;
      return -1;
    }
    b->data = d;
    b->cap = cap;
  }
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
  return 0;
}

static inline void cm_buf_free(cm_buf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}
#endif
