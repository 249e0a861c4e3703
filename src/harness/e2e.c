/* cmimic e2e (MimicKit's run_case_e2e.py): per case, train (trainable: probe the env ladder
 * with --max-samples; non-trainable: a bootstrap train of --bootstrap-samples that produces a
 * model artefact) -> test (metrics printed) -> viz (video recorded, frames checked). */
#include <stdio.h>
#include <string.h>
#include "harness/harness_cmds.h"
#include "harness/runner.h"

static int run_case(cm_case_run *x, void *user, cm_err *err) {
  (void)user;
  const cm_harness_opts *o = &x->h->o;
  cm_stage_out train;
  long samples = x->c->trainable ? o->max_samples : o->bootstrap_samples;
  int rung = cm_case_train_ladder(x, "train", samples, 0, &train, err);
  if (rung == -3) return -3;
  if (rung == -2) return -2;
  const cm_ladder *l = cm_case_ladder(x->h, x->c);
  if (rung < 0) {
    cm_case_record_train(x, &train, train.at.num_envs);
    return 0;
  }
  cm_case_record_train(x, &train, l->v[rung]);
  return cm_case_test_viz(x, &train, l->v[rung], err);
}

int cm_cmd_e2e(int argc, char **argv) {
  cm_harness h;
  int status;
  if (cm_harness_open(&h, "e2e", argc, argv, &status)) return status;
  if (cm_harness_run_cases(&h, run_case, NULL)) {
    cm_harness_close(&h);
    return 1;
  }
  return cm_harness_close(&h);
}
