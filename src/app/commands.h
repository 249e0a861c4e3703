/* Subcommand entry points: each gets the arguments after its own name and returns the exit
 * status (0 ok, 1 failure of the work, 2 bad usage or input). */
#ifndef CM_COMMANDS_H
#define CM_COMMANDS_H
int cmd_run(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_bench_env(int argc, char **argv);
int cmd_retarget(int argc, char **argv);
int cmd_engine_check(int argc, char **argv);
int cmd_bench_dist(int argc, char **argv);
#endif
