/* The subset of Python's pickle format that MimicKit motion files and torch checkpoints use.
 *
 * Reader: parses protocols 0..5 into a tree of cm_pk nodes owned by a cm_pk_doc (freed at once,
 * so shared references made by the memo are safe). Calls of unknown callables are kept
 * generically (CM_PK_CALL: func + args + BUILD state), persistent ids as CM_PK_PERSID, so a later
 * layer (torch_ckpt) can interpret them. A few callables are interpreted on the spot because
 * Python writes plain data through them: collections.OrderedDict() -> DICT, _codecs.encode(s,
 * 'latin1') -> BYTES (protocol 2 bytes), numpy arrays (_reconstruct + BUILD, _frombuffer) ->
 * ARRAY of doubles in C order, numpy scalars -> INT/FLOAT.
 *
 * Writer: an append-only byte buffer with one function per opcode (protocol 2..5 output). */
#ifndef CM_PICKLE_H
#define CM_PICKLE_H
#include <stddef.h>
#include <stdint.h>
#include "core/bytebuf.h"
#include "core/err.h"

typedef enum cm_pk_type {
  CM_PK_NONE, CM_PK_BOOL, CM_PK_INT, CM_PK_FLOAT, CM_PK_STR, CM_PK_BYTES,
  CM_PK_LIST, CM_PK_TUPLE, CM_PK_DICT,
  CM_PK_GLOBAL, /* module + name */
  CM_PK_CALL,   /* func(*args) from REDUCE / NEWOBJ; state from BUILD */
  CM_PK_PERSID, /* persistent id; the id object is in args */
  CM_PK_ARRAY,  /* numpy float/int array converted to doubles, C order */
  CM_PK_DTYPE,  /* numpy dtype: kind ('f','i','u','b'), itemsize, byteorder */
  CM_PK_MARK    /* parser-internal */
} cm_pk_type;

#define CM_PK_MAX_DIMS 8

typedef struct cm_pk cm_pk;
struct cm_pk {
  cm_pk_type type;
  int64_t i;            /* BOOL (0/1), INT; DTYPE itemsize */
  double f;             /* FLOAT */
  char *s;              /* STR (UTF-8), BYTES, GLOBAL module; always NUL-terminated */
  size_t len;           /* byte length of s */
  char *name;           /* GLOBAL name */
  cm_pk **items;        /* LIST/TUPLE items; DICT keys and values interleaved */
  size_t n, cap;        /* n = item count (2 * pairs for DICT) */
  cm_pk *func, *args;   /* CALL: callable and argument tuple; PERSID: args = the id */
  cm_pk *state;         /* BUILD state, if any */
  int ordered;          /* DICT made by collections.OrderedDict(); CALL made by NEWOBJ */
  char kind, byteorder; /* DTYPE */
  int ndim;             /* ARRAY: -1 while waiting for BUILD */
  int64_t shape[CM_PK_MAX_DIMS];
  double *data;         /* ARRAY: prod(shape) values */
};

typedef struct cm_pk_block cm_pk_block;
typedef struct cm_pk_doc {
  cm_pk *root;
  cm_pk_block *blocks; /* every node of the tree, freed together */
} cm_pk_doc;

/* Parses len bytes; name labels error messages ("<name>: pickle: truncated at byte N"). */
int cm_pk_parse(const void *data, size_t len, const char *name, cm_pk_doc *doc, cm_err *err);
int cm_pk_load(const char *path, cm_pk_doc *doc, cm_err *err);
void cm_pk_doc_free(cm_pk_doc *doc);

/* Tree helpers. All accept NULL and return NULL / 0 / -1 for the wrong type. */
const char *cm_pk_type_name(cm_pk_type t);
cm_pk *cm_pk_dict_get(const cm_pk *dict, const char *key); /* string keys */
int cm_pk_is_global(const cm_pk *v, const char *module, const char *name);
/* Number of items of a LIST or TUPLE (pairs for DICT), -1 otherwise. */
long cm_pk_len(const cm_pk *v);
/* INT, BOOL or FLOAT as a double; returns -1 for anything else. */
int cm_pk_number(const cm_pk *v, double *out);
/* Elements in an ARRAY (product of shape). */
size_t cm_pk_array_count(const cm_pk *v);

/* ---- Writer ---- */
typedef struct cm_pkw {
  cm_buf out; /* the pickle bytes; out.failed: an allocation failed (cm_pkw_finish reports it) */
  int proto;
} cm_pkw;

void cm_pkw_init(cm_pkw *w, int proto); /* proto 2..5; emits PROTO */
void cm_pkw_free(cm_pkw *w);
void cm_pkw_none(cm_pkw *w);
void cm_pkw_bool(cm_pkw *w, int v);
void cm_pkw_int(cm_pkw *w, int64_t v);
void cm_pkw_float(cm_pkw *w, double v);
void cm_pkw_str(cm_pkw *w, const char *s); /* UTF-8 */
void cm_pkw_strn(cm_pkw *w, const char *s, size_t n);
void cm_pkw_bytes(cm_pkw *w, const void *p, size_t n); /* protocol 2 goes through _codecs.encode */
void cm_pkw_global(cm_pkw *w, const char *module, const char *name);
void cm_pkw_mark(cm_pkw *w);
void cm_pkw_empty_list(cm_pkw *w);
void cm_pkw_empty_dict(cm_pkw *w);
void cm_pkw_empty_tuple(cm_pkw *w);
void cm_pkw_tuple(cm_pkw *w); /* items since the last mark */
void cm_pkw_appends(cm_pkw *w);
void cm_pkw_setitems(cm_pkw *w);
void cm_pkw_reduce(cm_pkw *w);
void cm_pkw_newobj(cm_pkw *w);
void cm_pkw_build(cm_pkw *w);
void cm_pkw_binpersid(cm_pkw *w);
/* Writes a tree of NONE/BOOL/INT/FLOAT/STR/BYTES/LIST/TUPLE/DICT/GLOBAL nodes. */
int cm_pkw_value(cm_pkw *w, const cm_pk *v, cm_err *err);
/* Emits STOP; returns -1 (with err) if any allocation failed along the way. */
int cm_pkw_finish(cm_pkw *w, cm_err *err);
#endif
