/* Errors are values: library functions return 0 on success or -1 after filling a cm_err
 * with one line naming the file, line and field at fault. Only main prints and exits. */
#ifndef CM_ERR_H
#define CM_ERR_H
#include <stddef.h>

typedef struct cm_err {
  char msg[1024];
} cm_err;

/* Formats the message into err (if non-NULL) and returns -1, so callers can `return cm_fail(...)`. */
int cm_fail(cm_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes an existing message with more context ("loading X: <old message>"); returns -1. */
int cm_wrap(cm_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
