#!/usr/bin/env bash
# A discriminator agent whose model turns NaN mid-run (fault injection) stops with one
# "NaN guard" line and a non-zero exit, and keeps the last good checkpoint: model.pt is the
# previous output iteration's, all finite, and tests. Then a PPO agent gets its NaN at each point
# the guard watches (CMIMIC_FAULT_NAN_IN: an observation, a reward, a gradient, a parameter after
# the update): one line naming the array (and env / element / tensor), the iteration never
# logged, the kept checkpoint resumes. The same for AMP's and ASE's own inputs (below).
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/nan_guard"
rm -rf "$t" && mkdir -p "$t"
sed -e 's/^iters_per_output: .*/iters_per_output: 1/' -e 's/^test_episodes: .*/test_episodes: 2/' \
  data/agents/amp_humanoid_agent.yaml >"$t/agent.yaml"
run() { "$CMIMIC" run --arg_file args/amp_humanoid_args.txt --agent_config "$t/agent.yaml" --visualize false \
  --num_envs 2 --rand_seed 3 "$@"; }

set +e
CMIMIC_FAULT_NAN_AT_ITER=2 run --mode train --max_samples 100000 --out_dir "$t/run" >"$t/out" 2>"$t/err"
rc=$?
set -e
cat "$t/err"
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || { echo "exit $rc"; exit 1; }
grep -q "NaN guard: Disc_Loss became non-finite" "$t/err"   # names the term
[ "$(grep -vc '^==' "$t/err")" -eq 1 ]          # one line
# iterations 0 and 1 were logged and saved; 2 never was
grep -Eq '\| +Iteration \| +1 \|' "$t/out"
! grep -Eq '\| +Iteration \| +2 \|' "$t/out"
python3 - "$t/run/model.pt" <<'PY'
import sys, zipfile, array, math
z = zipfile.ZipFile(sys.argv[1])
n = 0
for name in z.namelist():
    if '/data/' in name and not name.endswith('.pkl'):
        a = array.array('f'); a.frombytes(z.read(name)); n += len(a)
        bad = [x for x in a if not math.isfinite(x)]
        assert not bad, f"{name}: {len(bad)} non-finite values"
assert n > 1000000, n
print(f"model.pt: {n} finite values")
PY
run --mode test --model_file "$t/run/model.pt" --test_episodes 2 | tee "$t/test.out" | grep -q "Mean Return"

# expect_guard RUNNER POINT WANT DIR: RUNNER (a function running cmimic) trains with a NaN at
# POINT in iteration 2: one line holding WANT, a non-zero exit that is not a signal, iteration 2
# never logged, and the kept checkpoint (iteration 1's) resumes. One check per line: inside an
# && list only a failing last command would stop the test.
expect_guard() {
  local runner=$1 point=$2 want=$3 d=$4 rc
  set +e
  CMIMIC_FAULT_NAN_AT_ITER=2 CMIMIC_FAULT_NAN_IN=$point $runner --mode train --max_samples 100000 --out_dir "$d" \
    >"$d.out" 2>"$d.err"
  rc=$?
  set -e
  cat "$d.err"
  [ "$rc" -ne 0 ] || { echo "exit 0 at $point"; return 1; }
  [ "$rc" -lt 128 ] || { echo "exit $rc (a signal) at $point"; return 1; }
  [ "$(grep -vc '^==' "$d.err")" -eq 1 ] || { echo "not one line at $point"; return 1; }
  grep -qF "$want" "$d.err" || { echo "expected: $want"; return 1; }
  [ "$(tr '\r' '\n' <"$d/log.txt" | awk 'END { print $1 }')" = 1 ] || { echo "iteration 2 logged at $point"; return 1; }
  $runner --mode train --max_samples 1 --resume "$d" >"$d.resume"
  grep -q "^Resuming from $d/resume.pt" "$d.resume"
}

sed -e 's/^iters_per_output: .*/iters_per_output: 1/' -e 's/^test_episodes: .*/test_episodes: 1/' \
  data/agents/deepmimic_humanoid_ppo_agent.yaml >"$t/ppo.yaml"
ppo() { "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --agent_config "$t/ppo.yaml" --visualize false --num_envs 4 --rand_seed 3 "$@"; }
expect_guard ppo obs "NaN guard: element 2 of the observation of env 1 is nan at step 1 of training iteration 2's rollout" "$t/ppo_obs"
expect_guard ppo reward "NaN guard: the reward of env 1 is nan at step 1 of training iteration 2's rollout" "$t/ppo_reward"
expect_guard ppo grad "NaN guard: the gradient of '_model._actor_layers.0.weight' became non-finite" "$t/ppo_grad"
expect_guard ppo param "NaN guard: parameter '_model._actor_layers.0.weight' became non-finite" "$t/ppo_param"

# The discriminator agents' own inputs, named where they enter: AMP's discriminator observations
# (the agent's, per step, and the demo rows sampled from the motion), ASE's latents (at the
# policy's input) and its encoder's input (the same discriminator rows).
sed -e 's/^iters_per_output: .*/iters_per_output: 1/' -e 's/^test_episodes: .*/test_episodes: 1/' \
  data/agents/ase_humanoid_agent.yaml >"$t/ase.yaml"
amp() { run "$@"; }
ase() { "$CMIMIC" run --arg_file args/ase_humanoid_args.txt --agent_config "$t/ase.yaml" --visualize false \
  --num_envs 2 --rand_seed 3 "$@"; }
expect_guard amp disc_obs "NaN guard: element 2 of the discriminator observation of env 1 is nan at step 1 of training iteration 2's rollout (the env produced it)" "$t/amp_disc_obs"
expect_guard amp disc_demo "NaN guard: element 2 of demo observation 1 of the 64 sampled for the discriminator is nan at training iteration 2 (the reference motions produced it)" "$t/amp_disc_demo"
expect_guard ase latent "NaN guard: element 2 of the latent of env 1 is nan at step 2 of training iteration 2's rollout (the agent drew it)" "$t/ase_latent"
expect_guard ase disc_obs "NaN guard: element 2 of the discriminator and encoder observation of env 1 is nan at step 1 of training iteration 2's rollout" "$t/ase_disc_obs"
# ADD: its per-step reference rows (the "demo" half of each differential pair), named as they enter
sed -e 's/^iters_per_output: .*/iters_per_output: 1/' -e 's/^test_episodes: .*/test_episodes: 1/' \
  data/agents/add_humanoid_agent.yaml >"$t/add.yaml"
add() { "$CMIMIC" run --arg_file args/add_humanoid_args.txt --agent_config "$t/add.yaml" --visualize false \
  --num_envs 2 --rand_seed 3 "$@"; }
expect_guard add disc_demo "NaN guard: element 2 of the demo observation of env 1 is nan at step 1 of training iteration 2's rollout (the env's reference motion produced it)" "$t/add_disc_demo"
echo "nan guard ok"
