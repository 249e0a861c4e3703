#!/usr/bin/env bash
# On a GPU machine: the CUDA ops against the CPU ops, then gemm GFLOP/s (fp32, then TF32).
# Runs a test binary built elsewhere (the GPU machine has no MuJoCo/yaml/png headers):
#   cmake -S . -B build/cuda -DCMAKE_BUILD_TYPE=Release -DCMIMIC_CUDA=ON -DCMIMIC_RENDER=OFF
#   cmake --build build/cuda -j2 --target test_ops_cuda
# Shared libraries it needs beyond CUDA's (libopenblas, libgfortran, ...) go in .devlibs/lib.
# Usage: bench/ops_cuda_check.sh [path/to/test_ops_cuda]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cuda/test_ops_cuda}
export LD_LIBRARY_PATH=$PWD/.devlibs/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
out=$("$bin" 2>&1) || { echo "$out"; echo "FAIL: test_ops_cuda"; exit 1; }
echo "$out"
# A SKIP here means the GPU was not found: that is a failure on this machine.
if grep -q '^SKIP' <<<"$out"; then echo "FAIL: no GPU seen"; exit 1; fi
"$bin" bench
CMIMIC_TF32=1 "$bin" bench cuda
