#!/usr/bin/env bash
# SIGTERM to the harness (as a scheduler or `kill` sends it) in the middle of each stage: during
# training (held after its first iteration), the test stage (held before its episodes,
# CMIMIC_FAULT_HOLD_TEST), the video stage (held after 2 frames, CMIMIC_FAULT_HANG_AFTER_FRAMES)
# and the ffprobe check of the finished video (a stand-in ffprobe first in PATH that says so and
# waits). Each time: exit 130, the child's process group is gone (no orphan trainer, ffmpeg or
# ffprobe), no partial artefact (no video, no temporary file), every JSON/TSV parses,
# progress.json says interrupted and the stage's attempt reads "interrupted"; after the test and
# ffprobe stages, --resume-skip-status ok finishes the case. (SIGINT and SIGKILL in training:
# test_harness_resume.sh.)
set -eu
source "$(dirname "$0")/harness_lib.sh"
for stage in train test viz ffprobe; do
  root="$CM_TMP/harness_signals_$stage"
  rm -rf "$root" "$root.bin"
  path=$PATH log_name=$stage.log case=$VIEW
  case $stage in
    train) fault=(CMIMIC_FAULT_HANG_AFTER_ITERS=1 CMIMIC_FAULT_HANG_ENVS=4); case=$PPO; wait_for="fault injection: hanging after 1 iterations" ;;
    test) fault=(CMIMIC_FAULT_HOLD_TEST=1); wait_for="fault injection: holding the test run" ;;
    viz) fault=(CMIMIC_FAULT_HANG_AFTER_FRAMES=2); wait_for="fault injection: hanging after 2 frames" ;;
    ffprobe)
      fault=(); log_name=viz_ffprobe.log; wait_for="stand-in ffprobe: holding"
      mkdir -p "$root.bin"
      printf '%s\n' '#!/usr/bin/env python3' 'import signal, sys' \
        'print("stand-in ffprobe: holding", sys.argv[-1], flush=True)' 'signal.pause()' > "$root.bin/ffprobe"
      chmod +x "$root.bin/ffprobe"
      path="$root.bin:$PATH" ;;
  esac
  env PATH="$path" "${fault[@]}" "$CMIMIC" e2e --include-nontrainable --root-out "$root" --cases $case "${H_SMALL[@]}" \
    --nontrainable-ladder 2 --default-ladder 4 >"$root.out" 2>&1 &
  harness=$!
  log=$(for _ in $(seq 1 3000); do f=$(ls "$root"/runs/$case/*/$log_name 2>/dev/null | head -1); \
        [ -n "$f" ] && { echo "$f"; break; }; sleep 0.1; done)
  [ -n "$log" ] || { echo "no $log_name under $root"; exit 1; }
  h_wait_line "$log" "$wait_for"
  kill -TERM $harness
  set +e; wait $harness; rc=$?; set -e
  tail -5 "$root.out"
  echo "harness exit $rc after SIGTERM during $stage"
  [ $rc -eq 130 ]
  h_no_children "$root"
  if pgrep -af -- "$root/" | grep -qE 'ffmpeg|ffprobe'; then echo "ffmpeg or ffprobe left running"; exit 1; fi
  if find "$root" -name '*.tmp.*' | grep -q .; then echo "temporary files left:"; find "$root" -name '*.tmp.*'; exit 1; fi
  if [ $stage = viz ] && find "$root" -name '*.mp4' | grep -q .; then echo "partial video left:"; find "$root" -name '*.mp4'; exit 1; fi
  h_check_parse "$root"
  # the interrupted stage is on record as interrupted (ffprobe belongs to the viz attempt)
  python3 - "$root" "$case" "${stage/ffprobe/viz}" <<'PY'
import csv, json, sys
root, case, stage = sys.argv[1:]
assert json.load(open(root + '/progress.json'))['interrupted'] is True
at = json.load(open('%s/runs/%s/attempts.json' % (root, case)))['attempts']
assert at[-1]['stage'] == stage and at[-1]['status'] == 'interrupted' and at[-1]['failure'] == 'interrupted', at[-1]
rows = {r['case']: r for r in csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t')}
assert rows[case]['final_ok'] == '0' and rows[case]['status'] == 'interrupted', rows[case]
print('on record:', [(a['stage'], a['status']) for a in at])
PY
  case $stage in test|ffprobe) ;; *) continue ;; esac
  "$CMIMIC" e2e --include-nontrainable --root-out "$root" --cases $case "${H_SMALL[@]}" --nontrainable-ladder 2 \
    --default-ladder 4 --resume-skip-status ok > "$root.resume.out" 2>&1 || { cat "$root.resume.out"; exit 1; }
  h_check_parse "$root"
  python3 - "$root" "$case" <<'PY'
import csv, json, sys
root, case = sys.argv[1:]
rows = {r['case']: r for r in csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t')}
assert rows[case]['final_ok'] == '1', rows[case]
at = json.load(open('%s/runs/%s/attempts.json' % (root, case)))['attempts']
assert 'interrupted' in [a['status'] for a in at], at            # the interrupted attempt stays on record
assert [(a['stage'], a['status']) for a in at[-2:]] == [('test', 'ok'), ('viz', 'ok')], at
assert json.load(open(root + '/progress.json'))['finished'] is True
print('resumed:', [(a['stage'], a['status']) for a in at])
PY
done
echo "harness signals: ok"
