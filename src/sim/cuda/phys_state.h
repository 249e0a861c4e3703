/* The bridge between the engine interface's batched state (cm_sim_state: MimicKit's
 * conventions, xyzw, exp-map dofs, world-frame velocities) and one env's physics data (MuJoCo's
 * qpos/qvel, hinges). Per env and CM_HD, so the GPU kernel packs and unpacks in place:
 *   cm_phys_state_pack     cm_sim_state env i -> qpos, qvel, mocap pose      (push_state)
 *   cm_phys_set_targets    MimicKit dof targets env i -> dof_target (hinges) (start of a step)
 *   cm_phys_state_unpack   forwarded data -> cm_sim_state env i              (end of a step)
 * The conversions are anim/kin.h's, driven by a copy of the character whose mj_qpos_adr /
 * mj_dof_adr point into the compiled physics model (cm_phys_bridge.chr). */
#ifndef CM_PHYS_STATE_H
#define CM_PHYS_STATE_H
#include <stdint.h>
#include "anim/kin.h"
#include "sim/engine.h"
#include "sim/cuda/phys_data.h"
#include "sim/cuda/phys_math.h"

typedef struct cm_phys_bridge {
  cm_char chr;                       /* the character; mj_* addresses are the physics model's */
  int body_phys[CM_MAX_BODIES];      /* character body -> physics body */
  int geom_char_body[CM_PHYS_MAX_GEOM]; /* physics geom -> character body, -1 for the scene */
  int floor_geom;                    /* the ground plane "cm_floor" */
  int fixed_root;                    /* root welded at mocap index root_mocap */
  int root_mocap;
  int dof_phys[CM_MAX_DOFS];         /* MimicKit dof -> physics dof (hinge) */
} cm_phys_bridge;

/* anim/kin.h works in float: float views q, v of d's qpos and qvel, the arrays themselves in the
 * float build (no copies on a GPU thread's stack), float copies in the double build (stored
 * back by CM_PHYS_KIN_STORE) */
#ifdef CM_PHYS_DOUBLE
#define CM_PHYS_KIN_QPOS_QVEL(q, v, m, d)                        \
  float q[CM_PHYS_MAX_QPOS], v[CM_PHYS_MAX_DOF];                  \
  for (int k_ = 0; k_ < (m)->nq; k_++) q[k_] = (float)(d)->qpos[k_]; \
  for (int k_ = 0; k_ < (m)->nv; k_++) v[k_] = (float)(d)->qvel[k_]
#define CM_PHYS_KIN_STORE(q, v, m, d)                            \
  do {                                                            \
    for (int k_ = 0; k_ < (m)->nq; k_++) (d)->qpos[k_] = q[k_];   \
    for (int k_ = 0; k_ < (m)->nv; k_++) (d)->qvel[k_] = v[k_];   \
  } while (0)
#else
#define CM_PHYS_KIN_QPOS_QVEL(q, v, m, d) \
  float *q = (d)->qpos, *v = (d)->qvel;   \
  (void)(m)
#define CM_PHYS_KIN_STORE(q, v, m, d) ((void)(q), (void)(v))
#endif

/* Writes env i's root and dof positions/velocities into qpos/qvel (or the welded root's mocap
 * pose). A reset env starts without applied forces. */
CM_HD static inline void cm_phys_state_pack(const cm_phys_model *m, const cm_phys_bridge *br, const cm_sim_state *s,
                                            int i, cm_phys_data *d) {
  const cm_char *c = &br->chr;
  int nd = s->num_dofs;
  float rr[4];
  cm_q_copy(rr, s->root_rot + 4 * i);
  cm_q_normalize(rr);
  CM_PHYS_KIN_QPOS_QVEL(q, v, m, d);
  cm_kin_pose_to_qpos(c, s->root_pos + 3 * i, rr, s->dof_pos + (long)nd * i, q);
  cm_kin_vel_to_qvel(c, q, s->root_vel + 3 * i, s->root_ang_vel + 3 * i, s->dof_vel + (long)nd * i, v);
  CM_PHYS_KIN_STORE(q, v, m, d);
  if (br->fixed_root) {
    cm_preal *p = d->mocap_pos + 3 * br->root_mocap, *mq = d->mocap_quat + 4 * br->root_mocap;
    for (int k = 0; k < 3; k++) p[k] = s->root_pos[3 * i + k];
    mq[0] = rr[3]; mq[1] = rr[0]; mq[2] = rr[1]; mq[3] = rr[2];
  }
  /* a reset env starts without applied forces or memory of its last episode (warm start) */
  for (int k = 0; k < m->nv; k++) d->qfrc_applied[k] = d->qacc[k] = 0.f;
}

/* PD targets: exp-maps of spherical joints become the three hinge angles nearest to the current
 * ones (the mujoco engine's rule); in torque mode the commands are copied per dof. */
CM_HD static inline void cm_phys_set_targets(const cm_phys_model *m, const cm_phys_bridge *br, const float *cmd,
                                             cm_phys_data *d) {
  const cm_char *c = &br->chr;
  for (int k = 0; k < m->nv; k++) d->dof_target[k] = 0.f;
  for (int b = 1; b < c->num_bodies; b++) {
    int i = c->dof_idx[b];
    if (c->joint_type[b] == CM_JOINT_HINGE) {
      d->dof_target[br->dof_phys[i]] = cmd[i];
    } else if (c->joint_type[b] == CM_JOINT_SPHERE) {
      if (m->ctrl_mode == CM_PHYS_CTRL_TORQUE) {
        for (int k = 0; k < 3; k++) d->dof_target[br->dof_phys[i + k]] = cmd[i + k];
        continue;
      }
      float q[4], ang[3], cur[3];
      const cm_preal *h = d->qpos + c->mj_qpos_adr[b];
      for (int k = 0; k < 3; k++) cur[k] = h[k];
      cm_exp_map_to_quat(q, cmd + i);
      cm_kin_quat_to_hinges_near(c->hinge_axis[b], q, cur, ang);
      for (int k = 0; k < 3; k++) d->dof_target[br->dof_phys[i + k]] = ang[k];
    }
  }
}

/* Reads the forwarded data of env i back into the batched state. */
CM_HD static inline void cm_phys_state_unpack(const cm_phys_model *m, const cm_phys_bridge *br, const cm_phys_data *d,
                                              cm_sim_state *s, int i) {
  const cm_char *c = &br->chr;
  int nb = c->num_bodies, nd = s->num_dofs;
  float *rp = s->root_pos + 3 * i, *rr = s->root_rot + 4 * i;
  CM_PHYS_KIN_QPOS_QVEL(q, v, m, d);
  cm_kin_qpos_to_pose(c, q, rp, rr, s->dof_pos + (long)nd * i);
  cm_kin_qvel_to_vel(c, q, v, s->root_vel + 3 * i, s->root_ang_vel + 3 * i, s->dof_vel + (long)nd * i);
  float *bp = s->body_pos + 3L * nb * i, *bq = s->body_rot + 4L * nb * i;
  float *bv = s->body_vel + 3L * nb * i, *ba = s->body_ang_vel + 3L * nb * i;
  for (int b = 0; b < nb; b++) {
    int pb = br->body_phys[b];
    const cm_preal *x = d->xpos + 3 * pb, *xq = d->xquat + 4 * pb, *cv = d->cvel + 6 * pb;
    const cm_preal *com = d->subtree_com + 3 * m->body_rootid[pb];
    cm_preal r[3] = {x[0] - com[0], x[1] - com[1], x[2] - com[2]}, wr[3];
    for (int k = 0; k < 3; k++) bp[3 * b + k] = (float)x[k];
    bq[4 * b] = (float)xq[1]; bq[4 * b + 1] = (float)xq[2]; bq[4 * b + 2] = (float)xq[3]; bq[4 * b + 3] = (float)xq[0];
    /* cvel is about the tree's centre of mass: move the linear part to the body origin */
    cm_pm_cross(wr, cv, r);
    for (int k = 0; k < 3; k++) {
      ba[3 * b + k] = (float)cv[k];
      bv[3 * b + k] = (float)(cv[3 + k] + wr[k]);
    }
  }
  if (br->fixed_root) { /* the welded root: where it was put, at rest */
    cm_v3_copy(rp, bp);
    cm_q_copy(rr, bq);
  }
  uint8_t *gc = s->ground_contact + (long)nb * i;
  for (int b = 0; b < nb; b++) gc[b] = 0;
  /* a character body touching anything that is not the character (the floor, a static box), as
   * MimicKit's contact test reads contact forces from any source */
  for (int k = 0; k < d->ncon[0]; k++) {
    int c1 = br->geom_char_body[d->contact_geom1[k]], c2 = br->geom_char_body[d->contact_geom2[k]];
    if (c1 >= 0 && c2 < 0) gc[c1] = 1;
    if (c2 >= 0 && c1 < 0) gc[c2] = 1;
  }
}
#endif
