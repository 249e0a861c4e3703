#!/usr/bin/env bash
# session 7 device call 1: per-step latency of the GPU loop at small env counts (physics alone,
# lanes 8 vs 32; a training profile at 512 and 4096 envs), then a learning-rate sweep of the walk
# at 4096 envs (4 runs side by side, 4.5 min) with G1 DeepMimic on the cuda engine
set -u
cd "$(dirname "$0")/.."
R=$OUT/r; mkdir -p $R
(cd .carry/bin && for f in *.xz; do [ -f "$f" ] && xz -d "$f"; done; chmod +x *)
. bench/gpu_env.sh
B=.carry/bin; E=data/engines/cuda_engine.yaml
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> $R/times.txt; }
nvidia-smi > $R/nvidia_smi.txt 2>&1
for n in 512 2048 4096; do
  for l in 8 32; do
    CM_PHYS_GPU_LANES=$l timeout 40 $B/cmimic bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs $n --seconds 1 --raw_seconds 0 --train_seconds 0 > $R/phys_${n}_l$l.log 2>&1
  done
done
stamp latency
for n in 512 4096; do
  CMIMIC_PROFILE=1 timeout 60 $B/cmimic bench-env --engine_config $E --devices cuda:0 --threads 16 --num_envs $n --seconds 0.5 --raw_seconds 0 --train_seconds 12 > $R/train_$n.log 2>&1
done
stamp trainprof
df -h /dev/shm > $R/dist.log 2>&1; cat /proc/sys/kernel/yama/ptrace_scope >> $R/dist.log 2>&1
dist() { echo "== $*" >> $R/dist.log; ( s=$(date +%s%N); env "$1" timeout 25 $B/cmimic bench-dist --ranks $2 --cases deepmimic_humanoid_ppo_args.txt --reps 5 >> $R/dist.log 2>&1; echo "exit $? wall_ms $(( ($(date +%s%N) - s) / 1000000 ))" >> $R/dist.log ); }
dist X=1 2
dist X=1 4
dist OMPI_MCA_btl_vader_single_copy_mechanism=none 4
dist OMPI_MCA_btl=self,tcp 4
stamp dist
M=${LM:-4}
for a in sgd2e4 sgd5e4 adam5e5; do
  CMIMIC=$B/cmimic bench/learn.sh walk --engine_config $E --devices cuda:0 --num_envs 4096 --minutes $M --num_threads 3 --agent .carry/agents/$a.yaml --out $R/walk_$a > $R/learn_$a.log 2>&1 &
done
CMIMIC=$B/cmimic bench/learn.sh --arg_file args/deepmimic_g1_ppo_args.txt --engine_config $E --devices cuda:0 --num_envs 4096 --minutes $M --num_threads 3 --out $R/g1 > $R/learn_g1.log 2>&1 &
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv -l 10 > $R/smi_sweep.csv 2>&1 &
SMI=$!
wait %1 %2 %3 %4
kill $SMI
stamp learn
for w in walk_sgd2e4 walk_sgd5e4 walk_adam5e5; do
  [ -f $R/$w/model.pt ] || continue
  ( timeout 40 $B/cmimic run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config $R/$w/env.yaml --engine_config data/engines/mujoco_engine.yaml \
      --mode test --visualize false --num_envs 32 --test_episodes 32 --model_file $R/$w/model.pt --devices cuda:0 > $R/sim2sim_$w.log 2>&1 )
done
stamp sim2sim
for w in walk_sgd2e4 walk_sgd5e4 walk_adam5e5 g1; do cp $R/$w/model.pt $OUT/model_$w.pt 2>/dev/null; done
tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C $OUT -czf $OUT/call1.tgz r && rm -rf $R
