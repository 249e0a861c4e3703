#!/usr/bin/env bash
# The report page, read with python's html.parser (tests/oracles/report_check.py: every case row,
# every image a PNG on disk, every link an existing file, nothing from the network):
#  1. a training folder: curves, the latest video's contact sheet, the files;
#  2. a harness root mid-run: one case failed, one running (held still by fault injection), one
#     pending; the page reloads itself and progress.json counts the running case as running;
#     after Ctrl-C the page is rewritten: no reload, the running case reads interrupted.
set -eu
source "$(dirname "$0")/harness_lib.sh"
t="$CM_TMP/report"
rm -rf "$t" && mkdir -p "$t"
run() { "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --num_envs 4 --rand_seed 3 "$@"; }

run --mode train --max_samples 200 --out_dir "$t/walk" --logger txt >"$t/train.log"
run --mode test --model_file "$t/walk/model.pt" --test_episodes 1 --video "$t/walk/test.mp4" --video_width 64 --video_height 48 >"$t/test.log"
"$CMIMIC" report "$t/walk" | grep -q "^wrote $t/walk/index.html"
python3 tests/oracles/report_check.py "$t/walk/index.html" --live no --images 2 >"$t/walk.json"
grep -q '"report_curves.png"' "$t/walk.json" && grep -q '"test.png"' "$t/walk.json" && grep -q '"test.mp4"' "$t/walk.json"
# NR = the last Test_Return over the walk env's best return: 10 s x 30 Hz x reward weights summing to 1
python3 - "$t/walk/index.html" "$t/walk/log.txt" <<'PY'
import re, sys
nr = float(re.search(r"NR \(Test_Return / 300, the best possible return\) ([\d.]+)", open(sys.argv[1]).read()).group(1))
lines = [l.split() for l in open(sys.argv[2], newline="").read().split("\r") if l.strip()]
ret = float(lines[-1][lines[0].index("Test_Return")])
assert abs(nr - ret / 300) < 6e-4, (nr, ret)
print("NR", nr, "from Test_Return", ret)
PY

# a case that fails at once (its env yaml names an env that does not exist) stands first, so the
# run reaches the held case in seconds; a finished ok row's images are the training folder's code
# paths above
mkdir -p "$t/args"
BAD=a_unknown_env_args.txt
cp args/$PPO args/$DOF "$t/args/"
sed 's|^env_name: .*|env_name: "no_such_env"|' data/envs/deepmimic_humanoid_env.yaml >"$t/bad_env.yaml"
sed "s|^--env_config .*|--env_config $t/bad_env.yaml|" args/$PPO >"$t/args/$BAD"
root="$t/root"
CMIMIC_FAULT_HANG_AFTER_ITERS=1 CMIMIC_FAULT_HANG_ENVS=4 "$CMIMIC" e2e --include-nontrainable --root-out "$root" \
  --args-dir "$t/args" --cases $BAD,$PPO,$DOF "${H_SMALL[@]}" --nontrainable-ladder 2 >"$t/harness.out" 2>&1 &
harness=$!
# wait for the held training, or for the harness to end early (then fail at once, showing why)
for _ in $(seq 1 3000); do
  grep -qF "fault injection: hanging after 1 iterations" "$root/runs/$PPO/base_e4/train.log" 2>/dev/null && break
  kill -0 $harness 2>/dev/null || { cat "$t/harness.out"; echo "harness ended before the held stage"; exit 1; }
  sleep 0.1
done
python3 tests/oracles/report_check.py "$root/index.html" --live yes --case $BAD=fail --case $PPO=running --case $DOF=pending \
  >"$t/live.json"
python3 - "$root/progress.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert (p["ok"], p["running"], p["pending"], p["fail"]) == (0, 1, 1, 1), p
print("mid-run progress.json:", {k: p[k] for k in ("ok", "running", "pending", "fail")})
PY
# the failed case's row: its last stage named by the rung folder it ran in, no best env count
# (every rung failed), the failure line not cut off mid-word
python3 - "$t/live.json" "$root/progress.json" $BAD <<'PY'
import json, sys
cells = json.load(open(sys.argv[1]))["cells"][sys.argv[3]]
assert cells[2] == "train base_e2 (fail)" and cells[4] == "-", cells
lf = json.load(open(sys.argv[2]))["last_failure"]
assert lf.endswith("...") or lf.endswith(")"), lf
PY
grep -q 'train base_e4' "$root/index.html"   # the running case's stage and rung
kill -INT $harness
set +e; wait $harness; rc=$?; set -e
[ $rc -eq 130 ] || { cat "$t/harness.out"; echo "harness exit $rc"; exit 1; }
python3 tests/oracles/report_check.py "$root/index.html" --live no --case $BAD=fail --case $PPO=interrupted --case $DOF=pending >/dev/null
# both pages as Debian's headless Chromium renders them, where it is installed (not a build
# dependency): every case row there, every image decoded, no sideways scrolling in a 1280-pixel
# window (tests/oracles/browser_check.py); screenshots are left in $t/page_3.png (the harness
# root) and $t/page_0.png (the training folder) to look at
for page in "$root/index.html:3" "$t/walk/index.html:0"; do
  set +e
  python3 tests/oracles/browser_check.py "${page%:*}" --rows "${page##*:}" --work "$t/browser" --fits 1280 \
    --screenshot "$t/page_${page##*:}.png"
  rc=$?
  set -e
  [ $rc -eq 3 ] && { echo "the rendered-page check is skipped: no headless Chromium"; break; }
  [ $rc -eq 0 ] || exit 1
done
# the page cmimic report writes is the one the harness wrote
cp "$root/index.html" "$t/by_harness.html"
"$CMIMIC" report "$root" >/dev/null
diff <(grep -v 'written by cmimic report' "$t/by_harness.html") <(grep -v 'written by cmimic report' "$root/index.html")
if "$CMIMIC" report "$t/nothing" 2>"$t/err"; then echo "report of a missing folder succeeded"; exit 1; fi
grep -q "no such folder" "$t/err"
echo "report ok"
