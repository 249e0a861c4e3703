/* Tests: compile an inline MJCF string with libmujoco (served from a VFS, no temp file). */
#ifndef CM_TEST_MJ_XML_H
#define CM_TEST_MJ_XML_H
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline mjModel *mj_xml_load(const char *xml) {
  mjVFS *vfs = calloc(1, sizeof *vfs);
  if (!vfs) return NULL;
  mj_defaultVFS(vfs);
  int size = (int)strlen(xml);
  mjModel *m = NULL;
  if (mj_makeEmptyFileVFS(vfs, "inline.xml", size) == 0) {
    memcpy(vfs->filedata[mj_findFileVFS(vfs, "inline.xml")], xml, (size_t)size);
    char err[1000] = "";
    m = mj_loadXML("inline.xml", vfs, err, sizeof err);
    if (!m) fprintf(stderr, "mj_loadXML: %s\n", err);
  }
  mj_deleteVFS(vfs);
  free(vfs);
  return m;
}
#endif
