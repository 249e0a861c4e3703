#!/usr/bin/env bash
# The training path a user takes: train briefly -> log.txt/model.pt/config.yaml -> test the model ->
# resume with the same counters -> Ctrl-C saves a checkpoint. Small env counts keep it quick.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/train_resume"
rm -rf "$t" && mkdir -p "$t"
run() { "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --num_envs 4 --rand_seed 3 "$@"; }

run --mode train --max_samples 300 --out_dir "$t/walk" | tee "$t/train.log"
for f in model.pt resume.pt log.txt config.yaml; do [ -s "$t/walk/$f" ] || { echo "missing $f"; exit 1; }; done
# log.txt: MimicKit's columns, one row per output iteration (the first and the last)
tr '\r' '\n' <"$t/walk/log.txt" >"$t/log_lines"
head -1 "$t/log_lines" | grep -q '^Iteration  *Wall_Time  *Samples  *Test_Return  *Test_Episode_Length'
rows=$(grep -c '^[0-9]' "$t/log_lines")
last_samples=$(awk 'NF > 2 && $1 ~ /^[0-9]+$/ {s = $3} END {print s}' "$t/log_lines")
echo "rows $rows, samples $last_samples"
[ "$rows" -ge 2 ] && [ "$last_samples" -ge 300 ]

run --mode test --model_file "$t/walk/model.pt" --test_episodes 3 | tee "$t/test.log"
grep -q '^Mean Return: ' "$t/test.log" && [ "$(sed -n 's/^Episodes: //p' "$t/test.log")" -ge 3 ]

# resume continues the counters
run --mode train --max_samples 600 --resume "$t/walk" | tee "$t/resume.log"
grep -q "^Resuming from $t/walk/resume.pt" "$t/resume.log"
tr '\r' '\n' <"$t/walk/log.txt" >"$t/log_lines"
[ "$(grep -c '^Iteration' "$t/log_lines")" -eq 1 ]
awk '$1 ~ /^[0-9]+$/ {print $1, $3}' "$t/log_lines" >"$t/counters"
cat "$t/counters"
sort -n -c "$t/counters"   # iterations and samples only grow
[ -z "$(cut -d' ' -f1 "$t/counters" | uniq -d)" ]   # and no iteration is run twice across the resume
[ "$(tail -1 "$t/counters" | cut -d' ' -f2)" -ge 600 ]
awk '$1 ~ /^[0-9]+$/ {print $2}' "$t/log_lines" | sort -g -c   # Wall_Time goes on across the resume

# a foreign or truncated model is refused with one line
head -c 1000 "$t/walk/model.pt" >"$t/truncated.pt"
if run --mode test --model_file "$t/truncated.pt" --test_episodes 1 2>"$t/err"; then echo "truncated model accepted"; exit 1; fi
grep -q "truncated.pt" "$t/err"
cp data/motions/humanoid/humanoid_walk.pkl "$t/foreign.pt"
if run --mode test --model_file "$t/foreign.pt" --test_episodes 1 2>"$t/err"; then echo "foreign model accepted"; exit 1; fi
grep -q "foreign.pt" "$t/err"

# Ctrl-C: the run stops at the end of the iteration and saves a checkpoint
# (exec: the signal must reach cmimic itself, not a subshell running the helper function).
# The run holds still after its first iteration (fault injection), so Ctrl-C lands mid-run
# however fast or slow this machine is.
(CMIMIC_FAULT_HANG_AFTER_ITERS=1 exec "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --num_envs 4 --rand_seed 3 --mode train --max_samples 100000 --out_dir "$t/intr") >"$t/intr.log" 2>&1 &
pid=$!
for _ in $(seq 1 3000); do grep -q "fault injection: hanging" "$t/intr.log" && break; sleep 0.1; done
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
echo "interrupted run exited with $rc"
[ $rc -eq 130 ] && [ -s "$t/intr/resume.pt" ] && grep -q "checkpoint saved" "$t/intr.log"
echo "train/resume: ok"
