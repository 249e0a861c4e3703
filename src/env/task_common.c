#include "env/task_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/zalloc.h"
#include "env/env.h"

int cm_task_buf_alloc(cm_task_buf *t, int num_envs, cm_err *err) {
  size_t n = (size_t)num_envs;
  t->prev_root_pos = cm_zalloc(n * 3 * sizeof(float));
  t->change_time = cm_zalloc(n * sizeof(float));
  t->draws = cm_zalloc(n * sizeof(uint32_t));
  t->due = cm_zalloc(n * sizeof(int));
  if (!t->prev_root_pos || !t->change_time || !t->draws || !t->due)
    return cm_fail(err, "task env: out of memory for %d envs", num_envs);
  return 0;
}

void cm_task_buf_free(cm_task_buf *t) {
  free(t->prev_root_pos);
  free(t->change_time);
  free(t->draws);
  free(t->due);
  memset(t, 0, sizeof *t);
}

void cm_task_record_root(cm_env *e, cm_task_buf *t) {
  memcpy(t->prev_root_pos, e->engine->st.root_pos, sizeof(float) * 3 * (size_t)e->num_envs);
}

int cm_task_due(const cm_env *e, cm_task_buf *t) {
  int n = 0;
  for (int i = 0; i < e->num_envs; i++)
    if (e->time[i] >= t->change_time[i]) t->due[n++] = i;
  return n;
}

int cm_task_float(const cm_cfg *cfg, const char *key, int required, double def, float *out, cm_err *err) {
  double v = def;
  if ((required && cm_cfg_require(cfg, key, err)) || cm_cfg_float(cfg, key, def, &v, err)) return -1;
  char at[1200];
  if (!(v >= 0)) return cm_fail(err, "%s: must be a number >= 0 (got %g)", cm_env_cfg_at(cfg, key, at, sizeof at), v);
  *out = (float)v;
  return 0;
}
