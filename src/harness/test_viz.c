/* The stages after training, shared by e2e and longcycle: test (metrics) and viz (video), and
 * the result row of the training attempt. */
#include <stdio.h>
#include "harness/runner.h"

int cm_case_test_viz(cm_case_run *x, const cm_stage_out *train, long num_envs, cm_err *err) {
  char model[1200];
  snprintf(model, sizeof model, "%s/model.pt", train->out_dir);
  const char *variant = train->at.variant;
  cm_stage_out out;
  cm_stage_req test = {.stage = "test", .variant = variant, .num_envs = num_envs, .model_file = model,
                       .max_seconds = x->h->o.max_seconds};
  if (cm_stage_interrupted()) return -2;
  if (cm_case_stage(x, &test, &out, err)) return -3;
  snprintf(x->res->test_log, sizeof x->res->test_log, "%s", out.log);
  x->res->mean_return = out.at.mean_return;
  if (out.failure.cls == CM_FAIL_INTERRUPTED) return -2;
  if (out.failure.cls != CM_FAIL_NONE) return 0;
  if (!x->h->o.viz) { /* a headless build or no ffmpeg: train and test decide, the row says why */
    snprintf(x->res->viz_log, sizeof x->res->viz_log, "skipped: %s", x->h->o.viz_off_why);
    return 1;
  }
  cm_stage_req viz = test;
  viz.stage = "viz";
  if (cm_stage_interrupted()) return -2;
  if (cm_case_stage(x, &viz, &out, err)) return -3;
  snprintf(x->res->viz_log, sizeof x->res->viz_log, "%s", out.log);
  if (out.failure.cls == CM_FAIL_INTERRUPTED) return -2;
  return out.failure.cls == CM_FAIL_NONE;
}

void cm_case_record_train(cm_case_run *x, const cm_stage_out *train, long num_envs) {
  cm_case_result *r = x->res;
  snprintf(r->variant, sizeof r->variant, "%s", train->at.variant);
  r->num_envs = num_envs;
  snprintf(r->out_dir, sizeof r->out_dir, "%s", train->out_dir);
  snprintf(r->train_log, sizeof r->train_log, "%s", train->log);
  r->samples_per_s = train->at.samples_per_s;
  r->gpu_util_avg = train->at.gpu_util_avg;
  r->gpu_util_min = train->at.gpu_util_min;
}

