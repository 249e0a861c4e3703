/* The local launcher of `cmimic run --devices a b ...` (launch.h): mpirun starts the ranks,
 * this process watches them and guarantees the job ends as one. */
#include "dist/launch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/clock.h"

#define MAX_RANKS 256
#define KILL_GRACE_S 3.0   /* SIGTERM to SIGKILL */
#define START_LIMIT_S 120.0 /* every rank connects within this after mpirun starts */
#define HELLO_LIMIT_S 10.0  /* a connection that says no "rank R pid P" by then is not a rank */

static volatile sig_atomic_t g_signal = 0;
static void on_signal(int sig) { g_signal = sig; }

typedef struct rank_link {
  int fd;
  int rank;
  pid_t pid;
  int state; /* 0 running, 1 said bye, 2 said fail, 3 died */
  int signalled; /* the last signal the launcher sent it (each is sent once) */
  double accepted; /* when it connected: a link without a hello soon after is not a rank */
  char line[128];
  int len;
} rank_link;

/* A listening socket on 127.0.0.1:port, or on a free port when that one is taken. */
static int listen_port(long want, int *port_out, cm_err *err) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return cm_fail(err, "launcher: socket: %s", strerror(errno));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  a.sin_port = htons((uint16_t)want);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    int e = errno;
    a.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
      close(fd);
      return cm_fail(err, "launcher: cannot bind a port on 127.0.0.1: %s", strerror(errno));
    }
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    fprintf(stderr, "cmimic run: master port %ld is taken (errno %d); using port %d instead\n", want, e,
            ntohs(a.sin_port));
  }
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port_out = ntohs(a.sin_port);
  if (listen(fd, MAX_RANKS) != 0) {
    close(fd);
    return cm_fail(err, "launcher: listen: %s", strerror(errno));
  }
  return fd;
}

/* Each rank known by its pid gets sig once (a rank that says hello later gets it then). */
static void signal_ranks(rank_link *l, int n, int sig) {
  for (int i = 0; i < n; i++)
    if (l[i].pid > 0 && l[i].state != 3 && l[i].signalled != sig && l[i].signalled != SIGKILL) {
      kill(l[i].pid, sig);
      l[i].signalled = sig;
    }
}

/* Reads what a rank said; EOF without bye/fail means it died. */
static void read_link(rank_link *r) {
  char buf[128];
  ssize_t k = read(r->fd, buf, sizeof buf);
  if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return; /* nothing yet */
  if (k <= 0) {
    if (r->state == 0) r->state = 3;
    close(r->fd);
    r->fd = -1;
    return;
  }
  for (ssize_t i = 0; i < k; i++) {
    if (buf[i] != '\n') {
      if (r->len < (int)sizeof r->line - 1) r->line[r->len++] = buf[i];
      continue;
    }
    r->line[r->len] = 0;
    int rank, pid;
    if (sscanf(r->line, "rank %d pid %d", &rank, &pid) == 2) {
      r->rank = rank;
      r->pid = pid;
    } else if (!strcmp(r->line, "bye")) {
      r->state = 1;
    } else if (!strcmp(r->line, "fail")) {
      r->state = 2;
    }
    r->len = 0;
  }
}

static void build_argv(char **out, const char *command, int num_ranks, int argc, char **argv, char *np, char *self) {
  int k = 0;
  out[k++] = "mpirun"; /* not the full path: OpenMPI takes an absolute argv[0] as its install prefix */
  snprintf(np, 16, "%d", num_ranks);
  out[k++] = "-np";
  out[k++] = np;
  out[k++] = "-q";              /* OpenMPI's banners: the launcher says what happened in one line */
  out[k++] = "--oversubscribe"; /* more ranks than cores is allowed (CPU ranks on a small machine) */
  out[k++] = "--bind-to";
  out[k++] = "none";            /* each rank runs its own thread pool */
  if (geteuid() == 0) out[k++] = "--allow-run-as-root";
  out[k++] = "-x";
  out[k++] = "CMIMIC_LAUNCHER_PORT";
  out[k++] = self;
  out[k++] = (char *)command;
  for (int i = 0; i < argc; i++) out[k++] = argv[i];
  out[k] = NULL;
}

int cm_dist_launch(const char *command, int argc, char **argv, int num_ranks, long master_port, cm_err *err) {
#ifndef CM_MPIEXEC
  (void)command, (void)argc, (void)argv, (void)master_port;
  cm_fail(err, "--devices with %d entries runs one process per device through MPI, and this cmimic was built "
          "without MPI (install libopenmpi-dev openmpi-bin and rebuild)", num_ranks);
  return 2;
#else
  if (num_ranks > MAX_RANKS) return cm_fail(err, "--devices: at most %d devices on one machine", MAX_RANKS), 2;
  /* MimicKit draws from 6000-7000; 6000-6099 are X11's displays, whose clients may knock */
  if (master_port <= 0) master_port = 6100 + (long)(getpid() % 900);
  int port = 0;
  int lfd = listen_port(master_port, &port, err);
  if (lfd < 0) return 2;
  char portstr[16], np[16], self[4096];
  snprintf(portstr, sizeof portstr, "%d", port);
  setenv("CMIMIC_LAUNCHER_PORT", portstr, 1);
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl <= 0) snprintf(self, sizeof self, "%s", argv[0]);
  else self[sl] = 0;
  char **av = calloc((size_t)argc + 16, sizeof *av);
  rank_link *links = calloc(MAX_RANKS, sizeof *links);
  if (!av || !links) {
    free(av), free(links), close(lfd);
    return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__), 2;
  }
  build_argv(av, command, num_ranks, argc, argv, np, self);
  printf("cmimic run: %d ranks on this machine through %s (master port %d)\n", num_ranks, CM_MPIEXEC, port);
  fflush(stdout);
  fflush(stderr);
  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  pid_t launcher = getpid();
  pid_t child = fork();
  if (child == 0) {
    setpgid(0, 0); /* Ctrl-C reaches the launcher, which hands it on to the ranks */
    /* mpirun is in a group of its own, out of reach of a kill of the launcher's group: a launcher
     * that dies (kill -9, a harness's SIGKILL) takes mpirun, and through it the ranks, along */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != launcher) _exit(1); /* it died before the line above */
    execv(CM_MPIEXEC, av);
    fprintf(stderr, "cmimic run: cannot start %s: %s\n", CM_MPIEXEC, strerror(errno));
    _exit(127);
  }
  int status = 0, nl = 0, exited = 0, forwarded = 0, reported = 0;
  double t_start = cm_now_seconds(), t_stop = 0; /* t_stop: when every rank was told to stop */
  while (!exited) {
    struct pollfd p[MAX_RANKS + 1];
    int np_ = 0;
    p[np_++] = (struct pollfd){.fd = lfd, .events = POLLIN};
    for (int i = 0; i < nl; i++) p[np_++] = (struct pollfd){.fd = links[i].fd, .events = POLLIN};
    poll(p, (nfds_t)np_, 100);
    int polled = nl; /* links accepted below are read from the next poll on */
    if (p[0].revents & POLLIN) {
      int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK); /* reads never wait */
      if (fd >= 0 && nl < MAX_RANKS)
        links[nl++] = (rank_link){.fd = fd, .rank = -1, .state = 0, .accepted = cm_now_seconds()};
      else if (fd >= 0) close(fd);
    }
    for (int i = 0; i < polled; i++) /* p[1 + i] is links[i] (a closed link's fd -1 is skipped by poll) */
      if (links[i].fd >= 0 && (p[1 + i].revents & (POLLIN | POLLHUP | POLLERR))) read_link(&links[i]);
    /* a stranger on the port (no hello in time) is dropped and never counted as a rank */
    for (int i = 0; i < nl; i++)
      if (links[i].fd >= 0 && links[i].rank < 0 && cm_now_seconds() - links[i].accepted > HELLO_LIMIT_S) {
        close(links[i].fd);
        links[i].fd = -1;
        links[i].state = 4;
      }
    int started = 0;
    for (int i = 0; i < nl; i++) started += links[i].rank >= 0;
    /* a dead rank or a failed one: every other rank stops now */
    for (int i = 0; i < nl && !t_stop; i++) {
      if (links[i].state == 3 && links[i].rank >= 0) {
        fprintf(stderr, "cmimic run: rank %d (pid %d) died without finishing (a signal, a crash or the OOM killer); "
                "stopping every rank\n", links[i].rank, (int)links[i].pid);
        reported = 1;
      }
      if (links[i].rank >= 0 && (links[i].state == 2 || links[i].state == 3)) t_stop = cm_now_seconds();
    }
    if (g_signal && !forwarded) { /* Ctrl-C / SIGTERM: every rank saves its checkpoint and stops */
      forwarded = g_signal;
      t_stop = cm_now_seconds() + 60.0; /* a checkpoint may take a while: a longer grace */
    } else if (t_stop && !forwarded) {
      forwarded = SIGTERM;
    }
    if (forwarded && !(t_stop && cm_now_seconds() - t_stop > KILL_GRACE_S)) signal_ranks(links, nl, forwarded);
    if (!t_stop && started < num_ranks && cm_now_seconds() - t_start > START_LIMIT_S) {
      char seen[256] = "";
      for (int i = 0, k = 0; i < nl && k < (int)sizeof seen - 8; i++)
        if (links[i].rank >= 0) k += snprintf(seen + k, sizeof seen - (size_t)k, "%s%d", k ? ", " : "", links[i].rank);
      fprintf(stderr, "cmimic run: only %d of %d ranks started within %.0f s (started: %s); stopping every rank\n",
              started, num_ranks, START_LIMIT_S, started ? seen : "none");
      reported = 1;
      t_stop = cm_now_seconds();
      kill(-child, SIGTERM);
    }
    if (t_stop && cm_now_seconds() - t_stop > KILL_GRACE_S) {
      signal_ranks(links, nl, SIGKILL);
      kill(-child, SIGKILL);
    }
    pid_t w = waitpid(child, &status, WNOHANG);
    if (w == child) exited = 1;
  }
  /* mpirun is gone: nothing it started may outlive it */
  for (int i = 0; i < nl; i++) {
    if (links[i].fd >= 0) {
      read_link(&links[i]);
      if (links[i].fd >= 0) close(links[i].fd);
    }
    if (links[i].pid > 0 && kill(links[i].pid, 0) == 0) kill(links[i].pid, SIGKILL);
  }
  close(lfd);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  int ranked = 0;
  for (int i = 0; i < nl; i++)
    if (links[i].rank >= 0) ok &= links[i].state == 1, ranked++;
  ok &= ranked == num_ranks;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (!ok && !code) code = 1;
  if (g_signal && !reported) code = 130;
  if (!ok && !reported && !g_signal) {
    int said = 0, first = -1; /* a rank that said "fail" printed its own reason already */
    for (int i = 0; i < nl; i++) {
      if (links[i].rank < 0) continue;
      said |= links[i].state == 2;
      if (links[i].state != 1 && first < 0) first = links[i].rank;
    }
    if (WIFSIGNALED(status) && !said) /* mpirun itself was killed: its ranks were stopped above */
      fprintf(stderr, "cmimic run: %s (pid %d) was killed by signal %d (%s) before the ranks finished; every rank "
              "stopped\n", CM_MPIEXEC, (int)child, WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (!ranked) fprintf(stderr, "cmimic run: %s stopped before any rank reached the launcher (exit status %d)\n", CM_MPIEXEC, code);
    else if (!said) fprintf(stderr, "cmimic run: rank %d did not finish (exit status %d); every rank stopped\n", first, code);
  }
  free(av);
  free(links);
  return ok ? 0 : code;
#endif
}

/* ---------------- the rank's side ---------------- */

static int g_link = -1;

int cm_dist_link_hello(int rank, cm_err *err) {
  const char *p = getenv("CMIMIC_LAUNCHER_PORT");
  if (!p || !*p) return 0;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  a.sin_port = htons((uint16_t)atoi(p));
  int fd = -1, e = 0;
  for (int attempt = 0; attempt < 50 && fd < 0; attempt++) { /* a loaded machine may refuse a moment */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) break;
    e = errno;
    if (fd >= 0) close(fd);
    fd = -1;
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
  }
  if (fd < 0) return cm_fail(err, "cannot reach the launcher on 127.0.0.1:%s: %s", p, strerror(e));
  char line[64];
  int n = snprintf(line, sizeof line, "rank %d pid %d\n", rank, (int)getpid());
  if (write(fd, line, (size_t)n) != n) {
    e = errno;
    close(fd);
    return cm_fail(err, "cannot write to the launcher on 127.0.0.1:%s: %s", p, strerror(e));
  }
  g_link = fd;
  return 0;
}

void cm_dist_link_bye(int ok) {
  if (g_link < 0) return;
  const char *m = ok ? "bye\n" : "fail\n";
  if (write(g_link, m, strlen(m)) < 0) {}
  close(g_link);
  g_link = -1;
}
