/* TensorBoard event files: TFRecord framing and the Event protobuf encoded by hand (see the
 * header for why no library). */
#include "io/tb_events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "core/bytebuf.h"
#include "core/fileio.h"

struct cm_tb {
  int fd;
  char path[1200];
};

/* ---- CRC32C, table-driven, reflected polynomial 0x82f63b78 ---- */
static uint32_t g_crc_table[256];
static void crc_table_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    g_crc_table[i] = c;
  }
}

uint32_t cm_crc32c(uint32_t crc, const void *data, size_t len) {
  if (!g_crc_table[1]) crc_table_init();
  const unsigned char *p = data;
  crc = ~crc;
  for (size_t i = 0; i < len; i++) crc = g_crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t cm_crc32c_masked(const void *data, size_t len) {
  uint32_t c = cm_crc32c(0, data, len);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

/* ---- protobuf wire format: varints, fixed 32/64-bit little endian, length-delimited ---- */
static void put_varint(cm_buf *b, uint64_t v) {
  unsigned char tmp[10];
  int n = 0;
  do {
    tmp[n] = (unsigned char)(v & 0x7f);
    v >>= 7;
    if (v) tmp[n] |= 0x80;
    n++;
  } while (v);
  cm_buf_put(b, tmp, (size_t)n);
}

static void put_le(cm_buf *b, uint64_t v, int bytes) {
  unsigned char tmp[8];
  for (int i = 0; i < bytes; i++) tmp[i] = (unsigned char)(v >> (8 * i));
  cm_buf_put(b, tmp, (size_t)bytes);
}

enum { WIRE_VARINT = 0, WIRE_64 = 1, WIRE_LEN = 2, WIRE_32 = 5 };
static void put_key(cm_buf *b, int field, int wire) { put_varint(b, (uint64_t)(field << 3 | wire)); }

static void put_bytes(cm_buf *b, int field, const void *p, size_t n) {
  put_key(b, field, WIRE_LEN);
  put_varint(b, n);
  cm_buf_put(b, p, n);
}

static void put_double(cm_buf *b, int field, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  put_key(b, field, WIRE_64);
  put_le(b, u, 8);
}

static void put_float(cm_buf *b, int field, float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  put_key(b, field, WIRE_32);
  put_le(b, u, 4);
}

/* Event header fields: wall_time (1) and step (2). */
static void put_event_head(cm_buf *ev, int64_t step) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  put_double(ev, 1, (double)tv.tv_sec + 1e-6 * (double)tv.tv_usec);
  put_key(ev, 2, WIRE_VARINT);
  put_varint(ev, (uint64_t)step); /* int64: negative values as 10-byte two's complement */
}

/* Frames one Event as a TFRecord and writes it with one write(), then flushes it to disk. */
static int write_record(cm_tb *tb, const cm_buf *ev, cm_err *err) {
  cm_buf rec = {0};
  unsigned char len[8];
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)ev->len >> (8 * i));
  cm_buf_put(&rec, len, 8);
  put_le(&rec, cm_crc32c_masked(len, 8), 4);
  cm_buf_put(&rec, ev->data, ev->len);
  put_le(&rec, cm_crc32c_masked(ev->data, ev->len), 4);
  int rc = 0;
  if (rec.failed || ev->failed) {
    rc = cm_fail(err, "%s: out of memory", tb->path);
    goto done;
  }
  for (size_t off = 0; off < rec.len;) {
    ssize_t w = write(tb->fd, rec.data + off, rec.len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      rc = cm_fail(err, "%s: write failed: %s", tb->path, strerror(errno));
      goto done;
    }
    off += (size_t)w;
  }
  if (fdatasync(tb->fd) != 0) rc = cm_fail(err, "%s: cannot flush: %s", tb->path, strerror(errno));
done:
  cm_buf_free(&rec);
  return rc;
}

int cm_tb_open(const char *dir, cm_tb **out, cm_err *err) {
  *out = NULL;
  if (cm_mkdirs(dir, err)) return -1;
  cm_tb *tb = calloc(1, sizeof *tb);
  if (!tb) return cm_fail(err, "out of memory");
  char host[256] = "localhost";
  if (gethostname(host, sizeof host - 1) != 0) strcpy(host, "localhost");
  host[sizeof host - 1] = 0;
  long t = (long)time(NULL);
  /* A second writer in the same second (a quick resume) gets a numbered name: TensorBoard reads
   * every file whose name contains "tfevents". */
  for (int n = 0; n < 100; n++) {
    if (n == 0) snprintf(tb->path, sizeof tb->path, "%s/events.out.tfevents.%ld.%s", dir, t, host);
    else snprintf(tb->path, sizeof tb->path, "%s/events.out.tfevents.%ld.%s.%d", dir, t, host, n);
    tb->fd = open(tb->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (tb->fd >= 0 || errno != EEXIST) break;
  }
  if (tb->fd < 0) {
    int rc = cm_fail(err, "%s: cannot create: %s", tb->path, strerror(errno));
    free(tb);
    return rc;
  }
  cm_buf ev = {0};
  put_event_head(&ev, 0);
  put_bytes(&ev, 3, "brain.Event:2", 13);
  int rc = write_record(tb, &ev, err);
  cm_buf_free(&ev);
  if (rc) {
    cm_tb_close(tb);
    return -1;
  }
  *out = tb;
  return 0;
}

void cm_tb_close(cm_tb *tb) {
  if (!tb) return;
  if (tb->fd >= 0) close(tb->fd);
  free(tb);
}

const char *cm_tb_path(const cm_tb *tb) { return tb->path; }

int cm_tb_write_row(cm_tb *tb, int64_t step, int n, const char *const *tags, const double *values, cm_err *err) {
  cm_buf summary = {0}, value = {0}, ev = {0};
  for (int i = 0; i < n; i++) {
    value.len = 0;
    put_bytes(&value, 1, tags[i], strlen(tags[i]));
    put_float(&value, 2, (float)values[i]);
    put_bytes(&summary, 1, value.data, value.len);
  }
  put_event_head(&ev, step);
  put_bytes(&ev, 5, summary.data, summary.len);
  int rc = (summary.failed || value.failed) ? cm_fail(err, "%s: out of memory", tb->path) : write_record(tb, &ev, err);
  cm_buf_free(&summary);
  cm_buf_free(&value);
  cm_buf_free(&ev);
  return rc;
}
