#!/usr/bin/env bash
# make demo: the main job on the embedded default (CPU engine, bundled humanoid and motion).
set -euo pipefail
bin=${1:-build/release/cmimic}
echo "cmimic demo: not yet available"
