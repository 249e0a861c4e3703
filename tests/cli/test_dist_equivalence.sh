#!/usr/bin/env bash
# Data-parallel training is the same computation as one process over the whole batch: from the
# same model, 2 CPU ranks x 8 envs and 1 rank x 16 envs (same seed: env i of the global batch
# draws the same resets and action noise whichever rank holds it) give the same parameter update
# after one iteration, up to float reduction order. The agent is the shipped DeepMimic PPO with a
# smaller net and one mini-batch per epoch (batch_size = steps_per_iter), so both runs average
# the gradient over the same samples. Tolerance 1e-3 relative per tensor (4.5e-5 measured); a run
# over half the batch must differ by more than that (the comparison can fail).
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 0; }
t="$CM_TMP/dist_equivalence"
rm -rf "$t" && mkdir -p "$t"
source "$(dirname "$0")/dist_lib.sh"
dist_require_mpi
dist_small_agent "$t/agent.yaml" 8 2 256
run() { "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --agent_config "$t/agent.yaml" --visualize false \
  --logger txt --mode train --max_samples 128 "$@"; }
run --num_envs 16 --rand_seed 5 --out_dir "$t/m0" >"$t/m0.log"
run --num_envs 16 --rand_seed 7 --model_file "$t/m0/model.pt" --out_dir "$t/one" >"$t/one.log"
run --num_envs 8 --devices cpu cpu --rand_seed 7 --model_file "$t/m0/model.pt" --out_dir "$t/two" >"$t/two.log"
[ ! -e "$t/one/model.pt" ] || [ ! -e "$t/two/model.pt" ] && { echo "missing model"; exit 1; }
# the two runs log the same totals
samples() { tr '\r' '\n' <"$1" | awk '$1 ~ /^[0-9]+$/ {s = $3} END {print s}'; }
s1=$(samples "$t/one/log.txt"); s2=$(samples "$t/two/log.txt")
echo "samples: one rank $s1, two ranks $s2"; [ "$s1" = 128 ] && [ "$s2" = 128 ]
python3 tests/cli/dist/compare_updates.py "$t/m0/model.pt" "$t/one/model.pt" "$t/two/model.pt" 1e-3
# the rollout ran the same envs with the same parameters: rank 0's combined Train_Episodes (a sum
# over ranks) and Train_Return (weighted by each rank's episodes) are the one-process figures
python3 - "$t/one/log.txt" "$t/two/log.txt" <<'PY'
import sys
def row(p):
  lines = [l.split() for l in open(p) if l.split()]
  return dict(zip(lines[0], map(float, lines[-1])))
a, b = row(sys.argv[1]), row(sys.argv[2])
print('Train_Episodes %g %g, Train_Return %.6f %.6f' % (a['Train_Episodes'], b['Train_Episodes'], a['Train_Return'], b['Train_Return']))
assert a['Train_Episodes'] == b['Train_Episodes'] and a['Train_Episodes'] > 0
assert abs(a['Train_Return'] - b['Train_Return']) <= 1e-5 * abs(a['Train_Return'])
PY
# negative control: one rank over half the batch is a different update
run --num_envs 8 --max_samples 64 --rand_seed 7 --model_file "$t/m0/model.pt" --out_dir "$t/half" >"$t/half.log"
python3 tests/cli/dist/compare_updates.py "$t/m0/model.pt" "$t/one/model.pt" "$t/half/model.pt" 1e-3 --differ
echo "dist equivalence: ok"
