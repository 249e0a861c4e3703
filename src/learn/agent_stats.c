/* Key/value statistics and episode-return tracking (return_tracker.py) for the agent's log. */
#include "learn/agent.h"

#include <stdlib.h>
#include <string.h>
#include "learn/returns.h"

/* ---------------- stats ---------------- */

void cm_stats_clear(cm_stats *s) { s->count = 0; }

static int stats_find(const cm_stats *s, const char *key) {
  for (int i = 0; i < s->count; i++)
    if (!strcmp(s->keys[i], key)) return i;
  return -1;
}

void cm_stats_set(cm_stats *s, const char *key, double v) {
  int i = stats_find(s, key);
  if (i < 0) {
    if (s->count >= CM_STATS_MAX) return;
    i = s->count++;
    s->keys[i] = key;
  }
  s->values[i] = v;
}

void cm_stats_add(cm_stats *s, const char *key, double v) {
  int i = stats_find(s, key);
  cm_stats_set(s, key, i < 0 ? v : s->values[i] + v);
}

void cm_stats_merge(cm_stats *dst, const cm_stats *src) {
  for (int i = 0; i < src->count; i++) cm_stats_set(dst, src->keys[i], src->values[i]);
}

double cm_stats_get(const cm_stats *s, const char *key, double def) {
  int i = stats_find(s, key);
  return i < 0 ? def : s->values[i];
}

/* ---------------- return tracker ---------------- */

int cm_rtrack_create(cm_return_tracker *t, int num_envs, cm_err *err) {
  memset(t, 0, sizeof *t);
  t->num_envs = num_envs;
  t->ret = calloc((size_t)num_envs, sizeof(float));
  t->len = calloc((size_t)num_envs, sizeof(int64_t));
  t->eps_per_env = calloc((size_t)num_envs, sizeof(int64_t));
  if (!t->ret || !t->len || !t->eps_per_env) {
    cm_rtrack_destroy(t);
    return cm_fail(err, "%s:%d: return tracker: out of memory", __FILE__, __LINE__);
  }
  return 0;
}

void cm_rtrack_destroy(cm_return_tracker *t) {
  free(t->ret);
  free(t->len);
  free(t->eps_per_env);
  memset(t, 0, sizeof *t);
}

void cm_rtrack_reset(cm_return_tracker *t) {
  t->episodes = 0;
  t->mean_return = t->mean_ep_len = 0.0;
  memset(t->ret, 0, (size_t)t->num_envs * sizeof(float));
  memset(t->len, 0, (size_t)t->num_envs * sizeof(int64_t));
  memset(t->eps_per_env, 0, (size_t)t->num_envs * sizeof(int64_t));
}

void cm_rtrack_update(cm_return_tracker *t, const float *reward, const uint8_t *done) {
  double sum_ret = 0, sum_len = 0;
  int n = 0;
  for (int i = 0; i < t->num_envs; i++) {
    t->ret[i] += reward[i];
    t->len[i]++;
    if (done[i] != CM_DONE_NULL) {
      sum_ret += t->ret[i];
      sum_len += (double)t->len[i];
      n++;
      t->ret[i] = 0.f;
      t->len[i] = 0;
      t->eps_per_env[i]++;
    }
  }
  if (n == 0) return;
  /* running mean weighted by episode counts, as return_tracker.update */
  double total = (double)(t->episodes + n);
  double w_new = n / total, w_old = (double)t->episodes / total;
  t->mean_return = w_new * (sum_ret / n) + w_old * t->mean_return;
  t->mean_ep_len = w_new * (sum_len / n) + w_old * t->mean_ep_len;
  t->episodes += n;
}
