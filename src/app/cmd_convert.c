/* cmimic convert: motion data from other tools to MimicKit motions.
 *   convert deepmimic [--char F.xml] IN.txt OUT.pkl   DeepMimic clips (humanoid3d, or any
 *                                                     character given by its MJCF, e.g. dog3d)
 *   convert gmr [--loop wrap|clamp] IN.pkl OUT.pkl    GMR robot pickles (fps, root_pos,
 *                                                     root_rot xyzw, dof_pos)
 *   convert bvh [--scale S] [--loop wrap|clamp] IN.bvh OUT.pkl OUT.xml
 *                                                     BVH mocap: the clip and its skeleton MJCF */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anim/bvh.h"
#include "anim/char.h"
#include "anim/deepmimic_convert.h"
#include "anim/gmr_convert.h"
#include "app/commands.h"
#include "core/fileio.h"
#include "io/config.h"

/* name, default, help: the flags --help lists and the parser accepts */
static const char *const k_flags[][3] = {
    {"char", "humanoid3d", "deepmimic: the MJCF of another DeepMimic character (its bodies in the clip's joint order)"},
    {"loop", "wrap", "gmr, bvh: loop mode of the clip written (wrap or clamp)"},
    {"scale", "0.01", "bvh: metres per BVH unit (0.01 for centimetres)"},
};
#define NUM_FLAGS (int)(sizeof k_flags / sizeof k_flags[0])

static void print_usage(FILE *f) {
  fprintf(f, "usage: cmimic convert deepmimic [--char CHAR.xml] IN.txt OUT.pkl\n"
             "       cmimic convert gmr [--loop wrap|clamp] IN.pkl OUT.pkl\n"
             "       cmimic convert bvh [--scale 0.01] [--loop wrap|clamp] IN.bvh OUT.pkl OUT_CHAR.xml\n"
             "Converts DeepMimic clips, GMR robot pickles and BVH mocap into MimicKit motions.\n\n"
             "flags (default, then what it does):\n");
  for (int i = 0; i < NUM_FLAGS; i++) fprintf(f, "  --%-6s %-10s %s\n", k_flags[i][0], k_flags[i][1], k_flags[i][2]);
}

static int usage(void) {
  print_usage(stderr);
  return 2;
}

static int known_flag(const char *arg) {
  for (int i = 0; i < NUM_FLAGS; i++)
    if (!strcmp(arg + 2, k_flags[i][0])) return 1;
  const char *names[NUM_FLAGS + 1];
  for (int i = 0; i < NUM_FLAGS; i++) names[i] = k_flags[i][0];
  names[NUM_FLAGS] = NULL;
  const char *near = cm_closest_name(arg + 2, names);
  if (near) fprintf(stderr, "cmimic convert: command line: unknown flag %s (did you mean --%s?)\n", arg, near);
  else fprintf(stderr, "cmimic convert: command line: unknown flag %s\n", arg);
  return 0;
}

static int fail(cm_err *err, int rc) {
  fprintf(stderr, "cmimic convert: %s\n", err->msg);
  return rc;
}

static int convert_bvh(const char *in, const char *out, const char *xml_out, double scale, int loop) {
  cm_err err = {0};
  char *text = NULL, *xml = NULL;
  static cm_bvh b;
  cm_motion m = {0};
  if (cm_read_file(in, &text, NULL, &err)) return fail(&err, 1);
  int rc = cm_bvh_parse(text, in, &b, &err);
  free(text);
  if (rc) return fail(&err, 1);
  rc = cm_bvh_mjcf(&b, scale, &xml, &err) || cm_write_file_atomic(xml_out, xml, strlen(xml), &err) ||
       cm_bvh_motion(&b, scale, loop, &m, &err) || cm_motion_save(out, &m, &err);
  static cm_char c;
  if (!rc && cm_char_load(xml_out, &c, &err)) rc = 1; /* the skeleton must be a valid character */
  if (!rc && c.num_dofs + 6 != m.frame_dim) rc = cm_fail(&err, "%s: skeleton and clip disagree", in) != 0;
  if (!rc) printf("%d frames at %g fps, %d joints (%d dofs); character %s\n", m.num_frames, m.fps, b.num_joints,
                  m.frame_dim - 6, xml_out);
  free(xml);
  cm_bvh_free(&b);
  cm_motion_free(&m);
  return rc ? fail(&err, 1) : 0;
}

int cmd_convert(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      print_usage(stdout);
      return 0;
    }
  for (int i = 0; i < argc; i++)
    if (!strncmp(argv[i], "--", 2) && !known_flag(argv[i])) return 2;
  if (argc < 1) return usage();
  const char *kind = argv[0], *chr_file = NULL, *loop_s = NULL, *files[3] = {NULL, NULL, NULL};
  double scale = 0.01;
  int nf = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--char") && i + 1 < argc) chr_file = argv[++i];
    else if (!strcmp(argv[i], "--loop") && i + 1 < argc) loop_s = argv[++i];
    else if (!strcmp(argv[i], "--scale") && i + 1 < argc) {
      char *end;
      scale = strtod(argv[++i], &end);
      if (*end || !(scale > 0)) {
        fprintf(stderr, "cmimic convert: --scale must be a positive number, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (argv[i][0] == '-' || nf == 3) return usage();
    else files[nf++] = argv[i];
  }
  int loop = CM_LOOP_WRAP;
  if (loop_s && !strcmp(loop_s, "clamp")) loop = CM_LOOP_CLAMP;
  else if (loop_s && strcmp(loop_s, "wrap")) {
    fprintf(stderr, "cmimic convert: --loop must be wrap or clamp, got '%s'\n", loop_s);
    return 2;
  }
  cm_err err = {0};
  if (!strcmp(kind, "deepmimic") && nf == 2 && !loop_s) {
    static cm_char chr;
    if (chr_file && cm_char_load(chr_file, &chr, &err)) return fail(&err, 2);
    if (cm_convert_deepmimic_file(files[0], files[1], chr_file ? &chr : NULL, &err)) return fail(&err, 1);
  } else if (!strcmp(kind, "gmr") && nf == 2 && !chr_file) {
    cm_motion m;
    if (cm_gmr_load(files[0], loop, &m, &err) || cm_motion_save(files[1], &m, &err)) return fail(&err, 1);
    printf("%d frames of %d dofs at %g fps\n", m.num_frames, m.frame_dim - 6, m.fps);
    cm_motion_free(&m);
  } else if (!strcmp(kind, "bvh") && nf == 3 && !chr_file) {
    if (convert_bvh(files[0], files[1], files[2], scale, loop)) return 1;
  } else {
    return usage();
  }
  printf("wrote %s\n", files[1]);
  return 0;
}
