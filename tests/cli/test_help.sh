#!/usr/bin/env bash
# `cmimic CMD --help` for every command in `cmimic help`: exits 0, prints a usage line, and every
# flag it lists is one the command accepts. Acceptance is shown without running anything: all
# listed flags followed by a made-up one must be refused for the made-up one (commands check flag
# names in order before any work), and a one-letter typo of a listed flag gets "did you mean" a
# listed flag. Flags accepted but not listed can't exist: both come from one table (io/flags.h).
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/help"
rm -rf "$t" && mkdir -p "$t"
"$CMIMIC" help >"$t/main"
cmds=$(awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}' "$t/main")
[ "$(echo "$cmds" | wc -w)" -ge 9 ] || { echo "too few commands in cmimic help: $cmds"; exit 1; }
for c in $cmds; do
  "$CMIMIC" "$c" --help >"$t/$c.help" 2>"$t/$c.err" || { echo "$c --help exited non-zero"; cat "$t/$c.err"; exit 1; }
  grep -q "^usage: cmimic $c" "$t/$c.help" || { echo "$c --help: no usage line"; exit 1; }
  flags=$(awk '/^flags/ {on = 1; next} on && /^  --/ {sub(/^  --/, ""); print $1}' "$t/$c.help")
  listed=$(echo "$flags" | grep -vx help || true)
  n=$(echo "$listed" | grep -c . || true)
  # every listed line has a default column and a description
  for f in $listed; do
    awk -v f="--$f" '$1 == f && NF < 3 {bad = 1} END {exit bad}' "$t/$c.help" || { echo "$c --$f: no default/help text"; exit 1; }
  done
  if [ "$n" -eq 0 ]; then echo "$c: --help ok, no flags"; continue; fi
  # all listed flags at once, then a made-up one: refused for the made-up one only
  set -- ; for f in $listed; do set -- "$@" "--$f" x; done
  if "$CMIMIC" "$c" "$@" --zz_not_a_flag >"$t/out" 2>"$t/err"; then echo "$c: made-up flag accepted"; exit 1; fi
  grep -q -- "unknown flag --zz_not_a_flag" "$t/err" || { echo "$c: a listed flag is not accepted:"; cat "$t/err"; exit 1; }
  # typos of the first, a middle and the last listed flag get "did you mean" a listed flag
  k=0
  for f in $listed; do
    k=$((k + 1))
    [ "$k" -eq 1 ] || [ "$k" -eq $(((n + 1) / 2)) ] || [ "$k" -eq "$n" ] || continue
    [ "${#f}" -ge 4 ] || continue
    typo="${f%?}"   # drop the last letter
    echo "$listed" | grep -qx -- "$typo" && continue   # the shorter name is a flag itself
    if "$CMIMIC" "$c" "--$typo" x >"$t/out" 2>"$t/err"; then echo "$c --$typo: typo accepted"; exit 1; fi
    near=$(sed -n 's/.*(did you mean --\([^?]*\)?).*/\1/p' "$t/err")
    [ -n "$near" ] && echo "$listed" | grep -qx -- "$near" || { echo "$c --$typo: no did-you-mean of a listed flag:"; cat "$t/err"; exit 1; }
  done
  echo "$c: --help ok, $n flags accepted"
done
# run --help shows its defaults
grep -q -- "--num_envs  *1 " "$t/run.help" && grep -q -- "--logger  *tb " "$t/run.help"
# cmimic features: three "name: yes|no" lines, and "rendering" says what a plot request meets
"$CMIMIC" features >"$t/features"
[ "$(grep -cE '^(rendering|cuda|mpi): (yes|no)$' "$t/features")" -eq 3 ] && [ "$(wc -l <"$t/features")" -eq 3 ] ||
  { echo "features: not three yes/no lines:"; cat "$t/features"; exit 1; }
printf 'Iteration Samples Test_Return\n0 100 1.0\n1 200 2.0\n' >"$t/log.txt"
if "$CMIMIC" plot "$t/log.txt" -o "$t/f.png" >"$t/plot.out" 2>&1; then built=yes; else built=no; fi
grep -qx "rendering: $built" "$t/features" || { echo "features says $(grep rendering "$t/features") but a plot $( [ $built = yes ] && echo worked || echo failed):"; cat "$t/plot.out"; exit 1; }
echo "help ok"
