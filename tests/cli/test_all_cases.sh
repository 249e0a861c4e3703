#!/usr/bin/env bash
# Every case under args/ runs as a user first tries it: one test episode of an untrained policy
# (or the clip, for view_motion / dof_test) on one env, headless, into a small MP4 and contact
# sheet. Catches a case whose yamls the envs, agents or assets do not accept. There are 32.
# dof_test runs headless: its one episode sweeps every dof (3361 frames, two minutes of OSMesa
# rendering here), and its full video is recorded and frame-counted by test_harness_allcases.sh.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/all_cases"
rm -rf "$t" && mkdir -p "$t"
n=0
for f in args/*_args.txt; do
  c=$(basename "$f" .txt)
  video=(--video_width 64 --video_height 48 --video "$t/$c.mp4")
  [ "$c" = dof_test_humanoid_args ] && video=()
  "$CMIMIC" run --arg_file "$f" --mode test --num_envs 1 --test_episodes 1 --visualize false \
    "${video[@]}" --out_dir "$t/out_$c" >"$t/$c.log" 2>&1 ||
    { echo "FAIL $c"; tail -5 "$t/$c.log"; exit 1; }
  grep -q '^Episodes: 1$' "$t/$c.log" || { echo "FAIL $c: no episode"; tail -5 "$t/$c.log"; exit 1; }
  if [ ${#video[@]} -gt 0 ]; then
    [ -s "$t/$c.mp4" ] && [ -s "$t/$c.png" ] || { echo "FAIL $c: no video"; exit 1; }
  fi
  echo "ok $c $(sed -n 's/^Video: .* (\([0-9]*\) frames)$/\1/p' "$t/$c.log") frames"
  n=$((n + 1))
done
echo "$n cases"
[ "$n" -eq 32 ]

# the vault's inputs gone wrong: one clear line each, non-zero exit
bad() { # yaml-file expected-text [extra flags]
  local y=$1 want=$2; shift 2
  if "$CMIMIC" run --arg_file args/vault_humanoid_args.txt --env_config "$y" --mode test --num_envs 1 \
    --test_episodes 1 --visualize false "$@" 2>"$t/err" >/dev/null; then echo "accepted $y"; exit 1; fi
  cat "$t/err"
  [ "$(wc -l <"$t/err")" -eq 1 ] && grep -q "$want" "$t/err"
}
sed 's#objects/vault_box.xml#objects/no_such_box.xml#' data/envs/vault_humanoid_env.yaml >"$t/missing.yaml"
bad "$t/missing.yaml" "static object 0: data/assets/objects/no_such_box.xml: cannot open"
sed 's#"pos":\[2.2, 0.5, 0.2\]#"pos":[2.2, 0.5]#' data/envs/vault_humanoid_env.yaml >"$t/pos.yaml"
bad "$t/pos.yaml" "pos.yaml:[0-9]*: objects\[0\]: pos needs 3 values"
# the vault on the cuda engine (its CPU build): the box is in its world too
"$CMIMIC" run --arg_file args/vault_humanoid_args.txt --engine_config data/engines/cuda_engine.yaml --devices cpu \
  --mode test --num_envs 1 --test_episodes 1 --visualize false >"$t/vault_cuda.log" 2>&1 ||
  { echo "FAIL vault on cuda"; tail -5 "$t/vault_cuda.log"; exit 1; }
grep -q '^Episodes: 1$' "$t/vault_cuda.log"
(cat data/envs/deepmimic_go2_env.yaml; printf '\n  ground_contact_hieght: 0.1\n') >"$t/engine.yaml"
bad "$t/engine.yaml" "engine.yaml:[0-9]*: unknown key 'ground_contact_hieght'"
