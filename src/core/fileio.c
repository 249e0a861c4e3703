#include "core/fileio.h"

#include "core/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cm_read_file(const char *path, char **data, size_t *len, cm_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return cm_fail(err, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) {
    fclose(f);
    return cm_fail(err, "%s: out of memory", path);
  }
  for (;;) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) break;
    cap *= 2;
    char *nb = realloc(buf, cap + 1);
    if (!nb) {
      free(buf);
      fclose(f);
      return cm_fail(err, "%s: out of memory", path);
    }
    buf = nb;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return cm_fail(err, "%s: read error", path);
  }
  buf[n] = 0;
  *data = buf;
  if (len) *len = n;
  return 0;
}

int cm_write_file_atomic(const char *path, const void *data, size_t len, cm_err *err) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
    return cm_fail(err, "%s: path too long", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return cm_fail(err, "%s: cannot create its temporary file %s: %s", path, tmp, strerror(errno));
  const char *p = data;
  size_t left = len;
  int injected = cm_fault_write_errno(path);
  if (injected) { /* as if the disk failed half-way: the temp file is partly written */
    ssize_t half = write(fd, p, left / 2);
    (void)half;
    close(fd);
    unlink(tmp);
    return cm_fail(err, "%s: write failed: %s (fault injection)", path, strerror(injected));
  }
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      unlink(tmp);
      return cm_fail(err, "%s: write failed: %s", path, strerror(e));
    }
    p += w;
    left -= (size_t)w;
  }
  cm_fault_hold_write(path);
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp);
    return cm_fail(err, "%s: cannot flush: %s", path, strerror(errno));
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    return cm_fail(err, "%s: cannot rename into place: %s", path, strerror(e));
  }
  return 0;
}

int cm_mkdirs(const char *path, cm_err *err) {
  char buf[4096];
  size_t n = strlen(path);
  if (n == 0) return 0;
  if (n >= sizeof buf) return cm_fail(err, "%s: path too long", path);
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] == '/' || buf[i] == 0) {
      char c = buf[i];
      buf[i] = 0;
      if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return cm_fail(err, "%s: cannot create directory: %s", buf, strerror(errno));
      buf[i] = c;
    }
  }
  return 0;
}

int cm_file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
