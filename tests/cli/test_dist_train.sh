#!/usr/bin/env bash
# The issue's check: `cmimic run --arg_file args/deepmimic_humanoid_ppo_args.txt --devices cpu cpu
# --num_envs 8 --max_samples 4096 --mode train` finishes with one log and one model: rank 0's
# log.txt (Samples are totals: 2 ranks x 8 envs x 32 steps per iteration, up to 4096), one
# TensorBoard events file, model.pt and resume.pt; rank 1 wrote nothing.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
source "$(dirname "$0")/dist_lib.sh"
dist_require_mpi
t="$CM_TMP/dist_train"
rm -rf "$t" && mkdir -p "$t"
"$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --devices cpu cpu --num_envs 8 --max_samples 4096 \
  --mode train --visualize false --out_dir "$t/out" | tee "$t/run.log" | grep -E "^cmimic run|^rank|^Saved"
[ "$(grep -c '^rank [01] of 2 ' "$t/run.log")" -eq 2 ]
[ "$(grep -c '^Saved model to' "$t/run.log")" -eq 1 ]
for f in model.pt resume.pt log.txt config.yaml; do [ -s "$t/out/$f" ] || { echo "missing $f"; exit 1; }; done
[ "$(ls "$t/out" | grep -c '^events\.')" -eq 1 ]
[ "$(ls "$t/out" | grep -c 'tmp')" -eq 0 ]
tr '\r' '\n' <"$t/out/log.txt" | awk '$1 ~ /^[0-9]+$/ {print $1, $3}' >"$t/counters"
cat "$t/counters"
[ "$(tr '\r' '\n' <"$t/out/log.txt" | grep -c '^Iteration')" -eq 1 ]
[ "$(tail -1 "$t/counters")" = "7 4096" ]   # 512 samples per iteration: iterations 0 .. 7
echo "dist train: ok"
