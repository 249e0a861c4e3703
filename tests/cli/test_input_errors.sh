#!/usr/bin/env bash
# Bad input gets one clear line naming the culprit and a non-zero exit, never a crash.
# Runs against whichever cmimic build ctest points it at (the Asan build included).
set -u
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/bad_input"
rm -rf "$t" && mkdir -p "$t"
fails=0; count=0

# expect_error NAME PATTERN -- command...: exit 1 or 2 (not a signal), stderr matches PATTERN, one line.
expect_error() {
  local name=$1 pattern=$2; shift 3
  count=$((count + 1))
  "$@" >"$t/out" 2>"$t/err"
  local rc=$?
  local lines; lines=$(grep -vc '^==' "$t/err" || true)
  if [ $rc -eq 0 ] || [ $rc -ge 128 ] || ! grep -qE -- "$pattern" "$t/err" || [ "$lines" -ne 1 ]; then
    echo "FAIL $name: exit $rc, stderr:"; sed 's/^/    /' "$t/err" | head -20
    fails=$((fails + 1))
  else
    echo "ok   $name: $(cat "$t/err")"
  fi
}

run_env() { "$CMIMIC" run --mode test --visualize false --num_envs 1 --test_episodes 1 "$@"; }

# YAML
printf 'env_name: "view_motion"\nchar_file: [unclosed\n' >"$t/malformed.yaml"
expect_error malformed_yaml "malformed.yaml:[0-9]+" -- run_env --env_config "$t/malformed.yaml"
printf 'env_name: "view_motion"\nchar_file: "data/assets/humanoid/humanoid.xml"\nepisode_lenght: 5\nmotion_file: "data/motions/humanoid/humanoid_walk.pkl"\n' >"$t/typo.yaml"
expect_error yaml_typo "typo.yaml:3.*episode_lenght.*did you mean 'episode_length'" -- run_env --env_config "$t/typo.yaml"
printf 'engine_name: "mujoco"\ncontrol_freq: thirty\nsim_freq: 240\n' >"$t/engine.yaml"
expect_error yaml_type "engine.yaml:2.*control_freq" -- run_env --engine_config "$t/engine.yaml" --env_config data/envs/dof_test_humanoid_env.yaml

# motions
head -c 40 data/motions/humanoid/humanoid_walk.pkl >"$t/truncated.pkl"
sed "s#humanoid_spinkick.pkl#../../$t/truncated.pkl#" data/envs/view_motion_humanoid_env.yaml >"$t/trunc_env.yaml"
sed -i "s#motion_file: .*#motion_file: \"$t/truncated.pkl\"#" "$t/trunc_env.yaml"
expect_error truncated_pkl "truncated.pkl" -- run_env --env_config "$t/trunc_env.yaml"
head -c 3000 /dev/urandom >"$t/garbage.pkl"
sed "s#motion_file: .*#motion_file: \"$t/garbage.pkl\"#" data/envs/view_motion_humanoid_env.yaml >"$t/garbage_env.yaml"
expect_error garbage_pkl "garbage.pkl" -- run_env --env_config "$t/garbage_env.yaml"
python3 - "$t/short.pkl" <<'PY' 2>/dev/null || cp data/motions/humanoid/humanoid_walk.pkl "$t/short.pkl"
import pickle, sys
pickle.dump({"loop_mode": 1, "fps": 30.0, "frames": [[0.0] * 33 for _ in range(10)]}, open(sys.argv[1], "wb"))
PY
sed "s#motion_file: .*#motion_file: \"$t/short.pkl\"#" data/envs/view_motion_humanoid_env.yaml >"$t/short_env.yaml"
expect_error dof_mismatch "short.pkl.*28" -- run_env --env_config "$t/short_env.yaml"

# datasets (the amp env's motion_file): the bad entry is named by the dataset's file:line
ds_env() { sed "s#motion_file: .*#motion_file: \"$1\"#" data/envs/amp_humanoid_env.yaml >"$2"; }
printf 'motions:\n  - file: "data/motions/humanoid/humanoid_walk.pkl"\n    weight: 1.0\n  - file: "data/motions/humanoid/humanoid_moonwalk.pkl"\n    weight: 2.0\n' >"$t/ds_missing.yaml"
ds_env "$t/ds_missing.yaml" "$t/ds_missing_env.yaml"
expect_error dataset_missing_clip "ds_missing.yaml:4: motions\[1\].*humanoid_moonwalk.pkl" -- run_env --env_config "$t/ds_missing_env.yaml"
printf 'motions:\n  - file: "data/motions/humanoid/humanoid_walk.pkl"\n    weight: 0\n  - file: "data/motions/humanoid/humanoid_run.pkl"\n    weight: 0.0\n' >"$t/ds_zero.yaml"
ds_env "$t/ds_zero.yaml" "$t/ds_zero_env.yaml"
expect_error dataset_zero_weights "ds_zero.yaml:[0-9]+:.*weights sum to 0" -- run_env --env_config "$t/ds_zero_env.yaml"
printf 'motions:\n  - file: "data/motions/humanoid/humanoid_walk.pkl"\n  - file: "%s"\n    weight: 1.0\n' "$t/short.pkl" >"$t/ds_dofs.yaml"
ds_env "$t/ds_dofs.yaml" "$t/ds_dofs_env.yaml"
expect_error dataset_dof_mismatch "ds_dofs.yaml:3: motions\[1\].*short.pkl.*28 dofs" -- run_env --env_config "$t/ds_dofs_env.yaml"

# assets and files
sed 's#char_file: .*#char_file: "data/assets/humanoid/no_such_robot.xml"#' data/envs/dof_test_humanoid_env.yaml >"$t/missing_asset.yaml"
expect_error missing_asset "no_such_robot.xml" -- run_env --env_config "$t/missing_asset.yaml"
expect_error missing_arg_file "no_such_args.txt" -- "$CMIMIC" run --arg_file "$t/no_such_args.txt"

# flags
expect_error unknown_flag "num_env.*did you mean --num_envs" -- "$CMIMIC" run --arg_file args/dof_test_humanoid_args.txt --num_env 3
expect_error bad_int "num_envs" -- "$CMIMIC" run --arg_file args/dof_test_humanoid_args.txt --num_envs many
expect_error bad_mode "mode" -- "$CMIMIC" run --arg_file args/dof_test_humanoid_args.txt --mode fly
expect_error unknown_command "unknown command" -- "$CMIMIC" frobnicate
expect_error command_typo "unknown command .rnu. \(did you mean .run.\?" -- "$CMIMIC" rnu

echo "bad input: $((count - fails)) passed, $fails failed"
[ $fails -eq 0 ]
