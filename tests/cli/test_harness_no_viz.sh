#!/usr/bin/env bash
# --viz off (and auto on a build without rendering or without ffmpeg: headless GPU servers):
# the harness trains and tests, runs no viz stage, says so once, and the case still passes with
# the reason in its result row; a wrong --viz value is one line and exit 2.
set -eu
source "$(dirname "$0")/harness_lib.sh"
root="$CM_TMP/harness_no_viz"
rm -rf "$root"
"$CMIMIC" e2e --include-nontrainable --root-out "$root" --cases $VIEW "${H_SMALL[@]}" --nontrainable-ladder 1 \
  --viz off >"$root.out" 2>&1
cat "$root.out"
grep -q "no viz stage (videos): --viz off" "$root.out"
grep -q "all_pass= True" "$root.out"
h_check_parse "$root"
python3 - "$root" <<'PY'
import csv, json, sys
root = sys.argv[1]
rows = {r['case']: r for r in csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t')}
v = rows['view_motion_humanoid_args.txt']
assert v['final_ok'] == '1' and v['viz_log'] == 'skipped: --viz off', v
stages = [a['stage'] for a in json.load(open(root + '/runs/view_motion_humanoid_args.txt/attempts.json'))['attempts']]
assert 'viz' not in stages and 'test' in stages, stages
print('no viz stage:', stages)
PY
set +e; out=$("$CMIMIC" e2e --viz maybe 2>&1); rc=$?; set -e
echo "$out"
[ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && grep -q -- "--viz: on, off or auto (got 'maybe')" <<<"$out"
echo "harness no viz: ok"
