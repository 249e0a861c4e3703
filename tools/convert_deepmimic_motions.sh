#!/usr/bin/env bash
# Regenerates data/motions/humanoid/humanoid_<name>.pkl from DeepMimic's humanoid3d_<name>.txt
# clips with `cmimic convert deepmimic`.
#   tools/convert_deepmimic_motions.sh [DEEPMIMIC_MOTIONS_DIR] [CMIMIC_BINARY]
# Defaults: $DEEPMIMIC_DIR/motions (DEEPMIMIC_DIR defaults to /work/shared/data/deepmimic) and
# build/release/cmimic. Run from the repository root.
set -euo pipefail
src=${1:-${DEEPMIMIC_DIR:-/work/shared/data/deepmimic}/motions}
cmimic=${2:-build/release/cmimic}
out=data/motions/humanoid
[ -x "$cmimic" ] || { echo "$0: no cmimic binary at $cmimic (build first: make build)" >&2; exit 1; }
shopt -s nullglob
clips=("$src"/humanoid3d_*.txt)
[ ${#clips[@]} -gt 0 ] || { echo "$0: no humanoid3d_*.txt clips in $src" >&2; exit 1; }
mkdir -p "$out"
for f in "${clips[@]}"; do
  name=$(basename "$f" .txt)
  dst="$out/humanoid_${name#humanoid3d_}.pkl"
  "$cmimic" convert deepmimic "$f" "$dst"
  echo "$f -> $dst"
done
