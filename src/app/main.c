/* cmimic: one binary, subcommands (DESIGN.md section 4). */
#include <stdio.h>
#include <string.h>
#include "app/commands.h"
#include "harness/gpu_monitor_cmd.h"
#include "harness/harness_cmds.h"
#include "harness/report.h"
#include "io/config.h"
#include "render/plot.h"
#include "render/recorder.h"

/* What this build can do, one "feature: yes|no" line each, so scripts (tools/demo.sh) can pick a
 * path instead of failing half-way: rendering (videos, viewer, plots), cuda, mpi. */
static int cmd_features(int argc, char **argv) {
  int help = argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"));
  if (argc > 0) {
    fprintf(help ? stdout : stderr, "usage: cmimic features   (what this build can do, \"feature: yes|no\" a line each). No flags.\n");
    return help ? 0 : 2;
  }
#ifdef CM_HAVE_CUDA
  const int cuda = 1;
#else
  const int cuda = 0;
#endif
#ifdef CM_HAVE_MPI
  const int mpi = 1;
#else
  const int mpi = 0;
#endif
  printf("rendering: %s\ncuda: %s\nmpi: %s\n", cm_render_built() ? "yes" : "no", cuda ? "yes" : "no", mpi ? "yes" : "no");
  return 0;
}

typedef struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *help;
} command;

static const command k_commands[] = {
    {"run", cmd_run, "train or test a policy, or play an env: --arg_file F --mode train|test [flags]"},
    {"convert", cmd_convert, "convert motion data: convert deepmimic [--char F.xml] IN.txt OUT.pkl | convert gmr IN.pkl OUT.pkl | convert bvh IN.bvh OUT.pkl OUT.xml"},
    {"retarget", cmd_retarget, "retarget a clip to another character: retarget --src humanoid --dst g1 IN.pkl OUT.pkl"},
    {"plot", cm_cmd_plot, "learning curves: plot log.txt [more logs] -o curve.png|.svg [--x Samples] [--y Test_Return] [--smooth N]"},
    {"gpu-monitor", cm_cmd_gpu_monitor, "GPU utilisation, memory and power via NVML: gpu-monitor [--hz 10] [--seconds S] [--tsv F]"},
    {"bench-env", cmd_bench_env, "environment throughput vs raw MuJoCo: bench-env [--num_envs N] [--threads T] [--seconds S]"},
    {"bench-dist", cmd_bench_dist, "all-reduce time of the agents' gradients over ranks: bench-dist --ranks 2 (docs/DIST.md)"},
    {"engine-check", cmd_engine_check, "validate an engine against MuJoCo: engine-check --char_file X.xml [--steps N] [--num_envs K] [--devices cpu|cuda:0] [--seed S]"},
    {"e2e", cm_cmd_e2e, "all-case train -> test -> viz: e2e [--cases a.txt,b.txt] [--include-nontrainable] [--root-out R] (docs/HARNESS.md)"},
    {"longcycle", cm_cmd_longcycle, "all-case probe -> long train -> test -> viz, resumable (docs/HARNESS.md)"},
    {"bench", cm_cmd_bench, "samples/s and GPU utilisation per case and num_envs rung (docs/HARNESS.md)"},
    {"summary", cm_cmd_summary, "acceptance check of a harness root: summary ROOT"},
    {"features", cmd_features, "what this build can do: rendering, cuda, mpi (yes|no, a line each)"},
    {"report", cm_cmd_report, "report page DIR/index.html of a training folder or a harness root: report DIR"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f) {
  fprintf(f, "usage: cmimic <command> [flags]\n\ncommands:\n");
  for (int i = 0; k_commands[i].name; i++) fprintf(f, "  %-12s %s\n", k_commands[i].name, k_commands[i].help);
  fprintf(f, "\ncmimic <command> --help lists its flags with their defaults.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  for (int i = 0; k_commands[i].name; i++)
    if (!strcmp(argv[1], k_commands[i].name)) return k_commands[i].fn(argc - 2, argv + 2);
  const char *names[sizeof k_commands / sizeof k_commands[0]];
  size_t n = 0;
  for (; k_commands[n].name; n++) names[n] = k_commands[n].name;
  names[n] = NULL;
  const char *near = cm_closest_name(argv[1], names);
  if (near) fprintf(stderr, "cmimic: unknown command '%s' (did you mean '%s'? try: cmimic help)\n", argv[1], near);
  else fprintf(stderr, "cmimic: unknown command '%s' (try: cmimic help)\n", argv[1]);
  return 2;
}
