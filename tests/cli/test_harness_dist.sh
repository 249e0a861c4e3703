#!/usr/bin/env bash
# The harness on two devices (--devices-train cpu,cpu): rank 1 of the train stage hangs (fault
# injection on rank 1 only), rank 0 names it after CMIMIC_DIST_TIMEOUT (10) seconds, the harness
# classifies the attempt as dist and retries the same rung on one device, which passes; the
# case goes on to test and viz on one device. attempts.json records the devices of each try.
# The seeds' NCCL profile is only applied with --nccl-profile (not here).
set -eu
source "$(dirname "$0")/harness_lib.sh"
source "$(dirname "$0")/dist_lib.sh"
dist_require_mpi
root="$CM_TMP/harness_dist"
rm -rf "$root"
set +e
CMIMIC_FAULT_HANG_AFTER_ITERS=1 CMIMIC_FAULT_RANK=1 CMIMIC_DIST_TIMEOUT=10 "$CMIMIC" e2e --root-out "$root" --cases $PPO \
  "${H_SMALL[@]}" --default-ladder 4 --devices-train cpu,cpu >"$root.out" 2>&1
rc=$?
set -e
cat "$root.out"
echo "harness exit $rc"
[ $rc -eq 0 ]
h_check_parse "$root"
h_no_children "$root"
python3 - "$root" <<'PY'
import csv, json, sys
root = sys.argv[1]
at = json.load(open(root + '/runs/deepmimic_humanoid_ppo_args.txt/attempts.json'))['attempts']
print([(a['stage'], a['num_envs'], a.get('devices'), a['status'], a['failure']) for a in at])
assert (at[0]['stage'], at[0]['num_envs'], at[0]['devices'], at[0]['failure']) == ('train', 4, 'cpu,cpu', 'dist'), at[0]
assert 'rank 1 did not join' in at[0]['detail'], at[0]['detail']
assert (at[1]['stage'], at[1]['num_envs'], at[1]['devices'], at[1]['status']) == ('train', 4, 'cpu', 'ok'), at[1]
# a build without rendering has no viz stage (--viz auto says so in the harness output)
stages = ['test'] if 'no viz stage' in open(root + '.out').read() else ['test', 'viz']
assert [a['stage'] for a in at[2:]] == stages and all(a['status'] == 'ok' for a in at[2:]), at[2:]
env = open(at[0]['log']).read()
assert 'NCCL_P2P_DISABLE' not in env  # the NCCL profile only with --nccl-profile
rows = {r['case']: r for r in csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t')}
assert rows['deepmimic_humanoid_ppo_args.txt']['final_ok'] == '1', rows
PY
echo "harness dist: ok"
