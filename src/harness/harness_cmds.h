/* The operations harness as subcommands (docs/HARNESS.md). Each returns the exit status:
 * 0 every selected case passed, 1 some case failed, 2 bad usage, 130 interrupted. */
#ifndef CM_HARNESS_CMDS_H
#define CM_HARNESS_CMDS_H
int cm_cmd_e2e(int argc, char **argv);       /* train -> test -> viz per case */
int cm_cmd_longcycle(int argc, char **argv); /* probe -> long train -> test -> viz per case */
int cm_cmd_bench(int argc, char **argv);     /* throughput and GPU utilisation per ladder rung */
int cm_cmd_summary(int argc, char **argv);   /* acceptance check of a harness root */
#endif
