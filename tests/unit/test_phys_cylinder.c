/* Cylinders on the ground plane in the cuda engine against MuJoCo 2.2.2 (mjc_PlaneCylinder):
 * the contacts of a cylinder at several poses (standing, lying, tilted, inside the margin) equal
 * mj_collision's in number, order, depth, position and normal; and a cylinder dropped standing
 * and lying comes to rest at MuJoCo's rest height (+-2 mm). */
#include <math.h>
#include <mujoco/mujoco.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "mj_xml.h"
#include "phys_one_env.h"
#include "sim/cuda/phys_collide.h"
#include "sim/cuda/phys_step.h"

#define CYL_XML(margin, euler, z)                                                                        \
  "<mujoco><option timestep='0.008333333'/><worldbody><geom type='plane' size='0 0 1'/>"              \
  "<body pos='0 0 " z "' euler='" euler "'><freejoint/><geom type='cylinder' size='0.05 0.1' margin='" \
  margin "'/></body></worldbody></mujoco>"

/* MuJoCo's contacts at the model's start pose against cm_collide on MuJoCo's geom poses. */
static void contacts_match(const char *name, const char *xml, int expect_n) {
  mjModel *m = mj_xml_load(xml);
  CHECK(m != NULL);
  if (!m) return;
  mjData *d = mj_makeData(m);
  mj_forward(m, d);
  cm_preal p[2][3], R[2][9], s[2][3];
  for (int g = 0; g < 2; g++) {
    for (int i = 0; i < 3; i++) p[g][i] = (cm_preal)d->geom_xpos[3 * g + i], s[g][i] = (cm_preal)m->geom_size[3 * g + i];
    for (int i = 0; i < 9; i++) R[g][i] = (cm_preal)d->geom_xmat[9 * g + i];
  }
  cm_contact con[CM_MAX_PAIR_CONTACTS];
  cm_preal margin = (cm_preal)fmax(m->geom_margin[0], m->geom_margin[1]);
  int n = cm_collide(CM_GEOM_PLANE, p[0], R[0], s[0], CM_GEOM_CYLINDER, p[1], R[1], s[1], margin, con);
  printf("%s: %d contacts (MuJoCo %d)\n", name, n, d->ncon);
  CHECK(n == d->ncon);
  CHECK(n == expect_n);
  double worst = 0;
  for (int c = 0; c < n && c < d->ncon; c++) {
    const mjContact *mc = d->contact + c;
    worst = fmax(worst, fabs(con[c].dist - mc->dist));
    for (int i = 0; i < 3; i++) worst = fmax(worst, fabs(con[c].pos[i] - mc->pos[i]));
    for (int i = 0; i < 9; i++) worst = fmax(worst, fabs(con[c].frame[i] - mc->frame[i]));
  }
  printf("  worst difference in dist, pos, frame: %.2e\n", worst);
  CHECK(worst < 2e-6);
  mj_deleteData(d);
  mj_deleteModel(m);
}

static void drop(const char *name, const char *xml, double expect_rest, int expect_ncon) {
  mjModel *m = mj_xml_load(xml);
  CHECK(m != NULL);
  if (!m) return;
  one_env o;
  CHECK(one_env_make(m, 1, &o) == 0);
  mjData *md = mj_makeData(m);
  int n = (int)(2.0 / m->opt.timestep + 0.5);
  for (int s = 0; s < n; s++) {
    mj_step(m, md);
    cm_phys_substep(cm_lanes_one(), &o.pm, &o.d);
  }
  printf("%s dropped, after 2 s: z %.5f (MuJoCo %.5f, geometric %.4f), %d contacts (MuJoCo %d)\n", name, o.d.qpos[2], md->qpos[2],
         expect_rest, o.d.ncon[0], md->ncon);
  CHECK_NEAR(o.d.qpos[2], md->qpos[2], 2e-3);
  CHECK_NEAR(o.d.qpos[2], expect_rest, 5e-3); /* soft contacts sink a few mm */
  CHECK(o.d.ncon[0] == md->ncon && md->ncon == expect_ncon);
  CHECK(fabs(o.d.qvel[2]) < 1e-2);
  mj_deleteData(md);
  free(o.block);
  mj_deleteModel(m);
}

int main(void) {
  /* standing, 1 mm in: the deepest rim point (x axis: the disc is parallel), its antipode on
   * the upper disc is far, the triangle's other two corners as deep */
  contacts_match("standing", CYL_XML("0", "0 0 0", "0.099"), 3);
  contacts_match("standing, tilted 6 deg", CYL_XML("0", "5 3 0", "0.096"), 3);
  contacts_match("standing, tilted, one rim point in", CYL_XML("0", "20 10 0", "0.11"), 1);
  contacts_match("lying, 1 mm in", CYL_XML("0", "90 0 30", "0.049"), 2);
  contacts_match("lying, tipped 10 deg, one end in", CYL_XML("0", "80 0 30", "0.055"), 1);
  contacts_match("lying, tipped 10 deg, both ends in the margin", CYL_XML("0.03", "80 0 30", "0.055"), 2);
  contacts_match("inside the margin", CYL_XML("0.01", "3 2 0", "0.105"), 3);
  contacts_match("above the margin", CYL_XML("0.01", "3 2 0", "0.2"), 0);
  contacts_match("tilted 60 deg, all four in a wide margin", CYL_XML("0.1", "60 0 0", "0.09"), 4);
  drop("standing", CYL_XML("0", "0 0 0", "0.3"), 0.1, 3);
  drop("lying", CYL_XML("0", "90 0 0", "0.3"), 0.05, 2);
  return check_report("test_phys_cylinder");
}
