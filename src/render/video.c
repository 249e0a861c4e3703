#include "render/video.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/fault.h"
#include "core/fileio.h"

extern char **environ;

struct cm_video {
  pid_t pid; /* 0 once reaped */
  int sock;  /* our end of the stream; -1 once closed */
  int log;   /* ffmpeg's stderr, an unlinked temporary file */
  int status;
  int width, height;
  long frames;
  char path[4096], tmp[4200];
};

int cm_have_program(const char *name) {
  if (strchr(name, '/')) return access(name, X_OK) == 0;
  const char *path = getenv("PATH");
  if (!path || !*path) return 0;
  char buf[4096];
  for (const char *p = path; *p;) {
    const char *e = strchr(p, ':');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    int w = snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? p : ".", name);
    if (w > 0 && w < (int)sizeof buf && access(buf, X_OK) == 0) return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}

long cm_video_frames(const cm_video *v) { return v ? v->frames : 0; }

/* Last non-empty line ffmpeg printed, for the error message. */
static void log_tail(const cm_video *v, char *out, size_t n) {
  out[0] = 0;
  if (v->log < 0) return;
  char buf[2048];
  off_t size = lseek(v->log, 0, SEEK_END);
  if (size <= 0) return;
  off_t from = size > (off_t)(sizeof buf - 1) ? size - (off_t)(sizeof buf - 1) : 0;
  ssize_t got = pread(v->log, buf, sizeof buf - 1, from);
  if (got <= 0) return;
  buf[got] = 0;
  while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r' || buf[got - 1] == ' ')) buf[--got] = 0;
  const char *line = strrchr(buf, '\n');
  line = line ? line + 1 : buf;
  size_t len = strnlen(line, n - 1);
  memcpy(out, line, len);
  out[len] = 0;
}

static void reap(cm_video *v) {
  while (v->pid > 0) {
    pid_t w = waitpid(v->pid, &v->status, 0);
    if (w == v->pid || (w < 0 && errno != EINTR)) {
      if (w < 0) v->status = -1;
      v->pid = 0;
    }
  }
}

static void release(cm_video *v) {
  if (v->sock >= 0) close(v->sock);
  if (v->log >= 0) close(v->log);
  free(v);
}

static int exit_failure(cm_video *v, cm_err *err) {
  char tail[600];
  log_tail(v, tail, sizeof tail);
  char how[64];
  if (v->status < 0)
    snprintf(how, sizeof how, "could not be waited for");
  else if (WIFSIGNALED(v->status))
    snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(v->status));
  else
    snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(v->status));
  return cm_fail(err, "%s: ffmpeg %s after %ld frames%s%s", v->path, how, v->frames, tail[0] ? ": " : "", tail);
}

int cm_video_open(const char *path, int width, int height, int fps, cm_video **out, cm_err *err) {
  static int serial = 0;
  *out = NULL;
  if (!path || !*path) return cm_fail(err, "cm_video_open: empty output path");
  if (width < 2 || height < 2 || width > 8192 || height > 8192 || (width | height) & 1)
    return cm_fail(err, "%s: video size %dx%d must be even and within 2x2 .. 8192x8192 (H.264 yuv420p)", path,
                   width, height);
  if (fps < 1 || fps > 1000) return cm_fail(err, "%s: frame rate %d is outside 1 .. 1000", path, fps);
  if (!cm_have_program("ffmpeg"))
    return cm_fail(err, "%s: ffmpeg was not found on PATH; install it (apt-get install ffmpeg) to write videos",
                   path);
  cm_video *v = calloc(1, sizeof *v);
  if (!v) return cm_fail(err, "%s: out of memory", path);
  v->sock = v->log = -1;
  v->width = width;
  v->height = height;
  if (snprintf(v->path, sizeof v->path, "%s", path) >= (int)sizeof v->path) {
    free(v);
    return cm_fail(err, "%s: path too long", path);
  }
  snprintf(v->tmp, sizeof v->tmp, "%s.tmp.%ld.%d", path, (long)getpid(), serial++);
  cm_remove_stale_temps(path); /* a video of an earlier run killed mid-write */

  char logname[] = "/tmp/cm_ffmpeg_XXXXXX";
  v->log = mkostemp(logname, O_CLOEXEC);
  if (v->log < 0) {
    free(v);
    return cm_fail(err, "%s: cannot create a log file for ffmpeg: %s", path, strerror(errno));
  }
  unlink(logname); /* the open descriptor is all we need; nothing is left behind */

  /* A socket pair instead of a pipe: send(MSG_NOSIGNAL) reports a dead ffmpeg as EPIPE
   * without raising SIGPIPE, and without touching the process's signal settings. */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    release(v);
    return cm_fail(err, "%s: cannot create the stream to ffmpeg: %s", path, strerror(errno));
  }
  v->sock = sv[0];

  char size[32], rate[16];
  snprintf(size, sizeof size, "%dx%d", width, height);
  snprintf(rate, sizeof rate, "%d", fps);
  char *argv[] = {"ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt",
                  "rgb24", "-s", size, "-r", rate, "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                  "-movflags", "+faststart", "-f", "mp4", v->tmp, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, v->log, 2);
  posix_spawnattr_init(&at);
  sigset_t none, dfl;
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGPIPE);
  sigaddset(&dfl, SIGINT);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &dfl);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  int rc = posix_spawnp(&v->pid, "ffmpeg", &fa, &at, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  close(sv[1]);
  if (rc != 0) {
    v->pid = 0;
    release(v);
    return cm_fail(err, "%s: cannot start ffmpeg: %s", path, strerror(rc));
  }
  *out = v;
  return 0;
}

int cm_video_write(cm_video *v, const unsigned char *rgb, cm_err *err) {
  if (!v || !rgb) return cm_fail(err, "cm_video_write: missing video or pixels");
  if (v->sock < 0) return cm_fail(err, "%s: ffmpeg has already stopped", v->path);
  size_t left = (size_t)v->width * (size_t)v->height * 3;
  const unsigned char *p = rgb;
  while (left > 0) {
    ssize_t w = send(v->sock, p, left, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(v->sock);
      v->sock = -1;
      reap(v);
      if (e == EPIPE || e == ECONNRESET) return exit_failure(v, err);
      return cm_fail(err, "%s: writing frame %ld to ffmpeg failed: %s", v->path, v->frames, strerror(e));
    }
    p += w;
    left -= (size_t)w;
  }
  v->frames++;
  return 0;
}

int cm_video_close(cm_video *v, cm_err *err) {
  if (!v) return cm_fail(err, "cm_video_close: no video");
  if (v->sock >= 0) {
    close(v->sock); /* end of stream: ffmpeg finishes the file */
    v->sock = -1;
  }
  reap(v);
  int rc = 0;
  if (v->status != 0) { /* 0 is a normal exit with status 0 */
    rc = exit_failure(v, err);
  } else if (v->frames == 0) {
    rc = cm_fail(err, "%s: no frames were written", v->path);
  } else {
    int fd = open(v->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
      rc = cm_fail(err, "%s: ffmpeg's output %s cannot be flushed: %s", v->path, v->tmp, strerror(errno));
    if (fd >= 0) close(fd);
    int injected = rc ? 0 : cm_fault_write_errno(v->path);
    if (injected) rc = cm_fail(err, "%s: write failed: %s (fault injection)", v->path, strerror(injected));
    if (rc == 0 && rename(v->tmp, v->path) != 0)
      rc = cm_fail(err, "%s: cannot rename into place: %s", v->path, strerror(errno));
  }
  if (rc) unlink(v->tmp);
  release(v);
  return rc;
}

void cm_video_abort(cm_video *v) {
  if (!v) return;
  if (v->pid > 0) kill(v->pid, SIGKILL);
  if (v->sock >= 0) {
    close(v->sock);
    v->sock = -1;
  }
  reap(v);
  unlink(v->tmp);
  release(v);
}
