#include "anim/mjcf_objects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"

/* Elements an object file may not use: a static object has no joints (it would move), and its
 * text is spliced into another model, so it cannot bring assets, defaults or includes along. */
static const char *const k_refused[] = {"<joint", "<freejoint", "<asset", "<default", "<include", NULL};

/* Copies body with every name="x" turned into name="<prefix>x". */
static void put_prefixed(cm_buf *o, const char *s, size_t n, const char *prefix) {
  const char *end = s + n, *p = s;
  for (const char *q = s; q + 6 <= end; q++) {
    if ((q == s || q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\n') && !strncmp(q, "name=", 5) &&
        (q[5] == '"' || q[5] == '\'')) {
      cm_buf_put(o, p, (size_t)(q + 6 - p));
      cm_buf_put(o, prefix, strlen(prefix));
      p = q + 6;
    }
  }
  cm_buf_put(o, p, (size_t)(end - p));
}

static int one_object(const cm_static_object *ob, int i, cm_buf *out, cm_err *err) {
  char *text = NULL;
  if (cm_read_file(ob->file, &text, NULL, err)) return cm_wrap(err, "static object %d", i);
  int rc = -1;
  char *wb = strstr(text, "<worldbody>"), *wb_end = wb ? strstr(wb, "</worldbody>") : NULL;
  if (!wb_end) {
    cm_fail(err, "%s: static object %d: no <worldbody> ... </worldbody> in the file", ob->file, i);
    goto done;
  }
  for (int k = 0; k_refused[k]; k++)
    if (strstr(text, k_refused[k])) {
      cm_fail(err, "%s: static object %d: %s> is not supported in a static object (bodies and geoms only)", ob->file, i, k_refused[k]);
      goto done;
    }
  const float *r = ob->rot;
  char head[256], prefix[32];
  snprintf(prefix, sizeof prefix, "static_object%d_", i);
  /* MuJoCo's quat attribute is wxyz */
  snprintf(head, sizeof head, "<body name=\"static_object%d\" pos=\"%.9g %.9g %.9g\" quat=\"%.9g %.9g %.9g %.9g\">", i,
           ob->pos[0], ob->pos[1], ob->pos[2], r[3], r[0], r[1], r[2]);
  const char *body = wb + strlen("<worldbody>");
  cm_buf_put(out, head, strlen(head));
  put_prefixed(out, body, (size_t)(wb_end - body), prefix);
  cm_buf_put(out, "</body>\n", 8);
  rc = out->failed ? cm_fail(err, "out of memory") : 0;
done:
  free(text);
  return rc;
}

int cm_mjcf_objects_xml(const cm_static_object *objs, int n, cm_buf *out, cm_err *err) {
  for (int i = 0; i < n; i++)
    if (one_object(&objs[i], i, out, err)) return -1;
  return 0;
}
