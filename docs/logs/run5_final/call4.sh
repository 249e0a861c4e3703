#!/usr/bin/env bash
# session 6 device call 4 (final): GPU tests of the merged main, training samples/s with the whole
# iteration on the device, physics variants, then walk (512, 2048 envs) and AMP learning side by side
set -u
cd "$(dirname "$0")/.."
R=$OUT/r; mkdir -p $R
(cd .carry/bin && for f in *.xz; do [ -f "$f" ] && xz -d "$f"; done; chmod +x *)
. bench/gpu_env.sh
B=.carry/bin
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> $R/times.txt; }
for t in test_policy_rows test_ops_cuda test_agent_cuda test_devloop_cuda; do
  [ -x $B/$t ] || continue
  ( timeout 100 $B/$t > $R/$t.log 2>&1; echo "exit $?" >> $R/$t.log ); stamp "$t $(tail -1 $R/$t.log)"
done
for n in 4096 16384 65536; do
  ( CMIMIC_PROFILE=1 timeout 80 $B/cmimic bench-env --engine_config data/engines/cuda_engine.yaml --devices cuda:0 --threads 16 --num_envs $n --seconds 1 --raw_seconds 0 --train_seconds 10 > $R/bench_$n.log 2>&1; echo "exit $?" >> $R/bench_$n.log )
  stamp "bench $n"
done
if [ -f .carry/variants.txt ]; then
  ( OUT=$R/engine SKIP="check rows mjx ncu" BUDGET=70 VAR_NS="65536 4096" VARIANTS="$(cat .carry/variants.txt)" CMIMIC=$B/cmimic bench/engine_bench.sh > $R/variants.log 2>&1 )
  stamp variants
fi
E=data/engines/cuda_engine.yaml
CMIMIC=$B/cmimic bench/learn.sh walk --engine_config $E --devices cuda:0 --num_envs 512 --minutes ${LM:-4.5} --num_threads 4 --out $R/walk512 > $R/learn_walk512.log 2>&1 &
CMIMIC=$B/cmimic bench/learn.sh walk --engine_config $E --devices cuda:0 --num_envs 2048 --minutes ${LM:-4.5} --num_threads 4 --out $R/walk2048 > $R/learn_walk2048.log 2>&1 &
CMIMIC=$B/cmimic bench/learn.sh --arg_file args/amp_humanoid_args.txt --engine_config $E --devices cuda:0 --num_envs 4096 --minutes ${LM:-4.5} --num_threads 8 --out $R/amp > $R/learn_amp.log 2>&1 &
wait
stamp learn
# sim-to-sim: the cuda-engine walk policies on the mujoco engine
for w in walk512 walk2048; do
  [ -f $R/$w/model.pt ] || continue
  ( timeout 60 $B/cmimic run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config $R/$w/env.yaml --engine_config data/engines/mujoco_engine.yaml \
      --mode test --visualize false --num_envs 32 --test_episodes 32 --model_file $R/$w/model.pt --devices cuda:0 > $R/sim2sim_$w.log 2>&1 )
done
stamp sim2sim
( OMPI_MCA_btl=self,vader timeout 30 $B/cmimic bench-dist --ranks 4 --reps 10 > $R/bench_dist4_vader.log 2>&1; echo "exit $?" >> $R/bench_dist4_vader.log )
stamp dist
cp $R/walk512/model.pt $R/walk512_model.pt 2>/dev/null
tar --exclude='model.pt' --exclude='resume.pt' --exclude='model_*.pt' -C $OUT -czf $OUT/call4.tgz r && rm -rf $R
