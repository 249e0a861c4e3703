/* cmimic longcycle (MimicKit's run_case_longcycle.py): trainable cases probe_train (env ladder,
 * --max-samples) -> long_train (--long-max-samples) -> test -> viz; non-trainable cases
 * bootstrap_train (--bootstrap-samples) -> test -> viz. With --resume-skip-status ok a case
 * whose long_train was interrupted continues from its checkpoint (cmimic run --resume). */
#include <stdio.h>
#include <string.h>
#include "core/fileio.h"
#include "harness/harness_cmds.h"
#include "harness/runner.h"

/* The rung whose probe passed in an earlier run of this root and whose long_train left a
 * checkpoint, or -1. */
static int resumable_rung(const cm_case_run *x, const cm_ladder *l) {
  for (int i = x->attempts.n - 1; i >= 0; i--) {
    const cm_attempt *a = &x->attempts.items[i];
    if (strcmp(a->stage, "long_train")) continue;
    char ckpt[1300];
    snprintf(ckpt, sizeof ckpt, "%s/resume.pt", a->out_dir);
    if (!cm_file_exists(ckpt)) return -1;
    for (int r = 0; r < l->n; r++)
      if (l->v[r] == a->num_envs) return r;
    return -1;
  }
  return -1;
}

static int run_trainable(cm_case_run *x, cm_err *err) {
  const cm_harness_opts *o = &x->h->o;
  const cm_ladder *l = cm_case_ladder(x->h, x->c);
  cm_stage_out probe, lt;
  int rung = x->h->o.resume_skip_ok ? resumable_rung(x, l) : -1, resume = rung >= 0;
  if (resume) {
    /* the interrupted long_train ran on one device after a fallback: its checkpoint is there */
    for (int i = x->attempts.n - 1; i >= 0; i--)
      if (!strcmp(x->attempts.items[i].stage, "long_train")) {
        x->one_device = x->attempts.items[i].devices[0] && !strchr(x->attempts.items[i].devices, ',');
        break;
      }
    printf("  resuming long_train of %s at %s_e%ld from its checkpoint\n", x->c->name, x->c->variant, l->v[rung]);
  } else {
    rung = cm_case_train_ladder(x, "probe_train", o->max_samples, 0, &probe, err);
    if (rung < 0) {
      if (rung == -1) cm_case_record_train(x, &probe, probe.at.num_envs);
      return rung == -1 ? 0 : rung;
    }
  }
  /* long_train from the probed rung down: a long run that dies steps down like a probe */
  int port_retries = 0, first = rung;
  for (; rung < l->n;) {
    if (cm_stage_interrupted()) return -2;
    cm_stage_req rq = {.stage = "long_train", .variant = x->c->variant, .num_envs = l->v[rung],
                       .max_samples = o->long_max_samples, .resume = resume};
    if (cm_case_stage(x, &rq, &lt, err)) return -3;
    cm_case_record_train(x, &lt, l->v[rung]);
    snprintf(x->res->long_out_dir, sizeof x->res->long_out_dir, "%s", lt.out_dir);
    snprintf(x->res->out_dir, sizeof x->res->out_dir, "%s/probe_train", lt.attempt_dir);
    cm_ladder_step step =
        cm_ladder_next_devices(&lt.failure, rung, l->n, port_retries, o->port_retries, o->num_devices > 1 && !x->one_device);
    if (step == CM_LADDER_PASS) break;
    if (step == CM_LADDER_ONE_DEVICE || step == CM_LADDER_ONE_DEVICE_TOP) { /* on one device, from the start */
      if (step == CM_LADDER_ONE_DEVICE_TOP) rung = first; /* every rung failed: from the probed one again */
      x->one_device = 1, port_retries = 0, resume = 0;
      continue;
    }
    if (step == CM_LADDER_STOP) return lt.failure.cls == CM_FAIL_INTERRUPTED ? -2 : 0;
    if (step == CM_LADDER_RETRY_RUNG) port_retries++;
    else rung++, port_retries = 0, resume = 0;
  }
  if (rung >= l->n) return 0;
  return cm_case_test_viz(x, &lt, l->v[rung], err);
}

static int run_bootstrap(cm_case_run *x, cm_err *err) {
  cm_stage_out boot;
  int rung = cm_case_train_ladder(x, "bootstrap_train", x->h->o.bootstrap_samples, 0, &boot, err);
  if (rung < 0) {
    if (rung == -1) cm_case_record_train(x, &boot, boot.at.num_envs);
    return rung == -1 ? 0 : rung;
  }
  long n = cm_case_ladder(x->h, x->c)->v[rung];
  cm_case_record_train(x, &boot, n);
  return cm_case_test_viz(x, &boot, n, err);
}

static int run_case(cm_case_run *x, void *user, cm_err *err) {
  (void)user;
  return x->c->trainable ? run_trainable(x, err) : run_bootstrap(x, err);
}

int cm_cmd_longcycle(int argc, char **argv) {
  cm_harness h;
  int status;
  if (cm_harness_open(&h, "longcycle", argc, argv, &status)) return status;
  if (cm_harness_run_cases(&h, run_case, NULL)) {
    cm_harness_close(&h);
    return 1;
  }
  return cm_harness_close(&h);
}
