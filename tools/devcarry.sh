#!/usr/bin/env bash
# Assembles .carry/ (git-excluded) for a GPU machine that lacks cmimic's Debian libraries:
#   .carry/bin/cmimic      the CUDA build (cmake -S . -B build/cuda -DCMAKE_BUILD_TYPE=Release -DCMIMIC_RENDER=OFF)
#   .carry/lib.tar.xz      libmujoco 2.2.2 (+ libccd, liblodepng, libqhull_r, libtinyxml2), libyaml,
#                          libcjson, libpng16, libopenblas (+ libgfortran, libquadmath), xz-compressed
#                          because the carried tree is limited to 64 MiB
#   .carry/whl/            wheels for bench/mjx_bench.py (mujoco, mujoco-mjx, glfw, trimesh) if present
# bench/engine_bench.sh unpacks it there. Usage: tools/devcarry.sh [build/cuda/cmimic]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cuda/cmimic}
grep -qx '/.carry/' "$(git rev-parse --git-common-dir)/info/exclude" 2>/dev/null ||
  echo '/.carry/' >>"$(git rev-parse --git-common-dir)/info/exclude"
rm -rf .carry/bin .carry/lib .carry/lib.tar.xz
mkdir -p .carry/bin .carry/lib
cp "$bin" .carry/bin/cmimic
# every shared library the binary needs beyond glibc, the C++ runtime and CUDA's own (which the
# GPU machine has): MuJoCo and its four, yaml, cjson, png, OpenBLAS, OpenMPI (when built in) ...
mapfile -t libs < <(ldd "$bin" | awk '/=> \// {print $3}' | sort -u |
  grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux-x86-64|libcuda|libcudart|libcublas|libcublasLt|libstdc\+\+|libgcc_s)\.so')
for l in "${libs[@]}"; do cp -L "$l" .carry/lib/; done
tar -C .carry -cJf .carry/lib.tar.xz lib
rm -rf .carry/lib
du -sh .carry/* | sed 's/^/devcarry: /'
du -sb --exclude=.git . 2>/dev/null | tail -1 | sed 's/^/devcarry: tree bytes (carried + tracked, build dirs included here) /'
