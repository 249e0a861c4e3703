#!/usr/bin/env bash
# The harness on a real full disk: its root on a 64 MB tmpfs, a PPO case held in training
# (CMIMIC_FAULT_HANG_AFTER_ITERS), the disk filled to the last byte, then SIGTERM. The records it
# then writes (attempts.json, best_by_case.tsv, progress.json) fail with ENOSPC: it says which file
# and why, exits non-zero, leaves no child, no temporary file, and every record it had written
# before still parses. Once space is freed, --resume-skip-status ok finishes the case.
# Needs root (mount); skips with a message where mounting is refused.
set -eu
source "$(dirname "$0")/harness_lib.sh"
t="$CM_TMP/harness_full_disk"
mnt="$t/mnt"
umount "$mnt" 2>/dev/null || true
rm -rf "$t" && mkdir -p "$mnt"
if ! mount -t tmpfs -o size=64m tmpfs "$mnt" 2>"$t/mount.err"; then
  echo "SKIP: cannot mount a tmpfs here ($(cat "$t/mount.err")); the harness full-disk run is not tested"
  exit 0
fi
harness=
trap 'kill $harness 2>/dev/null || true; wait 2>/dev/null || true; umount "$mnt" 2>/dev/null || true' EXIT
root="$mnt/h"
ARGS=(--root-out "$root" --cases "$PPO" "${H_SMALL[@]}")
(CMIMIC_FAULT_HANG_AFTER_ITERS=1 CMIMIC_FAULT_HANG_ENVS=4 exec "$CMIMIC" e2e "${ARGS[@]}") >"$t/held.out" 2>"$t/held.err" &
harness=$!
log=$(for _ in $(seq 1 3000); do f=$(ls "$root"/runs/$PPO/*/train.log 2>/dev/null | head -1); \
      [ -n "$f" ] && { echo "$f"; break; }; sleep 0.1; done)
[ -n "$log" ] || { echo "no train.log under $root"; exit 1; }
h_wait_line "$log" "fault injection: hanging after 1 iterations"
mountpoint -q "$mnt" || { echo "$mnt is not a mount point: not filling it"; exit 1; }
dd if=/dev/zero of="$mnt/filler" bs=1M 2>/dev/null || true
dd if=/dev/zero of="$mnt/filler2" bs=4k 2>/dev/null || true
echo "disk filled: $(df -B1 "$mnt" | awk 'NR == 2 { print $4 }') bytes free"
kill -TERM $harness
rc=0
wait $harness || rc=$?
harness=
cat "$t/held.err"
echo "harness exit $rc"
[ $rc -ne 0 ]
grep -Eq "(attempts\.json|best_by_case\.tsv|progress\.json): write failed: No space left on device" "$t/held.err"
h_no_children "$root"
if find "$root" -name '*.tmp.*' | grep -q .; then echo "temporary files left:"; find "$root" -name '*.tmp.*'; exit 1; fi
h_check_parse "$root"

rm -f "$mnt/filler" "$mnt/filler2"
"$CMIMIC" e2e "${ARGS[@]}" --resume-skip-status ok >"$t/resume.out" 2>&1 || { tail -5 "$t/resume.out"; exit 1; }
tail -3 "$t/resume.out"
h_check_parse "$root"
python3 - "$root/best_by_case.tsv" "$PPO" <<'PY'
import csv, sys
rows = {r['case']: r for r in csv.DictReader(open(sys.argv[1]), delimiter='\t')}
assert rows[sys.argv[2]]['status'] == 'ok', rows
PY
echo "harness full disk: ok"
