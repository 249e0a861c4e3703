#!/usr/bin/env python3
"""MJX (MuJoCo's JAX port) stepping N worlds of the cmimic humanoid: the GPU peer in the
benchmark table of docs/BENCHMARKS.md. Not a dependency of cmimic: it runs where the `mujoco`
and `mujoco-mjx` wheels and a GPU JAX are installed (bench/engine_bench.sh carries them).

The model is data/assets/humanoid/humanoid.xml with a ground plane added, at cmimic's physics
rate (timestep 1/120 s), float32 (JAX's default, x64 off). The joints' stiffness/damping (our PD
gains) stay in the model as MuJoCo's passive spring/damper, so every world is held by a PD
towards the rest pose while random controls drive its motors: the same bodies, contacts
(self-collisions included) and solver as cmimic's engines meet. Worlds start standing with
their soles 1 cm above the ground and small random joint offsets.

Printed per N: physics steps/s summed over worlds (a step = one timestep of one humanoid),
median of --reps timed calls of --steps steps each (jax.lax.scan inside one jit), each from the
same standing start, after one warm-up call that compiles; contacts per world at the end.

  python3 bench/mjx_bench.py --num_envs 4096 16384 --solver newton --iterations 100 --ls_iterations 50
"""
import argparse
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def humanoid_with_floor(path):
    """The character file with a ground plane, as cmimic's engines add one."""
    xml = open(path).read()
    floor = '<geom name="cm_floor" type="plane" size="0 0 1" condim="3" friction="1 0.05 0.05"/>'
    xml, n = re.subn(r"<worldbody>", "<worldbody>\n    " + floor, xml, count=1)
    if n != 1:
        sys.exit(f"mjx_bench: {path}: no <worldbody>")
    return xml


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--char_file", default=os.path.join(ROOT, "data/assets/humanoid/humanoid.xml"))
    ap.add_argument("--num_envs", type=int, nargs="+", default=[1024, 4096, 16384, 65536])
    ap.add_argument("--steps", type=int, default=100, help="physics steps per timed call")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--timestep", type=float, default=1.0 / 120)
    ap.add_argument("--solver", choices=["newton", "cg"], default="newton")
    ap.add_argument("--iterations", type=int, default=None, help="default: the model's (MuJoCo: 100)")
    ap.add_argument("--ls_iterations", type=int, default=None, help="default: the model's (MuJoCo: 50)")
    ap.add_argument("--cone", choices=["pyramidal", "elliptic"], default="pyramidal")
    ap.add_argument("--tsv", default=None, help="append one row per N here")
    a = ap.parse_args()

    import jax
    import jax.numpy as jp
    import mujoco
    from mujoco import mjx

    m = mujoco.MjModel.from_xml_string(humanoid_with_floor(a.char_file))
    m.opt.timestep = a.timestep
    m.opt.solver = {"newton": mujoco.mjtSolver.mjSOL_NEWTON, "cg": mujoco.mjtSolver.mjSOL_CG}[a.solver]
    m.opt.cone = {"pyramidal": mujoco.mjtCone.mjCONE_PYRAMIDAL, "elliptic": mujoco.mjtCone.mjCONE_ELLIPTIC}[a.cone]
    if a.iterations is not None:
        m.opt.iterations = a.iterations
    if a.ls_iterations is not None:
        m.opt.ls_iterations = a.ls_iterations
    d0 = mujoco.MjData(m)
    mujoco.mj_forward(m, d0)
    lowest = min(d0.geom_xpos[g, 2] - m.geom_rbound[g] for g in range(m.ngeom) if m.geom_type[g] != mujoco.mjtGeom.mjGEOM_PLANE)
    qpos0 = d0.qpos.copy()
    qpos0[2] += 0.01 - lowest

    settings = (f"solver {a.solver}, iterations {m.opt.iterations}, ls_iterations {m.opt.ls_iterations}, "
                f"tolerance {m.opt.tolerance:g}, cone {a.cone}, integrator Euler, timestep {m.opt.timestep:.6f} s, "
                f"float32 (jax_enable_x64={jax.config.jax_enable_x64})")
    print(f"mjx_bench: {a.char_file} + ground plane: nq {m.nq}, nv {m.nv}, nu {m.nu}, ngeom {m.ngeom}")
    print(f"mjx_bench: jax {jax.__version__}, mujoco {mujoco.__version__}, device {jax.devices()[0]}")
    print(f"mjx_bench: {settings}")
    mx = mjx.put_model(m)
    dx0 = mjx.put_data(m, d0)

    def make_batch(n, key):
        k1, k2 = jax.random.split(key)
        nq_hinge = m.nq - 7
        qpos = jp.tile(jp.asarray(qpos0, dtype=jp.float32), (n, 1))
        qpos = qpos.at[:, 7:].add(0.05 * jax.random.normal(k1, (n, nq_hinge)))
        ctrl = jax.random.uniform(k2, (n, m.nu), minval=-1.0, maxval=1.0)
        return jax.vmap(lambda q, c: dx0.replace(qpos=q, ctrl=c))(qpos, ctrl)

    def rollout(dx):
        def body(d, _):
            return mjx.step(mx, d), None
        dx, _ = jax.lax.scan(body, dx, None, length=a.steps)
        return dx

    run = jax.jit(jax.vmap(rollout))
    print(f"{'num_envs':>9} {'compile_s':>9} {'call_ms':>9} {'steps/s':>12} {'contacts/world':>15}")
    for n in a.num_envs:
        batch = make_batch(n, jax.random.PRNGKey(n))
        # every call starts from the same standing batch: feeding the output back in would
        # compile a second time (its weak types differ from the input's)
        t0 = time.perf_counter()
        out = run(batch)
        jax.block_until_ready(out)
        compile_s = time.perf_counter() - t0
        times = []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            out = run(batch)
            jax.block_until_ready(out)
            times.append(time.perf_counter() - t0)
        t = statistics.median(times)
        rate = n * a.steps / t
        ncon = float(jp.mean(jp.sum(out._impl.contact.dist < 0, axis=-1))) if hasattr(out, "_impl") else float("nan")
        finite = bool(jp.all(jp.isfinite(out.qpos)))
        print(f"{n:>9} {compile_s:>9.1f} {t * 1e3:>9.1f} {rate:>12,.0f} {ncon:>15.1f}{'' if finite else '  NON-FINITE'}",
              flush=True)
        if a.tsv:
            new = not os.path.exists(a.tsv)
            with open(a.tsv, "a") as f:
                if new:
                    f.write("engine\tnum_envs\tsteps_per_s\tcall_s\tsteps_per_call\tcontacts_per_world\tsettings\n")
                f.write(f"mjx\t{n}\t{rate:.0f}\t{t:.6f}\t{a.steps}\t{ncon:.2f}\t{settings}\n")


if __name__ == "__main__":
    main()
