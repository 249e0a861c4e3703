#!/usr/bin/env bash
# Bad retargeting and conversion input: one clear line naming the culprit, a non-zero exit,
# never a crash (runs on the sanitizer build too).
set -u
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/bad_retarget"
rm -rf "$t" && mkdir -p "$t"
fails=0

# expect_error NAME PATTERN -- command...: exit 1 or 2 (not a signal), stderr one line matching PATTERN.
expect_error() {
  local name=$1 pattern=$2; shift 3
  "$@" >"$t/out" 2>"$t/err"
  local rc=$? lines
  lines=$(grep -vc '^==' "$t/err" || true)
  if [ $rc -eq 0 ] || [ $rc -ge 128 ] || ! grep -qE -- "$pattern" "$t/err" || [ "$lines" -ne 1 ]; then
    echo "FAIL $name: exit $rc, stderr:"; sed 's/^/    /' "$t/err" | head -20
    fails=$((fails + 1))
  else
    echo "ok   $name: $(cat "$t/err")"
  fi
}

walk=data/motions/humanoid/humanoid_walk.pkl
expect_error no_mapping "no key-body mapping from 'humanoid' to 'atlas'.*there are: .*g1" -- \
  "$CMIMIC" retarget --src humanoid --dst atlas "$walk" "$t/o.pkl"
expect_error no_source "no key-body mapping from 'robot_x' to 'g1'.*no map from 'robot_x'" -- \
  "$CMIMIC" retarget --src robot_x --dst g1 "$walk" "$t/o.pkl"
# a G1 clip given as a humanoid clip: 35 values per frame, the humanoid needs 34
expect_error dof_mismatch "g1_walk.pkl has 35 values per frame, but --src humanoid .* needs 34" -- \
  "$CMIMIC" retarget --src humanoid --dst g1 data/motions/g1/g1_walk.pkl "$t/o.pkl"
# a destination MJCF with a ball joint, which the character model does not support
sed 's#<joint name="left_knee" axis="0 1 0"#<joint name="left_knee" type="ball"#' data/assets/humanoid/humanoid.xml \
  | sed 's#<motor name="left_knee" joint="left_knee" gear="150"/>##' >"$t/ball.xml"
sed "s#dst_char: .*#dst_char: $t/ball.xml#" data/retarget/humanoid_to_humanoid.yaml >"$t/ball_map.yaml"
expect_error unsupported_joint "ball.xml: body 'left_shin' joint 'left_knee' is not a hinge" -- \
  "$CMIMIC" retarget --map "$t/ball_map.yaml" "$walk" "$t/o.pkl"
sed 's#dst: right_foot, pos#dst: right_flipper, pos#' data/retarget/humanoid_to_humanoid.yaml >"$t/badbody.yaml"
expect_error unknown_body "badbody.yaml:[0-9]+: dst body 'right_flipper' is not a body of" -- \
  "$CMIMIC" retarget --map "$t/badbody.yaml" "$walk" "$t/o.pkl"
expect_error missing_clip "nope.pkl" -- "$CMIMIC" retarget --src humanoid --dst g1 "$t/nope.pkl" "$t/o.pkl"
expect_error gmr_not_gmr "humanoid_walk.pkl: GMR motion: missing key 'root_pos'" -- \
  "$CMIMIC" convert gmr "$walk" "$t/o.pkl"
# a dog clip's frame layout (84 values: duration, root, the dog's joints) given as a humanoid clip;
# written here so the test needs nothing outside the repository
python3 -c 'import json; print(json.dumps({"Loop": "wrap", "Frames": [[0.0167] + [0.0] * 83] * 2}))' >"$t/dog3d_like.txt"
expect_error dog_clip_as_humanoid "Frames\[0\] has 84 values, expected 44" -- \
  "$CMIMIC" convert deepmimic "$t/dog3d_like.txt" "$t/o.pkl"
printf 'HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xrotation Yrotation Zrotation\n JOINT Leg\n {\n  OFFSET 0 -1 0\n  CHANNELS 2 Xrotation Yrotation\n }\n}\n' >"$t/two.bvh"
expect_error bvh_two_rotations "two.bvh:9: joint 'Leg' has 2 rotation channels" -- \
  "$CMIMIC" convert bvh "$t/two.bvh" "$t/o.pkl" "$t/o.xml"
[ -e "$t/o.pkl" ] && { echo "FAIL: an output file was written by a failed command"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo "retarget bad input: ok"
exit $fails
