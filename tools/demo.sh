#!/usr/bin/env bash
# make demo: on the embedded default (CPU engine, bundled humanoid and walk clip):
#  1. the walk policy this project trained and ships (data/models/humanoid_walk_ppo.pt, how it was
#     made: data/models/README.md), tested and filmed beside its reference motion; skipped with a
#     note while the file is not there;
#  2. a short DeepMimic training run from scratch, its test (Mean Return) and video;
#  3. the learning curve of that run;
#  4. a video of the reference clip itself, unless 1 ran (its green character is that clip).
# Every video says what it shows in the list printed last. The shipped policy's video is 960x540
# and replaces the clip's, so that the demo takes about as long with it as without it (rendering
# is most of its cost on a CPU).
# With a GPU that this cmimic can open, step 2 trains long enough to walk with the whole loop on
# the GPU, the recipe of the shipped policy (data/models/README.md): the cuda engine, 1024 envs,
# data/agents/deepmimic_humanoid_ppo_agent_gpu_fast.yaml, 20 M samples (H200: NR 0.8 at 18 M
# samples, 3.1 minutes). The tests and videos run on the CPU engine, as on a machine without a GPU
# (the policy transfers: sim-to-sim NR 0.922 on both). CMIMIC_DEMO_DEVICES=cpu forces the CPU path.
# A cmimic built without rendering (-DCMIMIC_RENDER=OFF, the build carried to GPU servers that lack
# OSMesa/ffmpeg) runs every step but the videos and the plot, and says so once.
set -euo pipefail
bin=${1:-build/release/cmimic}
out=output/demo
devices=${CMIMIC_DEMO_DEVICES:-auto}
if [ "$devices" = auto ]; then
  if "$bin" bench-env --num_envs 1 --threads 1 --seconds 0.01 --train_seconds 0 --devices cuda:0 >/dev/null 2>&1
  then devices=cuda:0; else devices=cpu; fi
fi
agent=data/agents/deepmimic_humanoid_ppo_agent.yaml
train_engine=()
if [ "$devices" = cpu ]; then envs=32; samples=${CMIMIC_DEMO_SAMPLES:-60000}; every=10
else envs=1024; samples=${CMIMIC_DEMO_SAMPLES:-20000000}; every=100
  agent=data/agents/deepmimic_humanoid_ppo_agent_gpu_fast.yaml; train_engine=(--engine_config data/engines/cuda_engine.yaml); fi
render=1
"$bin" features 2>/dev/null | grep -qx 'rendering: yes' || render=0
video() { [ "$render" = 1 ] && echo --video "$1"; true; }
[ "$render" = 1 ] || echo "note: $bin was built without rendering: no videos or plot, only the training and tests"
shipped=${CMIMIC_DEMO_MODEL:-data/models/humanoid_walk_ppo.pt}
rm -rf "$out" && mkdir -p "$out"
common=(--arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml
        --visualize false --rand_seed 1)
# a log row (and test phase) every 10 (GPU: 50) iterations instead of 100, for a curve with more than two points
sed "s/^iters_per_output:.*/iters_per_output: $every/" "$agent" >"$out/agent.yaml"
mean_return() { grep -so "^Mean Return: [-0-9.]*" "$1" | grep -o "[-0-9.]*$" || echo "?"; }

echo "== 1/5 the walk policy shipped with cmimic ($shipped) beside its reference motion"
if [ -f "$shipped" ]; then
  "$bin" run "${common[@]}" --mode test --num_envs 2 --test_episodes 2 --model_file "$shipped" \
    $(video "$out/shipped_policy.mp4") --video_width 960 --video_height 540 | tee "$out/shipped_test.txt"
else
  echo "   skipped: $shipped is not there yet (data/models/README.md says how it is trained)"
fi
where="networks on $devices"; [ "$devices" = cpu ] || where="physics, env and networks on $devices (cuda engine)"
echo "== 2/5 training DeepMimic PPO on the humanoid walk from scratch ($samples samples, $envs envs, $(nproc) cores, $where)"
"$bin" run "${common[@]}" --agent_config "$out/agent.yaml" "${train_engine[@]}" --mode train --num_envs "$envs" \
  --max_samples "$samples" --devices "$devices" --out_dir "$out/train"
echo "== 3/5 testing the policy just trained"
"$bin" run "${common[@]}" --mode test --num_envs 4 --test_episodes 8 --model_file "$out/train/model.pt" \
  $(video "$out/brief_policy.mp4") | tee "$out/brief_test.txt"
echo "== 4/5 learning curve of that training"
if [ "$render" = 1 ]; then
  "$bin" plot "$out/train/log.txt" -o "$out/curve.png" --y Test_Return,Train_Return --title "make demo: $samples samples"
else echo "   skipped: no rendering in this build; the curve's data is $out/train/log.txt"; fi
echo "== 5/5 the reference clip itself"
if [ "$render" = 0 ]; then
  echo "   skipped: no rendering in this build"
elif [ -f "$shipped" ]; then
  echo "   skipped: it is the green character of $out/shipped_policy.mp4"
else
  sed 's#humanoid_spinkick.pkl#humanoid_walk.pkl#' data/envs/view_motion_humanoid_env.yaml >"$out/view_walk_env.yaml"
  "$bin" run --arg_file args/view_motion_humanoid_args.txt --env_config "$out/view_walk_env.yaml" \
    --mode test --visualize false --num_envs 1 --test_episodes 1 --video "$out/clip.mp4" >/dev/null
fi
echo
if [ "$render" = 0 ]; then
  echo "Demo outputs (no videos or plot: $bin was built without rendering):"
  echo "  shipped walk policy:  Mean Return $(mean_return "$out/shipped_test.txt") ($shipped)"
  echo "  brief training:       Mean Return $(mean_return "$out/brief_test.txt") after $samples samples on $devices;"
  echo "                        model $out/train/model.pt, log $out/train/log.txt"
  exit 0
fi
echo "Demo outputs (in every policy video the grey humanoid is simulated, the green one is the reference motion):"
if [ -f "$shipped" ]; then
  echo "  shipped walk policy:  $out/shipped_policy.mp4 (contact sheet $out/shipped_policy.png): the policy in"
  echo "                        $shipped, trained by cmimic; Mean Return $(mean_return "$out/shipped_test.txt")"
else
  echo "  shipped walk policy:  none yet ($shipped is not there)"
fi
echo "  brief training:       $out/brief_policy.mp4 (contact sheet $out/brief_policy.png): the policy trained"
if [ "$devices" = cpu ]; then
  echo "                        just now for $samples samples (60000 on a CPU are far too few to walk); Mean Return $(mean_return "$out/brief_test.txt")"
else
  echo "                        just now for $samples samples on $devices (about 18 M reach NR 0.8); Mean Return $(mean_return "$out/brief_test.txt")"
fi
echo "                        model $out/train/model.pt, log $out/train/log.txt"
echo "  learning curve:       $out/curve.png"
if [ -f "$shipped" ]; then
  echo "  reference clip:       the green character of $out/shipped_policy.mp4"
else
  echo "  reference clip:       $out/clip.mp4 (contact sheet $out/clip.png): the walk clip itself, no physics"
fi
