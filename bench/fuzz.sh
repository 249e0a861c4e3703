#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with Debian's clang, AddressSanitizer and
# UBSan, and runs each for SECONDS (default 60) from its seeds (tests/fuzz/seeds/<t>.list: the
# shipped files, hand-made seeds and every regression input) with its dictionary.
#   bench/fuzz.sh [SECONDS] [TARGET ...]      e.g. bench/fuzz.sh 600     bench/fuzz.sh 30 pickle mjcf
# Everything lands in build/fuzz (CM_FUZZ_BUILD): bin/, corpus/<t>/ (kept between runs, so a
# later campaign continues), artifacts/<t>/ (crash-*, leak-*, timeout-* inputs), logs/<t>.log,
# and summary.tsv (target, seconds, seed files, executions, exec/s, coverage edges, features, corpus files,
# corpus bytes, crash-/leak-/timeout-/other artefacts, timeouts under load). An input slower than 1 s
# is a hang (-timeout=1) unless it runs fast alone (see LOAD_MS below). Exit status 1 when any
# target left an artefact. Each target's fixed bugs keep their input under
# tests/fuzz/regressions/<t>/, which ctest replays (fuzz_replay_<t>).
# Targets run one after another (one fuzzing process at a time) at nice CM_FUZZ_NICE (default 19),
# so a campaign on a shared machine takes idle cycles only. CM_FUZZ_EXTRA_SEEDS=DIR adds DIR/<t>/*
# to each target's seeds (bench/fuzz_outside_seeds.sh DIR makes inputs that are not in the repo).
set -euo pipefail
SECS=${1:-60}
shift || true
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${CM_FUZZ_BUILD:-$ROOT/build/fuzz}
CC=${CM_FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
cd "$ROOT"
mkdir -p "$B/obj" "$B/bin" "$B/logs"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c17 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -DCM_SOURCE_DIR=\"$ROOT\" -Isrc -Itests/fuzz \
  $(pkg-config --cflags yaml-0.1 libcjson libpng zlib)"
LIBS="-lmujoco $(pkg-config --libs yaml-0.1 libcjson libpng zlib) -lm -lpthread -ldl"
# The loaders and what they call; the archive lets each target pull only the objects it needs.
SRCS=$(ls src/core/*.c src/io/*.c src/anim/*.c src/harness/attempts.c \
  src/harness/summary.c src/harness/failure.c)

echo "== building with $CC into $B"
for s in $SRCS; do
  o="$B/obj/$(echo "${s#src/}" | tr / _).o"
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find src -name '*.h' -newer "$o" -print -quit)" ]; then
    echo "$s $o"
  fi
done | nice -n "${CM_FUZZ_NICE:-19}" xargs -r -P 2 -n 2 sh -c "$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c \"\$0\" -o \"\$1\""
rm -f "$B/libcm_fuzz.a"
ar rcs "$B/libcm_fuzz.a" "$B"/obj/*.o

TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do t=${f##*/fuzz_}; TARGETS+=("${t%.c}"); done
fi
for t in "${TARGETS[@]}"; do
  $CC $CFLAGS $SAN -fsanitize=fuzzer "tests/fuzz/fuzz_$t.c" "$B/libcm_fuzz.a" $LIBS -o "$B/bin/fuzz_$t"
done

# The seed corpus: every file the list names, copied so libFuzzer may read it as a folder.
seed_dir() {
  local t=$1 d="$B/seeds/$1"
  rm -rf "$d" && mkdir -p "$d"
  while IFS= read -r pat; do
    case $pat in ''|'#'*) continue ;; esac
    pat=${pat#\?}
    for f in $pat; do [ -f "$f" ] && cp "$f" "$d/$(echo "$f" | tr / _)"; done
  done < "tests/fuzz/seeds/$t.list"
  if [ -n "${CM_FUZZ_EXTRA_SEEDS:-}" ] && [ -d "$CM_FUZZ_EXTRA_SEEDS/$t" ]; then
    for f in "$CM_FUZZ_EXTRA_SEEDS/$t"/*; do [ -f "$f" ] && cp "$f" "$d/extra_${f##*/}"; done
  fi
  echo "$d"
}

TMP=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && TMP=/dev/shm
printf 'target\tseconds\tseed_files\texecs\texec_per_s\tcov\tft\tcorpus_files\tcorpus_bytes\tcrashes\tleaks\thangs\tother\tload_timeouts\n' > "$B/summary.tsv"
# libFuzzer's -timeout is wall-clock time and stops the run: on a shared machine a niced target can
# be starved past 1 s on an input that takes milliseconds. Each timeout input is therefore run
# again alone (3 times): if its fastest run takes under LOAD_MS it goes to artifacts/<t>/load/
# (counted as load_timeouts, not hangs) and the campaign goes on for the rest of its seconds.
# The replays run at the default priority: at nice 19 beside busy processes a run of a few ms
# can wait a second for the CPU, and the replay would call a starved input a hang.
LOAD_MS=${CM_FUZZ_LOAD_MS:-250}
replay_ms() { # fastest of three runs of one input, in ms, as libFuzzer reports it
  for _ in 1 2 3; do
    ASAN_OPTIONS=detect_leaks=0 "$B/bin/fuzz_$1" -runs=1 "$2" 2>&1 | sed -n 's/^Executed .* in \([0-9]*\) ms$/\1/p'
  done | sort -n | head -1
}
bad=0
for t in "${TARGETS[@]}"; do
  seeds=$(seed_dir "$t")
  mkdir -p "$B/corpus/$t" "$B/artifacts/$t"
  dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  echo "== fuzz_$t: $SECS s"
  : > "$B/logs/$t.log"
  left=$SECS execs=0 load=0
  while [ "$left" -gt 0 ]; do
    t0=$(date +%s)
    set +e
    TMPDIR=$TMP ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
      nice -n "${CM_FUZZ_NICE:-19}" "$B/bin/fuzz_$t" -max_total_time="$left" -timeout=1 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$B/artifacts/$t/" "${dict[@]}" "$B/corpus/$t" "$seeds" \
      > "$B/logs/$t.part.log" 2>&1
    set -e
    cat "$B/logs/$t.part.log" >> "$B/logs/$t.log"
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/logs/$t.part.log" | tail -1)
    execs=$((execs + ${n:-0}))
    left=$((left - ($(date +%s) - t0)))
    again=0
    for f in "$B/artifacts/$t"/timeout-*; do
      [ -f "$f" ] || continue
      ms=$(replay_ms "$t" "$f")
      if [ -n "$ms" ] && [ "$ms" -lt "$LOAD_MS" ]; then
        mkdir -p "$B/artifacts/$t/load" && mv "$f" "$B/artifacts/$t/load/"
        echo "   ${f##*/}: a timeout under load (runs alone in $ms ms); $left s of the campaign left" | tee -a "$B/logs/$t.log"
        load=$((load + 1)) again=1
      fi
    done
    [ $again -eq 1 ] || break
  done
  rm -f "$B/logs/$t.part.log"
  rate=$((execs / (SECS > 0 ? SECS : 1)))
  last=$(grep -E '^#[0-9]+' "$B/logs/$t.log" | tail -1)
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  files=$(find "$B/corpus/$t" -type f | wc -l)
  bytes=$(du -sb "$B/corpus/$t" | cut -f1)
  nseeds=$(find "$seeds" -type f | wc -l)
  arts=$(find "$B/artifacts/$t" -maxdepth 1 -type f | wc -l)
  crash=$(find "$B/artifacts/$t" -maxdepth 1 -type f -name 'crash-*' | wc -l)
  leak=$(find "$B/artifacts/$t" -maxdepth 1 -type f -name 'leak-*' | wc -l)
  hang=$(find "$B/artifacts/$t" -maxdepth 1 -type f -name 'timeout-*' | wc -l)
  [ "$arts" -gt 0 ] && bad=1
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$SECS" "$nseeds" "$execs" "$rate" \
    "${cov:-?}" "${ft:-?}" "$files" "$bytes" "$crash" "$leak" "$hang" "$((arts - crash - leak - hang))" "$load" | tee -a "$B/summary.tsv"
  [ "$arts" -gt 0 ] && grep -m3 -E 'ERROR|runtime error|SUMMARY' "$B/logs/$t.log" || true
done
column -t "$B/summary.tsv"
exit $bad
