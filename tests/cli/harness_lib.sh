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

# No process of this root is left running (the harness killed its children's groups).
h_no_children() {
  sleep 0.5
  if pgrep -f -- "$1/runs/" >/dev/null; then echo "processes of $1 still running:"; pgrep -af -- "$1/runs/"; return 1; fi
}

# Waits (up to $2 s) for a file to exist.
h_wait_file() {
  for _ in $(seq 1 $(( ${2:-60} * 10 ))); do [ -e "$1" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $1"; return 1
}
