#!/usr/bin/env bash
# session 9 device call 4: test_ops_cuda after the style reward's sigmoid(-z) fix (17f13cf), then the
# Pi Plus DeepMimic walk for 2 minutes with the humanoid's gpu_fast recipe (its agent yaml equals
# the humanoid's), 1024 envs
set -u
cd "$(dirname "$0")/../../.."
R=$OUT/r; mkdir -p $R
(cd .carry/bin && for f in *.xz; do [ -f "$f" ] && xz -d "$f"; done; chmod +x *)
. bench/gpu_env.sh
B=.carry/bin/cmimic; E=data/engines/cuda_engine.yaml
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> $R/times.txt; }
( timeout 60 .carry/bin/test_ops_cuda > $R/test_ops_cuda.log 2>&1; echo "exit $?" >> $R/test_ops_cuda.log ); stamp "ops $(tail -2 $R/test_ops_cuda.log | tr '\n' ' ')"
CMIMIC=$B bench/learn.sh --arg_file args/deepmimic_pi_plus_ppo_args.txt --agent data/agents/deepmimic_humanoid_ppo_agent_gpu_fast.yaml --output_every 100 \
  --engine_config $E --devices cuda:0 --num_envs 1024 --minutes ${RM:-2.0} --num_threads 8 --out $R/pi_plus > $R/learn_pi_plus.log 2>&1
stamp pi_plus
cp $R/pi_plus/model.pt $OUT/model_pi_plus.pt 2>/dev/null
tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C $OUT -czf $OUT/call4.tgz r && rm -rf $R
