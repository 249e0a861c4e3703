/* YAML config tree: libyaml's event parser builds the tree (keeping each node's line), typed
 * getters convert scalars strictly, and libyaml's emitter writes the tree back. */
#include "io/config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/bytebuf.h"
#include "core/fileio.h"

/* Deeper nesting than any config needs; bounds the recursion on hostile input. */
#define CM_CFG_MAX_DEPTH 128

/* ---------------------------------------------------------------- nodes */

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

static char *dup_s(const char *s) { return dup_n(s, strlen(s)); }

static cm_cfg *node_new(cm_cfg_kind kind, const char *file, int line, int col) {
  cm_cfg *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->kind = kind;
  c->line = line;
  c->col = col;
  c->file = dup_s(file ? file : "");
  if (!c->file) {
    free(c);
    return NULL;
  }
  return c;
}

void cm_cfg_free(cm_cfg *c) {
  if (!c) return;
  for (int i = 0; i < c->n; i++) {
    cm_cfg_free(c->items[i]);
    if (c->keys) free(c->keys[i]);
  }
  free(c->items);
  free(c->keys);
  free(c->key_lines);
  free(c->str);
  free(c->file);
  free(c);
}

/* Appends child (and, for maps, its key) to c; takes ownership of child only on success. */
static int node_append(cm_cfg *c, const char *key, int key_line, cm_cfg *child) {
  if (c->n == c->cap) {
    int cap = c->cap ? 2 * c->cap : 4;
    cm_cfg **items = realloc(c->items, (size_t)cap * sizeof *items);
    if (!items) return -1;
    c->items = items;
    if (c->kind == CM_CFG_MAP) {
      char **keys = realloc(c->keys, (size_t)cap * sizeof *keys);
      if (!keys) return -1;
      c->keys = keys;
      int *lines = realloc(c->key_lines, (size_t)cap * sizeof *lines);
      if (!lines) return -1;
      c->key_lines = lines;
    }
    c->cap = cap;
  }
  if (c->kind == CM_CFG_MAP) {
    char *k = dup_s(key);
    if (!k) return -1;
    c->keys[c->n] = k;
    c->key_lines[c->n] = key_line;
  }
  c->items[c->n++] = child;
  return 0;
}

static int map_index(const cm_cfg *map, const char *key) {
  if (!map || map->kind != CM_CFG_MAP) return -1;
  for (int i = 0; i < map->n; i++)
    if (strcmp(map->keys[i], key) == 0) return i;
  return -1;
}

static int is_null_text(const char *s) {
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* ---------------------------------------------------------------- parsing */

typedef struct {
  yaml_parser_t parser;
  const char *name;
  const char *text;
  cm_err *err;
} builder;

static int line_of_offset(const char *text, size_t off) {
  int line = 1;
  for (size_t i = 0; i < off && text[i]; i++)
    if (text[i] == '\n') line++;
  return line;
}

static int syntax_error(builder *b) {
  yaml_parser_t *p = &b->parser;
  if (p->error == YAML_MEMORY_ERROR) return cm_fail(b->err, "%s: out of memory", b->name);
  if (p->error == YAML_READER_ERROR)
    return cm_fail(b->err, "%s:%d: YAML syntax error: %s", b->name,
                   line_of_offset(b->text, p->problem_offset),
                   p->problem ? p->problem : "unreadable input");
  const char *problem = p->problem ? p->problem : "malformed YAML";
  int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
  if (p->context)
    return cm_fail(b->err, "%s:%d:%d: YAML syntax error: %s (%s at line %d)", b->name, line, col,
                   problem, p->context, (int)p->context_mark.line + 1);
  return cm_fail(b->err, "%s:%d:%d: YAML syntax error: %s", b->name, line, col, problem);
}

static int next_event(builder *b, yaml_event_t *ev) {
  if (!yaml_parser_parse(&b->parser, ev)) return syntax_error(b);
  return 0;
}

static int oom(builder *b) { return cm_fail(b->err, "%s: out of memory", b->name); }

/* Builds the node that starts with event ev (which the caller deletes). */
static int build_node(builder *b, const yaml_event_t *ev, int depth, cm_cfg **out) {
  int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
  *out = NULL;
  if (depth > CM_CFG_MAX_DEPTH)
    return cm_fail(b->err, "%s:%d:%d: nesting deeper than %d levels", b->name, line, col,
                   CM_CFG_MAX_DEPTH);
  if (ev->type == YAML_ALIAS_EVENT)
    return cm_fail(b->err, "%s:%d:%d: YAML aliases (*%s) are not supported", b->name, line, col,
                   (const char *)ev->data.alias.anchor);
  if (ev->type == YAML_SCALAR_EVENT) {
    cm_cfg *c = node_new(CM_CFG_SCALAR, b->name, line, col);
    if (!c) return oom(b);
    const char *tag = (const char *)ev->data.scalar.tag;
    c->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                (tag && strcmp(tag, YAML_STR_TAG) == 0);
    const char *v = (const char *)ev->data.scalar.value;
    c->str = (!c->quoted && is_null_text(v)) ? dup_s("null") : dup_n(v, ev->data.scalar.length);
    if (!c->str) {
      cm_cfg_free(c);
      return oom(b);
    }
    *out = c;
    return 0;
  }
  int is_map = ev->type == YAML_MAPPING_START_EVENT;
  if (!is_map && ev->type != YAML_SEQUENCE_START_EVENT)
    return cm_fail(b->err, "%s:%d:%d: unexpected YAML event", b->name, line, col);
  cm_cfg *c = node_new(is_map ? CM_CFG_MAP : CM_CFG_SEQ, b->name, line, col);
  if (!c) return oom(b);
  yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
  for (;;) {
    yaml_event_t kev, vev;
    if (next_event(b, &kev)) goto fail;
    if (kev.type == end) {
      yaml_event_delete(&kev);
      break;
    }
    const yaml_event_t *item_ev = &kev;
    char *key = NULL;
    int key_line = 0, have_vev = 0;
    if (is_map) {
      key_line = (int)kev.start_mark.line + 1;
      if (kev.type != YAML_SCALAR_EVENT) {
        cm_fail(b->err, "%s:%d:%d: map keys must be plain scalars", b->name, key_line,
                (int)kev.start_mark.column + 1);
        yaml_event_delete(&kev);
        goto fail;
      }
      key = dup_n((const char *)kev.data.scalar.value, kev.data.scalar.length);
      yaml_event_delete(&kev);
      if (!key) {
        oom(b);
        goto fail;
      }
      int prev = map_index(c, key);
      if (prev >= 0) {
        cm_fail(b->err, "%s:%d: duplicate key '%s' (first defined at line %d)", b->name, key_line,
                key, c->key_lines[prev]);
        free(key);
        goto fail;
      }
      if (next_event(b, &vev)) {
        free(key);
        goto fail;
      }
      item_ev = &vev;
      have_vev = 1;
    }
    cm_cfg *child;
    int rc = build_node(b, item_ev, depth + 1, &child);
    yaml_event_delete(have_vev ? &vev : &kev);
    if (rc == 0 && node_append(c, key, key_line, child)) {
      cm_cfg_free(child);
      rc = oom(b);
    }
    free(key);
    if (rc) goto fail;
  }
  *out = c;
  return 0;
fail:
  cm_cfg_free(c);
  return -1;
}

static int expect_event(builder *b, yaml_event_type_t type, yaml_event_t *ev) {
  if (next_event(b, ev)) return -1;
  if (ev->type != type) {
    int line = (int)ev->start_mark.line + 1;
    yaml_event_delete(ev);
    return cm_fail(b->err, "%s:%d: unexpected YAML structure", b->name, line);
  }
  return 0;
}

int cm_cfg_parse(const char *name, const char *text, cm_cfg **out, cm_err *err) {
  *out = NULL;
  builder b = {.name = name, .text = text, .err = err};
  if (!yaml_parser_initialize(&b.parser)) return cm_fail(err, "%s: out of memory", name);
  yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, strlen(text));
  yaml_event_t ev;
  cm_cfg *root = NULL;
  int rc = -1;
  if (expect_event(&b, YAML_STREAM_START_EVENT, &ev)) goto done;
  yaml_event_delete(&ev);
  if (next_event(&b, &ev)) goto done;
  if (ev.type == YAML_STREAM_END_EVENT) { /* empty file: an empty map, like an empty config */
    yaml_event_delete(&ev);
    root = node_new(CM_CFG_MAP, name, 1, 1);
    rc = root ? 0 : oom(&b);
    goto done;
  }
  yaml_event_delete(&ev);
  if (next_event(&b, &ev)) goto done;
  rc = build_node(&b, &ev, 0, &root);
  yaml_event_delete(&ev);
  if (rc) goto done;
  rc = -1;
  if (expect_event(&b, YAML_DOCUMENT_END_EVENT, &ev)) goto done;
  yaml_event_delete(&ev);
  if (next_event(&b, &ev)) goto done;
  if (ev.type != YAML_STREAM_END_EVENT) {
    cm_fail(err, "%s:%d: more than one YAML document (a config file holds one)", name,
            (int)ev.start_mark.line + 1);
    yaml_event_delete(&ev);
    goto done;
  }
  yaml_event_delete(&ev);
  rc = 0;
done:
  yaml_parser_delete(&b.parser);
  if (rc) {
    cm_cfg_free(root);
    return -1;
  }
  *out = root;
  return 0;
}

int cm_cfg_load(const char *path, cm_cfg **out, cm_err *err) {
  char *text;
  *out = NULL;
  if (cm_read_file(path, &text, NULL, err)) return -1;
  int rc = cm_cfg_parse(path, text, out, err);
  free(text);
  return rc;
}

/* ---------------------------------------------------------------- lookups and conversions */

const cm_cfg *cm_cfg_get(const cm_cfg *map, const char *key) {
  int i = map_index(map, key);
  return i < 0 ? NULL : map->items[i];
}

int cm_cfg_is_null(const cm_cfg *node) {
  return node && node->kind == CM_CFG_SCALAR && !node->quoted && !strcmp(node->str, "null");
}

/* Describes a node for "got ..." in messages: the scalar's text (shortened) or its kind. */
static const char *describe(const cm_cfg *node, char *buf, size_t size) {
  if (node->kind == CM_CFG_SEQ) return "a sequence";
  if (node->kind == CM_CFG_MAP) return "a map";
  size_t n = strlen(node->str);
  if (n > 60) snprintf(buf, size, "'%.57s...'", node->str);
  else snprintf(buf, size, "'%s'", node->str);
  return buf;
}

static int type_error(const cm_cfg *node, const char *key, const char *expected, cm_err *err) {
  char buf[80];
  return cm_fail(err, "%s:%d: key '%s': expected %s, got %s", node->file, node->line, key,
                 expected, describe(node, buf, sizeof buf));
}

static int is_int_text(const char *s) {
  if (*s == '+' || *s == '-') s++;
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

/* Decimal numbers only: [+-] digits [. digits] [e [+-] digits], at least one mantissa digit.
 * (strtod alone would also take "inf", "nan" and hex floats, which YAML does not.) */
static int is_float_text(const char *s) {
  int digits = 0;
  if (*s == '+' || *s == '-') s++;
  for (; *s >= '0' && *s <= '9'; s++) digits++;
  if (*s == '.')
    for (s++; *s >= '0' && *s <= '9'; s++) digits++;
  if (!digits) return 0;
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-') s++;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') s++;
  }
  return *s == 0;
}

static int yaml_special_float(const char *s, double *out) {
  double sign = 1;
  const char *t = s;
  if (*t == '+' || *t == '-') sign = *t++ == '-' ? -1 : 1;
  if (!strcmp(t, ".inf") || !strcmp(t, ".Inf") || !strcmp(t, ".INF")) {
    *out = sign * INFINITY;
    return 1;
  }
  if (t == s && (!strcmp(t, ".nan") || !strcmp(t, ".NaN") || !strcmp(t, ".NAN"))) {
    *out = NAN;
    return 1;
  }
  return 0;
}

int cm_cfg_as_int(const cm_cfg *node, const char *key, long *out, cm_err *err) {
  if (node->kind != CM_CFG_SCALAR || !is_int_text(node->str))
    return type_error(node, key, "an integer", err);
  errno = 0;
  long v = strtol(node->str, NULL, 10);
  if (errno == ERANGE) return type_error(node, key, "an integer in range", err);
  *out = v;
  return 0;
}

int cm_cfg_as_float(const cm_cfg *node, const char *key, double *out, cm_err *err) {
  if (node->kind != CM_CFG_SCALAR) return type_error(node, key, "a number", err);
  if (yaml_special_float(node->str, out)) return 0;
  if (!is_float_text(node->str)) return type_error(node, key, "a number", err);
  errno = 0;
  double v = strtod(node->str, NULL);
  if (errno == ERANGE && isinf(v)) return type_error(node, key, "a number in range", err);
  *out = v;
  return 0;
}

int cm_cfg_as_bool(const cm_cfg *node, const char *key, int *out, cm_err *err) {
  static const char *const yes[] = {"true", "True", "TRUE", "1"};
  static const char *const no[] = {"false", "False", "FALSE", "0"};
  if (node->kind == CM_CFG_SCALAR)
    for (int i = 0; i < 4; i++) {
      if (!strcmp(node->str, yes[i])) return *out = 1, 0;
      if (!strcmp(node->str, no[i])) return *out = 0, 0;
    }
  return type_error(node, key, "true or false", err);
}

/* The value under key, or NULL when absent or null; fails when map itself is not a map. */
static int lookup(const cm_cfg *map, const char *key, const cm_cfg **node, cm_err *err) {
  *node = NULL;
  if (!map) return 0;
  if (map->kind != CM_CFG_MAP)
    return cm_fail(err, "%s:%d: looking up key '%s': expected a map, got %s", map->file,
                   map->line, key, map->kind == CM_CFG_SEQ ? "a sequence" : "a scalar");
  const cm_cfg *v = cm_cfg_get(map, key);
  if (v && !cm_cfg_is_null(v)) *node = v;
  return 0;
}

int cm_cfg_str(const cm_cfg *map, const char *key, const char *def, const char **out, cm_err *err) {
  const cm_cfg *v;
  if (lookup(map, key, &v, err)) return -1;
  if (!v) return *out = def, 0;
  if (v->kind != CM_CFG_SCALAR) return type_error(v, key, "a string", err);
  *out = v->str;
  return 0;
}

int cm_cfg_int(const cm_cfg *map, const char *key, long def, long *out, cm_err *err) {
  const cm_cfg *v;
  if (lookup(map, key, &v, err)) return -1;
  if (!v) return *out = def, 0;
  return cm_cfg_as_int(v, key, out, err);
}

int cm_cfg_float(const cm_cfg *map, const char *key, double def, double *out, cm_err *err) {
  const cm_cfg *v;
  if (lookup(map, key, &v, err)) return -1;
  if (!v) return *out = def, 0;
  return cm_cfg_as_float(v, key, out, err);
}

int cm_cfg_bool(const cm_cfg *map, const char *key, int def, int *out, cm_err *err) {
  const cm_cfg *v;
  if (lookup(map, key, &v, err)) return -1;
  if (!v) return *out = def, 0;
  return cm_cfg_as_bool(v, key, out, err);
}

/* Shared checks of the sequence getters; returns the sequence or NULL (absent) via *seq. */
static int lookup_seq(const cm_cfg *map, const char *key, int max, const char *what,
                      const cm_cfg **seq, cm_err *err) {
  if (lookup(map, key, seq, err)) return -1;
  const cm_cfg *v = *seq;
  if (!v) return 0;
  char expected[64];
  snprintf(expected, sizeof expected, "a sequence of %s", what);
  if (v->kind != CM_CFG_SEQ) return type_error(v, key, expected, err);
  if (v->n > max)
    return cm_fail(err, "%s:%d: key '%s': expected at most %d %s, got %d", v->file, v->line, key,
                   max, what, v->n);
  return 0;
}

static int item_error(const cm_cfg *item, const char *key, int i, const char *expected,
                      cm_err *err) {
  char buf[80];
  return cm_fail(err, "%s:%d: key '%s' item %d: expected %s, got %s", item->file, item->line, key,
                 i, expected, describe(item, buf, sizeof buf));
}

int cm_cfg_floats(const cm_cfg *map, const char *key, double *out, int max, int *count,
                  cm_err *err) {
  const cm_cfg *v;
  if (lookup_seq(map, key, max, "numbers", &v, err)) return -1;
  if (!v) return 0;
  for (int i = 0; i < v->n; i++) {
    double x;
    if (v->items[i]->kind != CM_CFG_SCALAR || cm_cfg_as_float(v->items[i], key, &x, NULL))
      return item_error(v->items[i], key, i, "a number", err);
    out[i] = x;
  }
  *count = v->n;
  return 0;
}

int cm_cfg_strs(const cm_cfg *map, const char *key, const char **out, int max, int *count,
                cm_err *err) {
  const cm_cfg *v;
  if (lookup_seq(map, key, max, "strings", &v, err)) return -1;
  if (!v) return 0;
  for (int i = 0; i < v->n; i++) {
    if (v->items[i]->kind != CM_CFG_SCALAR)
      return item_error(v->items[i], key, i, "a string", err);
    out[i] = v->items[i]->str;
  }
  *count = v->n;
  return 0;
}

int cm_cfg_require(const cm_cfg *map, const char *key, cm_err *err) {
  const cm_cfg *v;
  if (lookup(map, key, &v, err)) return -1;
  if (v) return 0;
  if (!map) return cm_fail(err, "missing required key '%s'", key);
  if (map->line <= 1) return cm_fail(err, "%s: missing required key '%s'", map->file, key);
  return cm_fail(err, "%s:%d: missing required key '%s'", map->file, map->line, key);
}

int cm_cfg_check_keys(const cm_cfg *map, const char *const *known, cm_err *err) {
  if (!map || map->kind != CM_CFG_MAP) return 0;
  for (int i = 0; i < map->n; i++) {
    int found = 0;
    for (const char *const *k = known; *k && !found; k++) found = !strcmp(*k, map->keys[i]);
    if (found) continue;
    const char *near = cm_closest_name(map->keys[i], known);
    if (near)
      return cm_fail(err, "%s:%d: unknown key '%s' (did you mean '%s'?)", map->items[i]->file,
                     map->key_lines[i], map->keys[i], near);
    return cm_fail(err, "%s:%d: unknown key '%s'", map->items[i]->file, map->key_lines[i],
                   map->keys[i]);
  }
  return 0;
}

/* ---------------------------------------------------------------- typo suggestions */

int cm_edit_distance(const char *a, const char *b) {
  /* Optimal string alignment distance: insert, delete, substitute, swap neighbours. */
  size_t la = strlen(a), lb = strlen(b);
  int *rows = malloc(3 * (lb + 1) * sizeof *rows);
  if (!rows) return INT_MAX;
  int *pp = rows, *p = rows + lb + 1, *c = rows + 2 * (lb + 1);
  for (size_t j = 0; j <= lb; j++) p[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    c[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int cost = a[i - 1] != b[j - 1];
      int best = p[j - 1] + cost;
      if (p[j] + 1 < best) best = p[j] + 1;
      if (c[j - 1] + 1 < best) best = c[j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < best)
        best = pp[j - 2] + 1;
      c[j] = best;
    }
    int *t = pp;
    pp = p;
    p = c;
    c = t;
  }
  int d = p[lb];
  free(rows);
  return d;
}

const char *cm_closest_name(const char *word, const char *const *known) {
  /* A typo changes few letters: allow about one edit per three letters, at most three. */
  int limit = (int)(strlen(word) / 3);
  if (limit < 1) limit = 1;
  if (limit > 3) limit = 3;
  const char *best = NULL;
  int best_d = limit + 1;
  for (const char *const *k = known; *k; k++) {
    int d = cm_edit_distance(word, *k);
    if (d < best_d && d < (int)strlen(*k)) {
      best_d = d;
      best = *k;
    }
  }
  if (best || strlen(word) < 3) return best;
  /* an abbreviation (--sec for --seconds, --char for --char_file): the one name it begins */
  for (const char *const *k = known; *k; k++)
    if (!strncmp(*k, word, strlen(word))) {
      if (best) return NULL; /* begins several names: no guess */
      best = *k;
    }
  return best;
}

/* ---------------------------------------------------------------- changing trees */

cm_cfg *cm_cfg_new_map(const char *source) { return node_new(CM_CFG_MAP, source, 1, 1); }

cm_cfg *cm_cfg_clone(const cm_cfg *c) {
  cm_cfg *d = node_new(c->kind, c->file, c->line, c->col);
  if (!d) return NULL;
  d->quoted = c->quoted;
  if (c->str && !(d->str = dup_s(c->str))) goto fail;
  for (int i = 0; i < c->n; i++) {
    cm_cfg *child = cm_cfg_clone(c->items[i]);
    if (!child) goto fail;
    if (node_append(d, c->keys ? c->keys[i] : NULL, c->key_lines ? c->key_lines[i] : 0, child)) {
      cm_cfg_free(child);
      goto fail;
    }
  }
  return d;
fail:
  cm_cfg_free(d);
  return NULL;
}

int cm_cfg_equal(const cm_cfg *a, const cm_cfg *b) {
  if (a->kind != b->kind || a->n != b->n) return 0;
  if (a->kind == CM_CFG_SCALAR) return a->quoted == b->quoted && !strcmp(a->str, b->str);
  for (int i = 0; i < a->n; i++) {
    if (a->kind == CM_CFG_MAP && strcmp(a->keys[i], b->keys[i])) return 0;
    if (!cm_cfg_equal(a->items[i], b->items[i])) return 0;
  }
  return 1;
}

int cm_cfg_set_node(cm_cfg *map, const char *key, cm_cfg *node, cm_err *err) {
  if (!map || map->kind != CM_CFG_MAP) {
    cm_cfg_free(node);
    return cm_fail(err, "setting key '%s': not a map", key);
  }
  int i = map_index(map, key);
  if (i >= 0) {
    cm_cfg_free(map->items[i]);
    map->items[i] = node;
    map->key_lines[i] = node->line;
    return 0;
  }
  if (node_append(map, key, node->line, node)) {
    cm_cfg_free(node);
    return cm_fail(err, "setting key '%s': out of memory", key);
  }
  return 0;
}

int cm_cfg_merge(cm_cfg *dst, const cm_cfg *overlay, const char *const *skip, cm_err *err) {
  if (!dst || dst->kind != CM_CFG_MAP || !overlay || overlay->kind != CM_CFG_MAP)
    return cm_fail(err, "%s: merging configs: both must be maps", overlay ? overlay->file : "?");
  for (int i = 0; i < overlay->n; i++) {
    const char *key = overlay->keys[i];
    int skipped = 0;
    for (const char *const *k = skip; k && *k && !skipped; k++) skipped = !strcmp(*k, key);
    if (skipped) continue;
    const cm_cfg *src = overlay->items[i];
    int j = map_index(dst, key);
    if (j >= 0 && dst->items[j]->kind == CM_CFG_MAP && src->kind == CM_CFG_MAP) {
      if (cm_cfg_merge(dst->items[j], src, NULL, err)) return -1;
      continue;
    }
    cm_cfg *copy = cm_cfg_clone(src);
    if (!copy) return cm_fail(err, "%s: merging key '%s': out of memory", overlay->file, key);
    if (cm_cfg_set_node(dst, key, copy, err)) return -1;
    dst->key_lines[map_index(dst, key)] = overlay->key_lines[i];
  }
  return 0;
}

int cm_cfg_set(cm_cfg *root, const char *path, const char *value, const char *source,
               cm_err *err) {
  if (!root || root->kind != CM_CFG_MAP)
    return cm_fail(err, "%s: cannot set '%s': the config is not a map", source, path);
  if (!*path || path[0] == '.' || path[strlen(path) - 1] == '.' || strstr(path, ".."))
    return cm_fail(err, "%s: cannot set '%s': empty key in path", source, path);
  /* The value is YAML, except that blank text means null (YAML would read an empty document). */
  cm_cfg *node = NULL;
  if (strspn(value, " \t") == strlen(value)) {
    node = node_new(CM_CFG_SCALAR, source, 1, 1);
    if (!node || !(node->str = dup_s("null"))) {
      cm_cfg_free(node);
      return cm_fail(err, "%s: out of memory", source);
    }
  } else if (cm_cfg_parse(source, value, &node, err)) {
    return cm_wrap(err, "setting '%s'", path);
  }
  cm_cfg *map = root;
  char key[256];
  for (const char *p = path;;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n >= sizeof key) {
      cm_cfg_free(node);
      return cm_fail(err, "%s: cannot set '%s': key too long", source, path);
    }
    memcpy(key, p, n);
    key[n] = 0;
    if (!dot) return cm_cfg_set_node(map, key, node, err);
    int i = map_index(map, key);
    if (i < 0) {
      cm_cfg *sub = node_new(CM_CFG_MAP, source, 1, 1);
      if (!sub || cm_cfg_set_node(map, key, sub, err)) {
        cm_cfg_free(node);
        return cm_fail(err, "%s: out of memory", source);
      }
      i = map->n - 1;
    }
    cm_cfg *next = map->items[i];
    if (cm_cfg_is_null(next)) { /* "model:" with nothing under it becomes a map */
      cm_cfg *sub = node_new(CM_CFG_MAP, next->file, next->line, next->col);
      if (!sub) {
        cm_cfg_free(node);
        return cm_fail(err, "%s: out of memory", source);
      }
      cm_cfg_free(next);
      map->items[i] = next = sub;
    }
    if (next->kind != CM_CFG_MAP) {
      cm_fail(err, "%s: cannot set '%s': '%.*s' is not a map (%s:%d)", source, path,
              (int)(dot - path), path, next->file, next->line);
      cm_cfg_free(node);
      return -1;
    }
    map = next;
    p = dot + 1;
  }
}

int cm_cfg_override(cm_cfg *root, const char *assignment, const char *source, cm_err *err) {
  const char *eq = strchr(assignment, '=');
  if (!eq || eq == assignment)
    return cm_fail(err, "%s: override '%s': expected key=value", source, assignment);
  char path[512];
  if ((size_t)(eq - assignment) >= sizeof path)
    return cm_fail(err, "%s: override '%s': key too long", source, assignment);
  memcpy(path, assignment, (size_t)(eq - assignment));
  path[eq - assignment] = 0;
  return cm_cfg_set(root, path, eq + 1, source, err);
}

/* ---------------------------------------------------------------- writing */

/* libyaml's output callback: 1 = written, 0 = failed. */
static int write_handler(void *data, unsigned char *bytes, size_t size) {
  return cm_buf_put(data, bytes, size) == 0;
}

/* Plain words that stay plain inside a flow sequence ("[0, 0, 1.2]", "[head, right_hand]"). */
static int flow_safe(const cm_cfg *c) {
  if (c->kind != CM_CFG_SCALAR) return 0;
  if (c->quoted) return 1;
  if (!*c->str) return 0;
  for (const char *s = c->str; *s; s++)
    if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
        !strchr("_.+-/", *s))
      return 0;
  return c->str[0] != '-' || c->str[1] != 0;
}

/* A line break or other control character: libyaml would pick a multi-line single-quoted style
 * for it, which it cannot read back at the top level, so such text is written double-quoted
 * (with escapes). It reads back as quoted, which changes nothing: it is no number, bool or null. */
static int needs_escapes(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
  return 0;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, int quoted) {
  yaml_event_t ev;
  quoted = quoted || needs_escapes(s);
  if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
                                    quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                           : YAML_PLAIN_SCALAR_STYLE))
    return -1; /* not UTF-8 */
  return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

static int emit_node(yaml_emitter_t *em, const cm_cfg *c) {
  yaml_event_t ev;
  if (c->kind == CM_CFG_SCALAR) return emit_scalar(em, c->str, c->quoted);
  if (c->kind == CM_CFG_SEQ) {
    int flow = c->n > 0;
    for (int i = 0; i < c->n && flow; i++) flow = flow_safe(c->items[i]);
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                         flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    if (!yaml_emitter_emit(em, &ev)) return -1;
    for (int i = 0; i < c->n; i++)
      if (emit_node(em, c->items[i])) return -1;
    yaml_sequence_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev) ? 0 : -1;
  }
  yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
  if (!yaml_emitter_emit(em, &ev)) return -1;
  for (int i = 0; i < c->n; i++)
    if (emit_scalar(em, c->keys[i], 0) || emit_node(em, c->items[i])) return -1;
  yaml_mapping_end_event_initialize(&ev);
  return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

int cm_cfg_write(const cm_cfg *c, char **text, cm_err *err) {
  *text = NULL;
  yaml_emitter_t em;
  cm_buf m = {0};
  if (!yaml_emitter_initialize(&em)) return cm_fail(err, "writing YAML: out of memory");
  yaml_emitter_set_output(&em, write_handler, &m);
  yaml_emitter_set_unicode(&em, 1);
  yaml_emitter_set_indent(&em, 2);
  yaml_emitter_set_width(&em, -1); /* keep long lists such as init_pose on one line */
  yaml_event_t ev;
  int ok = 1;
  yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
  ok = ok && yaml_emitter_emit(&em, &ev);
  yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
  ok = ok && yaml_emitter_emit(&em, &ev);
  ok = ok && emit_node(&em, c) == 0;
  yaml_document_end_event_initialize(&ev, 1);
  ok = ok && yaml_emitter_emit(&em, &ev);
  yaml_stream_end_event_initialize(&ev);
  ok = ok && yaml_emitter_emit(&em, &ev);
  ok = ok && yaml_emitter_flush(&em);
  if (!ok) {
    int rc = cm_fail(err, "writing YAML: %s", em.problem ? em.problem : "text is not valid UTF-8");
    yaml_emitter_delete(&em);
    cm_buf_free(&m);
    return rc;
  }
  yaml_emitter_delete(&em);
  if (cm_buf_put(&m, "", 0)) return cm_fail(err, "writing YAML: out of memory");
  *text = (char *)m.data;
  return 0;
}

int cm_cfg_save(const cm_cfg *c, const char *path, cm_err *err) {
  char *text;
  if (cm_cfg_write(c, &text, err)) return cm_wrap(err, "%s", path);
  int rc = cm_write_file_atomic(path, text, strlen(text), err);
  free(text);
  return rc;
}

int cm_cfg_positive(const cm_cfg *map, const char *key, double def, double *out, cm_err *err) {
  if (cm_cfg_float(map, key, def, out, err)) return -1;
  if (*out > 0) return 0;
  const cm_cfg *n = cm_cfg_get(map, key);
  if (!n) return cm_fail(err, "%s: key '%s': must be positive, got %g", map->file, key, *out);
  return cm_fail(err, "%s:%d: key '%s': must be positive, got %g", n->file, n->line, key, *out);
}
