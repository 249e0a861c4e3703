#!/usr/bin/env bash
# Assembles .carry/ (git-excluded) for a GPU machine that lacks cmimic's Debian libraries:
#   .carry/bin/cmimic      the CUDA build (cmake -S . -B build/cuda -DCMAKE_BUILD_TYPE=Release -DCMIMIC_RENDER=OFF)
#   .carry/lib.tar.xz      libmujoco 2.2.2 (+ libccd, liblodepng, libqhull_r, libtinyxml2), libyaml,
#                          libcjson, libpng16, libopenblas (+ libgfortran, libquadmath), xz-compressed
#                          because the carried tree is limited to 64 MiB
#   .carry/ompi.tar.xz     OpenMPI's mpirun and runtime (relocated by bench/gpu_env.sh), if installed here
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
# OpenMPI's launcher for data-parallel ranks (the GPU machine has none): mpirun, orted, their MCA
# components, help texts and PMIx (+ munge, libnl), as Debian installs them; bench/gpu_env.sh
# unpacks it under /tmp/cmimic_ompi and points OPAL_PREFIX / PMIX_INSTALL_PREFIX there
rm -f .carry/ompi.tar.xz
if [ -x /usr/bin/mpirun.openmpi ]; then
  dpkg -L openmpi-bin libopenmpi3 openmpi-common libpmix2 libmunge2 libnl-3-200 2>/dev/null |
    while read -r f; do [ -f "$f" ] && echo "$f"; done | grep -v -E '/(man|doc)/' >.carry/ompi_files
  tar -cJf .carry/ompi.tar.xz -T .carry/ompi_files 2>/dev/null
  rm -f .carry/ompi_files
fi
du -sh .carry/* | sed 's/^/devcarry: /'
du -sb --exclude=.git . 2>/dev/null | tail -1 | sed 's/^/devcarry: tree bytes (carried + tracked, build dirs included here) /'
