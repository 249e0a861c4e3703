#!/usr/bin/env bash
# A failing disk during training (fault injection on the write path, CMIMIC_FAULT_WRITE_FAIL,
# core/fault.h): a log row that cannot be written is skipped with one warning and training goes
# on; a checkpoint that cannot be written stops the run with one line naming the file and the
# reason, keeps the previous good model.pt / resume.pt (no temporary file left), and --resume
# from it works.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/write_failures"
rm -rf "$t" && mkdir -p "$t"
run() { "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --num_envs 4 --rand_seed 3 --mode train "$@"; }
rows() { tr '\r' '\n' <"$1" | grep -c '^[0-9]' || true; }

# log.txt: the first row lands, every later one fails with ENOSPC; the run still finishes.
CMIMIC_FAULT_WRITE_FAIL=log.txt:ENOSPC:1 run --max_samples 300 --out_dir "$t/log" >"$t/log.out" 2>"$t/log.err"
cat "$t/log.err"
[ "$(grep -c "log.txt: write failed: No space left on device; training continues without log rows" "$t/log.err")" -eq 1 ]
[ "$(rows "$t/log/log.txt")" -eq 1 ]
[ -s "$t/log/model.pt" ] && [ -s "$t/log/resume.pt" ]

# model.pt: the first checkpoint lands, the second fails: the run stops, non-zero, one line.
set +e
CMIMIC_FAULT_WRITE_FAIL=model.pt:EIO:1 run --max_samples 300 --out_dir "$t/ckpt" >"$t/ckpt.out" 2>"$t/ckpt.err"
rc=$?
set -e
cat "$t/ckpt.err"
[ $rc -ne 0 ] && [ $rc -ne 130 ]
[ "$(wc -l <"$t/ckpt.err")" -eq 1 ]
grep -q "stopping: checkpoint not saved.*$t/ckpt/model.pt: write failed: Input/output error" "$t/ckpt.err"
if ls "$t/ckpt" | grep -q '\.tmp\.'; then echo "temporary file left"; ls "$t/ckpt"; exit 1; fi
# the kept checkpoint is the first one, whole: it tests, and the run resumes from it
"$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --num_envs 4 --rand_seed 3 --mode test --model_file "$t/ckpt/model.pt" --test_episodes 1 >"$t/test.out"
grep -q '^Mean Return: ' "$t/test.out"
run --max_samples 300 --resume "$t/ckpt" >"$t/resume.out"
grep -q "^Resuming from $t/ckpt/resume.pt" "$t/resume.out"
echo "write failures: ok"
