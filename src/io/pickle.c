/* Pickle reader (protocols 0..5) and writer (2..5). See pickle.h for the node model. */
#include "io/pickle.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"

/* ---------------------------------------------------------------- nodes */

#define CM_PK_BLOCK_NODES 256
struct cm_pk_block {
  cm_pk_block *next;
  size_t used;
  cm_pk nodes[CM_PK_BLOCK_NODES];
};

void cm_pk_doc_free(cm_pk_doc *doc) {
  if (!doc) return;
  cm_pk_block *b = doc->blocks;
  while (b) {
    for (size_t i = 0; i < b->used; i++) {
      cm_pk *v = &b->nodes[i];
      free(v->s);
      free(v->name);
      free(v->items);
      free(v->data);
    }
    cm_pk_block *next = b->next;
    free(b);
    b = next;
  }
  doc->blocks = NULL;
  doc->root = NULL;
}

static cm_pk *node_new(cm_pk_doc *doc, cm_pk_type type) {
  cm_pk_block *b = doc->blocks;
  if (!b || b->used == CM_PK_BLOCK_NODES) {
    b = malloc(sizeof *b);
    if (!b) return NULL;
    b->next = doc->blocks;
    b->used = 0;
    doc->blocks = b;
  }
  cm_pk *v = &b->nodes[b->used++];
  memset(v, 0, sizeof *v);
  v->type = type;
  return v;
}

static int node_add(cm_pk *v, cm_pk *item) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 4;
    cm_pk **ni = realloc(v->items, cap * sizeof *ni);
    if (!ni) return -1;
    v->items = ni;
    v->cap = cap;
  }
  v->items[v->n++] = item;
  return 0;
}

static char *copy_bytes(const void *p, size_t n) {
  char *s = malloc(n + 1);
  if (!s) return NULL;
  if (n) memcpy(s, p, n);
  s[n] = 0;
  return s;
}

/* ---------------------------------------------------------------- tree helpers */

const char *cm_pk_type_name(cm_pk_type t) {
  static const char *names[] = {"None", "bool", "int", "float", "str", "bytes", "list", "tuple",
                                "dict", "global", "call", "persistent id", "ndarray", "dtype", "mark"};
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

cm_pk *cm_pk_dict_get(const cm_pk *d, const char *key) {
  if (!d || d->type != CM_PK_DICT) return NULL;
  size_t kl = strlen(key);
  for (size_t i = 0; i + 1 < d->n; i += 2) {
    const cm_pk *k = d->items[i];
    if (k->type == CM_PK_STR && k->len == kl && memcmp(k->s, key, kl) == 0) return d->items[i + 1];
  }
  return NULL;
}

int cm_pk_is_global(const cm_pk *v, const char *module, const char *name) {
  return v && v->type == CM_PK_GLOBAL && strcmp(v->s, module) == 0 && strcmp(v->name, name) == 0;
}

long cm_pk_len(const cm_pk *v) {
  if (!v) return -1;
  if (v->type == CM_PK_LIST || v->type == CM_PK_TUPLE) return (long)v->n;
  if (v->type == CM_PK_DICT) return (long)(v->n / 2);
  return -1;
}

int cm_pk_number(const cm_pk *v, double *out) {
  if (!v) return -1;
  if (v->type == CM_PK_INT || v->type == CM_PK_BOOL) *out = (double)v->i;
  else if (v->type == CM_PK_FLOAT) *out = v->f;
  else return -1;
  return 0;
}

size_t cm_pk_array_count(const cm_pk *v) {
  if (!v || v->type != CM_PK_ARRAY || v->ndim < 0) return 0;
  size_t n = 1;
  for (int d = 0; d < v->ndim; d++) n *= (size_t)v->shape[d];
  return n;
}

/* ---------------------------------------------------------------- parser state */

typedef struct parser {
  const unsigned char *p;
  size_t len, pos, op; /* op: offset of the opcode being executed */
  const char *name;
  cm_err *err;
  cm_pk_doc *doc;
  cm_pk **stack;
  size_t sn, scap;
  size_t *marks;
  size_t mn, mcap;
  cm_pk **memo;
  size_t memocap, memocount; /* memocount: filled slots, Python's len(memo) */
} parser;

static int fail_at(parser *ps, const char *what) {
  return cm_fail(ps->err, "%s: pickle: %s at byte %zu", ps->name, what, ps->op);
}
static int oom(parser *ps) { return fail_at(ps, "out of memory"); }

static int need(parser *ps, size_t k) {
  if (ps->len - ps->pos < k) return cm_fail(ps->err, "%s: pickle: truncated at byte %zu", ps->name, ps->op);
  return 0;
}

static cm_pk *mk(parser *ps, cm_pk_type t) {
  cm_pk *v = node_new(ps->doc, t);
  if (!v) oom(ps);
  return v;
}

static int push(parser *ps, cm_pk *v) {
  if (!v) return -1;
  if (ps->sn == ps->scap) {
    size_t cap = ps->scap ? ps->scap * 2 : 64;
    cm_pk **ns = realloc(ps->stack, cap * sizeof *ns);
    if (!ns) return oom(ps);
    ps->stack = ns;
    ps->scap = cap;
  }
  ps->stack[ps->sn++] = v;
  return 0;
}

static size_t mark_floor(const parser *ps) { return ps->mn ? ps->marks[ps->mn - 1] : 0; }

static cm_pk *pop(parser *ps) {
  if (ps->sn <= mark_floor(ps)) {
    fail_at(ps, "stack underflow");
    return NULL;
  }
  return ps->stack[--ps->sn];
}

static cm_pk *top(parser *ps) {
  if (ps->sn <= mark_floor(ps)) {
    fail_at(ps, "stack underflow");
    return NULL;
  }
  return ps->stack[ps->sn - 1];
}

/* Removes the topmost mark; *start receives the stack index of the first item above it. */
static int pop_mark(parser *ps, size_t *start) {
  if (!ps->mn) return fail_at(ps, "no MARK on the stack");
  *start = ps->marks[--ps->mn];
  return 0;
}

static int push_mark(parser *ps) {
  if (ps->mn == ps->mcap) {
    size_t cap = ps->mcap ? ps->mcap * 2 : 16;
    size_t *nm = realloc(ps->marks, cap * sizeof *nm);
    if (!nm) return oom(ps);
    ps->marks = nm;
    ps->mcap = cap;
  }
  ps->marks[ps->mn++] = ps->sn;
  return 0;
}

static int memo_put(parser *ps, uint64_t idx, cm_pk *v) {
  /* Python numbers memo entries consecutively, so a valid index never exceeds the file length. */
  if (idx > ps->len) return fail_at(ps, "memo index too large");
  if (idx >= ps->memocap) {
    size_t cap = ps->memocap ? ps->memocap : 64;
    while (cap <= idx) cap *= 2;
    cm_pk **nm = realloc(ps->memo, cap * sizeof *nm);
    if (!nm) return oom(ps);
    memset(nm + ps->memocap, 0, (cap - ps->memocap) * sizeof *nm);
    ps->memo = nm;
    ps->memocap = cap;
  }
  if (!ps->memo[idx]) ps->memocount++;
  ps->memo[idx] = v;
  return 0;
}

static int memo_get(parser *ps, uint64_t idx) {
  if (idx >= ps->memocap || !ps->memo[idx]) return fail_at(ps, "memo key not found");
  return push(ps, ps->memo[idx]);
}

static uint64_t rd_le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* Reads up to the next '\n' (protocol 0 text arguments). */
static int read_line(parser *ps, const char **line, size_t *n) {
  const unsigned char *s = ps->p + ps->pos;
  const unsigned char *nl = memchr(s, '\n', ps->len - ps->pos);
  if (!nl) return cm_fail(ps->err, "%s: pickle: truncated at byte %zu", ps->name, ps->op);
  *line = (const char *)s;
  *n = (size_t)(nl - s);
  ps->pos += *n + 1;
  return 0;
}

static cm_pk *mk_str(parser *ps, cm_pk_type t, const void *p, size_t n) {
  cm_pk *v = mk(ps, t);
  if (!v) return NULL;
  v->s = copy_bytes(p, n);
  if (!v->s) {
    oom(ps);
    return NULL;
  }
  v->len = n;
  return v;
}

/* Appends code point c as UTF-8. */
static size_t put_utf8(char *o, uint32_t c) {
  if (c < 0x80) { o[0] = (char)c; return 1; }
  if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 63)); return 2; }
  if (c < 0x10000) {
    o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 63)); o[2] = (char)(0x80 | (c & 63));
    return 3;
  }
  o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 63));
  o[2] = (char)(0x80 | ((c >> 6) & 63)); o[3] = (char)(0x80 | (c & 63));
  return 4;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Protocol 0 UNICODE argument: latin-1 bytes with \uXXXX / \UXXXXXXXX escapes. */
static cm_pk *decode_raw_unicode(parser *ps, const char *s, size_t n) {
  char *o = malloc(n * 4 + 1);
  if (!o) { oom(ps); return NULL; }
  size_t k = 0;
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    int digits = 0;
    if (c == '\\' && i + 1 < n && (s[i + 1] == 'u' || s[i + 1] == 'U')) digits = s[i + 1] == 'u' ? 4 : 8;
    if (digits) {
      uint32_t cp = 0;
      if (i + 2 + (size_t)digits > n) { free(o); fail_at(ps, "bad \\u escape"); return NULL; }
      for (int d = 0; d < digits; d++) {
        int h = hexval(s[i + 2 + d]);
        if (h < 0) { free(o); fail_at(ps, "bad \\u escape"); return NULL; }
        cp = cp * 16 + (uint32_t)h;
      }
      if (cp > 0x10FFFF) { free(o); fail_at(ps, "bad \\u escape"); return NULL; }
      k += put_utf8(o + k, cp);
      i += 2 + (size_t)digits;
    } else {
      k += put_utf8(o + k, c);
      i++;
    }
  }
  cm_pk *v = mk_str(ps, CM_PK_STR, o, k);
  free(o);
  return v;
}

/* Protocol 0 STRING argument: a quoted Python 2 repr, decoded as latin-1 text. */
static cm_pk *decode_string_repr(parser *ps, const char *s, size_t n) {
  if (n < 2 || (s[0] != '\'' && s[0] != '"') || s[n - 1] != s[0]) {
    fail_at(ps, "STRING argument is not quoted");
    return NULL;
  }
  s++;
  n -= 2;
  char *o = malloc(n * 2 + 1);
  if (!o) { oom(ps); return NULL; }
  size_t k = 0;
  for (size_t i = 0; i < n;) {
    unsigned c = (unsigned char)s[i++];
    if (c == '\\' && i < n) {
      unsigned e = (unsigned char)s[i++];
      switch (e) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'x':
          if (i + 2 <= n && hexval(s[i]) >= 0 && hexval(s[i + 1]) >= 0) {
            c = (unsigned)(hexval(s[i]) * 16 + hexval(s[i + 1]));
            i += 2;
          } else {
            free(o);
            fail_at(ps, "bad \\x escape");
            return NULL;
          }
          break;
        default:
          if (e >= '0' && e <= '7') {
            c = e - '0';
            for (int d = 0; d < 2 && i < n && s[i] >= '0' && s[i] <= '7'; d++) c = c * 8 + (unsigned)(s[i++] - '0');
            c &= 255;
          } else {
            c = e; /* \\ \' \" and unknown escapes keep the character */
          }
      }
    }
    k += put_utf8(o + k, c);
  }
  cm_pk *v = mk_str(ps, CM_PK_STR, o, k);
  free(o);
  return v;
}

/* ---------------------------------------------------------------- numpy */

static int is_np(const cm_pk *g, const char *sub, const char *name) {
  if (!g || g->type != CM_PK_GLOBAL || strcmp(g->name, name) != 0) return 0;
  /* numpy 1.x: numpy.core.<sub>; numpy 2.x: numpy._core.<sub> */
  const char *m = g->s;
  if (strncmp(m, "numpy.core.", 11) == 0) return strcmp(m + 11, sub) == 0;
  if (strncmp(m, "numpy._core.", 12) == 0) return strcmp(m + 12, sub) == 0;
  return 0;
}

/* numpy.dtype('f4', ...) -> DTYPE */
static cm_pk *make_dtype(parser *ps, const cm_pk *spec) {
  const char *s = spec->s;
  char order = 0;
  if (*s == '<' || *s == '>' || *s == '|' || *s == '=') order = *s++;
  char kind = *s; /* a spec of only a byte order ("<") ends here: strchr would match its NUL */
  if (!kind || !strchr("fiub", kind) || !*++s) return NULL;
  char *end;
  long size = strtol(s, &end, 10);
  if (*end || size < 1 || size > 8) return NULL;
  cm_pk *v = mk(ps, CM_PK_DTYPE);
  if (!v) return NULL;
  v->kind = kind;
  v->i = size;
  v->byteorder = order ? order : (size == 1 ? '|' : '=');
  return v;
}

/* Decodes one element of a numpy dtype at p. */
static double np_elem(const cm_pk *dt, const unsigned char *p) {
  unsigned char b[8];
  int n = (int)dt->i;
  for (int k = 0; k < n; k++) b[k] = dt->byteorder == '>' ? p[n - 1 - k] : p[k];
  uint64_t u = rd_le(b, n);
  switch (dt->kind) {
    case 'f':
      if (n == 4) { float f; uint32_t w = (uint32_t)u; memcpy(&f, &w, 4); return f; }
      if (n == 8) { double d; memcpy(&d, &u, 8); return d; }
      return NAN;
    case 'i': {
      if (n < 8 && (u >> (8 * n - 1)) & 1) u |= ~0ull << (8 * n); /* sign-extend */
      return (double)(int64_t)u;
    }
    default: return (double)u;
  }
}

static int dtype_ok(const cm_pk *dt) {
  return dt && dt->type == CM_PK_DTYPE && (dt->kind != 'f' || dt->i == 4 || dt->i == 8);
}

/* Fills ARRAY v from raw bytes laid out in C or Fortran order. */
static int fill_array(parser *ps, cm_pk *v, const cm_pk *shape, const cm_pk *dt, int fortran, const cm_pk *raw) {
  if (!shape || shape->type != CM_PK_TUPLE || shape->n > CM_PK_MAX_DIMS) return fail_at(ps, "numpy array: bad shape");
  if (!dtype_ok(dt)) return fail_at(ps, "numpy array: unsupported dtype");
  if (!raw || raw->type != CM_PK_BYTES) return fail_at(ps, "numpy array: data is not bytes");
  size_t count = 1;
  for (size_t d = 0; d < shape->n; d++) {
    const cm_pk *e = shape->items[d];
    if (e->type != CM_PK_INT || e->i < 0 || e->i > (int64_t)ps->len) return fail_at(ps, "numpy array: bad shape");
    v->shape[d] = e->i;
    if (e->i && count > ps->len / (size_t)e->i) return fail_at(ps, "numpy array: bad shape");
    count *= (size_t)e->i;
  }
  v->ndim = (int)shape->n;
  size_t es = (size_t)dt->i;
  if (count > raw->len / es || count * es != raw->len) {
    char what[128];
    snprintf(what, sizeof what, "numpy array: data has %zu bytes, expected %zu", raw->len, count * es);
    return fail_at(ps, what);
  }
  v->data = malloc((count ? count : 1) * sizeof(double));
  if (!v->data) return oom(ps);
  const unsigned char *src = (const unsigned char *)raw->s;
  if (!fortran || v->ndim < 2) {
    for (size_t k = 0; k < count; k++) v->data[k] = np_elem(dt, src + k * es);
    return 0;
  }
  /* Fortran order: the first index varies fastest in memory; walk C order and map offsets. */
  int64_t idx[CM_PK_MAX_DIMS] = {0};
  for (size_t k = 0; k < count; k++) {
    size_t off = 0, stride = 1;
    for (int d = 0; d < v->ndim; d++) {
      off += (size_t)idx[d] * stride;
      stride *= (size_t)v->shape[d];
    }
    v->data[k] = np_elem(dt, src + off * es);
    for (int d = v->ndim - 1; d >= 0; d--) {
      if (++idx[d] < v->shape[d]) break;
      idx[d] = 0;
    }
  }
  return 0;
}

/* ---------------------------------------------------------------- calls */

static int global_is(const cm_pk *g, const char *module, const char *name) {
  return g->type == CM_PK_GLOBAL && strcmp(g->s, module) == 0 && strcmp(g->name, name) == 0;
}

/* latin-1 text held as UTF-8 -> raw bytes (how Python 3 pickles bytes at protocol < 3). */
static cm_pk *latin1_bytes(parser *ps, const cm_pk *str) {
  char *o = malloc(str->len + 1);
  if (!o) { oom(ps); return NULL; }
  size_t k = 0;
  const unsigned char *s = (const unsigned char *)str->s;
  for (size_t i = 0; i < str->len;) {
    if (s[i] < 0x80) {
      o[k++] = (char)s[i++];
    } else if ((s[i] & 0xE0) == 0xC0 && i + 1 < str->len && s[i] <= 0xC3) {
      o[k++] = (char)(((s[i] & 3) << 6) | (s[i + 1] & 63));
      i += 2;
    } else {
      free(o);
      fail_at(ps, "_codecs.encode: text is not latin-1");
      return NULL;
    }
  }
  cm_pk *v = mk_str(ps, CM_PK_BYTES, o, k);
  free(o);
  return v;
}

/* func(*args): interprets the callables Python uses for plain data, records the rest. */
static cm_pk *call(parser *ps, cm_pk *func, cm_pk *args, int newobj) {
  if (func->type == CM_PK_GLOBAL && args->type == CM_PK_TUPLE) {
    cm_pk **a = args->items;
    size_t n = args->n;
    if (global_is(func, "collections", "OrderedDict") && n == 0) {
      cm_pk *d = mk(ps, CM_PK_DICT);
      if (d) d->ordered = 1;
      return d;
    }
    if ((global_is(func, "_codecs", "encode") || global_is(func, "codecs", "encode")) && n == 2 &&
        a[0]->type == CM_PK_STR && a[1]->type == CM_PK_STR &&
        (strcmp(a[1]->s, "latin1") == 0 || strcmp(a[1]->s, "latin-1") == 0))
      return latin1_bytes(ps, a[0]);
    if ((global_is(func, "__builtin__", "bytes") || global_is(func, "builtins", "bytes")) && n == 0)
      return mk_str(ps, CM_PK_BYTES, "", 0);
    if (is_np(func, "multiarray", "_reconstruct")) {
      cm_pk *v = mk(ps, CM_PK_ARRAY);
      if (v) v->ndim = -1; /* BUILD supplies shape, dtype and data */
      return v;
    }
    if (global_is(func, "numpy", "dtype") && n >= 1 && a[0]->type == CM_PK_STR) {
      cm_pk *v = make_dtype(ps, a[0]);
      if (v || ps->err->msg[0]) return v;
    }
    if (is_np(func, "multiarray", "scalar") && n == 2 && dtype_ok(a[0]) && a[1]->type == CM_PK_BYTES) {
      if (a[1]->len != (size_t)a[0]->i) {
        fail_at(ps, "numpy scalar: wrong byte count");
        return NULL;
      }
      double x = np_elem(a[0], (const unsigned char *)a[1]->s);
      cm_pk *v = mk(ps, a[0]->kind == 'f' ? CM_PK_FLOAT : a[0]->kind == 'b' ? CM_PK_BOOL : CM_PK_INT);
      if (!v) return NULL;
      if (v->type == CM_PK_FLOAT) v->f = x;
      else if (v->type == CM_PK_BOOL) v->i = x != 0; /* any byte width: a "b8" of 2^64-1 is true, not UB */
      else if (!(x >= -9.2e18 && x < 9.2e18)) { fail_at(ps, "numpy scalar: integer too large"); return NULL; }
      else v->i = (int64_t)x;
      return v;
    }
    if (is_np(func, "numeric", "_frombuffer") && n == 4) {
      cm_pk *v = mk(ps, CM_PK_ARRAY);
      if (!v) return NULL;
      int fortran = a[3]->type == CM_PK_STR && strcmp(a[3]->s, "F") == 0;
      if (fill_array(ps, v, a[2], a[1], fortran, a[0])) return NULL;
      return v;
    }
  }
  cm_pk *v = mk(ps, CM_PK_CALL);
  if (!v) return NULL;
  v->func = func;
  v->args = args;
  v->ordered = newobj;
  return v;
}

static int build(parser *ps, cm_pk *obj, cm_pk *state) {
  if (obj->type == CM_PK_ARRAY && obj->ndim < 0) {
    /* ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata)) */
    if (state->type != CM_PK_TUPLE || (state->n != 5 && state->n != 4))
      return fail_at(ps, "numpy array: bad BUILD state");
    cm_pk **s = state->items + (state->n == 5);
    int fortran = s[2]->type == CM_PK_BOOL || s[2]->type == CM_PK_INT ? s[2]->i != 0 : 0;
    if (s[3]->type == CM_PK_LIST) return fail_at(ps, "numpy array: object arrays are not supported");
    return fill_array(ps, obj, s[0], s[1], fortran, s[3]);
  }
  if (obj->type == CM_PK_DTYPE) {
    /* dtype.__setstate__((version, byteorder, ...)) */
    if (state->type == CM_PK_TUPLE && state->n >= 2 && state->items[1]->type == CM_PK_STR &&
        state->items[1]->len == 1)
      obj->byteorder = state->items[1]->s[0];
    return 0;
  }
  obj->state = state;
  return 0;
}

/* ---------------------------------------------------------------- the opcode loop */

static int dict_set(parser *ps, cm_pk *d, cm_pk *k, cm_pk *v) {
  /* Later values replace earlier ones, as in Python; only str and int keys are compared. */
  if (k->type == CM_PK_STR || k->type == CM_PK_INT) {
    for (size_t i = 0; i + 1 < d->n; i += 2) {
      cm_pk *o = d->items[i];
      if (o->type != k->type) continue;
      if ((k->type == CM_PK_INT && o->i == k->i) ||
          (k->type == CM_PK_STR && o->len == k->len && memcmp(o->s, k->s, k->len) == 0)) {
        d->items[i + 1] = v;
        return 0;
      }
    }
  }
  if (node_add(d, k) || node_add(d, v)) return oom(ps);
  return 0;
}

/* Moves the items above the last mark into a new node of the given type. */
static cm_pk *collect(parser *ps, cm_pk_type type) {
  size_t start = 0;
  if (pop_mark(ps, &start)) return NULL;
  cm_pk *v = mk(ps, type);
  if (!v) return NULL;
  if (type == CM_PK_DICT && (ps->sn - start) % 2) {
    fail_at(ps, "odd number of items for DICT");
    return NULL;
  }
  for (size_t i = start; i < ps->sn; i += (type == CM_PK_DICT ? 2 : 1)) {
    int bad = type == CM_PK_DICT ? dict_set(ps, v, ps->stack[i], ps->stack[i + 1]) : node_add(v, ps->stack[i]);
    if (bad) { if (type != CM_PK_DICT) oom(ps); return NULL; }
  }
  ps->sn = start;
  return v;
}

static cm_pk *tuple_of(parser *ps, int k) {
  if (ps->sn < mark_floor(ps) + (size_t)k) {
    fail_at(ps, "stack underflow");
    return NULL;
  }
  cm_pk *v = mk(ps, CM_PK_TUPLE);
  if (!v) return NULL;
  for (int i = k; i > 0; i--)
    if (node_add(v, ps->stack[ps->sn - (size_t)i])) { oom(ps); return NULL; }
  ps->sn -= (size_t)k;
  return v;
}

static cm_pk *mk_global(parser *ps, const char *m, size_t mn, const char *n, size_t nn) {
  cm_pk *g = mk_str(ps, CM_PK_GLOBAL, m, mn);
  if (!g) return NULL;
  g->name = copy_bytes(n, nn);
  if (!g->name) { oom(ps); return NULL; }
  return g;
}

static int parse_int_text(parser *ps, const char *s, size_t n, int64_t *out) {
  char buf[32];
  if (n && s[n - 1] == 'L') n--; /* Python 2 long suffix */
  if (n == 0 || n >= sizeof buf) return fail_at(ps, "bad integer");
  memcpy(buf, s, n);
  buf[n] = 0;
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (*end || errno) return fail_at(ps, "bad integer");
  *out = v;
  return 0;
}

static int run(parser *ps) {
  for (;;) {
    ps->op = ps->pos;
    if (ps->pos >= ps->len) return cm_fail(ps->err, "%s: pickle: truncated at byte %zu", ps->name, ps->len);
    unsigned op = ps->p[ps->pos++];
    const unsigned char *a = ps->p + ps->pos;
    const char *line, *line2;
    size_t ln, ln2, start = 0;
    cm_pk *v = NULL, *x, *y, *z;
    switch (op) {
      case 0x80: /* PROTO */
        if (need(ps, 1)) return -1;
        if (a[0] > 5) return fail_at(ps, "unsupported protocol");
        ps->pos += 1;
        break;
      case 0x95: /* FRAME: a length hint only */
        if (need(ps, 8)) return -1;
        ps->pos += 8;
        break;
      case '.': /* STOP */
        if (!(v = pop(ps))) return -1;
        ps->doc->root = v;
        return 0;
      case '(': if (push_mark(ps)) return -1; break;
      case 'N': if (push(ps, mk(ps, CM_PK_NONE))) return -1; break;
      case 0x88: case 0x89:
        if (!(v = mk(ps, CM_PK_BOOL))) return -1;
        v->i = op == 0x88;
        if (push(ps, v)) return -1;
        break;
      case 'J': case 'K': case 'M': { /* BININT (signed 32), BININT1, BININT2 */
        int k = op == 'J' ? 4 : op == 'K' ? 1 : 2;
        if (need(ps, (size_t)k)) return -1;
        if (!(v = mk(ps, CM_PK_INT))) return -1;
        uint64_t u = rd_le(a, k);
        v->i = op == 'J' ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
        ps->pos += (size_t)k;
        if (push(ps, v)) return -1;
        break;
      }
      case 0x8a: case 0x8b: { /* LONG1, LONG4: little-endian two's complement */
        size_t hl = op == 0x8a ? 1 : 4;
        if (need(ps, hl)) return -1;
        uint64_t n = rd_le(a, (int)hl);
        ps->pos += hl;
        if (need(ps, n)) return -1;
        if (n > 8) return fail_at(ps, "integer does not fit in 64 bits");
        if (!(v = mk(ps, CM_PK_INT))) return -1;
        uint64_t u = rd_le(a + hl, (int)n);
        if (n && n < 8 && (a[hl + n - 1] & 0x80)) u |= ~0ull << (8 * n);
        v->i = (int64_t)u;
        ps->pos += n;
        if (push(ps, v)) return -1;
        break;
      }
      case 'I': case 'L': { /* INT / LONG as decimal text; I01 / I00 are booleans */
        if (read_line(ps, &line, &ln)) return -1;
        int is_bool = op == 'I' && ln == 2 && line[0] == '0' && (line[1] == '0' || line[1] == '1');
        if (!(v = mk(ps, is_bool ? CM_PK_BOOL : CM_PK_INT))) return -1;
        if (is_bool) v->i = line[1] == '1';
        else if (parse_int_text(ps, line, ln, &v->i)) return -1;
        if (push(ps, v)) return -1;
        break;
      }
      case 'F': { /* FLOAT as text */
        char buf[64];
        if (read_line(ps, &line, &ln)) return -1;
        if (ln == 0 || ln >= sizeof buf) return fail_at(ps, "bad float");
        memcpy(buf, line, ln);
        buf[ln] = 0;
        char *end;
        if (!(v = mk(ps, CM_PK_FLOAT))) return -1;
        v->f = strtod(buf, &end);
        if (*end) return fail_at(ps, "bad float");
        if (push(ps, v)) return -1;
        break;
      }
      case 'G': { /* BINFLOAT: big-endian double */
        if (need(ps, 8)) return -1;
        uint64_t u = 0;
        for (int k = 0; k < 8; k++) u = (u << 8) | a[k];
        if (!(v = mk(ps, CM_PK_FLOAT))) return -1;
        memcpy(&v->f, &u, 8);
        ps->pos += 8;
        if (push(ps, v)) return -1;
        break;
      }
      case 'X': case 0x8c: case 0x8d: case 'T': case 'U': /* unicode and Python 2 str */
      case 'B': case 'C': case 0x8e: case 0x96: {           /* bytes, bytearray */
        size_t hl = (op == 0x8c || op == 'U' || op == 'C') ? 1 : (op == 0x8d || op == 0x8e || op == 0x96) ? 8 : 4;
        if (need(ps, hl)) return -1;
        uint64_t n = rd_le(a, (int)hl);
        if (op == 'T' && n > 0x7fffffffu) return fail_at(ps, "negative BINSTRING length");
        ps->pos += hl;
        if (need(ps, n)) return -1;
        int is_str = op == 'X' || op == 0x8c || op == 0x8d || op == 'T' || op == 'U';
        if (is_str && op != 'X' && op != 0x8c && op != 0x8d) {
          /* Python 2 str: decoded as latin-1 text (Python 3's encoding='latin1' reading) */
          char *o = malloc(n * 2 + 1);
          if (!o) return oom(ps);
          size_t k = 0;
          for (size_t i = 0; i < n; i++) k += put_utf8(o + k, a[hl + i]);
          v = mk_str(ps, CM_PK_STR, o, k);
          free(o);
        } else {
          v = mk_str(ps, is_str ? CM_PK_STR : CM_PK_BYTES, a + hl, n);
        }
        ps->pos += n;
        if (push(ps, v)) return -1;
        break;
      }
      case 'V': /* UNICODE, protocol 0 */
        if (read_line(ps, &line, &ln)) return -1;
        if (push(ps, decode_raw_unicode(ps, line, ln))) return -1;
        break;
      case 'S': /* STRING, protocol 0 */
        if (read_line(ps, &line, &ln)) return -1;
        if (push(ps, decode_string_repr(ps, line, ln))) return -1;
        break;
      case 0x97: case 0x98: return fail_at(ps, "out-of-band buffers are not supported");
      case ']': if (push(ps, mk(ps, CM_PK_LIST))) return -1; break;
      case '}': if (push(ps, mk(ps, CM_PK_DICT))) return -1; break;
      case ')': if (push(ps, mk(ps, CM_PK_TUPLE))) return -1; break;
      case 'l': if (push(ps, collect(ps, CM_PK_LIST))) return -1; break;
      case 't': if (push(ps, collect(ps, CM_PK_TUPLE))) return -1; break;
      case 'd': if (push(ps, collect(ps, CM_PK_DICT))) return -1; break;
      case 0x85: case 0x86: case 0x87: /* TUPLE1..3 */
        if (push(ps, tuple_of(ps, (int)(op - 0x84)))) return -1;
        break;
      case 'a': /* APPEND */
        if (!(x = pop(ps)) || !(y = top(ps))) return -1;
        if (y->type != CM_PK_LIST) return fail_at(ps, "APPEND target is not a list");
        if (node_add(y, x)) return oom(ps);
        break;
      case 'e': /* APPENDS */
        if (pop_mark(ps, &start)) return -1;
        if (start == 0 || start <= mark_floor(ps)) return fail_at(ps, "stack underflow");
        y = ps->stack[start - 1];
        if (y->type != CM_PK_LIST) return fail_at(ps, "APPENDS target is not a list");
        for (size_t i = start; i < ps->sn; i++)
          if (node_add(y, ps->stack[i])) return oom(ps);
        ps->sn = start;
        break;
      case 's': /* SETITEM */
        if (!(z = pop(ps)) || !(x = pop(ps)) || !(y = top(ps))) return -1;
        if (y->type != CM_PK_DICT) return fail_at(ps, "SETITEM target is not a dict");
        if (dict_set(ps, y, x, z)) return -1;
        break;
      case 'u': /* SETITEMS */
        if (pop_mark(ps, &start)) return -1;
        if (start == 0 || start <= mark_floor(ps)) return fail_at(ps, "stack underflow");
        y = ps->stack[start - 1];
        if (y->type != CM_PK_DICT) return fail_at(ps, "SETITEMS target is not a dict");
        if ((ps->sn - start) % 2) return fail_at(ps, "odd number of items for SETITEMS");
        for (size_t i = start; i < ps->sn; i += 2)
          if (dict_set(ps, y, ps->stack[i], ps->stack[i + 1])) return -1;
        ps->sn = start;
        break;
      case '0': /* POP: an item, or a bare mark */
        if (ps->sn > mark_floor(ps)) ps->sn--;
        else if (ps->mn) ps->mn--;
        else return fail_at(ps, "stack underflow");
        break;
      case '1': /* POP_MARK */
        if (pop_mark(ps, &start)) return -1;
        ps->sn = start;
        break;
      case '2': /* DUP */
        if (!(x = top(ps)) || push(ps, x)) return -1;
        break;
      case 'q': case 'r': case 'h': case 'j': { /* BINPUT, LONG_BINPUT, BINGET, LONG_BINGET */
        int k = (op == 'q' || op == 'h') ? 1 : 4;
        if (need(ps, (size_t)k)) return -1;
        uint64_t idx = rd_le(a, k);
        ps->pos += (size_t)k;
        if (op == 'h' || op == 'j') {
          if (memo_get(ps, idx)) return -1;
        } else {
          if (!(x = top(ps)) || memo_put(ps, idx, x)) return -1;
        }
        break;
      }
      case 0x94: /* MEMOIZE: next free index */
        if (!(x = top(ps))) return -1;
        if (memo_put(ps, ps->memocount, x)) return -1;
        break;
      case 'p': case 'g': { /* PUT / GET with decimal text index */
        int64_t idx;
        if (read_line(ps, &line, &ln) || parse_int_text(ps, line, ln, &idx)) return -1;
        if (idx < 0) return fail_at(ps, "negative memo index");
        if (op == 'g') {
          if (memo_get(ps, (uint64_t)idx)) return -1;
        } else if (!(x = top(ps)) || memo_put(ps, (uint64_t)idx, x)) {
          return -1;
        }
        break;
      }
      case 'c': case 'i': /* GLOBAL / INST: module and name lines */
        if (read_line(ps, &line, &ln) || read_line(ps, &line2, &ln2)) return -1;
        if (!(x = mk_global(ps, line, ln, line2, ln2))) return -1;
        if (op == 'i') {
          if (!(y = collect(ps, CM_PK_TUPLE))) return -1;
          x = call(ps, x, y, 1);
        }
        if (push(ps, x)) return -1;
        break;
      case 0x93: /* STACK_GLOBAL */
        if (!(y = pop(ps)) || !(x = pop(ps))) return -1;
        if (x->type != CM_PK_STR || y->type != CM_PK_STR) return fail_at(ps, "STACK_GLOBAL needs two strings");
        if (push(ps, mk_global(ps, x->s, x->len, y->s, y->len))) return -1;
        break;
      case 'o': /* OBJ: class and args since the mark */
        if (!(y = collect(ps, CM_PK_TUPLE))) return -1;
        if (y->n == 0) return fail_at(ps, "OBJ without a class");
        x = y->items[0];
        memmove(y->items, y->items + 1, (y->n - 1) * sizeof *y->items);
        y->n--;
        if (push(ps, call(ps, x, y, 1))) return -1;
        break;
      case 'R': case 0x81: /* REDUCE, NEWOBJ */
        if (!(y = pop(ps)) || !(x = pop(ps))) return -1;
        if (y->type != CM_PK_TUPLE) return fail_at(ps, op == 'R' ? "REDUCE arguments are not a tuple" : "NEWOBJ arguments are not a tuple");
        if (push(ps, call(ps, x, y, op == 0x81))) return -1;
        break;
      case 0x92: /* NEWOBJ_EX: keyword arguments are dropped */
        if (!(z = pop(ps)) || !(y = pop(ps)) || !(x = pop(ps))) return -1;
        if (y->type != CM_PK_TUPLE) return fail_at(ps, "NEWOBJ_EX arguments are not a tuple");
        if (push(ps, call(ps, x, y, 1))) return -1;
        break;
      case 'b': /* BUILD */
        if (!(y = pop(ps)) || !(x = top(ps))) return -1;
        if (build(ps, x, y)) return -1;
        break;
      case 'Q': case 'P': /* BINPERSID, PERSID */
        if (op == 'Q') {
          if (!(x = pop(ps))) return -1;
        } else {
          if (read_line(ps, &line, &ln) || !(x = mk_str(ps, CM_PK_STR, line, ln))) return -1;
        }
        if (!(v = mk(ps, CM_PK_PERSID))) return -1;
        v->args = x;
        if (push(ps, v)) return -1;
        break;
      default: {
        char what[64];
        snprintf(what, sizeof what, "unknown opcode 0x%02x", op);
        return fail_at(ps, what);
      }
    }
  }
}

int cm_pk_parse(const void *data, size_t len, const char *name, cm_pk_doc *doc, cm_err *err) {
  cm_err local;
  if (!err) err = &local;
  err->msg[0] = 0;
  doc->root = NULL;
  doc->blocks = NULL;
  parser ps = {.p = data, .len = len, .name = name ? name : "<pickle>", .err = err, .doc = doc};
  int rc = run(&ps);
  free(ps.stack);
  free(ps.marks);
  free(ps.memo);
  if (rc) cm_pk_doc_free(doc);
  return rc;
}

int cm_pk_load(const char *path, cm_pk_doc *doc, cm_err *err) {
  char *buf;
  size_t n;
  doc->root = NULL;
  doc->blocks = NULL;
  if (cm_read_file(path, &buf, &n, err)) return -1;
  int rc = cm_pk_parse(buf, n, path, doc, err);
  free(buf);
  return rc;
}

/* ---------------------------------------------------------------- writer */

static void put(cm_pkw *w, const void *p, size_t n) { cm_buf_put(&w->out, p, n); }
static void op1(cm_pkw *w, unsigned char op) { put(w, &op, 1); }
static void put_le(cm_pkw *w, uint64_t v, int n) {
  unsigned char b[8];
  for (int k = 0; k < n; k++) b[k] = (unsigned char)(v >> (8 * k));
  put(w, b, (size_t)n);
}

void cm_pkw_init(cm_pkw *w, int proto) {
  memset(w, 0, sizeof *w);
  w->proto = proto < 2 ? 2 : proto > 5 ? 5 : proto;
  unsigned char hdr[2] = {0x80, (unsigned char)w->proto};
  put(w, hdr, 2);
}
void cm_pkw_free(cm_pkw *w) {
  cm_buf_free(&w->out);
  memset(w, 0, sizeof *w);
}
void cm_pkw_none(cm_pkw *w) { op1(w, 'N'); }
void cm_pkw_bool(cm_pkw *w, int v) { op1(w, v ? 0x88 : 0x89); }
void cm_pkw_int(cm_pkw *w, int64_t v) {
  if (v >= 0 && v < 256) { op1(w, 'K'); put_le(w, (uint64_t)v, 1); }
  else if (v >= 0 && v < 65536) { op1(w, 'M'); put_le(w, (uint64_t)v, 2); }
  else if (v >= INT32_MIN && v <= INT32_MAX) { op1(w, 'J'); put_le(w, (uint64_t)v, 4); }
  else {
    /* LONG1 with the fewest bytes that keep the sign bit right */
    int n = 8;
    while (n > 1) {
      int64_t hi = v >> (8 * (n - 1) - 1);
      if (hi != 0 && hi != -1) break;
      n--;
    }
    op1(w, 0x8a);
    op1(w, (unsigned char)n);
    put_le(w, (uint64_t)v, n);
  }
}
void cm_pkw_float(cm_pkw *w, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  unsigned char b[9] = {'G'};
  for (int k = 0; k < 8; k++) b[1 + k] = (unsigned char)(u >> (56 - 8 * k));
  put(w, b, 9);
}
void cm_pkw_strn(cm_pkw *w, const char *s, size_t n) {
  if (w->proto >= 4 && n < 256) { op1(w, 0x8c); put_le(w, n, 1); }
  else if (n <= 0xffffffffu) { op1(w, 'X'); put_le(w, n, 4); }
  else { op1(w, 0x8d); put_le(w, n, 8); }
  put(w, s, n);
}
void cm_pkw_str(cm_pkw *w, const char *s) { cm_pkw_strn(w, s, strlen(s)); }
void cm_pkw_bytes(cm_pkw *w, const void *p, size_t n) {
  if (w->proto >= 3) {
    if (n < 256) { op1(w, 'C'); put_le(w, n, 1); }
    else if (n <= 0xffffffffu) { op1(w, 'B'); put_le(w, n, 4); }
    else { op1(w, 0x8e); put_le(w, n, 8); }
    put(w, p, n);
    return;
  }
  if (n == 0) { /* what Python 3 writes for b'' at protocol 2 */
    cm_pkw_global(w, "__builtin__", "bytes");
    cm_pkw_empty_tuple(w);
    cm_pkw_reduce(w);
    return;
  }
  /* _codecs.encode(<bytes as latin-1 text>, 'latin1') */
  char *t = malloc(n * 2);
  if (!t) { w->out.failed = 1; return; }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += put_utf8(t + k, ((const unsigned char *)p)[i]);
  cm_pkw_global(w, "_codecs", "encode");
  cm_pkw_strn(w, t, k);
  cm_pkw_str(w, "latin1");
  op1(w, 0x86);
  cm_pkw_reduce(w);
  free(t);
}
void cm_pkw_global(cm_pkw *w, const char *module, const char *name) {
  if (w->proto >= 4) {
    cm_pkw_str(w, module);
    cm_pkw_str(w, name);
    op1(w, 0x93);
  } else {
    op1(w, 'c');
    put(w, module, strlen(module));
    op1(w, '\n');
    put(w, name, strlen(name));
    op1(w, '\n');
  }
}
void cm_pkw_mark(cm_pkw *w) { op1(w, '('); }
void cm_pkw_empty_list(cm_pkw *w) { op1(w, ']'); }
void cm_pkw_empty_dict(cm_pkw *w) { op1(w, '}'); }
void cm_pkw_empty_tuple(cm_pkw *w) { op1(w, ')'); }
void cm_pkw_tuple(cm_pkw *w) { op1(w, 't'); }
void cm_pkw_appends(cm_pkw *w) { op1(w, 'e'); }
void cm_pkw_setitems(cm_pkw *w) { op1(w, 'u'); }
void cm_pkw_reduce(cm_pkw *w) { op1(w, 'R'); }
void cm_pkw_newobj(cm_pkw *w) { op1(w, 0x81); }
void cm_pkw_build(cm_pkw *w) { op1(w, 'b'); }
void cm_pkw_binpersid(cm_pkw *w) { op1(w, 'Q'); }

static int write_value(cm_pkw *w, const cm_pk *v, int depth, cm_err *err) {
  if (depth > 500) return cm_fail(err, "pickle writer: nesting deeper than 500");
  switch (v->type) {
    case CM_PK_NONE: cm_pkw_none(w); return 0;
    case CM_PK_BOOL: cm_pkw_bool(w, (int)v->i); return 0;
    case CM_PK_INT: cm_pkw_int(w, v->i); return 0;
    case CM_PK_FLOAT: cm_pkw_float(w, v->f); return 0;
    case CM_PK_STR: cm_pkw_strn(w, v->s, v->len); return 0;
    case CM_PK_BYTES: cm_pkw_bytes(w, v->s, v->len); return 0;
    case CM_PK_GLOBAL: cm_pkw_global(w, v->s, v->name); return 0;
    case CM_PK_LIST: case CM_PK_DICT: case CM_PK_TUPLE:
      if (v->type == CM_PK_LIST) cm_pkw_empty_list(w);
      else if (v->type == CM_PK_DICT) cm_pkw_empty_dict(w);
      cm_pkw_mark(w);
      for (size_t i = 0; i < v->n; i++)
        if (write_value(w, v->items[i], depth + 1, err)) return -1;
      op1(w, v->type == CM_PK_LIST ? 'e' : v->type == CM_PK_DICT ? 'u' : 't');
      return 0;
    default:
      return cm_fail(err, "pickle writer: cannot write a %s node", cm_pk_type_name(v->type));
  }
}

int cm_pkw_value(cm_pkw *w, const cm_pk *v, cm_err *err) { return write_value(w, v, 0, err); }

int cm_pkw_finish(cm_pkw *w, cm_err *err) {
  op1(w, '.');
  if (w->out.failed) return cm_fail(err, "pickle writer: out of memory");
  return 0;
}
