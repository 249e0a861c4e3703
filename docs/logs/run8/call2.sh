#!/usr/bin/env bash
# session 9 device call 2: how far ADD (spinkick), ASE (locomotion dataset), AMP location and AMP
# steering get in about 2 minutes each on the GPU loop, with the walk's fast recipe carried over
# (1024 envs, 16 steps an iteration, batch_size 2, twice MimicKit's learning rate; the agent yamls
# are MimicKit's otherwise: .carry/agents/*_fast.yaml made by sed from data/agents/)
set -u
cd "$(dirname "$0")/../../.."
R=$OUT/r; mkdir -p $R
. bench/gpu_env.sh
B=.carry/bin/cmimic; E=data/engines/cuda_engine.yaml
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> $R/times.txt; }
run_case() {  # case agent
  CMIMIC=$B bench/learn.sh --arg_file args/$1_args.txt --agent .carry/agents/$2_fast.yaml --output_every 50 \
    --engine_config $E --devices cuda:0 --num_envs 1024 --minutes ${RM:-1.9} --num_threads 8 --out $R/$1 > $R/learn_$1.log 2>&1
  stamp $1
}
run_case add_humanoid add_humanoid_agent
run_case ase_humanoid ase_humanoid_agent
run_case amp_location_humanoid amp_task_humanoid_agent
run_case amp_steering_humanoid amp_task_humanoid_agent
tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C $OUT -czf $OUT/call2.tgz r && rm -rf $R
