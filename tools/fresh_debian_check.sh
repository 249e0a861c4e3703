#!/bin/sh
# Tries the README's two commands, as written, on a minimal Debian 12 (debootstrap --variant=minbase
# bookworm): builds the root, copies this checkout in (tracked and untracked files, no build
# outputs), runs `./make test` and `./make demo` there as root, and reports each exit code and time.
# Not part of `make test`: it takes many minutes and needs the Debian mirror. Needs root and
# debootstrap (apt-get install debootstrap).
#
#   tools/fresh_debian_check.sh [--keep] [--base DIR] [--commands "test demo"]
#     --base DIR   reuse a pristine debootstrap root kept at DIR (made there when missing); each
#                  check still runs in a fresh copy of it
#     --keep       leave the check's root in place (its path is printed) to look around
# Environment: CMIMIC_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
mirror=${CMIMIC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
keep=0; base=""; commands="test demo"
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    --base) base=$2; shift 2 ;;
    --commands) commands=$2; shift 2 ;;
    *) echo "fresh_debian_check: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "fresh_debian_check: needs root (debootstrap and chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh_debian_check: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

work=$(mktemp -d /var/tmp/cmimic-fresh.XXXXXX)
root="$work/root"
report="$work/report.tsv"
cleanup() {
  for m in dev/pts dev proc sys; do umount "$root/$m" 2>/dev/null || true; done
  if [ "$keep" -eq 0 ]; then rm -rf "$work"; else echo "fresh_debian_check: root kept at $root"; fi
}
trap cleanup EXIT INT TERM

t0=$(date +%s)
if [ -n "$base" ]; then
  if [ ! -x "$base/usr/bin/apt-get" ]; then
    echo "== debootstrap --variant=minbase bookworm $base"
    debootstrap --variant=minbase bookworm "$base" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -20 "$work/debootstrap.log"; exit 1; }
  fi
  cp -a "$base" "$root"
else
  echo "== debootstrap --variant=minbase bookworm $root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
fi
echo "== root ready after $(( $(date +%s) - t0 )) s; no make, cc or cmake in it:"
for tool in make cc gcc cmake; do
  if chroot "$root" sh -c "command -v $tool" >/dev/null 2>&1; then echo "   $tool: present (not a minimal root?)"; else echo "   $tool: absent"; fi
done

# The checkout as a user has it: tracked files plus untracked ones git does not ignore.
mkdir -p "$root/src/cmimic"
(cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar cf - 2>/dev/null) |
  (cd "$root/src/cmimic" && tar xf -)
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"; mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"; mount --bind /dev/pts "$root/dev/pts"

printf 'command\texit\tseconds\n' >"$report"
status=0
for c in $commands; do
  echo "== ./make $c   (in the minimal root; log: $work/$c.log)"
  s=$(date +%s)
  set +e
  chroot "$root" /bin/sh -c "cd /src/cmimic && ./make $c" >"$work/$c.log" 2>&1
  rc=$?
  set -e
  secs=$(( $(date +%s) - s ))
  printf '%s\t%s\t%s\n' "./make $c" "$rc" "$secs" >>"$report"
  tail -5 "$work/$c.log" | sed 's/^/   | /'
  echo "   exit $rc after $secs s"
  [ "$rc" -eq 0 ] || status=1
done
cp "$report" "$src/fresh_debian_check.tsv.tmp" && mv "$src/fresh_debian_check.tsv.tmp" "$src/fresh_debian_check.tsv"
echo "== summary (also in fresh_debian_check.tsv)"
cat "$report"
[ "$keep" -eq 1 ] && cp "$work"/*.log "$root/" 2>/dev/null || true
exit $status
