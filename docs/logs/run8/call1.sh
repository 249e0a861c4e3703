#!/usr/bin/env bash
# session 9 device call 1: make demo's GPU branch with the carried no-render build (tools/demo.sh:
# 20 M samples on the cuda engine, the tests on the mujoco engine), then the Go2 pace and Pi Plus
# walk DeepMimic runs (Pi Plus left to a later call), then all 32 cases through e2e on the cuda
# engine with small ladders with the humanoid's gpu_fast recipe (1024 envs, 16 steps, batch_size 2)
set -u
cd "$(dirname "$0")/../../.."
R=$OUT/r; mkdir -p $R
. bench/gpu_env.sh
B=.carry/bin/cmimic; E=data/engines/cuda_engine.yaml
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> $R/times.txt; }
nvidia-smi --query-gpu=name,memory.used,utilization.gpu --format=csv > $R/gpu.txt 2>&1
$B features > $R/features.txt 2>&1
( timeout 300 bash tools/demo.sh $B > $R/demo.log 2>&1; echo "exit $?" >> $R/demo.log )
stamp demo
mkdir -p $R/demo && cp output/demo/train/log.txt output/demo/*.txt $R/demo/ 2>/dev/null
cp output/demo/train/model.pt $OUT/model_demo.pt 2>/dev/null
for c in go2; do
  CMIMIC=$B bench/learn.sh --arg_file args/deepmimic_${c}_ppo_args.txt --agent .carry/agents/${c}_fast.yaml --output_every 100 \
    --engine_config $E --devices cuda:0 --num_envs 1024 --minutes ${RM:-2.0} --num_threads 8 --out $R/$c > $R/learn_$c.log 2>&1
  stamp $c
  cp $R/$c/model.pt $OUT/model_$c.pt 2>/dev/null
done
( timeout ${ET:-150} $B e2e --include-nontrainable --root-out $R/e2e_all --engine-config $E --devices-train cuda:0 \
    --default-ladder 2 --nontrainable-ladder 2 --pi-plus-ladder 2 --amp-pi-plus-ladder 2 --max-samples 128 --test-episodes 1 > $R/e2e_all.log 2>&1
  echo "exit $?" >> $R/e2e_all.log )
stamp e2e_all
tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C $OUT -czf $OUT/call1.tgz r && rm -rf $R
