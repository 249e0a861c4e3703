#!/usr/bin/env bash
# Reads a training output folder's TensorBoard events with TensorBoard itself (the `tensorboard`
# Python package's EventAccumulator, as its web UI loads them) and checks them against log.txt:
# prints every scalar tag with its number of steps and its first and last step, and exits
# non-zero when no events are found or a tag's step count differs from log.txt's rows (MimicKit's
# TBLogger writes every column at every row; a corrupt record shows this way too, as TensorBoard
# stops reading a file there).
# Needs only python3 with tensorboard (pip install tensorboard; no TensorFlow).
# Usage: bench/tb_check.sh OUT_DIR [PYTHON]      e.g. bench/tb_check.sh output/
set -euo pipefail
dir=${1:?usage: bench/tb_check.sh OUT_DIR [PYTHON]}
py=${2:-python3}
ls "$dir"/*tfevents* >/dev/null 2>&1 || { echo "FAIL: no events.out.tfevents.* in $dir"; exit 1; }
"$py" - "$dir" <<'PY'
import glob, os, sys
try:
    from tensorboard.backend.event_processing import event_accumulator, event_file_loader
except ImportError as e:
    sys.exit("FAIL: the tensorboard package is not installed for this python (%s)" % e)
d = sys.argv[1]
# Records per file as TensorBoard's loader reads them: at a corrupt record (bad CRC, torn tail)
# it stops that file with a warning, so damage shows up as steps missing against log.txt below.
for f in sorted(glob.glob(os.path.join(d, "*tfevents*"))):
    n = sum(1 for _ in event_file_loader.EventFileLoader(f).Load())
    print("%s: %d records" % (os.path.basename(f), n))
acc = event_accumulator.EventAccumulator(d, size_guidance={event_accumulator.SCALARS: 0})
acc.Reload()
tags = sorted(acc.Tags()["scalars"])
if not tags:
    sys.exit("FAIL: TensorBoard found no scalars in " + d)
rows = None
log = os.path.join(d, "log.txt")
if os.path.exists(log):
    lines = [l for l in open(log, newline="").read().replace("\r", "\n").split("\n") if l.strip()]
    rows = len(lines) - 1
bad = 0
for t in tags:
    ev = acc.Scalars(t)
    steps = [e.step for e in ev]
    print("%-40s %5d steps  %d .. %d  last %.6g" % (t, len(ev), steps[0], steps[-1], ev[-1].value))
    if rows is not None and len(ev) != rows:
        print("FAIL: %s has %d steps, log.txt %d rows" % (t, len(ev), rows))
        bad += 1
print("%d tags%s" % (len(tags), "" if rows is None else ", log.txt %d rows" % rows))
sys.exit(1 if bad else 0)
PY
