/* Key/value statistics and episode-return tracking (return_tracker.py) for the agent's log. */
#include "learn/agent.h"

#include <stdlib.h>
#include <string.h>

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

/* the rows' words in the block: ep_ret, ep_len (doubles first, for their alignment), then ret,
 * len, eps, bad; one fill of zero bits resets them all */
#define RT_WORDS 8

int cm_rtrack_create(cm_return_tracker *t, const cm_dev *dev, int num_envs, cm_err *err) {
  memset(t, 0, sizeof *t);
  t->dev = dev;
  t->num_envs = num_envs;
  size_t n = (size_t)num_envs;
  if (!(t->block = cm_dev_alloc(dev, RT_WORDS * n, err))) return cm_wrap(err, "return tracker");
  cm_rtrack_rows *r = &t->rows;
  r->ep_ret = (double *)t->block;
  r->ep_len = r->ep_ret + n;
  r->ret = (float *)(r->ep_len + n);
  r->len = (int *)(r->ret + n);
  r->eps = r->len + n;
  r->bad = r->eps + n;
  return 0;
}

void cm_rtrack_destroy(cm_return_tracker *t) {
  if (t->dev) cm_dev_free(t->dev, t->block);
  memset(t, 0, sizeof *t);
}

void cm_rtrack_reset(cm_return_tracker *t) {
  t->episodes = 0;
  t->mean_return = t->mean_ep_len = 0.0;
  t->bad = t->below = 0;
  t->dev->ops->fill(t->block, 0.f, RT_WORDS * (size_t)t->num_envs);
}

void cm_rtrack_update(cm_return_tracker *t, const float *reward, const uint8_t *done) {
  t->dev->ops->rtrack_step(&t->rows, reward, done, t->num_envs);
}

void cm_rtrack_read(cm_return_tracker *t, int min_eps) {
  double s[CM_RT_N];
  t->dev->ops->rtrack_sums(&t->rows, t->num_envs, min_eps, s);
  cm_rtrack_set(t, s);
}

void cm_rtrack_set(cm_return_tracker *t, const double *s) {
  t->episodes = (int64_t)s[CM_RT_EPISODES];
  t->mean_return = t->episodes > 0 ? s[CM_RT_SUM_RET] / s[CM_RT_EPISODES] : 0.0;
  t->mean_ep_len = t->episodes > 0 ? s[CM_RT_SUM_LEN] / s[CM_RT_EPISODES] : 0.0;
  t->bad = (int)s[CM_RT_BAD];
  t->below = (int)s[CM_RT_BELOW];
}
