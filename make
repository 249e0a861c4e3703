#!/bin/sh
# The README's two commands go through here: ./make demo, ./make test.
# A fresh Debian 12 has no make, compiler or CMake yet, so this installs what the build needs
# (tools/deps.sh: apt-get, via sudo when not root) and then hands over to GNU make and the
# Makefile. Once the packages are there, `make demo` / `make test` do exactly the same.
set -eu
cd "$(dirname "$0")"
sh tools/deps.sh
exec make "$@"
