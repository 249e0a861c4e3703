#!/usr/bin/env bash
# --viz off (and auto on a build without rendering or without ffmpeg: headless GPU servers):
# the harness trains and tests, runs no viz stage, says so once, and the case still passes with
# the reason in its result row; a wrong --viz value is one line and exit 2. The whole run's ETA on
# the progress lines: unknown until a case is timed, then the mean case time per case left (one
# case's time after the first of two), 0 at the end.
set -eu
source "$(dirname "$0")/harness_lib.sh"
root="$CM_TMP/harness_no_viz"
rm -rf "$root"
"$CMIMIC" e2e --include-nontrainable --root-out "$root" --cases $DOF,$VIEW "${H_SMALL[@]}" --nontrainable-ladder 1 \
  --viz off >"$root.out" 2>&1
cat "$root.out"
grep -q "no viz stage (videos): --viz off" "$root.out"
grep -q "all_pass= True" "$root.out"
h_check_parse "$root"
python3 - "$root.out" <<'PY'
import re, sys
lines = [l for l in open(sys.argv[1]) if re.match(r"\[\d/2\] ", l)]
def secs(d):
    m = re.fullmatch(r"(\d+)m(\d\d)s", d)
    return int(m.group(1)) * 60 + int(m.group(2))
first_done = next(i for i, l in enumerate(lines) if " done " in l)
assert all(l.rstrip().endswith("| ETA ?") for l in lines[:first_done]), lines[:first_done]
m = re.search(r"case ok in ([\d.]+) s \| elapsed \S+ \| ETA (\S+)$", lines[first_done].rstrip())
took, eta = float(m.group(1)), secs(m.group(2))
assert abs(eta - took) <= 1, (took, eta)  # one case of the first one's time left
etas = [secs(re.search(r"\| ETA (?:at least )?(\S+)$", l.rstrip()).group(1)) for l in lines[first_done:]]
assert etas == sorted(etas, reverse=True) and etas[-1] == 0, etas  # counts down to 0
print("ETA lines:", [l.split(" | ETA ")[1].strip() for l in lines])
PY
python3 - "$root" <<'PY'
import csv, json, sys
root = sys.argv[1]
rows = {r['case']: r for r in csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t')}
v = rows['view_motion_humanoid_args.txt']
assert len(rows) == 2 and all(r['final_ok'] == '1' for r in rows.values()), rows
assert v['final_ok'] == '1' and v['viz_log'] == 'skipped: --viz off', v
stages = [a['stage'] for a in json.load(open(root + '/runs/view_motion_humanoid_args.txt/attempts.json'))['attempts']]
assert 'viz' not in stages and 'test' in stages, stages
print('no viz stage:', stages)
PY
set +e; out=$("$CMIMIC" e2e --viz maybe 2>&1); rc=$?; set -e
echo "$out"
[ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && grep -q -- "--viz: on, off or auto (got 'maybe')" <<<"$out"
echo "harness no viz: ok"
