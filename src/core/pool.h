/* A persistent thread pool that runs one function over index ranges: the CPU driver for
 * per-environment work (the GPU driver is a kernel over the same CM_HD function). */
#ifndef CM_POOL_H
#define CM_POOL_H

typedef struct cm_pool cm_pool;
/* Called with a contiguous range [begin, end) and the worker's index (0..threads-1). */
typedef void (*cm_pool_fn)(void *ctx, int begin, int end, int worker);

/* threads <= 0 means one per online core. */
cm_pool *cm_pool_create(int threads);
void cm_pool_destroy(cm_pool *p);
int cm_pool_threads(const cm_pool *p);
/* Splits [0, n) into one contiguous chunk per worker and waits for all of them. Static
 * partitioning keeps results deterministic for a given thread count. */
void cm_pool_for(cm_pool *p, int n, cm_pool_fn fn, void *ctx);
#endif
