#!/usr/bin/env bash
# On a GPU machine: the cuda engine's kernels against its CPU build, then against MuJoCo, on the
# humanoid and on a character the repo does not ship (tests/cli/test_engine_check.sh writes the
# same kind of file). Exit non-zero on any failure, or when no GPU is seen.
#   bench/engine_cuda_check.sh [path/to/cmimic] [num_envs]
# Kernels vs CPU build: CM_ENGINE_CHECK_REFERENCE=cuda compares cuda:0 with the cuda engine on
# CPU threads, beside the CPU build's own divergence under a 1e-6 perturbation; in addition the
# first control step must agree to 1e-4 m / 1e-3 rad (float32 on both sides, same code: only
# rounding differs, before contacts make the rollout chaotic).
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cuda/cmimic}
n=${2:-1024}
out=${OUT:-/tmp}/engine_cuda_check
mkdir -p "$out"
fails=0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || { echo "FAIL: no GPU"; exit 1; }
cat >"$out/crab.xml" <<'XML'
<mujoco model="crab">
  <default>
    <joint type="hinge" limited="true" range="-60 60" stiffness="300" damping="30" armature="0.01"/>
    <geom contype="1" conaffinity="1" condim="3" friction="1 0.05 0.05" density="1000"/>
  </default>
  <worldbody>
    <body name="shell" pos="0 0 0.4">
      <freejoint name="root"/>
      <geom name="shell" type="box" size="0.2 0.12 0.05"/>
      <body name="head" pos="0.24 0 0.03">
        <joint name="neck_x" axis="1 0 0"/><joint name="neck_y" axis="0 1 0"/><joint name="neck_z" axis="0 0 1"/>
        <geom name="head" type="sphere" size="0.05"/>
      </body>
      <body name="leg_l" pos="0 0.13 0">
        <joint name="hip_l" axis="1 0 0"/>
        <geom name="thigh_l" type="capsule" fromto="0 0 0 0 0.12 -0.12" size="0.025"/>
        <body name="foot_l" pos="0 0.12 -0.14"><joint name="ankle_l" axis="0 1 0"/><geom name="foot_l" type="box" size="0.04 0.03 0.02"/></body>
      </body>
      <body name="leg_r" pos="0 -0.13 0">
        <joint name="hip_r" axis="1 0 0"/>
        <geom name="thigh_r" type="capsule" fromto="0 0 0 0 -0.12 -0.12" size="0.025"/>
        <body name="foot_r" pos="0 -0.12 -0.14"><joint name="ankle_r" axis="0 1 0"/><geom name="foot_r" type="sphere" size="0.035"/></body>
      </body>
    </body>
  </worldbody>
</mujoco>
XML
# check NAME [env...] -- args: engine-check, its exit status, and (kernels vs CPU) the first step's agreement
check() {
  local name=$1 first=$2; shift 2
  echo "== $name"
  env "$@" >"$out/$name.txt" 2>&1
  local rc=$?
  cat "$out/$name.txt"
  if [ $rc -ne 0 ]; then echo "FAIL: $name (exit $rc)"; fails=$((fails + 1)); return; fi
  if [ "$first" = 1 ]; then
    python3 - "$out/$name.txt" <<'PY' || { echo "FAIL: $name first step"; fails=$((fails + 1)); }
import sys
rows = {int(l.split()[0]): l.split() for l in open(sys.argv[1]) if l[:4].strip().isdigit()}
r0, r1 = rows[0], rows[1]
assert float(r0[3]) <= 1e-5 and float(r0[7]) <= 1e-4, ("start differs", r0)
assert float(r1[3]) <= 1e-4 and float(r1[7]) <= 1e-3, ("first step differs", r1)
print("first step: body %s m, dof %s rad (kernels vs CPU build)" % (r1[3], r1[7]))
PY
  fi
}
hum=data/assets/humanoid/humanoid.xml
check kernels_vs_cpu_humanoid 1 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs "$n"
check kernels_vs_cpu_crab 1 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file "$out/crab.xml" --devices cuda:0 --num_envs "$n"
check gpu_vs_mujoco_humanoid 0 "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs "$n"
check gpu_vs_mujoco_crab 0 "$bin" engine-check --char_file "$out/crab.xml" --devices cuda:0 --num_envs "$n"
check global_work_vs_cpu_humanoid 1 CM_PHYS_GPU_WORK=global CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs 256
echo "engine_cuda_check: $fails failure(s)"
[ $fails -eq 0 ]
