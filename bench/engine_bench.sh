#!/usr/bin/env bash
# The default run (nvidia-h200, under 400 s; BUDGET=390): the warp-per-env kernel checked against
# the CPU build and MuJoCo, then a thread per env (--gpu_lanes 1) against a warp per env
# (--gpu_lanes 32) at 4096, 16384, 32768, 65536 and 131072 envs, ncu of the warp kernel. A build of only the
# default kernel variants has the warp kernel capped at 128 (--gpu_lanes 32 --gpu_regs 128) but no
# caps of the thread kernel (--gpu_regs 96/64): configure with
# -DCMIMIC_GPU_VARIANTS=all for them (VARIANTS then may name them). MJX: SKIP= (and the wheels).
# The device call (carry as below; without MJX: carry=[".carry"]):
#   tools/devcarry.sh .devbin/cmimic        # here: .carry/bin/cmimic + .carry/lib.tar.xz (12 MB)
#   cp -r /work/wt/gpusort/.whl .            # here: the MJX wheels (35 MB; or pip download, below)
#   run(kind="nvidia-h200", timeout_s=600, carry=[".carry", ".whl"],
#       command="CMIMIC=.carry/bin/cmimic bench/engine_bench.sh")
# Why not .devbin + .devlibs: .devlibs/lib is 42.5 MB uncompressed, and with the wheels and the
# tree (6.7 MB) the call would pass the 64 MiB it may carry; xz makes the libraries 6.3 MB.
# Without MJX (SKIP=mjx) carry=[".devbin", ".devlibs"] and CMIMIC=.devbin/cmimic work too
# (bench/gpu_env.sh: LD_LIBRARY_PATH=$PWD/.devlibs/lib:/usr/local/cuda/lib64).
# The wheels: python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12
#   --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
#   --platform manylinux_2_17_x86_64 --platform any -d .whl mujoco==3.17.0 mujoco-mjx==3.17.0 glfw trimesh
# What comes back: $OUT/summary.txt (the tables, also printed last), $OUT/run.log, $OUT/logs.tar.gz.
#
# The engine table of docs/BENCHMARKS.md in one run on a GPU machine (the H200 device machine),
# most important first, each step skipped once the time budget is short:
#   1. cmimic bench-env of the cuda engine at N = $NS on cuda:0, each with raw mj_step on the
#      host's cores (and the mujoco engine) in the same run
#   2. kernel variants at N = $VAR_NS: env order (--gpu_sort 0 twice = the run-to-run spread,
#      1 heaviest first, 2 lightest first) and register caps (--gpu_regs 96, 64; their gain can only
#      show where the grid is more than one wave of resident threads: 131072 at 124 registers)
#   3. MJX stepping the same humanoid at $MJX_NS worlds (bench/mjx_bench.py, wheels from $WHL)
#   4. ncu of one step kernel at $NCU_N, env order and sorted (what bounds it, threads per warp)
#   5. (SKIP=... to leave out; "check": bench/engine_cuda_check.sh first: the checks named by
#      CHECKS, the warp kernel's and the thread kernel's against the CPU build by default)
#   bench/engine_bench.sh     NS, VAR_NS, VARIANTS (comma-separated bench-env flag sets), MJX_NS,
#                             MJX_ARGS, NCU_N, NCU, CHECKS, BENCH_SECONDS, RAW_SECONDS, THREADS,
#                             BUDGET, WHL, SKIP (words: check rows variants mjx ncu) override the
#                             defaults (run 3's: NS="1024 4096 16384 65536" SKIP=check BUDGET=500
#                             NCU="order sorted" and the register-cap VARIANTS of an "all" build)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-output/engine_bench}
logs=$(mktemp -d)
mkdir -p "$out"
NS=${NS:-"65536"}
VAR_NS=${VAR_NS:-"65536 16384 4096 32768 131072"}
# a thread per env against a warp per env (2 and 4 envs per block, capped at 128 registers,
# sorted by rows)
VARIANTS=${VARIANTS:-"--gpu_lanes 1,--gpu_lanes 32,--gpu_lanes 32 --gpu_block 128,--gpu_lanes 32 --gpu_regs 128,--gpu_lanes 32 --gpu_sort 1"}
# the N after the second of VAR_NS (32768: between run 4's crossover sizes)
VARIANTS_BIG=${VARIANTS_BIG:-"--gpu_lanes 1,--gpu_lanes 32,--gpu_lanes 32 --gpu_regs 128"}
CHECKS=${CHECKS:-"kernels_vs_cpu_humanoid warp_vs_cpu_humanoid warp_vs_cpu_crab warp_vs_mujoco_humanoid warp_sorted_vs_cpu_humanoid warp_regs128_vs_cpu_humanoid"}
NCU=${NCU:-"warp"}   # which ncu profiles: warp (--gpu_lanes 32), order, sorted (a thread per env)
MJX_NS=${MJX_NS:-65536}
MJX_ARGS=${MJX_ARGS:-"--iterations 4 --ls_iterations 8 --steps 50 --reps 2"}
NCU_N=${NCU_N:-65536}
SECONDS_EACH=${BENCH_SECONDS:-2}   # not $SECONDS: bash counts the shell's age in it
RAW_SECONDS=${RAW_SECONDS:-1.5}
THREADS=${THREADS:-$(nproc)}
SKIP=${SKIP:-mjx}
WHL=${WHL:-.whl}
[ -d "$WHL" ] || WHL=.carry/whl
skip() { [[ " $SKIP " == *" $1 "* ]]; }
t_start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - t_start )) s] $*"; }
BUDGET=${BUDGET:-390}   # seconds the whole run may take (the device runs a command for at most 600)
left() { echo $(( BUDGET - ($(date +%s) - t_start) )); }
# room: run a step only if `need` seconds are left, else say it was skipped
room() { local need=$1; shift; if [ "$(left)" -lt "$need" ]; then stamp "skipped (time budget): $*"; return 1; fi; }
# everything printed also goes to $out/run.log as it happens (kept if the run is cut short)
exec > >(tee -a "$out/run.log") 2>&1
. bench/gpu_env.sh
{
  echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader
  echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"; uname -r
  echo "binary: $bin"; ldd "$bin" | grep -E "not found|mujoco|cudart|cublas" ; git log --oneline -1 2>/dev/null
} 2>&1 | tee "$logs/machine.txt"
bench() { # bench LOG TIMEOUT N FLAGS...: one bench-env process of the cuda engine on cuda:0
  local f=$1 t=$2 n=$3; shift 3
  echo "flags: $*" >"$f"
  timeout "$t" "$bin" bench-env --engine_config data/engines/cuda_engine.yaml --num_envs "$n" --devices cuda:0 "$@" >>"$f" 2>&1
  echo "exit $?" >>"$f"
}

if skip check; then :; elif room 200 "engine_cuda_check"; then
  stamp "kernels vs CPU build, GPU vs MuJoCo: $CHECKS"
  # progress as it goes (tee), the training and clip runs left to engine_cuda_check.sh itself
  CHECKS="$CHECKS" SKIP=run timeout 150 bench/engine_cuda_check.sh "$bin" 1024 2>&1 | tee "$logs/check.txt" |
    grep -E "^== |FAIL|first step|PASS|worst|failure"
  echo "engine_cuda_check exit ${PIPESTATUS[0]}" | tee -a "$logs/check.txt"
fi

if ! skip rows; then
  for n in $NS; do
    room 40 "bench-env $n" || continue
    stamp "bench-env $n"
    bench "$logs/bench_$n.txt" 120 "$n" --threads "$THREADS" --seconds "$SECONDS_EACH" --raw_seconds "$RAW_SECONDS"
    cat "$logs/bench_$n.txt"
  done
fi

variants() { # variants N SETS: every flag set of SETS (comma-separated) at N envs
  local n=$1 k=0
  IFS=, read -ra vlist <<<"$2"
  for v in "${vlist[@]}"; do
    k=$((k + 1))
    room 30 "variant '$v' at $n" || continue
    stamp "variant '$v' at $n"
    local f="$logs/variant_${n}_${k}.txt"
    # shellcheck disable=SC2086
    bench "$f" 90 "$n" --seconds "$SECONDS_EACH" --raw_seconds 0 $v
    grep -E "physics|env samples|per control|kernel:|exit|cmimic" "$f"
  done
}
ncu_step() { # ncu_step NAME FLAGS...: one step kernel at $NCU_N
  local name=$1; shift
  ncu_bin=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
  if [ -z "$ncu_bin" ]; then echo "ncu: not found" | tee "$logs/ncu_$name.txt"; return; fi
  room 60 "ncu $name at $NCU_N" || return
  stamp "ncu one step kernel at $NCU_N ($name)"
  timeout 120 "$ncu_bin" --clock-control none --kernel-name regex:phys_step_ --launch-skip 3 --launch-count 1 \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section MemoryWorkloadAnalysis \
    --section ComputeWorkloadAnalysis --section SchedulerStats --section WarpStateStats --section InstructionStats \
    "$bin" bench-env --engine_config data/engines/cuda_engine.yaml --num_envs "$NCU_N" --devices cuda:0 \
    --seconds 0.5 --raw_seconds 0 "$@" >"$logs/ncu_$name.txt" 2>&1
  echo "ncu exit $?" >>"$logs/ncu_$name.txt"
  grep -E "Duration|Throughput|Registers|Achieved Occupancy|Theoretical Occupancy|L1/TEX Hit|L2 Hit|Issue Slots|Warp Cycles Per Issued|Avg. Active Threads|Avg. Not Predicated|Block Limit Registers|ncu exit|==ERR" "$logs/ncu_$name.txt" | head -30
}
mjx() {
  if ! ls "$WHL"/*.whl >/dev/null 2>&1; then echo "MJX: no wheels in $WHL (skipped)" | tee "$logs/mjx.txt"; return; fi
  room 90 "MJX at $MJX_NS" || return
  stamp "MJX at $MJX_NS ($MJX_ARGS)"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHL"/*.whl \
    >"$logs/mjx_install.txt" 2>&1
  local t=$(( $(left) - 100 )); [ "$t" -gt 240 ] && t=240; [ "$t" -lt 60 ] && t=60
  # shellcheck disable=SC2086
  PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 MUJOCO_GL=egl timeout "$t" python3 bench/mjx_bench.py --num_envs $MJX_NS $MJX_ARGS \
    --tsv "$logs/mjx.tsv" >"$logs/mjx.txt" 2>&1
  echo "mjx exit $?" >>"$logs/mjx.txt"
  grep -vE "^\s*$|warp" "$logs/mjx.txt" | tail -12
}

read -ra vns <<<"$VAR_NS"
skip variants || [ -z "${vns[0]:-}" ] || variants "${vns[0]}" "$VARIANTS"   # 65536 before MJX and ncu
skip mjx || mjx
if ! skip ncu; then
  for p in $NCU; do
    case $p in
      warp) ncu_step warp --gpu_lanes 32 ;;
      order) ncu_step order --gpu_sort 0 ;;
      sorted) ncu_step sorted --gpu_sort 1 ;;
    esac
  done
fi
if ! skip variants; then
  [ -z "${vns[1]:-}" ] || variants "${vns[1]}" "$VARIANTS"
  for n in "${vns[@]:2}"; do variants "$n" "$VARIANTS_BIG"; done
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
fmt = lambda v: f"{v:,.0f}" if v else "-"
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
    cells = [n, fmt(phys), fmt(samp), "/".join(per.groups()) if per else "-",
             f"{mem.group(1)} / {mem.group(2)}" if mem else "-",
             fmt(raw) + (f" ({raw_thr} threads)" if raw_thr else ""),
             f"{phys / raw:.1f}x" if phys and raw else "-",
             fmt(m[0]) if m else "-", f"{phys / m[0]:.2f}x" if m and phys else "-"]
    print("| " + " | ".join(str(c) for c in cells) + " |")
for n, (rate, settings) in mjx.items():
    print(f"MJX at {n} worlds: {rate:,.0f} steps/s ({settings})")
print()
print("| N | variant | physics substeps/s | env samples/s | kernels ms/step | of which sort ms | registers | local B/thread |")
print("|---:|---|---:|---:|---:|---:|---:|---:|")
def key(p):
    b = os.path.basename(p)[:-4].split("_")
    return int(b[1]), int(b[2])
for p in sorted(glob.glob(os.path.join(logs, "variant_*.txt")), key=key):
    t = open(p).read()
    n, _ = key(p)
    flags = re.sub(r"--seconds \S+ --raw_seconds \S+ ?", "", t.splitlines()[0][len("flags: "):])
    per = re.search(r"kernels ([\d.]+) ms.*env sort ([\d.]+) ms", t)
    regs = re.search(r"(\d+) registers \(([^)]*)\), (\d+) B local", t)
    phys, samp = grab(r"physics:\s+([\d.]+)", t), grab(r"env samples:\s+([\d.]+)", t)
    print(f"| {n} | {flags.strip() or '-'} | {fmt(phys)} | {fmt(samp)} | "
          f"{per.group(1) if per else '-'} | {per.group(2) if per else '-'} | {regs.group(1) + ' (' + regs.group(2) + ')' if regs else '-'} | "
          f"{regs.group(3) if regs else '-'} |" + ("" if "exit 0" in t else " FAILED (see its log)"))
PY
cat "$logs/summary.txt"
cp "$logs/summary.txt" "$out/summary.txt"
tar -C "$logs" -czf "$out/logs.tar.gz" .
stamp "done"
