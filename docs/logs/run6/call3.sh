#!/usr/bin/env bash
# session 7 device call 3: the merged AMP-family env step on the GPU (s7-ampgpu): its device-vs-host
# test, the learning ops' GPU tests, training samples/s of amp (device env vs host env), add and
# task_location, then AMP humanoid learning for 5 minutes with the env on the GPU
set -u
cd "$(dirname "$0")/.."
R=$OUT/r; mkdir -p $R
(cd .carry/bin && for f in *.xz; do [ -f "$f" ] && xz -d "$f"; done; chmod +x *)
. bench/gpu_env.sh
B=.carry/bin; E=data/engines/cuda_engine.yaml
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> $R/times.txt; }
for t in test_devloop_cuda test_policy_rows test_ops_cuda test_agent_cuda; do
  ( timeout 150 $B/$t > $R/$t.log 2>&1; echo "exit $?" >> $R/$t.log ); stamp "$t $(tail -1 $R/$t.log)"
done
bench() { # label env agent envs [VAR=VAL]
  ( env ${5:-X=1} CMIMIC_PROFILE=1 timeout 70 $B/cmimic bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs $4 --seconds 0.5 --raw_seconds 0 \
      --train_seconds 10 --env_config data/envs/$2.yaml --agent_config data/agents/$3.yaml > $R/bench_$1.log 2>&1; echo "exit $?" >> $R/bench_$1.log )
  stamp "bench $1"
}
bench amp_dev amp_humanoid_env amp_humanoid_agent 4096
bench amp_host amp_humanoid_env amp_humanoid_agent 4096 CMIMIC_DEVICE_ENV=0
bench add_dev add_humanoid_env add_humanoid_agent 4096
bench loc_dev amp_location_humanoid_env amp_task_humanoid_agent 4096
CMIMIC=$B/cmimic bench/learn.sh --arg_file args/amp_humanoid_args.txt --engine_config $E --devices cuda:0 --num_envs 4096 --minutes ${LM:-5} --num_threads 8 --out $R/amp > $R/learn_amp.log 2>&1
stamp learn
cp $R/amp/model.pt $OUT/model_amp.pt 2>/dev/null
tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C $OUT -czf $OUT/call3.tgz r && rm -rf $R
