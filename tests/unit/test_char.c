/* The character loader: the humanoid's layout, gains, limits and masses against the numbers
 * written in its file (computed here independently), MimicKit-style actuatorfrcrange files,
 * MimicKit's action-bound rule, and one-line errors for bad inputs. */
#include <mujoco/mujoco.h>
#include <string.h>
#include "anim/char.h"
#include "check.h"
#include "anim/mjcf.h"

#define HUMANOID "data/assets/humanoid/humanoid.xml"
#define FIX "tests/data/char/"
#define DEG (CM_PI / 180.f)

static cm_char ch; /* large: keep off the stack */

static float sphere_mass(float r, float rho) { return rho * 4.f / 3.f * CM_PI * r * r * r; }
static float capsule_mass(float len, float r, float rho) { return rho * (CM_PI * r * r * len + 4.f / 3.f * CM_PI * r * r * r); }

static void test_humanoid(void) {
  cm_err err = {0};
  CHECK_OK(cm_char_load(HUMANOID, &ch, &err), &err);
  const char *names[15] = {"pelvis", "torso", "head", "right_upper_arm", "right_lower_arm", "right_hand",
                           "left_upper_arm", "left_lower_arm", "left_hand", "right_thigh", "right_shin",
                           "right_foot", "left_thigh", "left_shin", "left_foot"};
  const int parents[15] = {-1, 0, 1, 1, 3, 4, 1, 6, 7, 0, 9, 10, 0, 12, 13};
  const int dims[15] = {0, 3, 3, 3, 1, 0, 3, 1, 0, 3, 1, 3, 3, 1, 3};
  CHECK(ch.num_bodies == 15);
  CHECK(ch.num_dofs == 28);
  CHECK(ch.mj_nq == 7 + 28 && ch.mj_nv == 6 + 28);
  int dof = 0;
  for (int b = 0; b < 15 && b < ch.num_bodies; b++) {
    CHECK(!strcmp(ch.body_names[b], names[b]));
    CHECK(ch.parent[b] == parents[b]);
    CHECK(ch.dof_dim[b] == dims[b]);
    CHECK(ch.dof_idx[b] == dof);
    int want_type = b == 0 ? CM_JOINT_ROOT : dims[b] == 3 ? CM_JOINT_SPHERE : dims[b] == 1 ? CM_JOINT_HINGE : CM_JOINT_FIXED;
    CHECK(ch.joint_type[b] == want_type);
    CHECK(ch.mj_body[b] == b + 1);
    /* free joint: 7 qpos, 6 dofs; then one qpos and one dof per hinge, in body order */
    if (b == 0) CHECK(ch.mj_qpos_adr[b] == 0 && ch.mj_dof_adr[b] == 0);
    else if (dims[b]) CHECK(ch.mj_qpos_adr[b] == 7 + dof && ch.mj_dof_adr[b] == 6 + dof);
    else CHECK(ch.mj_qpos_adr[b] == -1);
    CHECK(ch.local_rot[b][3] == 1.f && ch.local_rot[b][0] == 0.f);
    dof += dims[b];
  }
  CHECK(cm_char_body_id(&ch, "left_foot") == 14);
  CHECK(cm_char_body_id(&ch, "pelvis") == 0);
  CHECK(cm_char_body_id(&ch, "tail") == -1);

  /* offsets: T-pose arms along -y / +y */
  int rua = cm_char_body_id(&ch, "right_upper_arm"), rla = cm_char_body_id(&ch, "right_lower_arm");
  CHECK_NEAR(ch.local_pos[rua][0], -0.02405, 1e-7);
  CHECK_NEAR(ch.local_pos[rua][1], -0.18311, 1e-7);
  CHECK_NEAR(ch.local_pos[rua][2], 0.24350, 1e-7);
  CHECK_NEAR(ch.local_pos[rla][1], -0.274788, 1e-7);
  CHECK_NEAR(ch.hinge_axis[rla][0][2], 1, 0); /* elbow about z */
  int rs = cm_char_body_id(&ch, "right_shin");
  CHECK_NEAR(ch.hinge_axis[rs][0][1], 1, 0); /* knee about y */
  int torso = cm_char_body_id(&ch, "torso");
  for (int k = 0; k < 3; k++)
    for (int a = 0; a < 3; a++) CHECK_NEAR(ch.hinge_axis[torso][k][a], k == a, 0);

  /* gains, limits, torque limits, armature of a few hinges, in file order */
  int i = ch.dof_idx[torso];
  CHECK_NEAR(ch.kp[i], 1000, 0); CHECK_NEAR(ch.kd[i], 100, 0); CHECK_NEAR(ch.armature[i], 0.02, 1e-7);
  CHECK_NEAR(ch.dof_low[i + 1], -60 * DEG, 1e-6); CHECK_NEAR(ch.dof_high[i + 1], 90 * DEG, 1e-6);
  CHECK_NEAR(ch.torque_limit[i + 2], 200, 0);
  i = ch.dof_idx[cm_char_body_id(&ch, "head")];
  CHECK_NEAR(ch.kp[i], 100, 0); CHECK_NEAR(ch.kd[i + 2], 10, 0); CHECK_NEAR(ch.torque_limit[i], 50, 0);
  i = ch.dof_idx[rla];
  CHECK_NEAR(ch.kp[i], 300, 0); CHECK_NEAR(ch.kd[i], 30, 0); CHECK_NEAR(ch.torque_limit[i], 70, 0);
  CHECK_NEAR(ch.dof_low[i], 0, 1e-7); CHECK_NEAR(ch.dof_high[i], 160 * DEG, 1e-6);
  i = ch.dof_idx[cm_char_body_id(&ch, "right_thigh")];
  CHECK_NEAR(ch.dof_low[i + 1], -140 * DEG, 1e-6); CHECK_NEAR(ch.torque_limit[i + 1], 200, 0);
  CHECK_NEAR(ch.kp[i], 500, 0);
  i = ch.dof_idx[rs];
  CHECK_NEAR(ch.torque_limit[i], 150, 0);
  i = ch.dof_idx[cm_char_body_id(&ch, "left_foot")];
  CHECK_NEAR(ch.torque_limit[i + 2], 90, 0); CHECK_NEAR(ch.dof_low[i + 1], -55 * DEG, 1e-6);
  CHECK_NEAR(ch.armature[i], 0.01, 1e-7);
  i = ch.dof_idx[cm_char_body_id(&ch, "left_upper_arm")];
  CHECK_NEAR(ch.dof_low[i], -140 * DEG, 1e-6); CHECK_NEAR(ch.dof_high[i + 2], 60 * DEG, 1e-6);

  /* MimicKit's action bounds, worked by hand: abdomen's largest |limit| is 90 deg -> +-108 deg;
   * the right elbow 0..160 -> 80 +- 112 deg; the left elbow -160..0 -> -80 +- 112 deg;
   * the right ankle's largest |limit| is 55 deg -> +-66 deg. */
  i = ch.dof_idx[torso];
  for (int k = 0; k < 3; k++) {
    CHECK_NEAR(ch.action_low[i + k], -108 * DEG, 1e-5);
    CHECK_NEAR(ch.action_high[i + k], 108 * DEG, 1e-5);
  }
  i = ch.dof_idx[rla];
  CHECK_NEAR(ch.action_low[i], -32 * DEG, 1e-5); CHECK_NEAR(ch.action_high[i], 192 * DEG, 1e-5);
  i = ch.dof_idx[cm_char_body_id(&ch, "left_lower_arm")];
  CHECK_NEAR(ch.action_low[i], -192 * DEG, 1e-5); CHECK_NEAR(ch.action_high[i], 32 * DEG, 1e-5);
  i = ch.dof_idx[cm_char_body_id(&ch, "right_foot")];
  CHECK_NEAR(ch.action_high[i + 1], 66 * DEG, 1e-5); CHECK_NEAR(ch.action_low[i + 2], -66 * DEG, 1e-5);

  /* total mass from the geoms' shapes and densities */
  float m = sphere_mass(0.09f, 2226) + sphere_mass(0.07f, 2226) + sphere_mass(0.11f, 1623) + sphere_mass(0.095f, 1081);
  float dc[3] = {-0.016835f + 0.0060125f, -0.128177f + 0.0457775f, 0.2376182f - 0.2287955f};
  m += 2 * capsule_mass(sqrtf(dc[0] * dc[0] + dc[1] * dc[1] + dc[2] * dc[2]), 0.045f, 1623);
  m += 2 * (capsule_mass(0.2f, 0.045f, 982) + capsule_mass(0.1525f, 0.04f, 1056) + sphere_mass(0.04f, 1865));
  m += 2 * (capsule_mass(0.32f, 0.055f, 1269) + capsule_mass(0.325f, 0.05f, 1014) + 1141 * 8 * 0.0885f * 0.045f * 0.0275f);
  CHECK_NEAR(ch.total_mass, m, 1e-3);
  float sum = 0;
  for (int b = 0; b < ch.num_bodies; b++) sum += ch.body_mass[b];
  CHECK_NEAR(sum, ch.total_mass, 1e-4);
}

/* The humanoid's geoms collide with a ground plane and with each other (condim 3). */
static void test_humanoid_contacts(void) {
  cm_err err = {0};
  mjModel *m = NULL;
  cm_mjcf_opts opts = {.add_scene = 1};
  CHECK_OK(cm_mjcf_compile(HUMANOID, &opts, &m, NULL, &err), &err);
  if (!m) return;
  for (int g = 0; g < m->ngeom; g++) {
    if (m->geom_bodyid[g] == 0) continue;
    CHECK(m->geom_condim[g] == 3);
    CHECK(m->geom_contype[g] & 1 && m->geom_conaffinity[g] & 1);
    CHECK_NEAR(m->geom_friction[3 * g], 1.0, 0);
  }
  /* drop it: standing at rest, the feet must touch the floor */
  mjData *d = mj_makeData(m);
  d->qpos[2] = 0.9;
  for (int s = 0; s < 200; s++) mj_step(m, d);
  int foot_contacts = 0;
  int rf = mj_name2id(m, mjOBJ_BODY, "right_foot"), lf = mj_name2id(m, mjOBJ_BODY, "left_foot");
  for (int c = 0; c < d->ncon; c++) {
    int b1 = m->geom_bodyid[d->contact[c].geom1], b2 = m->geom_bodyid[d->contact[c].geom2];
    foot_contacts += b1 == rf || b2 == rf || b1 == lf || b2 == lf;
  }
  CHECK(foot_contacts > 0);
  /* kp/kd sit in the passive spring/damper fields until the engine clears them */
  int j = mj_name2id(m, mjOBJ_JOINT, "right_knee");
  CHECK_NEAR(m->jnt_stiffness[j], 500, 0);
  cm_char_clear_passive_pd(m);
  for (int k = 0; k < m->njnt; k++) CHECK(m->jnt_stiffness[k] == 0);
  for (int k = 0; k < m->nv; k++) CHECK(m->dof_damping[k] == 0);
  mj_deleteData(d);
  mj_deleteModel(m);
}

/* MimicKit's style: actuatorfrcrange on joints, permuted axes, body quats. */
static void test_frcrange_fixture(void) {
  cm_err err = {0};
  CHECK_OK(cm_char_load(FIX "mini_frcrange.xml", &ch, &err), &err);
  CHECK(ch.num_bodies == 8);
  CHECK(ch.num_dofs == 12);
  const int types[8] = {CM_JOINT_ROOT, CM_JOINT_SPHERE, CM_JOINT_SPHERE, CM_JOINT_HINGE, CM_JOINT_FIXED,
                        CM_JOINT_SPHERE, CM_JOINT_HINGE, CM_JOINT_HINGE};
  const int idx[8] = {0, 0, 3, 6, 7, 7, 10, 11};
  for (int b = 0; b < 8; b++) CHECK(ch.joint_type[b] == types[b] && ch.dof_idx[b] == idx[b]);
  /* torque limits: actuatorfrcrange (chest 200, neck 50, elbow 70), motors (hip 200, ankle 90),
   * and the default for the knee, which has neither */
  const float tl[12] = {200, 200, 200, 50, 50, 50, 70, 200, 200, 200, CM_CHAR_DEFAULT_TORQUE_LIMIT, 90};
  for (int i = 0; i < 12; i++) CHECK_NEAR(ch.torque_limit[i], tl[i], 0);
  CHECK_NEAR(ch.kp[0], 1000, 0); CHECK_NEAR(ch.kd[3], 10, 0); CHECK_NEAR(ch.armature[6], 0.01, 1e-7);
  /* body quat (w x y z in the file) becomes x y z w */
  int chest = cm_char_body_id(&ch, "chest");
  CHECK_NEAR(ch.local_rot[chest][1], 0.3826834, 1e-6); CHECK_NEAR(ch.local_rot[chest][3], 0.9238795, 1e-6);
  /* the permuted neck axes are kept in file order: z, x, y */
  int neck = cm_char_body_id(&ch, "neck");
  CHECK(ch.hinge_axis[neck][0][2] == 1 && ch.hinge_axis[neck][1][0] == 1 && ch.hinge_axis[neck][2][1] == 1);
  int arm = cm_char_body_id(&ch, "arm");
  CHECK_NEAR(ch.hinge_axis[arm][0][1], 0.6, 1e-6); CHECK_NEAR(ch.hinge_axis[arm][0][2], 0.8, 1e-6);
  /* action bounds: the leg sphere's largest |limit| is 140 deg -> +-168 deg; elbow -10..150 ->
   * 70 +- 112 deg */
  CHECK_NEAR(ch.action_high[7], 168 * DEG, 1e-5); CHECK_NEAR(ch.action_low[9], -168 * DEG, 1e-5);
  CHECK_NEAR(ch.action_low[6], -42 * DEG, 1e-5); CHECK_NEAR(ch.action_high[6], 182 * DEG, 1e-5);
}

static void expect_error(const char *path, const char *needle) {
  cm_err err = {0};
  int rc = cm_char_load(path, &ch, &err);
  CHECK(rc == -1);
  CHECK(strstr(err.msg, needle) != NULL);
  CHECK(strchr(err.msg, '\n') == NULL);
  if (rc != -1 || !strstr(err.msg, needle)) fprintf(stderr, "  %s -> '%s' (wanted '%s')\n", path, err.msg, needle);
}

static void test_bad_inputs(void) {
  expect_error(FIX "does_not_exist.xml", "does_not_exist.xml");
  expect_error(FIX "not_xml.xml", "not_xml.xml");
  expect_error(FIX "two_hinges.xml", "body 'upper' has 2 joints");
  expect_error(FIX "ball_joint.xml", "joint 'neck' is not a hinge");
  expect_error(FIX "many_bodies.xml", "70 bodies");
}

int main(void) {
  mju_user_warning = NULL;
  test_humanoid();
  test_humanoid_contacts();
  test_frcrange_fixture();
  test_bad_inputs();
  return check_report("test_char");
}
