/* Zeroed heap memory that never returns NULL for a zero size (so NULL always means failure). */
#ifndef CM_ZALLOC_H
#define CM_ZALLOC_H
#include <stdlib.h>

static inline void *cm_zalloc(size_t n) { return calloc(n ? n : 1, 1); }
#endif
