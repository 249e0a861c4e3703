# Sourced by the GPU bench scripts: the shared libraries a GPU machine may lack.
#   - cmimic's Debian libraries from .carry/lib.tar.xz (tools/devcarry.sh), or .devlibs/lib
#   - the CUDA toolkit's, else cuBLAS & co. from the Python wheels (nvidia-*-cu*)
# Usage: . bench/gpu_libs.sh BINARY   (run from the repository root)
if [ -f .carry/lib.tar.xz ]; then
  mkdir -p /tmp/cmimic_lib && tar -C /tmp/cmimic_lib -xJf .carry/lib.tar.xz
  export LD_LIBRARY_PATH=/tmp/cmimic_lib/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
[ -d .devlibs/lib ] && export LD_LIBRARY_PATH=$PWD/.devlibs/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64
if ldd "$1" | grep -q "not found"; then
  for d in $(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, q, "lib") for p in nvidia.__path__ for q in os.listdir(p)))' 2>/dev/null); do
    [ -d "$d" ] && LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$d
  done
fi
if ldd "$1" | grep "not found"; then echo "gpu_libs: $1 still misses the libraries above"; fi
