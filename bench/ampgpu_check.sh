#!/usr/bin/env bash
# On a GPU machine: the amp family's env step as kernels (issue 11 item 1). First
# test_devloop_cuda (deepmimic, amp, ase, add, task_location, task_steering stepped on the device
# against the host driver, every field after every step; one PPO and two AMP iterations
# env-on-device vs env-on-host), then full training samples/s on the cuda engine with the env on
# the GPU for amp, ase, add and task_location
# (their humanoid env and agent yamls) at the given env counts, with CMIMIC_PROFILE=1 (policy /
# env / update, the env's device split: action, physics, env kernels, resets, copies incl. the
# disc_obs download), and amp's host-env path (CMIMIC_DEVICE_ENV=0) at the first count beside it.
# Binaries as bench/gpu_env.sh finds cmimic (cmake --build build/cuda --target cmimic test_devloop_cuda).
# Usage: bench/ampgpu_check.sh [train_seconds (20)] [env counts ("4096 16384")]
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/gpu_env.sh
secs=${1:-20}
counts=${2:-4096 16384}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
fail=0
out=$(timeout 300 "$(dirname "$bin")/test_devloop_cuda" 2>&1); rc=$?
echo "$out"
if [ $rc != 0 ]; then echo "FAIL: test_devloop_cuda (rc $rc)"; fail=1; fi
if grep -q '^SKIP' <<<"$out"; then echo "FAIL: test_devloop_cuda saw no GPU"; fail=1; fi
E=data/engines/cuda_engine.yaml
bench() { # label, env yaml, agent yaml, envs, extra environment
  echo "== bench-env $1, $4 envs"
  env ${5:-} CMIMIC_PROFILE=1 timeout $((secs * 3 + 90)) "$bin" bench-env --engine_config $E --devices cuda:0 --threads 16 \
    --num_envs "$4" --seconds 1 --raw_seconds 0 --train_seconds "$secs" --env_config "$2" --agent_config "$3" 2>&1 ||
    { echo "FAIL: bench-env $1 $4"; fail=1; }
}
for n in $counts; do
  bench "amp, env on the GPU" data/envs/amp_humanoid_env.yaml data/agents/amp_humanoid_agent.yaml "$n"
  bench "ase, env on the GPU" data/envs/ase_humanoid_env.yaml data/agents/ase_humanoid_agent.yaml "$n"
  bench "add, env on the GPU" data/envs/add_humanoid_env.yaml data/agents/add_humanoid_agent.yaml "$n"
  bench "task_location, env on the GPU" data/envs/amp_location_humanoid_env.yaml data/agents/amp_task_humanoid_agent.yaml "$n"
done
first=${counts%% *}
bench "amp, env on the host (CMIMIC_DEVICE_ENV=0)" data/envs/amp_humanoid_env.yaml data/agents/amp_humanoid_agent.yaml \
  "$first" CMIMIC_DEVICE_ENV=0
[ $fail = 0 ] && echo "PASS: ampgpu check" || exit 1
