/* Starting one process per device on this machine (MimicKit's run.py spawns them; here
 * OpenMPI's mpirun does), and the thin link each rank keeps to the launcher.
 *
 * cmimic run --devices cpu cpu [--master_port P] re-runs itself as
 *   mpirun -np 2 --oversubscribe --bind-to none <this cmimic> run <the same flags>
 * in a process group of its own, and watches the ranks through a TCP socket on 127.0.0.1:P
 * (P in use: another free port is taken and said in one line). Each rank connects, says its
 * rank and pid, and says "bye" when it finishes or "fail" after it printed why it stopped.
 * A rank whose connection closes without either has died (kill -9, crash, out of memory): the
 * launcher says so in one line naming it and stops every rank (SIGTERM, then SIGKILL after a
 * grace period), so nothing hangs and nothing is orphaned. Ctrl-C / SIGTERM reach every rank
 * (each saves its checkpoint as a one-process run does). The bytes of training never pass
 * through this socket: MPI and NCCL carry them. */
#ifndef CM_DIST_LAUNCH_H
#define CM_DIST_LAUNCH_H
#include "core/err.h"

/* argv: the flags after `cmimic <command>` (each rank runs `cmimic <command>` with them). Returns the
 * exit status for main (0: every rank finished). */
int cm_dist_launch(const char *command, int argc, char **argv, int num_ranks, long master_port, cm_err *err);

/* Rank side: connects to the launcher when CMIMIC_LAUNCHER_PORT is set (else does nothing);
 * -1 with the reason when the launcher cannot be reached (the rank must not run unwatched). */
int cm_dist_link_hello(int rank, cm_err *err);
/* "bye" (finished) or "fail" (stopped; the reason is printed already). */
void cm_dist_link_bye(int ok);
#endif
