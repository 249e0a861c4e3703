#!/usr/bin/env bash
# Regenerates the robots' motion clips from the DeepMimic clips with `cmimic retarget` and prints
# each clip's error figures (docs/RETARGET.md records them).
#   tools/retarget_motions.sh [CMIMIC_BINARY]   (run from the repository root; default
#   build/release/cmimic). Needs data/motions/humanoid (tools/convert_deepmimic_motions.sh);
#   the dog clips are converted here from $DEEPMIMIC_DIR/motions (default /work/shared/data/deepmimic).
set -euo pipefail
cmimic=${1:-build/release/cmimic}
dm=${DEEPMIMIC_DIR:-/work/shared/data/deepmimic}/motions
[ -x "$cmimic" ] || { echo "$0: no cmimic binary at $cmimic (build first: make build)" >&2; exit 1; }
mkdir -p data/motions/dog3d data/motions/go2 data/motions/g1 data/motions/hightorque_pi_plus data/motions/smpl \
  data/motions/reallusion
for g in pace trot canter; do
  "$cmimic" convert deepmimic --char data/assets/dog3d/dog3d.xml "$dm/dog3d_$g.txt" "data/motions/dog3d/dog3d_$g.pkl"
done
run() { echo "== $3"; "$cmimic" retarget --src "$1" --dst "$2" "$3" "$4"; }
for g in pace trot canter; do run dog3d go2 "data/motions/dog3d/dog3d_$g.pkl" "data/motions/go2/go2_$g.pkl"; done
run humanoid g1 data/motions/humanoid/humanoid_walk.pkl data/motions/g1/g1_walk.pkl
run humanoid g1 data/motions/humanoid/humanoid_run.pkl data/motions/g1/g1_run.pkl
run humanoid pi_plus data/motions/humanoid/humanoid_walk.pkl data/motions/hightorque_pi_plus/pi_plus_walk.pkl
run humanoid smpl data/motions/humanoid/humanoid_walk.pkl data/motions/smpl/smpl_walk.pkl
# the Reallusion sword-and-shield clips are not public: the humanoid's spin kick stands in
run humanoid humanoid_sword_shield data/motions/humanoid/humanoid_spinkick.pkl \
  data/motions/reallusion/RL_Avatar_Atk_2xCombo01_Motion.pkl
# every humanoid clip on the sword-and-shield humanoid (its right wrist kept straight), for the
# sword-and-shield datasets (data/datasets/dataset_humanoid_sword_shield*.yaml)
mkdir -p data/motions/humanoid_sword_shield
for f in data/motions/humanoid/humanoid_*.pkl; do
  n=$(basename "$f" .pkl)
  case $n in *speed_vault|*double_kong) continue ;; esac  # made below, for the vault cases
  run humanoid humanoid_sword_shield "$f" "data/motions/humanoid_sword_shield/${n/humanoid_/humanoid_sword_shield_}.pkl"
done
# the vault substitutes (tools/make_vault_clip.py): a retimed broad jump over MimicKit's boxes
python3 tools/make_vault_clip.py
run humanoid g1 data/motions/humanoid/humanoid_double_kong.pkl data/motions/g1/g1_double_kong.pkl
python3 tools/make_vault_clip.py align-g1
