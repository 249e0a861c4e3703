#include "harness/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/clock.h"

static volatile sig_atomic_t g_interrupt = 0;
static void on_signal(int sig) {
  (void)sig;
  g_interrupt = 1;
}

void cm_stage_install_signals(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int cm_stage_interrupted(void) { return g_interrupt != 0; }

void cm_stage_arg(cm_stage_spec *s, const char *arg) {
  if (s->argc < CM_STAGE_MAX_ARGS - 1) s->argv[s->argc++] = arg;
  s->argv[s->argc] = NULL;
}

void cm_stage_env(cm_stage_spec *s, const char *kv) {
  if (s->envc < CM_STAGE_MAX_ENV - 1) s->env[s->envc++] = kv;
  s->env[s->envc] = NULL;
}

int cm_stage_self_exe(char *buf, size_t cap, cm_err *err) {
  ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
  if (n <= 0) return cm_fail(err, "cannot find the cmimic binary (/proc/self/exe): %s", strerror(errno));
  buf[n] = 0;
  return 0;
}

void cm_stage_read_tail(const char *path, char *buf, size_t cap) {
  buf[0] = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return;
  if (fseek(f, 0, SEEK_END) == 0) {
    long size = ftell(f);
    long from = size > (long)cap - 1 ? size - ((long)cap - 1) : 0;
    fseek(f, from, SEEK_SET);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++)
      if (!buf[i]) buf[i] = ' '; /* keep the tail one C string */
  }
  fclose(f);
}

static long file_size(const char *path) {
  struct stat st;
  return (path && stat(path, &st) == 0) ? (long)st.st_size : -1;
}

/* utime + stime + cutime + cstime of pid in clock ticks (/proc/<pid>/stat), -1 if unreadable. */
static long long cpu_ticks(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  if (!p) return -1;
  long long v[4] = {0};
  /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) ... */
  if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3]) != 4)
    return -1;
  return v[0] + v[1] + v[2] + v[3];
}

/* A shell-readable rendering of one argument, for the log header. */
static void append_quoted(FILE *f, const char *a) {
  if (*a && !strpbrk(a, " \t\n'\"\\$`*?&;|<>(){}[]!#~")) {
    fputs(a, f);
    return;
  }
  fputc('\'', f);
  for (const char *p = a; *p; p++) p[0] == '\'' ? fputs("'\\''", f) : fputc(*p, f);
  fputc('\'', f);
}

static void now_iso(char *buf, size_t cap) {
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
}

static int write_header(const cm_stage_spec *s, cm_err *err) {
  FILE *f = fopen(s->log_path, "w");
  if (!f) return cm_fail(err, "%s: cannot write stage log: %s", s->log_path, strerror(errno));
  char when[32];
  now_iso(when, sizeof when);
  fprintf(f, "# stage: %s\n# started: %s\n# command:", s->name, when);
  for (int i = 0; i < s->argc; i++) {
    fputc(' ', f);
    append_quoted(f, s->argv[i]);
  }
  fprintf(f, "\n# env overrides:%s", s->envc ? "" : " (none)");
  for (int i = 0; i < s->envc; i++) fprintf(f, " %s", s->env[i]);
  fputc('\n', f);
  if (fclose(f)) return cm_fail(err, "%s: cannot write stage log", s->log_path);
  return 0;
}

/* In the child between fork and exec: own process group, die with the harness, default
 * signal dispositions, overrides applied, output into the log. */
static void exec_child(const cm_stage_spec *s) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int i = 0; i < s->envc; i++) putenv((char *)s->env[i]);
  int fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
  int in = open("/dev/null", O_RDONLY);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  if (in >= 0) {
    dup2(in, 0);
    close(in);
  }
  execv(s->argv[0], (char *const *)s->argv);
  fprintf(stderr, "harness: cannot execute %s: %s\n", s->argv[0], strerror(errno));
  _exit(127);
}

static void sleep_seconds(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* SIGTERM to the whole group, SIGKILL after the grace period; reaps the leader. */
static int kill_group(pid_t pid, double grace) {
  int status = 0;
  kill(-pid, SIGTERM);
  double t0 = cm_now_seconds();
  while (cm_now_seconds() - t0 < grace) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      kill(-pid, SIGKILL); /* stragglers the leader left behind */
      return status;
    }
    sleep_seconds(0.05);
  }
  kill(-pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int cm_stage_run(const cm_stage_spec *s, cm_stage_result *res, cm_err *err) {
  memset(res, 0, sizeof *res);
  if (write_header(s, err)) return -1;
  fflush(NULL);
  double t0 = cm_now_seconds();
  pid_t pid = fork();
  if (pid < 0) return cm_fail(err, "cannot start stage %s: fork: %s", s->name, strerror(errno));
  if (pid == 0) exec_child(s);
  setpgid(pid, pid); /* also here: no window where a kill(-pid) misses */

  long log_bytes = file_size(s->log_path), watch_bytes = file_size(s->watch_path);
  long long cpu = -1;
  double last_progress = t0, next_status = t0 + s->status_seconds;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      kill(-pid, SIGKILL); /* anything the leader left in its group */
      break;
    }
    double now = cm_now_seconds();
    long lb = file_size(s->log_path), wb = file_size(s->watch_path);
    long long c = s->cpu_is_progress ? cpu_ticks(pid) : -1;
    if (lb != log_bytes || wb != watch_bytes || c != cpu) last_progress = now;
    cpu = c;
    log_bytes = lb;
    watch_bytes = wb;
    /* A due status line comes before any kill decision, so a stage killed after its period
     * always had one, however late this loop was scheduled. */
    if (s->on_status && s->status_seconds > 0 && now >= next_status) {
      cm_stage_live live = {now - t0, now - last_progress, log_bytes, watch_bytes};
      s->on_status(s->user, &live);
      next_status = now + s->status_seconds;
    }
    cm_kill_reason why = CM_KILL_NONE;
    if (g_interrupt) why = CM_KILL_INTERRUPT;
    else if (s->max_seconds > 0 && now - t0 > s->max_seconds) why = CM_KILL_TIMEOUT;
    else if (s->stall_seconds > 0 && now - last_progress > s->stall_seconds) why = CM_KILL_HANG;
    if (why != CM_KILL_NONE) {
      res->killed = why;
      status = kill_group(pid, s->kill_grace);
      break;
    }
    sleep_seconds(0.1);
  }
  res->seconds = cm_now_seconds() - t0;
  res->exited = WIFEXITED(status);
  res->exit_code = res->exited ? WEXITSTATUS(status) : -1;
  res->signaled = WIFSIGNALED(status);
  res->sig = res->signaled ? WTERMSIG(status) : 0;

  static char tail[65536];
  cm_stage_read_tail(s->log_path, tail, sizeof tail);
  cm_failure_classify(res->killed, res->exited, res->exit_code, res->signaled, res->sig, tail, s->watch_path, &res->failure);

  FILE *f = fopen(s->log_path, "a");
  if (f) {
    char when[32];
    now_iso(when, sizeof when);
    fprintf(f, "\n# finished: %s after %.1f s; ", when, res->seconds);
    if (res->exited) fprintf(f, "exit status %d", res->exit_code);
    else fprintf(f, "killed by signal %d", res->sig);
    fprintf(f, "; class %s%s%s\n", cm_fail_class_name(res->failure.cls), res->failure.detail[0] ? ": " : "", res->failure.detail);
    fclose(f);
  }
  return 0;
}
