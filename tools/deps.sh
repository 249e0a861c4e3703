#!/usr/bin/env bash
# Installs the Debian packages cmimic builds and runs with; skips what is already there.
# Uses sudo when not root. Safe to run repeatedly (make demo/test call it every time).
set -euo pipefail
pkgs=(cmake make gcc pkg-config libmujoco-dev libyaml-dev libopenblas-dev libcjson-dev
      libpng-dev zlib1g-dev libosmesa6-dev libglfw3-dev ffmpeg python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "cmimic: installing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
