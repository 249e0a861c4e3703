# Sourced by a device call's script (docs/logs/run*/call*.sh) on the GPU machine: unpacks the
# binaries tools/devcarry.sh carried (.carry/bin/*.xz), finds cmimic and its libraries
# (bench/gpu_env.sh), and gives the call $R (its logs), $B (cmimic), $E (the cuda engine),
# stamp NAME (elapsed seconds into $R/times.txt) and pack NAME (everything in $R so far as one
# $OUT/NAME.tgz, so a call cut short still brings its finished stages back in one file).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
R=$OUT/r; mkdir -p "$R"
(cd .carry/bin && for f in *.xz; do [ -f "$f" ] && xz -d "$f"; done; chmod +x ./*)
. bench/gpu_env.sh
B=.carry/bin/cmimic; E=data/engines/cuda_engine.yaml
t0=$(date +%s)
stamp() { echo "$1 at $(( $(date +%s) - t0 )) s" >> "$R/times.txt"; }
pack() { tar --exclude='resume.pt' --exclude='model_*.pt' --exclude='model.pt' -C "$OUT" -czf "$OUT/$1.tgz.tmp" r &&
  mv "$OUT/$1.tgz.tmp" "$OUT/$1.tgz"; }
