#!/usr/bin/env bash
# The preset table of docs/BENCHMARKS.md on a GPU machine (the H200 device machine): full PPO
# training samples/s of each --preset (fast, heavy, beast; docs/PRESETS.md) for the DeepMimic
# humanoid with the networks on cuda:0, under each engine, with the GPU's utilisation sampled
# by cmimic's own NVML monitor during the same run.
#   bench/presets_bench.sh       PRESETS, ENGINES (engine yamls), TRAIN_SECONDS, TF32 (true/false),
#                                THREADS, DEVICE (cuda:0; cpu for a smoke test), BUDGET (seconds for
#                                the whole run), CMIMIC (the binary) override the defaults
# Each measurement is `cmimic bench-env --preset P --engine_config E --devices cuda:0
# --train_seconds S`: one untimed warm-up iteration, then whole iterations (rollout + update, no
# test phases) for S seconds; the engine phases before it are cut to a fraction of a second.
# GPU utilisation is the mean (and max) of `cmimic gpu-monitor --hz 10` over the bench-env run, so
# it includes env creation and the warm-up iteration: read it as a lower bound for training alone.
# A machine without cmimic's Debian libraries gets them from .carry/ (tools/devcarry.sh).
# Logs: $OUT/logs/; the table: $OUT/presets.md (also printed last).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-output/presets_bench}
mkdir -p "$out/logs"
PRESETS=${PRESETS:-"fast heavy beast"}
ENGINES=${ENGINES:-"data/engines/cuda_engine.yaml data/engines/mujoco_engine.yaml"}
TRAIN_SECONDS=${TRAIN_SECONDS:-20}
TF32=${TF32:-true}
DEVICE=${DEVICE:-cuda:0}
THREADS=${THREADS:-$(nproc)}
BUDGET=${BUDGET:-570}   # the device runs a command for at most 600 s
t_start=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - t_start) )); }

bin=${CMIMIC:-build/cuda/cmimic}
[ -x "$bin" ] || bin=.carry/bin/cmimic
. bench/gpu_libs.sh "$bin"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || echo "no nvidia-smi"
  echo "cpu: $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "binary: $bin"; git log --oneline -1 2>/dev/null
} 2>&1 | tee "$out/logs/machine.txt"

for engine in $ENGINES; do
  ename=$(basename "$engine" .yaml)
  for p in $PRESETS; do
    f="$out/logs/${p}_${ename}"
    need=$((TRAIN_SECONDS + 60))
    if [ "$(left)" -lt "$need" ]; then echo "skipped (time budget): $p $ename" | tee "$f.txt"; continue; fi
    echo "== $p, $ename, $TRAIN_SECONDS s of training"
    "$bin" gpu-monitor --hz 10 --tsv "$f.gpu.tsv" >"$f.gpu.txt" 2>&1 &
    mon=$!
    timeout $((need + 60)) "$bin" bench-env --preset "$p" --engine_config "$engine" --devices "$DEVICE" --tf32 "$TF32" \
      --threads "$THREADS" --seconds 0.5 --raw_seconds 0 --train_seconds "$TRAIN_SECONDS" >"$f.txt" 2>&1
    echo "exit $?" >>"$f.txt"
    kill -INT "$mon" 2>/dev/null; wait "$mon" 2>/dev/null
    grep -E "training|agent:|exit|cmimic" "$f.txt"
  done
done

python3 - "$out/logs" "$PRESETS" "$ENGINES" >"$out/presets.md" <<'PY'
import os, re, sys
logs, presets, engines = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
print("| preset | engine | envs | steps_per_iter | mini-batch | epochs | net | tf32 | training samples/s | GPU util mean / max | GPU mem max |")
print("|---|---|---:|---:|---:|---:|---|---|---:|---|---:|")
for e in engines:
    en = os.path.basename(e).replace(".yaml", "")
    for p in presets:
        f = os.path.join(logs, f"{p}_{en}")
        t = open(f + ".txt").read() if os.path.exists(f + ".txt") else ""
        rate = re.search(r"training \(networks on [^)]*\): ([\d.]+) samples/s", t)
        ag = re.search(r"agent: preset \S+, (\d+) envs, steps_per_iter (\d+), mini-batch (\d+) samples, "
                       r"update_epochs (\d+), net (\S+), tf32 (\w+)", t)
        util, mem = [], []
        if os.path.exists(f + ".gpu.tsv"):
            rows = [l.split("\t") for l in open(f + ".gpu.tsv").read().splitlines()]
            if rows:
                head = rows[0]
                for r in rows[1:]:
                    d = dict(zip(head, r))
                    try:
                        util.append(float(d["util_pct"]))
                        mem.append(float(d["mem_used_mb"]))
                    except (KeyError, ValueError):
                        pass
        u = f"{sum(util) / len(util):.0f}% / {max(util):.0f}%" if util else "-"
        m = f"{max(mem) / 1024:.1f} GB" if mem else "-"
        if not (rate and ag):
            ex = re.findall(r"^exit (\d+)$", t, re.M)
            err = re.findall(r"^cmimic[^:]*: (.*)$", t, re.M)
            why = "skipped (time)" if "skipped" in t else f"failed (exit {ex[-1] if ex else '?'}{': ' + err[-1][:50] if err else ''})"
            print(f"| {p} | {en} | | | | | | | {why} | {u} | {m} |")
            continue
        print(f"| {p} | {en} | {ag[1]} | {ag[2]} | {ag[3]} | {ag[4]} | {ag[5]} | {ag[6]} | {float(rate[1]):,.0f} | {u} | {m} |")
PY
echo
cat "$out/presets.md"
