#include "learn/trainer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"

static void norm_summary(const cm_normalizer *n, double *mean_abs, double *mean_std) {
  float *m = malloc((size_t)n->dim * sizeof(float)), *s = malloc((size_t)n->dim * sizeof(float));
  *mean_abs = *mean_std = 0;
  if (!m || !s) {
    free(m);
    free(s);
    return;
  }
  cm_norm_get(n, m, s);
  for (int i = 0; i < n->dim; i++) {
    *mean_abs += fabs(m[i]);
    *mean_std += s[i];
  }
  *mean_abs /= n->dim;
  *mean_std /= n->dim;
  free(m);
  free(s);
}

/* CMIMIC_PROFILE=1: where the wall time of each output interval went (stderr). The test
 * phase's own policy and env time is counted inside "test". */
static void print_profile(const cm_agent *a, double total, double test) {
  double pol = a->prof.policy, env = a->prof.env;
  fprintf(stderr, "profile iter %lld: %.2f s = policy %.2f + env %.2f + train_data %.2f + update %.2f + test %.2f + other %.2f\n",
          (long long)a->iter, total, pol, env, a->prof.train_data, a->prof.update, test,
          total - pol - env - a->prof.train_data - a->prof.update - test);
  fprintf(stderr, "profile iter %lld: update %.2f s = gather %.2f + nets %.2f + losses %.2f + optimizer %.2f + other %.2f\n",
          (long long)a->iter, a->prof.update, a->prof.upd_gather, a->prof.upd_nets, a->prof.upd_losses,
          a->prof.upd_optim,
          a->prof.update - a->prof.upd_gather - a->prof.upd_nets - a->prof.upd_losses - a->prof.upd_optim);
  char line[256];
  if (a->env->profile && a->env->profile(a->env->ctx, line, sizeof line)) /* the env's own split (device env) */
    fprintf(stderr, "profile iter %lld: %s\n", (long long)a->iter, line);
  int it = a->prof.iters > 0 ? a->prof.iters : 1;
  fprintf(stderr, "profile iter %lld: device to host %.0f bytes in %.1f copies per training iteration (%d iterations), "
          "test phase %.0f bytes\n", (long long)a->iter, a->prof.d2h_bytes / it, a->prof.d2h_copies / it, a->prof.iters,
          a->prof.test_d2h_bytes);
  if (a->comm->size > 1) /* the update's share spent averaging gradients over the ranks */
    fprintf(stderr, "profile iter %lld: rank %d: gradient all-reduce %.2f s of the update\n", (long long)a->iter,
            a->comm->rank, a->prof.grad_allreduce);
}

/* The logged scalars of every rank gathered on rank 0 and combined there (the rank that logs).
 * Ranks may log different keys (a statistic of rows that one rank did not have), so each value
 * travels with a hash of its key and rank 0 matches them to its own columns. */
#define COL_SLOTS (1 + 2 * CM_STATS_MAX) /* count, then (key hash, value) pairs */

static double key_hash(const char *k) { /* FNV-1a, 32 bits: exact in a double */
  uint32_t h = 2166136261u;
  for (; *k; k++) h = (h ^ (uint8_t)*k) * 16777619u;
  return (double)h;
}

/* Rank r's value of key, or 0 with *found 0. */
static double rank_value(const double *slot, double hash, int *found) {
  int n = (int)slot[0];
  for (int i = 0; i < n; i++)
    if (slot[1 + 2 * i] == hash) {
      *found = 1;
      return slot[2 + 2 * i];
    }
  *found = 0;
  return 0;
}

/* Counts add up, returns and lengths are means weighted by the episodes behind them, the
 * counters are every rank's own (the same), and the rest (losses, data statistics) is the mean
 * over the ranks that have it. */
static double combine_col(const char *key, double own, const double *all, int ranks) {
  if (!strcmp(key, "Iteration") || !strcmp(key, "Samples") || !strcmp(key, "Wall_Time")) return own;
  int counts = strstr(key, "_Episodes") != NULL;
  const char *w = !strcmp(key, "Train_Return") || !strcmp(key, "Train_Episode_Length") ? "Train_Episodes"
                  : !strcmp(key, "Test_Return") || !strcmp(key, "Test_Episode_Length") ? "Test_Episodes" : NULL;
  double h = key_hash(key), hw = w ? key_hash(w) : 0, s = 0, ws = 0;
  for (int r = 0; r < ranks; r++) {
    int found = 0, wf = 0;
    double v = rank_value(all + (size_t)r * COL_SLOTS, h, &found);
    if (!found) continue;
    double wr = w ? rank_value(all + (size_t)r * COL_SLOTS, hw, &wf) : 1.0;
    if (w && !wf) wr = 0;
    s += counts ? v : wr * v;
    ws += wr;
  }
  if (counts) return s;
  return ws > 0 ? s / ws : own;
}

static int gather_cols(cm_comm *comm, cm_stats *c, cm_err *err) {
  if (comm->size <= 1) return 0;
  double mine[COL_SLOTS] = {(double)c->count};
  for (int i = 0; i < c->count; i++) {
    mine[1 + 2 * i] = key_hash(c->keys[i]);
    mine[2 + 2 * i] = c->values[i];
  }
  double *all = malloc((size_t)COL_SLOTS * (size_t)comm->size * sizeof(double));
  if (!all) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  int rc = cm_comm_gather_f64(comm, mine, COL_SLOTS, all, "the logged scalars", err);
  if (!rc && comm->rank == 0) {
    double v[CM_STATS_MAX];
    for (int k = 0; k < c->count; k++) v[k] = combine_col(c->keys[k], c->values[k], all, comm->size);
    memcpy(c->values, v, (size_t)c->count * sizeof(double));
  }
  free(all);
  return rc;
}

int cm_train(cm_agent *a, const cm_train_opts *opts, cm_err *err) {
  double prof_start = cm_now_seconds();
  const char *pe = getenv("CMIMIC_PROFILE");
  int profile = pe && *pe && strcmp(pe, "0");
  memset(&a->prof, 0, sizeof a->prof);
  if (cm_agent_reset_envs(a, err)) return -1;
  if (!opts->resume) {
    a->wall_time_s = 0;
    a->iter = 0;
    a->sample_count = 0;
    cm_exp_clear(&a->buf);
  } else {
    a->buf.total_samples = a->sample_count;
  }
  cm_rtrack_reset(&a->train_ret);
  cm_rtrack_reset(&a->test_ret);
  cm_test_result test = {0};
  double start = cm_now_seconds() - a->wall_time_s; /* Wall_Time goes on from the checkpoint's */
  while (a->sample_count < opts->max_samples) {
    cm_stats train;
    cm_stats_clear(&train);
    int64_t before = a->buf.total_samples;
    double b0, c0, b1, c1;
    cm_dev_d2h(a->dev, &b0, &c0);
    if (cm_agent_train_iter(a, &train, err)) return cm_wrap(err, "iteration %lld", (long long)a->iter);
    cm_dev_d2h(a->dev, &b1, &c1);
    a->prof.d2h_bytes += b1 - b0;
    a->prof.d2h_copies += c1 - c0;
    a->prof.iters++;
    /* Samples counts every rank's (MimicKit _update_sample_count) */
    int64_t added = a->buf.total_samples - before;
    if (cm_comm_allreduce_i64(a->comm, &added, 1, "the sample count", err)) return -1;
    a->sample_count = before + added;
    a->buf.total_samples = a->sample_count;
    int output = (a->iter % a->cfg.iters_per_output == 0) || a->sample_count >= opts->max_samples;
    if (output) {
      double t_test = cm_now_seconds();
      /* each rank its share of the test episodes (MimicKit test_model) */
      int eps = (a->cfg.test_episodes + a->comm->size - 1) / a->comm->size;
      cm_dev_d2h(a->dev, &b0, &c0);
      if (cm_agent_test(a, eps, &test, err))
        return cm_wrap(err, "test phase of iteration %lld", (long long)a->iter);
      cm_dev_d2h(a->dev, &b1, &c1);
      a->prof.test_d2h_bytes += b1 - b0;
      if (profile) print_profile(a, cm_now_seconds() - prof_start, cm_now_seconds() - t_test);
      memset(&a->prof, 0, sizeof a->prof);
      prof_start = cm_now_seconds();
    }

    cm_iter_info info = {.iter = a->iter, .samples = a->sample_count, .output = output, .test = test};
    a->wall_time_s = cm_now_seconds() - start;
    info.wall_time_h = a->wall_time_s / 3600.0;
    cm_stats *c = &info.cols;
    cm_stats_set(c, "Iteration", (double)a->iter);
    cm_stats_set(c, "Wall_Time", info.wall_time_h);
    cm_stats_set(c, "Samples", (double)a->sample_count);
    cm_stats_set(c, "Test_Return", test.mean_return);
    cm_stats_set(c, "Test_Episode_Length", test.mean_ep_len);
    cm_stats_set(c, "Test_Episodes", (double)test.episodes);
    cm_stats_set(c, "Train_Return", a->train_ret.mean_return);
    cm_stats_set(c, "Train_Episode_Length", a->train_ret.mean_ep_len);
    cm_stats_set(c, "Train_Episodes", (double)a->train_ret.episodes);
    cm_stats_merge(c, &train);
    cm_stats_merge(c, &test.env);
    double nm, ns;
    norm_summary(&a->obs_norm, &nm, &ns);
    cm_stats_set(c, "Obs_Norm_Mean", nm);
    cm_stats_set(c, "Obs_Norm_Std", ns);
    cm_stats_set(c, "Exp_Prob", cm_agent_exp_prob(a));
    if (gather_cols(a->comm, c, err)) return -1;
    /* counted before the callback, so a checkpoint taken there resumes at the next iteration */
    a->iter++;
    if (opts->callback && opts->callback(a, &info, opts->user, err)) return -1;

    if (output) {
      cm_rtrack_reset(&a->train_ret);
      if (cm_agent_reset_envs(a, err)) return -1;
    }
  }
  return 0;
}

/* ---------------- checkpoints ---------------- */

#define MAX_PARAMS (CM_AGENT_MAX_PARAMS + 1)

/* Model parameters in state-dict order: actor body, logstd, mean head, critic body and head,
 * then the method's (discriminator, encoder). */
static int model_params(cm_agent *a, cm_param **out) {
  cm_param *actor[2 * CM_MLP_MAX_LINEAR];
  int na = cm_mlp_params(&a->actor, actor, 2 * CM_MLP_MAX_LINEAR), n = 0;
  for (int i = 0; i < na - 2; i++) out[n++] = actor[i];
  out[n++] = &a->logstd;
  out[n++] = actor[na - 2];
  out[n++] = actor[na - 1];
  n += cm_mlp_params(&a->critic, out + n, MAX_PARAMS - n);
  if (a->type->params) n += a->type->params(a, out + n, MAX_PARAMS - n);
  return n;
}

static int add_dev(cm_state_dict *sd, const cm_dev *dev, const char *name, int ndim, const int *shape, const float *d,
                   size_t n, cm_err *err) {
  int64_t sh[2] = {shape[0], ndim > 1 ? shape[1] : 0};
  float *h = malloc((n ? n : 1) * sizeof(float));
  if (!h) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  cm_dev_download(dev, h, d, n);
  int rc = cm_sd_add(sd, name, ndim, sh, h, err);
  free(h);
  return rc;
}

int cm_ckpt_add_i64(cm_state_dict *sd, const char *name, int64_t v, cm_err *err) {
  float limbs[2] = {(float)(v >> 24), (float)(v & 0xffffff)};
  int64_t sh[1] = {2};
  return cm_sd_add(sd, name, 1, sh, limbs, err);
}

int cm_ckpt_add_norm(cm_state_dict *sd, const cm_normalizer *n, cm_err *err) {
  char name[160];
  int64_t one[1] = {1}, dim[1] = {n->dim}, cnt = n->count;
  float *m = malloc((size_t)n->dim * sizeof(float)), *s = malloc((size_t)n->dim * sizeof(float));
  int rc = -1;
  if (!m || !s) {
    cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
    goto done;
  }
  cm_norm_get(n, m, s);
  snprintf(name, sizeof name, "%s._count", n->prefix);
  if (cm_sd_add_i64(sd, name, 1, one, &cnt, err)) goto done; /* int64, as MimicKit's buffer */
  snprintf(name, sizeof name, "%s._mean", n->prefix);
  if (cm_sd_add(sd, name, 1, dim, m, err)) goto done;
  snprintf(name, sizeof name, "%s._std", n->prefix);
  if (cm_sd_add(sd, name, 1, dim, s, err)) goto done;
  rc = 0;
done:
  free(m);
  free(s);
  return rc;
}

static int is_adam(const cm_agent *a) { return a->optim.cfg.type == CM_OPT_ADAM; }

int cm_agent_state_dict(cm_agent *a, int with_train_state, cm_state_dict *sd, cm_err *err) {
  cm_param *ps[MAX_PARAMS];
  int np = model_params(a, ps);
  if (cm_ckpt_add_norm(sd, &a->obs_norm, err) || cm_ckpt_add_norm(sd, &a->a_norm, err)) return -1;
  if (a->type->save && a->type->save(a, sd, with_train_state, err)) return -1;
  for (int i = 0; i < np; i++)
    if (add_dev(sd, a->dev, ps[i]->name, ps[i]->ndim, ps[i]->shape, ps[i]->data, ps[i]->n, err)) return -1;
  if (!with_train_state) return 0;
  char name[CM_PARAM_NAME_MAX + 32];
  for (int i = 0; i < a->optim.count; i++) {
    const cm_param *p = a->optim.params[i];
    snprintf(name, sizeof name, "_optimizer.%s.%s", p->name, is_adam(a) ? "exp_avg" : "momentum_buffer");
    if (add_dev(sd, a->dev, name, p->ndim, p->shape, a->optim.buf1[i], p->n, err)) return -1;
    if (is_adam(a)) {
      snprintf(name, sizeof name, "_optimizer.%s.exp_avg_sq", p->name);
      if (add_dev(sd, a->dev, name, p->ndim, p->shape, a->optim.buf2[i], p->n, err)) return -1;
    }
  }
  if (cm_ckpt_add_i64(sd, "_train.iter", a->iter, err) || cm_ckpt_add_i64(sd, "_train.samples", a->sample_count, err) ||
      cm_ckpt_add_i64(sd, "_train.optim_steps", a->optim.steps, err) ||
      cm_ckpt_add_i64(sd, "_train.rng_step", (int64_t)a->rng_step, err) ||
      cm_ckpt_add_i64(sd, "_train.shuffles", (int64_t)a->buf.shuffles, err) ||
      cm_ckpt_add_i64(sd, "_train.obs_norm_count", a->obs_norm.count, err) ||
      cm_ckpt_add_i64(sd, "_train.wall_ms", (int64_t)llround(a->wall_time_s * 1000.0), err))
    return -1;
  return 0;
}

static void shape_str(char *out, size_t cap, int ndim, const int64_t *shape) {
  size_t k = (size_t)snprintf(out, cap, "[");
  for (int d = 0; d < ndim && k < cap; d++) k += (size_t)snprintf(out + k, cap - k, d ? ", %lld" : "%lld", (long long)shape[d]);
  if (k < cap) snprintf(out + k, cap - k, "]");
}

/* The entry name with exactly this shape, or an error naming the tensor and the file. */
const cm_sd_entry *cm_ckpt_need(const cm_state_dict *sd, const char *src, const char *name, int ndim, int64_t s0,
                               int64_t s1, cm_err *err) {
  const cm_sd_entry *e = cm_sd_find(sd, name);
  if (!e) {
    cm_fail(err, "%s: missing tensor '%s'", src, name);
    return NULL;
  }
  int64_t want[2] = {s0, s1};
  int ok = e->ndim == ndim;
  for (int d = 0; ok && d < ndim; d++) ok = e->shape[d] == want[d];
  if (!ok) {
    char got[96], exp[96];
    shape_str(got, sizeof got, e->ndim, e->shape);
    shape_str(exp, sizeof exp, ndim, want);
    cm_fail(err, "%s: tensor '%s' has shape %s, expected %s", src, name, got, exp);
    return NULL;
  }
  return e;
}

int cm_ckpt_get_i64(const cm_state_dict *sd, const char *src, const char *name, int64_t *v, cm_err *err) {
  const cm_sd_entry *e = cm_ckpt_need(sd, src, name, 1, 2, 0, err);
  if (!e) return -1;
  double hi = e->data[0], lo = e->data[1];
  if (!(hi >= 0 && lo >= 0 && lo < 16777216.0 && hi == floor(hi) && lo == floor(lo)))
    return cm_fail(err, "%s: tensor '%s' does not hold a counter (%g, %g)", src, name, hi, lo);
  *v = ((int64_t)hi << 24) | (int64_t)lo;
  return 0;
}

int cm_ckpt_load_norm(cm_normalizer *n, const cm_state_dict *sd, const char *src, cm_err *err) {
  char name[160];
  snprintf(name, sizeof name, "%s._count", n->prefix);
  const cm_sd_entry *c = cm_ckpt_need(sd, src, name, 1, 1, 0, err);
  snprintf(name, sizeof name, "%s._mean", n->prefix);
  const cm_sd_entry *m = c ? cm_ckpt_need(sd, src, name, 1, n->dim, 0, err) : NULL;
  snprintf(name, sizeof name, "%s._std", n->prefix);
  const cm_sd_entry *s = m ? cm_ckpt_need(sd, src, name, 1, n->dim, 0, err) : NULL;
  if (!s) return -1;
  /* int64 as MimicKit writes it (exact); float32 in checkpoints written before that */
  if (c->idata ? c->idata[0] < 0 : !(c->data[0] >= 0) || !isfinite(c->data[0]))
    return cm_fail(err, "%s: tensor '%s._count' holds %g", src, n->prefix, (double)c->data[0]);
  int64_t count = c->idata ? c->idata[0] : (int64_t)llround(c->data[0]);
  if (cm_norm_load(n, count, m->data, s->data, err)) return cm_wrap(err, "%s", src);
  return 0;
}

int cm_agent_load_state_dict(cm_agent *a, const cm_state_dict *sd, const char *src, cm_err *err) {
  cm_param *ps[MAX_PARAMS];
  int np = model_params(a, ps);
  /* check everything before changing anything */
  for (int i = 0; i < np; i++)
    if (!cm_ckpt_need(sd, src, ps[i]->name, ps[i]->ndim, ps[i]->shape[0], ps[i]->ndim > 1 ? ps[i]->shape[1] : 0, err))
      return -1;
  int has_train = cm_sd_find(sd, "_train.iter") != NULL;
  char name[CM_PARAM_NAME_MAX + 32];
  const cm_sd_entry *b1[MAX_PARAMS] = {0}, *b2[MAX_PARAMS] = {0};
  int64_t iter = 0, samples = 0, steps = 0, rng_step = 0, shuffles = 0, norm_count = 0, wall_ms = 0;
  if (has_train) {
    for (int i = 0; i < a->optim.count; i++) {
      const cm_param *p = a->optim.params[i];
      int64_t s0 = p->shape[0], s1 = p->ndim > 1 ? p->shape[1] : 0;
      snprintf(name, sizeof name, "_optimizer.%s.%s", p->name, is_adam(a) ? "exp_avg" : "momentum_buffer");
      if (!(b1[i] = cm_ckpt_need(sd, src, name, p->ndim, s0, s1, err))) return -1;
      if (is_adam(a)) {
        snprintf(name, sizeof name, "_optimizer.%s.exp_avg_sq", p->name);
        if (!(b2[i] = cm_ckpt_need(sd, src, name, p->ndim, s0, s1, err))) return -1;
      }
    }
    if (cm_ckpt_get_i64(sd, src, "_train.iter", &iter, err) || cm_ckpt_get_i64(sd, src, "_train.samples", &samples, err) ||
        cm_ckpt_get_i64(sd, src, "_train.optim_steps", &steps, err) || cm_ckpt_get_i64(sd, src, "_train.rng_step", &rng_step, err) ||
        cm_ckpt_get_i64(sd, src, "_train.shuffles", &shuffles, err) ||
        cm_ckpt_get_i64(sd, src, "_train.obs_norm_count", &norm_count, err))
      return -1;
    /* absent from checkpoints written before it was kept: the wall clock then restarts */
    if (cm_sd_find(sd, "_train.wall_ms") && cm_ckpt_get_i64(sd, src, "_train.wall_ms", &wall_ms, err)) return -1;
  }
  if (a->type->load && a->type->load(a, sd, src, err)) return -1;
  if (cm_ckpt_load_norm(&a->obs_norm, sd, src, err) || cm_ckpt_load_norm(&a->a_norm, sd, src, err)) return -1;
  for (int i = 0; i < np; i++) {
    const cm_sd_entry *e = cm_sd_find(sd, ps[i]->name);
    cm_dev_upload(a->dev, ps[i]->data, e->data, ps[i]->n);
  }
  if (has_train) {
    for (int i = 0; i < a->optim.count; i++) {
      cm_dev_upload(a->dev, a->optim.buf1[i], b1[i]->data, a->optim.params[i]->n);
      if (b2[i]) cm_dev_upload(a->dev, a->optim.buf2[i], b2[i]->data, a->optim.params[i]->n);
    }
    a->iter = iter;
    a->sample_count = samples;
    a->buf.total_samples = samples;
    a->optim.steps = steps;
    a->rng_step = (uint64_t)rng_step;
    a->buf.shuffles = (uint64_t)shuffles;
    a->obs_norm.count = norm_count;
    a->wall_time_s = (double)wall_ms / 1000.0;
  }
  return 0;
}

int cm_agent_save(cm_agent *a, const char *path, int with_train_state, cm_err *err) {
  cm_state_dict sd;
  cm_sd_init(&sd);
  int rc = cm_agent_state_dict(a, with_train_state, &sd, err);
  if (!rc) rc = cm_torch_save(path, &sd, err);
  cm_sd_free(&sd);
  return rc;
}

int cm_agent_load(cm_agent *a, const char *path, cm_err *err) {
  cm_state_dict sd;
  cm_sd_init(&sd);
  int rc = cm_torch_load(path, &sd, err);
  if (!rc) rc = cm_agent_load_state_dict(a, &sd, path, err);
  cm_sd_free(&sd);
  return rc;
}
