#!/bin/sh
# Installs the Debian packages cmimic builds, runs and tests with; skips what is already there.
# POSIX sh on purpose: it is the first thing a fresh (even minimal) Debian 12 runs, through ./make.
# Uses sudo when not root. Safe to run repeatedly (./make calls it every time).
set -eu
pkgs="cmake make gcc libc6-dev pkg-config libmujoco-dev libyaml-dev libopenblas-dev libcjson-dev
      libpng-dev zlib1g-dev libosmesa6-dev libglfw3-dev libcairo2-dev ffmpeg python3 procps
      libopenmpi-dev openmpi-bin xvfb x11-apps xdotool"
# xvfb, x11-apps (xwd) and xdotool (7 MB) let tests/cli/test_viewer.sh open the --visualize window
# on a virtual display and press its keys. Chromium (290 MB) is not installed: test_report.sh
# renders its pages in it only where it is there (apt-get install chromium), and says so otherwise.
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "cmimic: installing Debian packages:$missing"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "cmimic: these Debian packages are missing:$missing; run this as root once, or install sudo" >&2
    exit 1
  fi
  sudo_cmd=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
# shellcheck disable=SC2086 # the package list is meant to split
$sudo_cmd apt-get install -y -qq --no-install-recommends $missing
