/* int64 tensors in torch checkpoints, as MimicKit keeps its normalizer counts: cmimic writes
 * them as torch.LongStorage (python3's pickle, with stand-ins for torch's classes, reads the exact
 * values back), reads them from a file laid out as torch.save writes it (python3 again), exactly
 * beyond float precision, and a normalizer saved and loaded through the checkpoint helpers keeps
 * its count exactly; a float32 count (older cmimic checkpoints) still loads. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/torch_ckpt.h"
#include "learn/normalizer.h"
#include "learn/trainer.h"
#include "python_oracle.h"

static char tmpdir[64];
static const int64_t k_big = 123456789012LL; /* not representable in float32 */

static const char *py_read =
    "import sys, zipfile, pickle, io, array\n"
    "from collections import OrderedDict\n"
    "z = zipfile.ZipFile(sys.argv[1])\n"
    "class FloatStorage: pass\n"
    "class LongStorage: pass\n"
    "def rebuild(storage, offset, size, stride, requires_grad, hooks):\n"
    "  return (storage[0], tuple(size), list(storage[1]))\n"
    "class U(pickle.Unpickler):\n"
    "  def find_class(self, m, n):\n"
    "    return {('collections', 'OrderedDict'): OrderedDict, ('torch._utils', '_rebuild_tensor_v2'): rebuild,\n"
    "            ('torch', 'FloatStorage'): FloatStorage, ('torch', 'LongStorage'): LongStorage}[(m, n)]\n"
    "  def persistent_load(self, pid):\n"
    "    tag, cls, key, loc, n = pid\n"
    "    a = array.array('q' if cls is LongStorage else 'f'); a.frombytes(z.read('archive/data/' + key))\n"
    "    assert len(a) == n\n"
    "    return (cls.__name__, a)\n"
    "sd = U(io.BytesIO(z.read('archive/data.pkl'))).load()\n"
    "assert sd['n._count'] == ('LongStorage', (1,), [123456789012]), sd['n._count']\n"
    "assert sd['n._mean'] == ('FloatStorage', (2,), [0.5, -1.5]), sd['n._mean']\n"
    "assert sd['ids'] == ('LongStorage', (2, 2), [-3, 0, 1 << 40, 7]), sd['ids']\n";

/* torch.save's layout for {'_obs_norm._count': int64 [1], '_obs_norm._mean'/'_std': float [2]},
 * written by Python's pickler with stand-ins for torch's classes (torch itself is not needed). */
static const char *py_write =
    "import sys, zipfile, pickle, types, struct, io\n"
    "from collections import OrderedDict\n"
    "torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')\n"
    "sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils; torch._utils = utils\n"
    "def _rebuild_tensor_v2(*a): pass\n"
    "_rebuild_tensor_v2.__module__ = 'torch._utils'; utils._rebuild_tensor_v2 = _rebuild_tensor_v2\n"
    "class FloatStorage: pass\n"
    "class LongStorage: pass\n"
    "for c in (FloatStorage, LongStorage): c.__module__ = 'torch'; setattr(torch, c.__name__, c)\n"
    "class Storage:\n"
    "  def __init__(s, key, cls, fmt, values): s.key, s.cls, s.fmt, s.values = key, cls, fmt, values\n"
    "class Tensor:\n"
    "  def __init__(s, st, size): s.a = (st, 0, size, (1,) if size else ())\n"
    "  def __reduce__(s): return (_rebuild_tensor_v2, s.a + (False, OrderedDict()))\n"
    "class P(pickle.Pickler):\n"
    "  def persistent_id(self, o):\n"
    "    if isinstance(o, Storage): return ('storage', o.cls, o.key, 'cpu', len(o.values))\n"
    "    return None\n"
    "sts = [Storage('0', LongStorage, 'q', [123456789012]), Storage('1', FloatStorage, 'f', [0.25, 2.0]),\n"
    "       Storage('2', FloatStorage, 'f', [1.0, 0.5])]\n"
    "sd = OrderedDict([('_obs_norm._count', Tensor(sts[0], (1,))), ('_obs_norm._mean', Tensor(sts[1], (2,))),\n"
    "                  ('_obs_norm._std', Tensor(sts[2], (2,)))])\n"
    "f = io.BytesIO(); P(f, protocol=2).dump(sd)\n"
    "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
    "  z.writestr('archive/data.pkl', f.getvalue())\n"
    "  z.writestr('archive/byteorder', 'little')\n"
    "  for st in sts: z.writestr('archive/data/' + st.key, struct.pack('<%d%s' % (len(st.values), st.fmt), *st.values))\n"
    "  z.writestr('archive/version', '3\\n')\n";

static void test_write_read(void) {
  cm_state_dict sd, back;
  cm_sd_init(&sd);
  cm_err err = {{0}};
  int64_t one[1] = {1}, two[1] = {2}, sq[2] = {2, 2}, cnt = k_big, ids[4] = {-3, 0, (int64_t)1 << 40, 7};
  float mean[2] = {0.5f, -1.5f};
  CHECK_OK(cm_sd_add_i64(&sd, "n._count", 1, one, &cnt, &err), &err);
  CHECK_OK(cm_sd_add(&sd, "n._mean", 1, two, mean, &err), &err);
  CHECK_OK(cm_sd_add_i64(&sd, "ids", 2, sq, ids, &err), &err);
  char path[128];
  snprintf(path, sizeof path, "%s/i64.pt", tmpdir);
  CHECK_OK(cm_torch_save(path, &sd, &err), &err);
  CHECK_OK(cm_torch_load(path, &back, &err), &err);
  const cm_sd_entry *c = cm_sd_find(&back, "n._count"), *m = cm_sd_find(&back, "n._mean"), *i = cm_sd_find(&back, "ids");
  CHECK(c && c->idata && c->idata[0] == k_big && c->data[0] == (float)k_big);
  CHECK(m && !m->idata && m->data[1] == -1.5f);
  CHECK(i && i->idata && i->ndim == 2 && !memcmp(i->idata, ids, sizeof ids));
  cm_sd_free(&back);
  cm_sd_free(&sd);
  const char *py = python_find("zipfile, pickle, array");
  if (!py) {
    printf("SKIP: python3 not found; LongStorage layout not checked by python\n");
    return;
  }
  CHECK(python_run(py, tmpdir, py_read, path) == 0);
}

static void test_torch_layout_in(void) {
  const char *py = python_find("zipfile, pickle, struct");
  if (!py) {
    printf("SKIP: python3 not found; a torch.save-layout file with int64 counts not tested\n");
    return;
  }
  char path[128];
  snprintf(path, sizeof path, "%s/py_norm.pt", tmpdir);
  CHECK(python_run(py, tmpdir, py_write, path) == 0);
  cm_state_dict sd;
  cm_err err = {{0}};
  CHECK_OK(cm_torch_load(path, &sd, &err), &err);
  cm_normalizer n = {0};
  CHECK_OK(cm_norm_create(&n, cm_dev_cpu(), "_obs_norm", 2, 10.f, 1e-4f, 1e12, &err), &err);
  CHECK_OK(cm_ckpt_load_norm(&n, &sd, path, &err), &err);
  CHECK(n.count == k_big);
  float mean[2], std[2];
  cm_norm_get(&n, mean, std);
  CHECK(mean[0] == 0.25f && mean[1] == 2.0f && std[0] == 1.0f && std[1] == 0.5f);
  /* and written back by cmimic: int64 again, same count */
  cm_state_dict out, back;
  cm_sd_init(&out);
  CHECK_OK(cm_ckpt_add_norm(&out, &n, &err), &err);
  const cm_sd_entry *c = cm_sd_find(&out, "_obs_norm._count");
  CHECK(c && c->idata && c->idata[0] == k_big);
  /* a float32 count, as cmimic wrote before: still loads */
  cm_sd_init(&back);
  int64_t one[1] = {1}, two[1] = {2};
  float fc = 4096.f;
  CHECK_OK(cm_sd_add(&back, "_obs_norm._count", 1, one, &fc, &err), &err);
  CHECK_OK(cm_sd_add(&back, "_obs_norm._mean", 1, two, mean, &err), &err);
  CHECK_OK(cm_sd_add(&back, "_obs_norm._std", 1, two, std, &err), &err);
  CHECK_OK(cm_ckpt_load_norm(&n, &back, "old.pt", &err), &err);
  CHECK(n.count == 4096);
  /* a count of the wrong shape: one line naming the tensor, expected and found */
  cm_sd_free(&back);
  cm_sd_init(&back);
  CHECK_OK(cm_sd_add_i64(&back, "_obs_norm._count", 1, two, NULL, &err), &err);
  CHECK(cm_ckpt_load_norm(&n, &back, "bad.pt", &err) == -1);
  CHECK(!strcmp(err.msg, "bad.pt: tensor '_obs_norm._count' has shape [2], expected [1]"));
  if (strcmp(err.msg, "bad.pt: tensor '_obs_norm._count' has shape [2], expected [1]")) fprintf(stderr, "  got %s\n", err.msg);
  cm_sd_free(&back);
  cm_sd_free(&out);
  cm_sd_free(&sd);
  cm_norm_destroy(&n);
}

int main(void) {
  strcpy(tmpdir, "/tmp/cm_test_i64_XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  test_write_read();
  test_torch_layout_in();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  return check_report("test_torch_int64");
}
