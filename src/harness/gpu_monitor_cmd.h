/* `cmimic gpu-monitor`: the monitor as a stand-alone command, in place of watching nvidia-smi. */
#ifndef CM_HARNESS_GPU_MONITOR_CMD_H
#define CM_HARNESS_GPU_MONITOR_CMD_H
/* cmimic gpu-monitor [--hz 10] [--seconds S] [--tsv out.tsv] [--interval 60]
 * Samples every GPU at --hz until Ctrl-C (or for --seconds), prints one status line per GPU
 * every --interval seconds and a summary table at the end. Without a GPU (CPU-only mode) it
 * returns at once unless --seconds is given. Gets the arguments after the
 * command's name; returns 0, 1 when writing the TSV failed, 2 on bad usage. */
int cm_cmd_gpu_monitor(int argc, char **argv);
#endif
