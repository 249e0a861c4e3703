#!/usr/bin/env bash
# Every case under args/ runs as a user first tries it: one test episode of an untrained policy
# (or the clip, for view_motion / dof_test) on one env, headless, into a small MP4 and contact
# sheet. Catches a case whose yamls the envs, agents or assets do not accept. There are 32.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/all_cases"
rm -rf "$t" && mkdir -p "$t"
n=0
for f in args/*_args.txt; do
  c=$(basename "$f" .txt)
  "$CMIMIC" run --arg_file "$f" --mode test --num_envs 1 --test_episodes 1 --visualize false \
    --video_width 64 --video_height 48 --video "$t/$c.mp4" --out_dir "$t/out_$c" >"$t/$c.log" 2>&1 ||
    { echo "FAIL $c"; tail -5 "$t/$c.log"; exit 1; }
  grep -q '^Episodes: 1$' "$t/$c.log" || { echo "FAIL $c: no episode"; tail -5 "$t/$c.log"; exit 1; }
  [ -s "$t/$c.mp4" ] && [ -s "$t/$c.png" ] || { echo "FAIL $c: no video"; exit 1; }
  echo "ok $c $(sed -n 's/^Video: .* (\([0-9]*\) frames)$/\1/p' "$t/$c.log") frames"
  n=$((n + 1))
done
echo "$n cases"
[ "$n" -eq 32 ]
