#include "harness/cases.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"
#include "io/args.h"
#include "io/config.h"

static const char *const k_methods[] = {"add", "amp", "ase", "deepmimic", "vault", "dof", "view", NULL};

/* Bounded copy that truncates silently (paths longer than the fields are not expected). */
static void copy(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap) n = cap - 1;
  if (n) memcpy(dst, src, n);
  dst[n] = 0;
}

static int starts_with(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

/* The method is the file-name prefix before the first '_' (known names first, so "dof_test"
 * is "dof" and "view_motion" is "view"). */
static void method_of(const char *name, char *out, size_t cap) {
  for (int i = 0; k_methods[i]; i++) {
    size_t n = strlen(k_methods[i]);
    if (!strncmp(name, k_methods[i], n) && (name[n] == '_' || name[n] == '.')) {
      copy(out, cap, k_methods[i]);
      return;
    }
  }
  size_t n = strcspn(name, "_.");
  snprintf(out, cap, "%.*s", (int)n, name);
}

static void character_of(const char *char_file, char *out, size_t cap) {
  const char *base = strrchr(char_file, '/');
  base = base ? base + 1 : char_file;
  size_t n = strcspn(base, ".");
  snprintf(out, cap, "%.*s", (int)n, base);
}

static int describe(const char *path, cm_case *c, cm_err *err) {
  memset(c, 0, sizeof *c);
  const char *slash = strrchr(path, '/');
  copy(c->name, sizeof c->name, slash ? slash + 1 : path);
  copy(c->path, sizeof c->path, path);
  method_of(c->name, c->method, sizeof c->method);
  cm_args a = {0};
  int rc = -1;
  if (cm_args_load_file(&a, path, err)) goto done;
  copy(c->env_config, sizeof c->env_config, cm_args_str(&a, "env_config", ""));
  copy(c->agent_config, sizeof c->agent_config, cm_args_str(&a, "agent_config", ""));
  copy(c->engine_config, sizeof c->engine_config, cm_args_str(&a, "engine_config", ""));
  if (cm_args_int(&a, "num_envs", 0, &c->num_envs, err)) goto done;
  c->trainable = !starts_with(c->name, "dof_test_") && !starts_with(c->name, "view_motion_") && c->agent_config[0];
  c->pi_plus = strstr(c->name, "pi_plus") != NULL;
  c->amp_pi_plus = c->pi_plus && !strcmp(c->method, "amp");
  copy(c->character, sizeof c->character, "unknown");
  if (c->env_config[0]) {
    cm_cfg *env = NULL;
    const char *char_file = NULL;
    if (cm_cfg_load(c->env_config, &env, err) || cm_cfg_str(env, "char_file", "", &char_file, err)) {
      cm_cfg_free(env);
      cm_wrap(err, "case %s", c->name);
      goto done;
    }
    if (char_file[0]) character_of(char_file, c->character, sizeof c->character);
    cm_cfg_free(env);
  }
  c->steps_per_iter = 32;
  copy(c->variant, sizeof c->variant, "base");
  copy(c->variant_agent, sizeof c->variant_agent, c->agent_config);
  if (c->agent_config[0]) {
    cm_cfg *agent = NULL;
    if (cm_cfg_load(c->agent_config, &agent, err) || cm_cfg_int(agent, "steps_per_iter", 32, &c->steps_per_iter, err)) {
      cm_cfg_free(agent);
      cm_wrap(err, "case %s", c->name);
      goto done;
    }
    cm_cfg_free(agent);
    /* the seeds' pi-plus "hiutil" agent variant, when the repo ships one */
    char hi[600];
    size_t n = strlen(c->agent_config);
    if (c->pi_plus && n > 5 && !strcmp(c->agent_config + n - 5, ".yaml")) {
      snprintf(hi, sizeof hi, "%.*s_hiutil.yaml", (int)(n - 5), c->agent_config);
      if (cm_file_exists(hi)) {
        copy(c->variant, sizeof c->variant, "hiutil");
        copy(c->variant_agent, sizeof c->variant_agent, hi);
      }
    }
  }
  rc = 0;
done:
  cm_args_free(&a);
  return rc;
}

static int by_name(const void *a, const void *b) { return strcmp(((const cm_case *)a)->name, ((const cm_case *)b)->name); }

static int push(cm_case_list *l, const cm_case *c) {
  cm_case *items = realloc(l->items, sizeof *items * (size_t)(l->n + 1));
  if (!items) return -1;
  l->items = items;
  l->items[l->n++] = *c;
  return 0;
}

int cm_cases_discover(const char *args_dir, const char *only, int include_nontrainable, cm_case_list *all,
                      cm_case_list *sel, cm_err *err) {
  memset(all, 0, sizeof *all);
  memset(sel, 0, sizeof *sel);
  DIR *d = opendir(args_dir);
  if (!d) return cm_fail(err, "%s: cannot list the case folder", args_dir);
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d)) && !rc) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".txt") || e->d_name[0] == '.') continue;
    char path[1024];
    cm_case c;
    snprintf(path, sizeof path, "%s/%s", args_dir, e->d_name);
    rc = describe(path, &c, err) || push(all, &c);
  }
  closedir(d);
  if (rc) goto fail;
  qsort(all->items, (size_t)all->n, sizeof *all->items, by_name);
  if (only && *only) {
    char buf[4096];
    copy(buf, sizeof buf, only);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      const char *base = strrchr(tok, '/') ? strrchr(tok, '/') + 1 : tok;
      int found = -1;
      for (int i = 0; i < all->n; i++)
        if (!strcmp(all->items[i].name, base)) found = i;
      if (found < 0) {
        cm_fail(err, "--cases: no case '%s' in %s/", base, args_dir);
        goto fail;
      }
      if (push(sel, &all->items[found])) goto oom;
    }
  } else {
    for (int i = 0; i < all->n; i++)
      if (push(sel, &all->items[i])) goto oom;
  }
  /* non-trainable cases run only when asked for */
  int k = 0;
  for (int i = 0; i < sel->n; i++)
    if (sel->items[i].trainable || include_nontrainable) sel->items[k++] = sel->items[i];
  sel->n = k;
  if (sel->n == 0) {
    cm_fail(err, "no case selected in %s/ (non-trainable cases need --include-nontrainable)", args_dir);
    goto fail;
  }
  return 0;
oom:
  cm_fail(err, "out of memory listing cases");
fail:
  cm_cases_free(all);
  cm_cases_free(sel);
  return -1;
}

int cm_cases_write_manifest(const cm_case_list *all, const cm_case_list *sel, const char *path, cm_err *err) {
  size_t cap = 4096 + (size_t)all->n * 2400, used = 0;
  char *buf = malloc(cap);
  if (!buf) return cm_fail(err, "out of memory writing %s", path);
  used += (size_t)snprintf(buf + used, cap - used,
                           "case\tmethod\tcharacter\ttrainable\tselected\tnum_envs\tenv_config\tagent_config\tengine_config\n");
  for (int i = 0; i < all->n; i++) {
    const cm_case *c = &all->items[i];
    int selected = 0;
    for (int j = 0; j < sel->n; j++) selected |= !strcmp(sel->items[j].name, c->name);
    used += (size_t)snprintf(buf + used, cap - used, "%s\t%s\t%s\t%d\t%d\t%ld\t%s\t%s\t%s\n", c->name, c->method,
                             c->character, c->trainable, selected, c->num_envs, c->env_config, c->agent_config,
                             c->engine_config);
  }
  int rc = cm_write_file_atomic(path, buf, used, err);
  free(buf);
  return rc;
}

void cm_cases_free(cm_case_list *l) {
  free(l->items);
  l->items = NULL;
  l->n = 0;
}
