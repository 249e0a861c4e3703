#!/usr/bin/env bash
# cmimic plot as a user runs it, its files read by python's own modules (tests/oracles/plot_check.py:
# zlib/struct for the PNG, xml.etree for the SVG): three logs overlaid as PNG and as SVG (one curve
# per log, in its colour, antialiased), --smooth (the smoothed curve's points are python's moving
# average of the log, up to the axis' scale and offset, over the faint raw one) and --x Wall_Time
# (the points' x follow the log's wall time, not its samples).
set -eu
t="$CM_TMP/plot"
rm -rf "$t" && mkdir -p "$t"
# MimicKit's log.txt: fields left-justified in 25 characters, lines ending in '\r'; wall time
# grows faster than the sample count so that the two x axes differ
python3 - "$t" <<'PY'
import math, random, sys
random.seed(7)
for name, rate, noise in (("ppo_a", 3, 12), ("ppo_b", 1.5, 15), ("amp", 5, 25)):
    cols = ["Iteration", "Wall_Time", "Samples", "Test_Return", "Train_Return"]
    rows = ["".join(f"{c:<25}" for c in cols)]
    for i in range(80):
        ret = 300 * (1 - math.exp(-rate * i / 80)) + random.gauss(0, noise)
        vals = [i * 10, 0.002 * i + 0.0001 * i * i, i * 40960, ret, 0.8 * ret]
        rows.append("".join(f"{v!r:<25}" for v in vals))
    import os
    os.makedirs(f"{sys.argv[1]}/{name}", exist_ok=True)
    open(f"{sys.argv[1]}/{name}/log.txt", "w", newline="").write("\r".join(rows) + "\r")
PY
logs=("$t/ppo_a/log.txt" "$t/ppo_b/log.txt" "$t/amp/log.txt")
"$CMIMIC" plot "${logs[@]}" -o "$t/three.png" | grep -q "wrote $t/three.png (3 series, 240 points)"
python3 tests/oracles/plot_check.py "$t/three.png" --series 3 --size 960x640
"$CMIMIC" plot "${logs[@]}" -o "$t/three.svg" --width 800 --height 500 >/dev/null
python3 tests/oracles/plot_check.py "$t/three.svg" --series 3 --size 800x500
"$CMIMIC" plot "${logs[0]}" -o "$t/smooth.svg" --smooth 7 --x Wall_Time >/dev/null
python3 tests/oracles/plot_check.py "$t/smooth.svg" --series 1 --faint 1
python3 - "$t/smooth.svg" "${logs[0]}" <<'PY'
import re, sys, xml.etree.ElementTree as ET
lines = [l.split() for l in open(sys.argv[2], newline="").read().split("\r") if l.strip()]
col = lambda name: [float(r[lines[0].index(name)]) for r in lines[1:]]
wall, samples, ret = col("Wall_Time"), col("Samples"), col("Test_Return")
smooth = [sum(ret[max(0, i - 3):i + 4]) / len(ret[max(0, i - 3):i + 4]) for i in range(len(ret))]
paths = {}
for el in ET.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}path"):
    st = el.get("style", "")
    if "stroke:rgb(12.156863%,46.666667%,70.588235%)" in st:  # tab10 blue, series 0
        faint = re.search(r"stroke-opacity:([\d.]+)", st)
        paths["raw" if faint and float(faint.group(1)) < 1 else "smooth"] = [
            tuple(map(float, p)) for p in re.findall(r"[ML] ([-\d.e]+) ([-\d.e]+)", el.get("d"))]
def affine_error(px, values):
    # least-squares line px = a + b * value; the worst residual in pixels
    n = len(values); mv = sum(values) / n; mp = sum(px) / n
    b = sum((v - mv) * (p - mp) for v, p in zip(values, px)) / sum((v - mv) ** 2 for v in values)
    return max(abs(p - (mp + b * (v - mv))) for v, p in zip(values, px))
for kind, ys in (("smooth", smooth), ("raw", ret)):
    pts = paths[kind]
    assert len(pts) == len(ys), (kind, len(pts), len(ys))
    ey = affine_error([p[1] for p in pts], ys)
    ex_wall = affine_error([p[0] for p in pts], wall)
    ex_samples = affine_error([p[0] for p in pts], samples)
    assert ey < 0.05 and ex_wall < 0.05 and ex_samples > 5, (kind, ey, ex_wall, ex_samples)
    print(f"{kind}: {len(pts)} points, y off the log's values by {ey:.4f} px, x off wall time by {ex_wall:.4f} px "
          f"(off samples by {ex_samples:.1f} px)")
# not a moving average over a different window
ey6 = affine_error([p[1] for p in paths["smooth"]],
                   [sum(ret[max(0, i - 2):i + 3]) / len(ret[max(0, i - 2):i + 3]) for i in range(len(ret))])
assert ey6 > 0.5, ey6
PY
if "$CMIMIC" plot "${logs[0]}" -o "$t/curve.jpg" 2>"$t/err"; then echo "a .jpg output was accepted"; exit 1; fi
grep -q "must end in .png or .svg" "$t/err" && [ ! -e "$t/curve.jpg" ]
# bad input: one line each, exit 2, no usage dump: a misspelt flag (did you mean), no log, no -o
for bad in "${logs[0]} --smoth 3 -o $t/x.png" "-o $t/x.png" "${logs[0]}"; do
  set +e; "$CMIMIC" plot $bad >/dev/null 2>"$t/err"; rc=$?; set -e
  [ $rc -eq 2 ] && [ "$(wc -l <"$t/err")" -eq 1 ] || { cat "$t/err"; echo "plot $bad: exit $rc, not one line"; exit 1; }
  [ "$bad" != "${logs[0]} --smoth 3 -o $t/x.png" ] || grep -q "unknown flag --smoth (did you mean --smooth?)" "$t/err"
done
echo "plot ok"
