/* The robot characters of data/assets/ (tools/author_assets.py): each loads with the body and
 * dof counts and names MimicKit's env yamls expect, has no self-contact at its yaml init pose,
 * and stands under PD control at that pose for 10 s on the CPU mujoco engine (targets = the
 * init pose; the root height stays within a tolerance of where it settles and nothing is NaN). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "anim/char.h"
#include "anim/kin.h"
#include "sim/engine.h"
#include "anim/mjcf.h"

typedef struct {
  const char *file;
  int bodies, dofs;
  const char *names[16]; /* root first, then key and contact bodies of the yamls */
  float root_z;          /* init_pose root height of the deepmimic env yaml */
  int nz_idx[4];         /* non-zero init_pose dofs (-1 ends) */
  float nz_val[4];
  int stand;             /* 0: not expected to stand unaided (kinematic source only) */
} asset_case;

static const asset_case k_cases[] = {
    {"data/assets/g1/g1.xml", 31, 29,
     {"pelvis", "left_ankle_roll_link", "right_ankle_roll_link", "head_link", "left_wrist_yaw_link",
      "right_wrist_yaw_link", "left_knee_link", "left_ankle_pitch_link", "right_knee_link", "right_ankle_pitch_link",
      "torso_link", NULL},
     0.8f, {18, 25, -1}, {1.57f, 1.57f}, 1},
    {"data/assets/go2/go2.xml", 17, 12, {"base_link", "FR_foot", "FL_foot", "RR_foot", "RL_foot", NULL}, 0.27f,
     {-1}, {0}, 1},
    {"data/assets/hightorque_pi_plus/pi_22dof.xml", 24, 22,
     {"base_link", "l_ankle_roll_link", "r_ankle_roll_link", "l_wrist_link", "r_wrist_link", "l_ankle_pitch_link",
      "r_ankle_pitch_link", "l_calf_link", "r_calf_link", NULL},
     0.351f, {-1}, {0}, 1},
    {"data/assets/smpl/smpl.xml", 24, 69, {"Pelvis", "L_Toe", "R_Toe", "Head", "L_Hand", "R_Hand", "L_Ankle", "R_Ankle",
     NULL}, 0.9f, {42, 57, -1}, {-1.5708f, 1.5708f}, 1},
    {"data/assets/sword_shield/humanoid_sword_shield.xml", 17, 31,
     {"pelvis", "head", "right_hand", "left_hand", "right_foot", "left_foot", "sword", "shield", NULL}, 0.89f,
     {6, 13, -1}, {1.5708f, -1.5708f}, 1},
};

/* Pi Plus init dofs (deepmimic_pi_plus_env.yaml): hips -0.25, knees 0.65, ankles -0.4. */
static void init_dofs(const asset_case *ac, const cm_char *c, float *dof) {
  memset(dof, 0, sizeof(float) * (size_t)c->num_dofs);
  for (int k = 0; k < 4 && ac->nz_idx[k] >= 0; k++) dof[ac->nz_idx[k]] = ac->nz_val[k];
  if (strstr(ac->file, "pi_22dof"))
    for (int s = 0; s < 2; s++) {
      dof[11 * s + 0] = -0.25f;
      dof[11 * s + 3] = 0.65f;
      dof[11 * s + 4] = -0.4f;
    }
  if (strstr(ac->file, "go2"))
    for (int l = 0; l < 4; l++) {
      dof[3 * l + 1] = 0.9f;
      dof[3 * l + 2] = -1.8f;
    }
}

/* Contacts between two character geoms at the init pose (the floor excluded). */
static int self_contacts(const asset_case *ac, const cm_char *c, const float *dof, cm_err *err) {
  cm_mjcf_opts o = {.add_scene = 1};
  mjModel *m = NULL;
  if (cm_mjcf_compile(ac->file, &o, &m, NULL, err)) return -1;
  mjData *d = mj_makeData(m);
  float qpos[256] = {0}, rp[3] = {0, 0, ac->root_z + 0.2f}, rr[4] = {0, 0, 0, 1};
  cm_kin_pose_to_qpos(c, rp, rr, dof, qpos);
  for (int i = 0; i < m->nq; i++) d->qpos[i] = qpos[i];
  mj_forward(m, d);
  int floor = mj_name2id(m, mjOBJ_GEOM, "cm_floor"), n = 0;
  for (int i = 0; i < d->ncon; i++) {
    if (d->contact[i].geom1 == floor || d->contact[i].geom2 == floor) continue;
    fprintf(stderr, "%s: self-contact at init pose: bodies %s / %s\n", ac->file,
            mj_id2name(m, mjOBJ_BODY, m->geom_bodyid[d->contact[i].geom1]),
            mj_id2name(m, mjOBJ_BODY, m->geom_bodyid[d->contact[i].geom2]));
    n++;
  }
  mj_deleteData(d);
  mj_deleteModel(m);
  return n;
}

static void quiet(const char *msg) { (void)msg; }

int main(void) {
  mju_user_warning = quiet;
  for (size_t ci = 0; ci < sizeof k_cases / sizeof k_cases[0]; ci++) {
    const asset_case *ac = &k_cases[ci];
    cm_char c;
    cm_err err = {0};
    CHECK_OK(cm_char_load(ac->file, &c, &err), &err);
    if (err.msg[0]) continue;
    CHECK(c.num_bodies == ac->bodies);
    CHECK(c.num_dofs == ac->dofs);
    CHECK(!strcmp(c.body_names[0], ac->names[0]));
    for (int k = 0; ac->names[k]; k++)
      if (cm_char_body_id(&c, ac->names[k]) < 0) {
        fprintf(stderr, "%s: no body '%s'\n", ac->file, ac->names[k]);
        CHECK(0);
      }
    for (int d = 0; d < c.num_dofs; d++) CHECK(c.kp[d] > 0 && c.kd[d] > 0 && c.torque_limit[d] > 0);
    CHECK(c.total_mass > 5.f);
    float dof[CM_MAX_DOFS];
    init_dofs(ac, &c, dof);
    for (int d = 0; d < c.num_dofs; d++) CHECK(dof[d] >= c.dof_low[d] - 1e-4f && dof[d] <= c.dof_high[d] + 1e-4f);
    CHECK(self_contacts(ac, &c, dof, &err) == 0);

    cm_engine_cfg cfg = {.engine_name = "mujoco", .control_mode = CM_CTRL_POS, .control_freq = 30,
                         .sim_freq = 120, .env_spacing = 5, .ground_contact_height = 0.3f, .num_threads = 1};
    cm_engine_opts opts = {.seed = 1};
    cm_engine *e = NULL;
    CHECK_OK(cm_engine_create(&cfg, &opts, ac->file, &c, 1, &e, &err), &err);
    if (!e) continue;
    e->st.root_pos[2] = ac->root_z;
    e->st.root_rot[3] = 1.f;
    memcpy(e->st.dof_pos, dof, sizeof(float) * (size_t)c.num_dofs);
    e->ops->push_state(e, NULL, 0);
    e->ops->set_targets(e, dof);
    float z1 = 0, zmin = 1e9f, zmax = -1e9f;
    int nan = 0;
    for (int t = 0; t < 300; t++) { /* 10 s at 30 Hz */
      CHECK_OK(e->ops->step(e, &err), &err);
      float z = e->st.root_pos[2];
      if (z != z) nan = 1;
      if (t == 29) z1 = z; /* settled after 1 s */
      if (t >= 29) { zmin = fminf(zmin, z); zmax = fmaxf(zmax, z); }
    }
    float up = 2.f * (e->st.root_rot[0] * e->st.root_rot[0] + e->st.root_rot[1] * e->st.root_rot[1]);
    printf("%-52s bodies %2d dofs %2d mass %6.2f kg  root z init %.3f after 1 s %.3f range [%.3f, %.3f] tilt %.3f\n",
           ac->file, c.num_bodies, c.num_dofs, c.total_mass, ac->root_z, z1, zmin, zmax, up);
    CHECK(!nan);
    CHECK(fabsf(z1 - ac->root_z) < 0.1f);   /* the yaml's init height is (about) standing */
    CHECK(zmax - zmin < 0.03f);             /* and it stays there */
    CHECK(up < 0.02f);                      /* upright: 1 - cos(tilt) < 0.02 */
    cm_engine_destroy(e);
  }
  return check_report("test_robot_assets");
}
