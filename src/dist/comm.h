/* The communicator of data-parallel training (MimicKit util/mp_util.py): ranks 0 .. size-1,
 * each with its own envs, joined for exactly what data-parallel PPO/AWR/AMP/ASE/ADD need:
 *   all-reduce sum / mean   gradients (float, before every optimizer step), normalizer sums
 *                           (double, int64 counts), advantage moments
 *   broadcast               initial parameters from rank 0
 *   barrier                 start and end of a run
 *   gather                  the logged scalars, combined on rank 0 (the only rank that writes)
 * Backends, chosen once per process (cm_comm_open):
 *   single  one process: every operation returns at once, so the calling code is the same for
 *           1 or N ranks and the one-process run is bit-identical to a build without dist/
 *   mpi     OpenMPI (CPU ranks, and start-up across machines under mpirun / Slurm)
 *   nccl    GPU buffers through NCCL, loaded at run time (dlopen) like NVML; its unique id is
 *           handed out by MPI, and host buffers still go through MPI
 * No home-made transport: the libraries carry the bytes. Every collective waits at most
 * timeout_s (docs/DIST.md): then the waiting rank names the ranks that did not join and fails,
 * so a hung or lost rank ends the run instead of hanging it.
 * Buffers: host memory, except the _dev variants, whose buffers live on `dev` (staged through
 * the host when the backend cannot read device memory). */
#ifndef CM_DIST_COMM_H
#define CM_DIST_COMM_H
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "learn/ops.h"

typedef enum { CM_RED_SUM = 0, CM_RED_MEAN = 1 } cm_red_op;

typedef struct cm_comm cm_comm;
typedef struct cm_comm_ops {
  const char *name;
  /* in place over all ranks; `what` names the buffer in timeout messages */
  int (*allreduce_f32)(cm_comm *c, float *buf, size_t n, cm_red_op op, const char *what, cm_err *err);
  int (*allreduce_f64)(cm_comm *c, double *buf, size_t n, cm_red_op op, const char *what, cm_err *err);
  int (*allreduce_i64)(cm_comm *c, int64_t *buf, size_t n, const char *what, cm_err *err); /* sum */
  /* device buffers (NULL: staged through the host by the caller) */
  int (*allreduce_f32_dev)(cm_comm *c, const cm_dev *dev, float *buf, size_t n, cm_red_op op, const char *what,
                           cm_err *err);
  int (*bcast_f32)(cm_comm *c, float *buf, size_t n, int root, const char *what, cm_err *err);
  int (*bcast_bytes)(cm_comm *c, void *buf, size_t n, int root, const char *what, cm_err *err);
  int (*barrier)(cm_comm *c, const char *what, cm_err *err);
  /* send [n] from every rank into recv [size][n] on root (recv unused elsewhere) */
  int (*gather_f64)(cm_comm *c, const double *send, size_t n, double *recv, int root, const char *what, cm_err *err);
  /* ends the whole job now (a rank that failed: the others must not wait for it) */
  void (*abort)(cm_comm *c, int code);
  void (*close)(cm_comm *c);
} cm_comm_ops;

struct cm_comm {
  int rank, size;
  int local_rank;   /* rank among the processes of this machine: picks the device */
  double timeout_s; /* longest wait of one collective now */
  double run_timeout_s; /* the same once training runs (cm_comm_started); before it, start-up (MPI,
                           env and agent creation, unequal across ranks) may take CM_COMM_START_S */
  const cm_comm_ops *ops;
  void *impl;
};

#define CM_COMM_START_S 120.0
/* Start-up is over: collectives wait at most run_timeout_s from now on. */
void cm_comm_started(cm_comm *c);

/* The process's communicator (as MPI_COMM_WORLD): the single one until cm_comm_open sets it. */
cm_comm *cm_comm_world(void);
/* Joins the job this process was started in: MPI when started by mpirun (OMPI_COMM_WORLD_SIZE
 * or PMI_SIZE in the environment) and the build has MPI, else single. want_size > 1 with no
 * such job (or no MPI in the build) is an error naming the fix. Sets cm_comm_world(). */
int cm_comm_open(int want_size, double timeout_s, cm_err *err);
/* NCCL for device buffers of dev (cuda), over the MPI world; "nccl: <why>" when libnccl or the
 * GPU is absent. Host buffers keep going through MPI. */
int cm_comm_use_nccl(const cm_dev *dev, cm_err *err);
void cm_comm_close(void);
/* Whether this process runs under a launcher's job (mpirun): the ranks' own environment. */
int cm_comm_in_job(int *size, int *rank, int *local_rank);
/* Whether the build has the MPI backend. */
int cm_comm_have_mpi(void);

static inline int cm_comm_is_root(const cm_comm *c) { return !c || c->rank == 0; }

/* Calling code uses these: they return 0 at once when c is NULL or has one rank. */
int cm_comm_allreduce_f32(cm_comm *c, float *buf, size_t n, cm_red_op op, const char *what, cm_err *err);
int cm_comm_allreduce_f64(cm_comm *c, double *buf, size_t n, cm_red_op op, const char *what, cm_err *err);
int cm_comm_allreduce_i64(cm_comm *c, int64_t *buf, size_t n, const char *what, cm_err *err);
int cm_comm_allreduce_dev(cm_comm *c, const cm_dev *dev, float *buf, size_t n, cm_red_op op, const char *what,
                          cm_err *err);
int cm_comm_bcast_dev(cm_comm *c, const cm_dev *dev, float *buf, size_t n, const char *what, cm_err *err);
int cm_comm_bcast_bytes(cm_comm *c, void *buf, size_t n, const char *what, cm_err *err);
int cm_comm_barrier(cm_comm *c, const char *what, cm_err *err);
int cm_comm_gather_f64(cm_comm *c, const double *send, size_t n, double *recv, const char *what, cm_err *err);
void cm_comm_abort(cm_comm *c, int code);

/* Backend constructors (comm_mpi.c, comm_nccl.c); -1 with the reason when unavailable. */
int cm_comm_mpi_open(cm_comm *c, double timeout_s, cm_err *err);
int cm_comm_nccl_open(cm_comm *mpi, const cm_dev *dev, cm_err *err);
#endif
