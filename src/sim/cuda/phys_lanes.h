/* The lanes that cooperate on one env's stage functions: {0, 1} on the CPU and in the GPU's
 * thread-per-env kernel (one lane does everything, in the order the serial code always had),
 * {lane, 32} in the warp-per-env kernel (a full warp of 32; or 4, 8, 16 lanes, an aligned part
 * of a warp, so that a warp runs 8, 4 or 2 envs). A stage spreads its independent
 * loops over the lanes,
 *     for (int i = L.lane; i < n; i += L.n) ...;  cm_lanes_sync(L);
 * sums a value over them with cm_lanes_sum (the lane-0 partial starts from the serial code's
 * initial value, so one lane adds in exactly the serial order), and runs what stays serial on
 * lane 0 between two syncs (CM_LANES_SERIAL). The sums are butterflies: every lane gets the same
 * bits, so control flow that depends on them stays uniform across the warp, as the shuffles and
 * __syncwarp require. On the host every helper is plain code, except in a test built with
 * CM_LANES_EMULATE, which runs lanes as host threads and supplies the cm_lanes_emu_* functions. */
#ifndef CM_PHYS_LANES_H
#define CM_PHYS_LANES_H
#include "core/hd.h"
#include "sim/cuda/phys_real.h"

typedef struct cm_lanes {
  int lane, n; /* this lane, and how many cooperate (1; on the device 4, 8, 16 or 32: an
                  aligned group of a warp's lanes, lane = warp lane mod n) */
} cm_lanes;

#ifdef __CUDA_ARCH__
/* the warp lanes of L's group (the shuffles and syncs name only them: the other groups of
 * the warp run other envs and may be elsewhere) */
__device__ static inline unsigned cm_lanes_mask(cm_lanes L) {
  if (L.n >= 32) return 0xffffffffu;
  unsigned base = (threadIdx.x & 31u) - (unsigned)L.lane;
  return ((1u << L.n) - 1u) << base;
}
#endif

#if defined(CM_LANES_EMULATE) && !defined(__CUDA_ARCH__)
#define CM_LANES_EMU 1
void cm_lanes_emu_sync(void);
cm_preal cm_lanes_emu_sum(int lane, cm_preal x);
int cm_lanes_emu_sum_i(int lane, int x);
int cm_lanes_emu_scan_i(int lane, int x);
int cm_lanes_emu_bcast(int lane, int x, int src);
#else
#define CM_LANES_EMU 0
#endif

CM_HD static inline cm_lanes cm_lanes_one(void) {
  cm_lanes L = {0, 1};
  return L;
}

/* Orders the lanes' memory accesses (writes before the sync are seen by reads after it). */
CM_HD static inline void cm_lanes_sync(cm_lanes L) {
#ifdef __CUDA_ARCH__
  if (L.n > 1) __syncwarp(cm_lanes_mask(L));
#elif CM_LANES_EMU
  if (L.n > 1) cm_lanes_emu_sync();
#else
  (void)L;
#endif
}

/* The sum of x over the lanes, on every lane. */
CM_HD static inline cm_preal cm_lanes_sum(cm_lanes L, cm_preal x) {
#ifdef __CUDA_ARCH__
  if (L.n > 1)
    for (int o = L.n >> 1; o > 0; o >>= 1) x += __shfl_xor_sync(cm_lanes_mask(L), x, o);
#elif CM_LANES_EMU
  if (L.n > 1) x = cm_lanes_emu_sum(L.lane, x);
#else
  (void)L;
#endif
  return x;
}
CM_HD static inline int cm_lanes_sum_i(cm_lanes L, int x) {
#ifdef __CUDA_ARCH__
  if (L.n > 1)
    for (int o = L.n >> 1; o > 0; o >>= 1) x += __shfl_xor_sync(cm_lanes_mask(L), x, o);
#elif CM_LANES_EMU
  if (L.n > 1) x = cm_lanes_emu_sum_i(L.lane, x);
#else
  (void)L;
#endif
  return x;
}

/* The sum of x over the lanes below this one (0 on lane 0). */
CM_HD static inline int cm_lanes_scan_excl(cm_lanes L, int x) {
  int incl = x;
#ifdef __CUDA_ARCH__
  if (L.n > 1)
    for (int o = 1; o < L.n; o <<= 1) {
      int t = __shfl_up_sync(cm_lanes_mask(L), incl, o, L.n);
      if (L.lane >= o) incl += t;
    }
#elif CM_LANES_EMU
  if (L.n > 1) return cm_lanes_emu_scan_i(L.lane, x);
#else
  (void)L;
#endif
  return incl - x;
}

/* Lane src's x, on every lane. */
CM_HD static inline int cm_lanes_bcast_from(cm_lanes L, int x, int src) {
#ifdef __CUDA_ARCH__
  if (L.n > 1) x = __shfl_sync(cm_lanes_mask(L), x, src, L.n);
#elif CM_LANES_EMU
  if (L.n > 1) x = cm_lanes_emu_bcast(L.lane, x, src);
#else
  (void)L;
  (void)src;
#endif
  return x;
}
CM_HD static inline int cm_lanes_bcast_i(cm_lanes L, int x) { return cm_lanes_bcast_from(L, x, 0); }

/* The serial code's initial value on lane 0, zero elsewhere: the start of a lane's partial sum. */
#define CM_LANES_INIT(L, v) ((L).lane == 0 ? (v) : 0)

/* The statements on lane 0 only, between syncs (they may call stage functions with
 * cm_lanes_one()). */
#define CM_LANES_SERIAL(L, ...)  \
  do {                           \
    cm_lanes_sync(L);            \
    if ((L).lane == 0) {         \
      __VA_ARGS__;               \
    }                            \
    cm_lanes_sync(L);            \
  } while (0)
#endif
