#!/usr/bin/env bash
# Evidence that cmimic learns: trains the humanoid (DeepMimic, PPO, CPU engine) on one clip and
# reports the normalized test return NR = mean test return / (episode steps * max per-step reward)
# against samples and wall time, plus a learning-curve PNG.
#
#   bench/learn.sh CLIP [--minutes M] [--num_envs N] [--out DIR] [--resume] [--agent AGENT_YAML] [--output_every K] [--devices auto|cpu|cuda:0] [--num_threads T] [--engine_config ENGINE_YAML]
#   bench/learn.sh --arg_file args/CASE.txt [same flags]
#
# CLIP names data/motions/humanoid/humanoid_CLIP.pkl (walk, run, spinkick ...). Training stops after
# M minutes (Ctrl-C semantics: a checkpoint is saved) and can be continued with --resume.
# With --arg_file any case trains with its own env and agent yamls (AMP, ASE, ADD, the tasks);
# there is no NR then: the table has each logged figure that says how far the method got
# (Test_Return, discriminator accuracies, tracking errors, task figures) against samples and time.
# Defaults: 512 envs (MimicKit's PPO takes 40 mini-batch steps per iteration whatever the env
# count, and progress here is bound by iterations: 512 envs reached walk NR 0.8 in a third of the
# samples 2048 envs needed, docs/BENCHMARKS.md); a log row and test every 50 iterations; networks
# on cuda:0 when the binary can open a GPU (auto), else on the CPU. Physics: the CPU engine unless
# --engine_config names another (data/engines/cuda_engine.yaml: physics on --devices too).
set -euo pipefail
clip=${1:?usage: bench/learn.sh CLIP|--arg_file F [--minutes M] [--num_envs N] [--out DIR] [--resume]}
shift
case_file=""
if [ "$clip" = --arg_file ]; then case_file=${1:?--arg_file needs a file}; shift; fi
minutes=30; num_envs=512; out=""; resume=0; agent=data/agents/deepmimic_humanoid_ppo_agent.yaml; every=50; devices=auto
threads=()
engine=()
bin=${CMIMIC:-build/release/cmimic}
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --num_envs) num_envs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --resume) resume=1; shift ;;
    --agent) agent=$2; shift 2 ;;
    --output_every) every=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --num_threads) threads=(--num_threads "$2"); shift 2 ;;
    --engine_config) engine=(--engine_config "$2"); shift 2 ;;
    *) echo "bench/learn.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
if [ "$devices" = auto ]; then  # cuda:0 when this binary can open it (CUDA built in, a GPU there)
  if "$bin" bench-env --num_envs 1 --threads 1 --seconds 0.01 --train_seconds 0 --devices cuda:0 >/dev/null 2>&1
  then devices=cuda:0; else devices=cpu; fi
fi
if [ -n "$case_file" ]; then
  [ -f "$case_file" ] || { echo "bench/learn.sh: no arg file $case_file" >&2; exit 2; }
  name=$(basename "$case_file" _args.txt)
  out=${out:-output/learn/$name}
  mkdir -p "$out"
  agent_yaml=$(sed -n 's/^--agent_config *//p' "$case_file" | head -1)
  [ "$agent" = data/agents/deepmimic_humanoid_ppo_agent.yaml ] && agent=$agent_yaml
  if [ -n "$every" ]; then
    sed "s/^iters_per_output:.*/iters_per_output: $every/" "$agent" >"$out/agent.yaml"
    agent="$out/agent.yaml"
  fi
  args=(--arg_file "$case_file" --agent_config "$agent" --num_envs "$num_envs" --visualize false --devices "$devices"
        "${threads[@]}" "${engine[@]}")
  if [ $resume -eq 1 ]; then train_out=(--resume "$out"); else train_out=(--out_dir "$out"); fi
  echo "== learn $name: $num_envs envs, $(nproc) cores, networks on $devices, up to $minutes min"
  set +e
  timeout --preserve-status -s INT -k 60 "${minutes}m" "$bin" run "${args[@]}" --mode train "${train_out[@]}" >"$out/train_$(date +%s).log" 2>&1
  rc=$?
  set -e
  [ $rc -eq 0 ] || [ $rc -eq 130 ] || { echo "training failed ($rc); see $out/train_*.log" >&2; exit 1; }
  # the figures that say how far each method got, where the log has them
  tr '\r' '\n' <"$out/log.txt" | awk '
    NR == 1 { n = split("Samples Wall_Time Test_Return Train_Return Test_Episode_Length Train_Episode_Length Disc_Agent_Acc Disc_Demo_Acc Disc_Reward_Mean Disc_Pos_Acc Disc_Neg_Acc Enc_Reward_Mean Root_Pos_Err Body_Pos_Err Body_Rot_Err Dof_Vel_Err Location_Success_Rate Location_Tar_Dist Steering_Speed_Err Steering_Heading_Err", want, " ")
              for (i = 1; i <= NF; i++) c[$i] = i
              for (k = 1; k <= n; k++) if (want[k] in c) { cols[++m] = want[k]; printf "%s%s", (m > 1 ? "\t" : ""), want[k] }
              print ""; next }
    NF > 3 { for (k = 1; k <= m; k++) printf "%s%s", (k > 1 ? "\t" : ""), $c[cols[k]]; print "" }' | tee "$out/figures.tsv"
  "$bin" run "${args[@]}" --mode test --model_file "$out/model.pt" --test_episodes 32 | tee "$out/test.log"
  "$bin" plot "$out/log.txt" -o "$out/curve.png" --y Test_Return,Train_Return >/dev/null || true
  last=$(tail -1 "$out/figures.tsv")
  echo "learn $name: last row: $last; final test: $(grep -E '^(Mean Return|Episodes)' "$out/test.log" | tr '\n' ' ')"
  # DeepMimic cases (the robots' walks): NR = Test_Return / (episode steps * max per-step reward)
  env_yaml=$(sed -n 's/^--env_config *//p' "$case_file" | head -1)
  eng_yaml=${engine[1]:-$(sed -n 's/^--engine_config *//p' "$case_file" | head -1)}
  if [ -f "$env_yaml" ] && grep -q '^env_name: *"deepmimic"' "$env_yaml"; then
    ep_len=$(sed -n 's/^episode_length: *\([0-9.]*\).*/\1/p' "$env_yaml")
    freq=$(sed -n 's/^control_freq: *\([0-9]*\).*/\1/p' "$eng_yaml")
    max_r=$(awk -F: '/^reward_.*_w:/ {s += $2} END {print s}' "$env_yaml")
    ret=$(sed -n 's/^Mean Return: //p' "$out/test.log")
    awk -v r="$ret" -v l="$ep_len" -v f="$freq" -v m="$max_r" -v n="$name" \
      'BEGIN { if (l * f * m > 0) printf "learn %s: final test NR %.3f (= Mean Return / %g)\n", n, r / (l * f * m), l * f * m }'
  fi
  exit 0
fi
motion=data/motions/humanoid/humanoid_$clip.pkl
[ -f "$motion" ] || { echo "bench/learn.sh: no clip $motion" >&2; exit 2; }
out=${out:-output/learn/$clip}
mkdir -p "$out"
env_yaml="$out/env.yaml"
sed "s#^motion_file:.*#motion_file: \"$motion\"#" data/envs/deepmimic_humanoid_env.yaml >"$env_yaml"

# more frequent log rows (and test phases) give a denser learning curve
if [ -n "$every" ]; then
  sed "s/^iters_per_output:.*/iters_per_output: $every/" "$agent" >"$out/agent.yaml"
  agent="$out/agent.yaml"
fi

# episode steps * max per-step reward (the sum of the five reward weights)
ep_len=$(sed -n 's/^episode_length: *\([0-9.]*\).*/\1/p' "$env_yaml")
freq=$(sed -n 's/^control_freq: *\([0-9]*\).*/\1/p' data/engines/mujoco_engine.yaml)
max_r=$(awk -F: '/^reward_.*_w:/ {s += $2} END {print s}' "$env_yaml")
norm=$(awk -v l="$ep_len" -v f="$freq" -v r="$max_r" 'BEGIN {print l * f * r}')

args=(--arg_file args/deepmimic_humanoid_ppo_args.txt --env_config "$env_yaml" --agent_config "$agent"
      --num_envs "$num_envs" --visualize false --devices "$devices" "${threads[@]}" "${engine[@]}")
if [ $resume -eq 1 ]; then train_out=(--resume "$out"); else train_out=(--out_dir "$out"); fi
echo "== learn $clip: $num_envs envs, $(nproc) cores, networks on $devices, up to $minutes min; NR = Test_Return / $norm"
set +e
timeout --preserve-status -s INT -k 60 "${minutes}m" "$bin" run "${args[@]}" --mode train "${train_out[@]}" >"$out/train_$(date +%s).log" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || [ $rc -eq 130 ] || { echo "training failed ($rc); see $out/train_*.log" >&2; exit 1; }

echo "samples	wall_h	NR"
tr '\r' '\n' <"$out/log.txt" | awk -v n="$norm" '
  NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  # logs of runs joined by --resume from checkpoints older than the carried Wall_Time restart
  # the clock: add up the segments
  NF > 3 { w = $c["Wall_Time"]; if (w < last) off += last; last = w
           printf "%s\t%.3f\t%.3f\n", $c["Samples"], w + off, $c["Test_Return"] / n }' | tee "$out/nr.tsv"
"$bin" run "${args[@]}" --mode test --model_file "$out/model.pt" --test_episodes 32 | tee "$out/test.log"
ret=$(sed -n 's/^Mean Return: //p' "$out/test.log")
nr=$(awk -v r="$ret" -v n="$norm" 'BEGIN {printf "%.3f", r / n}')
# a build without rendering (-DCMIMIC_RENDER=OFF, as carried to GPU machines) has no plots: say so
# and go on; `cmimic plot` on a machine with one draws the curve from the log afterwards
"$bin" plot "$out/log.txt" -o "$out/curve.png" --y Test_Return,Train_Return >/dev/null ||
  echo "learn $clip: no curve.png (this cmimic cannot plot); cmimic plot $out/log.txt -o curve.png elsewhere"
last=$(tail -1 "$out/nr.tsv")
first=$(awk '$3 >= 0.8 {print "first NR >= 0.8 at " $1 " samples, " $2 " h"; exit}' "$out/nr.tsv")
[ -n "$first" ] && echo "learn $clip: $first"
echo "learn $clip: samples $(echo "$last" | cut -f1), wall $(echo "$last" | cut -f2) h, cores $(nproc), envs $num_envs, final test NR $nr (curve: $out/curve.png)"
