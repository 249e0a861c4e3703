#!/usr/bin/env bash
# PyTorch interop both ways, with real torch (issue 14 item 4). For a DeepMimic (PPO) and an AMP
# agent: cmimic trains a few hundred samples; torch.load(weights_only=True) reads its model.pt and
# resume.pt, and the model loads with strict=True into modules laid out as MimicKit's (names,
# shapes, dtypes: int64 normalizer counts); torch.save then writes that state dict (CPU, and
# cuda:0-located when a GPU is there), a freshly initialised agent, and wrong files; cmimic
# --mode test gives the same Mean Return on the re-saved files as on its own, runs the fresh one,
# and refuses each wrong one with one line naming the tensor, what it expected and what it found.
#   bench/torch_interop_check.sh CMIMIC_BINARY OUTDIR
# Runs from the repository the script is in (args/, data/); the caller sets LD_LIBRARY_PATH for the
# binary. PYTHON (default python3) must import torch. CM_RUN_ARGS adds flags to every cmimic run
# (e.g. "--device cuda:0"); CM_TORCH_CASES picks the agents (default "deepmimic amp"). Log: OUTDIR/torch_interop.log; last line "torch interop: N passed, M failed".
# Exit 0 when all passed, 1 when any failed, 2 when it could not start (no binary, no torch).
set -uo pipefail
BIN=${1:?usage: torch_interop_check.sh CMIMIC_BINARY OUTDIR}
OUT=${2:?usage: torch_interop_check.sh CMIMIC_BINARY OUTDIR}
PY=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
case $BIN in /*) ;; *) BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN") ;; esac
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
LOG=$OUT/torch_interop.log
exec > >(tee "$LOG") 2>&1
[ -x "$BIN" ] || { echo "torch interop: $BIN is not an executable"; exit 2; }
"$PY" -c 'import torch' 2>/dev/null || { echo "torch interop: $PY cannot import torch"; exit 2; }
cd "$ROOT"
echo "cmimic: $BIN; python: $($PY -c 'import sys, torch; print(sys.executable, "torch", torch.__version__, "cuda", torch.cuda.is_available())')"
pass=0 fail=0
# the test run's figures: Mean Return and Mean Episode Length on one line
figures() { grep -E '^Mean (Return|Episode Length):' "$1" | tr '\n' ' ' | sed 's/ $//'; }
ok() { echo "PASS $*"; pass=$((pass + 1)); }
no() { echo "FAIL $*"; fail=$((fail + 1)); }

# case NAME ARG_FILE ENV_YAML AGENT_YAML
case_() {
  local name=$1 argf=$2 env=$3 agent=$4 d=$OUT/$1
  rm -rf "$d" && mkdir -p "$d"
  # shellcheck disable=SC2086
  run() { "$BIN" run --arg_file "$argf" --env_config "$env" --agent_config "$agent" --visualize false \
    --num_envs 4 --rand_seed 3 ${CM_RUN_ARGS:-} "$@"; }
  echo "== $name: training 400 samples"
  if ! run --mode train --max_samples 400 --out_dir "$d/run" >"$d/train.log" 2>&1; then
    no "$name: cmimic training failed: $(tail -1 "$d/train.log")"; return
  fi
  echo "== $name: torch side"
  if "$PY" "$HERE/torch_interop_check.py" "$d/run/model.pt" "$agent" "$d/torch" "$d/run/resume.pt" >"$d/torch.log" 2>&1; then
    ok "$name: torch.load + strict load into MimicKit-shaped modules ($(grep -c '^ok' "$d/torch.log") checks)"
  else
    no "$name: torch side failed"
  fi
  sed 's/^/    /' "$d/torch.log"
  [ -f "$d/torch/expect.tsv" ] || return
  run --mode test --model_file "$d/run/model.pt" --test_episodes 2 >"$d/test_own.log" 2>&1
  local own
  own=$(figures "$d/test_own.log")
  echo "    cmimic on its own model.pt: ${own:-no Mean Return: $(tail -1 "$d/test_own.log")}"
  while IFS=$'\t' read -r f what; do
    local rc=0 got
    run --mode test --model_file "$d/torch/$f" --test_episodes 2 >"$d/test_$f.log" 2>"$d/test_$f.err" || rc=$?
    got=$(figures "$d/test_$f.log")
    case $what in
      same)
        if [ $rc -eq 0 ] && [ -n "$own" ] && [ "$got" = "$own" ]; then ok "$name: $f (torch.save) tests: $got, the same"
        else no "$name: $f: rc $rc, '$got' vs own '$own': $(tail -1 "$d/test_$f.err")"; fi ;;
      runs)
        if [ $rc -eq 0 ] && echo "$got" | grep -Eq 'Mean Return: *-?[0-9]'; then ok "$name: $f (fresh MimicKit init) tests: $got"
        else no "$name: $f: rc $rc: $(tail -1 "$d/test_$f.err")"; fi ;;
      *)
        local lines
        lines=$(wc -l <"$d/test_$f.err")
        if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -Eq "^.*$f: $what" "$d/test_$f.err"; then
          ok "$name: $f refused: $(cat "$d/test_$f.err")"
        else no "$name: $f: rc $rc, $lines stderr lines, want /$what/: $(head -3 "$d/test_$f.err" | tr '\n' '|')"; fi ;;
    esac
  done <"$d/torch/expect.tsv"
}

for c in ${CM_TORCH_CASES:-deepmimic amp}; do
  case $c in
    deepmimic) case_ deepmimic args/deepmimic_humanoid_ppo_args.txt data/envs/deepmimic_humanoid_walk_env.yaml \
      data/agents/deepmimic_humanoid_ppo_agent.yaml ;;
    amp) case_ amp args/amp_humanoid_args.txt data/envs/amp_humanoid_env.yaml data/agents/amp_humanoid_agent.yaml ;;
    *) no "unknown case '$c' (deepmimic, amp)" ;;
  esac
done
echo "torch interop: $pass passed, $fail failed"
[ $fail -eq 0 ]
