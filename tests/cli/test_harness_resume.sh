#!/usr/bin/env bash
# The harness interrupted mid-run, then resumed with --resume-skip-status ok:
#  1. SIGINT (Ctrl-C): the running child's group is killed, progress.json says interrupted, exit
#     130; the resume skips the finished case (its attempts.json is untouched) and completes.
#  2. SIGKILL of the harness: its child dies with it (no orphan), every artefact still parses,
#     the attempt left "running" reads back as interrupted, and the resume completes.
# The interrupted run's e4 training holds still after its first iteration (CMIMIC_FAULT_HANG_*),
# so the signal lands mid-stage however fast or slow this machine is.
set -eu
source "$(dirname "$0")/harness_lib.sh"
for sig in INT KILL; do
  root="$CM_TMP/harness_resume_$sig"
  rm -rf "$root"
  CMIMIC_FAULT_HANG_AFTER_ITERS=1 CMIMIC_FAULT_HANG_ENVS=4 "$CMIMIC" e2e --include-nontrainable --root-out "$root" \
    --cases $VIEW,$PPO "${H_SMALL[@]}" --nontrainable-ladder 2 >"$root.out" 2>&1 &
  harness=$!
  h_wait_line "$root/runs/$PPO/base_e4/train.log" "fault injection: hanging after 1 iterations"
  kill -$sig $harness
  set +e; wait $harness; rc=$?; set -e
  cat "$root.out"
  echo "harness exit $rc after SIG$sig"
  if [ $sig = INT ]; then [ $rc -eq 130 ]; else [ $rc -eq 137 ]; fi
  h_no_children "$root"
  h_check_parse "$root"
  python3 - "$root" $sig <<'PY'
import csv, json, sys
root, sig = sys.argv[1], sys.argv[2]
prog = json.load(open(root + '/progress.json'))
rows = {r['case']: r for r in csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t')}
assert rows['view_motion_humanoid_args.txt']['final_ok'] == '1'
assert rows['deepmimic_humanoid_ppo_args.txt']['final_ok'] == '0'
at = json.load(open(root + '/runs/deepmimic_humanoid_ppo_args.txt/attempts.json'))['attempts']
if sig == 'INT':
    assert prog['interrupted'] is True and prog['finished'] is False, prog
    assert rows['deepmimic_humanoid_ppo_args.txt']['status'] == 'interrupted'
    assert at[-1]['status'] == 'interrupted' and at[-1]['failure'] == 'interrupted', at[-1]
else:
    assert at[-1]['status'] == 'running', at[-1]   # the harness died before it could say more
print('interrupted state ok:', sig)
PY
  cp "$root/runs/$VIEW/attempts.json" "$root.view_attempts"
  "$CMIMIC" e2e --include-nontrainable --root-out "$root" --cases $VIEW,$PPO "${H_SMALL[@]}" --resume-skip-status ok \
    | tee "$root.resume.out"
  grep -q "view_motion_humanoid_args.txt.*skipped" "$root.resume.out"
  cmp "$root/runs/$VIEW/attempts.json" "$root.view_attempts"   # the finished case was not redone
  h_check_parse "$root"
  python3 - "$root" "$root.resume.out" <<'PY'
import csv, json, sys
root = sys.argv[1]
viz = 'no viz stage' not in open(sys.argv[2]).read()  # a build without rendering has none
rows = list(csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t'))
ok = sum(1 for r in rows if r['final_ok'] == '1')
assert ok == len(rows) == 2, rows
at = json.load(open(root + '/runs/deepmimic_humanoid_ppo_args.txt/attempts.json'))['attempts']
assert at[0]['status'] == 'interrupted', at[0]
assert [a['status'] for a in at[1:]] == ['ok'] * (3 if viz else 2), at  # train, test (, viz)
assert json.load(open(root + '/progress.json'))['finished'] is True
print('resumed:', [(a['stage'], a['status']) for a in at])
PY
done
echo "harness resume: ok"
