#!/usr/bin/env bash
# The four humanoid cases end to end on the CPU engine with small settings, checked with the
# seeds' acceptance one-liner and `cmimic summary`. Slow part: dof_test's viz episode is 3361
# frames (4 s per dof) at ~30 ms of OSMesa rendering each, about two minutes on 2 cores.
set -eu
source "$(dirname "$0")/harness_lib.sh"
root="$CM_TMP/case_e2e_test"
rm -rf "$root"
"$CMIMIC" e2e --include-nontrainable --root-out "$root" --cases $PPO,$AWR,$VIEW,$DOF "${H_SMALL[@]}" | tee "$root.out"
h_check_parse "$root"
python3 - "$root" <<'PY'
import csv, sys
path = sys.argv[1] + '/best_by_case.tsv'
rows = list(csv.DictReader(open(path), delimiter='\t'))
ok = sum(1 for r in rows if str(r.get('final_ok')).strip() == '1')
print('ok', ok, 'total', len(rows))
print('all_pass', ok == len(rows))
assert ok == len(rows) == 4
man = {r['case']: r for r in csv.DictReader(open(sys.argv[1] + '/case_manifest.tsv'), delimiter='\t')}
assert man['dof_test_humanoid_args.txt']['trainable'] == '0' and man['view_motion_humanoid_args.txt']['trainable'] == '0'
assert man['deepmimic_humanoid_ppo_args.txt']['trainable'] == '1' and man['deepmimic_humanoid_ppo_args.txt']['method'] == 'deepmimic'
assert man['dof_test_humanoid_args.txt']['method'] == 'dof' and man['view_motion_humanoid_args.txt']['method'] == 'view'
assert all(r['character'] == 'humanoid' for r in man.values() if r['selected'] == '1')
for r in rows:
    for k in ('train_log', 'test_log', 'viz_log'):
        assert open(r[k]).read().startswith('# stage: '), r[k]
    assert 'MESA_GL_VERSION_OVERRIDE=3.3' in open(r['viz_log']).read().splitlines()[3]
PY
"$CMIMIC" summary "$root" | tee "$root.summary"
grep -q "all_pass= True" "$root.summary"
echo "harness all cases: ok"
