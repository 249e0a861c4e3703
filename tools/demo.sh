#!/usr/bin/env bash
# make demo: the main job on the embedded default (CPU engine, bundled humanoid and motion).
set -euo pipefail
bin=${1:-build/release/cmimic}
out=output/demo
mkdir -p "$out"
echo "== cmimic demo: playing the bundled humanoid walk on the CPU engine (MuJoCo)"
sed 's#humanoid_spinkick.pkl#humanoid_walk.pkl#' data/envs/view_motion_humanoid_env.yaml >"$out/view_walk_env.yaml"
"$bin" run --arg_file args/view_motion_humanoid_args.txt --env_config "$out/view_walk_env.yaml" \
  --mode test --visualize false --num_envs 1 --test_episodes 1 --video "$out/walk.mp4"
echo
echo "Demo outputs:"
echo "  video:         $out/walk.mp4"
echo "  contact sheet: $out/walk.png"
