/* The cuda engine's CPU driver in double (cm_cuda_engine_create_f64 ...), for the tests that
 * separate the algorithm's error from float rounding; engine_name "cuda" is the float build. */
#define CM_PHYS_DOUBLE 1
#include "sim/cuda/cuda_engine.c"
