#!/usr/bin/env bash
# MimicKit's output folder: --logger tb (the default) writes TensorBoard events holding every
# log.txt column at its Samples step (read back by the independent tests/oracles reader), the
# three config files are copied as given, --save_int_models keeps int_models/model_<iter>.pt
# for every log row; --logger txt writes no events; a bad --logger is one clear line.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/train_outputs"
rm -rf "$t" && mkdir -p "$t"
run() { "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --num_envs 4 --rand_seed 3 --mode train --max_samples 300 "$@"; }

run --out_dir "$t/tb" --save_int_models true >"$t/tb.log"
ev=$(ls "$t"/tb/events.out.tfevents.*)
[ "$(echo "$ev" | wc -l)" -eq 1 ]
python3 tests/oracles/tfevents_read.py "$ev" >"$t/events.json"
python3 - "$t/tb/log.txt" "$t/events.json" <<'PY'
import json, sys
lines = [l.split() for l in open(sys.argv[1], newline="").read().split("\r") if l.strip()]
head, rows = lines[0], lines[1:]
ev = json.load(open(sys.argv[2]))["events"]
assert len(ev) == len(rows) >= 2, (len(ev), len(rows))
for row, e in zip(rows, ev):
    vals = dict(zip(head, map(float, row)))
    assert e["step"] == int(vals["Samples"]), (e["step"], vals["Samples"])
    want = {k for k in head if k != "Samples"}
    got = {t.split("/", 1)[1]: v for t, v in e["values"].items()}
    assert set(got) == want, set(got) ^ want
    for k in want:
        assert abs(got[k] - vals[k]) <= 1e-6 * max(1.0, abs(vals[k])), (k, got[k], vals[k])
    assert e["values"]["0_Main/Test_Return"] == got["Test_Return"]
print("events match log.txt:", len(ev), "rows,", len(head) - 1, "scalars each")
PY
# the console table ends with Progress (percent of --max_samples) and ETA rows; never in log.txt;
# iterations 0..2 are printed, log.txt has rows for 0 and 2 only (iters_per_output 100, the last)
python3 - "$t/tb.log" 300 <<'PY'
import re, sys
text, max_s = open(sys.argv[1]).read(), int(sys.argv[2])
samples = [int(v) for v in re.findall(r"^\|\s+Samples \|\s+(\d+) \|$", text, re.M)]
pct = [float(v) for v in re.findall(r"^\|\s+Progress \|\s+([\d.]+)% \|$", text, re.M)]
eta = re.findall(r"^\|\s+ETA \|\s+(\S+) \|$", text, re.M)
assert len(samples) == len(pct) == len(eta) >= 2, (samples, pct, eta)
for s, p in zip(samples, pct):
    assert abs(p - min(100.0, 100.0 * s / max_s)) < 0.051, (s, p)
assert eta[-1] == "done" and all(re.fullmatch(r"-|\d+s|\d+m\d\ds|\d+h\d\dm", e) for e in eta[:-1]), eta
# a table every iteration (MimicKit's print_log), not only at the output iterations log.txt gets
iters = [int(v) for v in re.findall(r"^\|\s+Iteration \|\s+(\d+) \|$", text, re.M)]
assert iters == list(range(len(iters))) and len(iters) >= 3, iters
print("progress rows:", list(zip(iters, pct, eta)))
PY
! tr '\r' '\n' <"$t/tb/log.txt" | head -1 | grep -q -e Progress -e ETA
cmp data/engines/mujoco_engine.yaml "$t/tb/engine_config.yaml"
cmp data/envs/deepmimic_humanoid_walk_env.yaml "$t/tb/env_config.yaml"
cmp data/agents/deepmimic_humanoid_ppo_agent.yaml "$t/tb/agent_config.yaml"
[ -s "$t/tb/config.yaml" ]
iters=$(tr '\r' '\n' <"$t/tb/log.txt" | awk '$1 ~ /^[0-9]+$/ {printf "model_%010d.pt\n", $1}')
[ "$(ls "$t/tb/int_models")" = "$iters" ] || { echo "int_models: $(ls "$t/tb/int_models") vs $iters"; exit 1; }

run --out_dir "$t/txt" --logger txt >"$t/txt.log"
[ -s "$t/txt/log.txt" ] && [ -z "$(ls "$t/txt" | grep tfevents || true)" ] && [ ! -e "$t/txt/int_models" ]

if run --out_dir "$t/bad" --logger wandb 2>"$t/err"; then echo "bad logger accepted"; exit 1; fi
grep -q -- "--logger must be tb" "$t/err" && [ "$(wc -l <"$t/err")" -eq 1 ]
echo "train outputs ok"
