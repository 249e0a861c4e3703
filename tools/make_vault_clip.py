#!/usr/bin/env python3
"""Makes the vault substitute clip: DeepMimic's standing broad jump with its flight retimed so it
clears data/assets/objects/vault_box.xml placed where MimicKit's vault_humanoid env puts it.

MimicKit's parkour clips (humanoid_speed_vault, g1_double_kong) are not public. This keeps the
jump's take-off and landing as they are and stretches only the flight: vertical displacement
above the take-off height times K, time times sqrt(K), horizontal displacement times sqrt(K),
which is again a ballistic flight under the same gravity (z - z0 = v t - g t^2 / 2 scaled by K
with t scaled by sqrt(K) and v by sqrt(K)); the policy has to take off harder. The clip is then
moved so the highest point of the flight lies LEAD past the box centre (the feet hang lowest on
the way down, so the box comes a little before the apex).

  python3 tools/make_vault_clip.py            (run from the repository root)
  python3 tools/make_vault_clip.py align-g1   (after retargeting the double to G1)
The single jump uses K 2.5 (the flight rises 0.63 m instead of 0.25 m, take-off 1.58x faster
vertically; no humanoid geom comes within 0.1 m of the 0.4 m box; with K 2.0 the feet graze its
far edge); the double uses K 3.0, which G1 (0.742 the size) needs to clear its boxes by 4 cm.
Reads data/motions/humanoid/humanoid_jump.pkl, writes data/motions/humanoid/humanoid_speed_vault.pkl
(one jump over the box of vault_humanoid) and humanoid_double_kong.pkl (two jumps towards -x,
retargeted to G1 as g1_double_kong.pkl over the two boxes of vault_g1), loop_mode clamp. tests/unit/test_vault_clip.c checks MuJoCo finds no contact with the box."""
import math
import os
import pickle
import sys

SRC = "data/motions/humanoid/humanoid_jump.pkl"
DST = "data/motions/humanoid/humanoid_speed_vault.pkl"
DOUBLE = "data/motions/humanoid/humanoid_double_kong.pkl"
# MimicKit's vault_g1 boxes are 1.09 m apart; G1 plays humanoid clips scaled by 0.742
# (data/retarget/humanoid_to_g1.yaml), so the humanoid's two jumps start 1.09 / 0.742 m apart
DOUBLE_SPACING = 1.09 / 0.742
BOX_XY = (2.2, 0.5)  # data/envs/vault_humanoid_env.yaml objects pos (MimicKit's)


def quat_from_expmap(e):
    a = math.sqrt(sum(x * x for x in e))
    if a < 1e-12:
        return [0.5 * e[0], 0.5 * e[1], 0.5 * e[2], 1.0]
    s = math.sin(0.5 * a) / a
    return [e[0] * s, e[1] * s, e[2] * s, math.cos(0.5 * a)]


def expmap_from_quat(q):
    if q[3] < 0:
        q = [-x for x in q]
    s = math.sqrt(q[0] ** 2 + q[1] ** 2 + q[2] ** 2)
    a = 2 * math.atan2(s, q[3])
    k = a / s if s > 1e-12 else 2.0
    return [q[0] * k, q[1] * k, q[2] * k]


def slerp(a, b, t):
    d = sum(x * y for x, y in zip(a, b))
    if d < 0:
        b, d = [-x for x in b], -d
    if d > 0.9995:
        q = [x + t * (y - x) for x, y in zip(a, b)]
    else:
        th = math.acos(d)
        wa, wb = math.sin((1 - t) * th) / math.sin(th), math.sin(t * th) / math.sin(th)
        q = [wa * x + wb * y for x, y in zip(a, b)]
    n = math.sqrt(sum(x * x for x in q))
    return [x / n for x in q]


# the humanoid's dof layout: (first dof, 3 = spherical exp-map | 1 = hinge), after root 6
JOINTS = [(0, 3), (3, 3), (6, 3), (9, 1), (10, 3), (13, 1), (14, 3), (17, 1), (18, 3), (21, 3), (24, 1), (25, 3)]


def sample(frames, fps, t):
    """The source pose at time t (linear root position and hinges, slerp for rotations)."""
    f = min(max(t * fps, 0.0), len(frames) - 1.0)
    i = min(int(f), len(frames) - 2)
    a = f - i
    p, q = frames[i], frames[i + 1]
    out = [p[k] + a * (q[k] - p[k]) for k in range(3)]
    out += expmap_from_quat(slerp(quat_from_expmap(p[3:6]), quat_from_expmap(q[3:6]), a))
    for d, n in JOINTS:
        k = 6 + d
        if n == 1:
            out.append(p[k] + a * (q[k] - p[k]))
        else:
            out += expmap_from_quat(slerp(quat_from_expmap(p[k:k + 3]), quat_from_expmap(q[k:k + 3]), a))
    return out


def retimed_jump(K):
    """The broad jump with its flight stretched by K (see the module doc), unshifted; fps."""
    m = pickle.load(open(SRC, "rb"))
    fr, fps = m["frames"], m["fps"]
    z_stand = fr[0][2]
    apex = max(range(len(fr)), key=lambda i: fr[i][2])
    a = apex
    while a > 0 and fr[a][2] > z_stand:  # flight: root above its standing height
        a -= 1
    b = apex
    while b < len(fr) - 1 and fr[b][2] > z_stand:
        b += 1
    ta, tb, s = a / fps, b / fps, math.sqrt(K)
    xa, za = fr[a][0], fr[a][2]
    dx_flight = (s - 1) * (fr[b][0] - xa)
    out_len = (len(fr) - 1) / fps + (s - 1) * (tb - ta)
    n = int(round(out_len * fps)) + 1
    frames = []
    for i in range(n):
        t = i / fps
        if t <= ta:
            f = sample(fr, fps, t)
        elif t <= ta + s * (tb - ta):
            f = sample(fr, fps, ta + (t - ta) / s)
            f[0] = xa + s * (f[0] - xa)
            f[2] = za + K * (f[2] - za)
        else:
            f = sample(fr, fps, tb + (t - ta - s * (tb - ta)))
            f[0] += dx_flight
        frames.append(f)
    print("flight frames %d..%d of %d, K %.2f: apex %.3f m -> %.3f m above standing, %d frames"
          % (a, b, len(fr), K, fr[apex][2] - z_stand, max(f[2] for f in frames) - z_stand, n))
    return frames, fps


def save(path, frames, fps):
    out = {"loop_mode": 0, "fps": fps, "frames": [[float(v) for v in f] for f in frames]}
    with open(path + ".tmp", "wb") as fh:
        pickle.dump(out, fh)
    os.replace(path + ".tmp", path)
    print("wrote", path)


def apexes(frames):
    """Frames where the root is highest in each flight (local maxima well above standing)."""
    z0 = frames[0][2]
    return [i for i in range(1, len(frames) - 1)
            if frames[i][2] > z0 + 0.2 and frames[i][2] >= frames[i - 1][2] and frames[i][2] > frames[i + 1][2]]


def turn_around(frames):
    """The clip rotated 180 degrees about the vertical: x -> -x, y -> -y, root turned."""
    out = []
    for f in frames:
        g = list(f)
        g[0], g[1] = -f[0], -f[1]
        q = quat_from_expmap(f[3:6])
        g[3:6] = expmap_from_quat([-q[1], q[0], q[3], -q[2]])  # Rz(pi) * q
        out.append(g)
    return out


G1_DOUBLE = "data/motions/g1/g1_double_kong.pkl"
G1_BOXES_X, G1_BOX_Y = (-6.53, -7.62), 0.06  # data/envs/vault_g1_env.yaml objects (MimicKit's)


def align_g1(lead):  # noqa: the G1 scale 0.742 is humanoid_to_g1's
    """Moves the retargeted G1 double so its first apex lies LEAD x 0.742 past the first box."""
    m = pickle.load(open(G1_DOUBLE, "rb"))
    fr, fps = m["frames"], m["fps"]
    tops = apexes(fr)
    ox = G1_BOXES_X[0] - 0.742 * lead - fr[tops[0]][0]
    oy = G1_BOX_Y - fr[tops[0]][1]
    out = [[f[0] + ox, f[1] + oy] + f[2:] for f in fr]
    save(G1_DOUBLE, out, fps)
    print("G1 double: apexes at x %s (boxes at %s)" % (", ".join("%.2f" % out[i][0] for i in tops), G1_BOXES_X))


K_SINGLE, LEAD_SINGLE = 2.5, 0.1  # humanoid_speed_vault: flight stretch, apex past the box (m)
K_DOUBLE, LEAD_G1 = 3.0, 0.0      # humanoid_double_kong / g1_double_kong


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "align-g1":
        align_g1(LEAD_G1)
        return
    frames, fps = retimed_jump(K_SINGLE)
    # the single vault: its apex LEAD_SINGLE past MimicKit's box
    top = apexes(frames)[0]
    ox, oy = BOX_XY[0] + LEAD_SINGLE - frames[top][0], BOX_XY[1] - frames[top][1]
    save(DST, [[f[0] + ox, f[1] + oy] + f[2:] for f in frames], fps)
    # the double: the jump (stretched K_DOUBLE, G1 being lower) twice, the second started
    # DOUBLE_SPACING further on (the first one's travel, the rest blended in over the standing
    # frames between them), turned to run towards -x like MimicKit's vault_g1 scene;
    # tools/retarget_motions.sh takes it to G1 and aligns it there (align-g1)
    frames, fps = retimed_jump(K_DOUBLE)
    travel = frames[-1][0] - frames[0][0]
    gap = DOUBLE_SPACING - travel
    second = []
    blend = 12
    for i, f in enumerate(frames[1:]):
        w = min(1.0, (i + 1) / blend)
        second.append([f[0] + travel + gap * w] + f[1:])
    save(DOUBLE, turn_around(frames + second), fps)


if __name__ == "__main__":
    main()
