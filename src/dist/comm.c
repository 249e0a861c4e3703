/* The one-process communicator, the process's world, and the calling wrappers that make one
 * rank cost nothing. */
#include "dist/comm.h"

#include <stdlib.h>
#include <string.h>

static cm_comm g_single = {.rank = 0, .size = 1, .local_rank = 0, .timeout_s = 0, .ops = NULL, .impl = NULL};
static cm_comm g_world_mpi;
static cm_comm *g_world = &g_single;

cm_comm *cm_comm_world(void) { return g_world; }

static int env_int(const char *name, int *out) {
  const char *v = getenv(name);
  if (!v || !*v) return 0;
  char *end = NULL;
  long x = strtol(v, &end, 10);
  if (*end || x < 0 || x > 1 << 20) return 0;
  *out = (int)x;
  return 1;
}

int cm_comm_in_job(int *size, int *rank, int *local_rank) {
  int s = 1, r = 0, l = 0;
  /* OpenMPI's mpirun, then PMI (Slurm's srun, MPICH's hydra) */
  int ok = env_int("OMPI_COMM_WORLD_SIZE", &s) && env_int("OMPI_COMM_WORLD_RANK", &r);
  if (ok) env_int("OMPI_COMM_WORLD_LOCAL_RANK", &l);
  if (!ok && (ok = env_int("PMI_SIZE", &s) && env_int("PMI_RANK", &r))) {
    if (!env_int("MPI_LOCALRANKID", &l)) env_int("SLURM_LOCALID", &l);
  }
  if (size) *size = ok ? s : 1;
  if (rank) *rank = ok ? r : 0;
  if (local_rank) *local_rank = ok ? l : 0;
  return ok;
}

int cm_comm_open(int want_size, double timeout_s, cm_err *err) {
  int size = 1;
  int in_job = cm_comm_in_job(&size, NULL, NULL);
  if (!in_job) {
    if (want_size > 1)
      return cm_fail(err, "%d devices need one process each: start them with mpirun -np %d (cmimic run does "
                     "this itself for --devices on one machine)", want_size, want_size);
    return 0;
  }
  if (!cm_comm_have_mpi())
    return cm_fail(err, "started by a launcher as rank of %d, but this cmimic was built without MPI "
                   "(install libopenmpi-dev and rebuild)", size);
  memset(&g_world_mpi, 0, sizeof g_world_mpi);
  if (cm_comm_mpi_open(&g_world_mpi, timeout_s, err)) return -1;
  if (want_size > 0 && g_world_mpi.size != want_size) {
    int got = g_world_mpi.size;
    g_world_mpi.ops->close(&g_world_mpi);
    return cm_fail(err, "--devices names %d devices but the job has %d ranks (mpirun -np %d, one device each)",
                   want_size, got, want_size);
  }
  g_world = &g_world_mpi;
  return 0;
}

int cm_comm_use_nccl(const cm_dev *dev, cm_err *err) {
  if (g_world->size <= 1 || !dev || dev->kind != CM_DEV_CUDA) return 0;
  return cm_comm_nccl_open(g_world, dev, err);
}

void cm_comm_close(void) {
  if (g_world != &g_single && g_world->ops && g_world->ops->close) g_world->ops->close(g_world);
  g_world = &g_single;
}

void cm_comm_started(cm_comm *c) {
  if (c && c->run_timeout_s > 0) c->timeout_s = c->run_timeout_s;
}

static int many(const cm_comm *c) { return c && c->size > 1 && c->ops; }

int cm_comm_allreduce_f32(cm_comm *c, float *buf, size_t n, cm_red_op op, const char *what, cm_err *err) {
  return many(c) && n ? c->ops->allreduce_f32(c, buf, n, op, what, err) : 0;
}

int cm_comm_allreduce_f64(cm_comm *c, double *buf, size_t n, cm_red_op op, const char *what, cm_err *err) {
  return many(c) && n ? c->ops->allreduce_f64(c, buf, n, op, what, err) : 0;
}

int cm_comm_allreduce_i64(cm_comm *c, int64_t *buf, size_t n, const char *what, cm_err *err) {
  return many(c) && n ? c->ops->allreduce_i64(c, buf, n, what, err) : 0;
}

/* Device buffers the backend cannot read go through a host copy. */
int cm_comm_allreduce_dev(cm_comm *c, const cm_dev *dev, float *buf, size_t n, cm_red_op op, const char *what,
                          cm_err *err) {
  if (!many(c) || !n) return 0;
  if (!dev || dev->kind == CM_DEV_CPU) return c->ops->allreduce_f32(c, buf, n, op, what, err);
  if (c->ops->allreduce_f32_dev) return c->ops->allreduce_f32_dev(c, dev, buf, n, op, what, err);
  float *h = malloc(n * sizeof(float));
  if (!h) return cm_fail(err, "%s:%d: out of memory staging %zu floats of %s", __FILE__, __LINE__, n, what);
  cm_dev_download(dev, h, buf, n);
  int rc = c->ops->allreduce_f32(c, h, n, op, what, err);
  if (!rc) cm_dev_upload(dev, buf, h, n);
  free(h);
  return rc;
}

int cm_comm_bcast_dev(cm_comm *c, const cm_dev *dev, float *buf, size_t n, const char *what, cm_err *err) {
  if (!many(c) || !n) return 0;
  if (!dev || dev->kind == CM_DEV_CPU) return c->ops->bcast_f32(c, buf, n, 0, what, err);
  float *h = malloc(n * sizeof(float));
  if (!h) return cm_fail(err, "%s:%d: out of memory staging %zu floats of %s", __FILE__, __LINE__, n, what);
  cm_dev_download(dev, h, buf, n);
  int rc = c->ops->bcast_f32(c, h, n, 0, what, err);
  if (!rc) cm_dev_upload(dev, buf, h, n);
  free(h);
  return rc;
}

int cm_comm_bcast_bytes(cm_comm *c, void *buf, size_t n, const char *what, cm_err *err) {
  return many(c) && n ? c->ops->bcast_bytes(c, buf, n, 0, what, err) : 0;
}

int cm_comm_barrier(cm_comm *c, const char *what, cm_err *err) { return many(c) ? c->ops->barrier(c, what, err) : 0; }

int cm_comm_gather_f64(cm_comm *c, const double *send, size_t n, double *recv, const char *what, cm_err *err) {
  if (!many(c)) {
    if (recv != send && n) memcpy(recv, send, n * sizeof(double));
    return 0;
  }
  return c->ops->gather_f64(c, send, n, recv, 0, what, err);
}

void cm_comm_abort(cm_comm *c, int code) {
  if (many(c) && c->ops->abort) c->ops->abort(c, code);
}
