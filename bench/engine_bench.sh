#!/usr/bin/env bash
# The engine table of docs/BENCHMARKS.md in one run on a GPU machine (the H200 device machine):
#   1. the kernels against the CPU build and against MuJoCo (bench/engine_cuda_check.sh)
#   2. cmimic bench-env of the cuda engine at N = $NS on cuda:0, each with raw mj_step on the
#      host's cores (and the mujoco engine) in the same run
#   3. kernel launch variants at N = $VAR_N (threads per block, unfused substeps, work in the block)
#   4. ncu of one step kernel (what bounds it)
#   5. MJX stepping the same humanoid at the same N (bench/mjx_bench.py, wheels from .carry/whl)
# A machine without cmimic's Debian libraries gets them from .carry/ (tools/devcarry.sh).
# Full logs: $OUT/logs.tar.gz; the table: $OUT/summary.txt (also printed last).
#   bench/engine_bench.sh            NS, VAR_N, MJX_NS, MJX_ARGS, BENCH_SECONDS, THREADS, SKIP (words:
#                                    check variants ncu mjx) override the defaults
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-output/engine_bench}
logs=$(mktemp -d)
mkdir -p "$out"
NS=${NS:-"1024 4096 16384 65536"}
VAR_N=${VAR_N:-16384}
MJX_NS=${MJX_NS:-$NS}
MJX_ARGS=${MJX_ARGS:-}
SECONDS_EACH=${BENCH_SECONDS:-3}   # not $SECONDS: bash counts the shell's age in it
THREADS=${THREADS:-$(nproc)}
SKIP=${SKIP:-}
skip() { [[ " $SKIP " == *" $1 "* ]]; }
t_start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - t_start )) s] $*"; }
BUDGET=${BUDGET:-570}   # seconds the whole run may take (the device runs a command for at most 600)
left() { echo $(( BUDGET - ($(date +%s) - t_start) )); }
# everything printed also goes to $out/run.log as it happens (kept if the run is cut short)
exec > >(tee -a "$out/run.log") 2>&1

if [ -f .carry/lib.tar.xz ]; then
  mkdir -p /tmp/cmimic_lib && tar -C /tmp/cmimic_lib -xJf .carry/lib.tar.xz
  export LD_LIBRARY_PATH=/tmp/cmimic_lib/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64
bin=${CMIMIC:-build/cuda/cmimic}
[ -x "$bin" ] || bin=.carry/bin/cmimic
if ldd "$bin" | grep -q "not found"; then # cuBLAS from the Python wheels, where the toolkit has none
  for d in $(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, q, "lib") for p in nvidia.__path__ for q in os.listdir(p)))' 2>/dev/null); do
    [ -d "$d" ] && LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$d
  done
fi
{
  echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader
  echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"; uname -r
  echo "binary: $bin"; ldd "$bin" | grep -E "not found|mujoco|cudart|cublas" ; git log --oneline -1 2>/dev/null
} 2>&1 | tee "$logs/machine.txt"

if ! skip check; then
  stamp "kernels vs CPU build, GPU vs MuJoCo"
  timeout 240 bench/engine_cuda_check.sh "$bin" 1024 >"$logs/check.txt" 2>&1
  echo "engine_cuda_check exit $?" >>"$logs/check.txt"
  cat "$logs/check.txt"
fi

rows=()
for n in $NS; do
  stamp "bench-env $n"
  f="$logs/bench_$n.txt"
  timeout 180 "$bin" bench-env --engine_config data/engines/cuda_engine.yaml --num_envs "$n" --devices cuda:0 \
    --threads "$THREADS" --seconds "$SECONDS_EACH" --raw_seconds "${RAW_SECONDS:-2}" >"$f" 2>&1
  echo "exit $?" >>"$f"
  cat "$f"
done

if ! skip variants; then
  # a variant: bench-env flags, or "global" (work in the block) / "l1max" (no shared carve-out)
  IFS=, read -ra vlist <<<"${VARIANTS:---gpu_block 32,--gpu_block 128,--gpu_block 256,--gpu_fused 0,global,l1max}"
  for v in "${vlist[@]}"; do
    stamp "variant $v at $VAR_N"
    f="$logs/variant_${v// /_}.txt"
    envs=()
    flags=$v
    case $v in global) envs=(CM_PHYS_GPU_WORK=global); flags= ;; l1max) envs=(CM_PHYS_GPU_L1=max); flags= ;; esac
    env "${envs[@]}" timeout 120 "$bin" bench-env --engine_config data/engines/cuda_engine.yaml --num_envs "$VAR_N" \
      --devices cuda:0 --seconds 2 --raw_seconds 0 $flags >"$f" 2>&1
    echo "exit $?" >>"$f"
    grep -E "physics|env samples|per control|kernel:|exit|cmimic" "$f"
  done
fi

if ! skip ncu; then
  ncu_bin=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
  if [ -n "$ncu_bin" ]; then
    stamp "ncu one step kernel at $VAR_N"
    timeout 240 "$ncu_bin" --clock-control none --kernel-name regex:phys_step_kernel --launch-skip 3 --launch-count 1 \
      --section SpeedOfLight --section Occupancy --section LaunchStats --section MemoryWorkloadAnalysis \
      --section ComputeWorkloadAnalysis --section SchedulerStats --section WarpStateStats \
      "$bin" bench-env --engine_config data/engines/cuda_engine.yaml --num_envs "$VAR_N" --devices cuda:0 \
      --seconds 0.5 --raw_seconds 0 >"$logs/ncu.txt" 2>&1
    echo "ncu exit $?" >>"$logs/ncu.txt"
    grep -E "Duration|Throughput|Registers|Achieved Occupancy|Theoretical Occupancy|Local|L1/TEX Hit|L2 Hit|Mem Busy|Max Bandwidth|Issue Slots|Stall|Warp Cycles|Eligible|Block Limit|ncu exit|==ERR|==WARN" "$logs/ncu.txt" | head -60
  else
    echo "ncu: not found" | tee "$logs/ncu.txt"
  fi
fi

if ! skip mjx && ls .carry/whl/*.whl >/dev/null 2>&1; then
  stamp "MJX at $MJX_NS"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .carry/whl/*.whl \
    >"$logs/mjx_install.txt" 2>&1
  t_mjx=$(left); [ "$t_mjx" -gt 330 ] && t_mjx=330
  PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 MUJOCO_GL=egl timeout $((t_mjx > 10 ? t_mjx : 10)) python3 bench/mjx_bench.py --num_envs $MJX_NS $MJX_ARGS \
    --tsv "$logs/mjx.tsv" >"$logs/mjx.txt" 2>&1
  echo "mjx exit $?" >>"$logs/mjx.txt"
  grep -vE "^\s*$|warp" "$logs/mjx.txt" | tail -25
fi

stamp "summary"
python3 - "$logs" "$NS" >"$logs/summary.txt" <<'PY'
import glob, os, re, sys
logs, ns = sys.argv[1], sys.argv[2].split()
def grab(pat, text, cast=float):
    m = re.search(pat, text)
    return cast(m.group(1).replace(",", "")) if m else None
mjx = {}
if os.path.exists(os.path.join(logs, "mjx.tsv")):
    for line in open(os.path.join(logs, "mjx.tsv")).read().splitlines()[1:]:
        f = line.split("\t")
        mjx[f[1]] = (float(f[2]), f[6])
print("| N | cuda physics substeps/s | env samples/s (4 substeps) | per control step: kernels / in / out ms | GPU KB/env (arrays / device in use) | raw mj_step/s (host cores) | cuda / raw | MJX steps/s | cuda / MJX |")
print("|---:|---:|---:|---|---|---:|---:|---:|---:|")
for n in ns:
    p = os.path.join(logs, f"bench_{n}.txt")
    t = open(p).read() if os.path.exists(p) else ""
    phys = grab(r"physics:\s+([\d.]+) substeps/s", t)
    samp = grab(r"env samples:\s+([\d.]+) samples/s", t)
    per = re.search(r"kernels ([\d.]+) ms, targets in ([\d.]+) ms, state out ([\d.]+) ms", t)
    mem = re.search(r"([\d.]+) KB/env in the engine's arrays; ([\d.]+) KB/env of the device", t)
    raw = grab(r"raw mj_step:\s+([\d.]+) steps/s", t)
    raw_thr = grab(r"steps/s  \((\d+) threads", t, int)
    m = mjx.get(n)
    fmt = lambda v: f"{v:,.0f}" if v else "-"
    cells = [n, fmt(phys), fmt(samp), "/".join(per.groups()) if per else "-",
             f"{mem.group(1)} / {mem.group(2)}" if mem else "-",
             fmt(raw) + (f" ({raw_thr} threads)" if raw_thr else ""),
             f"{phys / raw:.1f}x" if phys and raw else "-",
             fmt(m[0]) if m else "-", f"{phys / m[0]:.2f}x" if m and phys else "-"]
    print("| " + " | ".join(str(c) for c in cells) + " |")
if mjx:
    print("MJX settings:", next(iter(mjx.values()))[1])
for p in sorted(glob.glob(os.path.join(logs, "variant_*.txt"))):
    t = open(p).read()
    vp = grab(r"physics:\s+([\d.]+)", t) or 0
    ve = grab(r"env samples:\s+([\d.]+)", t) or 0
    print(f"variant {os.path.basename(p)[8:-4]}: physics {vp:,.0f} substeps/s, env {ve:,.0f} samples/s")
PY
cat "$logs/summary.txt"
cp "$logs/summary.txt" "$out/summary.txt"
tar -C "$logs" -czf "$out/logs.tar.gz" .
stamp "done"
