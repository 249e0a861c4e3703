#!/usr/bin/env bash
# session 11 device call 4 (the session's last device time): ASE locomotion for 1.8 minutes on the
# GPU loop with its latents, encoder and losses on the device (c174451; binary of 973eb14), the
# walk's fast recipe (1024 envs, steps_per_iter 16, batch_size 2, twice the yaml's Adam lr 2e-5)
. "$(dirname "$0")/../../../bench/device_call.sh"
mkdir -p .carry/agents
sed -e 's/^steps_per_iter:.*/steps_per_iter: 16/' -e 's/^batch_size:.*/batch_size: 2/' -e 's/learning_rate: 2e-5/learning_rate: 4e-5/' \
  data/agents/ase_humanoid_agent.yaml > .carry/agents/ase_fast.yaml
CMIMIC=$B timeout 140 bench/learn.sh --arg_file args/ase_humanoid_args.txt --agent .carry/agents/ase_fast.yaml --output_every 50 \
  --engine_config $E --devices cuda:0 --num_envs 1024 --minutes 1.8 --num_threads 8 --out $R/ase > $R/learn_ase.log 2>&1
stamp ase; pack call4; rm -rf $R
