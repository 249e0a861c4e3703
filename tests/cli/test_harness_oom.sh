#!/usr/bin/env bash
# Fault injection: out of memory above 2 environments. The e4 rung fails with class oom, the
# ladder steps down, e2 passes train -> test -> viz; everything is in attempts.json and
# best_by_case.tsv.
set -eu
source "$(dirname "$0")/harness_lib.sh"
root="$CM_TMP/harness_oom"
rm -rf "$root"
# the stand-in NVML (two GPUs, GPU1 steady at 40%) fills the GPU columns when it was built
fake="$(dirname "$CMIMIC")/libfake_nvml.so"
[ -e "$fake" ] && export CMIMIC_NVML_LIB="$fake"
CMIMIC_FAULT_OOM_ABOVE_ENVS=2 "$CMIMIC" e2e --root-out "$root" --cases $PPO "${H_SMALL[@]}" | tee "$root.out"
grep -q "oom" "$root.out"
h_check_parse "$root"
python3 - "$root" <<'PY'
import csv, json, os, sys
root = sys.argv[1]
rows = list(csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t'))
assert len(rows) == 1 and rows[0]['final_ok'] == '1' and rows[0]['status'] == 'ok', rows
assert rows[0]['num_envs'] == '2', rows[0]
at = json.load(open(root + '/runs/deepmimic_humanoid_ppo_args.txt/attempts.json'))['attempts']
got = [(a['stage'], a['num_envs'], a['status'], a['failure']) for a in at]
assert got == [('train', 4, 'fail', 'oom'), ('train', 2, 'ok', ''), ('test', 1, 'ok', ''), ('viz', 1, 'ok', '')], got
assert 'cannot allocate 4 environments (fault injection)' in at[0]['detail'], at[0]
# the stage log's header records the command line and the (empty) overrides
head = open(at[0]['log']).read().splitlines()[:4]
assert head[2].startswith('# command: ') and '--num_envs 4' in head[2], head
if os.environ.get('CMIMIC_NVML_LIB'):
    assert float(rows[0]['gpu_util_min']) == 40.0 and float(rows[0]['gpu_util_avg']) >= 40.0, rows[0]
    gpu = list(csv.DictReader(open(root + '/runs/deepmimic_humanoid_ppo_args.txt/base_e2/gpu.tsv'), delimiter='\t'))
    assert {r['gpu'] for r in gpu} == {'0', '1'}, gpu[:4]
print('oom ladder:', got, 'gpu util min', rows[0]['gpu_util_min'])
PY
echo "harness oom: ok"
