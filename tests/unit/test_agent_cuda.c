/* The agent with its networks on the GPU against the same agent on the CPU: every place where
 * the host reads a device result (the rollout's actor means and log-std, the critic's values,
 * a mini-batch's predictions and means, the losses, the saved parameters) goes through
 * cm_dev_read / download, since the GPU's buffers are plain device memory; the experience
 * buffer, the returns and advantages, the mini-batch gathers and the loss rows run on the
 * device. PPO and AWR, every action sampled and some the mean (exp_prob 0.6), fp32 products
 * (TF32 off), a toy env whose dynamics are the same on both sides.
 * Without CUDA (or without a GPU) it prints "SKIP" and passes: bench/ops_cuda_check.sh runs it
 * on a GPU machine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "toy_agent.h"
#include "core/rng.h"
#include "learn/dev_cuda.h"
#include "learn/trainer.h"

#define N 16
#define ACT TOY_ADIM

/* toy_agent.h's env: points chasing targets, the time left observed, 7-step episodes */
static cm_rl_env make_env(toy *e) {
  toy_cfg c = {.n = N, .ep_len = 7, .time_obs = 1, .rewind = 1, .seed = 5, .lo = {-1.f, -1.f}, .hi = {1.f, 1.f}};
  return toy_env(e, &c);
}

static cm_agent *make_agent(const char *name, cm_rl_env *env, const cm_dev *dev) {
  cm_err err;
  toy_yaml y = {.name = name, .optimizer = "SGD", .lr = "1e-3", .norm_samples = "1000", .entropy_weight = "0.01",
                .reg_weight = "0.01", .steps = 8, .batch = 2, .epochs = 2, .iters_per_output = 10};
  cm_agent *a = toy_make_agent(toy_agent_yaml(&y), env, dev, 11, &err);
  if (!a) fprintf(stderr, "agent on %s: %s\n", dev->ops->name, err.msg);
  return a;
}

/* max |g - c| / (atol + rtol |c|) over n entries; <= 1 passes */
static double excess(const float *c, const float *g, size_t n, double atol, double rtol) {
  double w = 0;
  for (size_t i = 0; i < n; i++) {
    double e = fabs((double)g[i] - c[i]) / (atol + rtol * fabs(c[i]));
    if (!(e <= w)) w = e; /* NaN counts as a failure */
  }
  return w;
}

static void expect_close(const char *what, const float *c, const float *g, size_t n, double atol, double rtol) {
  double w = excess(c, g, n, atol, rtol);
  check_count++;
  if (!(w <= 1)) {
    check_failures++;
    fprintf(stderr, "%s: gpu differs from cpu by %.3g of the tolerance (atol %.2g rtol %.2g)\n", what, w, atol, rtol);
  }
}

/* Every parameter of a's model against b's (both downloaded). */
static void compare_params(const char *what, cm_agent *c, cm_agent *g) {
  cm_state_dict sc, sg;
  cm_err err;
  cm_sd_init(&sc);
  cm_sd_init(&sg);
  CHECK_OK(cm_agent_state_dict(c, 0, &sc, &err), &err);
  CHECK_OK(cm_agent_state_dict(g, 0, &sg, &err), &err);
  CHECK(sc.count == sg.count && sc.count > 0);
  for (int i = 0; i < sc.count && i < sg.count; i++) {
    const cm_sd_entry *ec = &sc.entries[i], *eg = cm_sd_find(&sg, ec->name);
    CHECK(eg != NULL);
    if (!eg || !ec->data) continue;
    char label[256];
    snprintf(label, sizeof label, "%s: %s", what, ec->name);
    expect_close(label, ec->data, eg->data, cm_sd_numel(ec), 1e-5, 1e-4);
  }
  cm_sd_free(&sc);
  cm_sd_free(&sg);
}

/* exp_prob < 1: some actions are the mean, and only the sampled rows enter the actor's loss */
static void check_agent(const cm_dev *gpu, const char *name, double exp_prob) {
  cm_err err;
  toy tc, tg;
  cm_rl_env ec = make_env(&tc), eg = make_env(&tg);
  cm_agent *c = make_agent(name, &ec, cm_dev_cpu()), *g = make_agent(name, &eg, gpu);
  CHECK(c && g);
  if (!c || !g) goto done;
  compare_params("initial model", c, g);
  c->cfg.exp_prob_beg = g->cfg.exp_prob_beg = exp_prob; /* the same mask draws on both (counter-based) */

  /* the rollout's reads: actor means, log-std, sampled actions and their log-probs */
  CHECK_OK(cm_agent_reset_envs(c, &err), &err);
  CHECK_OK(cm_agent_reset_envs(g, &err), &err);
  CHECK_OK(cm_agent_decide_action(c, &err), &err);
  CHECK_OK(cm_agent_decide_action(g, &err), &err);
  cm_agent_policy_to_host(c); /* a no-op on the CPU */
  cm_agent_policy_to_host(g); /* the rollout's arrays are device arrays on the GPU */
  expect_close("actions", c->action, g->action, (size_t)N * ACT, 1e-5, 1e-4);
  expect_close("log-probs", c->logp, g->logp, N, 1e-4, 1e-4);
  float logstd_c[ACT], logstd_g[ACT];
  memcpy(logstd_c, cm_agent_logstd(c), sizeof logstd_c);
  memcpy(logstd_g, cm_agent_logstd(g), sizeof logstd_g);
  CHECK(memcmp(logstd_c, logstd_g, sizeof logstd_c) == 0);
  CHECK_NEAR(logstd_g[0], logf(0.3f), 1e-6);

  /* critic values of the same rows */
  float vc[N], vg[N];
  CHECK_OK(cm_agent_eval_critic(c, c->obs, N, vc, &err), &err);
  CHECK_OK(cm_agent_eval_critic(g, c->obs, N, vg, &err), &err);
  expect_close("critic values", vc, vg, N, 1e-5, 1e-4);

  /* training iterations: the mini-batch's predictions and means, the losses, the updated model */
  CHECK_OK(cm_agent_reset_envs(c, &err), &err);
  CHECK_OK(cm_agent_reset_envs(g, &err), &err);
  for (int it = 0; it < 3; it++) {
    cm_stats sc, sg;
    cm_stats_clear(&sc);
    cm_stats_clear(&sg);
    CHECK_OK(cm_agent_train_iter(c, &sc, &err), &err);
    CHECK_OK(cm_agent_train_iter(g, &sg, &err), &err);
    c->sample_count = c->buf.total_samples;
    g->sample_count = g->buf.total_samples;
    const char *keys[] = {"Loss", "Critic_Loss", "Actor_Loss", "Action_Bound_Loss", "Action_Reg_Loss"};
    for (int k = 0; k < 5; k++) {
      double lc = cm_stats_get(&sc, keys[k], NAN), lg = cm_stats_get(&sg, keys[k], NAN);
      CHECK(isfinite(lc));
      CHECK_NEAR(lg, lc, 1e-6 + 1e-3 * fabs(lc));
    }
    /* the train data's and the surrogate's statistics where the method logs them */
    const char *more[] = {"Clip_Frac", "Imp_Ratio", "Adv_Mean", "Adv_Std", "A_Weight_Mean", "A_Weight_Min",
                          "A_Weight_Max"};
    for (int k = 0; k < 7; k++) {
      double lc = cm_stats_get(&sc, more[k], NAN), lg = cm_stats_get(&sg, more[k], NAN);
      CHECK(isnan(lc) == isnan(lg));
      if (!isnan(lc)) CHECK_NEAR(lg, lc, 1e-5 + 1e-3 * fabs(lc));
    }
    char what[64];
    snprintf(what, sizeof what, "%s after iteration %d", name, it);
    compare_params(what, c, g);
  }
  CHECK_OK(cm_dev_cuda_check(&err), &err);
done:
  cm_agent_destroy(c);
  cm_agent_destroy(g);
}

int main(void) {
  cm_err err;
  const cm_dev *gpu = cm_dev_cuda(0, &err);
  if (!gpu) {
    printf("SKIP: no CUDA device (%s)\n", err.msg);
    return check_report("test_agent_cuda");
  }
  cm_dev_cuda_set_tf32(0); /* fp32 products: the tolerances are fp32 ones */
  check_agent(gpu, "PPO", 1.0);
  check_agent(gpu, "AWR", 1.0);
  check_agent(gpu, "PPO", 0.6);
  check_agent(gpu, "AWR", 0.6);
  return check_report("test_agent_cuda");
}
