#include "render/offscreen.h"

#include <GL/osmesa.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const float cm_render_ref_rgba[4] = {0.20f, 0.85f, 0.30f, 0.50f};

struct cm_renderer {
  OSMesaContext gl;
  unsigned char *gl_buf; /* OSMesa's window buffer; MuJoCo draws into its own FBO */
  int width, height;
  int nbody, ngeom; /* to refuse a different model than the one the context was made for */
  mjvScene scn;
  mjvOption opt;
  mjrContext con;
  int track_valid;
  double track[2];
  unsigned char *flip; /* bottom-row-first pixels as GL returns them */
  cm_marker markers[CM_RENDER_MAX_MARKERS];
  int nmarkers;
};

void cm_camera_default(cm_camera *cam, cm_camera_mode mode) {
  memset(cam, 0, sizeof *cam);
  cam->mode = mode;
  /* Side-front view a little from above: the character's forward (+x) runs to the right. */
  cam->azimuth = 120;
  cam->elevation = -12;
  /* With MuJoCo's default 45 degree vertical field of view, 3.2 m shows about 2.65 m of height:
   * a 1.6 m humanoid fills a bit more than half the picture, with room to move. */
  cam->distance = mode == CM_CAMERA_TRACK ? 3.2 : 5.0;
  cam->lookat[2] = 0.9; /* pelvis height of a 1.6 m humanoid: keeps feet and head in view */
  cam->smoothing = 0.85;
}

static int gl_has_extension(const char *name) {
  const char *all = (const char *)glGetString(GL_EXTENSIONS);
  size_t n = strlen(name);
  for (const char *p = all; p && (p = strstr(p, name)) != NULL; p += n)
    if ((p == all || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) return 1;
  return 0;
}

/* mjr_makeContext ends the process through mju_error when GL lacks what it needs, so the
 * needs are checked here first and reported as an error value instead. */
static int check_gl(int width, int height, cm_err *err) {
  const char *version = (const char *)glGetString(GL_VERSION);
  int major = 0, minor = 0;
  if (!version || sscanf(version, "%d.%d", &major, &minor) != 2)
    return cm_fail(err, "offscreen rendering: OSMesa context reports no GL version");
  if (major < 1 || (major == 1 && minor < 5))
    return cm_fail(err, "offscreen rendering: GL %s is older than the 1.5 MuJoCo needs", version);
  if (major < 3 && !gl_has_extension("GL_ARB_framebuffer_object"))
    return cm_fail(err, "offscreen rendering: GL %s lacks framebuffer objects", version);
  GLint max_rb = 0;
  glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &max_rb);
  if (max_rb > 0 && (width > max_rb || height > max_rb))
    return cm_fail(err, "offscreen rendering: %dx%d exceeds the GL renderbuffer limit %d", width, height, max_rb);
  return 0;
}

static int make_current(cm_renderer *r) {
  return OSMesaMakeCurrent(r->gl, r->gl_buf, GL_UNSIGNED_BYTE, r->width, r->height) ? 0 : -1;
}

int cm_renderer_create(const mjModel *m, int width, int height, cm_renderer **out, cm_err *err) {
  *out = NULL;
  if (!m) return cm_fail(err, "cm_renderer_create: no model");
  if (width < 1 || height < 1 || width > 4096 || height > 4096)
    return cm_fail(err, "cm_renderer_create: size %dx%d is outside 1x1 .. 4096x4096", width, height);
  cm_renderer *r = calloc(1, sizeof *r);
  if (!r) return cm_fail(err, "cm_renderer_create: out of memory");
  r->width = width;
  r->height = height;
  r->nbody = m->nbody;
  r->ngeom = m->ngeom;
  r->gl_buf = malloc((size_t)width * (size_t)height * 4);
  r->flip = malloc((size_t)width * (size_t)height * 3);
  if (!r->gl_buf || !r->flip) {
    free(r->gl_buf);
    free(r->flip);
    free(r);
    return cm_fail(err, "cm_renderer_create: out of memory for %dx%d pixels", width, height);
  }
  r->gl = OSMesaCreateContextExt(OSMESA_RGBA, 24, 8, 0, NULL);
  if (!r->gl || make_current(r) != 0) {
    if (r->gl) OSMesaDestroyContext(r->gl);
    free(r->gl_buf);
    free(r->flip);
    free(r);
    return cm_fail(err, "cm_renderer_create: cannot create an OSMesa GL context (is libosmesa6 installed?)");
  }
  if (check_gl(width, height, err)) {
    OSMesaDestroyContext(r->gl);
    free(r->gl_buf);
    free(r->flip);
    free(r);
    return -1;
  }
  /* The offscreen buffer's size comes from the model; a shallow copy with our size lets one
   * compiled model serve renderers of any size. mjr_makeContext only reads the model. */
  mjModel sized = *m;
  sized.vis.global.offwidth = width;
  sized.vis.global.offheight = height;
  /* llvmpipe clears and fills the shadow map on the CPU every frame: 1024 is sharp enough. */
  if (sized.vis.quality.shadowsize > 1024) sized.vis.quality.shadowsize = 1024;
  /* Thumbnail-sized frames (tests, previews): 4x multisampling and a 1024 shadow map are most of
   * a frame's cost on llvmpipe and show little at this size (measured at 64x48: 6.7 s -> 2.1 s of
   * CPU for a view_motion video). */
  if (width * height <= 256 * 192) {
    sized.vis.quality.offsamples = 0;
    if (sized.vis.quality.shadowsize > 256) sized.vis.quality.shadowsize = 256;
  }
  /* MuJoCo's shadow box for a directional light is +-extent*shadowclip around the light's
   * axis; we put that axis through the character (see aim_lights), and 2 m covers it. */
  if (sized.stat.extent > 0 && sized.stat.extent * sized.vis.map.shadowclip < 2.0)
    sized.vis.map.shadowclip = (float)(2.0 / sized.stat.extent);
  mjr_defaultContext(&r->con);
  mjr_makeContext(&sized, &r->con, mjFONTSCALE_100);
  mjr_setBuffer(mjFB_OFFSCREEN, &r->con);
  if (r->con.currentBuffer != mjFB_OFFSCREEN) {
    mjr_freeContext(&r->con);
    OSMesaDestroyContext(r->gl);
    free(r->gl_buf);
    free(r->flip);
    free(r);
    return cm_fail(err, "cm_renderer_create: MuJoCo could not select its offscreen buffer");
  }
  mjv_defaultOption(&r->opt);
  mjv_defaultScene(&r->scn);
  /* Room for the character twice (the reference pose) plus decorations. */
  mjv_makeScene(m, &r->scn, 2 * m->ngeom + 100);
  /* The floor's faint reflection costs a second pass of the whole scene on a CPU renderer. */
  r->scn.flags[mjRND_REFLECTION] = 0;
  *out = r;
  return 0;
}

void cm_renderer_destroy(cm_renderer *r) {
  if (!r) return;
  make_current(r); /* GL objects are freed in their own context */
  mjv_freeScene(&r->scn);
  mjr_freeContext(&r->con);
  OSMesaDestroyContext(r->gl);
  free(r->gl_buf);
  free(r->flip);
  free(r);
}

void cm_renderer_reset_camera(cm_renderer *r) {
  if (r) r->track_valid = 0;
}

static int root_body(const mjModel *m) {
  for (int b = 1; b < m->nbody; b++)
    if (m->body_parentid[b] == 0) return b;
  return 0;
}

static int place_camera(cm_renderer *r, const mjModel *m, const mjData *d, const cm_camera *cam, mjvCamera *vc,
                        cm_err *err) {
  mjv_defaultCamera(vc);
  vc->type = mjCAMERA_FREE;
  vc->azimuth = cam->azimuth;
  vc->elevation = cam->elevation;
  vc->distance = cam->distance > 0 ? cam->distance : 3.2;
  vc->lookat[2] = cam->lookat[2];
  if (cam->mode == CM_CAMERA_STILL) {
    vc->lookat[0] = cam->lookat[0];
    vc->lookat[1] = cam->lookat[1];
    return 0;
  }
  if (cam->mode != CM_CAMERA_TRACK) return cm_fail(err, "cm_render_frame: unknown camera mode %d", (int)cam->mode);
  int b = cam->body > 0 ? cam->body : root_body(m);
  if (b >= m->nbody) return cm_fail(err, "cm_render_frame: camera.body %d is not a body (model has %d)", b, m->nbody);
  double s = cam->smoothing;
  if (!(s >= 0 && s < 1)) s = 0;
  for (int k = 0; k < 2; k++) {
    double target = d->xpos[3 * b + k] + cam->lookat[k]; /* lookat x/y: offset from the body */
    r->track[k] = r->track_valid ? s * r->track[k] + (1 - s) * target : target;
    vc->lookat[k] = r->track[k];
  }
  r->track_valid = 1;
  return 0;
}

/* Appends the geoms of ref_d's character (bodies that can move) in the reference colour. */
static void add_reference(cm_renderer *r, const mjModel *m, const mjData *ref_d) {
  int first = r->scn.ngeom;
  /* mjv_addGeoms only reads the data; its prototype predates const-correctness. */
  mjv_addGeoms(m, (mjData *)ref_d, &r->opt, NULL, mjCAT_ALL, &r->scn);
  int keep = first;
  for (int i = first; i < r->scn.ngeom; i++) {
    mjvGeom g = r->scn.geoms[i];
    if (g.objtype != mjOBJ_GEOM || g.objid < 0 || g.objid >= m->ngeom) continue;
    int b = m->geom_bodyid[g.objid];
    /* the world and bodies welded to it (an env's static objects) are scene, not character;
     * a mocap body (a fixed-root character's root) is character */
    if (b == 0 || (m->body_weldid[b] == 0 && m->body_mocapid[b] < 0)) continue;
    memcpy(g.rgba, cm_render_ref_rgba, sizeof g.rgba);
    g.texid = -1;
    g.reflectance = 0;
    g.emission = 0.2f;
    g.segid = keep;
    r->scn.geoms[keep++] = g;
  }
  r->scn.ngeom = keep;
}

/* MuJoCo renders a directional light's shadow only near the light's axis, which runs
 * through the light's model position; re-aim every shadow-casting directional light so its
 * axis passes through the character, wherever it has walked. */
static void aim_lights(cm_renderer *r, const mjModel *m, const mjData *d) {
  int b = root_body(m);
  const double *c = d->xpos + 3 * b;
  for (int i = 0; i < r->scn.nlight; i++) {
    mjvLight *l = &r->scn.lights[i];
    if (!l->directional || !l->castshadow || l->headlight) continue;
    for (int k = 0; k < 3; k++) l->pos[k] = (float)(c[k] - 10.0 * l->dir[k]);
  }
}

void cm_render_set_markers(cm_renderer *r, const cm_marker *markers, int n) {
  if (!r) return;
  r->nmarkers = n < 0 ? 0 : n > CM_RENDER_MAX_MARKERS ? CM_RENDER_MAX_MARKERS : n;
  if (r->nmarkers) memcpy(r->markers, markers, sizeof *markers * (size_t)r->nmarkers);
}

/* The task markers as decoration geoms (no physics body behind them). */
static void add_markers(cm_renderer *r) {
  for (int k = 0; k < r->nmarkers && r->scn.ngeom < r->scn.maxgeom; k++) {
    const cm_marker *mk = &r->markers[k];
    mjvGeom *g = &r->scn.geoms[r->scn.ngeom];
    mjtNum size[3] = {mk->size, mk->size, mk->size}, pos[3] = {mk->pos[0], mk->pos[1], mk->pos[2]};
    if (mk->kind == CM_MARKER_SPHERE) {
      mjv_initGeom(g, mjGEOM_SPHERE, size, pos, NULL, mk->rgba);
    } else {
      mjv_initGeom(g, mjGEOM_NONE, size, pos, NULL, mk->rgba);
      int type = mk->kind == CM_MARKER_ARROW ? mjGEOM_ARROW : mjGEOM_LINE;
      /* a line's width is in pixels */
      mjtNum width = mk->kind == CM_MARKER_ARROW ? mk->size : 2.0;
      mjv_makeConnector(g, type, width, pos[0], pos[1], pos[2], pos[0] + mk->vec[0], pos[1] + mk->vec[1],
                        pos[2] + mk->vec[2]);
    }
    g->category = mjCAT_DECOR;
    g->objtype = mjOBJ_UNKNOWN;
    g->objid = -1;
    g->segid = r->scn.ngeom;
    r->scn.ngeom++;
  }
}

int cm_render_frame(cm_renderer *r, const mjModel *m, mjData *d, const mjData *ref_d, const cm_camera *cam,
                    unsigned char *rgb_out, cm_err *err) {
  if (!r || !m || !d || !cam || !rgb_out) return cm_fail(err, "cm_render_frame: missing argument");
  if (m->nbody != r->nbody || m->ngeom != r->ngeom)
    return cm_fail(err, "cm_render_frame: model differs from the one the renderer was created for");
  if (make_current(r) != 0) return cm_fail(err, "cm_render_frame: cannot make the OSMesa context current");
  mjvCamera vc;
  if (place_camera(r, m, d, cam, &vc, err)) return -1;
  mjv_updateScene(m, d, &r->opt, NULL, &vc, mjCAT_ALL, &r->scn);
  aim_lights(r, m, d);
  if (ref_d) add_reference(r, m, ref_d);
  add_markers(r);
  mjrRect viewport = {0, 0, r->width, r->height};
  mjr_setBuffer(mjFB_OFFSCREEN, &r->con);
  mjr_render(viewport, &r->scn, &r->con);
  mjr_readPixels(r->flip, NULL, viewport, &r->con);
  size_t row = (size_t)r->width * 3;
  for (int y = 0; y < r->height; y++)
    memcpy(rgb_out + (size_t)y * row, r->flip + (size_t)(r->height - 1 - y) * row, row);
  return 0;
}
