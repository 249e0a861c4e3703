/* engine-check's measurement: state errors against hand-computed values (NaN must fail), the
 * pass/fail rule at its boundary, and a whole run with MuJoCo as its own candidate: zero error
 * at every step, a yardstick that starts at the perturbation's size and grows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "sim/engine_check.h"

#define HUMANOID "data/assets/humanoid/humanoid.xml"

/* Two envs, two bodies, two dofs; b differs from a by the values noted. */
static void err_values(void) {
  float ra[6] = {0}, rb[6] = {0, 0, 0, 3, 4, 0};           /* env 1 root off by (3,4,0): 5 */
  float ba[12] = {0}, bb[12] = {0};
  bb[0] = 1;                                                  /* env 0 body 0 off by 1 */
  bb[9] = 2; bb[10] = 2; bb[11] = 1;                          /* env 1 body 1 off by 3 */
  float da[4] = {0.1f, 0.2f, 0.3f, 0.4f}, db[4] = {0.1f, 0.2f, 0.3f, -0.4f}; /* 0.8 */
  uint8_t ca[4] = {1, 1, 0, 0}, cb[4] = {1, 0, 1, 1};         /* |2-1| + |0-2| = 3 over 2 envs */
  cm_sim_state a = {.num_envs = 2, .num_bodies = 2, .num_dofs = 2, .root_pos = ra, .body_pos = ba, .dof_pos = da,
                    .ground_contact = ca};
  cm_sim_state b = a;
  b.root_pos = rb;
  b.body_pos = bb;
  b.dof_pos = db;
  b.ground_contact = cb;
  cm_state_err e;
  cm_state_err_compute(NULL, &a, &b, &e);
  CHECK_NEAR(e.root_pos, 5.0, 1e-6);
  CHECK_NEAR(e.body_pos_max, 3.0, 1e-6);
  CHECK_NEAR(e.body_pos_mean, (1.0 + 3.0) / 4, 1e-6);
  CHECK_NEAR(e.dof_pos, 0.8, 1e-6);
  CHECK_NEAR(e.contacts, 1.5, 1e-12);
  CHECK(e.worst_env == 1);
  cm_state_err_compute(NULL, &a, &a, &e);
  CHECK(e.root_pos == 0 && e.body_pos_max == 0 && e.dof_pos == 0 && e.contacts == 0);
  bb[4] = NAN; /* a NaN anywhere in the bodies must show, and fail */
  cm_state_err_compute(NULL, &a, &b, &e);
  CHECK(isnan(e.body_pos_max));
  cm_engine_check_cfg c;
  cm_engine_check_defaults(&c);
  cm_engine_check_step s = {.step = 1, .cand = e};
  cm_engine_check_result r = {0};
  CHECK(cm_engine_check_judge(&c, &s, &r) & CM_ENGINE_CHECK_FAIL_BODY);
}

/* A spherical joint's dof error is the angle between its two rotations: an exp-map at angle pi
 * and its negation (one rotation, components 2 pi apart) differ by 0; a rotation by 0.3 rad
 * about another axis composed onto it by 0.3 rad; a hinge beside it stays a plain difference. */
static void err_sphere(void) {
  static cm_char chr;
  chr.num_bodies = 3;
  chr.num_dofs = 4;
  chr.joint_type[0] = CM_JOINT_ROOT;
  chr.joint_type[1] = CM_JOINT_SPHERE, chr.dof_idx[1] = 0, chr.dof_dim[1] = 3;
  chr.joint_type[2] = CM_JOINT_HINGE, chr.dof_idx[2] = 3, chr.dof_dim[2] = 1;
  float pi = (float)M_PI, s = pi / sqrtf(2.f);
  float da[4] = {s, s, 0, 0.5f}, db[4] = {-s, -s, 0, 0.5f};
  float z3[3] = {0}, z2[2] = {0};
  uint8_t c0[2] = {0};
  cm_sim_state a = {.num_envs = 1, .num_bodies = 2, .num_dofs = 4, .root_pos = z3, .body_pos = z2, .dof_pos = da,
                    .ground_contact = c0};
  float bp[6] = {0};
  a.body_pos = bp;
  cm_sim_state b = a;
  b.dof_pos = db;
  cm_state_err e;
  cm_state_err_compute(NULL, &a, &b, &e);
  CHECK_NEAR(e.dof_pos, 2 * s, 1e-5); /* as components */
  cm_state_err_compute(&chr, &a, &b, &e);
  CHECK_NEAR(e.dof_pos, 0, 1e-6); /* as rotations: the same one */
  /* a = 1 rad about z; b = 1 rad about z then 0.3 rad about x: angle 0.3 */
  float ea[4] = {0, 0, 1, 0.5f}, eb[4];
  double h = 0.5, c = cos(h), sn = sin(h), g = 0.15, cg = cos(g), sg = sin(g);
  double qw = c * cg, qx = c * sg, qy = sn * sg, qz = sn * cg; /* (c, 0, 0, sn) * (cg, sg, 0, 0) */
  double vn = sqrt(qx * qx + qy * qy + qz * qz), ang = 2 * atan2(vn, qw);
  eb[0] = (float)(ang * qx / vn), eb[1] = (float)(ang * qy / vn), eb[2] = (float)(ang * qz / vn), eb[3] = 0.5f;
  a.dof_pos = ea;
  b.dof_pos = eb;
  cm_state_err_compute(&chr, &a, &b, &e);
  CHECK_NEAR(e.dof_pos, 0.3, 1e-6);
  eb[3] = 1.2f; /* the hinge now sets the max */
  cm_state_err_compute(&chr, &a, &b, &e);
  CHECK_NEAR(e.dof_pos, 0.7, 1e-6);
  eb[0] = NAN;
  cm_state_err_compute(&chr, &a, &b, &e);
  CHECK(isnan(e.dof_pos));
}

/* The rule: error <= factor * yard + floor, per gated field. */
static void judge_boundary(void) {
  cm_engine_check_cfg c;
  cm_engine_check_defaults(&c);
  cm_engine_check_step s = {.step = 3};
  s.yard.root_pos = 0.01;
  s.yard.body_pos_max = 0.02;
  s.yard.dof_pos = 0.1;
  double tr = 3 * 0.01 + CM_ENGINE_CHECK_POS_FLOOR, tb = 3 * 0.02 + CM_ENGINE_CHECK_POS_FLOOR,
         td = 3 * 0.1 + CM_ENGINE_CHECK_DOF_FLOOR;
  CHECK_NEAR(cm_engine_check_tol(&c, 0.02, c.pos_floor), tb, 1e-15);
  s.cand.root_pos = tr * 0.999;
  s.cand.body_pos_max = tb * 0.999;
  s.cand.dof_pos = td * 0.999;
  s.cand.contacts = 5; /* reported, not gated */
  cm_engine_check_result r = {0};
  CHECK(cm_engine_check_judge(&c, &s, &r) == 0);
  CHECK(r.root_ratio > 0.99 && r.root_ratio < 1 && r.body_ratio < 1 && r.dof_ratio < 1);
  s.cand.body_pos_max = tb * 1.001;
  CHECK(cm_engine_check_judge(&c, &s, &r) == CM_ENGINE_CHECK_FAIL_BODY);
  s.cand.root_pos = tr * 1.001;
  s.cand.dof_pos = td * 1.001;
  CHECK(cm_engine_check_judge(&c, &s, &r) == (CM_ENGINE_CHECK_FAIL_ROOT | CM_ENGINE_CHECK_FAIL_BODY | CM_ENGINE_CHECK_FAIL_DOF));
  CHECK(r.body_ratio > 1);
  /* with a zero yardstick only the floor is left */
  cm_engine_check_step z = {.step = 1};
  z.cand.root_pos = 0.5 * CM_ENGINE_CHECK_POS_FLOOR;
  z.cand.dof_pos = 2 * CM_ENGINE_CHECK_DOF_FLOOR;
  CHECK(cm_engine_check_judge(&c, &z, &r) == CM_ENGINE_CHECK_FAIL_DOF);
}

typedef struct { int n; cm_engine_check_step s[64]; } trace;
static void record(void *ctx, const cm_engine_check_step *s) {
  trace *t = ctx;
  if (t->n < 64) t->s[t->n++] = *s;
}

/* MuJoCo against itself: the candidate matches exactly; the yardstick is about the perturbation
 * at the start (root: sqrt(3) x 1e-6, float rounding aside) and has grown by the end. */
static void self_check(void) {
  cm_engine_check_cfg c;
  cm_engine_check_defaults(&c);
  c.char_file = HUMANOID;
  snprintf(c.engine.engine_name, sizeof c.engine.engine_name, "mujoco");
  c.steps = 30;
  c.num_envs = 3;
  c.engine.num_threads = 1;
  static trace t;
  cm_engine_check_result r;
  cm_err err = {0};
  CHECK_OK(cm_engine_check_run(&c, record, &t, &r, &err), &err);
  CHECK(t.n == 31 && t.s[0].step == 0 && t.s[30].step == 30);
  CHECK(r.failed_steps == 0 && r.first_failed_step == 0 && r.num_dofs == 28 && r.substeps == 4);
  for (int k = 0; k < t.n; k++)
    CHECK(t.s[k].cand.root_pos == 0 && t.s[k].cand.body_pos_max == 0 && t.s[k].cand.dof_pos == 0 && !t.s[k].failed);
  CHECK(t.s[0].yard.root_pos > 1.5e-6 && t.s[0].yard.root_pos < 2.0e-6);
  /* the spherical joints' three components each moved by 1e-6: a rotation by sqrt(3) 1e-6 */
  CHECK(t.s[0].yard.dof_pos > 1.5e-6 && t.s[0].yard.dof_pos < 2.0e-6);
  CHECK(r.yard_max.body_pos_max > 100 * t.s[0].yard.body_pos_max);
  /* three copies: the first is the one above, so the largest of the three is never smaller */
  c.yard_copies = 3;
  static trace t3;
  CHECK_OK(cm_engine_check_run(&c, record, &t3, &r, &err), &err);
  int ge = t3.n == t.n, gt = 0;
  for (int k = 0; k < t3.n && ge; k++) {
    ge &= t3.s[k].yard.body_pos_max >= t.s[k].yard.body_pos_max && t3.s[k].yard.dof_pos >= t.s[k].yard.dof_pos &&
          t3.s[k].yard.root_pos >= t.s[k].yard.root_pos;
    gt |= t3.s[k].yard.body_pos_max > t.s[k].yard.body_pos_max;
  }
  CHECK(ge && gt);
  c.yard_copies = CM_ENGINE_CHECK_MAX_YARD + 1;
  CHECK(cm_engine_check_run(&c, NULL, NULL, &r, &err) == -1 && strstr(err.msg, "yard_copies"));
  c.yard_copies = 1;
  /* bad input is an error, not a crash */
  c.char_file = "tests/data/no_such_character.xml";
  CHECK(cm_engine_check_run(&c, NULL, NULL, &r, &err) == -1 && strstr(err.msg, "no_such_character.xml"));
  c.char_file = HUMANOID;
  snprintf(c.engine.engine_name, sizeof c.engine.engine_name, "warp");
  CHECK(cm_engine_check_run(&c, NULL, NULL, &r, &err) == -1 && strstr(err.msg, "warp"));
}

int main(void) {
  err_values();
  err_sphere();
  judge_boundary();
  self_check();
  return check_report("test_engine_check");
}
