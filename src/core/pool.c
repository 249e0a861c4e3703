#include "core/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct cm_pool {
  int threads;
  pthread_t *tids;
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  unsigned long generation;
  int pending, quit;
  cm_pool_fn fn;
  void *ctx;
  int n;
};

typedef struct { cm_pool *p; int worker; } worker_arg;

static void run_chunk(cm_pool *p, int w) {
  int n = p->n, t = p->threads;
  int begin = (int)((long)n * w / t), end = (int)((long)n * (w + 1) / t);
  if (end > begin) p->fn(p->ctx, begin, end, w);
}

static void *worker_main(void *arg) {
  worker_arg a = *(worker_arg *)arg;
  free(arg);
  cm_pool *p = a.p;
  unsigned long seen = 0;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    while (p->generation == seen && !p->quit) pthread_cond_wait(&p->go, &p->mu);
    if (p->quit) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    seen = p->generation;
    pthread_mutex_unlock(&p->mu);
    run_chunk(p, a.worker);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0) pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->mu);
  }
}

cm_pool *cm_pool_create(int threads) {
  if (threads <= 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads <= 0) threads = 1;
  cm_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->threads = threads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  /* worker 0 is the calling thread; the others wait for work */
  p->tids = calloc((size_t)threads, sizeof *p->tids);
  for (int w = 1; w < threads; w++) {
    worker_arg *a = malloc(sizeof *a);
    a->p = p;
    a->worker = w;
    pthread_create(&p->tids[w], NULL, worker_main, a);
  }
  return p;
}

void cm_pool_destroy(cm_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->quit = 1;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (int w = 1; w < p->threads; w++) pthread_join(p->tids[w], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->go);
  pthread_cond_destroy(&p->done);
  free(p->tids);
  free(p);
}

int cm_pool_threads(const cm_pool *p) { return p->threads; }

void cm_pool_for(cm_pool *p, int n, cm_pool_fn fn, void *ctx) {
  if (n <= 0) return;
  if (p->threads == 1 || n == 1) {
    fn(ctx, 0, n, 0);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  p->pending = p->threads - 1;
  p->generation++;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  run_chunk(p, 0);
  pthread_mutex_lock(&p->mu);
  while (p->pending > 0) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}
