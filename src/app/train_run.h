/* A training run as the user sees it (MimicKit run.py train + BaseAgent.train_model): the
 * output folder with config.yaml (and copies of the three config files), log.txt (and TensorBoard
 * events) and model.pt, the console table every output
 * iteration, Ctrl-C saving a checkpoint, and --resume continuing with the same counters. */
#ifndef CM_TRAIN_RUN_H
#define CM_TRAIN_RUN_H
#include <stdint.h>
#include "io/args.h"
#include "learn/ops.h"
#include "learn/rl_env.h"

typedef struct cm_train_run {
  const cm_args *args;
  const char *out_dir, *engine_file, *env_file, *agent_file, *model_file;
  int resume;             /* continue from out_dir/resume.pt (or model.pt) */
  long max_samples;
  uint64_t seed;
  const cm_dev *dev;        /* where the networks run */
  int test_episodes;      /* 0: the agent yaml's */
  const char *logger;     /* "tb": TensorBoard events beside log.txt; "txt": log.txt only */
  int save_int_models;    /* keep int_models/model_<iteration>.pt at every output iteration */
  /* The agent yaml as resolved (a --preset laid over it, app/preset.h), owned by the caller: the
   * agent is built from it, batch_size: auto is resolved in it, config.yaml records it. NULL:
   * agent_file as it is. */
  struct cm_cfg *agent_cfg;
} cm_train_run;

/* 0 when training finished; CM_TRAIN_INTERRUPTED after Ctrl-C (checkpoint saved); -1 on error. */
#define CM_TRAIN_INTERRUPTED 130
int cm_train_run_main(const cm_train_run *tr, cm_rl_env *rl, cm_err *err);
#endif
