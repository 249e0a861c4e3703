#!/usr/bin/env bash
# SIGTERM to the harness (as a scheduler or `kill` sends it) in the middle of a stage: during
# training (held after its first iteration) and during the video stage (held after 2 frames,
# CMIMIC_FAULT_HANG_AFTER_FRAMES). Each time: exit 130, the child's process group is gone (no
# orphan trainer or ffmpeg), no partial artefact (no video, no temporary file), every JSON/TSV
# parses and progress.json says interrupted. (SIGINT and SIGKILL: test_harness_resume.sh.)
set -eu
source "$(dirname "$0")/harness_lib.sh"
for stage in train viz; do
  root="$CM_TMP/harness_signals_$stage"
  rm -rf "$root"
  if [ $stage = train ]; then
    fault=(CMIMIC_FAULT_HANG_AFTER_ITERS=1 CMIMIC_FAULT_HANG_ENVS=4); case=$PPO; wait_for="hanging after 1 iterations"
  else
    fault=(CMIMIC_FAULT_HANG_AFTER_FRAMES=2); case=$VIEW; wait_for="hanging after 2 frames"
  fi
  env "${fault[@]}" "$CMIMIC" e2e --include-nontrainable --root-out "$root" --cases $case "${H_SMALL[@]}" \
    --nontrainable-ladder 2 --default-ladder 4 >"$root.out" 2>&1 &
  harness=$!
  log=$(for _ in $(seq 1 3000); do f=$(ls "$root"/runs/$case/*/$stage.log 2>/dev/null | head -1); \
        [ -n "$f" ] && { echo "$f"; break; }; sleep 0.1; done)
  [ -n "$log" ] || { echo "no $stage.log under $root"; exit 1; }
  h_wait_line "$log" "fault injection: $wait_for"
  kill -TERM $harness
  set +e; wait $harness; rc=$?; set -e
  tail -5 "$root.out"
  echo "harness exit $rc after SIGTERM during $stage"
  [ $rc -eq 130 ]
  h_no_children "$root"
  if pgrep -af -- "$root/" | grep -q ffmpeg; then echo "ffmpeg left running"; exit 1; fi
  if find "$root" -name '*.tmp.*' | grep -q .; then echo "temporary files left:"; find "$root" -name '*.tmp.*'; exit 1; fi
  if [ $stage = viz ] && find "$root" -name '*.mp4' | grep -q .; then echo "partial video left:"; find "$root" -name '*.mp4'; exit 1; fi
  h_check_parse "$root"
  python3 -c "import json, sys; p = json.load(open(sys.argv[1])); assert p['interrupted'] is True, p" "$root/progress.json"
done
echo "harness signals: ok"
