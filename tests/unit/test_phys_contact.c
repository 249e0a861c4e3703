/* Contacts of the cuda engine's physics against MuJoCo and against friction's law: a capsule
 * and a box dropped on the plane come to rest at MuJoCo's rest height (+-2 mm), a sphere on a
 * joint limit rests where MuJoCo's does, and a box on a 20 degree incline slides when
 * mu < tan 20 and sticks when mu > tan 20. */
#include <math.h>
#include <mujoco/mujoco.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "mj_xml.h"
#include "phys_one_env.h"
#include "core/err.h"
#include "sim/cuda/phys_step.h"

/* Steps both for `seconds`; returns the final qpos of ours and MuJoCo's in q_ours / q_mj. */
static void run_both(mjModel *m, one_env *o, double seconds, double *q_ours, double *q_mj) {
  mjData *md = mj_makeData(m);
  int n = (int)(seconds / m->opt.timestep + 0.5);
  for (int s = 0; s < n; s++) {
    mj_step(m, md);
    cm_phys_substep(cm_lanes_one(), &o->pm, &o->d);
  }
  for (int k = 0; k < m->nq; k++) {
    q_ours[k] = o->d.qpos[k];
    q_mj[k] = md->qpos[k];
  }
  mj_deleteData(md);
}

static void drop(const char *name, const char *geom, double expect_rest) {
  char xml[1024];
  snprintf(xml, sizeof xml,
           "<mujoco><option timestep='0.008333333'/><worldbody><geom type='plane' size='0 0 1'/>"
           "<body pos='0 0 0.5' euler='%s'><freejoint/>%s</body></worldbody></mujoco>",
           strstr(geom, "capsule") ? "0 90 0" : "0 0 0", geom);
  mjModel *m = mj_xml_load(xml);
  CHECK(m != NULL);
  if (!m) return;
  one_env o;
  CHECK(one_env_make(m, 1, &o) == 0);
  double qo[16], qm[16];
  run_both(m, &o, 2.0, qo, qm);
  printf("%s dropped from 0.5 m, after 2 s: z %.5f (MuJoCo %.5f, geometric %.4f), %d contacts, %d rows\n", name, qo[2],
         qm[2], expect_rest, o.d.ncon[0], o.d.nefc[0]);
  CHECK_NEAR(qo[2], qm[2], 2e-3);
  CHECK_NEAR(qo[2], expect_rest, 5e-3); /* soft contacts sink a few mm */
  CHECK(fabs(o.d.qvel[2]) < 1e-2);
  free(o.block);
  mj_deleteModel(m);
}

/* Dropped onto a static box in the world (a vault's platform, top at z = 0.3, rotated about z)
 * off its centre, so the rest height is MuJoCo's and the geom does not fall off. */
static void drop_on_static_box(const char *name, const char *geom, double expect_rest) {
  char xml[1024];
  snprintf(xml, sizeof xml,
           "<mujoco><option timestep='0.008333333'/><worldbody><geom type='plane' size='0 0 1'/>"
           "<geom type='box' pos='0.05 0 0.15' size='0.4 0.3 0.15' euler='0 0 20'/>"
           "<body pos='0 0.02 0.7' euler='%s'><freejoint/>%s</body></worldbody></mujoco>",
           strstr(geom, "capsule") ? "0 90 0" : "0 0 10", geom);
  mjModel *m = mj_xml_load(xml);
  CHECK(m != NULL);
  if (!m) return;
  one_env o;
  CHECK(one_env_make(m, 1, &o) == 0);
  double qo[16], qm[16];
  run_both(m, &o, 2.0, qo, qm);
  printf("%s dropped on a static box, after 2 s: z %.5f (MuJoCo %.5f, geometric %.4f), %d contacts\n", name, qo[2], qm[2],
         expect_rest, o.d.ncon[0]);
  CHECK_NEAR(qo[2], qm[2], 2e-3);
  CHECK_NEAR(qo[2], expect_rest, 5e-3);
  CHECK(o.d.ncon[0] >= 1);
  free(o.block);
  mj_deleteModel(m);
}

/* A box on a plane tilted by 20 degrees about y, started at rest on its surface. */
static void incline(double mu, int expect_slide) {
  double th = 20 * M_PI / 180;
  char xml[1024];
  /* the body frame is the plane's: 0.05 m above it along its normal */
  double nx = sin(th) * 0.05, nz = cos(th) * 0.05;
  snprintf(xml, sizeof xml,
           "<mujoco><option timestep='0.004'/><worldbody><geom type='plane' size='0 0 1' euler='0 20 0' friction='%g 0 0'/>"
           "<body pos='%g 0 %g' euler='0 20 0'><freejoint/><geom type='box' size='0.1 0.1 0.05' friction='%g 0 0'/></body>"
           "</worldbody></mujoco>",
           mu, nx, nz, mu);
  mjModel *m = mj_xml_load(xml);
  CHECK(m != NULL);
  if (!m) return;
  one_env o;
  CHECK(one_env_make(m, 1, &o) == 0);
  double qo[16], qm[16];
  run_both(m, &o, 1.0, qo, qm);
  double moved = hypot(qo[0] - nx, qo[2] - nz), moved_mj = hypot(qm[0] - nx, qm[2] - nz);
  /* Coulomb: a = g (sin th - mu cos th) down the slope when positive */
  double a = 9.81 * (sin(th) - mu * cos(th)), expect = a > 0 ? 0.5 * a : 0;
  printf("box on 20 deg incline, mu %.2f (tan 20 = %.3f): moved %.4f m in 1 s (MuJoCo %.4f, Coulomb %.4f)\n", mu, tan(th),
         moved, moved_mj, expect);
  if (expect_slide) {
    CHECK(moved > 0.5 * expect);
    CHECK_NEAR(moved, expect, 0.15 * expect + 0.01);
    CHECK_NEAR(moved, moved_mj, 0.1 * moved_mj + 0.01);
  } else {
    CHECK(moved < 5e-3);
  }
  free(o.block);
  mj_deleteModel(m);
}

/* A pendulum resting on its joint limit under gravity (limit row only, no contact). */
static void limit_rest(void) {
  mjModel *m = mj_xml_load("<mujoco><option timestep='0.008333333'/><worldbody><body pos='0 0 1'>"
                           "<joint type='hinge' axis='0 1 0' limited='true' range='-30 30' solimplimit='0 .99 .01'/>"
                           "<geom type='capsule' fromto='0 0 0 0.5 0 0' size='0.03' contype='0' conaffinity='0'/>"
                           "</body></worldbody></mujoco>");
  CHECK(m != NULL);
  if (!m) return;
  one_env o;
  CHECK(one_env_make(m, 1, &o) == 0);
  double qo[4], qm[4];
  run_both(m, &o, 2.0, qo, qm);
  printf("pendulum on its 30 deg limit after 2 s: q %.5f rad (MuJoCo %.5f)\n", qo[0], qm[0]);
  CHECK_NEAR(qo[0], qm[0], 1e-3);
  CHECK_NEAR(qo[0], 30 * M_PI / 180, 0.02);
  free(o.block);
  mj_deleteModel(m);
}

/* Past the capacity the deepest contacts stay: a tilted box pressed into the plane makes 4,
 * a model cut to 2 keeps the 2 deepest of them and counts 2 dropped. */
static void capacity(void) {
  mjModel *m = mj_xml_load("<mujoco><worldbody><geom type='plane' size='0 0 1'/><body pos='0 0 0.035' euler='3 2 0'>"
                           "<freejoint/><geom type='box' size='0.1 0.2 0.05'/></body></worldbody></mujoco>");
  CHECK(m != NULL);
  if (!m) return;
  one_env full, cut;
  CHECK(one_env_make(m, 1, &full) == 0);
  cm_err err;
  CHECK_OK(cm_phys_model_compile(m, "test", &cut.pm, &err), &err);
  cut.pm.ncon_max = 2;
  cm_phys_layout_make(&cut.pm, 1, &cut.L);
  cut.block = calloc((size_t)cut.L.total + 1, sizeof(cm_preal));
  cm_phys_data_at(&cut.L, cut.block, 0, &cut.d);
  for (int k = 0; k < m->nq; k++) cut.d.qpos[k] = (cm_preal)m->qpos0[k];
  cm_phys_forward(&cut.pm, &cut.d);
  CHECK(full.d.ncon[0] == 4 && cut.d.ncon[0] == 2 && cut.d.ncon_dropped[0] == 2);
  /* the two deepest of the full set */
  double dd[4];
  for (int k = 0; k < 4; k++) dd[k] = full.d.contact_dist[k];
  for (int a = 0; a < 4; a++)
    for (int b = a + 1; b < 4; b++)
      if (dd[b] < dd[a]) { double t = dd[a]; dd[a] = dd[b]; dd[b] = t; }
  double kept0 = fmin(cut.d.contact_dist[0], cut.d.contact_dist[1]), kept1 = fmax(cut.d.contact_dist[0], cut.d.contact_dist[1]);
  printf("capacity 2 of 4 contacts: kept dists %.5f %.5f (deepest two %.5f %.5f), dropped %d\n", kept0, kept1, dd[0], dd[1],
         cut.d.ncon_dropped[0]);
  CHECK(kept0 == dd[0] && kept1 == dd[1]);
  free(full.block);
  free(cut.block);
  mj_deleteModel(m);
}

int main(void) {
  capacity();
  drop("capsule r 0.05", "<geom type='capsule' size='0.05 0.2'/>", 0.05);
  drop("box 0.1x0.2x0.06", "<geom type='box' size='0.1 0.2 0.06'/>", 0.06);
  drop("sphere r 0.1", "<geom type='sphere' size='0.1'/>", 0.1);
  drop_on_static_box("sphere r 0.1", "<geom type='sphere' size='0.1'/>", 0.4);
  drop_on_static_box("capsule r 0.05", "<geom type='capsule' size='0.05 0.2'/>", 0.35);
  drop_on_static_box("box 0.1x0.2x0.06", "<geom type='box' size='0.1 0.2 0.06'/>", 0.36);
  limit_rest();
  incline(0.2, 1);
  incline(0.6, 0);
  return check_report("test_phys_contact");
}
