/* The vault substitute clips (tools/make_vault_clip.py) clear the vault boxes where MimicKit's
 * vault envs place them: humanoid_speed_vault over vault_humanoid's box ([2.2, 0.5, 0.2]),
 * g1_double_kong over vault_g1's two ([-6.53, 0.06, 0.14], [-7.62, 0.06, 0.14]). MuJoCo, with the
 * boxes (data/assets/objects/vault_box.xml's size) added to the character's scene, finds no
 * character geom within 2 cm of a box in any frame (contacts are generated within a 0.1 m margin);
 * each clip starts and ends with its feet on the floor and its root passes every box. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "anim/kin.h"
#include "anim/lowest_point.h"
#include "anim/motion.h"
#include "core/fileio.h"
#include "anim/mjcf.h"

#define BOX "data/assets/objects/vault_box.xml"

typedef struct {
  const char *char_file, *clip, *feet[2];
  int nboxes;
  double box[2][3];
} vault_case;

static const vault_case k_cases[] = {
    {"data/assets/humanoid/humanoid.xml", "data/motions/humanoid/humanoid_speed_vault.pkl", {"right_foot", "left_foot"},
     1, {{2.2, 0.5, 0.2}}},
    {"data/assets/g1/g1.xml", "data/motions/g1/g1_double_kong.pkl", {"left_ankle_roll_link", "right_ankle_roll_link"},
     2, {{-6.53, 0.06, 0.14}, {-7.62, 0.06, 0.14}}},
};

/* The character's MJCF with the boxes as world geoms "vault_box0", "vault_box1", written to tmp. */
static int scene_file(const vault_case *vc, const double *half, const char *tmp, cm_err *err) {
  char *text = NULL;
  if (cm_read_file(vc->char_file, &text, NULL, err)) return -1;
  char *wb = strstr(text, "<worldbody>");
  if (!wb) {
    free(text);
    return cm_fail(err, "%s: no <worldbody>", vc->char_file);
  }
  size_t head = (size_t)(wb - text) + strlen("<worldbody>");
  char boxes[1024] = "";
  for (int b = 0; b < vc->nboxes; b++) {
    size_t u = strlen(boxes);
    snprintf(boxes + u, sizeof boxes - u,
             "\n<geom name=\"vault_box%d\" type=\"box\" margin=\"0.1\" pos=\"%g %g %g\" size=\"%g %g %g\"/>", b,
             vc->box[b][0], vc->box[b][1], vc->box[b][2], half[0], half[1], half[2]);
  }
  char *s = malloc(strlen(text) + strlen(boxes) + 1);
  memcpy(s, text, head);
  strcpy(s + head, boxes);
  strcat(s, text + head);
  free(text);
  int rc = cm_write_file_atomic(tmp, s, strlen(s), err);
  free(s);
  return rc;
}

static void run_case(const vault_case *vc, const double *half) {
  cm_err err = {0};
  const char *tmp = "/tmp/cmimic_test_vault_scene.xml";
  CHECK_OK(scene_file(vc, half, tmp, &err), &err);
  cm_mjcf_opts scene = {.add_scene = 1};
  mjModel *m = NULL;
  static cm_char c;
  cm_motion clip = {0};
  cm_lowest *feet = NULL;
  CHECK_OK(cm_mjcf_compile(tmp, &scene, &m, NULL, &err), &err);
  CHECK_OK(cm_char_load(vc->char_file, &c, &err), &err);
  CHECK_OK(cm_motion_load(vc->clip, &clip, &err), &err);
  CHECK_OK(cm_lowest_open(vc->char_file, &c, &feet, &err), &err);
  if (!m || !feet || !clip.frames) return;
  CHECK(clip.frame_dim == 6 + c.num_dofs);
  mjData *d = mj_makeData(m);
  int gbox[2] = {mj_name2id(m, mjOBJ_GEOM, "vault_box0"), mj_name2id(m, mjOBJ_GEOM, "vault_box1")};
  int gfloor = mj_name2id(m, mjOBJ_GEOM, "cm_floor");
  int foot_ids[2] = {cm_char_body_id(&c, vc->feet[0]), cm_char_body_id(&c, vc->feet[1])};
  CHECK(foot_ids[0] >= 0 && foot_ids[1] >= 0);
  double closest = 1e9; /* nearest approach of a character geom to a box */
  float low_first = 1e9f, low_last = 1e9f, xmin = 1e9f, xmax = -1e9f;
  float qpos[256], rr[4];
  for (int f = 0; f < clip.num_frames; f++) {
    const float *fr = clip.frames + (size_t)f * clip.frame_dim;
    xmin = fminf(xmin, fr[0]);
    xmax = fmaxf(xmax, fr[0]);
    cm_exp_map_to_quat(rr, fr + 3);
    cm_kin_pose_to_qpos(&c, fr, rr, fr + 6, qpos);
    for (int i = 0; i < m->nq; i++) d->qpos[i] = qpos[i];
    mj_forward(m, d);
    for (int i = 0; i < d->ncon; i++) {
      const mjContact *k = d->contact + i;
      for (int b = 0; b < vc->nboxes; b++) {
        int other = k->geom1 == gbox[b] ? k->geom2 : (k->geom2 == gbox[b] ? k->geom1 : -1);
        if (other < 0 || other == gfloor) continue;
        if (k->dist < closest) closest = k->dist;
        if (k->dist < 0.02)
          fprintf(stderr, "%s frame %d: %s comes within %.3f m of box %d\n", vc->clip, f,
                  mj_id2name(m, mjOBJ_BODY, m->geom_bodyid[other]), k->dist, b);
      }
    }
    if (f == 0) low_first = cm_lowest_z(feet, fr, rr, fr + 6, foot_ids, 2);
    if (f == clip.num_frames - 1) low_last = cm_lowest_z(feet, fr, rr, fr + 6, foot_ids, 2);
  }
  char near[32];
  if (closest > 0.1) snprintf(near, sizeof near, "> 0.1");
  else snprintf(near, sizeof near, "%.3f", closest);
  printf("%s: %d frames, nearest approach to a box %s m, feet lowest point first/last frame %.3f / %.3f m, root x "
         "%.2f .. %.2f\n", vc->clip, clip.num_frames, near, low_first, low_last, xmin, xmax);
  CHECK(closest > 0.02);
  CHECK(fabsf(low_first) < 0.02f && fabsf(low_last) < 0.02f);
  for (int b = 0; b < vc->nboxes; b++) CHECK(xmin < vc->box[b][0] - half[0] && xmax > vc->box[b][0] + half[0]);
  cm_lowest_close(feet);
  mj_deleteData(d);
  mj_deleteModel(m);
  cm_motion_free(&clip);
}

static void quiet(const char *msg) { (void)msg; }

int main(void) {
  mju_user_warning = quiet;
  cm_err err = {0};
  cm_mjcf_opts plain = {0};
  mjModel *bm = NULL;
  CHECK_OK(cm_mjcf_compile(BOX, &plain, &bm, NULL, &err), &err);
  if (!bm) return check_report("test_vault_clip");
  CHECK(bm->ngeom == 1 && bm->geom_type[0] == mjGEOM_BOX);
  double half[3] = {bm->geom_size[0], bm->geom_size[1], bm->geom_size[2]};
  mj_deleteModel(bm);
  for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) run_case(&k_cases[i], half);
  return check_report("test_vault_clip");
}
