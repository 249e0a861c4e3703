#!/usr/bin/env bash
# The methods with their own networks and normalizers on 2 CPU ranks: AMP (discriminator, its
# observation normalizer, demo draws) and ADD (difference normalizer). Each trains to the end
# with one log and one model, and every normalizer count of the 2 x 2-env run equals that of
# the 1 x 4-env run (the ranks' recorded rows are summed: MimicKit normalizer.update).
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
source "$(dirname "$0")/dist_lib.sh"
dist_require_mpi
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 0; }
t="$CM_TMP/dist_methods"
rm -rf "$t" && mkdir -p "$t"
for c in amp_humanoid_args.txt add_humanoid_args.txt; do
  # the case's agent with a one-episode test phase (the test is not what is checked here)
  agent=$(sed -n 's/^--agent_config *//p' "args/$c")
  sed -e 's/^test_episodes: .*/test_episodes: 1/' "$agent" >"$t/$c.agent.yaml"
  run() { "$CMIMIC" run --arg_file "args/$c" --agent_config "$t/$c.agent.yaml" --visualize false --logger txt \
    --mode train --max_samples 128 "$@"; }
  run --devices cpu cpu --num_envs 2 --out_dir "$t/$c.two" >"$t/$c.two.log"
  run --num_envs 4 --out_dir "$t/$c.one" >"$t/$c.one.log"
  python3 - "$t/$c.one/model.pt" "$t/$c.two/model.pt" <<'PY'
import sys
sys.path.insert(0, 'tests/cli/dist')
from compare_updates import load
one, two = load(sys.argv[1]), load(sys.argv[2])
counts = [k for k in one if k.endswith('._count')]
print(sys.argv[2], {k: (one[k][0], two[k][0]) for k in counts})
assert sorted(one) == sorted(two) and len(counts) >= 3
for k in counts: assert one[k][0] == two[k][0], k
PY
done
echo "dist methods: ok"
