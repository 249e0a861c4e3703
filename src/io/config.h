/* YAML configuration tree (engine / env / agent yaml files, as in MimicKit's data/ folder).
 *
 * A config is a tree of scalars, sequences and maps. Every node remembers the file and the
 * 1-based line where it appeared, so a wrong value is reported as "file:line: key 'x': ...".
 * Typed getters take a default for absent keys and fail (return -1, fill cm_err) when the value
 * has the wrong type, instead of silently converting. Read the public fields, never write them:
 * use cm_cfg_set / cm_cfg_set_node to change a tree.
 */
#ifndef CM_IO_CONFIG_H
#define CM_IO_CONFIG_H
#include "core/err.h"

typedef enum { CM_CFG_SCALAR, CM_CFG_SEQ, CM_CFG_MAP } cm_cfg_kind;

typedef struct cm_cfg cm_cfg;
struct cm_cfg {
  cm_cfg_kind kind;
  char *file; /* where the node came from: a path, or a source such as "command line" */
  int line;   /* 1-based */
  int col;    /* 1-based */
  /* scalar */
  char *str;  /* text; plain null forms (empty, ~, null) are stored as "null" with quoted == 0 */
  int quoted; /* 1 when written quoted (or tagged !!str): always a string, never a null */
  /* sequence (items) and map (keys + items, in file order) */
  int n, cap;
  char **keys;    /* map only */
  int *key_lines; /* map only: line of each key, for messages about the key itself */
  cm_cfg **items;
};

/* Loading. The root may be any kind; an empty document gives an empty map. */
int cm_cfg_load(const char *path, cm_cfg **out, cm_err *err);
/* Parses in-memory text; name stands in for the file path in nodes and messages. */
int cm_cfg_parse(const char *name, const char *text, cm_cfg **out, cm_err *err);
void cm_cfg_free(cm_cfg *c);

/* Lookups. cm_cfg_get returns NULL when map is not a map or has no such key. */
const cm_cfg *cm_cfg_get(const cm_cfg *map, const char *key);
int cm_cfg_is_null(const cm_cfg *node);

/* Typed getters: an absent key (or a null value) gives def and returns 0; a value of the wrong
 * type returns -1 with "<file>:<line>: key '<key>': expected a number, got 'abc'".
 * cm_cfg_str's *out points into the tree (valid until it is freed or the key is set again). */
int cm_cfg_str(const cm_cfg *map, const char *key, const char *def, const char **out, cm_err *err);
int cm_cfg_int(const cm_cfg *map, const char *key, long def, long *out, cm_err *err);
/* Numbers: integers, decimals, exponents ("5e-5"), and YAML's .inf / -.inf / .nan. */
int cm_cfg_float(const cm_cfg *map, const char *key, double def, double *out, cm_err *err);
/* cm_cfg_float for values that must be > 0 ("<file>:<line>: key 'k': must be positive, got 0"). */
int cm_cfg_positive(const cm_cfg *map, const char *key, double def, double *out, cm_err *err);
/* Booleans: true/false, True/False, TRUE/FALSE, 1/0. */
int cm_cfg_bool(const cm_cfg *map, const char *key, int def, int *out, cm_err *err);
/* Sequences into a caller array of max entries; an absent key leaves out and *count untouched,
 * so the caller presets defaults. More than max entries is an error. */
int cm_cfg_floats(const cm_cfg *map, const char *key, double *out, int max, int *count, cm_err *err);
int cm_cfg_strs(const cm_cfg *map, const char *key, const char **out, int max, int *count,
                cm_err *err);

/* Conversions of a single scalar node (used by the getters; key names the value in messages). */
int cm_cfg_as_int(const cm_cfg *node, const char *key, long *out, cm_err *err);
int cm_cfg_as_float(const cm_cfg *node, const char *key, double *out, cm_err *err);
int cm_cfg_as_bool(const cm_cfg *node, const char *key, int *out, cm_err *err);

/* Fails with "<file>: missing required key 'char_file'" (plus ":<line>" for a nested map). */
int cm_cfg_require(const cm_cfg *map, const char *key, cm_err *err);
/* Fails on the first key of map not in known (NULL-terminated):
 * "<file>:<line>: unknown key 'contol_freq' (did you mean 'control_freq'?)". */
int cm_cfg_check_keys(const cm_cfg *map, const char *const *known, cm_err *err);

/* Changing a tree (command-line overrides, resolved configs).
 * cm_cfg_set: path is dotted ("optimizer.learning_rate"); missing maps on the way are created;
 * value is YAML text, so "1e-4", "mujoco", "[0, 0, 1.2]" and "{a: 1}" all work. The new nodes
 * are attributed to source (line 1). An existing key keeps its place in the map. */
int cm_cfg_set(cm_cfg *root, const char *path, const char *value, const char *source, cm_err *err);
/* "path=value", as given after a --set style flag. */
int cm_cfg_override(cm_cfg *root, const char *assignment, const char *source, cm_err *err);
/* Puts node under key in map (replacing any value there) and takes ownership of node,
 * also on failure. */
int cm_cfg_set_node(cm_cfg *map, const char *key, cm_cfg *node, cm_err *err);
/* Lays the map overlay over the map dst: maps present in both are merged key by key, any
 * other value of overlay replaces dst's (or is appended), keeping its file and line for
 * messages. Top-level keys of overlay named in skip (NULL-terminated, or NULL) are left out. */
int cm_cfg_merge(cm_cfg *dst, const cm_cfg *overlay, const char *const *skip, cm_err *err);
cm_cfg *cm_cfg_new_map(const char *source);
cm_cfg *cm_cfg_clone(const cm_cfg *c);
/* Structural equality: kinds, keys in order, scalar text and quoting (not file or line). */
int cm_cfg_equal(const cm_cfg *a, const cm_cfg *b);

/* Writes the tree as block-style YAML (sequences of scalars in flow style, like MimicKit's
 * files); *text is malloc'd. cm_cfg_save writes it atomically to path. */
int cm_cfg_write(const cm_cfg *c, char **text, cm_err *err);
int cm_cfg_save(const cm_cfg *c, const char *path, cm_err *err);

/* Edit distance (with transpositions) and the closest name in a NULL-terminated list, or NULL
 * when none is close enough to be a likely typo; else the one name that the word (3 letters or
 * more) begins, an abbreviation. Shared with the args parser. */
int cm_edit_distance(const char *a, const char *b);
const char *cm_closest_name(const char *word, const char *const *known);
#endif
