#!/usr/bin/env bash
# A 2-rank run (started by a plain mpirun) resumed with --resume (cmimic's launcher) continues its
# checkpoint's counters: one log.txt (rank 0's)
# whose iterations are each logged once and whose Samples (totals over both ranks) only grow,
# up to the new max_samples; only rank 0 wrote the output folder.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
source "$(dirname "$0")/dist_lib.sh"
dist_require_mpi
t="$CM_TMP/dist_resume"
rm -rf "$t" && mkdir -p "$t"
dist_small_agent "$t/agent.yaml" 4 1 128
flags=(--arg_file args/deepmimic_humanoid_ppo_args.txt --agent_config "$t/agent.yaml" --visualize false --logger txt
       --mode train --num_envs 4)
run() { "$CMIMIC" run "${flags[@]}" --devices cpu cpu "$@"; }
# the first part under a plain `mpirun -np 2` (as on a cluster: each rank takes its local device),
# the resume through `--devices cpu cpu` (cmimic's own launcher)
root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
mpirun -np 2 --oversubscribe "${root[@]}" "$CMIMIC" run "${flags[@]}" --devices cpu --max_samples 128 --out_dir "$t/r" \
  >"$t/first.log"   # 64 samples per iteration: iterations 0, 1
[ "$(grep -c '^rank [01] of 2 ' "$t/first.log")" -eq 2 ]
run --max_samples 320 --resume "$t/r" >"$t/resume.log"   # iterations 2 .. 4
grep -q "^Resuming from $t/r/resume.pt" "$t/resume.log"
[ "$(grep -c '^Resuming from' "$t/resume.log")" -eq 1 ]   # rank 0 says it once
tr '\r' '\n' <"$t/r/log.txt" | awk '$1 ~ /^[0-9]+$/ {print $1, $3}' >"$t/counters"
cat "$t/counters"
[ "$(grep -c '^Iteration' "$t/r/log.txt")" -eq 1 ]
[ "$(cut -d' ' -f1 "$t/counters" | tr '\n' ' ')" = "0 1 2 3 4 " ]
[ "$(cut -d' ' -f2 "$t/counters" | tr '\n' ' ')" = "64 128 192 256 320 " ]
[ "$(ls "$t/r" | grep -c '\.tmp')" -eq 0 ]
echo "dist resume: ok"
