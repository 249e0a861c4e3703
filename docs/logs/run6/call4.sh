#!/usr/bin/env bash
# session 7 device call 4 (final): merged main (the AMP agent's discriminator data on the device,
# the physics kernel's smaller stack): GPU tests, physics latency at 512/4096 envs, AMP samples/s,
# then G1 DeepMimic walk for 3 minutes with the humanoid's GPU walk profile at 1024 envs
set -u
cd "$(dirname "$0")/.."
R=$OUT/r; mkdir -p $R
(cd .carry/bin && for f in *.xz; do [ -f "$f" ] && xz -d "$f"; done; chmod +x *)
. bench/gpu_env.sh
B=.carry/bin; E=data/engines/cuda_engine.yaml
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> $R/times.txt; }
for t in test_devloop_cuda test_agent_cuda test_ops_cuda test_policy_rows; do
  [ -x $B/$t ] || continue
  ( timeout 100 $B/$t > $R/$t.log 2>&1; echo "exit $?" >> $R/$t.log ); stamp "$t $(tail -1 $R/$t.log)"
done
for n in 512 4096 65536; do
  timeout 30 $B/cmimic bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs $n --seconds 1 --raw_seconds 0 --train_seconds 0 > $R/phys_$n.log 2>&1
done
stamp phys
( CMIMIC_PROFILE=1 timeout 60 $B/cmimic bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs 4096 --seconds 0.5 --raw_seconds 0 \
    --train_seconds 10 --env_config data/envs/amp_humanoid_env.yaml --agent_config data/agents/amp_humanoid_agent.yaml > $R/bench_amp_dev.log 2>&1; echo "exit $?" >> $R/bench_amp_dev.log )
stamp amp
CMIMIC=$B/cmimic bench/learn.sh --arg_file args/deepmimic_g1_ppo_args.txt --agent .carry/agents/g1_fast.yaml --output_every 100 --engine_config $E --devices cuda:0 --num_envs 1024 --minutes ${GM:-2.5} --num_threads 8 --out $R/g1 > $R/learn_g1.log 2>&1
stamp g1
cp $R/g1/model.pt $OUT/model_g1.pt 2>/dev/null
tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C $OUT -czf $OUT/call4.tgz r && rm -rf $R
