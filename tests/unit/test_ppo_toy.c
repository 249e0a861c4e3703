/* PPO and AWR learn a 1-D target-reaching task through the full agent + trainer path.
 *
 * Toy env: a point at x chases a target g. obs = (g - x), action = velocity in [-1, 1],
 * x += v dt, reward exp(-(g - x)^2) after the move; episodes of EP_LEN steps, g uniform in
 * [-G, G], x starts at 0. Moving at full speed toward the target every step is optimal (each
 * step's reward only grows as the distance shrinks), so the env computes each episode's best
 * possible return alongside and the test compares the learnt policy to it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check.h"
#include "core/rng.h"
#include "learn/trainer.h"

#define NENV 16
#define EP_LEN 16
#define DT 0.25f
#define G 1.5f

typedef struct toy {
  int n;
  float x[NENV], g[NENV], xbest[NENV];
  int t[NENV];
  uint64_t episodes_started;
  float lo[1], hi[1];
  double best_sum; /* optimal returns of the finished episodes */
  int64_t best_count;
} toy;

static void toy_reset_one(toy *e, int i) {
  cm_rng r = cm_rng_make(77, (uint32_t)i, e->episodes_started++, 9);
  e->g[i] = G * (2.f * cm_rng_uniform(&r) - 1.f);
  e->x[i] = e->xbest[i] = 0.f;
  e->t[i] = 0;
}

static int toy_reset(void *ctx, float *obs, cm_err *err) {
  (void)err;
  toy *e = ctx;
  for (int i = 0; i < e->n; i++) {
    toy_reset_one(e, i);
    obs[i] = e->g[i] - e->x[i];
  }
  return 0;
}

static float step_toward(float x, float g, float v) {
  float d = g - x, m = v * DT;
  return fabsf(d) <= m ? g : x + (d > 0 ? m : -m);
}

static int toy_step(void *ctx, const float *act, float *next_obs, float *obs, float *rew, uint8_t *done, cm_err *err) {
  (void)err;
  toy *e = ctx;
  for (int i = 0; i < e->n; i++) {
    float v = fminf(fmaxf(act[i], e->lo[0]), e->hi[0]);
    e->x[i] += v * DT;
    e->xbest[i] = step_toward(e->xbest[i], e->g[i], e->hi[0]);
    float d = e->g[i] - e->x[i], db = e->g[i] - e->xbest[i];
    rew[i] = expf(-d * d);
    e->best_sum += expf(-db * db);
    e->t[i]++;
    next_obs[i] = d;
    done[i] = e->t[i] >= EP_LEN ? 3 : 0;
    if (done[i]) {
      e->best_count++;
      toy_reset_one(e, i);
    }
    obs[i] = e->g[i] - e->x[i];
  }
  return 0;
}

static cm_rl_env toy_env(toy *e) {
  memset(e, 0, sizeof *e);
  e->n = NENV;
  e->lo[0] = -1.f;
  e->hi[0] = 1.f;
  cm_rl_env env = {.ctx = e, .num_envs = NENV, .obs_dim = 1, .act_dim = 1, .action_low = e->lo,
                   .action_high = e->hi, .reset = toy_reset, .step = toy_step};
  return env;
}

static const char *k_yaml_fmt =
    "agent_name: \"%s\"\n"
    "model:\n"
    "  actor_net: \"fc_2layers_128units\"\n"
    "  actor_init_output_scale: 0.01\n"
    "  actor_std_type: \"FIXED\"\n"
    "  action_std: 0.2\n"
    "  critic_net: \"fc_2layers_128units\"\n"
    "optimizer:\n"
    "  type: \"Adam\"\n"
    "  learning_rate: %s\n"
    "discount: 0.9\n"
    "steps_per_iter: 32\n"
    "iters_per_output: 10\n"
    "test_episodes: 32\n"
    "normalizer_samples: 100000\n"
    "update_epochs: 5\n"
    "batch_size: 4\n"
    "td_lambda: 0.95\n"
    "%s"
    "action_bound_weight: 10.0\n"
    "action_entropy_weight: 0.0\n"
    "action_reg_weight: 0.0\n"
    "critic_loss_weight: 1.0\n";

typedef struct run_log {
  int iters, outputs;
  double first_test, last_test;
  int saw_cols;
} run_log;

static int on_iter(cm_agent *a, const cm_iter_info *info, void *user, cm_err *err) {
  (void)a;
  (void)err;
  run_log *l = user;
  if (l->iters == 0) {
    l->first_test = info->test.mean_return;
    /* the MimicKit column set is there, in order */
    l->saw_cols = info->cols.count > 12 && !strcmp(info->cols.keys[0], "Iteration") &&
                  !strcmp(info->cols.keys[3], "Test_Return") && cm_stats_get(&info->cols, "Critic_Loss", NAN) >= 0;
  }
  l->iters++;
  l->outputs += info->output;
  l->last_test = info->test.mean_return;
  return 0;
}

static void run(const char *name, const char *lr, const char *extra, int64_t max_samples) {
  toy e;
  cm_rl_env env = toy_env(&e);
  char yaml[2048];
  snprintf(yaml, sizeof yaml, k_yaml_fmt, name, lr, extra);
  cm_err err = {{0}};
  cm_cfg *cfg = NULL;
  cm_agent *a = NULL;
  CHECK_OK(cm_cfg_parse("toy_agent.yaml", yaml, &cfg, &err), &err);
  CHECK_OK(cm_agent_create(cfg, &env, cm_dev_cpu(), 5, &a, &err), &err);
  if (!a) {
    cm_cfg_free(cfg);
    return;
  }
  clock_t c0 = clock();
  run_log log = {0};
  cm_train_opts opts = {.max_samples = max_samples, .callback = on_iter, .user = &log};
  CHECK_OK(cm_train(a, &opts, &err), &err);
  double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;

  /* a fresh evaluation with its own optimum */
  e.best_sum = 0;
  e.best_count = 0;
  cm_test_result res;
  CHECK_OK(cm_agent_test(a, 64, &res, &err), &err);
  double best = e.best_sum / (double)e.best_count;
  printf("%s: %d iters (%d outputs) %.1fs, test return %.3f -> %.3f, final %.3f over %lld eps (optimum %.3f, "
         "ep len %.1f)\n",
         name, log.iters, log.outputs, secs, log.first_test, log.last_test, res.mean_return, (long long)res.episodes,
         best, res.mean_ep_len);
  CHECK(log.saw_cols);
  CHECK(log.iters == (int)((max_samples + 32 * NENV - 1) / (32 * NENV)));
  CHECK(res.episodes >= 64);
  CHECK_NEAR(res.mean_ep_len, EP_LEN, 1e-9);
  /* untrained: the mean action is ~0, so the return is far below the optimum */
  CHECK(log.first_test < 0.75 * best);
  CHECK(res.mean_return > 0.97 * best);
  cm_agent_destroy(a);
  cm_cfg_free(cfg);
}

int main(void) {
  run("PPO", "1e-3", "ppo_clip_ratio: 0.2\nnorm_adv_clip: 4.0\n", 70 * 32 * NENV);
  run("AWR", "1e-3", "awr_temp: 1.0\na_weight_clip: 20.0\n", 70 * 32 * NENV);
  return check_report("test_ppo_toy");
}
