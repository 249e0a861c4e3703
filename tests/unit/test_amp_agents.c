/* AMP, ASE and ADD through the full agent + trainer path on a toy env with a known answer.
 *
 * Style env: every env acts once per step with a 1-D action a in [-1, 1]; the observation is a
 * constant, the task reward 0, and the discriminator observation is a itself. Demo
 * observations are draws from N(TARGET, STD^2), STD being the policy's own fixed action std,
 * so the only policy whose actions look like the demos is the one with mean TARGET: AMP must
 * move the mean from ~0 to TARGET from the style reward alone. ADD's reference observation is
 * TARGET at every step (the difference the discriminator sees is TARGET - a), with the same
 * answer. Also: each agent's model.pt names (MimicKit's) and save -> load round trips, the NaN
 * guard's one line, and config errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "core/rng.h"
#include "learn/amp.h"
#include "learn/ase_rows.h"
#include "learn/trainer.h"

#define NENV 32
#define EP_LEN 8
#define TARGET 0.5f
#define STD 0.1f

typedef struct style_env {
  int n, t[NENV];
  float lo[1], hi[1];
  float disc[NENV], demo_ref[NENV];
  uint64_t fetches;
  int64_t steps, nan_after; /* NaN disc obs from this step on (< 0: never) */
  float task_reward;        /* every step's task reward */
} style_env;

static int se_reset(void *ctx, float *obs, cm_err *err) {
  (void)err;
  style_env *e = ctx;
  for (int i = 0; i < e->n; i++) {
    e->t[i] = 0;
    obs[i] = 0.25f;
  }
  return 0;
}

static int se_step(void *ctx, const float *act, float *next_obs, float *obs, float *rew, uint8_t *done, cm_err *err) {
  (void)err;
  style_env *e = ctx;
  int bad = e->nan_after >= 0 && e->steps >= e->nan_after;
  for (int i = 0; i < e->n; i++) {
    float a = fminf(fmaxf(act[i], -1.f), 1.f);
    e->disc[i] = bad ? NAN : a;
    e->demo_ref[i] = TARGET;
    rew[i] = e->task_reward;
    next_obs[i] = obs[i] = 0.25f;
    done[i] = ++e->t[i] >= EP_LEN ? 3 : 0;
    if (done[i]) e->t[i] = 0;
  }
  e->steps++;
  return 0;
}

static int se_fetch(void *ctx, int n, float *out, cm_err *err) {
  (void)err;
  style_env *e = ctx;
  cm_rng r = cm_rng_make(99, 0, e->fetches++, 3);
  for (int i = 0; i < n; i++) out[i] = TARGET + STD * cm_rng_normal(&r);
  return 0;
}

static cm_rl_env make_env(style_env *e) {
  memset(e, 0, sizeof *e);
  e->n = NENV;
  e->lo[0] = -1.f;
  e->hi[0] = 1.f;
  e->nan_after = -1;
  cm_rl_env env = {.ctx = e, .num_envs = NENV, .obs_dim = 1, .act_dim = 1, .action_low = e->lo,
                   .action_high = e->hi, .control_dt = 1.f / 30.f, .reset = se_reset, .step = se_step,
                   .disc_obs_dim = 1, .disc_obs = e->disc, .disc_obs_demo = e->demo_ref,
                   .fetch_disc_obs_demo = se_fetch};
  return env;
}

static const char *yaml(const char *name, const char *lr, const char *grad_penalty) {
  static char buf[4096];
  const char *ase = !strcmp(name, "ASE") ? "  enc_net: fc_2layers_128units\n  latent_dim: 4\n" : "";
  const char *ase_top = !strcmp(name, "ASE") ? "latent_time_min: 0.0\nlatent_time_max: 0.2\ndiversity_weight: 0.01\n"
                                               "diversity_tar: 1.0\nenc_loss_weight: 5.0\nenc_reward_weight: 0.5\n"
                                             : "";
  snprintf(buf, sizeof buf,
           "agent_name: %s\nmodel:\n  actor_net: fc_2layers_128units\n  actor_init_output_scale: 0.01\n"
           "  actor_std_type: FIXED\n  action_std: %g\n  critic_net: fc_2layers_128units\n"
           "  disc_net: fc_2layers_128units\n%s"
           "optimizer:\n  type: Adam\n  learning_rate: %s\n"
           "discount: 0.5\nsteps_per_iter: 8\niters_per_output: 1000\ntest_episodes: 32\nnormalizer_samples: 1e9\n"
           "update_epochs: 2\nbatch_size: 4\ntd_lambda: 0.95\nppo_clip_ratio: 0.2\nnorm_adv_clip: 4.0\n"
           "action_bound_weight: 10.0\naction_entropy_weight: 0.0\naction_reg_weight: 0.0\ncritic_loss_weight: 1.0\n"
           "disc_buffer_size: 4096\ndisc_replay_samples: 64\ndisc_batch_size: 128\ndisc_loss_weight: 5\n"
           "disc_logit_reg: 0.01\ndisc_grad_penalty: %s\ndisc_weight_decay: 0.0001\ndisc_reward_scale: 2\n"
           "task_reward_weight: 0.0\ndisc_reward_weight: %s\n%s",
           name, (double)STD, ase, lr, grad_penalty, !strcmp(name, "ASE") ? "0.5" : "1.0", ase_top);
  return buf;
}

static cm_agent *make_agent(const char *text, cm_rl_env *env, uint64_t seed, cm_err *err) {
  cm_cfg *cfg = NULL;
  cm_agent *a = NULL;
  if (cm_cfg_parse("agent.yaml", text, &cfg, err) == 0) cm_agent_create(cfg, env, cm_dev_cpu(), seed, &a, err);
  cm_cfg_free(cfg);
  return a;
}

/* mean test-mode action over the envs */
static float policy_mean(cm_agent *a) {
  cm_err err = {{0}};
  cm_agent_set_mode(a, CM_RL_TEST);
  CHECK_OK(cm_agent_reset_envs(a, &err), &err);
  CHECK_OK(cm_agent_decide_action(a, &err), &err);
  double s = 0;
  for (int i = 0; i < a->num_envs; i++) s += a->action[i];
  return (float)(s / a->num_envs);
}

typedef struct last_cols {
  cm_stats cols;
  int rows;
  int64_t avg_from;         /* iterations from this one on are averaged */
  double action_sum, count; /* mean of the sampled actions over those iterations */
} last_cols;

static int keep_cols(cm_agent *a, const cm_iter_info *info, void *user, cm_err *err) {
  (void)err;
  last_cols *l = user;
  l->cols = info->cols;
  l->rows++;
  if (info->iter >= l->avg_from) {
    int n = cm_exp_capacity(&a->buf);
    for (int i = 0; i < n; i++) l->action_sum += a->buf.action[i];
    l->count += n;
  }
  return 0;
}

/* the style reward alone moves the policy's mean to the demos' */
static void test_converges(const char *name, int iters) {
  style_env e;
  cm_rl_env env = make_env(&e);
  cm_err err = {{0}};
  cm_agent *a = make_agent(yaml(name, "2e-3", "5"), &env, 1, &err);
  CHECK_OK(a ? 0 : -1, &err);
  if (!a) return;
  float m0 = policy_mean(a);
  CHECK(fabsf(m0) < 0.1f);
  /* the adversarial game circles its equilibrium: judge the policy by its mean action over the
   * last third of training, and the final policy more loosely */
  last_cols l = {.avg_from = 2 * iters / 3};
  cm_train_opts o = {.max_samples = (int64_t)iters * NENV * 8, .callback = keep_cols, .user = &l};
  CHECK_OK(cm_train(a, &o, &err), &err);
  float m1 = policy_mean(a);
  double avg = l.action_sum / l.count;
  printf("%s: policy mean %.3f -> %.3f (target %.2f) after %d iterations, %.3f over the last third; "
         "Disc_Agent_Acc %.3f, Disc_Neg_Acc %.3f, Disc_Reward_Mean %.3f\n",
         name, (double)m0, (double)m1, (double)TARGET, iters, avg, cm_stats_get(&l.cols, "Disc_Agent_Acc", -1),
         cm_stats_get(&l.cols, "Disc_Neg_Acc", -1), cm_stats_get(&l.cols, "Disc_Reward_Mean", -1));
  CHECK_NEAR(avg, TARGET, 0.05);
  CHECK_NEAR(m1, TARGET, 0.12);
  /* MimicKit's columns are in the table */
  const char *amp_cols[] = {"Disc_Loss", "Disc_Grad_Penalty", "Disc_Logit_Loss", "Disc_Reward_Mean", "Disc_Reward_Std",
                            "Adv_Mean", "Clip_Frac", NULL};
  const char *acc_cols[] = {"Disc_Agent_Acc", "Disc_Demo_Acc", "Disc_Agent_Logit", "Disc_Demo_Logit",
                            "Disc_Weight_Decay", NULL};
  const char *add_cols[] = {"Disc_Pos_Acc", "Disc_Neg_Acc", "Disc_Pos_Logit", "Disc_Neg_Logit", NULL};
  for (int i = 0; amp_cols[i]; i++) CHECK(isfinite(cm_stats_get(&l.cols, amp_cols[i], NAN)));
  const char *const *own = !strcmp(name, "ADD") ? add_cols : acc_cols;
  for (int i = 0; own[i]; i++) CHECK(isfinite(cm_stats_get(&l.cols, own[i], NAN)));
  cm_agent_destroy(a);
}

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

static const cm_sd_entry *entry(const cm_state_dict *sd, const char *name, int64_t s0, int64_t s1) {
  const cm_sd_entry *e = cm_sd_find(sd, name);
  if (!e) fprintf(stderr, "missing %s\n", name);
  if (e && (e->shape[0] != s0 || (e->ndim > 1 && e->shape[1] != s1))) {
    fprintf(stderr, "%s: shape [%lld, %lld]\n", name, (long long)e->shape[0], (long long)(e->ndim > 1 ? e->shape[1] : 0));
    return NULL;
  }
  return e;
}

/* model.pt names and shapes, and save -> load into a fresh agent gives the same state */
static void test_round_trip(const char *name) {
  style_env e1, e2;
  cm_rl_env v1 = make_env(&e1), v2 = make_env(&e2);
  cm_err err = {{0}};
  cm_agent *a = make_agent(yaml(name, "1e-3", "5"), &v1, 3, &err);
  CHECK_OK(a ? 0 : -1, &err);
  cm_agent *b = make_agent(yaml(name, "1e-3", "5"), &v2, 4, &err);
  CHECK_OK(b ? 0 : -1, &err);
  if (!a || !b) return;
  cm_train_opts o = {.max_samples = 2 * NENV * 8};
  CHECK_OK(cm_train(a, &o, &err), &err);
  char dir[] = "/tmp/cm_amp_rt_XXXXXX", path[128], model[128];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/resume.pt", dir);
  snprintf(model, sizeof model, "%s/model.pt", dir);
  CHECK_OK(cm_agent_save(a, path, 1, &err), &err);
  CHECK_OK(cm_agent_save(a, model, 0, &err), &err);
  CHECK_OK(cm_agent_load(b, path, &err), &err);
  cm_state_dict sa, sb, sm;
  cm_sd_init(&sa);
  cm_sd_init(&sb);
  cm_sd_init(&sm);
  CHECK_OK(cm_agent_state_dict(a, 1, &sa, &err), &err);
  CHECK_OK(cm_agent_state_dict(b, 1, &sb, &err), &err);
  CHECK(sd_equal(&sa, &sb));
  CHECK(b->iter == a->iter && b->sample_count == a->sample_count && b->optim.steps == a->optim.steps);
  CHECK_OK(cm_torch_load(model, &sm, &err), &err);
  int ase = !strcmp(name, "ASE"), in = 1 + (ase ? 4 : 0);
  CHECK(entry(&sm, "_model._actor_layers.0.weight", 128, in) != NULL);
  CHECK(entry(&sm, "_model._critic_layers.0.weight", 128, in) != NULL);
  CHECK(entry(&sm, "_model._disc_layers.0.weight", 128, 1) != NULL);
  CHECK(entry(&sm, "_model._disc_layers.2.bias", 64, 0) != NULL);
  CHECK(entry(&sm, "_model._disc_logits.weight", 1, 64) != NULL);
  CHECK(entry(&sm, "_model._disc_logits.bias", 1, 0) != NULL);
  CHECK(entry(&sm, "_disc_obs_norm._count", 1, 0) != NULL);
  if (!strcmp(name, "ADD")) {
    CHECK(entry(&sm, "_disc_obs_norm._mean_abs", 1, 0) != NULL);
    CHECK(cm_sd_find(&sm, "_disc_obs_norm._std") == NULL);
  } else {
    CHECK(entry(&sm, "_disc_obs_norm._mean", 1, 0) != NULL && entry(&sm, "_disc_obs_norm._std", 1, 0) != NULL);
    /* the normalizer saw agent and demo rows: its mean lies between theirs */
    const cm_sd_entry *m = cm_sd_find(&sm, "_disc_obs_norm._mean");
    CHECK(m && m->data[0] > 0.05f && m->data[0] < TARGET);
  }
  if (ase) {
    CHECK(entry(&sm, "_model._enc_layers.0.weight", 128, 1) != NULL);
    CHECK(entry(&sm, "_model._enc_out.weight", 4, 64) != NULL);
    CHECK(entry(&sm, "_model._enc_out.bias", 4, 0) != NULL);
  }
  CHECK(cm_sd_find(&sm, "_train.iter") == NULL);
  /* a model-only file loads too (MimicKit's model.pt) */
  CHECK_OK(cm_agent_load(b, model, &err), &err);
  /* and training goes on from the loaded state */
  cm_train_opts o2 = {.max_samples = 3 * NENV * 8, .resume = 1};
  CHECK_OK(cm_agent_load(b, path, &err), &err);
  CHECK_OK(cm_train(b, &o2, &err), &err);
  CHECK(b->iter == 3);
  cm_sd_free(&sa);
  cm_sd_free(&sb);
  cm_sd_free(&sm);
  unlink(path);
  unlink(model);
  rmdir(dir);
  cm_agent_destroy(a);
  cm_agent_destroy(b);
}

/* NaN in the discriminator's input: one line naming the guard, no crash */
static void test_nan_guard(void) {
  style_env e;
  cm_rl_env env = make_env(&e);
  e.nan_after = 3 * 8; /* the fourth iteration */
  cm_err err = {{0}};
  cm_agent *a = make_agent(yaml("AMP", "1e-3", "5"), &env, 5, &err);
  CHECK_OK(a ? 0 : -1, &err);
  if (!a) return;
  last_cols l = {0};
  cm_train_opts o = {.max_samples = 10 * NENV * 8, .callback = keep_cols, .user = &l};
  CHECK(cm_train(a, &o, &err) != 0);
  printf("NaN guard: %s\n", err.msg);
  CHECK(strstr(err.msg, "NaN guard") != NULL);
  CHECK(strchr(err.msg, '\n') == NULL);
  /* the iterations before stayed good (their callbacks ran): the first one's test phase took 8
   * of the env's steps, so the NaNs arrive in the third training iteration */
  CHECK(l.rows == 2);
  cm_agent_destroy(a);
}

static void test_config_errors(void) {
  style_env e;
  cm_rl_env env = make_env(&e);
  cm_err err = {{0}};
  /* a discriminator agent on an env without discriminator observations */
  cm_rl_env plain = env;
  plain.disc_obs_dim = 0;
  plain.disc_obs = NULL;
  CHECK(make_agent(yaml("AMP", "1e-3", "5"), &plain, 1, &err) == NULL);
  CHECK(strstr(err.msg, "discriminator observation") != NULL);
  /* AMP's keys are required; unknown ones are typos */
  char text[4096];
  snprintf(text, sizeof text, "%s", yaml("AMP", "1e-3", "5"));
  char *p = strstr(text, "  disc_net: fc_2layers_128units\n");
  memmove(p, p + strlen("  disc_net: fc_2layers_128units\n"), strlen(p) - strlen("  disc_net: fc_2layers_128units\n") + 1);
  CHECK(make_agent(text, &env, 1, &err) == NULL);
  CHECK(strstr(err.msg, "disc_net") != NULL);
  snprintf(text, sizeof text, "%sdisc_reward_wieght: 1\n", yaml("AMP", "1e-3", "5"));
  CHECK(make_agent(text, &env, 1, &err) == NULL);
  CHECK(strstr(err.msg, "disc_reward_wieght") != NULL);
  snprintf(text, sizeof text, "%s", yaml("ASE", "1e-3", "5"));
  p = strstr(text, "latent_dim: 4");
  p[12] = '0';
  CHECK(make_agent(text, &env, 1, &err) == NULL);
  CHECK(strstr(err.msg, "latent_dim") != NULL);
  /* PPO rejects AMP's keys */
  snprintf(text, sizeof text, "%s", yaml("AMP", "1e-3", "5"));
  memcpy(strstr(text, "AMP"), "PPO", 3);
  CHECK(make_agent(text, &env, 1, &err) == NULL);
  CHECK(strstr(err.msg, "disc_") != NULL);
  CHECK(strstr(cm_agent_type_names(), "PPO, AWR, AMP, ASE, ADD") != NULL);
}

/* ASE's latents: unit vectors, recorded with each sample, drawn again within latent_time_max
 * of episode time (0.2 s = 6 steps of 1/30 s here) and at every episode end */
static void test_ase_latents(void) {
  style_env e;
  cm_rl_env env = make_env(&e);
  cm_err err = {{0}};
  cm_agent *a = make_agent(yaml("ASE", "1e-3", "5"), &env, 6, &err);
  CHECK_OK(a ? 0 : -1, &err);
  if (!a) return;
  CHECK(a->cond_dim == 4 && a->actor.dims[0] == 1 + 4 && a->critic.dims[0] == 1 + 4);
  cm_train_opts o = {.max_samples = 2 * NENV * 8};
  CHECK_OK(cm_train(a, &o, &err), &err);
  int T = a->buf.steps, N = a->num_envs, Z = a->cond_dim, unit = 1, longest = 0, changes = 0, fresh_at_reset = 1;
  for (int i = 0; i < N; i++) {
    int run = 1;
    for (int t = 0; t < T; t++) {
      const float *z = a->buf_cond + ((size_t)t * N + i) * Z;
      double n2 = 0;
      for (int j = 0; j < Z; j++) n2 += (double)z[j] * z[j];
      unit &= fabs(n2 - 1.0) < 1e-5;
      if (t == 0) continue;
      int same = !memcmp(z, z - (size_t)N * Z, (size_t)Z * sizeof(float));
      if (a->buf.done[(size_t)(t - 1) * N + i] && same) fresh_at_reset = 0;
      if (same) run++;
      else {
        changes++;
        run = 1;
      }
      if (run > longest) longest = run;
    }
  }
  CHECK(unit);
  CHECK(fresh_at_reset);
  CHECK(longest <= 7 && longest >= 2);
  CHECK(changes >= N); /* every env drew at least once within the 8 steps */
  cm_agent_destroy(a);
}

/* ASE's latents through training iterations are the ase_latents rows run from the reset over
 * the buffer's done flags (latent step 0 at the reset, step k after env step k - 1): what
 * test_devloop_cuda checks of the device agent, here on the CPU, bit for bit; both rules fire
 * (episodes of 8 steps, latent times up to 0.2 s = 6 steps). */
static void test_ase_latent_replay(void) {
  style_env e;
  cm_rl_env env = make_env(&e);
  cm_err err = {{0}};
  cm_agent *a = make_agent(yaml("ASE", "1e-3", "5"), &env, 11, &err);
  CHECK_OK(a ? 0 : -1, &err);
  if (!a) return;
  enum { ZMAX = 4 };
  float z[NENV * ZMAX], et[NENV], rt[NENV];
  uint8_t last_done[NENV];
  int T = a->buf.steps, N = a->num_envs, Z = a->cond_dim, dones = 0, same = Z == ZMAX;
  cm_ase_latent_args p = {.Z = Z, .reset_all = 1, .seed = 11, .dt = 1.f / 30.f, .time_min = 0.0, .time_max = 0.2,
                          .z = z, .env_time = et, .reset_time = rt};
  CHECK_OK(cm_agent_reset_envs(a, &err), &err);
  /* two iterations: the episodes of 8 steps end at the last step of the first, so its done
   * flags reach the latents at the second's first step */
  for (int it = 0; it < 2 && same; it++) {
    cm_stats st;
    cm_stats_clear(&st);
    CHECK_OK(cm_agent_train_iter(a, &st, &err), &err);
    CHECK(isfinite(cm_stats_get(&st, "Enc_Loss", NAN)) && isfinite(cm_stats_get(&st, "Diversity_Loss", NAN)));
    for (int t = 0; t < T && same; t++) {
      if (it > 0 || t > 0) {
        p.reset_all = 0;
        p.draws = (uint64_t)(it * T + t);
        p.done = t > 0 ? a->buf.done + (size_t)(t - 1) * N : last_done;
        for (int i = 0; i < N; i++) dones += p.done[i] != 0;
      }
      cm_ops_cpu.ase_latents(&p, N);
      same = !memcmp(z, a->buf_cond + (size_t)t * N * Z, (size_t)N * Z * sizeof(float));
    }
    memcpy(last_done, a->buf.done + (size_t)(T - 1) * N, (size_t)N);
  }
  CHECK(same);
  CHECK(dones >= N);
  cm_agent_destroy(a);
}

/* the diversity loss's gradient in the actor's weights against finite differences: the loss
 * rows and the method's extra rows through one forward and backward, as the update does */
static double diversity_at(cm_agent *a, int m, const float *in, double *loss) {
  cm_err err = {{0}};
  cm_stats st;
  cm_stats_clear(&st);
  cm_optim_zero_grad(&a->optim);
  int IN = a->actor.dims[0], A = a->act_dim;
  float rows[2 * 8 * 5], dmean[2 * 8 * 1] = {0};
  memcpy(rows, in, sizeof(float) * (size_t)m * IN);
  int k = a->type->actor_extra_rows(a, m, rows, rows + m * IN);
  CHECK(k == m);
  CHECK_OK(cm_mlp_forward(&a->actor, rows, m + k, &err), &err);
  const float *mean = cm_mlp_out(&a->actor);
  double sum = 0; /* the CPU device's slot: host memory */
  a->type->actor_extra_loss(a, m, mean, rows, k, mean + m * A, dmean, dmean + m * A, &sum);
  *loss = a->type->actor_extra_stats(a, k, sum, &st);
  CHECK_OK(cm_mlp_backward(&a->actor, dmean, NULL, &err), &err);
  return cm_stats_get(&st, "Diversity_Loss", NAN);
}

static void test_ase_diversity_grad(void) {
  style_env e;
  cm_rl_env env = make_env(&e);
  cm_err err = {{0}};
  cm_agent *a = make_agent(yaml("ASE", "1e-3", "5"), &env, 8, &err);
  CHECK_OK(a ? 0 : -1, &err);
  if (!a) return;
  /* a larger actor output than the 0.01-scaled init gives, so the ratio is away from its target */
  for (size_t k = 0; k < a->actor.w[2].n; k++) a->actor.w[2].data[k] *= 30.f;
  enum { M = 6, IN = 5 };
  float in[M * IN];
  cm_rng r = cm_rng_make(4, 0, 0, 0);
  for (int i = 0; i < M; i++) {
    float *row = in + i * IN;
    row[0] = cm_rng_normal(&r);
    double n2 = 0;
    for (int j = 1; j < IN; j++) {
      row[j] = cm_rng_normal(&r);
      n2 += (double)row[j] * row[j];
    }
    for (int j = 1; j < IN; j++) row[j] /= (float)sqrt(n2);
  }
  double loss;
  double dl = diversity_at(a, M, in, &loss);
  CHECK(isfinite(dl) && dl > 0);
  CHECK_NEAR(loss, 0.01 * dl, 1e-9);
  /* the analytic gradient of the weighted loss, read before finite differences overwrite it */
  int layers[3] = {0, 1, 2};
  size_t picks[3] = {3, 17, 5};
  float an[3];
  diversity_at(a, M, in, &loss);
  for (int k = 0; k < 3; k++) an[k] = a->actor.w[layers[k]].grad[picks[k]];
  int ok = 1;
  for (int k = 0; k < 3; k++) {
    float *w = &a->actor.w[layers[k]].data[picks[k]], keep = *w;
    const float h = 2e-3f;
    double up, dn;
    *w = keep + h;
    diversity_at(a, M, in, &up);
    *w = keep - h;
    diversity_at(a, M, in, &dn);
    *w = keep;
    double fd = (up - dn) / (2 * h);
    if (fabs(fd - an[k]) > 2e-2 * fmax(fabs(fd), 1e-4)) {
      fprintf(stderr, "diversity grad layer %d: analytic %g, fd %g\n", layers[k], (double)an[k], fd);
      ok = 0;
    }
  }
  CHECK(ok);
  cm_agent_destroy(a);
}

/* r = task_reward_weight r_task + disc_reward_weight r_disc (+ ASE's enc_reward_weight r_enc),
 * with r_disc in [0, -2 log(1e-4)] and its mean/std logged */
static void test_reward_mixing(const char *name) {
  style_env e;
  cm_rl_env env = make_env(&e);
  e.task_reward = 3.f;
  cm_err err = {{0}};
  char text[4096];
  snprintf(text, sizeof text, "%s", yaml(name, "1e-3", "5"));
  memcpy(strstr(text, "task_reward_weight: 0.0"), "task_reward_weight: 0.3", 23);
  cm_agent *a = make_agent(text, &env, 2, &err);
  CHECK_OK(a ? 0 : -1, &err);
  if (!a) return;
  cm_amp *m = a->impl;
  cm_stats st;
  cm_stats_clear(&st);
  CHECK_OK(cm_agent_reset_envs(a, &err), &err);
  CHECK_OK(cm_agent_train_iter(a, &st, &err), &err);
  int n = cm_exp_capacity(&a->buf), in_range = 1, mixed = 1, ase = !strcmp(name, "ASE");
  double sum = 0, dw = ase ? 0.5 : 1.0;
  for (int i = 0; i < n; i++) {
    float d = m->disc_r[i];
    in_range &= d >= 0.f && d <= -2.f * logf(1e-4f) + 1e-4f;
    sum += d;
    /* ASE: the encoder term is max(z . q, 0) in [0, 1] */
    double rest = a->buf.reward[i] - (0.3 * 3.0 + dw * d);
    mixed &= ase ? rest >= -1e-5 && rest <= 0.5 + 1e-5 : fabs(rest) < 1e-5;
  }
  CHECK(in_range);
  CHECK(mixed);
  CHECK_NEAR(cm_stats_get(&st, "Disc_Reward_Mean", -1), sum / n, 1e-5);
  CHECK(cm_stats_get(&st, "Disc_Reward_Std", -1) > 0);
  if (ase) CHECK(cm_stats_get(&st, "Enc_Reward_Mean", -1) >= 0);
  cm_agent_destroy(a);
}

/* ASE's encoder reward alone makes the policy's action carry its latent: with disc_reward_weight
 * 0 and 2-D latents, the encoder reward max(z . q(a), 0) starts near E = 1/pi for an unrelated
 * q and rises as q learns to read z back from the 1-D action. */
static void test_ase_encoder_learns(int iters) {
  style_env e;
  cm_rl_env env = make_env(&e);
  cm_err err = {{0}};
  char text[4096];
  snprintf(text, sizeof text, "%s", yaml("ASE", "2e-3", "5"));
  memcpy(strstr(text, "latent_dim: 4"), "latent_dim: 2", 13);
  memcpy(strstr(text, "disc_reward_weight: 0.5"), "disc_reward_weight: 0.0", 23);
  memcpy(strstr(text, "enc_reward_weight: 0.5"), "enc_reward_weight: 1.0", 22);
  memcpy(strstr(text, "latent_time_max: 0.2"), "latent_time_max: 9.0", 20);
  cm_agent *a = make_agent(text, &env, 12, &err);
  CHECK_OK(a ? 0 : -1, &err);
  if (!a) return;
  last_cols l = {.avg_from = iters};
  cm_train_opts o = {.max_samples = 10 * NENV * 8, .callback = keep_cols, .user = &l};
  CHECK_OK(cm_train(a, &o, &err), &err);
  double r0 = cm_stats_get(&l.cols, "Enc_Reward_Mean", -1);
  o.max_samples = (int64_t)iters * NENV * 8;
  o.resume = 1;
  CHECK_OK(cm_train(a, &o, &err), &err);
  double r1 = cm_stats_get(&l.cols, "Enc_Reward_Mean", -1);
  printf("ASE: Enc_Reward_Mean %.3f after 10 iterations, %.3f after %d; Enc_Loss %.3f\n", r0, r1, iters,
         cm_stats_get(&l.cols, "Enc_Loss", 0));
  CHECK(r0 < 0.45);  /* about 1/pi while the action says nothing about z */
  CHECK(r1 > 0.6);   /* measured 0.87 */
  CHECK_NEAR(cm_stats_get(&l.cols, "Enc_Loss", 0), -r1, 0.15); /* the encoder's own error agrees */
  cm_agent_destroy(a);
}

int main(void) {
  test_ase_encoder_learns(100);
  test_reward_mixing("AMP");
  test_reward_mixing("ASE");
  test_ase_latents();
  test_ase_latent_replay();
  test_ase_diversity_grad();
  test_config_errors();
  test_round_trip("AMP");
  test_round_trip("ADD");
  test_round_trip("ASE");
  test_nan_guard();
  test_converges("AMP", 240);
  test_converges("ADD", 240);
  return check_report("test_amp_agents");
}
