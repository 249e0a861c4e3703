/* Pickle reader/writer: C round trips, python3's pickle as the oracle (it reads what we write and
 * writes protocols 0..5 back), numpy arrays written by numpy itself, and malformed input
 * (every truncation, random byte flips, hand-made bad opcodes) failing with one line, no crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "python_oracle.h"
#include "core/fileio.h"
#include "io/pickle.h"

static char tmpdir[64];
/* Fixtures by absolute path, so the test runs from any directory (ctest runs it from the root). */
#define FIXTURE(name) CM_SOURCE_DIR "/tests/data/formats/" name


/* ---- the sample document: written by C, checked after every trip ---- */
static const int64_t ints[] = {0, 1, 255, 256, 65535, 65536, -1, -129, 2147483647, 2147483648LL,
                               -2147483647LL - 1, -2147483649LL, 4611686018427387904LL, INT64_MIN, INT64_MAX};
static const double floats[] = {0.0, -0.0, 1.5, 1e300, 1.0 / 3.0, -2.5e-310};
static const char *strs[] = {"", "abc", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e", "line\nbreak\\ back"};

static void write_sample(cm_pkw *w) {
  char longs[301];
  memset(longs, 'a', 300);
  longs[300] = 0;
  unsigned char bin[512];
  for (int i = 0; i < 512; i++) bin[i] = (unsigned char)(i * 7);
  cm_pkw_empty_dict(w);
  cm_pkw_mark(w);
  cm_pkw_str(w, "i");
  cm_pkw_empty_list(w);
  cm_pkw_mark(w);
  for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) cm_pkw_int(w, ints[k]);
  cm_pkw_appends(w);
  cm_pkw_str(w, "f");
  cm_pkw_empty_list(w);
  cm_pkw_mark(w);
  for (size_t k = 0; k < sizeof floats / sizeof floats[0]; k++) cm_pkw_float(w, floats[k]);
  cm_pkw_appends(w);
  cm_pkw_str(w, "s");
  cm_pkw_empty_list(w);
  cm_pkw_mark(w);
  for (size_t k = 0; k < 4; k++) cm_pkw_str(w, strs[k]);
  cm_pkw_str(w, longs);
  cm_pkw_appends(w);
  cm_pkw_str(w, "b");
  cm_pkw_empty_list(w);
  cm_pkw_mark(w);
  cm_pkw_bytes(w, "", 0);
  cm_pkw_bytes(w, "\x00\xff\x80" "abc", 6);
  cm_pkw_bytes(w, bin, sizeof bin);
  cm_pkw_appends(w);
  cm_pkw_str(w, "t");
  cm_pkw_mark(w);
  cm_pkw_int(w, 1);
  cm_pkw_str(w, "x");
  cm_pkw_none(w);
  cm_pkw_bool(w, 1);
  cm_pkw_bool(w, 0);
  cm_pkw_tuple(w);
  cm_pkw_str(w, "n");
  cm_pkw_none(w);
  cm_pkw_str(w, "nested"); /* [[[]], {}, {"k": [1.0]}, ()] */
  cm_pkw_empty_list(w);
  cm_pkw_mark(w);
  cm_pkw_empty_list(w);
  cm_pkw_mark(w);
  cm_pkw_empty_list(w);
  cm_pkw_appends(w);
  cm_pkw_empty_dict(w);
  cm_pkw_empty_dict(w);
  cm_pkw_mark(w);
  cm_pkw_str(w, "k");
  cm_pkw_empty_list(w);
  cm_pkw_mark(w);
  cm_pkw_float(w, 1.0);
  cm_pkw_appends(w);
  cm_pkw_setitems(w);
  cm_pkw_empty_tuple(w);
  cm_pkw_appends(w);
  cm_pkw_setitems(w);
}

static const char *sample_py_expected =
    "expected = {'i': [0, 1, 255, 256, 65535, 65536, -1, -129, 2147483647, 2147483648, -2147483648,\n"
    "  -2147483649, 2**62, -2**63, 2**63 - 1], 'f': [0.0, -0.0, 1.5, 1e300, 1.0/3.0, -2.5e-310],\n"
    "  's': ['', 'abc', 'h\\u00e9llo \\u2713 \\U0001d11e', 'line\\nbreak\\\\ back', 'a' * 300],\n"
    "  'b': [b'', b'\\x00\\xff\\x80abc', bytes((i * 7) % 256 for i in range(512))],\n"
    "  't': (1, 'x', None, True, False), 'n': None, 'nested': [[[]], {}, {'k': [1.0]}, ()]}\n";

static void check_sample(const cm_pk *r, const char *label) {
  int before = check_failures;
  CHECK(r && r->type == CM_PK_DICT && cm_pk_len(r) == 7);
  const cm_pk *i = cm_pk_dict_get(r, "i"), *f = cm_pk_dict_get(r, "f"), *s = cm_pk_dict_get(r, "s");
  const cm_pk *b = cm_pk_dict_get(r, "b"), *t = cm_pk_dict_get(r, "t"), *nested = cm_pk_dict_get(r, "nested");
  CHECK(i && i->type == CM_PK_LIST && i->n == sizeof ints / sizeof ints[0]);
  for (size_t k = 0; i && k < i->n; k++) CHECK(i->items[k]->type == CM_PK_INT && i->items[k]->i == ints[k]);
  CHECK(f && f->type == CM_PK_LIST && f->n == 6);
  for (size_t k = 0; f && k < f->n; k++)
    CHECK(f->items[k]->type == CM_PK_FLOAT && memcmp(&f->items[k]->f, &floats[k], 8) == 0);
  CHECK(s && s->n == 5);
  for (size_t k = 0; s && k < 4; k++) CHECK(s->items[k]->type == CM_PK_STR && strcmp(s->items[k]->s, strs[k]) == 0);
  CHECK(s && s->items[4]->len == 300 && s->items[4]->s[299] == 'a');
  CHECK(b && b->n == 3 && b->items[0]->type == CM_PK_BYTES && b->items[0]->len == 0);
  CHECK(b && b->items[1]->len == 6 && memcmp(b->items[1]->s, "\x00\xff\x80" "abc", 6) == 0);
  int bin_ok = b && b->items[2]->type == CM_PK_BYTES && b->items[2]->len == 512;
  for (int k = 0; bin_ok && k < 512; k++) bin_ok = (unsigned char)b->items[2]->s[k] == (unsigned char)(k * 7);
  CHECK(bin_ok);
  CHECK(t && t->type == CM_PK_TUPLE && t->n == 5 && t->items[0]->i == 1 && strcmp(t->items[1]->s, "x") == 0 &&
        t->items[2]->type == CM_PK_NONE && t->items[3]->type == CM_PK_BOOL && t->items[3]->i == 1 &&
        t->items[4]->type == CM_PK_BOOL && t->items[4]->i == 0);
  CHECK(cm_pk_dict_get(r, "n") && cm_pk_dict_get(r, "n")->type == CM_PK_NONE);
  CHECK(nested && nested->n == 4 && nested->items[0]->n == 1 && nested->items[0]->items[0]->type == CM_PK_LIST &&
        nested->items[1]->type == CM_PK_DICT && nested->items[1]->n == 0 && nested->items[3]->type == CM_PK_TUPLE);
  const cm_pk *kk = nested ? cm_pk_dict_get(nested->items[2], "k") : NULL;
  CHECK(kk && kk->n == 1 && kk->items[0]->f == 1.0);
  if (check_failures != before) fprintf(stderr, "  (sample read from %s)\n", label);
}

static int write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  fwrite(p, 1, n, f);
  return fclose(f);
}

/* C writes protocols 2..5, C reads back; python3 reads them, checks, and writes 0..5 for C. */
static void test_round_trips(void) {
  cm_err err;
  const char *py = python_find("pickle");
  if (!py) printf("SKIP: python3 not found; python round trips of the sample not run\n");
  cm_pk_doc fixture; /* protocol 0 text opcodes, written by python3 */
  int rc_fixture = cm_pk_load(FIXTURE("sample_p0.pkl"), &fixture, &err);
  CHECK_OK(rc_fixture, &err);
  if (rc_fixture == 0) {
    check_sample(fixture.root, "fixture sample_p0.pkl");
    cm_pk_doc_free(&fixture);
  }
  for (int proto = 2; proto <= 5; proto++) {
    cm_pkw w;
    cm_pkw_init(&w, proto);
    write_sample(&w);
    CHECK_OK(cm_pkw_finish(&w, &err), &err);
    cm_pk_doc doc;
    CHECK_OK(cm_pk_parse(w.out.data, w.out.len, "c-written", &doc, &err), &err);
    check_sample(doc.root, "C writer, C reader");
    cm_pk_doc_free(&doc);
    char path[128], args[512];
    snprintf(path, sizeof path, "%s/c_p%d.pkl", tmpdir, proto);
    CHECK(write_file(path, w.out.data, w.out.len) == 0);
    cm_pkw_free(&w);
    if (!py) continue;
    char script[4096];
    snprintf(script, sizeof script,
             "import pickle, sys\n%s"
             "obj = pickle.load(open(sys.argv[1], 'rb'))\n"
             "if repr(obj) != repr(expected):\n  print('python read', repr(obj)[:2000]); sys.exit(1)\n"
             "for p in range(6):\n  pickle.dump(obj, open(sys.argv[2] + '.p%%d' %% p, 'wb'), protocol=p)\n",
             sample_py_expected);
    snprintf(args, sizeof args, "%s %s/py%d", path, tmpdir, proto);
    int rc = python_run(py, tmpdir, script, args);
    CHECK(rc == 0);
    if (rc) continue;
    for (int p = 0; p <= 5; p++) {
      char pp[160];
      snprintf(pp, sizeof pp, "%s/py%d.p%d", tmpdir, proto, p);
      CHECK_OK(cm_pk_load(pp, &doc, &err), &err);
      check_sample(doc.root, pp);
      cm_pk_doc_free(&doc);
    }
  }
}

static void check_numpy_doc(const cm_pk *r, const char *label) {
  int before = check_failures;
  const cm_pk *a3 = cm_pk_dict_get(r, "a3"), *f2 = cm_pk_dict_get(r, "f2"), *i1 = cm_pk_dict_get(r, "i1");
  const cm_pk *e = cm_pk_dict_get(r, "e"), *be = cm_pk_dict_get(r, "be");
  CHECK(a3 && a3->type == CM_PK_ARRAY && a3->ndim == 3 && a3->shape[0] == 2 && a3->shape[1] == 3 && a3->shape[2] == 4);
  for (int k = 0; a3 && k < 24; k++) CHECK(a3->data[k] == k * 0.5 - 3);
  /* f2 = asfortranarray(arange(15).reshape(3, 5) / 7): row-major values must come out */
  CHECK(f2 && f2->type == CM_PK_ARRAY && f2->ndim == 2 && f2->shape[0] == 3 && f2->shape[1] == 5);
  for (int k = 0; f2 && k < 15; k++) CHECK(f2->data[k] == k / 7.0);
  CHECK(i1 && i1->type == CM_PK_ARRAY && i1->ndim == 1 && i1->shape[0] == 4);
  for (int k = 0; i1 && k < 4; k++) CHECK(i1->data[k] == (k - 2) * 1000000000000.0);
  CHECK(e && e->type == CM_PK_ARRAY && e->ndim == 2 && e->shape[0] == 0 && e->shape[1] == 3);
  CHECK(be && be->type == CM_PK_ARRAY && be->ndim == 1 && be->shape[0] == 3 && be->data[0] == 1.25 && be->data[2] == -3);
  const cm_pk *s64 = cm_pk_dict_get(r, "s64"), *s32 = cm_pk_dict_get(r, "s32"), *si = cm_pk_dict_get(r, "si");
  CHECK(s64 && s64->type == CM_PK_FLOAT && s64->f == 29.97);
  CHECK(s32 && s32->type == CM_PK_FLOAT && s32->f == 0.25);
  CHECK(si && si->type == CM_PK_INT && si->i == -7);
  if (check_failures != before) fprintf(stderr, "  (numpy doc %s)\n", label);
}

static void test_numpy(void) {
  const char *py = python_find("pickle, numpy");
  cm_err err;
  cm_pk_doc doc;
  /* committed fixture, made by numpy 1.24 at protocol 2: works without python */
  int rc_fixture = cm_pk_load(FIXTURE("numpy_p2.pkl"), &doc, &err);
  CHECK_OK(rc_fixture, &err);
  if (rc_fixture == 0) {
    check_numpy_doc(doc.root, "fixture numpy_p2.pkl");
    cm_pk_doc_free(&doc);
  }
  if (!py) {
    printf("SKIP: no python3 with numpy; numpy pickles from a live numpy not tested\n");
    return;
  }
  const char *script =
      "import pickle, sys, numpy as np\n"
      "d = {'a3': (np.arange(24, dtype=np.float32) * 0.5 - 3).reshape(2, 3, 4),\n"
      "     'f2': np.asfortranarray(np.arange(15, dtype=np.float64).reshape(3, 5) / 7),\n"
      "     'i1': (np.arange(4, dtype=np.int64) - 2) * 1000000000000,\n"
      "     'e': np.zeros((0, 3), dtype=np.float32), 'be': np.array([1.25, 0, -3], dtype='>f8'),\n"
      "     's64': np.float64(29.97), 's32': np.float32(0.25), 'si': np.int64(-7)}\n"
      "assert not d['f2'].flags['C_CONTIGUOUS']\n"
      "for p in range(6):\n  pickle.dump(d, open(sys.argv[1] + '.p%d' % p, 'wb'), protocol=p)\n";
  char args[128];
  snprintf(args, sizeof args, "%s/np", tmpdir);
  int rc = python_run(py, tmpdir, script, args);
  CHECK(rc == 0);
  for (int p = 0; rc == 0 && p <= 5; p++) {
    char pp[160];
    snprintf(pp, sizeof pp, "%s/np.p%d", tmpdir, p);
    CHECK_OK(cm_pk_load(pp, &doc, &err), &err);
    check_numpy_doc(doc.root, pp);
    cm_pk_doc_free(&doc);
  }
}

/* Every prefix and many random corruptions of real pickles: an error or a tree, never a crash. */
static void fuzz_one(const unsigned char *data, size_t len, const char *label) {
  cm_err err;
  cm_pk_doc doc;
  int truncated_ok = 1;
  for (size_t cut = 0; cut < len; cut++) {
    if (cm_pk_parse(data, cut, "cut.pkl", &doc, &err) == 0) {
      truncated_ok = 0;
      cm_pk_doc_free(&doc);
    } else if (strncmp(err.msg, "cut.pkl: pickle: ", 17) != 0 || strchr(err.msg, '\n')) {
      truncated_ok = 0;
    }
  }
  CHECK(truncated_ok);
  unsigned char *copy = malloc(len);
  uint64_t s = 0x9E3779B97F4A7C15ull;
  int parsed = 0;
  for (int trial = 0; trial < 3000; trial++) {
    memcpy(copy, data, len);
    int flips = 1 + trial % 4;
    for (int k = 0; k < flips; k++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      size_t at = (size_t)(s >> 33) % len;
      copy[at] = (unsigned char)(s >> 17);
    }
    if (cm_pk_parse(copy, len, label, &doc, &err) == 0) {
      parsed++;
      cm_pk_doc_free(&doc);
    }
  }
  free(copy);
  printf("fuzz %s: %zu bytes, %d of 3000 corrupted copies still parsed\n", label, len, parsed);
}

static void test_fuzz(void) {
  cm_err err;
  cm_pkw w;
  cm_pkw_init(&w, 2);
  write_sample(&w);
  CHECK_OK(cm_pkw_finish(&w, &err), &err);
  fuzz_one(w.out.data, w.out.len, "sample-p2");
  cm_pkw_free(&w);
  const char *files[] = {FIXTURE("numpy_p2.pkl"), FIXTURE("numpy_p5.pkl"), FIXTURE("sample_p0.pkl")};
  for (int i = 0; i < 3; i++) {
    char *buf = NULL;
    size_t n = 0;
    int rc = cm_read_file(files[i], &buf, &n, &err);
    CHECK_OK(rc, &err);
    if (rc == 0 && n) fuzz_one((unsigned char *)buf, n, files[i]); /* a failed read left buf, n unset */
    free(buf);
  }
}

static void expect_error(const void *p, size_t n, const char *msg) {
  cm_err err;
  cm_pk_doc doc;
  int rc = cm_pk_parse(p, n, "bad.pkl", &doc, &err);
  CHECK(rc == -1);
  if (rc == 0) fprintf(stderr, "  expected \"%s\" but it parsed\n", msg);
  if (rc == 0) cm_pk_doc_free(&doc);
  else if (strcmp(err.msg, msg) != 0) {
    check_failures++;
    fprintf(stderr, "expected error \"%s\", got \"%s\"\n", msg, err.msg);
  }
}

static void test_errors(void) {
  expect_error("", 0, "bad.pkl: pickle: truncated at byte 0");
  expect_error("\x80\x02\xff", 3, "bad.pkl: pickle: unknown opcode 0xff at byte 2");
  expect_error("\x80\x02K\x01", 4, "bad.pkl: pickle: truncated at byte 4");
  expect_error("\x80\x02J\x01\x00", 5, "bad.pkl: pickle: truncated at byte 2");
  expect_error("\x80\x02.", 3, "bad.pkl: pickle: stack underflow at byte 2");
  expect_error("\x80\x02X\xff\xff\xff\xff" "abc.", 11, "bad.pkl: pickle: truncated at byte 2");
  expect_error("\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff.", 12, "bad.pkl: pickle: truncated at byte 2");
  expect_error("\x80\x02Nr\xff\xff\xff\x7f.", 9, "bad.pkl: pickle: memo index too large at byte 3");
  expect_error("\x80\x02h\x05.", 4, "bad.pkl: pickle: memo key not found at byte 2");
  expect_error("\x80\x02K\x01" "e.", 5, "bad.pkl: pickle: no MARK on the stack at byte 4");
  expect_error("\x80\x02(K\x01" "e.", 6, "bad.pkl: pickle: stack underflow at byte 5");
  expect_error("\x80\x02K\x01(K\x01" "e.", 8, "bad.pkl: pickle: APPENDS target is not a list at byte 7");
  expect_error("\x80\x02N(\x85.", 6, "bad.pkl: pickle: stack underflow at byte 4"); /* TUPLE1 across a mark */
  expect_error("\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09.", 14,
               "bad.pkl: pickle: integer does not fit in 64 bits at byte 2");
  expect_error("\x80\x02K\x01K\x02R.", 7, "bad.pkl: pickle: REDUCE arguments are not a tuple at byte 6");
  /* protocol 0 text opcodes parse */
  cm_err err;
  cm_pk_doc doc;
  const char *p0 = "(dp0\nVfps\np1\nF30.5\nsS'a\\'b'\np2\nI01\nsVx\\u00e9\nL12345678901L\ns.";
  CHECK_OK(cm_pk_parse(p0, strlen(p0), "p0", &doc, &err), &err);
  if (doc.root) {
    CHECK(cm_pk_dict_get(doc.root, "fps") && cm_pk_dict_get(doc.root, "fps")->f == 30.5);
    CHECK(cm_pk_dict_get(doc.root, "a'b") && cm_pk_dict_get(doc.root, "a'b")->type == CM_PK_BOOL);
    CHECK(cm_pk_dict_get(doc.root, "x\xc3\xa9") && cm_pk_dict_get(doc.root, "x\xc3\xa9")->i == 12345678901LL);
  }
  cm_pk_doc_free(&doc);
}

/* Generic nodes for torch: GLOBAL, BINPERSID, REDUCE, NEWOBJ, BUILD, OrderedDict. */
static void test_generic_calls(void) {
  cm_err err;
  cm_pkw w;
  cm_pkw_init(&w, 2);
  cm_pkw_global(&w, "collections", "OrderedDict");
  cm_pkw_empty_tuple(&w);
  cm_pkw_reduce(&w);
  cm_pkw_mark(&w);
  cm_pkw_str(&w, "w");
  cm_pkw_global(&w, "torch._utils", "_rebuild_tensor_v2");
  cm_pkw_mark(&w);
  cm_pkw_mark(&w);
  cm_pkw_str(&w, "storage");
  cm_pkw_global(&w, "torch", "FloatStorage");
  cm_pkw_str(&w, "0");
  cm_pkw_str(&w, "cpu");
  cm_pkw_int(&w, 6);
  cm_pkw_tuple(&w);
  cm_pkw_binpersid(&w);
  cm_pkw_int(&w, 0);
  cm_pkw_tuple(&w);
  cm_pkw_reduce(&w);
  cm_pkw_setitems(&w);
  cm_pkw_empty_dict(&w);
  cm_pkw_build(&w);
  CHECK_OK(cm_pkw_finish(&w, &err), &err);
  cm_pk_doc doc;
  CHECK_OK(cm_pk_parse(w.out.data, w.out.len, "generic", &doc, &err), &err);
  const cm_pk *r = doc.root;
  CHECK(r && r->type == CM_PK_DICT && r->ordered && r->state && r->state->type == CM_PK_DICT);
  const cm_pk *t = cm_pk_dict_get(r, "w");
  CHECK(t && t->type == CM_PK_CALL && cm_pk_is_global(t->func, "torch._utils", "_rebuild_tensor_v2"));
  const cm_pk *pid = t ? t->args->items[0] : NULL;
  CHECK(pid && pid->type == CM_PK_PERSID && pid->args->type == CM_PK_TUPLE && pid->args->n == 5 &&
        cm_pk_is_global(pid->args->items[1], "torch", "FloatStorage") && pid->args->items[4]->i == 6);
  cm_pk_doc_free(&doc);
  cm_pkw_free(&w);
}

int main(void) {
  strcpy(tmpdir, "/tmp/cm_test_pickle_XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  test_round_trips();
  test_numpy();
  test_errors();
  test_generic_calls();
  test_fuzz();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  return check_report("test_pickle");
}
