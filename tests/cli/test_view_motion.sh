#!/usr/bin/env bash
# The user's path: play the bundled clip headless into an MP4 and check the video a person gets.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/view_motion"
rm -rf "$t" && mkdir -p "$t"
"$CMIMIC" run --arg_file args/view_motion_humanoid_args.txt --mode test --visualize false \
  --test_episodes 1 --video_width 320 --video_height 240 --video "$t/v.mp4" | tee "$t/log"
grep -q '^Mean Return: ' "$t/log"
grep -q '^Episodes: 1$' "$t/log"
frames=$(sed -n 's/^Video: .* (\([0-9]*\) frames)$/\1/p' "$t/log")
[ -s "$t/v.mp4" ] && [ -s "$t/v.png" ]
if command -v ffprobe >/dev/null; then
  counted=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$t/v.mp4")
  echo "frames written $frames, ffprobe counts $counted"
  [ "$counted" = "$frames" ]
fi
if command -v python3 >/dev/null; then
  # at least one frame per control step over the clip: duration * 30 frames
  need=$(python3 -c "import pickle; m = pickle.load(open('data/motions/humanoid/humanoid_spinkick.pkl', 'rb')); print(int((len(m['frames']) - 1) / m['fps'] * 30))")
  echo "clip needs >= $need frames"
  [ "$frames" -ge "$need" ]
fi
# dof_test: root fixed, joints swing; one short episode on one env
"$CMIMIC" run --arg_file args/dof_test_humanoid_args.txt --visualize false --num_envs 1 --test_episodes 1 | tee "$t/dof.log"
grep -q '^Episodes: 1$' "$t/dof.log"
# bootstrap "training" of a case without an agent (the harness's non-trainable stage 1): a model artefact
"$CMIMIC" run --arg_file args/view_motion_humanoid_args.txt --mode train --visualize false --max_samples 128 --out_dir "$t/boot" | tee "$t/boot.log"
[ -s "$t/boot/model.pt" ] && [ -s "$t/boot/log.txt" ] && [ -s "$t/boot/config.yaml" ]
if "$CMIMIC" run --arg_file args/view_motion_humanoid_args.txt --mode train --visualize false --out_dir "$t/boot2" 2>"$t/err"; then
  echo "unbounded dummy training accepted"; exit 1
fi
grep -q "max_samples" "$t/err"
echo "view motion: ok"
