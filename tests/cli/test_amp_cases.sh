#!/usr/bin/env bash
# The five AMP-family humanoid cases (amp, ase, add, location, steering) end to end through the
# harness with small settings: train -> test -> video each, checked with the seeds' acceptance
# one-liner; the test logs carry the envs' own figures (tracking error, task figures).
set -eu
source "$(dirname "$0")/harness_lib.sh"
root="$CM_TMP/amp_cases_test"
rm -rf "$root"
cases=amp_humanoid_args.txt,ase_humanoid_args.txt,add_humanoid_args.txt,amp_location_humanoid_args.txt,amp_steering_humanoid_args.txt
"$CMIMIC" e2e --root-out "$root" --cases $cases "${H_SMALL[@]}" | tee "$root.out"
h_check_parse "$root"
python3 - "$root" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + '/best_by_case.tsv'), delimiter='\t'))
ok = sum(1 for r in rows if str(r.get('final_ok')).strip() == '1')
print('ok', ok, 'total', len(rows))
assert ok == len(rows) == 5
figures = {'add_humanoid_args.txt': 'Root_Pos_Err:', 'amp_location_humanoid_args.txt': 'Location_Success_Rate:',
           'amp_steering_humanoid_args.txt': 'Steering_Speed_Err:'}
for r in rows:
    log = open(r['test_log']).read()
    assert 'Mean Return' in log and 'Episodes' in log, r['test_log']
    if r['case'] in figures:
        assert figures[r['case']] in log, (r['case'], r['test_log'])
PY
"$CMIMIC" summary "$root" | tee "$root.summary"
grep -q "all_pass= True" "$root.summary"
echo "amp cases: ok"
