/* One env's simulation step, staged as MuJoCo's mj_step is (engine_forward.c), in cm_preal:
 *   cm_phys_fwd_position  kinematics, com, qM and its factor, contacts and constraint rows
 *   cm_phys_fwd_velocity  cvel, cdof_dot, passive forces, bias forces
 *   cm_phys_control       PD position control -> qfrc_actuator (the CPU mujoco engine's rule)
 *   cm_phys_fwd_acceleration / cm_phys_fwd_constraint   qacc_smooth, then qacc with constraints
 *   cm_phys_euler         semi-implicit Euler, dof damping implicit (mj_Euler)
 * The data is kept "forwarded" as the mujoco engine keeps its mjData: a substep runs control,
 * acceleration, constraint and integration, then the position and velocity stages for the new
 * state, so body poses and contacts read after a step match qpos/qvel. cm_phys_forward brings
 * freshly written qpos/qvel to that state. */
#ifndef CM_PHYS_STEP_H
#define CM_PHYS_STEP_H
#include "sim/cuda/phys_constraint.h"
#include "sim/cuda/phys_smooth.h"

/* Every stage takes the lanes that share the env (phys_lanes.h). */
CM_HD static inline void cm_phys_fwd_position(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  cm_phys_kinematics(L, m, d);
  cm_phys_com_pos(L, m, d);
  cm_phys_crb(L, m, d);
  cm_phys_factor_m(L, m, d->qM, 0.f, d->qLD);
  cm_phys_collide(L, m, d);
  cm_phys_make_constraint(L, m, d);
}

CM_HD static inline void cm_phys_fwd_velocity(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  cm_phys_com_vel(L, m, d);
  cm_phys_passive(L, m, d);
  cm_phys_rne(L, m, d);
}

CM_HD static inline void cm_phys_forward_lanes(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  cm_phys_fwd_position(L, m, d);
  cm_phys_fwd_velocity(L, m, d);
}

/* the drivers' whole-env entry (one lane) */
CM_HD static inline void cm_phys_forward(const cm_phys_model *m, cm_phys_data *d) {
  cm_phys_forward_lanes(cm_lanes_one(), m, d);
}

/* qfrc_actuator from dof_target. PD: tau = clamp(kp (target - q) - kd qdot, +-limit); when kd
 * is also the model's dof_damping (implicit), -kd qdot is already in qfrc_passive and is added
 * back, so the net generalised force is the clamped PD torque while the Euler step still treats
 * the damping implicitly. Torque: dof_target is the torque, clamped. */
CM_HD static inline void cm_phys_control(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  for (int i = L.lane; i < m->nv; i += L.n) {
    cm_preal tau = 0.f;
    if (m->dof_actuated[i] && m->ctrl_mode != CM_PHYS_CTRL_NONE) {
      cm_preal lim = m->dof_torque_limit[i];
      int qa = m->jnt_qposadr[m->dof_jntid[i]];
      cm_preal v = d->qvel[i];
      tau = m->ctrl_mode == CM_PHYS_CTRL_PD ? m->dof_kp[i] * (d->dof_target[i] - d->qpos[qa]) - m->dof_kd[i] * v : d->dof_target[i];
      tau = tau > lim ? lim : (tau < -lim ? -lim : tau);
      if (m->ctrl_mode == CM_PHYS_CTRL_PD && m->ctrl_implicit_damping) tau += m->dof_kd[i] * v;
    }
    d->qfrc_actuator[i] = tau;
  }
  cm_lanes_sync(L);
}

/* qfrc_smooth and qacc_smooth = M^-1 qfrc_smooth (mj_fwdAcceleration) */
CM_HD static inline void cm_phys_fwd_acceleration(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  for (int i = L.lane; i < m->nv; i += L.n) {
    d->qfrc_smooth[i] = d->qfrc_passive[i] - d->qfrc_bias[i] + d->qfrc_applied[i] + d->qfrc_actuator[i];
    d->qacc_smooth[i] = d->qfrc_smooth[i];
  }
  cm_lanes_sync(L);
  cm_phys_solve_m(L, m, d->qLD, d->qacc_smooth);
}

/* qvel += h qacc' and qpos integrated with the new qvel, where qacc' = (M + h D)^-1 M qacc makes
 * the dof damping D implicit (mj_Euler). Overwrites qLD (recomputed by the next position stage). */
CM_HD static inline void cm_phys_euler(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  int nv = m->nv;
  cm_preal h = m->opt_timestep, *acc = d->qacc;
  int damped = 0;
  for (int i = 0; i < nv; i++) damped |= m->dof_damping[i] > 0.f;
  if (damped) {
    cm_preal *f = d->qfrc_smooth; /* qfrc_smooth is not needed any more */
    cm_phys_mul_m(L, m, d->qM, d->qacc, f);
    cm_phys_factor_m(L, m, d->qM, h, d->qLD);
    cm_phys_solve_m(L, m, d->qLD, f);
    acc = f;
  }
  for (int i = L.lane; i < nv; i += L.n) d->qvel[i] += h * acc[i];
  cm_lanes_sync(L);
  for (int j = L.lane; j < m->njnt; j += L.n) {
    int qa = m->jnt_qposadr[j], da = m->jnt_dofadr[j];
    if (m->jnt_type[j] == CM_PHYS_JNT_FREE) {
      for (int k = 0; k < 3; k++) d->qpos[qa + k] += h * d->qvel[da + k];
      cm_pm_quat_integrate(d->qpos + qa + 3, d->qvel + da + 3, h);
    } else {
      d->qpos[qa] += h * d->qvel[da];
    }
  }
  cm_lanes_sync(L);
}

/* env reset to qpos0 at rest, counted in nbad (MuJoCo's mj_resetData after a bad state) */
CM_HD static inline void cm_phys_reset_env(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  for (int i = L.lane; i < m->nq; i += L.n) d->qpos[i] = m->qpos0[i];
  for (int i = L.lane; i < m->nv; i += L.n) d->qvel[i] = d->qacc[i] = 0.f; /* qacc: the warm start */
  if (L.lane == 0) d->nbad[0]++;
  cm_lanes_sync(L);
}

/* A state that went non-finite or huge (MuJoCo's mjMAXVAL) is reset to qpos0 at rest and
 * counted in nbad, as MuJoCo's mj_checkPos/Vel do; other envs are untouched. */
CM_HD static inline int cm_phys_check_reset(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  int bad = 0;
  for (int i = L.lane; i < m->nq; i += L.n) bad |= !(cm_pabs(d->qpos[i]) <= 1e10f);
  for (int i = L.lane; i < m->nv; i += L.n) bad |= !(cm_pabs(d->qvel[i]) <= 1e10f);
  if (!cm_lanes_sum_i(L, bad)) return 0;
  cm_phys_reset_env(L, m, d);
  return 1;
}

/* MuJoCo's mj_checkAcc test, between the constraint solve and the integration: 1 (on every
 * lane) when qacc went non-finite or past mjMAXVAL. */
CM_HD static inline int cm_phys_acc_bad(cm_lanes L, const cm_phys_model *m, const cm_phys_data *d) {
  int bad = 0;
  for (int i = L.lane; i < m->nv; i += L.n) bad |= !(cm_pabs(d->qacc[i]) <= 1e10f);
  return cm_lanes_sum_i(L, bad) != 0;
}

/* One pass of a substep, from a forwarded state to the next forwarded state: control,
 * acceleration, constraint, then the Euler step. A bad qacc (cm_phys_acc_bad) instead resets
 * the env and returns 1: the substep is then recomputed there by a second pass with redo = 1
 * (mj_forward after mj_resetData, which clears qfrc_applied: no actuation), so the Euler step
 * starts the env from rest as MuJoCo's does. Without it a qacc of 1e10 was integrated into qvel
 * (1e8, not yet bad) and the env left MuJoCo's trajectory (G1, test_cuda_engine_f64). Both
 * passes end in the same forward: one copy of the position and velocity stages in a kernel, not
 * two (half the code, one set of their arrays on a GPU thread's stack). */
CM_HD static inline int cm_phys_substep_pass(cm_lanes L, const cm_phys_model *m, cm_phys_data *d, int redo) {
  if (redo) {
    for (int i = L.lane; i < m->nv; i += L.n) d->qfrc_actuator[i] = 0.f;
    cm_lanes_sync(L);
  } else {
    cm_phys_control(L, m, d);
  }
  cm_phys_fwd_acceleration(L, m, d);
  cm_phys_fwd_constraint(L, m, d);
  int bad = !redo && cm_phys_acc_bad(L, m, d);
  if (bad) {
    cm_phys_reset_env(L, m, d);
  } else {
    cm_phys_euler(L, m, d);
    cm_phys_check_reset(L, m, d);
  }
  cm_phys_forward_lanes(L, m, d);
  return bad;
}

/* One substep: a pass, and the recomputing one when it reset the env. */
CM_HD static inline void cm_phys_substep(cm_lanes L, const cm_phys_model *m, cm_phys_data *d) {
  for (int redo = 0; cm_phys_substep_pass(L, m, d, redo); redo = 1) {
  }
}

/* The kernel driver's entry: nsub substeps of one env (dof_target already set), by the lanes L;
 * a recomputing pass is the loop's next pass, so the kernel holds one copy of the substep (a
 * loop of its own around cm_phys_substep made ptxas spill: 124 B stored, 332 B loaded). */
CM_HD static inline void cm_phys_step_env_lanes(cm_lanes L, const cm_phys_model *m, cm_phys_data *d, int nsub) {
  int redo = 0;
  for (int s = 0; s < nsub; s += !redo) redo = cm_phys_substep_pass(L, m, d, redo);
}

/* the same on one lane (the CPU driver, the thread-per-env kernel) */
CM_HD static inline void cm_phys_step_env(const cm_phys_model *m, cm_phys_data *d, int nsub) {
  cm_phys_step_env_lanes(cm_lanes_one(), m, d, nsub);
}
#endif
