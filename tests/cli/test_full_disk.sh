#!/usr/bin/env bash
# A real full disk (no fault injection on the write path): training into a 64 MB tmpfs. A resumed
# run is held after two iterations (CMIMIC_FAULT_HANG_AFTER_ITERS), the disk is filled to the last
# byte, then SIGTERM makes it write its row and checkpoint: the checkpoint fails with ENOSPC, the
# run stops with a line naming model.pt and the reason, model.pt / resume.pt are byte-for-byte the
# ones before, no temporary file is left, log.txt holds whole rows; once space is freed --resume
# from the kept checkpoint works. A run started on the full disk stops at once with one line and
# leaves no partial file. Needs root (mount); skips with a message where mounting is refused.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/full_disk"
mnt="$t/mnt"
umount "$mnt" 2>/dev/null || true
rm -rf "$t" && mkdir -p "$mnt"
if ! mount -t tmpfs -o size=64m tmpfs "$mnt" 2>"$t/mount.err"; then
  echo "SKIP: cannot mount a tmpfs here ($(cat "$t/mount.err")); the full-disk run is not tested"
  exit 0
fi
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; umount "$mnt" 2>/dev/null || true' EXIT
pid=
run() { "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --num_envs 4 --rand_seed 3 --mode train "$@"; }
d="$mnt/run"
no_temp() { if ls "$1" | grep -q '\.tmp\.'; then echo "temporary file left in $1:"; ls -la "$1"; exit 1; fi; }
# log.txt lines end in '\r' as MimicKit's do; every one has as many fields as the header (a cut row would not)
lines() { tr '\r' '\n' <"$1/log.txt"; }
whole_rows() { lines "$1" | awk 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }'; }
# never fill anything but the tmpfs
fill() { mountpoint -q "$mnt" || { echo "$mnt is not a mount point: not filling it"; exit 1; }
  dd if=/dev/zero of="$mnt/filler" bs=1M 2>/dev/null || true; dd if=/dev/zero of="$mnt/filler2" bs=4k 2>/dev/null || true; }

run --max_samples 300 --out_dir "$d" >"$t/first.out"
last=$(lines "$d" | awk 'END { print $1 }')
echo "first run: $(($(lines "$d" | wc -l) - 1)) rows, last iteration $last; $(df -h "$mnt" | awk 'NR == 2 { print $3 " used of " $2 }')"

# resumed (exec'd, so the signal reaches cmimic itself), held two iterations on; the disk is filled while it waits
(CMIMIC_FAULT_HANG_AFTER_ITERS=$((last + 3)) exec "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt \
  --env_config data/envs/deepmimic_humanoid_walk_env.yaml --visualize false --num_envs 4 --rand_seed 3 --mode train \
  --max_samples 100000 --resume "$d") >"$t/held.out" 2>"$t/held.err" &
pid=$!
for _ in $(seq 600); do grep -q 'fault injection: hanging after' "$t/held.err" && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
grep -q 'fault injection: hanging after' "$t/held.err" || { echo "run did not reach the hold point:"; cat "$t/held.err"; exit 1; }
sha_before=$(sha256sum "$d/model.pt" "$d/resume.pt" | awk '{ print $1 }' | tr '\n' ' ')
rows_before=$(lines "$d" | wc -l)
fill
echo "disk filled: $(df -B1 "$mnt" | awk 'NR == 2 { print $4 }') bytes free"
kill -TERM $pid
rc=0
wait $pid || rc=$?
pid=
echo "held run: exit $rc"; cat "$t/held.err"
[ $rc -ne 0 ] || { echo "exit 0: the failed checkpoint was not reported"; exit 1; } # 130: it was interrupted too
grep -q "stopping: checkpoint not saved, the previous model.pt and resume.pt are kept: .*$d/model.pt.*No space left on device" "$t/held.err"
[ "$(grep -vc 'fault injection' "$t/held.err")" -le 2 ] # the stop line, and a log-row warning if the row hit the full disk too
[ "$(sha256sum "$d/model.pt" "$d/resume.pt" | awk '{ print $1 }' | tr '\n' ' ')" = "$sha_before" ]
no_temp "$d"
whole_rows "$d"
echo "log.txt: $rows_before lines before, $(lines "$d" | wc -l) after, all whole"

# a run started on the full disk: one line, nothing partial
rc=0
run --max_samples 300 --out_dir "$mnt/fresh" >"$t/fresh.out" 2>"$t/fresh.err" || rc=$?
cat "$t/fresh.err"
[ $rc -ne 0 ] && [ "$(wc -l <"$t/fresh.err")" -eq 1 ] && grep -q 'No space left on device' "$t/fresh.err"
[ ! -d "$mnt/fresh" ] || no_temp "$mnt/fresh"

# space freed: the kept checkpoint tests and the run resumes from it to the end
rm -f "$mnt/filler" "$mnt/filler2"
"$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --num_envs 4 --rand_seed 3 --mode test --model_file "$d/model.pt" --test_episodes 1 >"$t/test.out"
grep -q '^Mean Return: ' "$t/test.out"
run --max_samples 600 --resume "$d" >"$t/resume.out"
grep -q "^Resuming from $d/resume.pt" "$t/resume.out"
whole_rows "$d"
no_temp "$d"
echo "full disk: ok"
