/* test_cuda_engine's checks on the cuda engine built in double (cuda_engine_f64.c), with the
 * random-action rollout over 16 envs: what float32 rounding adds is measured by the
 * difference between this test's numbers and test_cuda_engine's (docs/ENGINE.md). */
#define CM_PHYS_DOUBLE 1
#define CM_ROLLOUT_ENVS 16
#define CM_TEST_NAME "test_cuda_engine_f64"
#include "test_cuda_engine.c"
