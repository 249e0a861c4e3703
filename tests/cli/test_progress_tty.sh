#!/usr/bin/env bash
# A long retarget (a 100-second clip: the walk repeated) draws a progress line on a terminal and
# nothing when stderr is not one. The terminal is a pseudo-terminal opened by python's own pty
# module: its stderr holds "\rretarget: N/3000 frames (P%), ETA ..." redraws with N rising to
# 3000, then the line is erased ("\r\033[K"); stdout has the same results either way. Piped,
# stderr is empty.
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/progress_tty"
rm -rf "$t" && mkdir -p "$t"
python3 - "$t/long.pkl" <<'PY'
import pickle, sys
d = pickle.load(open("data/motions/humanoid/humanoid_walk.pkl", "rb"))
d["frames"] = (d["frames"] * (3000 // len(d["frames"]) + 1))[:3000]
pickle.dump(d, open(sys.argv[1], "wb"), protocol=2)
PY
cmd=("$CMIMIC" retarget --src humanoid --dst g1 "$t/long.pkl" "$t/g1.pkl")
python3 - "$t" "${cmd[@]}" <<'PY'
import os, pty, re, subprocess, sys
t, cmd = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave)
os.close(slave)
err = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: the child closed its end
        break
    if not chunk:
        break
    err += chunk
out = p.stdout.read()
assert p.wait() == 0, p.returncode
open(t + "/tty.out", "wb").write(out)
text = err.decode()
done = [int(n) for n in re.findall(r"\rretarget: (\d+)/3000 frames \(\d+%\), ETA (?:\?|\d+s|\d+m\d\ds)\x1b\[K", text)]
assert done and done == sorted(done) and done[-1] == 3000, (done, text[-200:])
assert text.endswith("\r\x1b[K"), repr(text[-40:])  # erased: the terminal keeps only the results
assert len(done) <= 5 * 60, len(done)                # redrawn at most five times a second
print("progress on a terminal:", len(done), "redraws, frames", done[:3], "...", done[-1])
PY
"${cmd[@]}" >"$t/pipe.out" 2>"$t/pipe.err"
[ ! -s "$t/pipe.err" ] || { cat "$t/pipe.err"; echo "progress written to a pipe"; exit 1; }
cmp "$t/pipe.out" "$t/tty.out"
echo "progress tty: ok"
