#!/bin/sh
# Installs the Debian packages cmimic builds, runs and tests with; skips what is already there.
# POSIX sh on purpose: it is the first thing a fresh (even minimal) Debian 12 runs, through ./make.
# Uses sudo when not root. Safe to run repeatedly (./make calls it every time).
set -eu
pkgs="cmake make gcc libc6-dev pkg-config libmujoco-dev libyaml-dev libopenblas-dev libcjson-dev
      libpng-dev zlib1g-dev libosmesa6-dev libglfw3-dev libcairo2-dev ffmpeg python3 procps
      libopenmpi-dev openmpi-bin xvfb x11-apps xdotool"
# xvfb, x11-apps (xwd) and xdotool (7 MB) let tests/cli/test_viewer.sh open the --visualize window
# on a virtual display and press its keys.
# `tools/deps.sh test` (make test) also installs Chromium (290 MB), in which test_report.sh renders
# the report pages; make demo does not need it. Where it cannot be installed the tests run
# without it and test_report.sh says that its browser check was skipped.
extras=""
[ "${1:-}" = test ] && extras="chromium"
missing_of() {
  m=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || m="$m $p"
  done
  echo "$m"
}
# shellcheck disable=SC2086 # the package lists are meant to split
missing=$(missing_of $pkgs)
# shellcheck disable=SC2086
missing_extras=$(missing_of $extras)
[ -z "$missing$missing_extras" ] && exit 0
# the test extras never fail the build: without them only a browser check is skipped
soft_note="cmimic: could not install$missing_extras (only test_report.sh's browser check needs it); going on without"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=sudo
  elif [ -n "$missing" ]; then
    echo "cmimic: these Debian packages are missing:$missing; run this as root once, or install sudo" >&2
    exit 1
  else echo "$soft_note"; exit 0; fi
fi
echo "cmimic: installing Debian packages:$missing$missing_extras"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
  $sudo_cmd apt-get update -qq
  # shellcheck disable=SC2086
  $sudo_cmd apt-get install -y -qq --no-install-recommends $missing
fi
if [ -n "$missing_extras" ]; then
  # shellcheck disable=SC2086
  { [ -n "$missing" ] || $sudo_cmd apt-get update -qq; } &&
    $sudo_cmd apt-get install -y -qq --no-install-recommends $missing_extras || echo "$soft_note"
fi
