/* The communicator: with one process every operation is a no-op that leaves the data as it is
 * (the one-process path); under mpirun (the test re-runs itself as `mpirun -np 3` when OpenMPI is
 * there) all-reduce sum/mean of floats, doubles and int64, broadcast, gather and barrier give
 * the values computed here from each rank's known input, and normalizers that recorded
 * different rows on each rank merge into the two-pass mean and std of all rows; an agent created
 * with a different seed on every rank starts from rank 0's parameters (the broadcast). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "core/rng.h"
#include "dist/comm.h"
#include "learn/normalizer.h"
#include "toy_agent.h"

enum { D = 3, ROWS = 50, RANKS = 3 };
static cm_err err;

/* Rank r's rows of the normalizer data: rank-dependent offsets so a missing rank shows. */
static void rank_rows(int r, float *x) {
  cm_rng g = cm_rng_make(99, (uint32_t)r, 0, 0);
  for (int i = 0; i < ROWS; i++)
    for (int j = 0; j < D; j++) x[i * D + j] = (float)(j + 1) * cm_rng_normal(&g) + 10.f * (float)r;
}

static void single_process(void) {
  cm_comm *c = cm_comm_world();
  CHECK(c->size == 1 && c->rank == 0 && cm_comm_is_root(c));
  float f[3] = {1.5f, -2.f, 3.f};
  double d[2] = {0.25, 7};
  int64_t k[1] = {5};
  CHECK_OK(cm_comm_allreduce_f32(c, f, 3, CM_RED_MEAN, "f", &err), &err);
  CHECK_OK(cm_comm_allreduce_f64(c, d, 2, CM_RED_SUM, "d", &err), &err);
  CHECK_OK(cm_comm_allreduce_i64(c, k, 1, "k", &err), &err);
  CHECK_OK(cm_comm_bcast_dev(c, cm_dev_cpu(), f, 3, "f", &err), &err);
  CHECK_OK(cm_comm_barrier(c, "b", &err), &err);
  CHECK(f[0] == 1.5f && f[1] == -2.f && f[2] == 3.f && d[0] == 0.25 && d[1] == 7 && k[0] == 5);
  double g[2];
  CHECK_OK(cm_comm_gather_f64(c, d, 2, g, "g", &err), &err);
  CHECK(g[0] == 0.25 && g[1] == 7);
  /* asking for several ranks without a launcher names the fix */
  CHECK(cm_comm_open(2, 10, &err) == -1 && strstr(err.msg, "mpirun -np 2"));
}

/* A position-weighted sum of every actor and critic weight: equal on two ranks only when their
 * parameters are. */
static double weights_sum(cm_mlp *net) {
  double s = 0;
  for (int i = 0; i < net->num_linear; i++)
    for (size_t k = 0; k < net->w[i].n; k++) s += (double)net->w[i].data[k] * (double)(k % 97 + 1 + i);
  return s;
}

/* Each rank creates its agent with its own seed (its own initial weights); after cm_agent_create
 * every rank holds rank 0's, as MimicKit's MPOptimizer.sync. The same nets initialised with
 * those seeds but not broadcast differ (the check can fail). */
static void initial_parameters(cm_comm *c) {
  toy e;
  toy_cfg tc = {.n = 2, .ep_len = 5, .seed = 3, .lo = {-1.f, -1.f}, .hi = {1.f, 1.f}};
  cm_rl_env env = toy_env(&e, &tc);
  toy_yaml y = {.name = "PPO", .optimizer = "Adam", .lr = "1e-4", .norm_samples = "1000", .entropy_weight = "0.0",
                .reg_weight = "0.0", .steps = 4, .batch = 8, .epochs = 1, .iters_per_output = 1};
  uint64_t seed = 1000 + (uint64_t)c->rank;
  cm_agent *a = toy_make_agent(toy_agent_yaml(&y), &env, cm_dev_cpu(), seed, &err);
  CHECK(a != NULL);
  if (!a) return;
  double mine[2] = {weights_sum(&a->actor), weights_sum(&a->critic)}, all[2 * RANKS] = {0};
  cm_mlp raw;
  CHECK_OK(cm_mlp_create(&raw, cm_dev_cpu(), a->cfg.actor_net, env.obs_dim, TOY_ADIM, "a", "b", &err), &err);
  CHECK_OK(cm_mlp_init(&raw, seed, 0, 0.01f, &err), &err);
  double unsynced = weights_sum(&raw), raw_all[RANKS] = {0};
  CHECK_OK(cm_comm_gather_f64(c, mine, 2, all, "agent weights", &err), &err);
  CHECK_OK(cm_comm_gather_f64(c, &unsynced, 1, raw_all, "raw weights", &err), &err);
  if (c->rank == 0)
    for (int q = 1; q < c->size; q++) {
      CHECK(all[2 * q] == all[0] && all[2 * q + 1] == all[1]);
      CHECK(raw_all[q] != raw_all[0]);
    }
  cm_mlp_destroy(&raw);
  cm_agent_destroy(a);
}

static void in_job(void) {
  CHECK_OK(cm_comm_open(0, 60, &err), &err);
  cm_comm *c = cm_comm_world();
  int r = c->rank, n = c->size;
  CHECK(n == RANKS && strcmp(c->ops->name, "mpi") == 0);
  CHECK(c->local_rank == r); /* one machine: the local rank (which picks a rank's GPU) is the rank */
  /* sums and means of rank-dependent values: sum_r (r + 1) = n (n + 1) / 2 */
  float f[4];
  double d[2] = {0.5 * (r + 1), -1.0 * r};
  int64_t k[2] = {(int64_t)1 << 40, r};
  for (int i = 0; i < 4; i++) f[i] = (float)(i * (r + 1));
  CHECK_OK(cm_comm_allreduce_f32(c, f, 4, CM_RED_MEAN, "f", &err), &err);
  CHECK_OK(cm_comm_allreduce_f64(c, d, 2, CM_RED_SUM, "d", &err), &err);
  CHECK_OK(cm_comm_allreduce_i64(c, k, 2, "k", &err), &err);
  double tri = n * (n + 1) / 2.0;
  for (int i = 0; i < 4; i++) CHECK_NEAR(f[i], i * tri / n, 1e-6);
  CHECK_NEAR(d[0], 0.5 * tri, 1e-12);
  CHECK_NEAR(d[1], -(n - 1) * n / 2.0, 1e-12);
  CHECK(k[0] == (int64_t)n << 40 && k[1] == (int64_t)(n - 1) * n / 2);
  /* broadcast from rank 0 */
  float b[3] = {(float)r, 2.f * r, 7.f};
  if (r == 0) b[0] = 11.f, b[1] = -3.f;
  CHECK_OK(cm_comm_bcast_dev(c, cm_dev_cpu(), b, 3, "b", &err), &err);
  CHECK(b[0] == 11.f && b[1] == -3.f && b[2] == 7.f);
  /* gather on rank 0 */
  double mine[2] = {(double)r, 100.0 + r}, all[2 * RANKS] = {0};
  CHECK_OK(cm_comm_gather_f64(c, mine, 2, all, "g", &err), &err);
  if (r == 0)
    for (int q = 0; q < n; q++) CHECK(all[2 * q] == q && all[2 * q + 1] == 100.0 + q);
  CHECK_OK(cm_comm_barrier(c, "b", &err), &err);
  /* normalizers merge every rank's rows: the two-pass statistics of all of them */
  cm_normalizer nm;
  float x[ROWS * D], mean[D], stdv[D];
  CHECK_OK(cm_norm_create(&nm, cm_dev_cpu(), "_obs_norm", D, 1e9f, 1e-4f, INFINITY, &err), &err);
  rank_rows(r, x);
  cm_norm_record(&nm, x, ROWS);
  CHECK_OK(cm_norm_update(&nm, &err), &err);
  cm_norm_get(&nm, mean, stdv);
  CHECK(nm.count == (int64_t)ROWS * n);
  for (int j = 0; j < D; j++) {
    double s = 0, ss = 0;
    for (int q = 0; q < n; q++) {
      rank_rows(q, x);
      for (int i = 0; i < ROWS; i++) s += x[i * D + j];
    }
    double m = s / (ROWS * n);
    for (int q = 0; q < n; q++) {
      rank_rows(q, x);
      for (int i = 0; i < ROWS; i++) ss += (x[i * D + j] - m) * (x[i * D + j] - m);
    }
    CHECK_NEAR(mean[j], m, 1e-4 * (1 + fabs(m)));
    CHECK_NEAR(stdv[j], sqrt(ss / (ROWS * n)), 1e-4 * sqrt(ss / (ROWS * n)));
  }
  cm_norm_destroy(&nm);
  initial_parameters(c);
}

int main(int argc, char **argv) {
  (void)argc;
  if (cm_comm_in_job(NULL, NULL, NULL)) {
    in_job();
    int rc = check_report("test_dist (rank)");
    if (rc) cm_comm_abort(cm_comm_world(), rc);
    cm_comm_close();
    return rc;
  }
  single_process();
  if (!cm_comm_have_mpi() || system("command -v mpirun >/dev/null 2>&1") != 0) {
    printf("test_dist: no MPI here, the %d-rank part is skipped\n", RANKS);
    return check_report("test_dist");
  }
  /* the same binary as 3 ranks of an mpirun job */
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  CHECK(n > 0);
  self[n > 0 ? n : 0] = 0;
  (void)argv;
  /* OpenMPI's plugins keep allocations to the end (LeakSanitizer reports them as leaks from an
   * unknown module): the ranks of a sanitizer build check everything but leaks */
  const char *asan = getenv("ASAN_OPTIONS");
  char opts[512];
  snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", asan ? asan : "", asan && *asan ? ":" : "");
  setenv("ASAN_OPTIONS", opts, 1);
  pid_t pid = fork();
  if (pid == 0) {
    char np[8];
    snprintf(np, sizeof np, "%d", RANKS);
    char *av[] = {"mpirun", "-np", np, "-q", "--oversubscribe", "--bind-to", "none", "--allow-run-as-root", "-x", "ASAN_OPTIONS", self, NULL};
    execvp("mpirun", av);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return check_report("test_dist");
}
