/* The NCCL backend: device buffers of GPU ranks go through NCCL, loaded at run time (dlopen
 * "libnccl.so.2", or CMIMIC_NCCL_LIB) so a CUDA build runs where NCCL is absent and says so
 * only when asked for it. Rank 0's unique id reaches the other ranks through the MPI world
 * (the rendezvous); host buffers keep going through MPI, whose ops this table wraps.
 * A waiting NCCL call is bounded as the MPI ones are: ncclCommGetAsyncError is polled with
 * the deadline, and a timed-out communicator is aborted (the rank then fails with one line).
 * ncclCommInitRank itself blocks until every rank has joined, so a watchdog thread bounds it:
 * past the start-up timeout the rank says so in one line and exits, and the launcher (or
 * mpirun) then ends every rank, as for a rank that died. */
#include "dist/comm.h"

#ifndef CM_HAVE_CUDA
int cm_comm_nccl_open(cm_comm *c, const cm_dev *dev, cm_err *err) {
  (void)c;
  (void)dev;
  return cm_fail(err, "nccl: this cmimic was built without CUDA");
}
#else
#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <nccl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/clock.h"

#define CM_NCCL_DEFAULT_LIB "libnccl.so.2"

typedef struct nccl_api {
  void *lib;
  ncclResult_t (*get_unique_id)(ncclUniqueId *id);
  ncclResult_t (*comm_init_rank)(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank);
  ncclResult_t (*all_reduce)(const void *s, void *r, size_t n, ncclDataType_t t, ncclRedOp_t op, ncclComm_t c,
                             cudaStream_t st);
  ncclResult_t (*get_async_error)(ncclComm_t c, ncclResult_t *e);
  ncclResult_t (*comm_abort)(ncclComm_t c);
  ncclResult_t (*comm_destroy)(ncclComm_t c);
  const char *(*error_string)(ncclResult_t r);
} nccl_api;

typedef struct nccl_impl {
  nccl_api api;
  ncclComm_t comm;
  cudaStream_t stream;
  const cm_comm_ops *mpi_ops; /* the wrapped world's table and state, for host buffers */
  void *mpi_impl;
  int failed;
} nccl_impl;

static cm_comm host_view(const cm_comm *c) {
  const nccl_impl *n = c->impl;
  cm_comm h = *c;
  h.ops = n->mpi_ops;
  h.impl = n->mpi_impl;
  return h;
}

#define HOST_CALL(fn, ...)               \
  do {                                   \
    cm_comm h = host_view(c);            \
    return h.ops->fn(&h, __VA_ARGS__);   \
  } while (0)

static int h_allreduce_f32(cm_comm *c, float *b, size_t n, cm_red_op op, const char *w, cm_err *e) { HOST_CALL(allreduce_f32, b, n, op, w, e); }
static int h_allreduce_f64(cm_comm *c, double *b, size_t n, cm_red_op op, const char *w, cm_err *e) { HOST_CALL(allreduce_f64, b, n, op, w, e); }
static int h_allreduce_i64(cm_comm *c, int64_t *b, size_t n, const char *w, cm_err *e) { HOST_CALL(allreduce_i64, b, n, w, e); }
static int h_bcast_f32(cm_comm *c, float *b, size_t n, int root, const char *w, cm_err *e) { HOST_CALL(bcast_f32, b, n, root, w, e); }
static int h_bcast_bytes(cm_comm *c, void *b, size_t n, int root, const char *w, cm_err *e) { HOST_CALL(bcast_bytes, b, n, root, w, e); }
static int h_barrier(cm_comm *c, const char *w, cm_err *e) { HOST_CALL(barrier, w, e); }
static int h_gather_f64(cm_comm *c, const double *s, size_t n, double *r, int root, const char *w, cm_err *e) { HOST_CALL(gather_f64, s, n, r, root, w, e); }

static void nap_ms(void) {
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
}

/* Waits for the stream with the deadline; an NCCL error or the timeout aborts the communicator. */
static int wait_stream(cm_comm *c, const char *what, cm_err *err) {
  nccl_impl *n = c->impl;
  double deadline = cm_now_seconds() + c->timeout_s;
  for (;;) {
    cudaError_t q = cudaStreamQuery(n->stream);
    if (q == cudaSuccess) return 0;
    if (q != cudaErrorNotReady) return cm_fail(err, "nccl all-reduce of %s: %s", what, cudaGetErrorString(q));
    ncclResult_t ae = ncclSuccess;
    n->api.get_async_error(n->comm, &ae);
    if (ae != ncclSuccess || cm_now_seconds() > deadline) {
      n->api.comm_abort(n->comm);
      n->failed = 1;
      if (ae != ncclSuccess)
        return cm_fail(err, "nccl all-reduce of %s failed: %s (a peer rank failed or was lost)", what,
                       n->api.error_string(ae));
      return cm_fail(err, "nccl all-reduce of %s did not complete within %.0f s: a peer rank is hung or lost; "
                     "stopping every rank", what, c->timeout_s);
    }
    nap_ms();
  }
}

static int n_allreduce_dev(cm_comm *c, const cm_dev *dev, float *buf, size_t n, cm_red_op op, const char *what,
                           cm_err *err) {
  (void)dev;
  nccl_impl *m = c->impl;
  if (m->failed) return cm_fail(err, "nccl communicator was aborted earlier");
  /* the gradients come from kernels on the learning ops' own stream: let them finish first */
  cudaError_t ce = cudaDeviceSynchronize();
  if (ce != cudaSuccess) return cm_fail(err, "before the nccl all-reduce of %s: %s", what, cudaGetErrorString(ce));
  ncclResult_t r = m->api.all_reduce(buf, buf, n, ncclFloat32, op == CM_RED_MEAN ? ncclAvg : ncclSum, m->comm, m->stream);
  if (r != ncclSuccess) return cm_fail(err, "ncclAllReduce of %s: %s", what, m->api.error_string(r));
  return wait_stream(c, what, err);
}

static void n_abort(cm_comm *c, int code) {
  nccl_impl *m = c->impl;
  if (!m->failed) m->api.comm_abort(m->comm);
  m->failed = 1;
  cm_comm h = host_view(c);
  if (h.ops->abort) h.ops->abort(&h, code);
}

static void n_close(cm_comm *c) {
  nccl_impl *m = c->impl;
  if (!m) return;
  if (!m->failed) m->api.comm_destroy(m->comm);
  cudaStreamDestroy(m->stream);
  cm_comm h = host_view(c);
  dlclose(m->api.lib);
  free(m);
  if (h.ops->close) h.ops->close(&h);
  c->ops = NULL;
  c->impl = NULL;
}

static const cm_comm_ops k_nccl_ops = {
    .name = "nccl",
    .allreduce_f32 = h_allreduce_f32,
    .allreduce_f64 = h_allreduce_f64,
    .allreduce_i64 = h_allreduce_i64,
    .allreduce_f32_dev = n_allreduce_dev,
    .bcast_f32 = h_bcast_f32,
    .bcast_bytes = h_bcast_bytes,
    .barrier = h_barrier,
    .gather_f64 = h_gather_f64,
    .abort = n_abort,
    .close = n_close,
};

static int load_api(nccl_api *api, cm_err *err) {
  const char *path = getenv("CMIMIC_NCCL_LIB");
  if (!path || !*path) path = CM_NCCL_DEFAULT_LIB;
  api->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!api->lib) {
    const char *e = dlerror();
    return cm_fail(err, "nccl: cannot load %s (%s): install NCCL (libnccl2) or train on one GPU", path, e ? e : "?");
  }
  struct {
    const char *name;
    void **slot;
  } syms[] = {{"ncclGetUniqueId", (void **)&api->get_unique_id},    {"ncclCommInitRank", (void **)&api->comm_init_rank},
              {"ncclAllReduce", (void **)&api->all_reduce},         {"ncclCommGetAsyncError", (void **)&api->get_async_error},
              {"ncclCommAbort", (void **)&api->comm_abort},         {"ncclCommDestroy", (void **)&api->comm_destroy},
              {"ncclGetErrorString", (void **)&api->error_string}};
  for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
    *syms[i].slot = dlsym(api->lib, syms[i].name);
    if (!*syms[i].slot) {
      dlclose(api->lib);
      return cm_fail(err, "nccl: %s has no %s (NCCL 2.12 or newer is needed)", path, syms[i].name);
    }
  }
  return 0;
}

typedef struct init_watch {
  atomic_int done;
  int rank, size;
  double timeout_s;
} init_watch;

static void *init_watchdog(void *arg) {
  init_watch *w = arg;
  double deadline = cm_now_seconds() + w->timeout_s;
  while (!atomic_load(&w->done)) {
    if (cm_now_seconds() > deadline) {
      fprintf(stderr, "cmimic run: rank %d of %d: NCCL's initialisation (ncclCommInitRank) did not finish in %.0f s: "
              "a rank hung before or inside it; stopping\n", w->rank, w->size, w->timeout_s);
      fflush(stderr);
      _exit(3);
    }
    struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
  return NULL;
}

int cm_comm_nccl_open(cm_comm *c, const cm_dev *dev, cm_err *err) {
  nccl_impl *m = calloc(1, sizeof *m);
  if (!m) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  /* every rank learns whether every rank could load NCCL before any of them waits in it */
  cm_err why = {{0}};
  int64_t bad = load_api(&m->api, &why) ? 1 : 0;
  int rc = cm_comm_allreduce_i64(c, &bad, 1, "nccl availability", err);
  if (rc || bad) {
    if (m->api.lib && !why.msg[0]) dlclose(m->api.lib);
    free(m);
    if (rc) return -1;
    return why.msg[0] ? cm_fail(err, "%s", why.msg) : cm_fail(err, "nccl: %lld rank(s) cannot load NCCL", (long long)bad);
  }
  /* rank 0's id and whether it got one: the others must not wait for an id that never comes */
  struct {
    int32_t r;
    ncclUniqueId id;
  } msg;
  memset(&msg, 0, sizeof msg);
  if (c->rank == 0) msg.r = (int32_t)m->api.get_unique_id(&msg.id);
  ncclResult_t r = ncclSuccess;
  if (cm_comm_bcast_bytes(c, &msg, sizeof msg, "the nccl unique id", err) || (r = (ncclResult_t)msg.r) != ncclSuccess) {
    if (r != ncclSuccess) cm_fail(err, "nccl: ncclGetUniqueId on rank 0: %s", m->api.error_string(r));
    dlclose(m->api.lib);
    free(m);
    return -1;
  }
  ncclUniqueId id = msg.id;
  if (cudaSetDevice(dev->index) != cudaSuccess || cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking) != cudaSuccess) {
    dlclose(m->api.lib);
    free(m);
    return cm_fail(err, "nccl: cannot use GPU cuda:%d", dev->index);
  }
  /* heap, not stack: a watchdog that fails to start is simply not there */
  init_watch *w = calloc(1, sizeof *w);
  pthread_t watcher;
  int watching = 0;
  if (w) {
    atomic_init(&w->done, 0);
    w->rank = c->rank, w->size = c->size, w->timeout_s = c->timeout_s;
    watching = pthread_create(&watcher, NULL, init_watchdog, w) == 0;
  }
  r = m->api.comm_init_rank(&m->comm, c->size, id, c->rank);
  if (w) atomic_store(&w->done, 1);
  if (watching) pthread_join(watcher, NULL);
  free(w);
  if (r != ncclSuccess) {
    cm_fail(err, "nccl: ncclCommInitRank (rank %d of %d): %s", c->rank, c->size, m->api.error_string(r));
    cudaStreamDestroy(m->stream);
    dlclose(m->api.lib);
    free(m);
    return -1;
  }
  m->mpi_ops = c->ops;
  m->mpi_impl = c->impl;
  c->ops = &k_nccl_ops;
  c->impl = m;
  return 0;
}
#endif
