#!/usr/bin/env bash
# session 10 device call 1: the GPU tests and device-to-host copies of s9-once/s9-asedev (never run on
# a GPU before), PPO samples/s with the mujoco engine beside it (bench/devloop_check.sh, short), ASE's
# samples/s now that its latents and encoder are on the device, then the SMPL walk and the humanoid
# vault for 1.5 minutes each with the walk's gpu_fast recipe (SMPL: twice its yaml's lr 3e-5)
. "$(dirname "$0")/../../../bench/device_call.sh"
( CMIMIC=$B timeout 240 bench/devloop_check.sh 8 "4096 65536" > $R/devloop.log 2>&1; echo "exit $?" >> $R/devloop.log )
stamp devloop
( CMIMIC_PROFILE=1 timeout 45 $B bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs 4096 --seconds 0.5 --raw_seconds 0 \
    --train_seconds 8 --env_config data/envs/ase_humanoid_env.yaml --agent_config data/agents/ase_humanoid_agent.yaml > $R/bench_ase.log 2>&1; echo "exit $?" >> $R/bench_ase.log )
stamp ase
mkdir -p .carry/agents
sed -e 's/^steps_per_iter:.*/steps_per_iter: 16/' -e 's/^batch_size:.*/batch_size: 2/' -e 's/learning_rate: 3e-5/learning_rate: 6e-5/' \
  data/agents/deepmimic_smpl_ppo_agent.yaml > .carry/agents/smpl_fast.yaml
for c in smpl:args/deepmimic_smpl_ppo_args.txt:.carry/agents/smpl_fast.yaml vault:args/vault_humanoid_args.txt:data/agents/deepmimic_humanoid_ppo_agent_gpu_fast.yaml; do
  n=${c%%:*}; r=${c#*:}; a=${r#*:}; r=${r%%:*}
  CMIMIC=$B timeout 170 bench/learn.sh --arg_file $r --agent $a --output_every 100 --engine_config $E --devices cuda:0 \
    --num_envs 1024 --minutes ${RM:-1.5} --num_threads 8 --out $R/$n > $R/learn_$n.log 2>&1
  stamp $n
  cp $R/$n/model.pt $OUT/model_$n.pt 2>/dev/null
done
tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C $OUT -czf $OUT/call1.tgz r && rm -rf $R
