#!/usr/bin/env bash
# session 7 device call 2: the walk in 5 minutes, solo on the GPU loop: 1024 envs (a warp per env),
# 16 steps per iteration, 2 x 1024-sample mini-batches (the 512-env update), SGD lr 1e-4; then the
# same at lr 2e-4 for 2.5 minutes; sim-to-sim; 4-rank all-reduce with the yield wait
set -u
cd "$(dirname "$0")/.."
R=$OUT/r; mkdir -p $R
(cd .carry/bin && for f in *.xz; do [ -f "$f" ] && xz -d "$f"; done; chmod +x *)
. bench/gpu_env.sh
B=.carry/bin; E=data/engines/cuda_engine.yaml
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> $R/times.txt; }
( timeout 25 $B/cmimic bench-dist --ranks 4 --reps 5 > $R/dist4.log 2>&1; echo "exit $?" >> $R/dist4.log )
for l in 8 32; do
  CM_PHYS_GPU_LANES=$l timeout 30 $B/cmimic bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs 1024 --seconds 1 --raw_seconds 0 --train_seconds 0 > $R/phys_1024_l$l.log 2>&1
done
stamp prep
CMIMIC=$B/cmimic bench/learn.sh walk --engine_config $E --devices cuda:0 --num_envs 1024 --minutes 5 --num_threads 8 --output_every 100 --agent .carry/agents/h16_lr1e4.yaml --out $R/walkA > $R/learn_A.log 2>&1
stamp A
[ -f $R/walkA/model.pt ] && ( timeout 40 $B/cmimic run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config $R/walkA/env.yaml --engine_config data/engines/mujoco_engine.yaml \
      --mode test --visualize false --num_envs 32 --test_episodes 32 --model_file $R/walkA/model.pt --devices cuda:0 > $R/sim2sim_A.log 2>&1 )
cp $R/walkA/model.pt $OUT/model_walkA.pt 2>/dev/null
stamp sim2sim
CMIMIC=$B/cmimic bench/learn.sh walk --engine_config $E --devices cuda:0 --num_envs 1024 --minutes ${BM:-2.5} --num_threads 8 --output_every 50 --agent .carry/agents/h16_lr2e4.yaml --out $R/walkB > $R/learn_B.log 2>&1
cp $R/walkB/model.pt $OUT/model_walkB.pt 2>/dev/null
stamp B
tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C $OUT -czf $OUT/call2.tgz r && rm -rf $R
