#!/usr/bin/env bash
# bench/learn.sh end to end in a few seconds: trains, stops on its timer with a checkpoint,
# resumes, and writes the NR table (NR = Test_Return / 300), the final test and the curve.
set -euo pipefail
: "${CMIMIC:?}" "${CM_SRC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
cd "$CM_SRC"
t="$CM_TMP/learn_script"
rm -rf "$t"
export CMIMIC
bench/learn.sh walk --minutes 0.15 --num_envs 4 --output_every 1 --devices cpu --out "$t" | tee "$t.out1"
[ -s "$t/resume.pt" ] && [ -s "$t/curve.png" ] && [ -s "$t/nr.tsv" ]
rows1=$(wc -l <"$t/nr.tsv")
bench/learn.sh walk --minutes 0.15 --num_envs 4 --output_every 1 --devices cpu --out "$t" --resume | tee "$t.out2"
python3 - "$t" <<'PY'
import sys
t = sys.argv[1]
rows = [l.split('\t') for l in open(t + '/nr.tsv').read().split('\n') if l]
samples = [int(r[0]) for r in rows]; wall = [float(r[1]) for r in rows]
cols = None; ret = []
for line in open(t + '/log.txt').read().replace('\r', '\n').split('\n'):
    f = line.split()
    if not f: continue
    if f[0] == 'Iteration': cols = f; continue
    ret.append(float(f[cols.index('Test_Return')]))
assert len(ret) == len(rows) >= 2, (len(ret), len(rows))
assert samples == sorted(samples) and wall == sorted(wall), (samples, wall)   # one run, resumed
for r, row in zip(ret, rows):
    assert abs(float(row[2]) - r / 300.0) < 6e-4, (row, r)
print('learn.sh rows', len(rows), 'last', rows[-1])
PY
[ "$(wc -l <"$t/nr.tsv")" -gt "$rows1" ]
grep -q "^learn walk: samples .*, cores .*, envs 4, final test NR [0-9.]*" "$t.out2"
grep -q "^Mean Return: " "$t/test.log"
# bad input: an unknown clip is one clear line and a non-zero exit
if bench/learn.sh nosuchclip --minutes 0.1 2>"$t.err"; then echo "unknown clip accepted"; exit 1; fi
grep -q "no clip data/motions/humanoid/humanoid_nosuchclip.pkl" "$t.err"
echo "learn.sh: ok"
