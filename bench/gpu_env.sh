# Sourced by bench/engine_bench.sh and bench/engine_cuda_check.sh on a GPU machine: finds the
# cmimic binary and its libraries and sets $bin and LD_LIBRARY_PATH.
#   binary:    $CMIMIC, else .devbin/cmimic, else build/cuda/cmimic, else .carry/bin/cmimic
#   libraries: .devlibs/lib (as copied), else .carry/lib.tar.xz (tools/devcarry.sh), then the
#              CUDA toolkit's, then the Python wheels' cuBLAS where the toolkit has none
if [ -d .devlibs/lib ]; then
  export LD_LIBRARY_PATH=$PWD/.devlibs/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
elif [ -f .carry/lib.tar.xz ]; then
  # unpack once: re-extracting over libraries that a running cmimic has mapped truncates them
  # under it (SIGBUS: seen when a training and a check sourced this at the same time)
  if [ ! -f /tmp/cmimic_lib/lib/.unpacked ]; then
    mkdir -p /tmp/cmimic_lib.$$ && tar -C /tmp/cmimic_lib.$$ -xJf .carry/lib.tar.xz &&
      touch /tmp/cmimic_lib.$$/lib/.unpacked && mkdir -p /tmp/cmimic_lib && { mv -n /tmp/cmimic_lib.$$/lib /tmp/cmimic_lib/ 2>/dev/null; true; }
    rm -rf /tmp/cmimic_lib.$$
  fi
  export LD_LIBRARY_PATH=/tmp/cmimic_lib/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64
# OpenMPI where the machine has no mpirun (tools/devcarry.sh carries Debian's, relocated here)
if ! command -v mpirun >/dev/null && [ -f .carry/ompi.tar.xz ]; then
  o=/tmp/cmimic_ompi
  if [ ! -f $o/.unpacked ]; then
    mkdir -p $o && tar -C $o -xJf .carry/ompi.tar.xz && ln -sf mpirun.openmpi $o/usr/bin/mpirun && touch $o/.unpacked
  fi
  export OPAL_PREFIX=$o/usr PMIX_INSTALL_PREFIX=$o/usr/lib/x86_64-linux-gnu/pmix2 PMIX_MCA_pcompress_base_silence_warning=1
  export PATH=$o/usr/bin:$PATH
  export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$o/usr/lib/x86_64-linux-gnu/openmpi/lib:$o/usr/lib/x86_64-linux-gnu:$o/lib/x86_64-linux-gnu
  # root in a container, no ssh: ranks are started locally
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_plm_rsh_agent=/bin/false
fi
bin=${CMIMIC:-}
for b in .devbin/cmimic build/cuda/cmimic .carry/bin/cmimic; do
  [ -z "$bin" ] && [ -x "$b" ] && bin=$b
done
bin=${bin:-build/cuda/cmimic}
if [ -x "$bin" ] && ldd "$bin" | grep -q "not found"; then
  for d in $(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, q, "lib") for p in nvidia.__path__ for q in os.listdir(p)))' 2>/dev/null); do
    [ -d "$d" ] && LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$d
  done
fi
