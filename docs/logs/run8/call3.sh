#!/usr/bin/env bash
# session 9 device call 3: main with the device return tracker, the style reward and BCE rows on
# the device (s9-devret): the GPU tests and the device-to-host bytes per iteration
# (bench/devloop_check.sh, short), then the walk for 2.5 minutes on the gpu_fast profile as a
# learning regression against session 7's run A (NR 0.8 at 3.1 min)
set -u
cd "$(dirname "$0")/../../.."
R=$OUT/r; mkdir -p $R
(cd .carry/bin && for f in *.xz; do [ -f "$f" ] && xz -d "$f"; done; chmod +x *)
. bench/gpu_env.sh
B=.carry/bin/cmimic; E=data/engines/cuda_engine.yaml
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> $R/times.txt; }
( DEVLOOP_CPU_ENGINE=0 CMIMIC=$B timeout 200 bench/devloop_check.sh ${DS:-6} "4096 65536" > $R/devloop.log 2>&1; echo "exit $?" >> $R/devloop.log )
stamp devloop
( CMIMIC_PROFILE=1 timeout 60 $B run --arg_file args/deepmimic_humanoid_ppo_args.txt --engine_config $E --devices cuda:0 --mode train \
    --num_envs 4096 --max_samples 1000000 --logger txt --out_dir $R/d2h4096 > $R/d2h4096.log 2>&1; echo "exit $?" >> $R/d2h4096.log )
stamp d2h
CMIMIC=$B bench/learn.sh walk --engine_config $E --devices cuda:0 --num_envs 1024 --minutes ${WM:-2.5} --num_threads 8 --output_every 100 \
  --agent data/agents/deepmimic_humanoid_ppo_agent_gpu_fast.yaml --out $R/walk > $R/learn_walk.log 2>&1
stamp walk
tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C $OUT -czf $OUT/call3.tgz r && rm -rf $R
