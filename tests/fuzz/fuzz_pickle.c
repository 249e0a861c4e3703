/* Pickle reader: parse any bytes, then walk the tree with the public helpers (bounded depth:
 * the memo can make a node its own descendant). */
#include "fuzz_util.h"
#include "io/pickle.h"

/* The memo shares nodes (a dict may hold itself many times), so a walk is bounded by the nodes
 * it visits, not only by depth: a depth bound alone is exponential on such a graph. */
static long g_budget;

static void walk(const cm_pk *v, int depth) {
  if (!v || depth > 24 || --g_budget < 0) return;
  double x;
  cm_pk_type_name(v->type);
  cm_pk_len(v);
  cm_pk_number(v, &x);
  cm_pk_array_count(v);
  cm_pk_dict_get(v, "frames");
  cm_pk_is_global(v, "torch._utils", "_rebuild_tensor_v2");
  if (v->type == CM_PK_ARRAY) {
    size_t n = cm_pk_array_count(v);
    volatile double sum = 0;
    for (size_t i = 0; i < n; i++) sum += v->data[i]; /* every element must be readable */
  }
  if (v->type == CM_PK_LIST || v->type == CM_PK_TUPLE || v->type == CM_PK_DICT)
    for (size_t i = 0; i < v->n; i++) walk(v->items[i], depth + 1);
  walk(v->func, depth + 1);
  walk(v->args, depth + 1);
  walk(v->state, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cm_pk_doc doc;
  cm_err err;
  if (cm_pk_parse(data, size, "fuzz.pkl", &doc, &err) == 0) {
    g_budget = 100000;
    walk(doc.root, 0);
    cm_pk_doc_free(&doc);
  }
  return 0;
}
