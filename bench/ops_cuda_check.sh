#!/usr/bin/env bash
# On a GPU machine: the CUDA ops against the CPU ops (plain device memory read back through
# cm_dev_read / download, no managed memory), the agent (PPO, AWR) with its networks on the GPU
# against the same agent on the CPU, the TF32 default and its CMIMIC_TF32 override, then gemm
# GFLOP/s (fp32, then TF32).
# Runs test binaries built elsewhere (the GPU machine has no MuJoCo/yaml/png headers):
#   cmake -S . -B build/cuda -DCMAKE_BUILD_TYPE=Release -DCMIMIC_CUDA=ON -DCMIMIC_RENDER=OFF
#   cmake --build build/cuda -j2 --target test_ops_cuda test_agent_cuda
# Shared libraries they need beyond CUDA's (libyaml, libopenblas, libgfortran, ...) come from
# .carry/lib.tar.xz (tools/devcarry.sh) or .devlibs/lib (bench/gpu_libs.sh).
# Usage: bench/ops_cuda_check.sh [path/to/test_ops_cuda]   (test_agent_cuda is taken beside it;
# default build/cuda/, else .carry/bin/)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cuda/test_ops_cuda}
[ -x "$bin" ] || bin=.carry/bin/test_ops_cuda
agent_bin=$(dirname "$bin")/test_agent_cuda
. bench/gpu_libs.sh "$bin"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || true
fail=0
for b in "$bin" "$agent_bin"; do
  out=$(env -u CMIMIC_TF32 "$b" 2>&1) || { echo "$out"; echo "FAIL: $(basename "$b")"; fail=1; continue; }
  echo "$out"
  # A SKIP here means the GPU was not found: that is a failure on this machine.
  if grep -q '^SKIP' <<<"$out"; then echo "FAIL: no GPU seen by $(basename "$b")"; fail=1; fi
done
[ "$fail" = 0 ] || exit 1
# TF32: on by default from compute capability 8.0; CMIMIC_TF32=0 / =1 override the default.
def=$(env -u CMIMIC_TF32 "$bin" tf32); echo "default:        $def"
off=$(CMIMIC_TF32=0 "$bin" tf32); echo "CMIMIC_TF32=0:  $off"
on=$(CMIMIC_TF32=1 "$bin" tf32); echo "CMIMIC_TF32=1:  $on"
major=$(sed -n 's/.*compute capability \([0-9]*\)\..*/\1/p' <<<"$def")
want=off; [ "${major:-0}" -ge 8 ] && want=on
grep -q "^tf32 $want " <<<"$def" || { echo "FAIL: TF32 default is not '$want' on compute capability $major"; exit 1; }
grep -q '^tf32 off ' <<<"$off" || { echo "FAIL: CMIMIC_TF32=0 did not turn TF32 off"; exit 1; }
grep -q '^tf32 on ' <<<"$on" || { echo "FAIL: CMIMIC_TF32=1 did not turn TF32 on"; exit 1; }
echo "PASS: ops, agent and TF32 switch"
"$bin" bench
