/* The MPI backend (OpenMPI from Debian): every collective is the non-blocking MPI call, waited
 * for with a deadline. A rank whose wait passes timeout_s asks every other rank, on a separate
 * communicator, which collective it is waiting in; ranks waiting in a collective answer at
 * once, so the ranks that do not answer within the grace period are the hung or lost ones,
 * and the message names them. Built only when CMake finds MPI (CM_HAVE_MPI). */
#include "dist/comm.h"

#ifndef CM_HAVE_MPI
int cm_comm_have_mpi(void) { return 0; }
int cm_comm_mpi_open(cm_comm *c, double timeout_s, cm_err *err) {
  (void)c;
  (void)timeout_s;
  return cm_fail(err, "this cmimic was built without MPI (install libopenmpi-dev and rebuild)");
}
#else
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include "core/clock.h"

#define TAG_PROBE 1
#define TAG_REPLY 2

typedef struct mpi_impl {
  MPI_Comm coll, diag; /* collectives; the "who is there" questions of a timed-out rank */
  long long seq;       /* collectives entered so far (the same on every rank) */
  int inited_here;     /* MPI_Init was ours, so MPI_Finalize is too */
} mpi_impl;

int cm_comm_have_mpi(void) { return 1; }

static int mpi_fail(cm_err *err, int rc, const char *call, const char *what) {
  char msg[MPI_MAX_ERROR_STRING] = "";
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return cm_fail(err, "MPI %s of %s failed: %s", call, what, msg);
}

/* Answers every pending question of a timed-out rank with the collective we wait in. */
static void answer_probes(mpi_impl *m) {
  for (;;) {
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, TAG_PROBE, m->diag, &flag, &st) != MPI_SUCCESS || !flag) return;
    long long q;
    MPI_Recv(&q, 1, MPI_LONG_LONG, st.MPI_SOURCE, TAG_PROBE, m->diag, MPI_STATUS_IGNORE);
    MPI_Send(&m->seq, 1, MPI_LONG_LONG, st.MPI_SOURCE, TAG_REPLY, m->diag);
  }
}

static void nap(long ns) {
  struct timespec ts = {0, ns};
  nanosleep(&ts, NULL);
}

/* After a timeout: which ranks answer within the grace period. Writes "1, 3" into names. */
static int find_missing(cm_comm *c, mpi_impl *m, char *names, size_t cap) {
  int n = c->size, missing = 0;
  long long *ans = calloc((size_t)n, sizeof *ans);
  MPI_Request *rq = calloc((size_t)n, sizeof *rq);
  int *got = calloc((size_t)n, sizeof *got);
  names[0] = 0;
  if (!ans || !rq || !got) {
    free(ans), free(rq), free(got);
    snprintf(names, cap, "?");
    return 1;
  }
  for (int r = 0; r < n; r++) {
    rq[r] = MPI_REQUEST_NULL;
    if (r == c->rank) continue;
    MPI_Send(&m->seq, 1, MPI_LONG_LONG, r, TAG_PROBE, m->diag);
    MPI_Irecv(&ans[r], 1, MPI_LONG_LONG, r, TAG_REPLY, m->diag, &rq[r]);
  }
  double grace = c->timeout_s / 4 < 2.0 ? c->timeout_s / 4 : 2.0, end = cm_now_seconds() + grace;
  while (cm_now_seconds() < end) {
    int all = 1;
    for (int r = 0; r < n; r++) {
      if (r == c->rank || got[r]) continue;
      MPI_Test(&rq[r], &got[r], MPI_STATUS_IGNORE);
      all &= got[r];
    }
    answer_probes(m);
    if (all) break;
    nap(1000000);
  }
  size_t k = 0;
  for (int r = 0; r < n; r++) {
    if (r == c->rank || got[r]) continue;
    missing++;
    if (k < cap) k += (size_t)snprintf(names + k, cap - k, k ? ", %d" : "%d", r);
    MPI_Cancel(&rq[r]);
  }
  free(ans), free(rq), free(got);
  return missing;
}

/* Waits for req until the deadline, answering questions meanwhile. Short naps after a first
 * spin: two ranks on two cores must not take each other's core while waiting. The naps stay
 * short (NAP_MAX_NS) because a non-blocking collective only advances inside MPI_Test: OpenMPI's
 * libnbc takes a round per call, and with 1 ms naps an 8 MB all-reduce over 4 ranks took
 * 300 ms on the 16-core device host (docs/BENCHMARKS.md, bench-dist). */
#define NAP_MAX_NS 50000
#define YIELD_S 0.02 /* yield instead of napping for this long: a nanosleep lasts >= 50 us here */
static int wait_req(cm_comm *c, MPI_Request *req, const char *call, const char *what, cm_err *err) {
  mpi_impl *m = c->impl;
  double t0 = cm_now_seconds(), deadline = t0 + c->timeout_s;
  long nap_ns = 2000;
  for (long spin = 0;; spin++) {
    int done = 0;
    int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, call, what);
    if (done) return 0;
    if ((spin & 63) == 0) answer_probes(m);
    if (spin < 200) continue;
    double now = cm_now_seconds();
    if (now > deadline) break;
    if (now - t0 < YIELD_S) { /* the collective's own rounds: give the core away, no timer */
      sched_yield();
      continue;
    }
    nap(nap_ns);
    if (nap_ns < NAP_MAX_NS) nap_ns += nap_ns / 4;
  }
  char names[256];
  int missing = find_missing(c, m, names, sizeof names);
  if (missing)
    return cm_fail(err, "rank%s %s did not join the %s of %s (collective #%lld) within %.0f s: hung, "
                   "stopped or lost; stopping every rank", missing > 1 ? "s" : "", names, call, what,
                   m->seq, c->timeout_s);
  return cm_fail(err, "the %s of %s (collective #%lld) did not complete within %.0f s although every rank "
                 "answers (the ranks disagree on the order of collectives)", call, what, m->seq, c->timeout_s);
}

static int start(cm_comm *c, int rc, MPI_Request *req, const char *call, const char *what, cm_err *err) {
  ((mpi_impl *)c->impl)->seq++;
  if (rc != MPI_SUCCESS) return mpi_fail(err, rc, call, what);
  return wait_req(c, req, call, what, err);
}

static int m_allreduce(cm_comm *c, void *buf, size_t n, MPI_Datatype t, const char *what, cm_err *err) {
  if (n > (size_t)INT32_MAX) return cm_fail(err, "all-reduce of %s: %zu elements is over MPI's int count", what, n);
  mpi_impl *m = c->impl;
  MPI_Request req;
  int rc = MPI_Iallreduce(MPI_IN_PLACE, buf, (int)n, t, MPI_SUM, m->coll, &req);
  return start(c, rc, &req, "all-reduce", what, err);
}

static int m_allreduce_f32(cm_comm *c, float *buf, size_t n, cm_red_op op, const char *what, cm_err *err) {
  if (m_allreduce(c, buf, n, MPI_FLOAT, what, err)) return -1;
  if (op == CM_RED_MEAN)
    for (size_t i = 0; i < n; i++) buf[i] /= (float)c->size;
  return 0;
}

static int m_allreduce_f64(cm_comm *c, double *buf, size_t n, cm_red_op op, const char *what, cm_err *err) {
  if (m_allreduce(c, buf, n, MPI_DOUBLE, what, err)) return -1;
  if (op == CM_RED_MEAN)
    for (size_t i = 0; i < n; i++) buf[i] /= (double)c->size;
  return 0;
}

static int m_allreduce_i64(cm_comm *c, int64_t *buf, size_t n, const char *what, cm_err *err) {
  return m_allreduce(c, buf, n, MPI_INT64_T, what, err);
}

static int m_bcast_bytes(cm_comm *c, void *buf, size_t n, int root, const char *what, cm_err *err) {
  if (n > (size_t)INT32_MAX) return cm_fail(err, "broadcast of %s: %zu bytes is over MPI's int count", what, n);
  MPI_Request req;
  int rc = MPI_Ibcast(buf, (int)n, MPI_BYTE, root, ((mpi_impl *)c->impl)->coll, &req);
  return start(c, rc, &req, "broadcast", what, err);
}

static int m_bcast_f32(cm_comm *c, float *buf, size_t n, int root, const char *what, cm_err *err) {
  return m_bcast_bytes(c, buf, n * sizeof(float), root, what, err);
}

static int m_barrier(cm_comm *c, const char *what, cm_err *err) {
  MPI_Request req;
  int rc = MPI_Ibarrier(((mpi_impl *)c->impl)->coll, &req);
  return start(c, rc, &req, "barrier", what, err);
}

static int m_gather_f64(cm_comm *c, const double *send, size_t n, double *recv, int root, const char *what,
                        cm_err *err) {
  MPI_Request req;
  int rc = MPI_Igather(send, (int)n, MPI_DOUBLE, recv, (int)n, MPI_DOUBLE, root, ((mpi_impl *)c->impl)->coll, &req);
  return start(c, rc, &req, "gather", what, err);
}

static void m_abort(cm_comm *c, int code) {
  (void)c;
  fflush(stdout);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
}

static void m_close(cm_comm *c) {
  mpi_impl *m = c->impl;
  if (!m) return;
  MPI_Comm_free(&m->coll);
  MPI_Comm_free(&m->diag);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (m->inited_here && !finalized) MPI_Finalize();
  free(m);
  c->impl = NULL;
}

static const cm_comm_ops k_mpi_ops = {
    .name = "mpi",
    .allreduce_f32 = m_allreduce_f32,
    .allreduce_f64 = m_allreduce_f64,
    .allreduce_i64 = m_allreduce_i64,
    .allreduce_f32_dev = NULL,
    .bcast_f32 = m_bcast_f32,
    .bcast_bytes = m_bcast_bytes,
    .barrier = m_barrier,
    .gather_f64 = m_gather_f64,
    .abort = m_abort,
    .close = m_close,
};

int cm_comm_mpi_open(cm_comm *c, double timeout_s, cm_err *err) {
  mpi_impl *m = calloc(1, sizeof *m);
  if (!m) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  int inited = 0, provided = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
      free(m);
      return cm_fail(err, "MPI_Init failed (is this process started by mpirun?)");
    }
    m->inited_here = 1;
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_dup(MPI_COMM_WORLD, &m->coll);
  MPI_Comm_dup(MPI_COMM_WORLD, &m->diag);
  MPI_Comm_set_errhandler(m->coll, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(m->diag, MPI_ERRORS_RETURN);
  MPI_Comm_rank(m->coll, &c->rank);
  MPI_Comm_size(m->coll, &c->size);
  /* the rank among this machine's processes: the one sharing its memory */
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &c->local_rank);
  MPI_Comm_free(&node);
  c->run_timeout_s = timeout_s > 0 ? timeout_s : 300;
  c->timeout_s = c->run_timeout_s > CM_COMM_START_S ? c->run_timeout_s : CM_COMM_START_S;
  c->ops = &k_mpi_ops;
  c->impl = m;
  return 0;
}
#endif
