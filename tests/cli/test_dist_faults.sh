#!/usr/bin/env bash
# Failures of a data-parallel run on CPU ranks (fault injection, no timing assumed):
#  - a rank killed with kill -9 mid-run: the launcher sees its link close, says which rank died
#    in one line, and every rank is gone (bound: the launcher's 3 s kill grace after detection)
#  - a rank that hangs (CMIMIC_FAULT_HANG_AFTER_ITERS on rank 1 only): rank 0 waits at most
#    --dist_timeout (10 s; start-up may take 120 s) in its next collective, then names rank 1 in one line, and the job ends
# Both: non-zero exit, no process left, the last checkpoint intact (it loads for a test run).
# Also: Ctrl-C to the launcher stops every rank at the same iteration, rank 0 saves the checkpoint,
# exit 130; kill -9 of the launcher or of mpirun leaves no process behind; a rank out of memory
# names itself in one line; --devices with a port already taken picks another and says so in one line.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
source "$(dirname "$0")/dist_lib.sh"
dist_require_mpi
t="$CM_TMP/dist_faults"
rm -rf "$t" && mkdir -p "$t"
dist_small_agent "$t/agent.yaml" 8 1 128
args=(run --arg_file args/deepmimic_humanoid_ppo_args.txt --agent_config "$t/agent.yaml" --visualize false --logger txt
      --mode train --devices cpu cpu --num_envs 4 --max_samples 100000000)

# Polls (deadline far beyond any machine's speed) until no process mentions $1.
no_process_of() {
  for _ in $(seq 1 600); do pgrep -f -- "$1" >/dev/null || return 0; sleep 0.1; done
  echo "processes of $1 still running:"; pgrep -af -- "$1"; return 1
}
wait_line() {
  for _ in $(seq 1 3000); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1"; cat "$1"; return 1
}
checkpoint_loads() {
  "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --agent_config "$t/agent.yaml" --visualize false \
    --mode test --num_envs 2 --test_episodes 1 --model_file "$1" >"$t/ckpt_test.log"
  grep -q '^Mean Return: ' "$t/ckpt_test.log"
}

# --- kill -9 of rank 1 while it holds still after its second iteration
(CMIMIC_FAULT_HANG_AFTER_ITERS=2 CMIMIC_FAULT_RANK=1 exec "$CMIMIC" "${args[@]}" --dist_timeout 600 --out_dir "$t/kill") \
  >"$t/kill.log" 2>&1 &
pid=$!
wait_line "$t/kill.log" "fault injection: hanging after 2 iterations"
[ "$(grep -c 'fault injection: hanging' "$t/kill.log")" -eq 1 ] # rank 1 only
r1=$(sed -n 's/^rank 1 of 2 (pid \([0-9]*\).*/\1/p' "$t/kill.log")
[ -n "$r1" ] && kill -9 "$r1"
set +e; wait $pid; rc=$?; set -e
echo "killed run exited with $rc"; grep "^cmimic run" "$t/kill.log"
[ $rc -ne 0 ]
grep -q "cmimic run: rank 1 (pid $r1) died without finishing" "$t/kill.log"
no_process_of "$t/kill"
checkpoint_loads "$t/kill/model.pt"
python3 - "$t/kill/log.txt" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.split() and l.split()[0].isdigit()]
assert [int(r[0]) for r in rows] == list(range(len(rows))) and len(rows) >= 1, rows  # one log, each iteration once
PY

# --- rank 1 hangs after its second iteration: rank 0 names it within --dist_timeout
set +e
CMIMIC_FAULT_HANG_AFTER_ITERS=2 CMIMIC_FAULT_RANK=1 "$CMIMIC" "${args[@]}" --dist_timeout 10 --out_dir "$t/hang" >"$t/hang.log" 2>&1
rc=$?
set -e
echo "hung run exited with $rc"; grep "^cmimic run" "$t/hang.log"
[ $rc -ne 0 ]
grep -q "cmimic run: rank 0: rank 1 did not join the .* within 10 s: hung, stopped or lost" "$t/hang.log"
[ "$(grep -c 'did not join' "$t/hang.log")" -eq 1 ]
no_process_of "$t/hang"
checkpoint_loads "$t/hang/model.pt"

# --- Ctrl-C while both ranks hold still after their first iteration
(CMIMIC_FAULT_HANG_AFTER_ITERS=1 exec "$CMIMIC" "${args[@]}" --out_dir "$t/intr") >"$t/intr.log" 2>&1 &
pid=$!
for _ in $(seq 1 3000); do [ "$(grep -c 'fault injection: hanging' "$t/intr.log")" -eq 2 ] && break; sleep 0.1; done
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
echo "interrupted run exited with $rc"; grep "^cmimic run" "$t/intr.log"
[ $rc -eq 130 ]
grep -q "cmimic run: rank 0: interrupted at iteration 0 (.*); checkpoint saved to $t/intr/resume.pt" "$t/intr.log"
grep -q "cmimic run: rank 1: interrupted at iteration 0" "$t/intr.log"
no_process_of "$t/intr"
checkpoint_loads "$t/intr/resume.pt"

# --- kill -9 of the launcher itself (a user's kill, a harness's SIGKILL): mpirun and the ranks
# live in a process group of their own, yet none of them outlives it
"$CMIMIC" "${args[@]}" --out_dir "$t/launcher" >"$t/launcher.log" 2>&1 &
pid=$!
wait_line "$t/launcher.log" "rank 1 of 2 "
kill -9 $pid
set +e; wait $pid; set -e
no_process_of "$t/launcher"
echo "launcher killed: no process left"

# --- kill -9 of mpirun: the launcher stops the ranks and says what happened in one line
(exec "$CMIMIC" "${args[@]}" --out_dir "$t/mpirun") >"$t/mpirun.log" 2>&1 &
pid=$!
wait_line "$t/mpirun.log" "rank 1 of 2 "
kill -9 "$(pgrep -f "^mpirun .*$t/mpirun")"
set +e; wait $pid; rc=$?; set -e
echo "mpirun killed: exit $rc"; grep "^cmimic run" "$t/mpirun.log"
[ $rc -ne 0 ]
grep -q "^cmimic run: .*mpirun (pid [0-9]*) was killed by signal 9 (Killed) before the ranks finished" "$t/mpirun.log"
no_process_of "$t/mpirun"

# --- rank 1 runs out of memory creating its envs: it says so in one line naming itself, and the job ends
set +e
CMIMIC_FAULT_OOM_ABOVE_ENVS=2 CMIMIC_FAULT_RANK=1 "$CMIMIC" "${args[@]}" --out_dir "$t/oom" >"$t/oom.log" 2>&1
rc=$?
set -e
echo "out-of-memory run exited with $rc"; grep "^cmimic run" "$t/oom.log"
[ $rc -ne 0 ]
[ "$(grep -c 'out of memory' "$t/oom.log")" -eq 1 ]
grep -q "^cmimic run: rank 1: out of memory: cannot allocate 4 environments" "$t/oom.log"
no_process_of "$t/oom"

# --- a master port in use: another is picked, in one line, and the run finishes
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(600)' >"$t/port" &
holder=$!
for _ in $(seq 1 600); do [ -s "$t/port" ] && break; sleep 0.1; done
port=$(head -1 "$t/port")
set +e
"$CMIMIC" "${args[@]/100000000/64}" --master_port "$port" --out_dir "$t/port_run" >"$t/port_run.log" 2>&1
rc=$?
set -e
kill $holder
[ $rc -eq 0 ]
grep "master port" "$t/port_run.log"
grep -q "cmimic run: master port $port is taken (errno [0-9]*); using port [0-9]* instead" "$t/port_run.log"
[ -s "$t/port_run/model.pt" ]
echo "dist faults: ok"
