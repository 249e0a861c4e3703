/* test_phys_smooth with the mass-matrix path in double (-DCM_PHYS_M_DOUBLE: cinert, cdof, crb
 * and qM's sums; poses, forces and solves stay float), the option phys_real.h describes: the
 * same MuJoCo comparisons, and qacc_smooth within 5e-6 relative (float path: 8.9e-6 measured,
 * this one 2.6e-6). The header functions compile here with the option; the model packer from
 * the library does not depend on it. */
#define CM_PHYS_M_DOUBLE 1
#define CM_TEST_M_BOUND 5e-6
#define CM_TEST_NAME "test_phys_smooth_mdouble"
#include "test_phys_smooth.c"
