#include "anim/mjcf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/bytebuf.h"
#include "core/fileio.h"
#include "anim/mjcf_objects.h"

/* Attributes of newer MuJoCo releases that 2.2.2 rejects; they only tune actuation. */
static const char *const k_newer_attrs[] = {"actuatorfrcrange", "actuatorfrclimited", "actuatorgravcomp", NULL};

static int line_of(const char *text, const char *at) {
  int line = 1;
  for (const char *p = text; p < at; p++) line += *p == '\n';
  return line;
}

/* Finds name="..." inside the element that contains position at. */
static void element_name(const char *text, const char *at, char *name, size_t cap) {
  name[0] = 0;
  const char *start = at;
  while (start > text && *start != '<') start--;
  const char *end = strchr(at, '>');
  if (!end) return;
  for (const char *p = start + 1; p + 6 < end; p++) { /* p[-1] stays inside the text */
    if ((p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') && !strncmp(p, "name=", 5) && (p[5] == '"' || p[5] == '\'')) {
      char q = p[5];
      const char *v = p + 6, *ve = strchr(v, q);
      if (!ve || ve > end) return;
      size_t n = (size_t)(ve - v);
      if (n >= cap) n = cap - 1;
      memcpy(name, v, n);
      name[n] = 0;
      return;
    }
  }
}

/* Removes every occurrence of the newer attributes, recording actuatorfrcrange values. */
static int strip_newer_attrs(const char *path, const char *text, cm_buf *out, cm_mjcf_limits *limits, cm_err *err) {
  const char *p = text;
  for (;;) {
    const char *hit = NULL;
    size_t hit_len = 0;
    int which = -1;
    for (int a = 0; k_newer_attrs[a]; a++) {
      size_t n = strlen(k_newer_attrs[a]);
      for (const char *q = strstr(p, k_newer_attrs[a]); q; q = strstr(q + 1, k_newer_attrs[a])) {
        /* must be a whole attribute name: preceded by space and followed by = */
        const char *r = q + n;
        while (*r == ' ') r++;
        if (q > text && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\n') && *r == '=') {
          if (!hit || q < hit) { hit = q; hit_len = n; which = a; }
          break;
        }
      }
    }
    if (!hit) break;
    const char *eq = strchr(hit + hit_len, '=');
    const char *v = eq + 1;
    while (*v == ' ') v++;
    if (*v != '"' && *v != '\'')
      return cm_fail(err, "%s:%d: attribute '%s' has no quoted value", path, line_of(text, hit), k_newer_attrs[which]);
    char q = *v;
    const char *ve = strchr(v + 1, q);
    if (!ve) return cm_fail(err, "%s:%d: attribute '%s' value is not closed", path, line_of(text, hit), k_newer_attrs[which]);
    if (which == 0 && limits) {
      double lo, hi;
      if (sscanf(v + 1, "%lf %lf", &lo, &hi) != 2)
        return cm_fail(err, "%s:%d: actuatorfrcrange needs two numbers", path, line_of(text, hit));
      if (limits->count >= CM_MJCF_MAX_LIMITS) return cm_fail(err, "%s: too many actuatorfrcrange attributes", path);
      element_name(text, hit, limits->joint[limits->count], sizeof limits->joint[0]);
      limits->lo[limits->count] = lo;
      limits->hi[limits->count] = hi;
      limits->count++;
    }
    const char *cut = hit;
    while (cut > p && (cut[-1] == ' ' || cut[-1] == '\t')) cut--;
    if (cm_buf_put(out, p, (size_t)(cut - p))) return cm_fail(err, "out of memory");
    p = ve + 1;
  }
  if (cm_buf_put(out, p, strlen(p))) return cm_fail(err, "out of memory");
  return 0;
}

/* Drops the first <freejoint .../> (or <joint type="free" .../>) in the text. */
static void drop_free_joint(char *s) {
  char *j = strstr(s, "<freejoint");
  if (!j) {
    for (char *q = strstr(s, "<joint"); q; q = strstr(q + 1, "<joint")) {
      char *e = strchr(q, '>');
      char *t = strstr(q, "type=\"free\"");
      if (e && t && t < e) { j = q; break; }
    }
  }
  if (!j) return;
  char *e = strstr(j, "/>");
  if (!e) return;
  e += 2;
  memmove(j, e, strlen(e) + 1);
}

/* fix_root's other half: the root body becomes a mocap body (welded to the world, placed through
 * mocap_pos/quat). Rebuilds *b with ` mocap="true"` after the first <body under <worldbody>. */
static int make_root_mocap(const char *path, cm_buf *b, cm_err *err) {
  char *xml = (char *)b->data;
  char *body = strstr(xml, "<worldbody>");
  while (body && (body = strstr(body + 1, "<body")) &&
         !(body[5] == ' ' || body[5] == '>' || body[5] == '\n' || body[5] == '\t')) {}
  if (!body) return cm_fail(err, "%s: no <body> under <worldbody> to fix", path);
  size_t head = (size_t)(body + 5 - xml);
  cm_buf o = {0};
  cm_buf_put(&o, xml, head);
  cm_buf_put(&o, " mocap=\"true\"", 13);
  cm_buf_put(&o, xml + head, b->len - head);
  if (o.failed) {
    cm_buf_free(&o);
    return cm_fail(err, "out of memory");
  }
  cm_buf_free(b);
  *b = o;
  return 0;
}

static const char k_scene_assets[] =
    "<visual><global offwidth=\"1920\" offheight=\"1080\"/><quality shadowsize=\"4096\"/>"
    "<headlight ambient=\".35 .35 .35\" diffuse=\".5 .5 .5\" specular=\".1 .1 .1\"/></visual>\n"
    "<asset><texture name=\"cm_grid\" type=\"2d\" builtin=\"checker\" rgb1=\".78 .80 .82\" rgb2=\".64 .67 .70\""
    " width=\"512\" height=\"512\" mark=\"edge\" markrgb=\".35 .37 .40\"/>"
    "<material name=\"cm_grid\" texture=\"cm_grid\" texrepeat=\"1 1\" texuniform=\"true\" reflectance=\".05\"/>"
    "<texture name=\"cm_sky\" type=\"skybox\" builtin=\"gradient\" rgb1=\".55 .68 .85\" rgb2=\".92 .94 .97\" width=\"256\" height=\"256\"/>"
    "</asset>\n";
static const char k_scene_world[] =
    "\n<light name=\"cm_sun\" directional=\"true\" pos=\"0 0 10\" dir=\"-0.3 0.2 -1\" diffuse=\".6 .6 .6\" castshadow=\"true\"/>"
    "<geom name=\"cm_floor\" type=\"plane\" size=\"0 0 0.05\" material=\"cm_grid\" condim=\"3\" friction=\"1 0.05 0.05\"/>\n";

int cm_mjcf_normalise(const char *path, const char *text, const cm_mjcf_opts *opts, char **out,
                      cm_mjcf_limits *limits, cm_err *err) {
  if (limits) limits->count = 0;
  cm_buf b = {0};
  if (strip_newer_attrs(path, text, &b, limits, err)) {
    cm_buf_free(&b);
    return -1;
  }
  if (opts && opts->fix_root) {
    drop_free_joint((char *)b.data);
    b.len = strlen((char *)b.data);
    if (make_root_mocap(path, &b, err)) {
      cm_buf_free(&b);
      return -1;
    }
  }
  char *xml = (char *)b.data;
  if (opts && opts->add_scene) {
    char *mj = strstr(xml, "<mujoco");
    char *mj_end = mj ? strchr(mj, '>') : NULL;
    char *wb = mj_end ? strstr(mj_end, "<worldbody>") : NULL; /* inside <mujoco>, not in a comment before it */
    if (!mj_end || !wb) {
      cm_buf_free(&b);
      return cm_fail(err, "%s: not an MJCF model (no <mujoco> element with a <worldbody>)", path);
    }
    cm_buf o = {0};
    size_t head = (size_t)(mj_end + 1 - xml), wb_end = (size_t)(wb - xml) + strlen("<worldbody>");
    cm_buf_put(&o, xml, head);
    cm_buf_put(&o, "\n", 1);
    cm_buf_put(&o, k_scene_assets, strlen(k_scene_assets));
    cm_buf_put(&o, xml + head, wb_end - head);
    cm_buf_put(&o, k_scene_world, strlen(k_scene_world));
    if (opts->num_objects > 0 && cm_mjcf_objects_xml(opts->objects, opts->num_objects, &o, err)) {
      cm_buf_free(&o);
      cm_buf_free(&b);
      return cm_wrap(err, "%s: scene", path);
    }
    cm_buf_put(&o, xml + wb_end, strlen(xml + wb_end));
    cm_buf_free(&b);
    if (o.failed) {
      cm_buf_free(&o);
      return cm_fail(err, "out of memory");
    }
    b = o;
  }
  *out = (char *)b.data;
  return 0;
}

int cm_mjcf_compile(const char *path, const cm_mjcf_opts *opts, mjModel **out, cm_mjcf_limits *limits, cm_err *err) {
  char *text = NULL, *norm = NULL;
  if (cm_read_file(path, &text, NULL, err)) return -1;
  int rc = cm_mjcf_normalise(path, text, opts, &norm, limits, err);
  free(text);
  if (rc) return -1;
  mjVFS *vfs = calloc(1, sizeof *vfs);
  if (!vfs) {
    free(norm);
    return cm_fail(err, "out of memory");
  }
  mj_defaultVFS(vfs);
  /* The normalised text is served under the original path, so relative asset paths
   * (meshes, includes) still resolve next to the file. */
  int size = (int)strlen(norm);
  if (mj_makeEmptyFileVFS(vfs, path, size) != 0) {
    free(norm);
    free(vfs);
    return cm_fail(err, "%s: cannot stage the model for MuJoCo", path);
  }
  int slot = mj_findFileVFS(vfs, path);
  memcpy(vfs->filedata[slot], norm, (size_t)size);
  free(norm);
  char mjerr[1000] = "";
  mjModel *m = mj_loadXML(path, vfs, mjerr, sizeof mjerr);
  mj_deleteVFS(vfs);
  free(vfs);
  if (!m) {
    for (char *c = mjerr; *c; c++)
      if (*c == '\n') *c = ' ';
    return cm_fail(err, "%s: MuJoCo cannot compile the model: %s", path, mjerr);
  }
  *out = m;
  return 0;
}
