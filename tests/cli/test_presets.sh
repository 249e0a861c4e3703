#!/usr/bin/env bash
# --preset as a user drives it: `cmimic run --preset fast` trains with the preset's env count over
# the arg file's 4096 (log.txt's Samples = 64 envs x 16 steps), --num_envs on the command line
# wins over the preset, config.yaml records the preset laid over the agent yaml with batch_size
# auto resolved (read back by python's yaml), agent_config.yaml stays the file as given; a bad
# preset, a bad --tf32 and a typo inside a preset file are one line each. --tf32 false on the CPU
# is accepted and changes nothing (the same log.txt losses as without it).
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/presets"
rm -rf "$t" && mkdir -p "$t"
run() { "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --env_config data/envs/deepmimic_humanoid_walk_env.yaml \
  --visualize false --logger txt --rand_seed 5 --max_samples 1 "$@"; }

run --preset fast --out_dir "$t/fast" >"$t/fast.log"
grep -q '^Preset: data/agents/presets/fast.yaml$' "$t/fast.log"
grep -q '^batch_size auto: 16 steps of all envs (1024 samples per mini-batch, 1 mini-batch per epoch)$' "$t/fast.log"
run --preset fast --num_envs 8 --out_dir "$t/fast8" >"$t/fast8.log"
grep -q '^batch_size auto: 16 steps of all envs (128 samples per mini-batch, 1 mini-batch per epoch)$' "$t/fast8.log"
run --preset fast --num_envs 8 --tf32 false --out_dir "$t/fast8_fp32" >/dev/null
# a --preset inside an arg file also outranks that file's --num_envs 4096
{ cat args/deepmimic_humanoid_ppo_args.txt; echo "--preset fast"; } >"$t/case_args.txt"
"$CMIMIC" run --arg_file "$t/case_args.txt" --env_config data/envs/deepmimic_humanoid_walk_env.yaml --visualize false \
  --logger txt --rand_seed 5 --max_samples 1 --out_dir "$t/fast_in_file" >"$t/fast_in_file.log"
grep -q '^Preset: data/agents/presets/fast.yaml$' "$t/fast_in_file.log"

python3 - "$t" <<'PY'
import sys, yaml
t = sys.argv[1]
def log(d):
    rows = [l.split() for l in open(f"{t}/{d}/log.txt", newline="").read().replace("\r", "\n").split("\n") if l.strip()]
    return [dict(zip(rows[0], r)) for r in rows[1:]]
def cfg(d):
    return yaml.safe_load(open(f"{t}/{d}/config.yaml"))
base = yaml.safe_load(open("data/agents/deepmimic_humanoid_ppo_agent.yaml"))
fast = yaml.safe_load(open("data/agents/presets/fast.yaml"))
# one iteration of steps_per_iter steps of every env: the env count in use
assert int(log("fast")[0]["Samples"]) == fast["num_envs"] * fast["steps_per_iter"] == 1024, log("fast")[0]["Samples"]
assert int(log("fast8")[0]["Samples"]) == 8 * fast["steps_per_iter"], log("fast8")[0]["Samples"]
assert int(log("fast_in_file")[0]["Samples"]) == 1024, log("fast_in_file")[0]["Samples"]
c, c8 = cfg("fast"), cfg("fast8")
assert str(c["args"]["num_envs"]) == "64" and str(c8["args"]["num_envs"]) == "8", (c["args"], c8["args"])
assert c["args"]["preset"] == "fast"
ag = c["agent_config"]
for k, v in fast.items():
    if k in ("num_envs", "batch_size", "model"):
        continue
    assert ag[k] == v, (k, ag[k], v)
assert ag["model"]["actor_net"] == fast["model"]["actor_net"] and ag["model"]["critic_net"] == fast["model"]["critic_net"]
assert ag["model"]["action_std"] == base["model"]["action_std"]  # merged key by key, not replaced
assert ag["discount"] == base["discount"] and ag["optimizer"] == base["optimizer"]  # left alone
assert fast["batch_size"] == "auto" and ag["batch_size"] == 16 and c8["agent_config"]["batch_size"] == 16
# the copy of the agent yaml is the file as given
assert yaml.safe_load(open(f"{t}/fast/agent_config.yaml")) == base
# --tf32 false on the CPU: nothing changes
a, b = log("fast8")[0], log("fast8_fp32")[0]
for k in ("Samples", "Loss", "Critic_Loss", "Actor_Loss", "Train_Return"):
    assert a[k] == b[k], (k, a[k], b[k])
print("presets: fast resolves as its file says; --num_envs wins; --tf32 false is a no-op on the CPU")
PY

# bad input: one line, non-zero exit
one_line() {
  local want=$1; shift
  if "$@" >"$t/out" 2>"$t/err"; then echo "expected a failure: $*"; exit 1; fi
  [ "$(wc -l <"$t/err")" -eq 1 ] || { echo "more than one line:"; cat "$t/err"; exit 1; }
  grep -qE -- "$want" "$t/err" || { echo "unexpected message:"; cat "$t/err"; exit 1; }
  echo "ok: $(cat "$t/err")"
}
one_line "unknown preset 'fats' \(did you mean 'fast'\? known: beast, fast, heavy\)" run --preset fats --out_dir "$t/x"
one_line "--tf32: expected true or false, got 'maybe'" run --preset fast --tf32 maybe --out_dir "$t/x"
printf 'num_envs: 4\nmodel:\n  actor_nett: "fc_2layers_128units"\n' >"$t/mine.yaml"
one_line "mine.yaml:3: unknown key 'actor_nett' \(did you mean 'actor_net'\?\)" run --preset "$t/mine.yaml" --out_dir "$t/x"
one_line "unknown preset 'fats'" "$CMIMIC" bench-env --seconds 0.1 --preset fats
