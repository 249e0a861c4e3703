#!/usr/bin/env bash
# SIGTERM / SIGINT at known points (held still by fault injection, core/fault.h, never by timing):
# - training: SIGTERM mid-run, then a second signal (Ctrl-C) while the checkpoint is being
#   written: the run still finishes that write, exits 130, leaves no temporary file, and the
#   checkpoint resumes;
# - a test run recording a video: SIGTERM or SIGINT mid-video ends it with one line, leaves no
#   video, no temporary file and no ffmpeg behind.
# Harness stages under Ctrl-C are covered by test_harness_crash.sh / test_harness_hang.sh.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
. tests/cli/harness_lib.sh
t="$CM_TMP/signals"
rm -rf "$t" && mkdir -p "$t"
ARGS=(--arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml
      --visualize false --num_envs 4 --rand_seed 3)
no_temp() { if ls "$1" | grep -q '\.tmp\.'; then echo "temporary file left in $1:"; ls "$1"; return 1; fi; }

# training: SIGTERM after the first iteration, then SIGINT inside the resume.pt write
(CMIMIC_FAULT_HANG_AFTER_ITERS=1 CMIMIC_FAULT_HOLD_WRITE=resume.pt exec "$CMIMIC" run "${ARGS[@]}" --mode train \
  --max_samples 100000 --out_dir "$t/train") >"$t/train.log" 2>&1 &
pid=$!
h_wait_line "$t/train.log" "fault injection: hanging after 1 iterations"
kill -TERM $pid
h_wait_line "$t/train.log" "fault injection: holding the write of $t/train/resume.pt"
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
cat "$t/train.log" | tail -3
[ $rc -eq 130 ] && grep -q "checkpoint saved" "$t/train.log"
no_temp "$t/train"
python3 -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None" "$t/train/resume.pt"
"$CMIMIC" run "${ARGS[@]}" --mode train --max_samples 300 --resume "$t/train" >"$t/resume.log"
grep -q "^Resuming from $t/train/resume.pt" "$t/resume.log"

# a resumed run interrupted at an iteration that ran no test: its row keeps the existing header's
# columns (a row with fewer keys used to be refused, and with it the checkpoint), the checkpoint is saved
last=$(tr '\r' '\n' <"$t/train/log.txt" | awk 'END { print $1 }')
(CMIMIC_FAULT_HANG_AFTER_ITERS=$((last + 3)) exec "$CMIMIC" run "${ARGS[@]}" --mode train --max_samples 100000 \
  --resume "$t/train") >"$t/resumed.log" 2>&1 &
pid=$!
h_wait_line "$t/resumed.log" "fault injection: hanging after $((last + 3)) iterations"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
tail -1 "$t/resumed.log"
[ $rc -eq 130 ] && grep -q "interrupted at iteration $((last + 2)) .*checkpoint saved" "$t/resumed.log"
tr '\r' '\n' <"$t/train/log.txt" | awk -v it=$((last + 2)) 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad || $1 != it }'
no_temp "$t/train"

# a video being recorded: either signal, mid-video
for sig in TERM INT; do
  v="$t/v_$sig.mp4"
  (CMIMIC_FAULT_HANG_AFTER_FRAMES=3 exec "$CMIMIC" run --arg_file args/view_motion_humanoid_args.txt --num_envs 1 \
    --test_episodes 1 --video_width 64 --video_height 48 --video "$v") >"$t/video_$sig.log" 2>&1 &
  pid=$!
  h_wait_line "$t/video_$sig.log" "fault injection: hanging after 3 frames"
  pgrep -f -- "$v.tmp" >/dev/null || { echo "ffmpeg is not running"; exit 1; }
  kill -$sig $pid
  set +e; wait $pid; rc=$?; set -e
  cat "$t/video_$sig.log"
  [ $rc -ne 0 ]
  grep -q "interrupted by SIG$sig: video not written: $v" "$t/video_$sig.log"
  [ ! -e "$v" ] && no_temp "$t"
  for _ in $(seq 1 600); do pgrep -f -- "$v.tmp" >/dev/null || break; sleep 0.1; done
  if pgrep -af -- "$v.tmp"; then echo "ffmpeg left running"; exit 1; fi
done
echo "signals: ok"
