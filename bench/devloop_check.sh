#!/usr/bin/env bash
# On a GPU machine: the deepmimic env (and the amp family, the tasks) stepped as kernels against
# the same env stepped by its host driver (test_devloop_cuda: every field after every step, the
# first difference named),
# then full PPO training samples/s of the DeepMimic humanoid on the cuda engine with the env on
# the GPU at 4096, 16384 and 65536 envs (CMIMIC_PROFILE=1: policy / env / update, and the env's
# device split: action, physics, env kernels, resets, copies), and the host-env path
# (CMIMIC_DEVICE_ENV=0) and the mujoco engine on the host's 16 cores (DEVLOOP_CPU_ENGINE=0 skips
# it) at 4096 envs beside it. About 250 s in all at the default 20 s per training.
# The trainer's CMIMIC_PROFILE lines end with what crossed from the GPU to the host per training
# iteration (bytes and copies: the logged scalars, the NaN guards' and the update's reductions,
# none growing with the env count; the "device to host" lines), for PPO and AMP with the env on the GPU.
# Binaries built elsewhere (cmake --build build/cuda --target cmimic test_devloop_cuda test_policy_rows
# test_agent_cuda test_ops_cuda), found as bench/gpu_env.sh finds cmimic; the tests beside it.
# Usage: bench/devloop_check.sh [train_seconds (20)] [env counts ("4096 16384 65536")]
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/gpu_env.sh
secs=${1:-20}
counts=${2:-4096 16384 65536}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
fail=0
# the env's device step, then one training iteration env-on-device vs env-on-host (test_devloop_cuda);
# the policy's action op on the GPU vs the CPU (test_policy_rows); the GPU agent vs the CPU agent;
# every op (the return tracker's and the discriminator's rows among them) vs the CPU (test_ops_cuda)
for t in test_devloop_cuda test_policy_rows test_agent_cuda test_ops_cuda; do
  out=$(timeout 300 "$(dirname "$bin")/$t" 2>&1); rc=$? # test_devloop_cuda: 9 env cases, 3 training iterations
  echo "$out"
  if [ $rc != 0 ]; then echo "FAIL: $t (rc $rc)"; fail=1; fi
  if grep -q '^SKIP' <<<"$out"; then echo "FAIL: $t saw no GPU"; fail=1; fi
done
E=data/engines/cuda_engine.yaml
for n in $counts; do
  echo "== bench-env, env on the GPU, $n envs"
  CMIMIC_PROFILE=1 timeout 150 "$bin" bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs "$n" \
    --seconds 1 --raw_seconds 0 --train_seconds "$secs" 2>&1 || { echo "FAIL: bench-env $n"; fail=1; }
done
echo "== bench-env, env on the host (CMIMIC_DEVICE_ENV=0), 4096 envs"
CMIMIC_DEVICE_ENV=0 CMIMIC_PROFILE=1 timeout 100 "$bin" bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs 4096 \
  --seconds 1 --raw_seconds 0 --train_seconds "$secs" 2>&1 || { echo "FAIL: bench-env host env"; fail=1; }
if [ "${DEVLOOP_CPU_ENGINE:-1}" = 1 ]; then
  echo "== bench-env, the mujoco engine on the host's cores (networks on cuda:0), 4096 envs"
  CMIMIC_PROFILE=1 timeout 100 "$bin" bench-env --engine_config data/engines/mujoco_engine.yaml --devices cuda:0 \
    --threads 16 --num_envs 4096 --seconds 1 --train_seconds "$secs" 2>&1 || { echo "FAIL: bench-env mujoco"; fail=1; }
fi
# the trainer with the env on the device: its test phases (iterations 0 and last), then --mode test
echo "== cmimic run, env on the GPU: train (test phases included) then test"
run_out=$(mktemp -d)
W=data/envs/deepmimic_humanoid_walk_env.yaml
CMIMIC_PROFILE=1 timeout 150 "$bin" run --arg_file args/deepmimic_humanoid_ppo_args.txt --engine_config $E --devices cuda:0 --mode train \
  --num_envs 512 --max_samples 40000 --env_config $W --logger txt --out_dir "$run_out/walk" > "$run_out/train.txt" 2>&1
rc_train=$?
grep 'device to host' "$run_out/train.txt" || { echo "FAIL: no device-to-host profile line (PPO)"; fail=1; }
echo "== cmimic run, AMP, env on the GPU: the device-to-host bytes per iteration"
CMIMIC_PROFILE=1 timeout 150 "$bin" run --arg_file args/amp_humanoid_args.txt --engine_config $E --devices cuda:0 --mode train \
  --num_envs 512 --max_samples 40000 --logger txt --out_dir "$run_out/amp" > "$run_out/amp.txt" 2>&1 ||
  { tail -n 5 "$run_out/amp.txt"; echo "FAIL: cmimic run AMP on the device path"; fail=1; }
grep 'device to host' "$run_out/amp.txt" || { echo "FAIL: no device-to-host profile line (AMP)"; fail=1; }
timeout 100 "$bin" run --arg_file args/deepmimic_humanoid_ppo_args.txt --engine_config $E --devices cuda:0 --mode test \
  --num_envs 64 --test_episodes 64 --env_config $W --model_file "$run_out/walk/model.pt" > "$run_out/test.txt" 2>&1
rc_test=$?
tail -n 3 "$run_out/train.txt" "$run_out/test.txt"
if [ $rc_train != 0 ] || [ $rc_test != 0 ] ||
   ! tr '\r' '\n' < "$run_out/walk/log.txt" | awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "Test_Return") c = i } NR > 1 && c && $c + 0 > 0 { ok = 1 } END { exit !ok }'; then
  echo "FAIL: cmimic run on the device path (train rc $rc_train, test rc $rc_test, or no positive Test_Return in log.txt)"; fail=1
fi
rm -rf "$run_out"
[ $fail = 0 ] && echo "PASS: devloop check" || exit 1
