/* Counter-based random numbers (Philox4x32-10): the stream is a pure function of
 * (seed, env id, step, stream id), so CPU and GPU draw the same numbers and any run is
 * reproducible from its seed without per-thread generator state. */
#ifndef CM_RNG_H
#define CM_RNG_H
#include <stdint.h>
#include <math.h>
#include "core/hd.h"

typedef struct cm_rng4 { uint32_t v[4]; } cm_rng4;

CM_HD static inline uint32_t cm_mulhilo32(uint32_t a, uint32_t b, uint32_t *hi) {
  uint64_t p = (uint64_t)a * (uint64_t)b;
  *hi = (uint32_t)(p >> 32);
  return (uint32_t)p;
}

/* counter = (c0, c1, c2, c3), key = (k0, k1) -> four uniform 32-bit words. */
CM_HD static inline cm_rng4 cm_philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  for (int r = 0; r < 10; r++) {
    uint32_t hi0, hi1;
    uint32_t lo0 = cm_mulhilo32(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = cm_mulhilo32(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
  }
  cm_rng4 r = {{c0, c1, c2, c3}};
  return r;
}

/* A generator position: key from the seed, counter from (env, step, stream, index). */
typedef struct cm_rng {
  uint64_t seed;
  uint32_t env, stream;
  uint64_t counter;
} cm_rng;

CM_HD static inline cm_rng cm_rng_make(uint64_t seed, uint32_t env, uint64_t step, uint32_t stream) {
  cm_rng r = {seed, env, stream, step << 20};
  return r;
}

CM_HD static inline uint32_t cm_rng_u32(cm_rng *r) {
  uint64_t c = r->counter++;
  cm_rng4 o = cm_philox((uint32_t)c, (uint32_t)(c >> 32), r->env, r->stream, (uint32_t)r->seed, (uint32_t)(r->seed >> 32));
  return o.v[0];
}

/* Uniform in [0, 1). */
CM_HD static inline float cm_rng_uniform(cm_rng *r) { return (float)(cm_rng_u32(r) >> 8) * (1.0f / 16777216.0f); }

/* Standard normal (Box-Muller). */
CM_HD static inline float cm_rng_normal(cm_rng *r) {
  float u1 = ((float)(cm_rng_u32(r) >> 8) + 1.0f) * (1.0f / 16777217.0f);
  float u2 = cm_rng_uniform(r);
  return sqrtf(-2.f * logf(u1)) * cosf(6.28318530718f * u2);
}
#endif
