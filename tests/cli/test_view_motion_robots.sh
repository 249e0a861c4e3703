#!/usr/bin/env bash
# Every robot character's view_motion case plays its clip headless into a playable video and a
# contact sheet (small frames to keep it quick).
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/view_motion_robots"
rm -rf "$t" && mkdir -p "$t"
for c in g1 go2 pi_plus smpl humanoid_sword_shield; do
  "$CMIMIC" run --arg_file args/view_motion_${c}_args.txt --mode test --visualize false --num_envs 1 \
    --test_episodes 1 --video_width 160 --video_height 120 --video "$t/$c.mp4" | tee "$t/$c.log"
  grep -q '^Episodes: 1$' "$t/$c.log"
  frames=$(sed -n 's/^Video: .* (\([0-9]*\) frames)$/\1/p' "$t/$c.log")
  [ -s "$t/$c.mp4" ] && [ -s "$t/$c.png" ] && [ "$frames" -gt 30 ]
  if command -v ffprobe >/dev/null; then
    counted=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$t/$c.mp4")
    [ "$counted" = "$frames" ]
  fi
done
echo "view motion robots: ok"
