# compare_updates.py M0 A B TOL: the parameter updates A - M0 and B - M0 of two model.pt files
# trained from M0 agree within TOL relative (|dA - dB| / |dA| per tensor), normalizer counts
# exactly. Prints the worst ratio; with --differ, asserts instead that some tensor differs by
# more than TOL (the comparison can tell runs apart). torch.save's zip layout is read with
# zipfile/pickle and stand-ins for torch's rebuild functions (no torch needed).
import array, io, pickle, sys, zipfile
from collections import OrderedDict
def load(path):
  z = zipfile.ZipFile(path); top = z.namelist()[0].split('/')[0]
  def rebuild(st, off, size, stride, rg, hooks): return st[off:]
  class Rd(pickle.Unpickler):
    def find_class(self, m, n):
      if (m, n) == ('collections', 'OrderedDict'): return OrderedDict
      if (m, n) == ('torch._utils', '_rebuild_tensor_v2'): return rebuild
      if m == 'torch' and n in ('FloatStorage', 'LongStorage'): return n
      raise KeyError((m, n))
    def persistent_load(self, pid):
      _, cls, key, _, n = pid
      a = array.array('q' if cls == 'LongStorage' else 'f'); a.frombytes(z.read(top + '/data/' + key)); return a
  return Rd(io.BytesIO(z.read(top + '/data.pkl'))).load()
if __name__ == '__main__':
  m0, a, b = (load(p) for p in sys.argv[1:4])
  tol = float(sys.argv[4]); differ = '--differ' in sys.argv
  worst = 0
  for k in a:
    if k.endswith('._count'):
      print(k, a[k][0], b[k][0])
      assert differ or a[k][0] == b[k][0], k
      continue
    d_a = [x - y for x, y in zip(a[k], m0[k])]; d_b = [x - y for x, y in zip(b[k], m0[k])]
    na = sum(x * x for x in d_a) ** 0.5; nd = sum((x - y) ** 2 for x, y in zip(d_a, d_b)) ** 0.5
    if na == 0: assert nd == 0, k; continue
    print('%-45s |update| %.3e  |diff| %.3e  rel %.2e' % (k, na, nd, nd / na)); worst = max(worst, nd / na)
  print('worst relative difference of the updates: %.2e (tolerance %.1e)' % (worst, tol))
  assert (worst > tol) if differ else (worst <= tol), worst
