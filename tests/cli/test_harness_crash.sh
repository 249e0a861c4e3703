#!/usr/bin/env bash
# Fault injection: the training child of the e4 rung is killed with SIGKILL mid-run. The harness
# records class crash, survives, steps down to e2 which passes, and goes on to the next case.
# The e4 run holds still after its first iteration (CMIMIC_FAULT_HANG_*), so the kill lands
# mid-run however fast or slow this machine is.
set -eu
source "$(dirname "$0")/harness_lib.sh"
root="$CM_TMP/harness_crash"
rm -rf "$root"
CMIMIC_FAULT_HANG_AFTER_ITERS=1 CMIMIC_FAULT_HANG_ENVS=4 "$CMIMIC" e2e --include-nontrainable --root-out "$root" \
  --cases $PPO,$VIEW "${H_SMALL[@]}" --nontrainable-ladder 2 >"$root.out" 2>&1 &
harness=$!
e4="$root/runs/$PPO/base_e4/train"
h_wait_line "$e4.log" "fault injection: hanging after 1 iterations"
child=$(pgrep -f -- "--out_dir $e4" | head -1)
[ -n "$child" ]
kill -KILL "$child"
set +e; wait $harness; rc=$?; set -e
cat "$root.out"
echo "harness exit $rc"
[ $rc -eq 0 ]
h_check_parse "$root"
h_no_children "$root"
python3 - "$root" <<'PY'
import csv, json, sys
root = sys.argv[1]
rows = {r['case']: r for r in csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t')}
ppo = rows['deepmimic_humanoid_ppo_args.txt']
assert ppo['final_ok'] == '1' and ppo['num_envs'] == '2', ppo
assert rows['view_motion_humanoid_args.txt']['final_ok'] == '1'
at = json.load(open(root + '/runs/deepmimic_humanoid_ppo_args.txt/attempts.json'))['attempts']
assert (at[0]['stage'], at[0]['num_envs'], at[0]['failure'], at[0]['signal']) == ('train', 4, 'crash', 9), at[0]
assert (at[1]['stage'], at[1]['num_envs'], at[1]['status']) == ('train', 2, 'ok'), at[1]
print('crash then step down:', [(a['stage'], a['num_envs'], a['status'], a['failure']) for a in at])
PY
echo "harness crash: ok"
