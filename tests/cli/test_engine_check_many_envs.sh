#!/usr/bin/env bash
# The float32 cuda engine against MuJoCo over many envs, the way `--num_envs` finds the rare env
# that leaves the yardstick: 1024 humanoid envs, the first 9 control steps (the landing, where
# float once took the other branch of near-tie contact decisions: box-box feet at env 924 step
# 3, a shin capsule on a foot box at envs 463 and 533; docs/ENGINE.md, float32). Must pass, and
# the summary must say so with every worst ratio <= 1.
set -euo pipefail
: "${CMIMIC:?}" "${CM_SRC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/engine_check_many_envs"
rm -rf "$t" && mkdir -p "$t"
cd "$CM_SRC"
rc=0
"$CMIMIC" engine-check --char_file data/assets/humanoid/humanoid.xml --devices cpu --num_envs 1024 --steps 9 \
  --threads 2 >"$t/out" 2>"$t/err" || rc=$?
tail -3 "$t/out"
if [ "$rc" -ne 0 ]; then
  echo "FAIL: engine-check exited $rc"; cat "$t/err"; exit 1
fi
grep -q "^PASS: within tolerance at all 9 steps" "$t/out" || { echo "FAIL: no PASS line"; exit 1; }
python3 - "$t/out" <<'PY'
import re, sys
line = [l for l in open(sys.argv[1]) if "worst error / tolerance" in l][0]
ratios = [float(x) for x in re.findall(r"(?:root|body|dof) ([0-9.]+)", line)]
assert len(ratios) == 3 and max(ratios) <= 1, line
print("worst ratios", ratios)
PY
echo "engine_check_many_envs: ok"
