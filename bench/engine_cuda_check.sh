#!/usr/bin/env bash
# The device call (nvidia-h200; about 5 minutes):
#   run(kind="nvidia-h200", timeout_s=600, carry=[".devbin", ".devlibs"],
#       command="CMIMIC=.devbin/cmimic bench/engine_cuda_check.sh 2>&1 | tee $OUT/check.log")
# every log and the training's output: $OUT/engine_cuda_check.tar.gz
# (or carry=[".carry"] and CMIMIC=.carry/bin/cmimic after tools/devcarry.sh .devbin/cmimic)
# On a GPU machine: the cuda engine's kernels against its CPU build, then against MuJoCo, on the
# humanoid and on a character the repo does not ship (tests/cli/test_engine_check.sh writes the
# same kind of file); then `cmimic run` on the GPU engine as a user runs it: a short DeepMimic
# training (samples/s from its log.txt) and the view_motion clip in test mode (with a video where
# the binary has rendering). Exit non-zero on any failure, or when no GPU is seen.
#   bench/engine_cuda_check.sh [path/to/cmimic] [num_envs]     (TRAIN_ENVS, TRAIN_SAMPLES, SKIP:
#                                                               words check run, override; CHECKS:
#                                                               the names of the checks to run, all
#                                                               when empty)
# Kernels vs CPU build: CM_ENGINE_CHECK_REFERENCE=cuda compares cuda:0 with the cuda engine on
# CPU threads, beside the CPU build's own divergence under a 1e-6 perturbation; in addition the
# first control step must agree to 1e-4 m / 1e-3 rad (float32 on both sides, same code: only
# rounding differs, before contacts make the rollout chaotic).
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/gpu_env.sh
bin=${1:-$bin}
n=${2:-1024}
SKIP=${SKIP:-}
skip() { [[ " $SKIP " == *" $1 "* ]]; }
out=${CHECK_DIR:-/tmp/engine_cuda_check}
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
CHECKS=${CHECKS:-}
check() {
  local name=$1 first=$2; shift 2
  if [ -n "$CHECKS" ] && [[ " $CHECKS " != *" $name "* ]]; then return; fi
  echo "== $name [$(date +%T)]"
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
if ! skip check; then
# a thread per env named (CM_PHYS_GPU_LANES=1): the default is a warp per env up to 16384 envs
check kernels_vs_cpu_humanoid 1 CM_PHYS_GPU_LANES=1 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs "$n"
check kernels_vs_cpu_crab 1 CM_PHYS_GPU_LANES=1 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file "$out/crab.xml" --devices cuda:0 --num_envs "$n"
check gpu_vs_mujoco_humanoid 0 CM_PHYS_GPU_LANES=1 "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs "$n"
check gpu_vs_mujoco_crab 0 CM_PHYS_GPU_LANES=1 "$bin" engine-check --char_file "$out/crab.xml" --devices cuda:0 --num_envs "$n"
check global_work_vs_cpu_humanoid 1 CM_PHYS_GPU_LANES=1 CM_PHYS_GPU_WORK=global CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs 256
# the sorted env order and a register cap change which thread runs an env, not its arithmetic
# (the caps exist in a -DCMIMIC_GPU_VARIANTS=all build only)
if "$bin" bench-env --help 2>&1 | grep -q "one of 0, 96, 64"; then
  check sorted_regs64_vs_cpu_humanoid 1 CM_PHYS_GPU_LANES=1 CM_PHYS_GPU_SORT=1 CM_PHYS_GPU_REGS=64 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs 256
else
  check sorted_vs_cpu_humanoid 1 CM_PHYS_GPU_LANES=1 CM_PHYS_GPU_SORT=1 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs 256
fi
# a warp per env (CM_PHYS_GPU_LANES=32): the same stages with their loops over 32 lanes (sums
# in another order: rounding differs, the first step must still agree), against the CPU build
# and against MuJoCo, sorted too
check warp_vs_cpu_humanoid 1 CM_PHYS_GPU_LANES=32 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs "$n"
check warp_vs_cpu_crab 1 CM_PHYS_GPU_LANES=32 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file "$out/crab.xml" --devices cuda:0 --num_envs "$n"
check warp_vs_mujoco_humanoid 0 CM_PHYS_GPU_LANES=32 "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs "$n"
check warp_sorted_vs_cpu_humanoid 1 CM_PHYS_GPU_LANES=32 CM_PHYS_GPU_SORT=1 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs 256
# the warp kernel capped at 128 registers (same code, another register allocation)
check warp_regs128_vs_cpu_humanoid 1 CM_PHYS_GPU_LANES=32 CM_PHYS_GPU_REGS=128 CM_ENGINE_CHECK_REFERENCE=cuda "$bin" engine-check --char_file $hum --devices cuda:0 --num_envs 256
fi

# `cmimic run` on the GPU engine: training (rows, Samples >= max_samples, finite returns, no
# engine resets; samples/s over the rows after the first, which holds start-up), then the clip
if ! skip run; then
  E=data/engines/cuda_engine.yaml
  TRAIN_ENVS=${TRAIN_ENVS:-4096}
  TRAIN_SAMPLES=${TRAIN_SAMPLES:-700000}
  echo "== run_train_cuda (DeepMimic, $TRAIN_ENVS envs, $TRAIN_SAMPLES samples)"
  rm -rf "$out/train"
  timeout 300 "$bin" run --arg_file args/deepmimic_humanoid_ppo_args.txt --engine_config $E --devices cuda:0 \
    --num_envs "$TRAIN_ENVS" --max_samples "$TRAIN_SAMPLES" --mode train --visualize false --out_dir "$out/train" \
    >"$out/run_train.txt" 2>&1
  rc=$?
  tail -25 "$out/run_train.txt"
  if [ $rc -ne 0 ]; then echo "FAIL: run_train_cuda (exit $rc)"; fails=$((fails + 1)); else
    python3 - "$out/train/log.txt" "$TRAIN_SAMPLES" <<'PY' || { echo "FAIL: run_train_cuda log"; fails=$((fails + 1)); }
import math, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
head, body = rows[0], [[float(x) for x in r] for r in rows[1:]]
col = {k: head.index(k) for k in ("Samples", "Wall_Time", "Train_Return", "Engine_Resets")}
assert body, "no log rows"
first, last = body[0], body[-1]
ds, dt = last[col["Samples"]] - first[col["Samples"]], 3600 * (last[col["Wall_Time"]] - first[col["Wall_Time"]])
rate = ds / dt if dt > 0 else float("nan")
print(f"run_train_cuda: {len(body)} log rows, {last[col['Samples']]:.0f} samples in {3600 * last[col['Wall_Time']]:.1f} s; "
      f"{rate:,.0f} samples/s after the first row; train return {first[col['Train_Return']]:.3f} -> {last[col['Train_Return']]:.3f}; "
      f"engine resets {last[col['Engine_Resets']]:.0f}")
assert last[col["Samples"]] >= float(sys.argv[2]), ("Samples below max_samples", last[col["Samples"]])
assert all(math.isfinite(b[col["Train_Return"]]) for b in body), "non-finite return"
assert last[col["Engine_Resets"]] == 0, "envs reset after going non-finite"
PY
  fi
  echo "== run_view_motion_cuda (test mode, 4 envs)"
  timeout 120 "$bin" run --arg_file args/view_motion_humanoid_args.txt --engine_config $E --devices cuda:0 --mode test \
    --visualize false --test_episodes 2 >"$out/run_view.txt" 2>&1
  rc=$?
  tail -6 "$out/run_view.txt"
  if [ $rc -ne 0 ] || ! grep -q '^Episodes: ' "$out/run_view.txt"; then echo "FAIL: run_view_motion_cuda (exit $rc)"; fails=$((fails + 1)); fi
  echo "== run_view_motion_cuda_video (the renderer posing the GPU state)"
  timeout 120 "$bin" run --arg_file args/view_motion_humanoid_args.txt --engine_config $E --devices cuda:0 --mode test \
    --visualize false --num_envs 1 --test_episodes 1 --video_width 160 --video_height 120 --video "$out/v.mp4" \
    >"$out/run_video.txt" 2>&1
  rc=$?
  tail -4 "$out/run_video.txt"
  if grep -q "built without rendering" "$out/run_video.txt"; then
    echo "SKIP: run_view_motion_cuda_video: this binary has no rendering (CMIMIC_RENDER=OFF)"
  elif [ $rc -ne 0 ] || [ ! -s "$out/v.mp4" ]; then echo "FAIL: run_view_motion_cuda_video (exit $rc)"; fails=$((fails + 1)); fi
fi
[ -n "${OUT:-}" ] && [ -d "$OUT" ] && tar -C "$out" -czf "$OUT/engine_cuda_check.tar.gz" .
echo "engine_cuda_check: $fails failure(s)"
[ $fails -eq 0 ]
