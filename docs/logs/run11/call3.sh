#!/usr/bin/env bash
# session 11 device call 3 (call 2's results were lost: its one archive, models included, was over
# the 16 MiB a returned file may have, and the machine went back before the next call). Main at the
# merge of s11-nocvx (the lean step kernels) with c174451 (ASE's losses and the train data's
# statistics in slots): the GPU tests; physics and PPO samples/s of the humanoid at 4096 and 65536
# envs, lean kernels against the full ones (CM_PHYS_GPU_CONVEX=1) in the same call; then the SMPL
# walk (4 min) and the humanoid vault (2 min) with the walk's fast recipe. Logs in call3.tgz,
# each model its own file.
. "$(dirname "$0")/../../../bench/device_call.sh"
for t in test_devloop_cuda test_ops_cuda test_agent_cuda test_policy_rows; do
  timeout 200 .carry/bin/$t > $R/$t.log 2>&1; echo "exit $?" >> $R/$t.log
done
stamp tests; pack call3
for n in 4096 65536; do
  ( CMIMIC_PROFILE=1 timeout 60 $B bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs $n --seconds 2 \
      --raw_seconds 0 --train_seconds 6 > $R/bench_lean_$n.log 2>&1; echo "exit $?" >> $R/bench_lean_$n.log )
  ( CM_PHYS_GPU_CONVEX=1 timeout 40 $B bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs $n --seconds 2 \
      --raw_seconds 0 --train_seconds 0 > $R/bench_full_$n.log 2>&1; echo "exit $?" >> $R/bench_full_$n.log )
done
stamp benches; pack call3
mkdir -p .carry/agents
sed -e 's/^steps_per_iter:.*/steps_per_iter: 16/' -e 's/^batch_size:.*/batch_size: 2/' -e 's/learning_rate: 3e-5/learning_rate: 6e-5/' \
  data/agents/deepmimic_smpl_ppo_agent.yaml > .carry/agents/smpl_fast.yaml
learn() {
  CMIMIC=$B timeout "$3" bench/learn.sh --arg_file "$4" --agent "$5" --output_every 100 --engine_config $E --devices cuda:0 \
    --num_envs 1024 --minutes "$2" --num_threads 8 --out $R/$1 > $R/learn_$1.log 2>&1
  stamp "$1"; cp $R/$1/model.pt $OUT/model_$1.pt 2>/dev/null; pack call3
}
learn smpl 4 270 args/deepmimic_smpl_ppo_args.txt .carry/agents/smpl_fast.yaml
learn vault 2 150 args/vault_humanoid_args.txt data/agents/deepmimic_humanoid_ppo_agent_gpu_fast.yaml
rm -rf $R
