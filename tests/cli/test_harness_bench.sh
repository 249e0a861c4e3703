#!/usr/bin/env bash
# cmimic bench: every rung of the ladder trained for --iter-target iterations; the OOM rung
# fails, the best passing rung is the case's row with samples/s from log.txt; the seeds' table
# and success ratio are printed.
set -eu
source "$(dirname "$0")/harness_lib.sh"
root="$CM_TMP/harness_bench"
rm -rf "$root"
CMIMIC_FAULT_OOM_ABOVE_ENVS=2 "$CMIMIC" bench --root-out "$root" --cases $PPO --env-ladder 4,2,1 --iter-target 2 \
  --max-seconds 900 | tee "$root.out"
grep -q "^| case | variant | num_envs | min_avg_util | samples/s |" "$root.out"
grep -q "success ratio: 1/1 (100%)" "$root.out"
h_check_parse "$root"
python3 - "$root" <<'PY'
import csv, sys
root = sys.argv[1]
rungs = list(csv.DictReader(open(root + '/bench_rungs.tsv'), delimiter='\t'))
assert [(r['num_envs'], r['status'], r['failure']) for r in rungs] == [('4', 'fail', 'oom'), ('2', 'ok', ''), ('1', 'ok', '')], rungs
best = list(csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t'))[0]
sps = {r['num_envs']: float(r['samples_per_s']) for r in rungs if r['status'] == 'ok'}
assert best['final_ok'] == '1' and float(best['samples_per_s']) == max(sps.values()), (best, sps)
assert best['num_envs'] == max(sps, key=sps.get)
print('bench rungs:', sps, 'best', best['num_envs'])
PY
echo "harness bench: ok"
