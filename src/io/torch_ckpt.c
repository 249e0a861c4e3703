/* torch.save-compatible zip checkpoints of float32 / int64 state dicts; see torch_ckpt.h. */
#include "io/torch_ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "core/bytebuf.h"
#include "core/fileio.h"
#include "io/pickle.h"

/* ---------------------------------------------------------------- state dict */

void cm_sd_init(cm_state_dict *sd) { memset(sd, 0, sizeof *sd); }

void cm_sd_free(cm_state_dict *sd) {
  if (!sd) return;
  for (int i = 0; i < sd->count; i++) {
    free(sd->entries[i].name);
    free(sd->entries[i].data);
    free(sd->entries[i].idata);
  }
  free(sd->entries);
  memset(sd, 0, sizeof *sd);
}

size_t cm_sd_numel(const cm_sd_entry *e) {
  size_t n = 1;
  for (int d = 0; d < e->ndim; d++) n *= (size_t)e->shape[d];
  return n;
}

int cm_sd_add_i64(cm_state_dict *sd, const char *name, int ndim, const int64_t *shape, const int64_t *data,
                  cm_err *err) {
  if (cm_sd_add(sd, name, ndim, shape, NULL, err)) return -1;
  cm_sd_entry *e = &sd->entries[sd->count - 1];
  size_t n = cm_sd_numel(e);
  e->idata = calloc(n ? n : 1, sizeof *e->idata);
  if (!e->idata) return cm_fail(err, "state dict: out of memory");
  for (size_t k = 0; k < n; k++) {
    e->idata[k] = data ? data[k] : 0;
    e->data[k] = (float)e->idata[k];
  }
  return 0;
}

cm_sd_entry *cm_sd_find(const cm_state_dict *sd, const char *name) {
  for (int i = 0; i < sd->count; i++)
    if (strcmp(sd->entries[i].name, name) == 0) return &sd->entries[i];
  return NULL;
}

int cm_sd_add(cm_state_dict *sd, const char *name, int ndim, const int64_t *shape, const float *data, cm_err *err) {
  if (ndim < 0 || ndim > CM_SD_MAX_DIMS)
    return cm_fail(err, "state dict: tensor '%s' has %d dimensions, at most %d supported", name, ndim, CM_SD_MAX_DIMS);
  if (!name[0] || strchr(name, '\n')) return cm_fail(err, "state dict: bad tensor name '%s'", name);
  if (cm_sd_find(sd, name)) return cm_fail(err, "state dict: duplicate tensor '%s'", name);
  size_t n = 1;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0 || shape[d] > ((int64_t)1 << 40))
      return cm_fail(err, "state dict: tensor '%s' has bad size %lld in dimension %d", name, (long long)shape[d], d);
    if (shape[d] && n > ((size_t)1 << 40) / (size_t)shape[d])
      return cm_fail(err, "state dict: tensor '%s' is too large", name);
    n *= (size_t)shape[d];
  }
  if (sd->count == sd->cap) {
    int cap = sd->cap ? sd->cap * 2 : 16;
    cm_sd_entry *ne = realloc(sd->entries, (size_t)cap * sizeof *ne);
    if (!ne) return cm_fail(err, "state dict: out of memory");
    sd->entries = ne;
    sd->cap = cap;
  }
  cm_sd_entry e = {.ndim = ndim};
  for (int d = 0; d < ndim; d++) e.shape[d] = shape[d];
  e.name = strdup(name);
  e.data = n ? malloc(n * sizeof(float)) : calloc(1, sizeof(float));
  if (!e.name || !e.data) {
    free(e.name);
    free(e.data);
    return cm_fail(err, "state dict: out of memory");
  }
  if (n) {
    if (data) memcpy(e.data, data, n * sizeof(float));
    else memset(e.data, 0, n * sizeof(float));
  }
  sd->entries[sd->count++] = e;
  return 0;
}

/* ---------------------------------------------------------------- stored zip writer */

#define ALIGN 64 /* torch's record payload alignment */

typedef struct zrec {
  char name[512];
  uint32_t crc, size, offset; /* offset of the local header */
} zrec;

typedef struct zwriter {
  cm_buf out; /* the archive; out.failed: out of memory */
  zrec *recs;
  int nrec, caprec;
  int too_big; /* past 4 GiB (no zip64) */
} zwriter;

/* Once failed either way, the writer ignores everything after. */
static int zbad(const zwriter *z) { return z->too_big || z->out.failed; }

static void zput(zwriter *z, const void *p, size_t n) {
  if (zbad(z)) return;
  if (z->out.len + n > 0xFFFFFFFFu) { z->too_big = 1; return; }
  cm_buf_put(&z->out, p, n);
}
static void zle(zwriter *z, uint32_t v, int n) {
  unsigned char b[4];
  for (int k = 0; k < n; k++) b[k] = (unsigned char)(v >> (8 * k));
  zput(z, b, (size_t)n);
}

enum { DOS_TIME = 0, DOS_DATE = (0 << 9) | (1 << 5) | 1 }; /* 1980-01-01: a fixed stamp keeps files reproducible */

static void zadd(zwriter *z, const char *name, const void *data, size_t n) {
  if (zbad(z)) return;
  if (n > 0xFFFFFFFFu) { z->too_big = 1; return; }
  if (z->nrec == z->caprec) {
    int cap = z->caprec ? z->caprec * 2 : 16;
    zrec *nr = realloc(z->recs, (size_t)cap * sizeof *nr);
    if (!nr) { z->out.failed = 1; return; }
    z->recs = nr;
    z->caprec = cap;
  }
  zrec *r = &z->recs[z->nrec++];
  snprintf(r->name, sizeof r->name, "%s", name);
  size_t nl = strlen(r->name);
  r->crc = (uint32_t)crc32(0L, data, (uInt)n);
  r->size = (uint32_t)n;
  r->offset = (uint32_t)z->out.len;
  /* pad with an extra field so the payload starts on a 64-byte boundary */
  size_t before = z->out.len + 30 + nl + 4;
  size_t pad = (ALIGN - before % ALIGN) % ALIGN;
  zle(z, 0x04034b50, 4);
  zle(z, 20, 2);       /* version needed: 2.0 */
  zle(z, 0, 2);        /* flags */
  zle(z, 0, 2);        /* method: stored */
  zle(z, DOS_TIME, 2);
  zle(z, DOS_DATE, 2);
  zle(z, r->crc, 4);
  zle(z, r->size, 4);  /* compressed size */
  zle(z, r->size, 4);  /* uncompressed size */
  zle(z, (uint32_t)nl, 2);
  zle(z, (uint32_t)(4 + pad), 2);
  zput(z, r->name, nl);
  zle(z, 0x4246, 2);   /* extra field id "FB", as torch's writer uses */
  zle(z, (uint32_t)pad, 2);
  static const unsigned char zeros[ALIGN] = {0};
  zput(z, zeros, pad);
  zput(z, data, n);
}

static void zfinish(zwriter *z) {
  uint32_t cd_start = (uint32_t)z->out.len;
  for (int i = 0; i < z->nrec; i++) {
    const zrec *r = &z->recs[i];
    size_t nl = strlen(r->name);
    zle(z, 0x02014b50, 4);
    zle(z, 0x0314, 2); /* made by: unix, 2.0 */
    zle(z, 20, 2);
    zle(z, 0, 2);
    zle(z, 0, 2);
    zle(z, DOS_TIME, 2);
    zle(z, DOS_DATE, 2);
    zle(z, r->crc, 4);
    zle(z, r->size, 4);
    zle(z, r->size, 4);
    zle(z, (uint32_t)nl, 2);
    zle(z, 0, 2); /* extra */
    zle(z, 0, 2); /* comment */
    zle(z, 0, 2); /* disk */
    zle(z, 0, 2); /* internal attributes */
    zle(z, 0100644u << 16, 4); /* external attributes: regular file, rw-r--r-- */
    zle(z, r->offset, 4);
    zput(z, r->name, nl);
  }
  uint32_t cd_size = (uint32_t)z->out.len - cd_start;
  zle(z, 0x06054b50, 4);
  zle(z, 0, 2);
  zle(z, 0, 2);
  zle(z, (uint32_t)z->nrec, 2);
  zle(z, (uint32_t)z->nrec, 2);
  zle(z, cd_size, 4);
  zle(z, cd_start, 4);
  zle(z, 0, 2);
}

/* ---------------------------------------------------------------- save */

int cm_torch_save(const char *path, const cm_state_dict *sd, cm_err *err) {
  if (sd->count > 0xFFFF - 3) return cm_fail(err, "%s: too many tensors (%d) for a zip without zip64", path, sd->count);
  /* data.pkl: the same opcode structure torch.save's pickler produces at protocol 2 */
  cm_pkw w;
  cm_pkw_init(&w, 2);
  cm_pkw_global(&w, "collections", "OrderedDict");
  cm_pkw_empty_tuple(&w);
  cm_pkw_reduce(&w);
  if (sd->count) cm_pkw_mark(&w);
  for (int i = 0; i < sd->count; i++) {
    const cm_sd_entry *e = &sd->entries[i];
    char key[32];
    snprintf(key, sizeof key, "%d", i);
    cm_pkw_str(&w, e->name);
    cm_pkw_global(&w, "torch._utils", "_rebuild_tensor_v2");
    cm_pkw_mark(&w);
    cm_pkw_mark(&w); /* persistent id ('storage', torch.FloatStorage, key, 'cpu', numel) */
    cm_pkw_str(&w, "storage");
    cm_pkw_global(&w, "torch", e->idata ? "LongStorage" : "FloatStorage");
    cm_pkw_str(&w, key);
    cm_pkw_str(&w, "cpu");
    cm_pkw_int(&w, (int64_t)cm_sd_numel(e));
    cm_pkw_tuple(&w);
    cm_pkw_binpersid(&w);
    cm_pkw_int(&w, 0); /* storage offset */
    cm_pkw_mark(&w);
    for (int d = 0; d < e->ndim; d++) cm_pkw_int(&w, e->shape[d]);
    cm_pkw_tuple(&w);
    cm_pkw_mark(&w); /* contiguous strides */
    for (int d = 0; d < e->ndim; d++) {
      int64_t st = 1;
      for (int k = d + 1; k < e->ndim; k++) st *= e->shape[k];
      cm_pkw_int(&w, st);
    }
    cm_pkw_tuple(&w);
    cm_pkw_bool(&w, 0); /* requires_grad */
    cm_pkw_global(&w, "collections", "OrderedDict"); /* backward hooks */
    cm_pkw_empty_tuple(&w);
    cm_pkw_reduce(&w);
    cm_pkw_tuple(&w);
    cm_pkw_reduce(&w);
  }
  if (sd->count) cm_pkw_setitems(&w);
  if (cm_pkw_finish(&w, err)) {
    cm_pkw_free(&w);
    return cm_wrap(err, "%s", path);
  }
  zwriter z = {0};
  zadd(&z, "archive/data.pkl", w.out.data, w.out.len);
  cm_pkw_free(&w);
  zadd(&z, "archive/byteorder", "little", 6);
  for (int i = 0; i < sd->count; i++) {
    char name[64];
    snprintf(name, sizeof name, "archive/data/%d", i);
    /* little-endian host: the float (or int64) array is the storage's bytes */
    const cm_sd_entry *e = &sd->entries[i];
    if (e->idata) zadd(&z, name, e->idata, cm_sd_numel(e) * sizeof(int64_t));
    else zadd(&z, name, e->data, cm_sd_numel(e) * sizeof(float));
  }
  zadd(&z, "archive/version", "3\n", 2);
  zfinish(&z);
  int rc;
  if (z.too_big) rc = cm_fail(err, "%s: checkpoint larger than 4 GiB (zip64 not supported)", path);
  else if (z.out.failed) rc = cm_fail(err, "%s: out of memory", path);
  else rc = cm_write_file_atomic(path, z.out.data, z.out.len, err);
  cm_buf_free(&z.out);
  free(z.recs);
  return rc;
}

/* ---------------------------------------------------------------- zip reader */

typedef struct zentry {
  const char *name; /* points into the central directory; not NUL-terminated */
  size_t name_len;
  const unsigned char *data;
  size_t size;
} zentry;

static uint32_t le(const unsigned char *p, int n) {
  uint32_t v = 0;
  for (int k = n - 1; k >= 0; k--) v = (v << 8) | p[k];
  return v;
}

/* Parses the central directory into entries (malloc'd); -1 with a message on anything odd. */
static int zread(const unsigned char *p, size_t len, const char *name, zentry **out, int *count, cm_err *err) {
  *out = NULL;
  *count = 0;
  /* torch.save before 1.6, or with _use_new_zipfile_serialization=False: a pickled magic number first */
  static const unsigned char legacy[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  if (len >= sizeof legacy && memcmp(p, legacy, sizeof legacy) == 0)
    return cm_fail(err, "%s: not a PyTorch zip checkpoint (torch's legacy format: re-save it with torch.save's default zip format)", name);
  if (len < 22 || le(p, 4) != 0x04034b50) return cm_fail(err, "%s: not a PyTorch zip checkpoint", name);
  size_t eocd = 0;
  int found = 0;
  size_t lo = len > 22 + 65535 ? len - 22 - 65535 : 0;
  for (size_t at = len - 22 + 1; at-- > lo;)
    if (le(p + at, 4) == 0x06054b50) {
      eocd = at;
      found = 1;
      break;
    }
  if (!found) return cm_fail(err, "%s: not a PyTorch zip checkpoint (no end of central directory; truncated?)", name);
  uint32_t n = le(p + eocd + 10, 2), cd_size = le(p + eocd + 12, 4), cd_off = le(p + eocd + 16, 4);
  if (n == 0xFFFF || cd_off == 0xFFFFFFFFu) return cm_fail(err, "%s: zip64 checkpoints are not supported", name);
  if ((size_t)cd_off + cd_size > eocd) return cm_fail(err, "%s: corrupt zip (central directory out of range)", name);
  zentry *es = calloc(n ? n : 1, sizeof *es);
  if (!es) return cm_fail(err, "%s: out of memory", name);
  size_t at = cd_off, end = (size_t)cd_off + cd_size;
  for (uint32_t i = 0; i < n; i++) {
    if (end - at < 46 || le(p + at, 4) != 0x02014b50) {
      free(es);
      return cm_fail(err, "%s: corrupt zip (central directory entry %u)", name, i);
    }
    const unsigned char *c = p + at;
    uint32_t method = le(c + 10, 2), crc = le(c + 16, 4), csize = le(c + 20, 4), usize = le(c + 24, 4);
    uint32_t nl = le(c + 28, 2), xl = le(c + 30, 2), cl = le(c + 32, 2), loff = le(c + 42, 4);
    if (end - at - 46 < (size_t)nl + xl + cl) {
      free(es);
      return cm_fail(err, "%s: corrupt zip (central directory entry %u)", name, i);
    }
    zentry *e = &es[i];
    const char *ename = (const char *)c + 46; /* messages below outlive es */
    e->name = ename;
    e->name_len = nl;
    at += 46 + (size_t)nl + xl + cl;
    if (method != 0) {
      free(es);
      return cm_fail(err, "%s: record '%.*s' is compressed (method %u); only stored records are supported", name,
                     (int)nl, ename, method);
    }
    if (csize != usize || csize == 0xFFFFFFFFu) {
      free(es);
      return cm_fail(err, "%s: corrupt zip (record '%.*s' sizes)", name, (int)nl, ename);
    }
    if ((size_t)loff + 30 > len || le(p + loff, 4) != 0x04034b50) {
      free(es);
      return cm_fail(err, "%s: corrupt zip (record '%.*s' has no local header)", name, (int)nl, ename);
    }
    size_t data = (size_t)loff + 30 + le(p + loff + 26, 2) + le(p + loff + 28, 2);
    if (data > len || len - data < csize) {
      free(es);
      return cm_fail(err, "%s: truncated zip (record '%.*s' extends past the end of the file)", name, (int)nl, ename);
    }
    e->data = p + data;
    e->size = csize;
    if ((uint32_t)crc32(0L, e->data, (uInt)e->size) != crc) {
      free(es);
      return cm_fail(err, "%s: corrupt zip (record '%.*s' fails its CRC check)", name, (int)nl, ename);
    }
  }
  *out = es;
  *count = (int)n;
  return 0;
}

/* Finds "<prefix>/<rest>" among the entries. */
static const zentry *zfind(const zentry *es, int n, const char *prefix, size_t pl, const char *rest) {
  size_t rl = strlen(rest);
  for (int i = 0; i < n; i++)
    if (es[i].name_len == pl + 1 + rl && memcmp(es[i].name, prefix, pl) == 0 && es[i].name[pl] == '/' &&
        memcmp(es[i].name + pl + 1, rest, rl) == 0)
      return &es[i];
  return NULL;
}

/* ---------------------------------------------------------------- load */

/* One _rebuild_tensor_v2(storage, offset, size, stride, ...) call into the state dict. */
static int load_tensor(const char *name, const char *tname, const cm_pk *v, const zentry *es, int nes,
                       const char *prefix, size_t pl, cm_state_dict *sd, cm_err *err) {
  if (v->type != CM_PK_CALL || !(cm_pk_is_global(v->func, "torch._utils", "_rebuild_tensor_v2") ||
                                 cm_pk_is_global(v->func, "torch._utils", "_rebuild_tensor")))
    return cm_fail(err, "%s: entry '%s' is not a tensor (%s)", name, tname,
                   v->type == CM_PK_CALL && v->func->type == CM_PK_GLOBAL ? v->func->name : cm_pk_type_name(v->type));
  const cm_pk *a = v->args;
  if (a->n < 4 || a->items[0]->type != CM_PK_PERSID || a->items[1]->type != CM_PK_INT ||
      a->items[2]->type != CM_PK_TUPLE || a->items[3]->type != CM_PK_TUPLE || a->items[2]->n != a->items[3]->n)
    return cm_fail(err, "%s: tensor '%s' has malformed arguments", name, tname);
  const cm_pk *pid = a->items[0]->args;
  if (pid->type != CM_PK_TUPLE || pid->n < 5 || pid->items[0]->type != CM_PK_STR || strcmp(pid->items[0]->s, "storage") ||
      pid->items[1]->type != CM_PK_GLOBAL || pid->items[2]->type != CM_PK_STR || pid->items[4]->type != CM_PK_INT)
    return cm_fail(err, "%s: tensor '%s' has a malformed storage id", name, tname);
  const cm_pk *st = pid->items[1];
  int is_long = !strcmp(st->s, "torch") && !strcmp(st->name, "LongStorage");
  if (!is_long && (strcmp(st->s, "torch") != 0 || strcmp(st->name, "FloatStorage") != 0)) {
    const char *dt = st->name;
    size_t dl = strlen(dt);
    if (dl > 7 && strcmp(dt + dl - 7, "Storage") == 0) dl -= 7;
    return cm_fail(err, "%s: tensor '%s' has dtype %.*s, expected float32 or int64", name, tname, (int)dl, dt);
  }
  const uint64_t isz = is_long ? 8 : 4;
  char rec[300];
  snprintf(rec, sizeof rec, "data/%s", pid->items[2]->s);
  const zentry *z = zfind(es, nes, prefix, pl, rec);
  if (!z) return cm_fail(err, "%s: tensor '%s': storage record '%.*s/%s' is missing", name, tname, (int)pl, prefix, rec);
  int64_t snumel = pid->items[4]->i;
  if (snumel < 0 || snumel > ((int64_t)1 << 40) || (uint64_t)snumel * isz > z->size)
    return cm_fail(err, "%s: tensor '%s': storage has %zu bytes, expected %lld %s", name, tname, z->size,
                   (long long)snumel, is_long ? "int64 values" : "floats");
  int ndim = (int)a->items[2]->n;
  if (ndim > CM_SD_MAX_DIMS) return cm_fail(err, "%s: tensor '%s' has %d dimensions, at most %d supported", name, tname, ndim, CM_SD_MAX_DIMS);
  int64_t shape[CM_SD_MAX_DIMS], stride[CM_SD_MAX_DIMS], off = a->items[1]->i;
  /* Every element index must land inside the storage: offset + sum((size-1)*stride) < numel. */
  int64_t last = off;
  int empty = 0;
  for (int d = 0; d < ndim; d++) {
    const cm_pk *s = a->items[2]->items[d], *t = a->items[3]->items[d];
    int64_t step;
    if (s->type != CM_PK_INT || t->type != CM_PK_INT || s->i < 0 || t->i < 0 || s->i > ((int64_t)1 << 40) ||
        __builtin_mul_overflow(s->i ? s->i - 1 : 0, t->i, &step) || __builtin_add_overflow(last, step, &last))
      return cm_fail(err, "%s: tensor '%s' has a bad size or stride in dimension %d", name, tname, d);
    shape[d] = s->i;
    stride[d] = t->i;
    if (s->i == 0) empty = 1;
  }
  if (off < 0 || (!empty && last >= snumel))
    return cm_fail(err, "%s: tensor '%s' reaches past the end of its storage", name, tname);
  int64_t numel = 1;
  for (int d = 0; d < ndim; d++) numel = shape[d] && numel > snumel / shape[d] ? snumel + 1 : numel * shape[d];
  if (numel > snumel) /* only broadcast (stride 0) views could do this; state dicts hold dense tensors */
    return cm_fail(err, "%s: tensor '%s' has more elements than its storage", name, tname);
  if ((is_long ? cm_sd_add_i64(sd, tname, ndim, shape, NULL, err) : cm_sd_add(sd, tname, ndim, shape, NULL, err)))
    return cm_wrap(err, "%s", name);
  cm_sd_entry *e = &sd->entries[sd->count - 1];
  size_t n = cm_sd_numel(e);
  int64_t idx[CM_SD_MAX_DIMS] = {0};
  for (size_t k = 0; k < n; k++) {
    int64_t at = off;
    for (int d = 0; d < ndim; d++) at += idx[d] * stride[d];
    if (is_long) { /* little-endian storage, little-endian host */
      memcpy(&e->idata[k], z->data + (size_t)at * 8, 8);
      e->data[k] = (float)e->idata[k];
    } else {
      memcpy(&e->data[k], z->data + (size_t)at * 4, 4);
    }
    for (int d = ndim - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return 0;
}

int cm_torch_load_mem(const void *data, size_t len, const char *name, cm_state_dict *sd, cm_err *err) {
  cm_sd_init(sd);
  zentry *es;
  int nes;
  if (zread(data, len, name, &es, &nes, err)) return -1;
  /* torch names the top folder after the file ("archive", "model", ...): take it from data.pkl */
  const zentry *pkl = NULL;
  for (int i = 0; i < nes && !pkl; i++) {
    const char *slash = memchr(es[i].name, '/', es[i].name_len);
    if (slash && es[i].name_len - (size_t)(slash - es[i].name) == 9 && memcmp(slash, "/data.pkl", 9) == 0) pkl = &es[i];
  }
  if (!pkl) {
    free(es);
    return cm_fail(err, "%s: not a PyTorch zip checkpoint (no <archive>/data.pkl)", name);
  }
  const char *prefix = pkl->name;
  size_t pl = pkl->name_len - 9;
  const zentry *bo = zfind(es, nes, prefix, pl, "byteorder");
  if (bo && !(bo->size == 6 && memcmp(bo->data, "little", 6) == 0)) {
    free(es);
    return cm_fail(err, "%s: checkpoint byte order is not little-endian", name);
  }
  char pname[1100];
  snprintf(pname, sizeof pname, "%s: data.pkl", name);
  cm_pk_doc doc;
  if (cm_pk_parse(pkl->data, pkl->size, pname, &doc, err)) {
    free(es);
    return -1;
  }
  int rc = 0;
  const cm_pk *root = doc.root;
  if (root->type != CM_PK_DICT) {
    rc = cm_fail(err, "%s: data.pkl holds a %s, expected a state dict", name,
                 root->type == CM_PK_CALL && root->func->type == CM_PK_GLOBAL ? root->func->name : cm_pk_type_name(root->type));
  }
  for (size_t i = 0; rc == 0 && i + 1 < root->n; i += 2) {
    const cm_pk *k = root->items[i];
    if (k->type != CM_PK_STR || strlen(k->s) != k->len) {
      rc = cm_fail(err, "%s: state dict key %zu is not a string", name, i / 2);
      break;
    }
    rc = load_tensor(name, k->s, root->items[i + 1], es, nes, prefix, pl, sd, err);
  }
  cm_pk_doc_free(&doc);
  free(es);
  if (rc) cm_sd_free(sd);
  return rc;
}

int cm_torch_load(const char *path, cm_state_dict *sd, cm_err *err) {
  char *buf;
  size_t n;
  cm_sd_init(sd);
  if (cm_read_file(path, &buf, &n, err)) return -1;
  int rc = cm_torch_load_mem(buf, n, path, sd, err);
  free(buf);
  return rc;
}
