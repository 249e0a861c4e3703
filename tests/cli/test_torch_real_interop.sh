#!/usr/bin/env bash
# Real PyTorch both ways for a DeepMimic agent, when an interpreter here can import torch (Debian's
# python3-torch, or the device machine's): bench/torch_interop_check.sh (torch.load + strict load
# into MimicKit-shaped modules; torch.save'd files test in cmimic; wrong ones refused in one line).
# Without torch it skips with a message; tests/cli/test_torch_interop.sh covers the same file layout
# with python3's own pickler then.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
py=
for c in python3 /usr/bin/python3; do
  if "$c" -c 'import torch' >/dev/null 2>&1; then py=$c; break; fi
done
[ -n "$py" ] || { echo "SKIP: no python3 here imports torch (real torch.load/torch.save interop not tested)"; exit 0; }
PYTHON=$py CM_TORCH_CASES=deepmimic bench/torch_interop_check.sh "$CMIMIC" "$CM_TMP/torch_real_interop"
