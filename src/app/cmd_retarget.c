/* cmimic retarget --src NAME --dst NAME [--map FILE] IN.pkl OUT.pkl: plays a clip of one
 * character on another (anim/retarget.h); the mapping is data/retarget/<src>_to_<dst>.yaml. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include "anim/char.h"
#include "anim/motion.h"
#include "anim/retarget.h"
#include "app/commands.h"
#include "app/tty_progress.h"
#include "core/fileio.h"
#include "io/config.h"

#define MAP_DIR "data/retarget"

/* name, default, help: the flags --help lists and the parser accepts */
static const char *const k_flags[][3] = {
    {"src", "-", "source character: the <src> of " MAP_DIR "/<src>_to_<dst>.yaml (humanoid, dog3d)"},
    {"dst", "-", "destination: g1, pi_plus, smpl, humanoid_sword_shield (from humanoid), go2 (from dog3d)"},
    {"map", "-", "a mapping file instead of --src/--dst (format: docs/RETARGET.md)"},
    {"verbose", "off", "also print the mean error of every body pair"},
};
#define NUM_FLAGS (int)(sizeof k_flags / sizeof k_flags[0])

static void usage(FILE *f) {
  fprintf(f, "usage: cmimic retarget --src NAME --dst NAME [--map MAP.yaml] [--verbose] IN.pkl OUT.pkl\n"
             "Plays a MimicKit clip of one character on another by per-frame inverse kinematics and prints "
             "its error figures.\n\nflags (default, then what it does):\n");
  for (int i = 0; i < NUM_FLAGS; i++) fprintf(f, "  --%-8s %-4s %s\n", k_flags[i][0], k_flags[i][1], k_flags[i][2]);
}

static int flag_id(const char *arg) {
  for (int i = 0; i < NUM_FLAGS; i++)
    if (!strcmp(arg + 2, k_flags[i][0])) return i;
  const char *names[NUM_FLAGS + 1];
  for (int i = 0; i < NUM_FLAGS; i++) names[i] = k_flags[i][0];
  names[NUM_FLAGS] = NULL;
  const char *near = cm_closest_name(arg + 2, names);
  if (near) fprintf(stderr, "cmimic retarget: command line: unknown flag %s (did you mean --%s?)\n", arg, near);
  else fprintf(stderr, "cmimic retarget: command line: unknown flag %s\n", arg);
  return -1;
}

/* "g1, pi_plus, smpl" for the maps from src found in MAP_DIR. */
static void list_dsts(const char *src, char *buf, size_t cap) {
  buf[0] = 0;
  DIR *d = opendir(MAP_DIR);
  if (!d) return;
  char prefix[128];
  snprintf(prefix, sizeof prefix, "%s_to_", src);
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name), pl = strlen(prefix);
    if (n > pl + 5 && !strncmp(e->d_name, prefix, pl) && !strcmp(e->d_name + n - 5, ".yaml")) {
      size_t used = strlen(buf);
      snprintf(buf + used, cap - used, "%s%.*s", used ? ", " : "", (int)(n - pl - 5), e->d_name + pl);
    }
  }
  closedir(d);
}

int cmd_retarget(int argc, char **argv) {
  const char *src = NULL, *dst = NULL, *map_file = NULL, *files[2] = {NULL, NULL};
  int nf = 0, verbose = 0;
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    }
  for (int i = 0; i < argc; i++)
    if (!strncmp(argv[i], "--", 2) && flag_id(argv[i]) < 0) return 2;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--src") && i + 1 < argc) src = argv[++i];
    else if (!strcmp(argv[i], "--dst") && i + 1 < argc) dst = argv[++i];
    else if (!strcmp(argv[i], "--map") && i + 1 < argc) map_file = argv[++i];
    else if (!strcmp(argv[i], "--verbose")) verbose = 1;
    else if (argv[i][0] == '-' || nf == 2) return usage(stderr), 2;
    else files[nf++] = argv[i];
  }
  if (nf != 2 || ((!src || !dst) && !map_file)) return usage(stderr), 2;
  char path[512];
  if (!map_file) {
    snprintf(path, sizeof path, MAP_DIR "/%s_to_%s.yaml", src, dst);
    FILE *f = fopen(path, "r");
    if (!f) {
      char have[1024];
      list_dsts(src, have, sizeof have);
      if (have[0])
        fprintf(stderr, "cmimic retarget: no key-body mapping from '%s' to '%s' (no %s); from '%s' there are: %s\n", src,
                dst, path, src, have);
      else
        fprintf(stderr, "cmimic retarget: no key-body mapping from '%s' to '%s' (no %s, and no map from '%s' at all)\n",
                src, dst, path, src);
      return 2;
    }
    fclose(f);
    map_file = path;
  }
  static cm_retarget_map map;
  static cm_char csrc, cdst;
  cm_err err = {0};
  cm_motion in = {0}, out = {0};
  cm_retarget_stats st;
  if (cm_retarget_map_load(map_file, NULL, NULL, &map, &err) || cm_char_load(map.src_file, &csrc, &err) ||
      cm_char_load(map.dst_file, &cdst, &err) || cm_retarget_map_load(map_file, &csrc, &cdst, &map, &err)) {
    fprintf(stderr, "cmimic retarget: %s\n", err.msg);
    return 2;
  }
  if (cm_motion_load(files[0], &in, &err)) {
    fprintf(stderr, "cmimic retarget: %s\n", err.msg);
    return 2;
  }
  if (in.frame_dim != 6 + csrc.num_dofs) {
    fprintf(stderr, "cmimic retarget: %s has %d values per frame, but --src %s (%s) needs %d (root 6 + %d dofs)\n",
            files[0], in.frame_dim, src ? src : "of the map", map.src_file, 6 + csrc.num_dofs, csrc.num_dofs);
    cm_motion_free(&in);
    return 2;
  }
  cm_tty_progress prog;
  cm_tty_progress_start(&prog, "retarget", "frames");
  int rc = cm_retarget_ex(&csrc, &cdst, &map, &in, &out, &st, cm_tty_progress_update, &prog, &err);
  cm_tty_progress_end(&prog);
  rc = rc || cm_motion_save(files[1], &out, &err);
  if (rc) {
    fprintf(stderr, "cmimic retarget: %s\n", err.msg);
  } else {
    printf("retarget %s -> %s: %d frames at %g fps, scale %.4f\n", map.src_file, map.dst_file, out.num_frames, out.fps,
           st.scale);
    printf("key-body position error: mean %.4f m, max %.4f m\n", st.mean_pos_err, st.max_pos_err);
    printf("key-body orientation error: mean %.4f rad, max %.4f rad\n", st.mean_rot_err, st.max_rot_err);
    printf("ground penetration: max %.4f m, any geom, after the floor fix (feet before it: %.4f m)\n",
           st.max_penetration, st.max_penetration_before);
    printf("joint limit violations: %d; largest hinge step between frames %.4f rad\n", st.limit_violations,
           st.max_dof_jump);
    if (verbose)
      for (int i = 0; i < map.n; i++)
        printf("  %-16s -> %-26s position %.4f m  orientation %.4f rad\n", csrc.body_names[map.src_body[i]],
               cdst.body_names[map.dst_body[i]], st.pair_pos_err[i], st.pair_rot_err[i]);
    printf("wrote %s\n", files[1]);
  }
  cm_motion_free(&in);
  cm_motion_free(&out);
  return rc ? 1 : 0;
}
