/* Agent pieces against independent expectations: MimicKit's mini-batch arithmetic, the PPO and
 * AWR actor-loss gradients against finite differences, the action-bound loss by hand, what the
 * rollout records around episode ends (pre-reset next_obs, TD targets bootstrapping from it),
 * config errors, and checkpoint save -> load bit-exactness with clear errors for bad files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "toy_agent.h"
#include "core/fileio.h"
#include "core/rng.h"
#include "learn/gaussian.h"
#include "learn/trainer.h"

/* ---- a small env (toy_agent.h): 2-D points chasing targets, 5-step episodes ---- */
#define ADIM TOY_ADIM

static cm_rl_env make_env(toy *e, int n) {
  toy_cfg c = {.n = n, .ep_len = 5, .seed = 3, .lo = {-1.f, -2.f}, .hi = {1.f, 1.5f}};
  return toy_env(e, &c);
}

static const char *yaml(const char *name, const char *opt, const char *lr, int steps, int batch, int epochs,
                        const char *norm_samples) {
  toy_yaml y = {.name = name, .optimizer = opt, .lr = lr, .norm_samples = norm_samples, .entropy_weight = "0.0",
                .reg_weight = "0.0", .steps = steps, .batch = batch, .epochs = epochs, .iters_per_output = 2};
  return toy_agent_yaml(&y);
}

static cm_agent *make_agent(const char *text, cm_rl_env *env, uint64_t seed, cm_err *err) {
  return toy_make_agent(text, env, cm_dev_cpu(), seed, err);
}

/* ---- the actor learns only from rows whose action was sampled (exp_prob < 1) ---- */

/* Buffer rows by hand: obs, action, old log-prob, advantage, target, sampled-or-mean mask. */
static void fill_row(cm_exp_buffer *b, int row, int src, float mask) {
  cm_rng r = cm_rng_make(9, (uint32_t)src, 0, 4);
  for (int j = 0; j < ADIM; j++) {
    b->obs[row * ADIM + j] = 2.f * cm_rng_uniform(&r) - 1.f;
    b->action[row * ADIM + j] = 1.6f * cm_rng_uniform(&r) - 0.8f;
  }
  b->a_logp[row] = -1.f - 0.1f * (float)src;
  b->adv[row] = 0.5f * ((float)src - 3.5f);
  b->tar_val[row] = 0.1f * (float)src;
  b->rand_mask[row] = mask;
}

static void mark_full(cm_exp_buffer *b) {
  cm_exp_reset(b);
  for (int t = 0; t < b->steps; t++) cm_exp_inc(b);
}

static double max_actor_diff(const cm_agent *a, const cm_agent *b) {
  double d = 0;
  for (int i = 0; i < a->actor.num_linear; i++)
    for (size_t k = 0; k < a->actor.w[i].n; k++) d = fmax(d, fabs(a->actor.w[i].data[k] - b->actor.w[i].data[k]));
  return d;
}

static void test_masked_actor_rows(void) {
  cm_err err;
  toy ea, eb, ec;
  cm_rl_env va = make_env(&ea, 4), vb = make_env(&eb, 4), vc = make_env(&ec, 4);
  /* A: 8 rows, half sampled; B: only those 4 rows; C: untouched. One mini-batch of all rows each. */
  cm_agent *a = make_agent(yaml("PPO", "SGD", "0.05", 2, 2, 1, "1e9"), &va, 5, &err);
  cm_agent *b = make_agent(yaml("PPO", "SGD", "0.05", 1, 1, 1, "1e9"), &vb, 5, &err);
  cm_agent *c = make_agent(yaml("PPO", "SGD", "0.05", 1, 1, 1, "1e9"), &vc, 5, &err);
  CHECK(a && b && c);
  if (!a || !b || !c) return;
  CHECK(max_actor_diff(a, b) == 0.0); /* same seed, same initial weights */
  for (int r = 0; r < 8; r++) fill_row(&a->buf, r, r, (float)(r % 2));
  for (int r = 0; r < 4; r++) fill_row(&b->buf, r, 2 * r + 1, 1.f);
  mark_full(&a->buf);
  mark_full(&b->buf);
  cm_stats sa, sb;
  cm_stats_clear(&sa);
  cm_stats_clear(&sb);
  CHECK_OK(cm_agent_update_model(a, &sa, &err), &err);
  CHECK_OK(cm_agent_update_model(b, &sb, &err), &err);
  CHECK(max_actor_diff(a, c) > 1e-4);  /* the actor did move */
  CHECK(max_actor_diff(a, b) < 1e-6);  /* and exactly as from the sampled rows alone */
  CHECK_NEAR(cm_stats_get(&sa, "Actor_Loss", 0), cm_stats_get(&sb, "Actor_Loss", 1), 1e-6);

  /* no sampled row at all: the actor keeps its weights, the critic still learns */
  for (int r = 0; r < 4; r++) fill_row(&c->buf, r, r, 0.f);
  mark_full(&c->buf);
  float crit0 = c->critic.w[0].data[0];
  cm_agent *fresh = make_agent(yaml("PPO", "SGD", "0.05", 1, 1, 1, "1e9"), &vb, 5, &err);
  CHECK_OK(cm_agent_update_model(c, &sa, &err), &err);
  CHECK(fresh && max_actor_diff(c, fresh) == 0.0);
  CHECK(c->critic.w[0].data[0] != crit0 || c->critic.w[1].data[0] != fresh->critic.w[1].data[0]);
  cm_agent_destroy(fresh);
  cm_agent_destroy(a);
  cm_agent_destroy(b);
  cm_agent_destroy(c);
}

/* ---- mini-batch arithmetic ---- */
static void test_minibatches(void) {
  /* MimicKit: batch = batch_size * num_envs samples, ceil(num_samples / batch) per epoch */
  CHECK(cm_minibatch_size(4, 4096) == 16384);
  CHECK(cm_minibatch_count(32 * 4096, 4, 4096) == 8);   /* the humanoid PPO yaml: 8 per epoch, 40 steps */
  CHECK(cm_minibatch_count(30, 4, 3) == 3);             /* 10 steps x 3 envs, 12-sample batches */
  CHECK(cm_minibatch_count(10 * 3, 3, 3) == 4);         /* uneven: ceil(30 / 9) */

  toy e;
  cm_rl_env env = make_env(&e, 3);
  cm_err err = {{0}};
  cm_agent *a = make_agent(yaml("PPO", "SGD", "1e-30", 10, 4, 3, "0"), &env, 1, &err);
  CHECK(a != NULL);
  if (!a) {
    fprintf(stderr, "%s\n", err.msg);
    return;
  }
  cm_train_opts opts = {.max_samples = 30};
  CHECK_OK(cm_train(a, &opts, &err), &err);
  /* one iteration: 3 epochs x 3 mini-batches of 12 */
  CHECK(a->sample_count == 30);
  CHECK(a->iter == 1);
  CHECK(a->optim.steps == 9);
  CHECK(a->ws_rows >= 12);

  /* the first capacity indices of a fresh permutation cover every sample once; requests that
   * run past the end continue in a new permutation */
  cm_exp_reset(&a->buf);
  int idx[30], seen[30] = {0};
  cm_exp_sample_idx(&a->buf, 12, idx);
  cm_exp_sample_idx(&a->buf, 12, idx + 12);
  cm_exp_sample_idx(&a->buf, 6, idx + 24);
  for (int k = 0; k < 30; k++) seen[idx[k]]++;
  int all_once = 1;
  for (int k = 0; k < 30; k++) all_once &= seen[k] == 1;
  CHECK(all_once);
  int more[12];
  cm_exp_sample_idx(&a->buf, 12, more);
  for (int k = 0; k < 12; k++) CHECK(more[k] >= 0 && more[k] < 30);

  /* SGD with lr 1e-30 leaves the policy as it was sampled: every ratio is exactly 1 */
  cm_stats info;
  cm_stats_clear(&info);
  CHECK_OK(cm_agent_train_iter(a, &info, &err), &err);
  CHECK_NEAR(cm_stats_get(&info, "Imp_Ratio", -1), 1.0, 1e-6);
  CHECK(cm_stats_get(&info, "Clip_Frac", -1) == 0.0);
  CHECK(cm_stats_get(&info, "Critic_Loss", -1) > 0.0);
  CHECK(cm_stats_get(&info, "Action_Bound_Loss", -1) >= 0.0);
  const char *order[] = {"Loss", "Critic_Loss", "Actor_Loss", "Clip_Frac", "Imp_Ratio", "Action_Bound_Loss",
                         "Adv_Mean", "Adv_Std"};
  CHECK(info.count == 8);
  for (int k = 0; k < 8 && k < info.count; k++) CHECK(!strcmp(info.keys[k], order[k]));
  cm_agent_destroy(a);
}

/* ---- episode ends: pre-reset next_obs, TD targets bootstrap from it ---- */
static void test_done_bootstrap(void) {
  toy e;
  cm_rl_env env = make_env(&e, 4);
  cm_err err = {{0}};
  /* lr 1e-30 and a frozen normalizer: the critic after the update is the one that built the targets */
  cm_agent *a = make_agent(yaml("PPO", "SGD", "1e-30", 12, 4, 1, "0"), &env, 2, &err);
  CHECK(a != NULL);
  if (!a) return;
  CHECK_OK(cm_agent_reset_envs(a, &err), &err);
  cm_stats info;
  cm_stats_clear(&info);
  CHECK_OK(cm_agent_train_iter(a, &info, &err), &err);
  cm_exp_buffer *b = &a->buf;
  int N = 4, T = 12, dones = 0, cont_ok = 1, differ = 1, tar_ok = 1;
  float v[1];
  for (int t = 0; t < T; t++)
    for (int i = 0; i < N; i++) {
      int s = t * N + i;
      if (b->done[s]) {
        dones++;
        CHECK(b->done[s] == 3);
        /* the recorded next_obs is the ended episode's last obs, not the new episode's first */
        if (t + 1 < T && memcmp(b->next_obs + s * ADIM, b->obs + (s + N) * ADIM, ADIM * sizeof(float)) == 0)
          differ = 0;
        /* lambda is cut: target = r + gamma V(terminal obs) */
        CHECK_OK(cm_agent_eval_critic(a, b->next_obs + s * ADIM, 1, v, &err), &err);
        if (fabsf(b->tar_val[s] - (b->reward[s] + 0.9f * v[0])) > 1e-5f) tar_ok = 0;
      } else if (t + 1 < T && memcmp(b->next_obs + s * ADIM, b->obs + (s + N) * ADIM, ADIM * sizeof(float))) {
        cont_ok = 0;
      }
    }
  CHECK(dones == N * 2); /* 12 steps, episodes of 5: two ends per env */
  CHECK(differ);
  CHECK(cont_ok);
  CHECK(tar_ok);
  /* the last step bootstraps from its own next value */
  int last = (T - 1) * N;
  CHECK_OK(cm_agent_eval_critic(a, b->next_obs + last * ADIM, 1, v, &err), &err);
  if (!b->done[last]) CHECK_NEAR(b->tar_val[last], b->reward[last] + 0.9f * v[0], 1e-5);
  cm_agent_destroy(a);
}

/* ---- actor losses vs finite differences ---- */
static double loss_at(cm_agent *a, int m, const float *mean, const float *x, const float *old, const float *adv,
                      float *dmean) {
  cm_stats st;
  cm_stats_clear(&st);
  cm_err err = {{0}};
  double l = cm_agent_actor_loss(a, m, mean, x, old, adv, dmean, &st, &err);
  CHECK(err.msg[0] == '\0');
  return l;
}

static void check_actor_grad(const char *name) {
  toy e;
  cm_rl_env env = make_env(&e, 2);
  cm_err err = {{0}};
  cm_agent *a = make_agent(yaml(name, "Adam", "1e-3", 4, 1, 1, "1000"), &env, 3, &err);
  CHECK(a != NULL);
  if (!a) return;
  enum { M = 6 };
  float mean[M * ADIM], x[M * ADIM], old[M], adv[M], dmean[M * ADIM], scratch[M * ADIM];
  cm_rng r = cm_rng_make(11, 0, 0, 0);
  for (int k = 0; k < M * ADIM; k++) {
    mean[k] = 0.6f * cm_rng_normal(&r);
    x[k] = mean[k] + 0.3f * cm_rng_normal(&r);
  }
  /* old log-probs set so the ratios are 0.5, 0.95, 1.1, 1.5 ... (inside and outside the clip
   * range), advantages of both signs */
  const float ratios[M] = {0.5f, 0.95f, 1.1f, 1.5f, 0.7f, 1.35f};
  const float advs[M] = {1.2f, -0.7f, 0.4f, 0.9f, -1.1f, -0.5f};
  for (int i = 0; i < M; i++) {
    old[i] = cm_gauss_log_prob_row(ADIM, mean + i * ADIM, a->logstd.data, x + i * ADIM) - logf(ratios[i]);
    adv[i] = advs[i];
  }
  memset(dmean, 0, sizeof dmean);
  double l0 = loss_at(a, M, mean, x, old, adv, dmean);
  CHECK(isfinite(l0));
  double max_err = 0;
  for (int k = 0; k < M * ADIM; k++) {
    const float h = 1e-3f;
    float saved = mean[k];
    mean[k] = saved + h;
    double lp = loss_at(a, M, mean, x, old, adv, scratch);
    mean[k] = saved - h;
    double lm = loss_at(a, M, mean, x, old, adv, scratch);
    mean[k] = saved;
    double fd = (lp - lm) / (2.0 * h);
    double e_k = fabs(fd - dmean[k]) / fmax(1.0, fabs(fd));
    if (e_k > max_err) max_err = e_k;
  }
  printf("%s actor loss %.5f, max grad error vs finite differences %.2e\n", name, l0, max_err);
  CHECK(max_err < 2e-3);
  if (!strcmp(name, "PPO")) {
    /* clipped terms where adv r exceeds adv clip(r) contribute no gradient: ratio 0.5 with
     * adv > 0 is not clipped (0.5 adv < 0.8 adv); ratio 1.5 with adv > 0 is (1.2 adv < 1.5 adv) */
    CHECK(dmean[3 * ADIM] == 0.f && dmean[3 * ADIM + 1] == 0.f);
    CHECK(dmean[0] != 0.f);
    /* the loss by hand */
    double want = 0;
    for (int i = 0; i < M; i++) {
      float rc = fminf(fmaxf(ratios[i], 0.8f), 1.2f);
      want += fmin(advs[i] * ratios[i], advs[i] * rc);
    }
    CHECK_NEAR(l0, -want / M, 1e-5);
  }
  cm_agent_destroy(a);
}

static void test_bound_loss(void) {
  const float mu[4] = {-1.5f, 0.3f, 2.0f, -1.0f};
  float d[4] = {0};
  double l = cm_action_bound_loss_row(4, mu, 0.5f, d);
  CHECK_NEAR(l, 0.25 + 1.0, 1e-7); /* (-1.5 + 1)^2 + (2 - 1)^2 */
  CHECK_NEAR(d[0], 0.5 * 2 * -0.5, 1e-7);
  CHECK(d[1] == 0.f && d[3] == 0.f);
  CHECK_NEAR(d[2], 0.5 * 2 * 1.0, 1e-7);
}

/* ---- configuration errors ---- */
static void test_config_errors(void) {
  toy e;
  cm_rl_env env = make_env(&e, 2);
  cm_err err = {{0}};
  char text[2048];
  snprintf(text, sizeof text, "%s", yaml("PPO", "SGD", "1e-4", 4, 1, 1, "10"));
  char *p = strstr(text, "PPO");
  memcpy(p, "PPX", 3);
  CHECK(make_agent(text, &env, 0, &err) == NULL);
  CHECK(strstr(err.msg, "unknown agent 'PPX'") && strstr(err.msg, "PPO, AWR") && strstr(err.msg, "agent.yaml:1"));

  snprintf(text, sizeof text, "%s", yaml("PPO", "SGD", "1e-4", 4, 1, 1, "10"));
  p = strstr(text, "td_lambda");
  memcpy(p, "td_lamdba", 9);
  CHECK(make_agent(text, &env, 0, &err) == NULL);
  CHECK(strstr(err.msg, "td_lamdba") && strstr(err.msg, "td_lambda"));

  /* AWR keys in a PPO file are typos too */
  snprintf(text, sizeof text, "%sawr_temp: 1.0\n", yaml("PPO", "SGD", "1e-4", 4, 1, 1, "10"));
  CHECK(make_agent(text, &env, 0, &err) == NULL);
  CHECK(strstr(err.msg, "awr_temp") != NULL);

  snprintf(text, sizeof text, "%s", yaml("AWR", "SGD", "0", 4, 1, 1, "10"));
  CHECK(make_agent(text, &env, 0, &err) == NULL);
  CHECK(strstr(err.msg, "agent.yaml:10: key 'learning_rate'") != NULL);

  snprintf(text, sizeof text, "%s", yaml("AWR", "RMSprop", "1e-4", 4, 1, 1, "10"));
  CHECK(make_agent(text, &env, 0, &err) == NULL);
  CHECK(strstr(err.msg, "RMSprop") != NULL);
}

/* ---- checkpoints ---- */
static int sd_equal(const cm_state_dict *x, const cm_state_dict *y) {
  if (x->count != y->count) return 0;
  for (int i = 0; i < x->count; i++) {
    const cm_sd_entry *a = &x->entries[i], *b = &y->entries[i];
    if (strcmp(a->name, b->name) || a->ndim != b->ndim) return 0;
    for (int d = 0; d < a->ndim; d++)
      if (a->shape[d] != b->shape[d]) return 0;
    if (memcmp(a->data, b->data, cm_sd_numel(a) * sizeof(float))) return 0;
  }
  return 1;
}

/* writes sd without entry `drop`, or with `reshape` given a different shape */
static int write_variant(const cm_state_dict *sd, const char *path, const char *drop, const char *reshape,
                         cm_err *err) {
  cm_state_dict out;
  cm_sd_init(&out);
  int rc = 0;
  for (int i = 0; i < sd->count && !rc; i++) {
    const cm_sd_entry *e = &sd->entries[i];
    if (drop && !strcmp(e->name, drop)) continue;
    if (reshape && !strcmp(e->name, reshape)) {
      int64_t sh[1] = {(int64_t)cm_sd_numel(e)};
      rc = cm_sd_add(&out, e->name, 1, sh, e->data, err);
    } else {
      rc = cm_sd_add(&out, e->name, e->ndim, e->shape, e->data, err);
    }
  }
  if (!rc) rc = cm_torch_save(path, &out, err);
  cm_sd_free(&out);
  return rc;
}

static void test_checkpoint(void) {
  toy e1, e2;
  cm_rl_env env1 = make_env(&e1, 4), env2 = make_env(&e2, 4);
  cm_err err = {{0}};
  const char *y = yaml("PPO", "Adam", "1e-3", 8, 2, 2, "1000");
  cm_agent *a = make_agent(y, &env1, 7, &err), *b = make_agent(y, &env2, 8, &err);
  CHECK(a && b);
  if (!a || !b) return;
  cm_train_opts opts = {.max_samples = 3 * 8 * 4};
  CHECK_OK(cm_train(a, &opts, &err), &err);
  char dir[] = "/tmp/cm_agent_ckptXXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[256], path2[256], bad[256];
  snprintf(path, sizeof path, "%s/model.pt", dir);
  snprintf(path2, sizeof path2, "%s/model2.pt", dir);
  snprintf(bad, sizeof bad, "%s/bad.pt", dir);

  CHECK_OK(cm_agent_save(a, path, 1, &err), &err);
  CHECK_OK(cm_agent_load(b, path, &err), &err);
  cm_state_dict sa, sb;
  cm_sd_init(&sa);
  cm_sd_init(&sb);
  CHECK_OK(cm_agent_state_dict(a, 1, &sa, &err), &err);
  CHECK_OK(cm_agent_state_dict(b, 1, &sb, &err), &err);
  CHECK(sd_equal(&sa, &sb));
  CHECK(b->iter == a->iter && b->sample_count == a->sample_count && b->optim.steps == a->optim.steps);
  CHECK(b->obs_norm.count == a->obs_norm.count && b->obs_norm.count > 0);
  /* the written files are byte-identical */
  CHECK_OK(cm_agent_save(b, path2, 1, &err), &err);
  char *f1 = NULL, *f2 = NULL;
  size_t n1 = 0, n2 = 0;
  CHECK_OK(cm_read_file(path, &f1, &n1, &err), &err);
  CHECK_OK(cm_read_file(path2, &f2, &n2, &err), &err);
  CHECK(f1 && f2 && n1 == n2 && memcmp(f1, f2, n1) == 0);
  free(f1);
  free(f2);

  /* model-only file: MimicKit's names and order, no train state */
  cm_state_dict sm;
  cm_sd_init(&sm);
  CHECK_OK(cm_agent_state_dict(a, 0, &sm, &err), &err);
  const char *first[] = {"_obs_norm._count", "_obs_norm._mean", "_obs_norm._std", "_a_norm._count", "_a_norm._mean",
                         "_a_norm._std", "_model._actor_layers.0.weight", "_model._actor_layers.0.bias",
                         "_model._actor_layers.2.weight", "_model._actor_layers.2.bias",
                         "_model._action_dist._logstd_net", "_model._action_dist._mean_net.weight",
                         "_model._action_dist._mean_net.bias", "_model._critic_layers.0.weight",
                         "_model._critic_layers.0.bias", "_model._critic_layers.2.weight",
                         "_model._critic_layers.2.bias", "_model._critic_out.weight", "_model._critic_out.bias"};
  CHECK(sm.count == 19);
  for (int i = 0; i < 19 && i < sm.count; i++) CHECK(!strcmp(sm.entries[i].name, first[i]));
  /* a_norm holds the bounds: mean (hi+lo)/2, std (hi-lo)/2 */
  const cm_sd_entry *am = cm_sd_find(&sm, "_a_norm._mean"), *as = cm_sd_find(&sm, "_a_norm._std");
  CHECK(am && as && am->data[1] == 0.5f * (e1.c.hi[1] + e1.c.lo[1]) && as->data[1] == 0.5f * (e1.c.hi[1] - e1.c.lo[1]));

  /* broken files name the tensor and the file */
  CHECK_OK(write_variant(&sm, bad, "_model._critic_layers.2.weight", NULL, &err), &err);
  CHECK(cm_agent_load(b, bad, &err) != 0);
  CHECK(strstr(err.msg, "missing tensor '_model._critic_layers.2.weight'") && strstr(err.msg, bad));
  CHECK_OK(write_variant(&sm, bad, NULL, "_model._actor_layers.0.weight", &err), &err);
  CHECK(cm_agent_load(b, bad, &err) != 0);
  CHECK(strstr(err.msg, "'_model._actor_layers.0.weight' has shape [256], expected [128, 2]") && strstr(err.msg, bad));
  printf("checkpoint error: %s\n", err.msg);
  /* train state is all or nothing */
  CHECK_OK(write_variant(&sa, bad, "_train.rng_step", NULL, &err), &err);
  CHECK(cm_agent_load(b, bad, &err) != 0);
  CHECK(strstr(err.msg, "_train.rng_step") != NULL);

  cm_sd_free(&sa);
  cm_sd_free(&sb);
  cm_sd_free(&sm);
  unlink(path);
  unlink(path2);
  unlink(bad);
  rmdir(dir);
  cm_agent_destroy(a);
  cm_agent_destroy(b);
}

/* ---- the iteration's stats: slots survive the array's growth; the rollout's guards are checked
 * in the order taken and the first non-finite one is named ---- */
static void test_iteration_stats(void) {
  toy e;
  cm_rl_env env = make_env(&e, 3);
  cm_err err = {{0}};
  cm_agent *a = make_agent(yaml("PPO", "SGD", "0.05", 2, 2, 1, "1e9"), &env, 5, &err);
  CHECK(a != NULL);
  if (!a) return;
  cm_agent_its_reset(a);
  size_t s0, s1, big;
  CHECK_OK(cm_agent_its_take(a, 2, &s0, &err), &err);
  CHECK(s0 == 0 && cm_agent_its_at(a, s0)[0] == 0.0 && cm_agent_its_at(a, s0)[1] == 0.0);
  cm_agent_its_at(a, s0)[1] = 7.5;
  const double *h = cm_agent_its_read(a);
  CHECK(h[1] == 7.5);
  CHECK_OK(cm_agent_its_take(a, 100000, &big, &err), &err); /* grows: the slots so far kept */
  CHECK_OK(cm_agent_its_take(a, 1, &s1, &err), &err);
  CHECK(big == 2 && s1 == 100002 && a->its_cap >= 100003);
  CHECK(cm_agent_its_at(a, s0)[1] == 7.5 && cm_agent_its_at(a, big)[99999] == 0.0);
  cm_agent_its_at(a, s1)[0] = -1.0;
  h = cm_agent_its_read(a);
  CHECK(h[1] == 7.5 && h[s1] == -1.0);
  cm_agent_its_reset(a); /* zeroed again */
  CHECK_OK(cm_agent_its_take(a, 2, &s0, &err), &err);
  CHECK(s0 == 0 && cm_agent_its_read(a)[1] == 0.0);

  /* guards: rows of 3 envs x 2; the second and third hold a NaN and an infinity */
  float ok_rows[6] = {1, 2, 3, 4, 5, 6}, nan_rows[6] = {1, 2, 3, NAN, 5, 6}, inf_rows[6] = {INFINITY, 0, 0, 0, 0, 0};
  cm_agent_its_reset(a);
  CHECK_OK(cm_agent_guard_rows(a, ok_rows, 3, 2, 0, "first rows", "the test made them", NULL, &err), &err);
  CHECK_OK(cm_agent_guard_rows(a, nan_rows, 3, 2, 4, "second rows", "the test made them", NULL, &err), &err);
  CHECK_OK(cm_agent_guard_rows(a, inf_rows, 3, 2, 5, "third rows", "the test made them", NULL, &err), &err);
  CHECK(a->guard_n == 3);
  CHECK(cm_agent_check_rollout(a, &err) != 0);
  CHECK(strstr(err.msg, "NaN guard: element 1 of the second rows of env 1 is nan at step 4") != NULL);
  CHECK(strstr(err.msg, "(the test made them)") != NULL);
  /* all finite: the rollout check passes and the guards are done with */
  cm_agent_its_reset(a);
  CHECK_OK(cm_agent_guard_rows(a, ok_rows, 3, 2, 0, "first rows", "the test made them", NULL, &err), &err);
  CHECK_OK(cm_agent_check_rollout(a, &err), &err);
  CHECK(a->guard_n == 0);
  cm_agent_destroy(a);
}

int main(void) {
  test_iteration_stats();
  test_minibatches();
  test_done_bootstrap();
  check_actor_grad("PPO");
  check_actor_grad("AWR");
  test_bound_loss();
  test_masked_actor_rows();
  test_config_errors();
  test_checkpoint();
  return check_report("test_agent_units");
}
