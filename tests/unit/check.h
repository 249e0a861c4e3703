/* Minimal test helpers: CHECK records a failure with file:line and continues;
 * the test's main returns check_report(), non-zero when anything failed. */
#ifndef CM_CHECK_H
#define CM_CHECK_H
#include <math.h>
#include <stdio.h>

static int check_failures = 0, check_count = 0;

#define CHECK(cond) do { check_count++; if (!(cond)) { check_failures++; \
  fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_NEAR(a, b, tol) do { check_count++; double _a = (a), _b = (b); \
  if (!(fabs(_a - _b) <= (tol))) { check_failures++; \
  fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, tol %.3g\n", \
          __FILE__, __LINE__, #a, _a, #b, _b, (double)(tol)); } } while (0)
#define CHECK_OK(expr, errp) do { check_count++; if ((expr) != 0) { check_failures++; \
  fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr, (errp)->msg); } } while (0)

static inline int check_report(const char *name) {
  printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
  return check_failures ? 1 : 0;
}
#endif
