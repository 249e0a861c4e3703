/* test_phys_collide_convex.c in float, the precision of the GPU engine (tolerances there). */
#define CM_TEST_FLOAT
#include "test_phys_collide_convex.c"
