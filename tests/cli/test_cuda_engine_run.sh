#!/usr/bin/env bash
# The cuda engine on CPU threads as a user selects it: a clip played on it (view_motion, with a
# small video so the renderer's posing of its state runs), the dof test (welded root) and a
# short DeepMimic training whose log and model artefacts appear; a yaml naming an unsupported
# control mode is one line.
set -euo pipefail
: "${CMIMIC:?}" "${CM_SRC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/cuda_engine_run"
rm -rf "$t" && mkdir -p "$t"
cd "$CM_SRC"
E=data/engines/cuda_engine.yaml
"$CMIMIC" run --arg_file args/view_motion_humanoid_args.txt --engine_config $E --devices cpu --mode test \
  --visualize false --num_envs 1 --test_episodes 1 --video_width 160 --video_height 120 --video "$t/v.mp4" | tee "$t/view.log"
grep -q '^Episodes: 1$' "$t/view.log"
[ -s "$t/v.mp4" ] && [ -s "$t/v.png" ]
"$CMIMIC" run --arg_file args/dof_test_humanoid_args.txt --engine_config $E --devices cpu --visualize false \
  --num_envs 1 --test_episodes 1 | tee "$t/dof.log"
grep -q '^Episodes: 1$' "$t/dof.log"
"$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --engine_config $E --devices cpu --mode train \
  --visualize false --num_envs 4 --max_samples 600 --out_dir "$t/train" | tee "$t/train.log"
[ -s "$t/train/model.pt" ] && [ -s "$t/train/log.txt" ]
# the log's Samples column reached max_samples and every Train_Return is a finite number
python3 - "$t/train/log.txt" <<'PY'
import math, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
head, body = rows[0], rows[1:]
s, r = head.index("Samples"), head.index("Train_Return")
assert body and float(body[-1][s]) >= 600, body[-1][s]
assert all(math.isfinite(float(b[r])) for b in body)
# the engine's count of envs reset after going non-finite is a column (none in a sane run)
e = head.index("Engine_Resets")
assert all(float(b[e]) == 0 for b in body), [b[e] for b in body]
print("log rows", len(body), "samples", body[-1][s], "train return", body[-1][r])
PY
printf 'engine_name: "cuda"\ncontrol_mode: "vel"\n' >"$t/vel.yaml"
if "$CMIMIC" run --arg_file args/view_motion_humanoid_args.txt --engine_config "$t/vel.yaml" --devices cpu \
  --mode test --visualize false --test_episodes 1 >"$t/vel.out" 2>"$t/vel.err"; then
  echo "control_mode vel was accepted"; exit 1
fi
cat "$t/vel.err"
[ "$(wc -l <"$t/vel.err")" -eq 1 ] && grep -q "control_mode 'vel' is not supported" "$t/vel.err"
echo "cuda engine run: ok"
