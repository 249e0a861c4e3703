/* Flag tables: known-flag checks and --help text from one source. */
#include "io/flags.h"

#include <stdlib.h>
#include <string.h>
#include "io/config.h"

int cm_flags_help_asked(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-help") || !strcmp(argv[i], "-h")) return 1;
  return 0;
}

void cm_flags_usage(FILE *f, const char *synopsis, const char *about, const cm_flag *flags) {
  fprintf(f, "usage: cmimic %s\n", synopsis);
  if (about) fprintf(f, "%s\n", about);
  if (!flags[0].name) return;
  int wn = 0, wd = 1;
  for (const cm_flag *fl = flags; fl->name; fl++) {
    int n = (int)strlen(fl->name) + 2, d = fl->def ? (int)strlen(fl->def) : 1;
    wn = n > wn ? n : wn;
    wd = d > wd ? d : wd;
  }
  fprintf(f, "\nflags (default, then what it does):\n");
  for (const cm_flag *fl = flags; fl->name; fl++) {
    char name[80];
    snprintf(name, sizeof name, "--%s", fl->name);
    fprintf(f, "  %-*s  %-*s  %s\n", wn, name, wd, fl->def ? fl->def : "-", fl->help);
  }
}

const char *cm_flags_default(const cm_flag *flags, const char *name) {
  for (const cm_flag *fl = flags; fl->name; fl++)
    if (!strcmp(fl->name, name)) return fl->def;
  return NULL;
}

long cm_flags_default_long(const cm_flag *flags, const char *name) {
  const char *d = cm_flags_default(flags, name);
  return d ? strtol(d, NULL, 10) : 0;
}

static const char **names_of(const cm_flag *flags) {
  int n = 0;
  while (flags[n].name) n++;
  const char **names = calloc((size_t)n + 1, sizeof *names);
  for (int i = 0; names && i < n; i++) names[i] = flags[i].name;
  return names;
}

int cm_flags_check(const cm_args *a, const cm_flag *flags, cm_err *err) {
  const char **names = names_of(flags);
  if (!names) return cm_fail(err, "out of memory");
  int rc = cm_args_check_known(a, names, err);
  free(names);
  return rc;
}

int cm_flags_check_name(const char *key, const cm_flag *flags, const char *where, cm_err *err) {
  for (const cm_flag *fl = flags; fl->name; fl++)
    if (!strcmp(fl->name, key)) return 0;
  const char **names = names_of(flags);
  if (!names) return cm_fail(err, "out of memory");
  const char *near = cm_closest_name(key, names);
  int rc = near ? cm_fail(err, "%s: unknown flag --%s (did you mean --%s?)", where, key, near)
                : cm_fail(err, "%s: unknown flag --%s", where, key);
  free(names);
  return rc;
}
