/* A static object's MJCF (an env's vault box, a user's own file): its <worldbody> spliced into
 * the scene with every name prefixed, once and placed twice; then the whole scene through the
 * normaliser with that object, as an engine builds it. MuJoCo's XML compiler is not fuzzed here. */
#include "fuzz_util.h"
#include "core/bytebuf.h"
#include "anim/mjcf.h"
#include "anim/mjcf_objects.h"

static const char k_char[] = "<mujoco model=\"c\"><worldbody><body name=\"pelvis\"><freejoint/>"
                             "<geom type=\"sphere\" size=\"0.1\"/></body></worldbody></mujoco>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[200]; /* cm_static_object.file holds 256 */
  fz_file(data, size, "_object.xml", path, sizeof path);
  cm_static_object objs[2] = {{.pos = {1, 0, 0}, .rot = {0, 0, 0, 1}}, {.pos = {0, -2, 0.5f}, .rot = {0, 0, 0.7071f, 0.7071f}}};
  snprintf(objs[0].file, sizeof objs[0].file, "%s", path);
  snprintf(objs[1].file, sizeof objs[1].file, "%s", path);
  cm_err err;
  cm_buf out = {0};
  if (cm_mjcf_objects_xml(objs, 2, &out, &err) == 0) {
    volatile size_t n = out.len;
    (void)n;
  }
  cm_buf_free(&out);
  cm_mjcf_opts opts = {.add_scene = 1, .objects = objs, .num_objects = 1};
  char *xml = NULL;
  if (cm_mjcf_normalise("fuzz.xml", k_char, &opts, &xml, NULL, &err) == 0) free(xml);
  unlink(path);
  return 0;
}
