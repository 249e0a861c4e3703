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
libs=(libmujoco.so.2.2.2 libccd.so.2 liblodepng.so.0 libqhull_r.so.8.0 libtinyxml2.so.9 libyaml-0.so.2
      libcjson.so.1 libpng16.so.16 libopenblas.so.0 libgfortran.so.5 libquadmath.so.0)
for l in "${libs[@]}"; do cp -L "/lib/x86_64-linux-gnu/$l" .carry/lib/; done
tar -C .carry -cJf .carry/lib.tar.xz lib
rm -rf .carry/lib
du -sh .carry/* | sed 's/^/devcarry: /'
du -sb --exclude=.git . 2>/dev/null | tail -1 | sed 's/^/devcarry: tree bytes (carried + tracked, build dirs included here) /'
