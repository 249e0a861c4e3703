#!/usr/bin/env bash
# GPU ranks on a GPU machine (the paths the 2-core CPU machine cannot run; docs/DIST.md):
#   1. one GPU, two ranks through MPI with device buffers staged through the host
#      (--devices cuda:0 cuda:0, CMIMIC_DIST_NO_NCCL=1): trains, one log, one model
#   2. one GPU, two ranks asking for NCCL: NCCL refuses two ranks on one GPU; the run must stop
#      with one line naming NCCL (no hang), as it must where libnccl is absent (CMIMIC_NCCL_LIB)
#   3. two or more GPUs: --devices cuda:0 cuda:1 through NCCL trains, and 2 GPUs x 8 envs give
#      the update of 1 GPU x 16 envs (tests/cli/dist/compare_updates.py, tolerance 1e-3)
#   4. the all-reduce times (cmimic bench-dist over the GPUs' ranks: MPI on host buffers)
# Prints PASS/FAIL/SKIP per step; exit status 1 when a step failed. Needs OpenMPI (mpirun) and a
# CUDA build (build/cuda/cmimic, or $CMIMIC).
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${CMIMIC:-build/cuda/cmimic}
t=${OUT:-output/dist_check}
rm -rf "$t" && mkdir -p "$t"
fail=0
say() { echo "$1: $2"; [ "$1" = FAIL ] && fail=1; return 0; }
command -v mpirun >/dev/null || { echo "SKIP: no mpirun (apt-get install openmpi-bin libopenmpi-dev)"; exit 0; }
ngpu=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
[ "$ngpu" -ge 1 ] || { echo "SKIP: no GPU"; exit 0; }
sed -e 's/^steps_per_iter: .*/steps_per_iter: 8/' -e 's/^batch_size: .*/batch_size: 8/' -e 's/^update_epochs: .*/update_epochs: 2/' \
    -e 's/^iters_per_output: .*/iters_per_output: 1/' -e 's/^test_episodes: .*/test_episodes: 1/' \
    data/agents/deepmimic_humanoid_ppo_agent.yaml >"$t/agent.yaml"
run() { "$bin" run --arg_file args/deepmimic_humanoid_ppo_args.txt --agent_config "$t/agent.yaml" --visualize false \
  --logger txt --mode train --dist_timeout 120 "$@"; }

# 1. MPI staging on one GPU
if CMIMIC_DIST_NO_NCCL=1 run --devices cuda:0 cuda:0 --num_envs 8 --max_samples 256 --out_dir "$t/staged" >"$t/staged.log" 2>&1 &&
   [ -s "$t/staged/model.pt" ]; then say PASS "two ranks on cuda:0 through MPI (host staging)"
else say FAIL "two ranks on cuda:0 through MPI: $(grep '^cmimic run' "$t/staged.log" | tail -1)"; fi

# 2. NCCL asked for where it cannot serve: one line, non-zero, no hang (dist_timeout bounds it)
CMIMIC_NCCL_LIB=/nonexistent/libnccl.so.2 run --devices cuda:0 cuda:0 --num_envs 8 --max_samples 256 \
  --out_dir "$t/nonccl" >"$t/nonccl.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "nccl: cannot load /nonexistent/libnccl.so.2" "$t/nonccl.log"; then say PASS "absent libnccl refused in one line"
else say FAIL "absent libnccl (rc $rc): $(tail -2 "$t/nonccl.log")"; fi
run --devices cuda:0 cuda:0 --num_envs 8 --max_samples 256 --out_dir "$t/dupgpu" >"$t/dupgpu.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "nccl" "$t/dupgpu.log"; then say PASS "NCCL with two ranks on one GPU stops with: $(grep -m1 'nccl' "$t/dupgpu.log")"
elif [ $rc -eq 0 ]; then say PASS "NCCL accepted two ranks on one GPU (newer NCCL) and trained"
else say FAIL "two ranks on one GPU through NCCL (rc $rc): $(tail -2 "$t/dupgpu.log")"; fi

# 3. two GPUs through NCCL, and the equivalence with one GPU over the whole batch
if [ "$ngpu" -ge 2 ]; then
  run --devices cuda:0 --num_envs 16 --rand_seed 5 --max_samples 128 --out_dir "$t/m0" >"$t/m0.log" 2>&1
  run --devices cuda:0 --num_envs 16 --rand_seed 7 --max_samples 128 --model_file "$t/m0/model.pt" --out_dir "$t/one" >"$t/one.log" 2>&1
  if run --devices cuda:0 cuda:1 --num_envs 8 --rand_seed 7 --max_samples 128 --model_file "$t/m0/model.pt" \
       --out_dir "$t/two" >"$t/two.log" 2>&1 && grep -q "device buffers through NCCL" "$t/two.log"; then
    say PASS "cuda:0 cuda:1 trained through NCCL"
    if python3 tests/cli/dist/compare_updates.py "$t/m0/model.pt" "$t/one/model.pt" "$t/two/model.pt" 1e-3 >"$t/cmp.log" 2>&1
    then say PASS "2 GPUs x 8 envs = 1 GPU x 16 envs: $(tail -1 "$t/cmp.log")"
    else say FAIL "equivalence: $(tail -2 "$t/cmp.log")"; fi
  else say FAIL "cuda:0 cuda:1: $(grep '^cmimic run' "$t/two.log" | tail -1)"; fi
else
  say SKIP "one GPU: --devices cuda:0 cuda:1 through NCCL and its equivalence need a 2-GPU machine"
fi

# 4. all-reduce times over as many ranks as GPUs (at least 2)
n=$(( ngpu > 1 ? ngpu : 2 ))
if "$bin" bench-dist --ranks $n --reps 100 >"$t/bench.log" 2>&1; then say PASS "bench-dist over $n ranks"; cat "$t/bench.log"
else say FAIL "bench-dist: $(tail -2 "$t/bench.log")"; fi
exit $fail
