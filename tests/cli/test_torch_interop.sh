#!/usr/bin/env bash
# A model.pt as a MimicKit user has it: python3 re-saves cmimic's model.pt the way torch.save lays
# it out (Python's own pickler at protocol 2 with memo opcodes, the folder named after the file,
# unaligned stored records; stand-ins for torch's classes, so torch itself is not needed), keeping
# MimicKit's names and dtypes (float32 weights, int64 normalizer counts). --mode test on it gives
# the same figures as on the original; a tensor of the wrong shape or a missing one is refused
# with one line naming the tensor, what was expected and what was found.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 0; }
t="$CM_TMP/torch_interop"
rm -rf "$t" && mkdir -p "$t"
run() { "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --num_envs 4 --rand_seed 3 "$@"; }
run --mode train --max_samples 300 --out_dir "$t/run" >/dev/null

resave() { # resave IN OUT [MODE]: MODE "shape" widens one tensor, "drop" leaves one out
  python3 - "$@" <<'PY'
import array, io, pickle, struct, sys, types, zipfile
from collections import OrderedDict
src, dst = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else ''
z = zipfile.ZipFile(src)
top = z.namelist()[0].split('/')[0]
class S:  # a storage as read: dtype name and values
  def __init__(s, cls, a): s.cls, s.a = cls, a
def rebuild(st, off, size, stride, rg, hooks): return (st, off, tuple(size), tuple(stride))
class Rd(pickle.Unpickler):
  def find_class(self, m, n):
    if (m, n) == ('collections', 'OrderedDict'): return OrderedDict
    if (m, n) == ('torch._utils', '_rebuild_tensor_v2'): return rebuild
    if m == 'torch' and n in ('FloatStorage', 'LongStorage'): return n
    raise KeyError((m, n))
  def persistent_load(self, pid):
    _, cls, key, _, n = pid
    a = array.array('q' if cls == 'LongStorage' else 'f'); a.frombytes(z.read(top + '/data/' + key))
    return S(cls, a)
sd = Rd(io.BytesIO(z.read(top + '/data.pkl'))).load()
assert sd['_obs_norm._count'][0].cls == 'LongStorage', 'normalizer count is not int64'
torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')
sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils
def _rebuild_tensor_v2(*a): pass
_rebuild_tensor_v2.__module__ = 'torch._utils'; utils._rebuild_tensor_v2 = _rebuild_tensor_v2
for n in ('FloatStorage', 'LongStorage'):
  c = type(n, (), {}); c.__module__ = 'torch'; setattr(torch, n, c)
class T:
  def __init__(s, st, off, size, stride): s.v = (st, off, size, stride)
  def __reduce__(s): return (_rebuild_tensor_v2, s.v + (False, OrderedDict()))
keys, out = {}, OrderedDict()
names = list(sd)
for i, name in enumerate(names):
  st, off, size, stride = sd[name]
  if mode == 'drop' and name == names[-1]: continue
  if mode == 'shape' and name == names[-1]:
    st = S(st.cls, st.a + st.a); size = (size[0] * 2,) + size[1:]
  keys[id(st)] = (str(len(keys)), st)
  out[name] = T(st, off, size, stride)
class Wr(pickle.Pickler):
  def persistent_id(self, o):
    if isinstance(o, S): return ('storage', getattr(torch, o.cls), keys[id(o)][0], 'cpu', len(o.a))
    return None
f = io.BytesIO(); Wr(f, protocol=2).dump(out)
base = dst.rsplit('/', 1)[-1].rsplit('.', 1)[0]
with zipfile.ZipFile(dst, 'w') as w:
  w.writestr(base + '/data.pkl', f.getvalue())
  w.writestr(base + '/byteorder', 'little')
  for key, st in keys.values(): w.writestr(base + '/data/' + key, st.a.tobytes())
  w.writestr(base + '/version', '3\n')
print('resaved', len(out), 'tensors; last is', names[-1])
PY
}
resave "$t/run/model.pt" "$t/torch_saved.pt" | tee "$t/resave.log"
run --mode test --model_file "$t/run/model.pt" --test_episodes 2 >"$t/a.log"
run --mode test --model_file "$t/torch_saved.pt" --test_episodes 2 >"$t/b.log"
grep '^Mean Return' "$t/a.log" "$t/b.log"
[ "$(grep '^Mean Return' "$t/a.log")" = "$(grep '^Mean Return' "$t/b.log")" ]

last=$(sed -n 's/.*last is //p' "$t/resave.log")
for mode in shape drop; do
  resave "$t/run/model.pt" "$t/$mode.pt" "$mode" >/dev/null
  if run --mode test --model_file "$t/$mode.pt" --test_episodes 1 >/dev/null 2>"$t/$mode.err"; then
    echo "a model with a $mode mismatch was accepted"; exit 1
  fi
  cat "$t/$mode.err"
  [ "$(wc -l <"$t/$mode.err")" -eq 1 ]
  if [ $mode = shape ]; then grep -q "$t/$mode.pt: tensor '$last' has shape \[.*\], expected \[.*\]" "$t/$mode.err"
  else grep -q "$t/$mode.pt: missing tensor '$last'" "$t/$mode.err"; fi
done
echo "torch interop: ok"
