/* python3 as an independent oracle for file formats: find an interpreter that can import the
 * modules a test needs ("python3" may be a pyenv shim without numpy), and run a script there. */
#ifndef CM_PYTHON_ORACLE_H
#define CM_PYTHON_ORACLE_H
#include <stdio.h>
#include <stdlib.h>

static inline int python_has(const char *py, const char *mods) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "%s -c 'import %s' >/dev/null 2>&1", py, mods);
  return system(cmd) == 0;
}

/* mods: a Python import list, e.g. "pickle, numpy". NULL when no interpreter has them. */
static inline const char *python_find(const char *mods) {
  static const char *cands[] = {"python3", "/usr/bin/python3"};
  for (int i = 0; i < 2; i++)
    if (python_has(cands[i], mods)) return cands[i];
  return NULL;
}

/* Writes the script into dir and runs it with args; returns system()'s status. */
static inline int python_run(const char *py, const char *dir, const char *script, const char *args) {
  char path[256], cmd[1024];
  snprintf(path, sizeof path, "%s/script.py", dir);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs(script, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "%s %s %s", py, path, args);
  return system(cmd);
}
#endif
