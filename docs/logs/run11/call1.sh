#!/usr/bin/env bash
# session 11 device call 1 (session 10's lost call, split): the GPU tests and device-to-host copies
# of s9-once/s9-asedev with the mujoco engine beside (bench/devloop_check.sh, 8 s trainings),
# ASE's samples/s with its latents and encoder on the device, then the SMPL walk for 1.5 minutes
# with the walk's fast recipe (steps_per_iter 16, batch_size 2, twice its yaml's lr 3e-5)
. "$(dirname "$0")/../../../bench/device_call.sh"
( CMIMIC=$B timeout 240 bench/devloop_check.sh 8 "4096 65536" > $R/devloop.log 2>&1; echo "exit $?" >> $R/devloop.log )
stamp devloop; pack call1
( CMIMIC_PROFILE=1 timeout 45 $B bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs 4096 --seconds 0.5 --raw_seconds 0 \
    --train_seconds 8 --env_config data/envs/ase_humanoid_env.yaml --agent_config data/agents/ase_humanoid_agent.yaml > $R/bench_ase.log 2>&1; echo "exit $?" >> $R/bench_ase.log )
stamp ase; pack call1
mkdir -p .carry/agents
sed -e 's/^steps_per_iter:.*/steps_per_iter: 16/' -e 's/^batch_size:.*/batch_size: 2/' -e 's/learning_rate: 3e-5/learning_rate: 6e-5/' \
  data/agents/deepmimic_smpl_ppo_agent.yaml > .carry/agents/smpl_fast.yaml
CMIMIC=$B timeout 170 bench/learn.sh --arg_file args/deepmimic_smpl_ppo_args.txt --agent .carry/agents/smpl_fast.yaml --output_every 100 \
  --engine_config $E --devices cuda:0 --num_envs 1024 --minutes 1.5 --num_threads 8 --out $R/smpl > $R/learn_smpl.log 2>&1
stamp smpl; cp $R/smpl/model.pt $OUT/model_smpl.pt 2>/dev/null; pack call1
