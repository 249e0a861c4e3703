/* test_phys_solver.c in float, the precision of the GPU engine: the same MuJoCo comparisons
 * with float tolerances. */
#define CM_TEST_FLOAT
#include "test_phys_solver.c"
