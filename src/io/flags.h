/* A command's flags as one table: the known-flags check and the --help text both come from it,
 * so a flag can't be accepted without being documented (or documented without being accepted).
 *
 *   static const cm_flag k_flags[] = {
 *       {"num_envs", "1", "number of environments"},
 *       {"video", NULL, "write an MP4 of the test episodes"},   // NULL: no default
 *       {NULL, NULL, NULL}};
 */
#ifndef CM_IO_FLAGS_H
#define CM_IO_FLAGS_H
#include <stdio.h>
#include "io/args.h"

typedef struct cm_flag {
  const char *name; /* without "--" */
  const char *def;  /* the default as the user would type it, or a short phrase; NULL: none */
  const char *help; /* one line */
} cm_flag;

/* 1 when argv holds --help, -help or -h: the command prints cm_flags_usage and exits 0. */
int cm_flags_help_asked(int argc, char **argv);
/* "usage: cmimic <synopsis>", the about text (may be NULL), then one line per flag:
 * "  --name          default  help". */
void cm_flags_usage(FILE *f, const char *synopsis, const char *about, const cm_flag *flags);
/* The table's default of name as text, for code that reads its defaults from the table so that
 * the help can't show another; NULL when the flag has none or is not in the table. */
const char *cm_flags_default(const cm_flag *flags, const char *name);
/* The same as an integer (0 when absent or not a number). */
long cm_flags_default_long(const cm_flag *flags, const char *name);
/* cm_args_check_known against the table's names ("did you mean" included). */
int cm_flags_check(const cm_args *a, const cm_flag *flags, cm_err *err);
/* The same for one flag name; where says where it came from ("command line"). */
int cm_flags_check_name(const char *key, const cm_flag *flags, const char *where, cm_err *err);
#endif
