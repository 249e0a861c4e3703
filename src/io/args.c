/* MimicKit-style "--key values..." arguments from the command line and arg files. */
#include "io/args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "io/config.h"

typedef struct {
  const char *text;
  int line; /* 0 on the command line */
} token;

static void arg_clear(cm_arg *g) {
  for (int i = 0; i < g->nvals; i++) free(g->vals[i]);
  free(g->vals);
  free(g->val_lines);
  free(g->key);
  free(g->file);
  memset(g, 0, sizeof *g);
}

void cm_args_free(cm_args *a) {
  for (int i = 0; i < a->n; i++) arg_clear(&a->items[i]);
  free(a->items);
  memset(a, 0, sizeof *a);
}

static const cm_arg *find(const cm_args *a, const char *key) {
  for (int i = 0; i < a->n; i++)
    if (!strcmp(a->items[i].key, key)) return &a->items[i];
  return NULL;
}

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = 0;
  }
  return d;
}

static int add_value(cm_arg *g, const char *text, int line) {
  char **vals = realloc(g->vals, (size_t)(g->nvals + 1) * sizeof *vals);
  if (!vals) return -1;
  g->vals = vals;
  int *lines = realloc(g->val_lines, (size_t)(g->nvals + 1) * sizeof *lines);
  if (!lines) return -1;
  g->val_lines = lines;
  if (!(g->vals[g->nvals] = dup_n(text, strlen(text)))) return -1;
  g->val_lines[g->nvals++] = line;
  return 0;
}

/* Keeps g (taking its contents) unless an earlier source defined its key; a repeat within the
 * same source replaces the earlier value (the last occurrence wins). */
static int commit(cm_args *a, cm_arg *g) {
  if (!g->key) return 0;
  for (int i = 0; i < a->n; i++) {
    cm_arg *old = &a->items[i];
    if (strcmp(old->key, g->key)) continue;
    if (old->source != g->source) { /* an earlier source outranks this one */
      arg_clear(g);
      return 0;
    }
    arg_clear(old);
    *old = *g;
    memset(g, 0, sizeof *g);
    return 0;
  }
  if (a->n == a->cap) {
    int cap = a->cap ? 2 * a->cap : 16;
    cm_arg *items = realloc(a->items, (size_t)cap * sizeof *items);
    if (!items) {
      arg_clear(g);
      return -1;
    }
    a->items = items;
    a->cap = cap;
  }
  a->items[a->n++] = *g;
  memset(g, 0, sizeof *g);
  return 0;
}

static int is_flag(const char *s) { return s[0] == '-' && s[1] == '-' && s[2]; }

/* Writes "command line" or "<file>:<line>" into buf. */
static const char *where(const char *file, int line, char *buf, size_t size) {
  if (!file) return "command line";
  snprintf(buf, size, "%s:%d", file, line);
  return buf;
}

static int add_tokens(cm_args *a, const token *toks, int n, const char *file, cm_err *err) {
  cm_arg cur = {0};
  char wbuf[512];
  int source = ++a->sources;
  for (int i = 0; i < n; i++) {
    const char *t = toks[i].text;
    if (is_flag(t)) {
      if (commit(a, &cur)) goto oom;
      const char *eq = strchr(t + 2, '=');
      size_t klen = eq ? (size_t)(eq - t - 2) : strlen(t + 2);
      if (klen == 0) {
        cm_fail(err, "%s: empty flag name in '%s'", where(file, toks[i].line, wbuf, sizeof wbuf),
                t);
        goto fail;
      }
      cur.key = dup_n(t + 2, klen);
      cur.line = toks[i].line;
      cur.source = source;
      cur.file = file ? dup_n(file, strlen(file)) : NULL;
      if (!cur.key || (file && !cur.file)) goto oom;
      if (eq && add_value(&cur, eq + 1, toks[i].line)) goto oom;
    } else if (!cur.key) {
      cm_fail(err, "%s: unexpected value '%s' before any --flag",
              where(file, toks[i].line, wbuf, sizeof wbuf), t);
      goto fail;
    } else if (add_value(&cur, t, toks[i].line)) {
      goto oom;
    }
  }
  if (commit(a, &cur)) goto oom;
  return 0;
oom:
  cm_fail(err, "%s: out of memory", file ? file : "command line");
fail:
  arg_clear(&cur);
  return -1;
}

int cm_args_parse_argv(cm_args *a, int argc, char **argv, cm_err *err) {
  if (argc <= 0) return 0;
  token *toks = malloc((size_t)argc * sizeof *toks);
  if (!toks) return cm_fail(err, "command line: out of memory");
  for (int i = 0; i < argc; i++) toks[i] = (token){argv[i], 0};
  int rc = add_tokens(a, toks, argc, NULL, err);
  free(toks);
  return rc;
}

int cm_args_load_file(cm_args *a, const char *path, cm_err *err) {
  char *text;
  size_t len;
  if (cm_read_file(path, &text, &len, err)) return -1;
  /* Cut the text into NUL-terminated tokens in place; at most one token per two bytes. */
  token *toks = malloc((len / 2 + 1) * sizeof *toks);
  if (!toks) {
    free(text);
    return cm_fail(err, "%s: out of memory", path);
  }
  int n = 0, line = 1;
  char *p = text;
  while (*p) {
    char *eol = p + strcspn(p, "\r\n");
    char end = *eol;
    *eol = 0;
    /* Within the line: tokens until the end or a comment ('#' at the start of a token). */
    char *q = p;
    for (;;) {
      while (*q && isspace((unsigned char)*q)) q++;
      if (!*q || *q == '#') break;
      char *s = q;
      while (*q && !isspace((unsigned char)*q)) q++;
      toks[n++] = (token){s, line};
      if (*q) *q++ = 0;
    }
    if (!end) break;
    if (end == '\r' && eol[1] == '\n') eol++; /* CRLF is one line break */
    line++;
    p = eol + 1;
  }
  int rc = add_tokens(a, toks, n, path, err);
  free(toks);
  free(text);
  return rc;
}

int cm_args_load(cm_args *a, int argc, char **argv, cm_err *err) {
  if (cm_args_parse_argv(a, argc, argv, err)) return -1;
  const char *file = cm_args_str(a, "arg_file", "");
  if (!*file) return 0;
  /* The file name lives in a; copy it, since loading may grow a->items. */
  char *path = dup_n(file, strlen(file));
  if (!path) return cm_fail(err, "command line: out of memory");
  int rc = cm_args_load_file(a, path, err);
  free(path);
  return rc;
}

int cm_args_set_default(cm_args *a, const char *key, const char *value, const char *file, int line, cm_err *err) {
  for (int i = 0; i < a->n; i++)
    if (!strcmp(a->items[i].key, key) && !a->items[i].file) return 0; /* the command line's stays */
  cm_arg g = {0};
  g.key = dup_n(key, strlen(key));
  g.file = dup_n(file, strlen(file));
  g.line = line;
  g.source = ++a->sources;
  if (!g.key || !g.file || add_value(&g, value, line)) {
    arg_clear(&g);
    return cm_fail(err, "%s: out of memory", file);
  }
  for (int i = 0; i < a->n; i++) /* an arg file's value gives way */
    if (!strcmp(a->items[i].key, key)) {
      arg_clear(&a->items[i]);
      a->items[i] = g;
      return 1;
    }
  if (commit(a, &g)) return cm_fail(err, "%s: out of memory", file); /* no such key yet: appended */
  return 1;
}

/* ---------------------------------------------------------------- lookups */

int cm_args_has(const cm_args *a, const char *key) { return find(a, key) != NULL; }

const char *cm_args_str(const cm_args *a, const char *key, const char *def) {
  const cm_arg *g = find(a, key);
  return g && g->nvals > 0 ? g->vals[0] : def;
}

int cm_args_count(const cm_args *a, const char *key) {
  const cm_arg *g = find(a, key);
  return g ? g->nvals : 0;
}

const char *cm_args_at(const cm_args *a, const char *key, int i) {
  const cm_arg *g = find(a, key);
  return g && i >= 0 && i < g->nvals ? g->vals[i] : NULL;
}

/* The single value of key for a typed getter: NULL (use the default) when absent; -1 with a
 * message when there is not exactly one value. */
static int single_value(const cm_args *a, const char *key, const char *expected, const cm_arg **g,
                        cm_err *err) {
  char wbuf[512];
  *g = find(a, key);
  if (!*g) return 0;
  const cm_arg *v = *g;
  if (v->nvals == 1) return 0;
  const char *src = where(v->file, v->line, wbuf, sizeof wbuf);
  if (v->nvals == 0) return cm_fail(err, "%s: --%s: expected %s, got no value", src, key, expected);
  return cm_fail(err, "%s: --%s: expected one value (%s), got %d: '%s' '%s'%s", src, key, expected,
                 v->nvals, v->vals[0], v->vals[1], v->nvals > 2 ? " ..." : "");
}

static int bad_value(const cm_arg *g, const char *expected, cm_err *err) {
  char wbuf[512];
  return cm_fail(err, "%s: --%s: expected %s, got '%s'",
                 where(g->file, g->val_lines[0], wbuf, sizeof wbuf), g->key, expected, g->vals[0]);
}

int cm_args_int(const cm_args *a, const char *key, long def, long *out, cm_err *err) {
  const cm_arg *g;
  if (single_value(a, key, "an integer", &g, err)) return -1;
  if (!g) return *out = def, 0;
  const char *s = g->vals[0], *d = s + (*s == '-' || *s == '+');
  if (!*d || strspn(d, "0123456789") != strlen(d)) return bad_value(g, "an integer", err);
  errno = 0;
  long v = strtol(s, NULL, 10);
  if (errno == ERANGE) return bad_value(g, "an integer in range", err);
  *out = v;
  return 0;
}

int cm_args_float(const cm_args *a, const char *key, double def, double *out, cm_err *err) {
  const cm_arg *g;
  if (single_value(a, key, "a number", &g, err)) return -1;
  if (!g) return *out = def, 0;
  const char *s = g->vals[0];
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  /* strtod also reads hex floats; a number on a command line is decimal. */
  if (end == s || *end || strchr(s, 'x') || strchr(s, 'X')) return bad_value(g, "a number", err);
  if (errno == ERANGE && (v > 1 || v < -1)) return bad_value(g, "a number in range", err);
  *out = v;
  return 0;
}

int cm_args_bool(const cm_args *a, const char *key, int def, int *out, cm_err *err) {
  static const char *const yes[] = {"true", "True", "TRUE", "1", "T", "t"};
  static const char *const no[] = {"false", "False", "FALSE", "0", "F", "f"};
  const cm_arg *g;
  if (single_value(a, key, "true or false", &g, err)) return -1;
  if (!g) return *out = def, 0;
  for (int i = 0; i < 6; i++) {
    if (!strcmp(g->vals[0], yes[i])) return *out = 1, 0;
    if (!strcmp(g->vals[0], no[i])) return *out = 0, 0;
  }
  return bad_value(g, "true or false", err);
}

int cm_args_check_known(const cm_args *a, const char *const *known, cm_err *err) {
  char wbuf[512];
  for (int i = 0; i < a->n; i++) {
    const cm_arg *g = &a->items[i];
    int found = 0;
    for (const char *const *k = known; *k && !found; k++) found = !strcmp(*k, g->key);
    if (found) continue;
    const char *src = where(g->file, g->line, wbuf, sizeof wbuf);
    const char *near = cm_closest_name(g->key, known);
    if (near) return cm_fail(err, "%s: unknown flag --%s (did you mean --%s?)", src, g->key, near);
    return cm_fail(err, "%s: unknown flag --%s", src, g->key);
  }
  return 0;
}
