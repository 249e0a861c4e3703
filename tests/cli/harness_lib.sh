# Shared by tests/cli/test_harness_*.sh: small CPU settings and artefact checks.
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
mkdir -p "$CM_TMP"
H_SMALL=(--default-ladder 4,2 --nontrainable-ladder 4,2 --max-samples 256 --test-episodes 2
         --viz-width 64 --viz-height 48 --status-seconds 5 --kill-grace 2)
PPO=deepmimic_humanoid_ppo_args.txt
AWR=deepmimic_humanoid_awr_args.txt
VIEW=view_motion_humanoid_args.txt
DOF=dof_test_humanoid_args.txt

# Every JSON and TSV under a root parses (no half-written artefact).
h_check_parse() {
  python3 - "$1" <<'PY'
import csv, glob, json, os, sys
root = sys.argv[1]
for p in glob.glob(os.path.join(root, '**', '*.json'), recursive=True):
    json.load(open(p))
for p in glob.glob(os.path.join(root, '*.tsv')):
    rows = list(csv.DictReader(open(p), delimiter='\t'))
    assert rows, p
print('artefacts parse:', root)
PY
}

# Tests wait for events, never for time: each helper polls until the event (a file, a line in a
# log, the end of processes) has happened, with a deadline far beyond any machine's speed so only
# a real failure ever reaches it (tests/README.md).

# No process of this root is left running (the harness killed its children's groups); killed
# processes may take a moment to be reaped, so poll.
h_no_children() {
  for _ in $(seq 1 600); do pgrep -f -- "$1/runs/" >/dev/null || return 0; sleep 0.1; done
  echo "processes of $1 still running:"; pgrep -af -- "$1/runs/"; return 1
}

# Waits (up to $2 s, default 300) for a file to exist.
h_wait_file() {
  for _ in $(seq 1 $(( ${2:-300} * 10 ))); do [ -e "$1" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $1"; return 1
}

# Waits (up to $3 s, default 300) for a line matching the fixed string $2 in file $1.
h_wait_line() {
  for _ in $(seq 1 $(( ${3:-300} * 10 ))); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1"; return 1
}
