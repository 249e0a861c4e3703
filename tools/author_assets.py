#!/usr/bin/env python3
"""Writes the robot characters of data/assets/ (g1, go2, hightorque_pi_plus, smpl, sword_shield,
dog3d, objects) from public facts; data/assets/README.md says where each number came from.

The MJCFs are the shipped artefacts; this script is how they were made (and how to remake them
after changing a fact): python3 tools/author_assets.py  (run from the repository root).
Every file is plain MJCF for MuJoCo 2.2.2: primitive collision shapes, explicit inertials,
hinge joints at the body origins (cm_char's rule), PD gains as joint stiffness/damping (MimicKit
reads them as kp/kd), torque limits as motor gear with ctrlrange -1..1 (2.2.2 has no
actuatorfrcrange)."""
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fmt(v):
    return " ".join("%.6g" % x for x in v)


class Body:
    def __init__(self, name, pos=(0, 0, 0), quat=None, joints=(), geoms=(), inertial=None, children=()):
        self.name, self.pos, self.quat = name, pos, quat
        self.joints = list(joints)   # dicts: name, axis, range (rad), torque, kp, kd, armature
        self.geoms = list(geoms)     # xml attribute strings
        self.inertial = inertial     # (mass, pos, diaginertia) or None
        self.children = list(children)


def J(name, axis, lo, hi, torque, kp, kd, arm=0.01):
    return dict(name=name, axis=axis, range=(lo, hi), torque=torque, kp=kp, kd=kd, armature=arm)


def emit_body(b, depth, out, motors, root=False):
    ind = "  " * depth
    attrs = 'name="%s" pos="%s"' % (b.name, fmt(b.pos))
    if b.quat is not None:
        attrs += ' quat="%s"' % fmt(b.quat)
    if root:
        attrs += ' childclass="body"'
    out.append('%s<body %s>' % (ind, attrs))
    if root:
        out.append('%s  <freejoint name="root"/>' % ind)
    if b.inertial:
        m, p, d = b.inertial
        out.append('%s  <inertial mass="%.6g" pos="%s" diaginertia="%s"/>' % (ind, m, fmt(p), fmt(d)))
    for j in b.joints:
        out.append('%s  <joint name="%s" axis="%s" range="%.6g %.6g" stiffness="%.6g" damping="%.6g" armature="%.6g"/>'
                   % (ind, j["name"], fmt(j["axis"]), j["range"][0], j["range"][1], j["kp"], j["kd"], j["armature"]))
        motors.append((j["name"], j["torque"]))
    for g in b.geoms:
        out.append('%s  <geom %s/>' % (ind, g))
    for c in b.children:
        emit_body(c, depth + 1, out, motors)
    out.append('%s</body>' % ind)


def write_mjcf(path, model, comment, root, excludes=(), friction="1.0 0.05 0.05", extra_default=""):
    lines, motors = [], []
    emit_body(root, 2, lines, motors, root=True)
    txt = ["<!--", comment.strip("\n"), "-->",
           '<mujoco model="%s">' % model,
           '  <compiler angle="radian"/>',
           '  <default>',
           '    <motor ctrlrange="-1 1" ctrllimited="true"/>',
           '    <default class="body">',
           '      <geom condim="3" friction="%s" contype="1" conaffinity="1" solimp=".9 .99 .003" solref=".015 1"'
           ' rgba=".75 .78 .82 1"/>' % friction,
           '      <joint type="hinge" limited="true" solimplimit="0 .99 .01"/>',
           extra_default,
           '    </default>',
           '  </default>',
           '',
           '  <worldbody>']
    txt += lines
    txt += ['  </worldbody>']
    if excludes:
        txt += ['', '  <contact>']
        txt += ['    <exclude body1="%s" body2="%s"/>' % e for e in excludes]
        txt += ['  </contact>']
    txt += ['', '  <!-- torque limits: gear = limit in N m, control clamped to -1..1 -->', '  <actuator>']
    txt += ['    <motor name="%s" joint="%s" gear="%.6g"/>' % (n, n, t) for n, t in motors]
    txt += ['  </actuator>', '</mujoco>', '']
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write("\n".join(t for t in txt if t != ""  or True))
    print("wrote", path)


def box_inertia(m, hx, hy, hz):
    return (m / 3 * (hy * hy + hz * hz), m / 3 * (hx * hx + hz * hz), m / 3 * (hx * hx + hy * hy))


def rod_inertia(m, length, r, axis=2):
    a = m * (3 * r * r + length * length) / 12
    b = m * r * r / 2
    d = [a, a, a]
    d[axis] = b
    return tuple(d)


# ------------------------------------------------------------------ G1 (29 dof, 31 bodies)
def g1():
    # kinematics and masses: unitree_ros g1_29dof_rev_1_0 (as kept in GMR's g1_mocap_29dof.xml,
    # which keeps head_link); ranges/torques: unitree_ros rev_1_0. Gains: ours (README).
    Q_HIPROLL = (0.996179, 0, -0.0873386, 0)
    Q_KNEE = (0.996179, 0, 0.0873386, 0)
    grey, dark = 'rgba=".72 .74 .78 1"', 'rgba=".25 .27 .30 1"'

    def leg(s):
        sy = 1 if s == "left" else -1
        roll = (-0.5236, 2.9671) if s == "left" else (-2.9671, 0.5236)
        foot = Body(s + "_ankle_roll_link", (0, 0, -0.017558),
                    joints=[J(s + "_ankle_roll_joint", (1, 0, 0), -0.2618, 0.2618, 50, 200, 6)],
                    geoms=['name="%s_foot" type="box" pos="0.035 0 -0.015" size="0.09 0.035 0.015" %s' % (s, dark)],
                    inertial=(0.608, (0.026505, 0, -0.016425), (0.00167218, 0.0016161, 0.000217621)))
        ankle_p = Body(s + "_ankle_pitch_link", (0, sy * -9.4445e-05, -0.30001),
                       joints=[J(s + "_ankle_pitch_joint", (0, 1, 0), -0.87267, 0.5236, 50, 300, 8)],
                       inertial=(0.074, (-0.007269, 0, 0.011137), (1.89e-05, 1.40805e-05, 6.9195e-06)),
                       children=[foot])
        knee = Body(s + "_knee_link", (-0.078273, sy * 0.0021489, -0.17734), Q_KNEE,
                    joints=[J(s + "_knee_joint", (0, 1, 0), -0.087267, 2.8798, 139, 300, 8, 0.02)],
                    geoms=['type="capsule" fromto="0 0 -0.05 0 0 -0.25" size="0.04" %s' % grey],
                    inertial=(1.932, (0.005457, sy * 0.003964, -0.12074), (0.0113804, 0.0112778, 0.00146458)),
                    children=[ankle_p])
        yaw = Body(s + "_hip_yaw_link", (0.025001, 0, -0.12412),
                   joints=[J(s + "_hip_yaw_joint", (0, 0, 1), -2.7576, 2.7576, 88, 150, 5, 0.02)],
                   geoms=['type="capsule" fromto="-0.005 0 -0.02 -0.07 0 -0.15" size="0.05" %s' % grey],
                   inertial=(1.702, (-0.057709, sy * -0.010981, -0.15078), (0.00776166, 0.00717575, 0.00160139)),
                   children=[knee])
        hroll = Body(s + "_hip_roll_link", (0, sy * 0.052, -0.030465), Q_HIPROLL,
                     joints=[J(s + "_hip_roll_joint", (1, 0, 0), roll[0], roll[1], 139, 150, 5, 0.02)],
                     geoms=['type="capsule" fromto="0.01 0 -0.03 0.025 0 -0.1" size="0.045" %s' % grey],
                     inertial=(1.52, (0.029812, sy * -0.001045, -0.087934), (0.00254986, 0.00241169, 0.00148755)),
                     children=[yaw])
        return Body(s + "_hip_pitch_link", (0, sy * 0.064452, -0.1027),
                    joints=[J(s + "_hip_pitch_joint", (0, 1, 0), -2.5307, 2.8798, 88, 150, 5, 0.02)],
                    inertial=(1.35, (0.002741, sy * 0.047791, -0.02606), (0.00181517, 0.00153422, 0.00116212)),
                    children=[hroll])

    def arm(s):
        sy = 1 if s == "left" else -1
        roll = (-1.5882, 2.2515) if s == "left" else (-2.2515, 1.5882)
        hand = Body(s + "_wrist_yaw_link", (0.046, 0, 0),
                    joints=[J(s + "_wrist_yaw_joint", (0, 0, 1), -1.61443, 1.61443, 5, 10, 0.5)],
                    geoms=['name="%s_hand" type="capsule" fromto="0.02 0 0 0.11 0 0" size="0.025" %s' % (s, dark)],
                    inertial=(0.254576, (0.0708244, sy * 0.000191745, 0.00161742), (0.000646113, 0.000559993, 0.000147566)))
        wp = Body(s + "_wrist_pitch_link", (0.038, 0, 0),
                  joints=[J(s + "_wrist_pitch_joint", (0, 1, 0), -1.61443, 1.61443, 5, 10, 0.5)],
                  geoms=['type="capsule" fromto="0.01 0 0 0.046 0 0" size="0.022"'],
                  inertial=(0.48405, (0.0229999, sy * -0.00111685, -0.00111658), (0.000430353, 0.000429873, 0.000164648)),
                  children=[hand])
        wr = Body(s + "_wrist_roll_link", (0.1, sy * 0.00188791, -0.01),
                  joints=[J(s + "_wrist_roll_joint", (1, 0, 0), -1.97222, 1.97222, 25, 20, 1)],
                  geoms=['type="capsule" fromto="0 0 0 0.038 0 0" size="0.025"'],
                  inertial=(0.085445, (0.0171394, sy * 0.000537591, 0), (5.48211e-05, 4.96646e-05, 3.57798e-05)),
                  children=[wp])
        elbow = Body(s + "_elbow_link", (0.015783, 0, -0.080518),
                     joints=[J(s + "_elbow_joint", (0, 1, 0), -1.0472, 2.0944, 25, 40, 2)],
                     geoms=['type="capsule" fromto="0.02 0 -0.005 0.09 0 -0.01" size="0.028" %s' % grey],
                     inertial=(0.6, (0.064956, sy * 0.004454, -0.010062), (0.000443035, 0.000421612, 0.000259353)),
                     children=[wr])
        syaw = Body(s + "_shoulder_yaw_link", (0, sy * 0.00624, -0.1032),
                    joints=[J(s + "_shoulder_yaw_joint", (0, 0, 1), -2.618, 2.618, 25, 40, 2)],
                    geoms=['type="capsule" fromto="0 0 0 0.012 0 -0.07" size="0.032" %s' % grey],
                    inertial=(0.734, (0.010773, sy * -0.002949, -0.072009), (0.00106187, 0.00103217, 0.000400661)),
                    children=[elbow])
        sroll = Body(s + "_shoulder_roll_link", (0, sy * 0.038, -0.013831), (0.990268, sy * -0.139172, 0, 0),
                     joints=[J(s + "_shoulder_roll_joint", (1, 0, 0), roll[0], roll[1], 25, 40, 2)],
                     geoms=['type="capsule" fromto="0 0 -0.02 0 0 -0.09" size="0.035" %s' % grey],
                     inertial=(0.643, (-0.000227, sy * 0.00727, -0.063243), (0.000691311, 0.000618011, 0.000388977)),
                     children=[syaw])
        return Body(s + "_shoulder_pitch_link", (0.0039563, sy * 0.10022, 0.24778),
                    (0.990264, sy * 0.139201, 1.38722e-05, sy * -9.86868e-05),
                    joints=[J(s + "_shoulder_pitch_joint", (0, 1, 0), -3.0892, 2.6704, 25, 40, 2)],
                    inertial=(0.718, (0, sy * 0.035892, -0.011628), (0.000465864, 0.000432842, 0.000406394)),
                    children=[sroll])

    head = Body("head_link", (0.0039635, 0, -0.044),
                geoms=['name="head" type="sphere" pos="0.005 0 0.43" size="0.065" %s' % dark],
                inertial=(1.036, (0.005267, 0.000299, 0.449869), (0.004, 0.004, 0.002)))
    torso = Body("torso_link", (0, 0, 0),
                 joints=[J("waist_pitch_joint", (0, 1, 0), -0.52, 0.52, 50, 150, 5, 0.02)],
                 geoms=['name="torso" type="box" pos="0 0 0.15" size="0.07 0.085 0.15"'],
                 inertial=(6.782, (0.00203158, 0.000339683, 0.184568), (0.121847, 0.109825, 0.0273735)),
                 children=[head, arm("left"), arm("right")])
    wroll = Body("waist_roll_link", (-0.0039635, 0, 0.044),
                 joints=[J("waist_roll_joint", (1, 0, 0), -0.52, 0.52, 50, 150, 5, 0.02)],
                 inertial=(0.086, (0, 2.3e-05, 0), (8.245e-06, 7.079e-06, 6.339e-06)), children=[torso])
    wyaw = Body("waist_yaw_link", (0, 0, 0),
                joints=[J("waist_yaw_joint", (0, 0, 1), -2.618, 2.618, 88, 150, 5, 0.02)],
                inertial=(0.214, (0.003494, 0.000233, 0.018034), (0.000163531, 0.000107714, 0.000102205)),
                children=[wroll])
    pelvis = Body("pelvis", (0, 0, 0.793),
                  geoms=['name="pelvis" type="capsule" fromto="0 -0.06 -0.045 0 0.06 -0.045" size="0.055"'],
                  inertial=(3.813, (0, 0, -0.07605), (0.010549, 0.0093089, 0.0079184)),
                  children=[leg("left"), leg("right"), wyaw])
    ex = [("pelvis", "torso_link")]
    for s in ("left", "right"):
        ex += [("pelvis", s + "_hip_roll_link"), ("pelvis", s + "_hip_yaw_link")]
        for a in (s + "_wrist_yaw_link", s + "_elbow_link"):
            for l in (s + "_hip_roll_link", s + "_hip_yaw_link", s + "_knee_link", "pelvis"):
                ex.append((a, l))
    write_mjcf("data/assets/g1/g1.xml", "g1", G1_COMMENT, pelvis, ex)


G1_COMMENT = """
  cmimic Unitree G1 (29 dof, 31 bodies), written by tools/author_assets.py from public facts
  (data/assets/README.md): kinematics, masses, inertias of unitree_ros g1_29dof_rev_1_0 (BSD-3,
  Unitree Robotics), the fixed head_link as in GMR's g1_mocap_29dof.xml; joint ranges and torque
  limits of unitree_ros rev_1_0. Collision shapes are our own primitives (no meshes). PD gains
  (joint stiffness = kp, damping = kd) are our choice, scaled to the torque limits.
  Body order is MimicKit's: pelvis | left leg 6 | right leg 6 | waist_yaw, waist_roll, torso |
  head_link (fixed) | left arm 7 | right arm 7.
"""


# ------------------------------------------------------------------ Go2 (12 dof, 17 bodies)
def go2():
    # unitree_mujoco go2.xml layout (BSD-3): base_link, per leg hip/thigh/calf + fixed foot.
    legs = []
    for leg, sx, sy in (("FL", 1, 1), ("FR", 1, -1), ("RL", -1, 1), ("RR", -1, -1)):
        thigh_range = (-1.5708, 3.4907) if sx > 0 else (-0.5236, 4.5379)
        foot = Body(leg + "_foot", (0, 0, -0.213),
                    geoms=['name="%s" type="sphere" pos="-0.002 0 0" size="0.022" rgba=".2 .2 .22 1" condim="3"' % leg],
                    inertial=(0.06, (0, 0, 0), (9.6e-06, 9.6e-06, 9.6e-06)))
        calf = Body(leg + "_calf", (0, 0, -0.213),
                    joints=[J(leg + "_calf_joint", (0, 1, 0), -2.7227, -0.83776, 45.43, 40, 1.5)],
                    geoms=['type="capsule" fromto="0.008 0 -0.02 -0.002 0 -0.19" size="0.013"'],
                    inertial=(0.181352, (0.00548, -0.000975, -0.115), (0.00107, 0.00108, 3.25e-05)),
                    children=[foot])
        thigh = Body(leg + "_thigh", (0, sy * 0.0955, 0),
                     joints=[J(leg + "_thigh_joint", (0, 1, 0), thigh_range[0], thigh_range[1], 23.7, 40, 1.5)],
                     geoms=['type="box" pos="0 0 -0.1065" size="0.0245 0.017 0.08" quat="0.999 0 0.0436 0"'],
                     inertial=(1.152, (-0.00374, sy * -0.0223, -0.0327), (0.00584, 0.0058, 0.00103)),
                     children=[calf])
        hip = Body(leg + "_hip", (sx * 0.1934, sy * 0.0465, 0),
                   joints=[J(leg + "_hip_joint", (1, 0, 0), -1.0472, 1.0472, 23.7, 40, 1.5)],
                   geoms=['type="cylinder" pos="0 %g 0" quat="0.707107 0.707107 0 0" size="0.046 0.02"' % (sy * 0.055)],
                   inertial=(0.678, (sx * -0.0054, sy * 0.00194, -0.000105), (0.00048, 0.000884, 0.000596)),
                   children=[thigh])
        legs.append(hip)
    base = Body("base_link", (0, 0, 0.445),
                geoms=['name="trunk" type="box" size="0.1881 0.04675 0.057"',
                       'name="head" type="sphere" pos="0.2 0 0.01" size="0.045"'],
                inertial=(6.921, (0.021112, 0, -0.005366), (0.02448, 0.098077, 0.107)),
                children=legs)
    write_mjcf("data/assets/go2/go2.xml", "go2", GO2_COMMENT, base, friction="0.8 0.02 0.01")


GO2_COMMENT = """
  cmimic Unitree Go2 (12 dof, 17 bodies), written by tools/author_assets.py from public facts
  (data/assets/README.md): body layout, offsets, masses, ranges and torques of unitree_mujoco
  go2.xml / unitree_ros go2_description (BSD-3, Unitree Robotics), with MimicKit's fixed
  FL/FR/RL/RR_foot bodies. Collision shapes are primitives; PD gains are our choice.
  Body order: base_link | FL hip, thigh, calf, foot | FR ... | RL ... | RR ...
"""


# ------------------------------------------------------------------ HighTorque Pi Plus (22 dof, 24 bodies)
def pi_plus():
    # HighTorque pi_22dof_0826 kinematics/masses/ranges/torques (numbers only); the fixed first
    # body torso_link carries the upper-body mass as pi_plus_22dof_1218 does.
    def leg(s):
        sy = 1 if s == "l" else -1
        roll = (-0.38, 1.2) if s == "l" else (-1.2, 0.38)
        ar = Body(s + "_ankle_roll_link", (0.051, 0, 0),
                  joints=[J(s + "_ankle_roll_joint", (1, 0, 0), -0.6, 0.6, 20, 40, 1)],
                  geoms=['name="%s_foot" type="box" pos="-0.026 0 -0.04" size="0.085 0.036 0.01" rgba=".25 .27 .3 1"' % s],
                  inertial=(0.622348, (-0.02, 0, -0.03), box_inertia(0.622348, 0.085, 0.036, 0.02)))
        ap = Body(s + "_ankle_pitch_link", (0, 0, -0.14),
                  joints=[J(s + "_ankle_pitch_joint", (0, 1, 0), -1.0, 0.8, 20, 50, 1.5)],
                  inertial=(0.165583, (0.02, 0, 0), (5e-05, 5e-05, 5e-05)), children=[ar])
        calf = Body(s + "_calf_link", (0, 0, -0.0453),
                    joints=[J(s + "_calf_joint", (0, 1, 0), 0, 2.2, 20, 40, 1)],
                    geoms=['type="capsule" fromto="0 0 -0.02 0 0 -0.115" size="0.025"'],
                    inertial=(0.80287, (0, 0, -0.06), rod_inertia(0.80287, 0.14, 0.03)), children=[ap])
        thigh = Body(s + "_thigh_link", (-0.00025, 0, -0.0974),
                     joints=[J(s + "_thigh_joint", (0, 0, 1), -1.2, 1.2, 20, 40, 1)],
                     geoms=['type="capsule" fromto="0 0 0.02 0 0 -0.03" size="0.03"'],
                     inertial=(0.10938, (0, 0, -0.02), (5e-05, 5e-05, 3e-05)), children=[calf])
        hr = Body(s + "_hip_roll_link", (0, sy * 0.034, 0.00029),
                  joints=[J(s + "_hip_roll_joint", (1, 0, 0), roll[0], roll[1], 20, 40, 1)],
                  geoms=['type="capsule" fromto="0 0 -0.02 0 0 -0.065" size="0.03"'],
                  inertial=(0.485718, (0, 0, -0.05), rod_inertia(0.485718, 0.09, 0.03)), children=[thigh])
        return Body(s + "_hip_pitch_link", (0, sy * 0.0475, -0.04379),
                    joints=[J(s + "_hip_pitch_joint", (0, 1, 0), -1.5, 1.5, 20, 40, 1)],
                    inertial=(0.398576, (0, sy * 0.02, 0), (0.0002, 0.0002, 0.0002)), children=[hr])

    def arm(s):
        sy = 1 if s == "l" else -1
        roll = (0, 3.0) if s == "l" else (-3.0, 0)
        wrist = Body(s + "_wrist_link", (0, 0, -0.07269),
                     joints=[J(s + "_wrist_joint", (0, 0, 1), -3.14, 3.14, 10, 5, 0.2)],
                     geoms=['name="%s_hand" type="capsule" fromto="0 0 -0.01 0 0 -0.05" size="0.02" rgba=".25 .27 .3 1"' % s],
                     inertial=(0.0851827, (0, 0, -0.03), (2e-05, 2e-05, 1e-05)))
        elbow = Body(s + "_elbow_link", (0, 0, -0.03771),
                     joints=[J(s + "_elbow_joint", (0, 1, 0), -1.8, 1.8, 10, 20, 0.5)],
                     geoms=['type="capsule" fromto="0 0 -0.015 0 0 -0.06" size="0.022"'],
                     inertial=(0.446153, (0, 0, -0.035), rod_inertia(0.446153, 0.07, 0.025)), children=[wrist])
        ua = Body(s + "_upper_arm_link", (0, 0, -0.07269),
                  joints=[J(s + "_upper_arm_joint", (0, 0, 1), -2.1, 2.1, 10, 20, 0.5)],
                  inertial=(0.108442, (0, 0, -0.02), (3e-05, 3e-05, 2e-05)), children=[elbow])
        sr = Body(s + "_shoulder_roll_link", (0, sy * 0.038, 0.00029),
                  joints=[J(s + "_shoulder_roll_joint", (1, 0, 0), roll[0], roll[1], 10, 20, 0.5)],
                  geoms=['type="capsule" fromto="0 0 -0.02 0 0 -0.065" size="0.024"'],
                  inertial=(0.446831, (0, 0, -0.04), rod_inertia(0.446831, 0.08, 0.025)), children=[ua])
        return Body(s + "_shoulder_pitch_link", (0, sy * 0.1069, 0.11671),
                    joints=[J(s + "_shoulder_pitch_joint", (0, 1, 0), -2.5, 1.04, 10, 20, 0.5)],
                    inertial=(0.108442, (0, sy * 0.02, 0), (3e-05, 3e-05, 3e-05)), children=[sr])

    torso = Body("torso_link", (0, 0, 0),
                 geoms=['name="torso" type="box" pos="0 0 0.08" size="0.05 0.07 0.065"',
                        'name="head" type="sphere" pos="0 0 0.22" size="0.055" rgba=".25 .27 .3 1"'],
                 inertial=(2.5, (0.00511, -0.00022, 0.11), box_inertia(2.5, 0.05, 0.07, 0.1)))
    base = Body("base_link", (0, 0, 0.39),
                geoms=['name="pelvis" type="box" pos="0 0 -0.01" size="0.04 0.065 0.025"'],
                inertial=(0.94087, (0.0, 0, -0.01), box_inertia(0.94087, 0.04, 0.065, 0.025)),
                children=[torso, leg("l"), arm("l"), leg("r"), arm("r")])
    ex = []
    for s in ("l", "r"):
        ex += [("torso_link", s + "_hip_roll_link"), ("base_link", s + "_hip_roll_link"),
               ("torso_link", s + "_shoulder_roll_link"), ("base_link", s + "_thigh_link")]
        for a in (s + "_wrist_link", s + "_elbow_link"):
            for l in (s + "_hip_roll_link", s + "_thigh_link", "base_link"):
                ex.append((a, l))
    write_mjcf("data/assets/hightorque_pi_plus/pi_22dof.xml", "pi_22dof", PI_COMMENT, base, ex)


PI_COMMENT = """
  cmimic HighTorque Pi Plus (22 dof, 24 bodies), written by tools/author_assets.py from public
  facts (data/assets/README.md): joint order, offsets, ranges, torques and link masses read from
  HighTorque's pi_22dof_0826 description (numbers only; that repository has no licence file);
  the fixed torso_link (first child of base_link, MimicKit's weight-0 body) carries the upper
  body as HighTorque's later pi_plus_22dof_1218 does. Primitive collision shapes, our PD gains.
  Body order: base_link | torso_link (fixed) | l leg 6 | l arm 5 | r leg 6 | r arm 5.
"""


# ------------------------------------------------------------------ SMPL (69 dof, 24 bodies)
SMPL_NAMES = ["Pelvis", "L_Hip", "L_Knee", "L_Ankle", "L_Toe", "R_Hip", "R_Knee", "R_Ankle", "R_Toe", "Torso",
              "Spine", "Chest", "Neck", "Head", "L_Thorax", "L_Shoulder", "L_Elbow", "L_Wrist", "L_Hand",
              "R_Thorax", "R_Shoulder", "R_Elbow", "R_Wrist", "R_Hand"]
SMPL_PARENT = [-1, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 12, 11, 14, 15, 16, 17, 11, 19, 20, 21, 22]
SMPL_OFFSET = [(0, 0, 0), (-0.0068, 0.0695, -0.0914), (-0.0045, 0.0343, -0.3752), (-0.0437, -0.0136, -0.3980),
               (0.1193, 0.0124, -0.0258), (-0.0043, -0.0677, -0.0905), (-0.0089, -0.0383, -0.3826),
               (-0.0423, 0.0158, -0.3984), (0.1193, -0.0124, -0.0258), (-0.0267, -0.0025, 0.1090),
               (0.0011, 0.0055, 0.1352), (0.0254, 0.0015, 0.0529), (-0.0429, -0.0028, 0.2139),
               (0.0513, 0.0052, 0.0650), (-0.0341, 0.0788, 0.1217), (-0.0089, 0.0910, 0.0305),
               (-0.0275, 0.2596, -0.0128), (-0.0012, 0.2492, 0.0090), (-0.0149, 0.0840, -0.0082),
               (-0.0386, -0.0818, 0.1188), (-0.0091, -0.0960, 0.0326), (-0.0214, -0.2537, -0.0133),
               (-0.0056, -0.2553, 0.0078), (-0.0103, -0.0846, -0.0061)]
# (kp, kd) per body (the ProtoMotions/PHC SMPL humanoid's stiffness/damping), torque limit ours
SMPL_GAINS = {"Hip": (800, 80, 500), "Knee": (800, 80, 500), "Ankle": (800, 80, 300), "Toe": (500, 50, 150),
              "Torso": (1000, 100, 500), "Spine": (1000, 100, 500), "Chest": (1000, 100, 500),
              "Neck": (500, 50, 150), "Head": (500, 50, 150), "Thorax": (500, 50, 300), "Shoulder": (500, 50, 300),
              "Elbow": (500, 50, 200), "Wrist": (300, 30, 100), "Hand": (300, 30, 100)}
SMPL_RADIUS = {"L_Hip": 0.06, "R_Hip": 0.06, "L_Knee": 0.05, "R_Knee": 0.05, "Torso": 0.075, "Spine": 0.075,
               "Chest": 0.095, "Neck": 0.04, "L_Thorax": 0.05, "R_Thorax": 0.05, "L_Shoulder": 0.045,
               "R_Shoulder": 0.045, "L_Elbow": 0.038, "R_Elbow": 0.038, "L_Wrist": 0.032, "R_Wrist": 0.032}


def capsule_mass(r, length, density=1000.0):
    return density * (math.pi * r * r * length + 4.0 / 3.0 * math.pi * r ** 3)


def smpl():
    bodies = []
    kids = {i: [] for i in range(24)}
    for i in range(1, 24):
        kids[SMPL_PARENT[i]].append(i)
    for i, n in enumerate(SMPL_NAMES):
        geoms, inertial = [], None
        c = kids[i][0] if kids[i] else None
        if n == "Pelvis":
            geoms = ['name="Pelvis" type="box" pos="-0.01 0 -0.02" size="0.08 0.11 0.07"']
        elif n.endswith("Ankle"):
            sy = 1 if n[0] == "L" else -1
            geoms = ['name="%s" type="box" pos="0.035 %g -0.035" size="0.085 0.048 0.035" rgba=".3 .32 .36 1"'
                     % (n, sy * 0.01)]
        elif n.endswith("Toe"):
            geoms = ['name="%s" type="box" pos="0.03 0 -0.0095" size="0.03 0.045 0.0255" rgba=".3 .32 .36 1"' % n]
        elif n == "Head":
            geoms = ['name="Head" type="sphere" pos="0.01 0 0.09" size="0.1" rgba=".3 .32 .36 1"']
        elif n.endswith("Hand"):
            sy = 1 if n[0] == "L" else -1
            geoms = ['name="%s" type="box" pos="0 %g 0" size="0.05 0.045 0.02"' % (n, sy * 0.04)]
        elif c is not None:
            r = SMPL_RADIUS.get(n, 0.04)
            o = SMPL_OFFSET[c] if n not in ("Chest",) else (0.0, 0.0, 0.12)
            L = math.sqrt(sum(x * x for x in o))
            a = [x * min(r + 0.005, 0.3 * L) / L for x in o]
            b = [x * (1 - min(r + 0.005, 0.3 * L) / L) for x in o]
            if n.endswith("Hip") or n.endswith("Knee"):
                a = [x * 0.12 for x in o]
                b = [x * 0.88 for x in o]
            geoms = ['type="capsule" fromto="%s %s" size="%g"' % (fmt(a), fmt(b), r)]
        joints = []
        if i > 0:
            key = n.split("_")[-1]
            kp, kd, tq = SMPL_GAINS[key]
            for ax, axis in (("x", (1, 0, 0)), ("y", (0, 1, 0)), ("z", (0, 0, 1))):
                joints.append(J("%s_%s" % (n, ax), axis, -math.pi, math.pi, tq, kp, kd, 0.02))
        bodies.append(Body(n, SMPL_OFFSET[i] if i else (0, 0, 0.95), joints=joints, geoms=[g + ' density="1000"' if 'density' not in g else g for g in geoms]))
    for i in range(1, 24):
        bodies[SMPL_PARENT[i]].children.append(bodies[i])
    ex = [("Torso", "Chest"), ("Head", "Chest"), ("L_Shoulder", "Chest"), ("R_Shoulder", "Chest"),
          ("L_Thorax", "Spine"), ("R_Thorax", "Spine"), ("Pelvis", "Spine"), ("L_Hip", "R_Hip"),
          ("L_Hip", "Torso"), ("R_Hip", "Torso"), ("Neck", "L_Thorax"), ("Neck", "R_Thorax"),
          ("L_Thorax", "R_Thorax"), ("Head", "L_Thorax"), ("Head", "R_Thorax")]
    write_mjcf("data/assets/smpl/smpl.xml", "smpl", SMPL_COMMENT, bodies[0], ex)


SMPL_COMMENT = """
  cmimic SMPL humanoid (24 bodies, 23 spherical joints = 69 dof), written by
  tools/author_assets.py from public facts (data/assets/README.md): body names, parents and
  offsets of MimicKit's tools/smpl_to_mimickit/smpl_constants.py (Apache-2.0); each joint three
  hinges x, y, z (MimicKit's exp-map spherical joint) with ranges -pi..pi and the SMPL humanoid
  gains of PHC/ProtoMotions (stiffness/damping: legs 800/80, spine 1000/100, neck, head and
  shoulders 500/50, wrists and hands 300/30). Our own primitive shapes at density 1000 kg/m^3;
  torque limits ours. Rest pose: SMPL's T-pose.
"""


# ------------------------------------------------------------------ DeepMimic dog (source of the Go2 clips)
def dog3d():
    d = json.load(open("/work/shared/data/deepmimic/characters/dog3d.txt" if len(sys.argv) < 2 else sys.argv[1]))
    joints = d["Skeleton"]["Joints"]
    shapes = {b["Name"]: b for b in d["BodyDefs"]}

    def mk(v):  # DeepMimic y-up (x fwd, z right) -> z-up (x fwd, y left)
        return (v[0], -v[2], v[1])

    bodies = []
    for j in joints:
        s = shapes[j["Name"]]
        p = mk((s["AttachX"], s["AttachY"], s["AttachZ"]))
        if s["Shape"] == "sphere":
            g = 'type="sphere" pos="%s" size="%g"' % (fmt(p), s["Param0"] / 2)
        elif s["Shape"] == "box":
            g = 'type="box" pos="%s" size="%g %g %g"' % (fmt(p), s["Param0"] / 2, s["Param2"] / 2, s["Param1"] / 2)
        else:  # capsule along the DeepMimic body's y (rotated by AttachThetaZ)
            r, h = s["Param0"] / 2, max(s["Param1"] / 2 - s["Param0"] / 2, 0.005)
            tz = s["AttachThetaZ"]
            ax = mk((-math.sin(tz), math.cos(tz), 0))
            a = [p[k] - ax[k] * h for k in range(3)]
            b = [p[k] + ax[k] * h for k in range(3)]
            g = 'type="capsule" fromto="%s %s" size="%g"' % (fmt(a), fmt(b), r)
        g += ' mass="%g"' % s["Mass"]
        jt = []
        tq = max(j["TorqueLim"], 1)
        if j["Type"] == "spherical":
            for ax, axis in (("x", (1, 0, 0)), ("y", (0, 1, 0)), ("z", (0, 0, 1))):
                jt.append(J("%s_%s" % (j["Name"], ax), axis, -math.pi, math.pi, tq, 300, 30, 0.01))
        elif j["Type"] == "revolute":  # DeepMimic revolute turns about its z = -y here
            jt.append(J(j["Name"], (0, -1, 0), j["LimLow0"], j["LimHigh0"], tq, 300, 30, 0.01))
        pos = mk((j["AttachX"], j["AttachY"], j["AttachZ"])) if j["Parent"] >= 0 else (0, 0, 0.6)
        bodies.append(Body(j["Name"], pos, joints=jt, geoms=[g]))
    for i, j in enumerate(joints):
        if j["Parent"] >= 0:
            bodies[j["Parent"]].children.append(bodies[i])
    write_mjcf("data/assets/dog3d/dog3d.xml", "dog3d", DOG_COMMENT, bodies[0])


DOG_COMMENT = """
  The DeepMimic quadruped (data/characters/dog3d.txt of DeepMimic, MIT, Xue Bin Peng 2018) in the
  Z-up MJCF form, written by tools/author_assets.py: bodies in dog3d's joint order, so a DeepMimic
  dog3d clip converts frame by frame (cmimic convert deepmimic --char data/assets/dog3d/dog3d.xml).
  Only the retargeting source of the Go2 clips; not a simulated case.
"""


# ------------------------------------------------------------------ humanoid + sword and shield
def sword_shield():
    src = open(os.path.join(ROOT, "data/assets/humanoid/humanoid.xml")).read()
    body = src[src.index('<mujoco model'):]
    body = body.replace('<mujoco model="humanoid">', '<mujoco model="humanoid_sword_shield">')
    hand = '''            <body name="right_hand" pos="0 -0.258947 0">
              <geom name="right_hand" type="sphere" size="0.04" density="1865"/>
            </body>'''
    assert hand in body
    new_hand = '''            <!-- right wrist: spherical, 50 N m, so the sword can be aimed -->
            <body name="right_hand" pos="0 -0.258947 0">
              <joint name="right_wrist_x" axis="1 0 0" range="-90 90" stiffness="100" damping="10" armature="0.01"/>
              <joint name="right_wrist_y" axis="0 1 0" range="-90 90" stiffness="100" damping="10" armature="0.01"/>
              <joint name="right_wrist_z" axis="0 0 1" range="-90 90" stiffness="100" damping="10" armature="0.01"/>
              <geom name="right_hand" type="sphere" size="0.04" density="1865"/>
              <!-- sword welded to the hand: blade along +x (forward, whatever the arm does) -->
              <body name="sword" pos="0 -0.04 0">
                <geom name="sword_grip" type="capsule" fromto="-0.06 0 0 0.04 0 0" size="0.015" density="1000" rgba=".3 .2 .1 1"/>
                <geom name="sword_blade" type="box" pos="0.46 0 0" size="0.4 0.025 0.008" density="1000" rgba=".8 .8 .85 1"/>
              </body>
            </body>'''
    body = body.replace(hand, new_hand)
    larm = '''            <body name="left_hand" pos="0 0.258947 0">'''
    assert larm in body
    shield = '''            <!-- shield strapped on the back of the forearm: the disc lies on it (its normal is the
                 forearm's +z, the back of the hand in the T-pose), so it faces out with the arms
                 down and forward when the forearm guards the face -->
            <body name="shield" pos="0 0.13 0.07">
              <geom name="shield" type="cylinder" size="0.22 0.01" density="600" rgba=".55 .2 .15 1"/>
            </body>
'''
    body = body.replace(larm, shield + larm)
    body = body.replace('<motor name="right_elbow" joint="right_elbow" gear="70"/>',
                        '<motor name="right_elbow" joint="right_elbow" gear="70"/>\n'
                        '    <motor name="right_wrist_x" joint="right_wrist_x" gear="50"/>\n'
                        '    <motor name="right_wrist_y" joint="right_wrist_y" gear="50"/>\n'
                        '    <motor name="right_wrist_z" joint="right_wrist_z" gear="50"/>')
    comment = """<!--
  cmimic humanoid with sword and shield (17 bodies, 31 dof), written by tools/author_assets.py:
  data/assets/humanoid/humanoid.xml (see its header) plus, as MimicKit's sword-and-shield yamls
  expect (init_pose 6 + 31 values, joint_err_w of 16 non-root bodies): a spherical right wrist
  (right_hand, 3 dof), a fixed `sword` body under the right hand and a fixed `shield` body under
  the left forearm (before left_hand). Shapes, masses and the wrist's gains are our choice.
  Body order: pelvis, torso, head, right_upper_arm, right_lower_arm, right_hand, sword,
  left_upper_arm, left_lower_arm, shield, left_hand, right_thigh, right_shin, right_foot,
  left_thigh, left_shin, left_foot.
-->
"""
    path = os.path.join(ROOT, "data/assets/sword_shield/humanoid_sword_shield.xml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write(comment + body)
    print("wrote data/assets/sword_shield/humanoid_sword_shield.xml")


def vault_box():
    path = os.path.join(ROOT, "data/assets/objects/vault_box.xml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write("""<!--
  A static vaulting box for the static_objects env (MimicKit's vault cases place it with
  objects: [{"pos": [x, y, z], "file": "data/assets/objects/vault_box.xml"}]; pos is the box
  centre). 0.3 m deep (x), 1.2 m wide (y), 0.4 m tall (z): with MimicKit's z 0.14..0.3 its top is
  0.34..0.5 m above the ground, a low wall the substitute vault clips (tools/make_vault_clip.py,
  a broad jump with a retimed, higher flight) clear. Dimensions are our choice (MimicKit's file
  is not public).
-->
<mujoco model="vault_box">
  <worldbody>
    <body name="vault_box" pos="0 0 0">
      <geom name="vault_box" type="box" size="0.15 0.6 0.2" condim="3" friction="1 0.05 0.05" rgba=".55 .45 .35 1"/>
    </body>
  </worldbody>
</mujoco>
""")
    print("wrote data/assets/objects/vault_box.xml")


if __name__ == "__main__":
    g1()
    go2()
    pi_plus()
    smpl()
    dog3d()
    sword_shield()
    vault_box()
