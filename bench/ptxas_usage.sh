#!/usr/bin/env bash
# Registers, per-thread stack and spills of every physics kernel of phys_gpu.cu, as ptxas
# reports them (no GPU needed): the numbers issue 9's stack/register work is measured by.
#   bench/ptxas_usage.sh            compile src/sim/cuda/phys_gpu.cu (~5 min) and summarise
#   bench/ptxas_usage.sh LOG        summarise an existing `nvcc -Xptxas -v` log
# Extra nvcc flags (e.g. -DCM_PHYS_GPU_ALL_VARIANTS) via NVCC_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then
  log=$1
  [ -r "$log" ] || { echo "ptxas_usage: cannot read $log" >&2; exit 2; }
else
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  log=$tmp/ptxas.txt
  nice nvcc -arch=sm_90 -O3 --fmad=false -Isrc -Xptxas -v ${NVCC_FLAGS:-} \
    -c src/sim/cuda/phys_gpu.cu -o "$tmp/phys_gpu.o" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
# an entry line names the kernel; its frame line and its "Used" line follow
awk '
/Compiling entry function/ { match($0, /_Z[0-9]+[a-z_]+(I[^E]*E)?/); k = substr($0, RSTART, RLENGTH); sub(/^_Z[0-9]+/, "", k); want = (k ~ /^phys_/); next }
want && /bytes stack frame/ { frame = $1; st = $5; ld = $9 }
want && /Used [0-9]+ registers/ { printf "%-28s regs %3d  stack %6d B  spill st %5d ld %5d\n", k, $5, frame, st, ld; want = 0 }
' "$log"
