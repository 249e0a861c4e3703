/* The physics model packer in double (cm_phys_model_compile_f64), for the tests that separate
 * the algorithm's error from float rounding; the engine itself runs in float. */
#define CM_PHYS_DOUBLE 1
#include "sim/cuda/phys_model.c"
