#!/usr/bin/env bash
# The robot user's path: retarget a humanoid clip to every destination and a dog clip to Go2,
# read the error figures, and bring a GMR pickle in with `convert gmr` (python3 + numpy write
# the GMR file from a shipped clip; the round trip must give the clip back).
set -eu
: "${CMIMIC:?}" "${CM_TMP:=/tmp/cmimic_cli}"
t="$CM_TMP/retarget"
rm -rf "$t" && mkdir -p "$t"
for dst in g1 pi_plus smpl humanoid_sword_shield; do
  "$CMIMIC" retarget --src humanoid --dst $dst data/motions/humanoid/humanoid_jog.pkl "$t/$dst.pkl" | tee "$t/$dst.log"
  mean=$(sed -n 's/^key-body position error: mean \([0-9.]*\) m.*/\1/p' "$t/$dst.log")
  pen=$(sed -n 's/^ground penetration: max \([0-9.]*\) m.*/\1/p' "$t/$dst.log")
  grep -q '^joint limit violations: 0;' "$t/$dst.log"
  awk -v m="$mean" -v p="$pen" 'BEGIN { exit !(m < 0.12 && p < 0.002) }'
  [ -s "$t/$dst.pkl" ]
done
"$CMIMIC" retarget --src dog3d --dst go2 data/motions/dog3d/dog3d_trot.pkl "$t/go2.pkl" | tee "$t/go2.log"
grep -q '^joint limit violations: 0;' "$t/go2.log"
if python3 -c "import numpy" 2>/dev/null; then
  python3 - "$t" <<'PY'
import pickle, sys, numpy as np
t = sys.argv[1]
m = pickle.load(open("data/motions/g1/g1_walk.pkl", "rb"))
f = np.array(m["frames"], dtype=np.float64)
e = f[:, 3:6]
ang = np.linalg.norm(e, axis=1, keepdims=True)
axis = np.where(ang > 1e-9, e / np.maximum(ang, 1e-12), [[1.0, 0.0, 0.0]])
q = np.concatenate([axis * np.sin(ang / 2), np.cos(ang / 2)], axis=1)  # x, y, z, w
gmr = {"fps": int(round(m["fps"])), "root_pos": f[:, :3], "root_rot": q, "dof_pos": f[:, 6:],
       "local_body_pos": None, "link_body_list": None}
pickle.dump(gmr, open(t + "/gmr.pkl", "wb"))
PY
  "$CMIMIC" convert gmr --loop clamp "$t/gmr.pkl" "$t/from_gmr.pkl"
  python3 - "$t" <<'PY'
import pickle, sys, numpy as np
t = sys.argv[1]
a = np.array(pickle.load(open("data/motions/g1/g1_walk.pkl", "rb"))["frames"])
m = pickle.load(open(t + "/from_gmr.pkl", "rb"))
b = np.array(m["frames"])
assert m["loop_mode"] == 0 and a.shape == b.shape, (m["loop_mode"], a.shape, b.shape)
err = np.abs(a - b).max()
print("gmr round trip: max difference", err)
assert err < 1e-4
PY
fi
echo "retarget: ok"
