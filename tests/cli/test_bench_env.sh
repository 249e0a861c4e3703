#!/usr/bin/env bash
# cmimic bench-env measures, in one run, raw mj_step, the engine's control steps and full PPO
# training on the same humanoid and thread count, and states each as a ratio to raw MuJoCo.
set -euo pipefail
: "${CMIMIC:?}" "${CM_SRC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
mkdir -p "$CM_TMP"
cd "$CM_SRC"
out="$CM_TMP/bench_env.out"
"$CMIMIC" bench-env --num_envs 8 --threads 1 --seconds 0.5 | tee "$out"
raw=$(sed -n 's/^ *raw \/ substeps: *\([0-9.]*\) samples\/s.*/\1/p' "$out")
engine=$(sed -n 's/^ *engine (PD, state): *\([0-9.]*\) samples\/s.*/\1/p' "$out")
ratio=$(sed -n 's/^ *ratio: *\([0-9.]*\).*/\1/p' "$out")
train=$(sed -n 's/^ *training (networks on cpu): \([0-9.]*\) samples\/s, ratio \([0-9.]*\) .*/\1 \2/p' "$out")
[ -n "$raw" ] && [ -n "$engine" ] && [ -n "$ratio" ] && [ -n "$train" ] || { echo "missing figures"; exit 1; }
# the printed ratios are the printed rates divided by raw / substeps, and training is slower than stepping
python3 - "$raw" "$engine" "$ratio" $train <<'PY'
import sys
raw, engine, ratio, train, train_ratio = map(float, sys.argv[1:])
assert raw > 0 and engine > 0 and train > 0, sys.argv
assert abs(engine / raw - ratio) < 0.002 + 1e-3 * ratio, (engine / raw, ratio)
assert abs(train / raw - train_ratio) < 0.002, (train / raw, train_ratio)
assert train < engine, (train, engine)
print("bench-env figures consistent:", raw, engine, ratio, train, train_ratio)
PY
# --train_seconds 0 skips training; a bad value is one clear line
"$CMIMIC" bench-env --num_envs 4 --threads 1 --seconds 0.2 --train_seconds 0 >"$out"
! grep -q training "$out"
if "$CMIMIC" bench-env --train_seconds soon 2>"$out.err"; then echo "bad flag accepted"; exit 1; fi
[ "$(wc -l <"$out.err")" -eq 1 ] && grep -q "train_seconds" "$out.err"
echo "bench-env: ok"

# another engine (the cuda engine, here on CPU threads): its rates beside raw mj_step in one run
"$CMIMIC" bench-env --engine_config data/engines/cuda_engine.yaml --num_envs 8 --threads 1 --seconds 0.3 --raw_seconds 0.3 | tee "$out"
python3 - "$out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
g = lambda p: float(re.search(p, t).group(1))
phys, samples, raw = g(r"physics: +([\d.]+) substeps/s"), g(r"env samples: +([\d.]+) samples/s"), g(r"raw mj_step: +([\d.]+) steps/s")
ratio = g(r"cuda physics = ([\d.]+)x raw")
assert "engine cuda on cpu, 8 envs, 4 substeps" in t, t
# on the CPU the physics rate is the whole step's, so it is exactly 4 substeps per sample
assert abs(phys / samples - 4) < 0.01, (phys, samples)
assert abs(phys / raw - ratio) < 0.05 + 0.01 * ratio, (phys / raw, ratio)
print("bench-env cuda figures consistent:", phys, samples, raw, ratio)
PY
if "$CMIMIC" bench-env --engine_config data/engines/cuda_engine.yaml --gpu_block many 2>"$out.err"; then echo "bad flag accepted"; exit 1; fi
[ "$(wc -l <"$out.err")" -eq 1 ] && grep -q "gpu_block" "$out.err"
if "$CMIMIC" bench-env --engine_config data/engines/cuda_engine.yaml --gpu_sort first 2>"$out.err"; then echo "bad flag accepted"; exit 1; fi
[ "$(wc -l <"$out.err")" -eq 1 ] && grep -q "gpu_sort" "$out.err"
echo "bench-env (cuda engine): ok"
