/* MimicKit-style arguments: "--key v1 v2 ..." from the command line and from --arg_file files.
 *
 * Tokens are split on whitespace. A token of three or more characters starting with "--" opens a
 * flag; the tokens after it, up to the next flag, are its values (zero or more, e.g.
 * "--devices cuda:0 cuda:1"). "--key=value" is also accepted as a flag with a first value.
 * Within one source (the command line, or one arg file) the LAST occurrence of a flag wins, as
 * users expect a later flag to override an earlier one (MimicKit's own parser keeps the first; a
 * MimicKit arg file never repeats a key, so its files read the same). Across sources the first source wins: the
 * command line is parsed before the --arg_file it names, so command-line flags override the file. In files, a line whose first non-blank character is
 * '#' is a comment, and so is the rest of a line from a token starting with '#'; blank lines
 * are ignored, and values may continue on following lines.
 *
 * Zero-initialise a cm_args (cm_args a = {0};) and release it with cm_args_free.
 */
#ifndef CM_IO_ARGS_H
#define CM_IO_ARGS_H
#include "core/err.h"

typedef struct cm_arg {
  char *key;      /* without the leading "--" */
  char **vals;
  int *val_lines; /* line of each value in its file; 0 on the command line */
  int nvals;
  char *file;     /* the arg file it came from, or NULL for the command line */
  int line;       /* line of the flag in its file; 0 on the command line */
  int source;     /* which parse call (source) defined it: 1 = the first */
} cm_arg;

typedef struct cm_args {
  cm_arg *items;
  int n, cap;
  int sources; /* parse calls so far */
} cm_args;

/* Every argv[i] is a token: pass argc - 1, argv + 1 to skip the program name. */
int cm_args_parse_argv(cm_args *a, int argc, char **argv, cm_err *err);
/* Adds the flags of an arg file; keys an earlier source defined keep their values. */
int cm_args_load_file(cm_args *a, const char *path, cm_err *err);
/* MimicKit's run.py order: the command line, then the file named by --arg_file (if any). */
int cm_args_load(cm_args *a, int argc, char **argv, cm_err *err);
void cm_args_free(cm_args *a);

/* A value from a settings file between the command line and the arg files (a --preset):
 * key gets the single value `value`, attributed to file:line, replacing an arg file's value
 * but never the command line's. Returns 1 when set, 0 when the command line has the key,
 * -1 out of memory. */
int cm_args_set_default(cm_args *a, const char *key, const char *value, const char *file, int line, cm_err *err);

int cm_args_has(const cm_args *a, const char *key);
/* First value, or def when the flag is absent or has no values. */
const char *cm_args_str(const cm_args *a, const char *key, const char *def);
/* Number of values (0 when absent). */
int cm_args_count(const cm_args *a, const char *key);
/* Value i, or NULL when out of range. */
const char *cm_args_at(const cm_args *a, const char *key, int i);

/* Typed getters: def when the flag is absent; otherwise exactly one value of the right type, or
 * -1 with "<source>: --num_envs: expected an integer, got 'x'", where source is "command line"
 * or "<file>:<line>". Booleans: true/false, True/False, 1/0 (and MimicKit's T/F, t/f). */
int cm_args_int(const cm_args *a, const char *key, long def, long *out, cm_err *err);
int cm_args_float(const cm_args *a, const char *key, double def, double *out, cm_err *err);
int cm_args_bool(const cm_args *a, const char *key, int def, int *out, cm_err *err);

/* Fails on the first flag not in known (NULL-terminated, names without "--"):
 * "<source>: unknown flag --num_env (did you mean --num_envs?)". */
int cm_args_check_known(const cm_args *a, const char *const *known, cm_err *err);
#endif
