#!/usr/bin/env bash
# cmimic longcycle: probe_train -> long_train -> test -> viz (bootstrap_train for the
# non-trainable case). Interrupted during long_train, the resume does not redo the probe and
# continues long_train from its checkpoint with the same counters (log.txt iterations and
# samples only grow, no second header). long_train holds still after its third iteration
# (CMIMIC_FAULT_HANG_*; the probe does two) so Ctrl-C lands mid-stage on any machine.
set -eu
source "$(dirname "$0")/harness_lib.sh"
root="$CM_TMP/harness_longcycle"
rm -rf "$root"
args=(--include-nontrainable --root-out "$root" --cases $PPO,$VIEW --default-ladder 4 --nontrainable-ladder 2
      --max-samples 256 --long-max-samples 1024 --test-episodes 2 --viz-width 64 --viz-height 48 --kill-grace 20)
CMIMIC_FAULT_HANG_AFTER_ITERS=3 CMIMIC_FAULT_HANG_ENVS=4 "$CMIMIC" longcycle "${args[@]}" >"$root.out" 2>&1 &
harness=$!
long="$root/runs/$PPO/base_e4/long_train"
h_wait_line "$long.log" "fault injection: hanging after 3 iterations"
kill -INT $harness
set +e; wait $harness; rc=$?; set -e
cat "$root.out"
[ $rc -eq 130 ]
h_no_children "$root"
h_check_parse "$root"
[ -s "$long/resume.pt" ]
"$CMIMIC" longcycle "${args[@]}" --resume-skip-status ok | tee "$root.resume.out"
grep -q "^Resuming from $long/resume.pt" "$root/runs/$PPO/base_e4/long_train.log"
h_check_parse "$root"
python3 - "$root" "$root.resume.out" <<'PY'
import csv, json, sys
root = sys.argv[1]
viz = [] if 'no viz stage' in open(sys.argv[2]).read() else ['viz']  # a build without rendering has none
rows = {r['case']: r for r in csv.DictReader(open(root + '/best_by_case.tsv'), delimiter='\t')}
assert all(r['final_ok'] == '1' for r in rows.values()), rows
ppo = rows['deepmimic_humanoid_ppo_args.txt']
assert ppo['long_out_dir'].endswith('/base_e4/long_train') and ppo['out_dir'].endswith('/base_e4/probe_train'), ppo
at = json.load(open(root + '/runs/deepmimic_humanoid_ppo_args.txt/attempts.json'))['attempts']
got = [(a['stage'], a['status']) for a in at]
want = [('probe_train', 'ok'), ('long_train', 'interrupted'), ('long_train', 'ok'), ('test', 'ok')] + [(v, 'ok') for v in viz]
assert got == want, got
view = json.load(open(root + '/runs/view_motion_humanoid_args.txt/attempts.json'))['attempts']
assert [a['stage'] for a in view] == ['bootstrap_train', 'test'] + viz, view
lines = [l.split() for l in open(ppo['long_out_dir'] + '/log.txt', newline='').read().split('\r') if l.strip()]
assert sum(1 for l in lines if l[0] == 'Iteration') == 1, 'one header'
it = [int(l[0]) for l in lines[1:]]; samples = [int(l[2]) for l in lines[1:]]
assert it == sorted(it) and samples == sorted(samples) and samples[-1] >= 1024, (it, samples)
print('longcycle resumed:', got, 'log rows', list(zip(it, samples)))
PY
echo "harness longcycle: ok"
