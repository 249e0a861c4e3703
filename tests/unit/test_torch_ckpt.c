/* torch.save-compatible checkpoints: C -> C bit-exact; python3's zipfile/pickletools/pickle check
 * the archive (valid, stored, 64-byte aligned payloads, expected GLOBALs, values rebuilt by a
 * stand-in for torch's _rebuild_tensor_v2); a checkpoint laid out by Python's own pickler the
 * way torch.save does (shared storage, offsets, transposed strides, other archive name) reads
 * back right; foreign, truncated and corrupted files fail with one line. torch.load if present. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "python_oracle.h"
#include "core/fileio.h"
#include "io/torch_ckpt.h"

static char tmpdir[64];


/* Exactly representable values; python recomputes the same formula. */
static float val(int k) { return (float)(((k * 37) % 101 - 50) / 16.0); }

typedef struct spec { const char *name; int ndim; int64_t shape[4]; } spec;
static const spec specs[] = {
    {"actor.0.weight", 2, {4, 3}}, {"actor.0.bias", 1, {4}}, {"critic.scale", 0, {0}},
    {"enc.conv", 4, {2, 1, 3, 2}}, {"empty", 2, {0, 3}},
};
enum { NSPEC = sizeof specs / sizeof specs[0] };

static void make_sd(cm_state_dict *sd) {
  cm_err err;
  cm_sd_init(sd);
  for (int i = 0; i < NSPEC; i++) {
    float buf[64];
    for (int k = 0; k < 64; k++) buf[k] = val(k + 100 * i);
    CHECK_OK(cm_sd_add(sd, specs[i].name, specs[i].ndim, specs[i].shape, buf, &err), &err);
  }
}

static void check_same(const cm_state_dict *a, const cm_state_dict *b, const char *label) {
  int before = check_failures;
  CHECK(a->count == b->count);
  for (int i = 0; i < a->count && i < b->count; i++) {
    const cm_sd_entry *x = &a->entries[i], *y = &b->entries[i];
    CHECK(strcmp(x->name, y->name) == 0 && x->ndim == y->ndim);
    for (int d = 0; d < x->ndim && d < y->ndim; d++) CHECK(x->shape[d] == y->shape[d]);
    size_t n = cm_sd_numel(x);
    CHECK(n == cm_sd_numel(y) && memcmp(x->data, y->data, n * sizeof(float)) == 0);
  }
  if (check_failures != before) fprintf(stderr, "  (%s)\n", label);
}

static const char *py_expected =
    "from collections import OrderedDict\n"
    "specs = [('actor.0.weight', (4, 3)), ('actor.0.bias', (4,)), ('critic.scale', ()),\n"
    "         ('enc.conv', (2, 1, 3, 2)), ('empty', (0, 3))]\n"
    "def val(k): return ((k * 37) % 101 - 50) / 16.0\n"
    "def numel(s):\n"
    "  n = 1\n"
    "  for x in s: n *= x\n"
    "  return n\n";

/* python3 reads what C wrote: zip structure, alignment, opcodes, and the values. */
static const char *py_check =
    "import sys, zipfile, pickle, pickletools, struct, array, io, types\n"
    "path = sys.argv[1]\n"
    "z = zipfile.ZipFile(path)\n"
    "assert z.testzip() is None\n"
    "names = z.namelist()\n"
    "want = ['archive/data.pkl', 'archive/byteorder'] + ['archive/data/%d' % i for i in range(len(specs))] + ['archive/version']\n"
    "assert names == want, names\n"
    "raw = open(path, 'rb').read()\n"
    "for info in z.infolist():\n"
    "  assert info.compress_type == zipfile.ZIP_STORED\n"
    "  h = info.header_offset\n"
    "  sig, nl, xl = struct.unpack('<I22xHH', raw[h:h + 30])\n"
    "  assert sig == 0x04034b50\n"
    "  assert (h + 30 + nl + xl) % 64 == 0, (info.filename, h, nl, xl)\n"
    "assert z.read('archive/byteorder') == b'little'\n"
    "assert z.read('archive/version').strip() == b'3'\n"
    "pkl = z.read('archive/data.pkl')\n"
    "globs = set(a for op, a, pos in pickletools.genops(pkl) if op.name == 'GLOBAL')\n"
    "assert globs == {'collections OrderedDict', 'torch._utils _rebuild_tensor_v2', 'torch FloatStorage'}, globs\n"
    "assert any(op.name == 'BINPERSID' for op, a, pos in pickletools.genops(pkl))\n"
    "class FloatStorage: pass\n"
    "def rebuild(storage, offset, size, stride, requires_grad, hooks):\n"
    "  assert requires_grad is False and isinstance(hooks, OrderedDict) and len(hooks) == 0\n"
    "  flat = []\n"
    "  idx = [0] * len(size)\n"
    "  for k in range(numel(size)):\n"
    "    flat.append(storage[offset + sum(i * s for i, s in zip(idx, stride))])\n"
    "    for d in reversed(range(len(size))):\n"
    "      idx[d] += 1\n"
    "      if idx[d] < size[d]: break\n"
    "      idx[d] = 0\n"
    "  return (tuple(size), flat)\n"
    "class U(pickle.Unpickler):\n"
    "  def find_class(self, m, n):\n"
    "    return {('collections', 'OrderedDict'): OrderedDict, ('torch._utils', '_rebuild_tensor_v2'): rebuild,\n"
    "            ('torch', 'FloatStorage'): FloatStorage}[(m, n)]\n"
    "  def persistent_load(self, pid):\n"
    "    tag, cls, key, loc, n = pid\n"
    "    assert tag == 'storage' and cls is FloatStorage and loc == 'cpu'\n"
    "    a = array.array('f'); a.frombytes(z.read('archive/data/' + key))\n"
    "    assert len(a) == n\n"
    "    return a\n"
    "sd = U(io.BytesIO(pkl)).load()\n"
    "assert type(sd) is OrderedDict and list(sd) == [n for n, s in specs], list(sd)\n"
    "for i, (n, s) in enumerate(specs):\n"
    "  shape, flat = sd[n]\n"
    "  assert shape == s, (n, shape)\n"
    "  assert flat == [val(k + 100 * i) for k in range(numel(s))], n\n";

/* python3 writes a checkpoint the way torch.save lays it out (Python's pickler at protocol 2 with
 * persistent ids, memo opcodes), but with an unaligned zip, folder "model", a storage shared by
 * two tensors (a transposed view with an offset) and optionally a double tensor. */
static const char *py_write =
    "import sys, zipfile, pickle, types, struct\n"
    "from collections import OrderedDict\n"
    "torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')\n"
    "sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils; torch._utils = utils\n"
    "def _rebuild_tensor_v2(*a): pass\n"
    "_rebuild_tensor_v2.__module__ = 'torch._utils'; utils._rebuild_tensor_v2 = _rebuild_tensor_v2\n"
    "class FloatStorage: pass\n"
    "class DoubleStorage: pass\n"
    "for c in (FloatStorage, DoubleStorage): c.__module__ = 'torch'; setattr(torch, c.__name__, c)\n"
    "class Storage:\n"
    "  def __init__(s, key, cls, values): s.key, s.cls, s.values = key, cls, values\n"
    "class Tensor:\n"
    "  def __init__(s, st, off, size, stride): s.a = (st, off, size, stride)\n"
    "  def __reduce__(s): return (_rebuild_tensor_v2, s.a + (False, OrderedDict()))\n"
    "class P(pickle.Pickler):\n"
    "  def persistent_id(self, o):\n"
    "    if isinstance(o, Storage): return ('storage', o.cls, o.key, 'cpu', len(o.values))\n"
    "    return None\n"
    "base = Storage('0', FloatStorage, [k * 0.5 - 4 for k in range(20)])\n"
    "one = Storage('1', FloatStorage, [2.5])\n"
    "sd = OrderedDict()\n"
    "sd['w'] = Tensor(base, 0, (3, 4), (4, 1))\n"
    "sd['w_t_tail'] = Tensor(base, 8, (4, 3), (1, 4))\n"
    "sd['s'] = Tensor(one, 0, (), ())\n"
    "if sys.argv[2] == 'double': sd['actor.weight'] = Tensor(Storage('2', DoubleStorage, [1.0]), 0, (1,), (1,))\n"
    "f = io = __import__('io').BytesIO(); P(f, protocol=2).dump(sd)\n"
    "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
    "  z.writestr('model/data.pkl', f.getvalue())\n"
    "  z.writestr('model/byteorder', 'little')\n"
    "  for st in (base, one):\n"
    "    z.writestr('model/data/' + st.key, struct.pack('<%df' % len(st.values), *st.values))\n"
    "  if sys.argv[2] == 'double': z.writestr('model/data/2', struct.pack('<d', 1.0))\n"
    "  z.writestr('model/version', '3\\n')\n";

static void test_python_side(const cm_state_dict *sd, const char *saved) {
  const char *py = python_find("zipfile, pickletools");
  if (!py) {
    printf("SKIP: python3 not found; zip/pickle checks by python not run\n");
    return;
  }
  (void)sd;
  char script[8192], args[512];
  snprintf(script, sizeof script, "%s%s", py_expected, py_check);
  CHECK(python_run(py, tmpdir, script, saved) == 0);

  cm_err err;
  cm_state_dict got;
  snprintf(args, sizeof args, "%s/py.pt plain", tmpdir);
  CHECK(python_run(py, tmpdir, py_write, args) == 0);
  snprintf(args, sizeof args, "%s/py.pt", tmpdir);
  CHECK_OK(cm_torch_load(args, &got, &err), &err);
  CHECK(got.count == 3);
  const cm_sd_entry *w = cm_sd_find(&got, "w"), *wt = cm_sd_find(&got, "w_t_tail"), *s = cm_sd_find(&got, "s");
  CHECK(w && w->ndim == 2 && w->shape[0] == 3 && w->shape[1] == 4);
  for (int k = 0; w && k < 12; k++) CHECK(w->data[k] == k * 0.5f - 4);
  CHECK(wt && wt->ndim == 2 && wt->shape[0] == 4 && wt->shape[1] == 3);
  for (int i = 0; wt && i < 4; i++) /* element (i, j) is storage[8 + i + 4 j] */
    for (int j = 0; j < 3; j++) CHECK(wt->data[i * 3 + j] == (8 + i + 4 * j) * 0.5f - 4);
  CHECK(s && s->ndim == 0 && s->data[0] == 2.5f);
  cm_sd_free(&got);

  snprintf(args, sizeof args, "%s/pyd.pt double", tmpdir);
  CHECK(python_run(py, tmpdir, py_write, args) == 0);
  snprintf(args, sizeof args, "%s/pyd.pt", tmpdir);
  CHECK(cm_torch_load(args, &got, &err) == -1);
  char expected[1024];
  snprintf(expected, sizeof expected, "%s: tensor 'actor.weight' has dtype Double, expected float32 or int64", args);
  CHECK(strcmp(err.msg, expected) == 0);
  if (strcmp(err.msg, expected)) fprintf(stderr, "  got \"%s\"\n", err.msg);
  CHECK(got.count == 0 && got.entries == NULL);

  /* a zip that is not a checkpoint */
  snprintf(args, sizeof args, "%s/other.zip", tmpdir);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "import zipfile; zipfile.ZipFile('%s', 'w').writestr('notes/readme.txt', 'hi')\n", args);
  CHECK(python_run(py, tmpdir, cmd, "") == 0);
  CHECK(cm_torch_load(args, &got, &err) == -1);
  snprintf(expected, sizeof expected, "%s: not a PyTorch zip checkpoint (no <archive>/data.pkl)", args);
  CHECK(strcmp(err.msg, expected) == 0);
}

static void test_real_torch(const char *saved) {
  const char *py = python_find("torch");
  if (!py) {
    printf("SKIP: torch is not installed; torch.load / torch.save interop not tested\n");
    return;
  }
  char script[8192], args[512];
  snprintf(script, sizeof script,
           "%s"
           "import sys, torch\n"
           "sd = torch.load(sys.argv[1], weights_only=True)\n"
           "assert list(sd) == [n for n, s in specs]\n"
           "for i, (n, s) in enumerate(specs):\n"
           "  t = sd[n]\n"
           "  assert t.dtype == torch.float32 and tuple(t.shape) == s, n\n"
           "  assert t.flatten().tolist() == [val(k + 100 * i) for k in range(numel(s))], n\n"
           "torch.save(sd, sys.argv[2])\n",
           py_expected);
  snprintf(args, sizeof args, "%s %s/torch_saved.pt", saved, tmpdir);
  CHECK(python_run(py, tmpdir, script, args) == 0);
  cm_err err;
  cm_state_dict a, b;
  snprintf(args, sizeof args, "%s/torch_saved.pt", tmpdir);
  CHECK_OK(cm_torch_load(args, &b, &err), &err);
  CHECK_OK(cm_torch_load(saved, &a, &err), &err);
  check_same(&a, &b, "torch.save of our file");
  cm_sd_free(&a);
  cm_sd_free(&b);
}

static void test_bad_files(const char *saved) {
  cm_err err;
  cm_state_dict got;
  char *buf;
  size_t n;
  CHECK_OK(cm_read_file(saved, &buf, &n, &err), &err);
  /* every truncation fails with one line naming the file */
  int all_fail = 1;
  for (size_t cut = 0; cut < n; cut++) {
    if (cm_torch_load_mem(buf, cut, "cut.pt", &got, &err) == 0) {
      all_fail = 0;
      cm_sd_free(&got);
    } else if (strncmp(err.msg, "cut.pt: ", 8) != 0) {
      all_fail = 0;
    }
  }
  CHECK(all_fail);
  /* random corruption: errors or (rarely) a clean load, never a crash */
  unsigned char *copy = malloc(n);
  uint64_t s = 12345;
  int loaded = 0;
  for (int trial = 0; trial < 3000; trial++) {
    memcpy(copy, buf, n);
    for (int k = 0; k <= trial % 3; k++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      copy[(s >> 33) % n] = (unsigned char)(s >> 20);
    }
    if (cm_torch_load_mem(copy, n, "flip.pt", &got, &err) == 0) {
      loaded++;
      cm_sd_free(&got);
    }
  }
  printf("corruption: %d of 3000 damaged copies still loaded (flips in padding or unused bytes)\n", loaded);
  free(copy);
  free(buf);
  /* foreign files */
  const char *text = "just some text, not a zip\n";
  CHECK(cm_torch_load_mem(text, strlen(text), "notes.txt", &got, &err) == -1);
  CHECK(strcmp(err.msg, "notes.txt: not a PyTorch zip checkpoint") == 0);
  CHECK(cm_torch_load("tests/data/formats/numpy_p2.pkl", &got, &err) == -1);
  CHECK(strcmp(err.msg, "tests/data/formats/numpy_p2.pkl: not a PyTorch zip checkpoint") == 0);
  CHECK(cm_torch_load("/nonexistent/model.pt", &got, &err) == -1 && strstr(err.msg, "/nonexistent/model.pt"));
}

static void test_state_dict_api(void) {
  cm_err err;
  cm_state_dict sd;
  cm_sd_init(&sd);
  int64_t sh[2] = {2, 2};
  CHECK_OK(cm_sd_add(&sd, "a", 2, sh, NULL, &err), &err);
  CHECK(cm_sd_find(&sd, "a") && cm_sd_find(&sd, "a")->data[3] == 0 && cm_sd_numel(cm_sd_find(&sd, "a")) == 4);
  CHECK(cm_sd_add(&sd, "a", 2, sh, NULL, &err) == -1 && strstr(err.msg, "duplicate tensor 'a'"));
  CHECK(cm_sd_add(&sd, "b", 5, sh, NULL, &err) == -1 && strstr(err.msg, "5 dimensions"));
  int64_t neg[1] = {-1};
  CHECK(cm_sd_add(&sd, "c", 1, neg, NULL, &err) == -1);
  CHECK(cm_sd_find(&sd, "zz") == NULL);
  /* an empty state dict round-trips too */
  cm_state_dict e, back;
  cm_sd_init(&e);
  char path[128];
  snprintf(path, sizeof path, "%s/empty.pt", tmpdir);
  CHECK_OK(cm_torch_save(path, &e, &err), &err);
  CHECK_OK(cm_torch_load(path, &back, &err), &err);
  CHECK(back.count == 0);
  cm_sd_free(&back);
  cm_sd_free(&sd);
}

/* Files torch.save itself wrote (torch 2.11, tests/data/formats/torch/make_torch_fixtures.py). */
static void test_torch_written(void) {
  cm_err err;
  cm_state_dict sd;
  /* nn.Sequential(Linear(3,5), Tanh, Linear(5,2)) state dict: OrderedDict with _metadata BUILD */
  static const float vals[] = {
      1.54099607f, -0.293428898f, -2.17878938f, 0.568431258f, -1.08452237f, -1.39859545f, 0.403346837f,
      0.838026345f, -0.719257593f, -0.403343529f, -0.596635342f, 0.182036489f, -0.856674612f, 1.10060418f,
      -1.07118738f, 0.122701243f, -0.566317499f, 0.373114645f, -0.891995311f, -1.50910771f, 0.370393544f,
      1.45650256f, 0.939809918f, 0.774848819f, 0.191869423f, 1.26379478f, -1.29043508f, -0.791102707f,
      -0.0208794735f, -0.718480051f, 0.518636763f, -1.31252193f};
  static const spec mod[] = {{"0.weight", 2, {5, 3}}, {"0.bias", 1, {5}}, {"2.weight", 2, {2, 5}}, {"2.bias", 1, {2}}};
  CHECK_OK(cm_torch_load("tests/data/formats/torch/module_sd.pt", &sd, &err), &err);
  CHECK(sd.count == 4);
  size_t at = 0;
  for (int i = 0; i < 4 && i < sd.count; i++) {
    const cm_sd_entry *e = &sd.entries[i];
    CHECK(strcmp(e->name, mod[i].name) == 0 && e->ndim == mod[i].ndim && e->shape[0] == mod[i].shape[0]);
    size_t n = cm_sd_numel(e);
    CHECK(at + n <= 32 && memcmp(e->data, vals + at, n * sizeof(float)) == 0);
    at += n;
  }
  cm_sd_free(&sd);
  /* w = arange(12).reshape(3, 4); wt = w.t(); tail = w[1:] -- one shared storage */
  CHECK_OK(cm_torch_load("tests/data/formats/torch/views.pt", &sd, &err), &err);
  const cm_sd_entry *w = cm_sd_find(&sd, "w"), *wt = cm_sd_find(&sd, "wt"), *tail = cm_sd_find(&sd, "tail");
  CHECK(w && wt && tail && sd.count == 3);
  for (int k = 0; w && k < 12; k++) CHECK(w->data[k] == k);
  for (int i = 0; wt && i < 4; i++)
    for (int j = 0; j < 3; j++) CHECK(wt->shape[0] == 4 && wt->data[i * 3 + j] == j * 4 + i);
  for (int k = 0; tail && k < 8; k++) CHECK(tail->shape[0] == 2 && tail->data[k] == k + 4);
  cm_sd_free(&sd);
  /* our checkpoint after torch.load + torch.save: same names, shapes and bits */
  CHECK_OK(cm_torch_load("tests/data/formats/torch/torch_resaved.pt", &sd, &err), &err);
  static const spec ours[] = {{"actor.0.weight", 2, {4, 3}}, {"actor.0.bias", 1, {4}}, {"critic.scale", 0, {0}},
                              {"enc.conv", 4, {2, 1, 3, 2}}};
  CHECK(sd.count == 4);
  for (int i = 0; i < 4 && i < sd.count; i++) {
    const cm_sd_entry *e = &sd.entries[i];
    CHECK(strcmp(e->name, ours[i].name) == 0 && e->ndim == ours[i].ndim);
    for (size_t k = 0; k < cm_sd_numel(e); k++) CHECK(e->data[k] == val((int)k + i));
  }
  cm_sd_free(&sd);
  CHECK(cm_torch_load("tests/data/formats/torch/double.pt", &sd, &err) == -1);
  CHECK(strcmp(err.msg, "tests/data/formats/torch/double.pt: tensor 'd' has dtype Double, expected float32 or int64") == 0);
  CHECK(cm_torch_load("tests/data/formats/torch/legacy.pt", &sd, &err) == -1);
  CHECK(strcmp(err.msg, "tests/data/formats/torch/legacy.pt: not a PyTorch zip checkpoint (torch's legacy format: "
                        "re-save it with torch.save's default zip format)") == 0);
}

int main(void) {
  strcpy(tmpdir, "/tmp/cm_test_torch_XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  cm_err err;
  cm_state_dict sd, back;
  make_sd(&sd);
  char saved[128];
  snprintf(saved, sizeof saved, "%s/model.pt", tmpdir);
  CHECK_OK(cm_torch_save(saved, &sd, &err), &err);
  CHECK_OK(cm_torch_load(saved, &back, &err), &err);
  check_same(&sd, &back, "C save -> C load");
  cm_sd_free(&back);
  test_state_dict_api();
  test_torch_written();
  test_python_side(&sd, saved);
  test_real_torch(saved);
  test_bad_files(saved);
  test_bad_files("tests/data/formats/torch/module_sd.pt");
  cm_sd_free(&sd);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  return check_report("test_torch_ckpt");
}
