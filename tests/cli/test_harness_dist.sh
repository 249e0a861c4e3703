#!/usr/bin/env bash
# The harness on two devices (--devices-train cpu,cpu): rank 1 of the train stage hangs (fault
# injection on rank 1 only), rank 0 names it after CMIMIC_DIST_TIMEOUT (10) seconds, the harness
# classifies the attempt as dist and retries the same rung on one device, which passes; the
# case goes on to test and viz on one device. attempts.json records the devices of each try.
# The seeds' NCCL profile is only applied with --nccl-profile (not in this first run). Then rank 1
# out of memory on every rung on two devices: the ladder again on one device (below).
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
# the retry on one device has a log and output folder of its own: the failure's evidence stays
assert at[0]['log'] != at[1]['log'] and at[0]['out_dir'] != at[1]['out_dir'], (at[0]['log'], at[1]['log'])
assert 'rank 1 did not join' in env and 'did not join' not in open(at[1]['log']).read()
rows = {r['case']: r for r in csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t')}
assert rows['deepmimic_humanoid_ppo_args.txt']['final_ok'] == '1', rows
PY

# Rank 1 runs out of memory at every rung on two devices (4, then 2 envs): the harness steps down
# as the seeds' dual-device probe does, then starts the ladder again on one device, which passes.
# --nccl-profile: the two-device attempts get the seeds' NCCL environment, the one-device ones not.
root2="$CM_TMP/harness_dist_oom"
rm -rf "$root2"
set +e
CMIMIC_FAULT_OOM_ABOVE_ENVS=1 CMIMIC_FAULT_RANK=1 "$CMIMIC" e2e --root-out "$root2" --cases $PPO "${H_SMALL[@]}" \
  --devices-train cpu,cpu --nccl-profile true >"$root2.out" 2>&1
rc=$?
set -e
grep -E "^\[1/1\]" "$root2.out" || cat "$root2.out"
echo "harness exit $rc"
[ $rc -eq 0 ]
h_no_children "$root2"
python3 - "$root2" <<'PY'
import json, sys
at = json.load(open(sys.argv[1] + '/runs/deepmimic_humanoid_ppo_args.txt/attempts.json'))['attempts']
print([(a['stage'], a['num_envs'], a.get('devices'), a['status'], a['failure']) for a in at])
got = [(a['stage'], a['num_envs'], a['devices'], a['failure']) for a in at[:3]]
assert got == [('train', 4, 'cpu,cpu', 'oom'), ('train', 2, 'cpu,cpu', 'oom'), ('train', 4, 'cpu', '')], got
assert at[2]['status'] == 'ok' and all(a['status'] == 'ok' for a in at[3:]), at
for a in at:
  env = open(a['log']).read()
  want = ['NCCL_P2P_DISABLE=1', 'NCCL_IB_DISABLE=1', 'NCCL_CUMEM_ENABLE=0'] if a['devices'] == 'cpu,cpu' else []
  assert all(w in env for w in want) and (want or 'NCCL_P2P_DISABLE' not in env), (a['devices'], a['log'])
PY
echo "harness dist: ok"
