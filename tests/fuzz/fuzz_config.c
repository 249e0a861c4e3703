/* YAML config tree: parse, then every typed getter on every key of every map, the key checks,
 * an override, and the write -> parse round trip (a tree that was written must read back equal:
 * a mismatch aborts, so the fuzzer reports it like a crash). */
#include "fuzz_util.h"
#include "io/config.h"

static const char *const k_known[] = {"engine_name", "env_name", "agent_name", "char_file", "motion_file",
                                      "num_envs", "optimizer", "learning_rate", NULL};

/* cm_cfg_equal, except that plain text libyaml cannot write plain where it stands ("-" in a
 * list, text with line breaks) comes back quoted: harmless when it is no number, bool or null,
 * which is what this checks. */
static int same(const cm_cfg *a, const cm_cfg *b) {
  if (a->kind != b->kind || a->n != b->n) return 0;
  if (a->kind == CM_CFG_SCALAR) {
    if (strcmp(a->str, b->str)) return 0;
    if (a->quoted == b->quoted) return 1;
    cm_cfg plain = *a;
    plain.quoted = 0;
    double f;
    int v;
    cm_err e;
    return !a->quoted && strcmp(a->str, "null") && cm_cfg_as_float(&plain, "v", &f, &e) &&
           cm_cfg_as_bool(&plain, "v", &v, &e);
  }
  for (int i = 0; i < a->n; i++)
    if ((a->kind == CM_CFG_MAP && strcmp(a->keys[i], b->keys[i])) || !same(a->items[i], b->items[i])) return 0;
  return 1;
}

static void walk(cm_cfg *c, int depth) {
  if (!c || depth > 32) return;
  cm_err err;
  cm_cfg_is_null(c);
  if (c->kind == CM_CFG_SCALAR) {
    long i;
    double f;
    int b;
    cm_cfg_as_int(c, "v", &i, &err);
    cm_cfg_as_float(c, "v", &f, &err);
    cm_cfg_as_bool(c, "v", &b, &err);
    return;
  }
  if (c->kind == CM_CFG_MAP) {
    cm_cfg_check_keys(c, k_known, &err);
    cm_cfg_require(c, "char_file", &err);
    for (int k = 0; k < c->n; k++) {
      const char *key = c->keys[k], *s, *strs[8];
      long i;
      double f, fs[8];
      int b, n;
      cm_cfg_str(c, key, "d", &s, &err);
      cm_cfg_int(c, key, 1, &i, &err);
      cm_cfg_float(c, key, 1, &f, &err);
      cm_cfg_positive(c, key, 1, &f, &err);
      cm_cfg_bool(c, key, 0, &b, &err);
      cm_cfg_floats(c, key, fs, 8, &n, &err);
      cm_cfg_strs(c, key, strs, 8, &n, &err);
      cm_closest_name(key, k_known);
    }
  }
  for (int k = 0; k < c->n; k++) walk(c->items[k], depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_cstr(data, size);
  cm_cfg *c = NULL;
  cm_err err;
  if (cm_cfg_parse("fuzz.yaml", text, &c, &err) == 0) {
    walk(c, 0);
    char *out = NULL;
    if (cm_cfg_write(c, &out, &err) == 0) {
      cm_cfg *back = NULL;
      if (cm_cfg_parse("written.yaml", out, &back, &err) != 0 || !same(c, back)) {
        fprintf(stderr, "round trip failed: %s\n--- written:\n%s\n", err.msg, out);
        abort();
      }
      cm_cfg_free(back);
      free(out);
    }
    cm_cfg *k = cm_cfg_clone(c);
    if (k && !cm_cfg_equal(c, k)) abort();
    cm_cfg_free(k);
    if (c->kind == CM_CFG_MAP) {
      /* The first line of the input as an override, as --set would pass it. */
      char *nl = strchr(text, '\n');
      if (nl) *nl = 0;
      cm_cfg_override(c, text, "command line", &err);
      cm_cfg_set(c, "optimizer.learning_rate", "1e-4", "command line", &err);
    }
    cm_cfg_free(c);
  }
  free(text);
  return 0;
}
