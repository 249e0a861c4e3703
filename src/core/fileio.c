#include "core/fileio.h"

#include "core/fault.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
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

void cm_remove_stale_temps(const char *path) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".") >= (int)sizeof dir)
    return;
  if (slash && slash == path) snprintf(dir, sizeof dir, "/");
  size_t bl = strlen(base);
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, base, bl) || strncmp(e->d_name + bl, ".tmp.", 5)) continue;
    char *end = NULL;
    long pid = strtol(e->d_name + bl + 5, &end, 10);
    if (pid <= 0 || end == e->d_name + bl + 5 || (*end && *end != '.') || pid == (long)getpid()) continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* its writer may still be at it */
    char full[8300];
    snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
    unlink(full);
  }
  closedir(d);
}

int cm_write_file_atomic(const char *path, const void *data, size_t len, cm_err *err) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
    return cm_fail(err, "%s: path too long", path);
  cm_remove_stale_temps(path);
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
