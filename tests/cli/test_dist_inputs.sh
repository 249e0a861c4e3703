#!/usr/bin/env bash
# Bad --devices requests are refused in one line with exit status 2 before any rank starts
# (nothing launched, no output folder): unknown names, cpu and cuda mixed, test mode on several
# devices, a port out of range, a non-positive --dist_timeout, GPU ranks from a build without CUDA.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/dist_inputs"
rm -rf "$t" && mkdir -p "$t"
bad() { # bad "expected message" flags...
  local want=$1; shift
  set +e
  "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt --visualize false --max_samples 10 --out_dir "$t/out" "$@" \
    >"$t/stdout" 2>"$t/stderr"
  local rc=$?
  set -e
  echo "$* -> rc $rc: $(cat "$t/stderr")"
  [ $rc -eq 2 ] && [ "$(wc -l <"$t/stderr")" -eq 1 ] && grep -qF -- "$want" "$t/stderr" && [ ! -e "$t/out" ] &&
    ! grep -q "ranks on this machine" "$t/stdout"
}
bad "unknown device 'bogus' (expected cpu, cuda or cuda:N)" --devices cpu bogus
bad "unknown device 'cuda:x'" --devices cuda:x cuda:1
bad "mixes cpu and cuda devices" --devices cpu cuda:0
bad "--mode test runs in one process" --devices cpu cpu --mode test
bad "--master_port 70000 is not a TCP port" --devices cpu cpu --master_port 70000
bad "--dist_timeout must be positive seconds" --devices cpu cpu --dist_timeout 0
# a build without CUDA refuses GPU ranks once, before mpirun starts any (not once per rank)
if grep -q '^CMIMIC_CUDA:BOOL=OFF' "$(dirname "$CMIMIC")/CMakeCache.txt" 2>/dev/null; then
  bad "--devices cuda:0: this cmimic was built without CUDA (CMIMIC_CUDA=OFF)" --devices cuda:0 cuda:1
fi
# under a plain mpirun (the cluster case) --devices cuda is each rank's local GPU: rank r of one
# machine asks for cuda:r (here refused by name, as the build has no CUDA)
if grep -q '^CMIMIC_CUDA:BOOL=OFF' "$(dirname "$CMIMIC")/CMakeCache.txt" 2>/dev/null && command -v mpirun >/dev/null &&
   ldd "$CMIMIC" | grep -q libmpi; then
  root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
  set +e
  mpirun -np 2 --oversubscribe "${root[@]}" "$CMIMIC" run --arg_file args/deepmimic_humanoid_ppo_args.txt \
    --visualize false --max_samples 10 --out_dir "$t/out" --devices cuda >"$t/stdout" 2>"$t/stderr"
  rc=$?
  set -e
  grep "device 'cuda" "$t/stderr"
  [ $rc -ne 0 ] && [ ! -e "$t/out" ]
  # each rank that got as far as its device names cuda:<its rank> (the first to fail aborts the job,
  # which may stop the other before it prints)
  lines=$(grep -c "^cmimic run: rank [01]: device 'cuda:[01]': this cmimic was built without CUDA" "$t/stderr")
  [ "$lines" -ge 1 ] && [ "$(grep -c "^cmimic run: rank \([01]\): device 'cuda:\1'" "$t/stderr")" -eq "$lines" ]
fi
echo "dist inputs: ok"
