/* Whole-file reads and atomic writes (temp file + fsync + rename): a crash never leaves a
 * half-written artefact behind. */
#ifndef CM_FILEIO_H
#define CM_FILEIO_H
#include <stddef.h>
#include "core/err.h"

/* Reads a whole file into a malloc'd, NUL-terminated buffer; *len gets the byte count. */
int cm_read_file(const char *path, char **data, size_t *len, cm_err *err);
/* Removes "<path>.tmp.<pid>..." files left by writers of path that died mid-write (SIGKILL,
 * power loss): those whose pid is not a running process here. cm_write_file_atomic calls it. */
void cm_remove_stale_temps(const char *path);
/* Writes len bytes to path atomically. */
int cm_write_file_atomic(const char *path, const void *data, size_t len, cm_err *err);
/* Creates a directory and its parents (mkdir -p). */
int cm_mkdirs(const char *path, cm_err *err);
/* Returns 1 if path exists and is a regular file. */
int cm_file_exists(const char *path);
#endif
