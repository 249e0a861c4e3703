#!/usr/bin/env bash
# make demo: the main job on the embedded default (CPU engine, bundled humanoid and walk clip):
# a short DeepMimic training run, a test that prints Mean Return, a video of the policy beside the
# reference motion, a learning-curve PNG, and a video of the clip itself. Paths are printed last.
set -euo pipefail
bin=${1:-build/release/cmimic}
out=output/demo
samples=${CMIMIC_DEMO_SAMPLES:-60000}
rm -rf "$out" && mkdir -p "$out"
common=(--arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml
        --visualize false --rand_seed 1)
# a log row (and test phase) every 10 iterations instead of 100, for a curve with more than two points
sed 's/^iters_per_output:.*/iters_per_output: 10/' data/agents/deepmimic_humanoid_ppo_agent.yaml >"$out/agent.yaml"

echo "== 1/4 training DeepMimic PPO on the humanoid walk ($samples samples, $(nproc) cores)"
"$bin" run "${common[@]}" --agent_config "$out/agent.yaml" --mode train --num_envs 32 --max_samples "$samples" \
  --out_dir "$out/train"
echo "== 2/4 testing the trained policy"
"$bin" run "${common[@]}" --mode test --num_envs 4 --test_episodes 8 --model_file "$out/train/model.pt" \
  --video "$out/policy.mp4"
echo "== 3/4 learning curve"
"$bin" plot "$out/train/log.txt" -o "$out/curve.png" --y Test_Return,Train_Return
echo "== 4/4 the reference clip itself"
sed 's#humanoid_spinkick.pkl#humanoid_walk.pkl#' data/envs/view_motion_humanoid_env.yaml >"$out/view_walk_env.yaml"
"$bin" run --arg_file args/view_motion_humanoid_args.txt --env_config "$out/view_walk_env.yaml" \
  --mode test --visualize false --num_envs 1 --test_episodes 1 --video "$out/clip.mp4" >/dev/null
echo
echo "Demo outputs:"
echo "  trained model:        $out/train/model.pt (log: $out/train/log.txt)"
echo "  policy video:         $out/policy.mp4 (contact sheet $out/policy.png; green = reference motion)"
echo "  learning curve:       $out/curve.png"
echo "  reference clip video: $out/clip.mp4 (contact sheet $out/clip.png)"
