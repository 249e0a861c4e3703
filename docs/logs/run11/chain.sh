#!/usr/bin/env bash
# Session 11's learning chain on the GPU machine, one run after another (runs side by side on one
# GPU are time-sliced): started in the background by call2.sh (setsid, so it outlives the call),
# collected by call3.sh while the machine stays warm. Logs and models under /tmp/chain.
# The walk's fast recipe for each: 1024 envs, steps_per_iter 16, batch_size 2, twice the yaml's lr.
set -u
cd "$(dirname "$0")/../../.."
. bench/gpu_env.sh
C=/tmp/chain; mkdir -p $C/agents
B=.carry/bin/cmimic; E=data/engines/cuda_engine.yaml
fast() { sed -e 's/^steps_per_iter:.*/steps_per_iter: 16/' -e 's/^batch_size:.*/batch_size: 2/' \
  -e "s/learning_rate: $2/learning_rate: $3/" data/agents/$1.yaml > $C/agents/$1_fast.yaml; }
fast deepmimic_smpl_ppo_agent 3e-5 6e-5
fast ase_humanoid_agent 2e-5 4e-5
fast add_humanoid_agent 1e-4 2e-4
t0=$(date +%s)
run() {
  CMIMIC=$B bench/learn.sh --arg_file "$3" --agent "$4" --output_every 100 --engine_config $E --devices cuda:0 \
    --num_envs 1024 --minutes "$2" --num_threads 8 --out $C/$1 > $C/learn_$1.log 2>&1
  echo "$1 done at $(( $(date +%s) - t0 )) s (exit $?)" >> $C/times.txt
}
run smpl 5 args/deepmimic_smpl_ppo_args.txt $C/agents/deepmimic_smpl_ppo_agent_fast.yaml
run vault 2.5 args/vault_humanoid_args.txt data/agents/deepmimic_humanoid_ppo_agent_gpu_fast.yaml
run ase 2.5 args/ase_humanoid_args.txt $C/agents/ase_humanoid_agent_fast.yaml
run add 2.5 args/add_humanoid_args.txt $C/agents/add_humanoid_agent_fast.yaml
echo "chain done" >> $C/times.txt
