/* cmimic convert: motion data from other tools to MimicKit motions.
 *   convert deepmimic [--char F.xml] IN.txt OUT.pkl   DeepMimic clips (humanoid3d, or any
 *                                                     character given by its MJCF, e.g. dog3d)
 *   convert gmr [--loop wrap|clamp] IN.pkl OUT.pkl    GMR robot pickles (fps, root_pos,
 *                                                     root_rot xyzw, dof_pos) */
#include <stdio.h>
#include <string.h>
#include "anim/char.h"
#include "anim/deepmimic_convert.h"
#include "anim/gmr_convert.h"
#include "app/commands.h"

static int usage(void) {
  fprintf(stderr, "usage: cmimic convert deepmimic [--char CHAR.xml] IN.txt OUT.pkl\n"
                  "       cmimic convert gmr [--loop wrap|clamp] IN.pkl OUT.pkl\n");
  return 2;
}

int cmd_convert(int argc, char **argv) {
  if (argc < 1) return usage();
  const char *kind = argv[0], *opt = NULL, *in = NULL, *out = NULL;
  int i = 1;
  if (i + 1 < argc && (!strcmp(argv[i], "--char") || !strcmp(argv[i], "--loop"))) {
    if ((!strcmp(argv[i], "--char")) != !strcmp(kind, "deepmimic")) return usage();
    opt = argv[i + 1];
    i += 2;
  }
  if (argc - i != 2) return usage();
  in = argv[i];
  out = argv[i + 1];
  cm_err err = {0};
  if (!strcmp(kind, "deepmimic")) {
    static cm_char chr;
    if (opt && cm_char_load(opt, &chr, &err)) {
      fprintf(stderr, "cmimic convert: %s\n", err.msg);
      return 2;
    }
    if (cm_convert_deepmimic_file(in, out, opt ? &chr : NULL, &err)) {
      fprintf(stderr, "cmimic convert: %s\n", err.msg);
      return 1;
    }
  } else if (!strcmp(kind, "gmr")) {
    int loop = CM_LOOP_WRAP;
    if (opt && !strcmp(opt, "clamp")) loop = CM_LOOP_CLAMP;
    else if (opt && strcmp(opt, "wrap")) {
      fprintf(stderr, "cmimic convert: --loop must be wrap or clamp, got '%s'\n", opt);
      return 2;
    }
    cm_motion m;
    if (cm_gmr_load(in, loop, &m, &err) || cm_motion_save(out, &m, &err)) {
      fprintf(stderr, "cmimic convert: %s\n", err.msg);
      return 1;
    }
    printf("%d frames of %d dofs at %g fps\n", m.num_frames, m.frame_dim - 6, m.fps);
    cm_motion_free(&m);
  } else {
    return usage();
  }
  printf("wrote %s\n", out);
  return 0;
}
