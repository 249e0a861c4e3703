#include "anim/bvh.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/bytebuf.h"
#include "core/quat.h"

typedef struct {
  const char *name, *p;
  int line;
} lexer;

/* Next whitespace-separated token into tok; 0 at the end of the text. */
static int next(lexer *lx, char *tok, size_t cap) {
  while (*lx->p && isspace((unsigned char)*lx->p)) lx->line += *lx->p++ == '\n';
  if (!*lx->p) return 0;
  size_t n = 0;
  while (*lx->p && !isspace((unsigned char)*lx->p)) {
    if (n + 1 < cap) tok[n++] = *lx->p;
    lx->p++;
  }
  tok[n] = 0;
  return 1;
}

static int expect_num(lexer *lx, double *v, const char *what, cm_err *err) {
  char tok[64], *end;
  if (!next(lx, tok, sizeof tok)) return cm_fail(err, "%s:%d: file ends where %s was expected", lx->name, lx->line, what);
  *v = strtod(tok, &end);
  if (*end || !isfinite(*v)) return cm_fail(err, "%s:%d: '%s' is not a number (%s)", lx->name, lx->line, tok, what);
  return 0;
}

static int channel_code(const char *s) {
  if (!strcmp(s, "Xrotation")) return 'X';
  if (!strcmp(s, "Yrotation")) return 'Y';
  if (!strcmp(s, "Zrotation")) return 'Z';
  if (!strcmp(s, "Xposition")) return 'x';
  if (!strcmp(s, "Yposition")) return 'y';
  if (!strcmp(s, "Zposition")) return 'z';
  return 0;
}

/* One ROOT / JOINT / End Site block after its keyword (name already read). */
static int parse_joint(lexer *lx, cm_bvh *b, const char *jname, int parent, int end_site, cm_err *err) {
  char tok[128];
  if (b->num_joints >= CM_BVH_MAX_JOINTS)
    return cm_fail(err, "%s:%d: more than %d joints and end sites", lx->name, lx->line, CM_BVH_MAX_JOINTS);
  int j = b->num_joints++;
  snprintf(b->name[j], sizeof b->name[j], "%s", jname);
  b->parent[j] = parent;
  b->first_channel[j] = b->channels_per_frame;
  if (!next(lx, tok, sizeof tok) || strcmp(tok, "{"))
    return cm_fail(err, "%s:%d: expected '{' after joint '%s'", lx->name, lx->line, jname);
  while (next(lx, tok, sizeof tok)) {
    if (!strcmp(tok, "}")) return 0;
    if (!strcmp(tok, "OFFSET")) {
      for (int k = 0; k < 3; k++)
        if (expect_num(lx, &b->offset[j][k], "an OFFSET value", err)) return -1;
    } else if (!strcmp(tok, "CHANNELS") && !end_site) {
      double n;
      if (expect_num(lx, &n, "the channel count", err)) return -1;
      if (n < 0 || n > 6 || n != floor(n))
        return cm_fail(err, "%s:%d: joint '%s' has %g channels (0..6 allowed)", lx->name, lx->line, jname, n);
      b->num_channels[j] = (int)n;
      int rot = 0;
      for (int k = 0; k < (int)n; k++) {
        if (!next(lx, tok, sizeof tok)) return cm_fail(err, "%s:%d: file ends in CHANNELS", lx->name, lx->line);
        int c = channel_code(tok);
        if (!c) return cm_fail(err, "%s:%d: unknown channel '%s' of joint '%s'", lx->name, lx->line, tok, jname);
        if (islower(c) && parent >= 0)
          return cm_fail(err, "%s:%d: joint '%s' has a position channel; only the root may move", lx->name, lx->line,
                         jname);
        rot += isupper(c) != 0;
        b->channel[j][k] = (char)c;
      }
      if (rot != 0 && rot != 3)
        return cm_fail(err, "%s:%d: joint '%s' has %d rotation channels; 0 or 3 are supported", lx->name, lx->line,
                       jname, rot);
      b->channels_per_frame += (int)n;
    } else if (!strcmp(tok, "JOINT") && !end_site) {
      if (!next(lx, tok, sizeof tok)) return cm_fail(err, "%s:%d: JOINT without a name", lx->name, lx->line);
      char nm[128];
      snprintf(nm, sizeof nm, "%s", tok);
      if (parse_joint(lx, b, nm, j, 0, err)) return -1;
    } else if (!strcmp(tok, "End") && !end_site) {
      if (!next(lx, tok, sizeof tok) || strcmp(tok, "Site"))
        return cm_fail(err, "%s:%d: expected 'End Site'", lx->name, lx->line);
      char nm[128];
      snprintf(nm, sizeof nm, "%.58s_end", jname);
      if (parse_joint(lx, b, nm, j, 1, err)) return -1;
    } else {
      return cm_fail(err, "%s:%d: unexpected '%s' in joint '%s'", lx->name, lx->line, tok, jname);
    }
  }
  return cm_fail(err, "%s:%d: joint '%s' is not closed with '}'", lx->name, lx->line, jname);
}

void cm_bvh_free(cm_bvh *b) {
  if (!b) return;
  free(b->values);
  b->values = NULL;
}

int cm_bvh_parse(const char *text, const char *name, cm_bvh *b, cm_err *err) {
  memset(b, 0, sizeof *b);
  lexer lx = {name, text, 1};
  char tok[128];
  if (!next(&lx, tok, sizeof tok) || strcmp(tok, "HIERARCHY"))
    return cm_fail(err, "%s:1: not a BVH file (it must start with HIERARCHY)", name);
  if (!next(&lx, tok, sizeof tok) || strcmp(tok, "ROOT"))
    return cm_fail(err, "%s:%d: expected ROOT after HIERARCHY", name, lx.line);
  if (!next(&lx, tok, sizeof tok)) return cm_fail(err, "%s:%d: ROOT without a name", name, lx.line);
  char root[128];
  snprintf(root, sizeof root, "%s", tok);
  if (parse_joint(&lx, b, root, -1, 0, err)) return -1;
  double n, dt;
  if (!next(&lx, tok, sizeof tok) || strcmp(tok, "MOTION"))
    return cm_fail(err, "%s:%d: expected MOTION after the hierarchy", name, lx.line);
  if (!next(&lx, tok, sizeof tok) || strcmp(tok, "Frames:") || expect_num(&lx, &n, "the frame count", err))
    return err->msg[0] ? -1 : cm_fail(err, "%s:%d: expected 'Frames: N'", name, lx.line);
  if (!next(&lx, tok, sizeof tok) || strcmp(tok, "Frame") || !next(&lx, tok, sizeof tok) || strcmp(tok, "Time:") ||
      expect_num(&lx, &dt, "the frame time", err))
    return err->msg[0] ? -1 : cm_fail(err, "%s:%d: expected 'Frame Time: dt'", name, lx.line);
  if (n < 2 || n > 1e7 || n != floor(n)) return cm_fail(err, "%s: %g frames; a clip needs at least 2", name, n);
  if (!(dt > 0)) return cm_fail(err, "%s: frame time %g is not positive", name, dt);
  b->num_frames = (int)n;
  b->frame_time = dt;
  b->values = malloc(sizeof(double) * (size_t)b->num_frames * (size_t)(b->channels_per_frame ? b->channels_per_frame : 1));
  if (!b->values) return cm_fail(err, "%s: out of memory for %d frames", name, b->num_frames);
  for (long i = 0; i < (long)b->num_frames * b->channels_per_frame; i++)
    if (expect_num(&lx, &b->values[i], "a frame value", err)) {
      cm_wrap(err, "frame %ld of %d", i / b->channels_per_frame, b->num_frames);
      cm_bvh_free(b);
      return -1;
    }
  return 0;
}

static void to_mk(const double *v, double s, float *o) {
  o[0] = (float)(s * v[2]);
  o[1] = (float)(s * v[0]);
  o[2] = (float)(s * v[1]);
}

int cm_bvh_mjcf(const cm_bvh *b, double scale, char **xml, cm_err *err) {
  cm_buf o = {0};
  char line[512];
#define PUT(...) do { snprintf(line, sizeof line, __VA_ARGS__); cm_buf_put(&o, line, strlen(line)); } while (0)
  PUT("<!-- written by cmimic convert bvh: the BVH skeleton, Z-up, rest pose = the BVH zero pose -->\n"
      "<mujoco model=\"bvh\">\n  <default>\n    <motor ctrlrange=\"-1 1\" ctrllimited=\"true\"/>\n"
      "    <geom contype=\"1\" conaffinity=\"1\" condim=\"3\" density=\"1000\"/>\n"
      "    <joint type=\"hinge\" limited=\"false\" stiffness=\"300\" damping=\"30\" armature=\"0.01\"/>\n"
      "  </default>\n  <worldbody>\n");
  int depth[CM_BVH_MAX_JOINTS];
  for (int j = 0; j < b->num_joints; j++) {
    depth[j] = b->parent[j] < 0 ? 0 : depth[b->parent[j]] + 1;
    /* close the bodies of the previous branch (joints are in depth-first order) */
    if (j > 0)
      for (int d = depth[j - 1]; d >= depth[j]; d--) PUT("%*s</body>\n", 4 + 2 * d, "");
    float p[3];
    if (b->parent[j] < 0) p[0] = p[1] = p[2] = 0;
    else to_mk(b->offset[j], scale, p);
    PUT("%*s<body name=\"%s\" pos=\"%g %g %g\">\n", 4 + 2 * depth[j], "", b->name[j], p[0], p[1], p[2]);
    if (b->parent[j] < 0) PUT("%*s<freejoint name=\"root\"/>\n", 6 + 2 * depth[j], "");
    else if (b->num_channels[j] >= 3)
      for (int a = 0; a < 3; a++)
        PUT("%*s<joint name=\"%s_%c\" axis=\"%d %d %d\"/>\n", 6 + 2 * depth[j], "", b->name[j], 'x' + a, a == 0,
            a == 1, a == 2);
    /* a capsule towards each child, or a small sphere at a leaf */
    int kids = 0;
    for (int c = j + 1; c < b->num_joints; c++)
      if (b->parent[c] == j) {
        float q[3];
        to_mk(b->offset[c], scale, q);
        float len = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
        if (len > 1e-4f) {
          PUT("%*s<geom type=\"capsule\" fromto=\"0 0 0 %g %g %g\" size=\"%g\"/>\n", 6 + 2 * depth[j], "", 0.8f * q[0],
              0.8f * q[1], 0.8f * q[2], fmaxf(0.01f, fminf(0.05f, 0.15f * len)));
          kids++;
        }
      }
    if (!kids) PUT("%*s<geom type=\"sphere\" size=\"0.02\"/>\n", 6 + 2 * depth[j], "");
  }
  for (int d = depth[b->num_joints - 1]; d >= 0; d--) PUT("%*s</body>\n", 4 + 2 * d, "");
  PUT("  </worldbody>\n  <actuator>\n");
  for (int j = 1; j < b->num_joints; j++)
    if (b->num_channels[j] >= 3)
      for (int a = 0; a < 3; a++) PUT("    <motor joint=\"%s_%c\" gear=\"100\"/>\n", b->name[j], 'x' + a);
  PUT("  </actuator>\n</mujoco>\n");
#undef PUT
  cm_buf_put(&o, "", 1);
  if (o.failed) {
    cm_buf_free(&o);
    return cm_fail(err, "bvh: out of memory");
  }
  *xml = (char *)o.data;
  return 0;
}

/* The joint's rotation as a Z-up quaternion: BVH channel product, then axes mapped. */
static void joint_rot(const cm_bvh *b, int j, const double *v, float *q) {
  float r[4] = {0, 0, 0, 1};
  for (int k = 0; k < b->num_channels[j]; k++) {
    char c = b->channel[j][k];
    if (!isupper((unsigned char)c)) continue;
    /* BVH axis X, Y, Z is MimicKit axis y, z, x */
    float axis[3] = {c == 'Z', c == 'X', c == 'Y'}, step[4];
    cm_q_from_axis_angle(step, axis, (float)(v[b->first_channel[j] + k] * M_PI / 180.0));
    cm_q_mul(r, r, step);
  }
  cm_q_copy(q, r);
}

int cm_bvh_motion(const cm_bvh *b, double scale, int loop_mode, cm_motion *out, cm_err *err) {
  memset(out, 0, sizeof *out);
  int dofs = 0;
  for (int j = 1; j < b->num_joints; j++) dofs += b->num_channels[j] >= 3 ? 3 : 0;
  out->frame_dim = 6 + dofs;
  out->num_frames = b->num_frames;
  out->fps = 1.0 / b->frame_time;
  out->loop_mode = loop_mode;
  out->frames = malloc(sizeof(float) * (size_t)out->num_frames * (size_t)out->frame_dim);
  if (!out->frames) return cm_fail(err, "bvh: out of memory");
  for (int f = 0; f < b->num_frames; f++) {
    const double *v = b->values + (size_t)f * (size_t)b->channels_per_frame;
    float *o = out->frames + (size_t)f * (size_t)out->frame_dim, q[4];
    double pos[3];
    for (int a = 0; a < 3; a++) pos[a] = b->offset[0][a];
    for (int k = 0; k < b->num_channels[0]; k++) {
      char c = b->channel[0][k];
      if (islower((unsigned char)c)) pos[c - 'x'] = v[k];
    }
    to_mk(pos, scale, o);
    joint_rot(b, 0, v, q);
    cm_quat_to_exp_map(o + 3, q);
    int d = 6;
    for (int j = 1; j < b->num_joints; j++)
      if (b->num_channels[j] >= 3) {
        joint_rot(b, j, v, q);
        cm_quat_to_exp_map(o + d, q);
        d += 3;
      }
  }
  return 0;
}
