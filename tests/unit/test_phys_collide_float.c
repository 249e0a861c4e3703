/* test_phys_collide.c in float, the precision of the GPU engine: the same MuJoCo comparisons
 * with float tolerances (rounding may flip a near-degenerate branch in a few samples). */
#define CM_TEST_FLOAT
#include "test_phys_collide.c"
