#!/usr/bin/env bash
# session 11 device call 2: the GPU tests of c174451 (ASE's losses and the train data's statistics
# in slots: PPO 4, AMP/ASE 5 copies a iteration), PPO at 65536 envs and ASE at 4096 envs
# (samples/s, device-to-host lines), then the learning chain (chain.sh) in the background; its
# progress so far packed at the end (call3.sh collects the rest)
. "$(dirname "$0")/../../../bench/device_call.sh"
for t in test_devloop_cuda test_ops_cuda test_agent_cuda test_policy_rows; do
  timeout 200 .carry/bin/$t > $R/$t.log 2>&1; echo "exit $?" >> $R/$t.log
done
stamp tests
( CMIMIC_PROFILE=1 timeout 60 $B bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs 65536 --seconds 1 \
    --raw_seconds 0 --train_seconds 8 > $R/bench_ppo65536.log 2>&1; echo "exit $?" >> $R/bench_ppo65536.log )
( CMIMIC_PROFILE=1 timeout 45 $B bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs 4096 --seconds 0.5 --raw_seconds 0 \
    --train_seconds 8 --env_config data/envs/ase_humanoid_env.yaml --agent_config data/agents/ase_humanoid_agent.yaml > $R/bench_ase.log 2>&1; echo "exit $?" >> $R/bench_ase.log )
stamp benches; pack call2
setsid nohup bash docs/logs/run11/chain.sh > /tmp/chain.out 2>&1 < /dev/null &
while [ $(( $(date +%s) - t0 )) -lt ${CALL_SECONDS:-560} ]; do sleep 10; done
stamp collected; cp -r /tmp/chain $R/chain 2>/dev/null; find $R/chain -name resume.pt -delete 2>/dev/null
tar -C $OUT -czf $OUT/call2.tgz.tmp r && mv $OUT/call2.tgz.tmp $OUT/call2.tgz && rm -rf $R
