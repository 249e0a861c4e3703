/* Core math, random numbers and the thread pool against analytic expectations. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/fileio.h"
#include "core/pool.h"
#include "core/quat.h"
#include "core/rng.h"

static void test_quat(void) {
  float axis[3] = {0, 0, 1}, q[4], v[3] = {1, 0, 0}, o[3];
  cm_q_from_axis_angle(q, axis, CM_PI / 2);
  cm_q_rotate(o, q, v);
  CHECK_NEAR(o[0], 0, 1e-6); CHECK_NEAR(o[1], 1, 1e-6); CHECK_NEAR(o[2], 0, 1e-6);
  /* exp-map round trip, including a rotation near pi */
  float es[3][3] = {{0.3f, -0.2f, 0.9f}, {1e-9f, 0, 0}, {0, 3.1f, 0}};
  for (int i = 0; i < 3; i++) {
    float e2[3];
    cm_exp_map_to_quat(q, es[i]);
    cm_quat_to_exp_map(e2, q);
    for (int k = 0; k < 3; k++) CHECK_NEAR(e2[k], es[i][k], 1e-5);
  }
  /* composition: rotating by a then b equals rotating by b*a */
  float qa[4], qb[4], qab[4], t1[3], t2[3];
  float ea[3] = {0.1f, 0.5f, -0.3f}, eb[3] = {-0.7f, 0.2f, 0.4f};
  cm_exp_map_to_quat(qa, ea); cm_exp_map_to_quat(qb, eb);
  cm_q_mul(qab, qb, qa);
  cm_q_rotate(t1, qa, v); cm_q_rotate(t1, qb, t1);
  cm_q_rotate(t2, qab, v);
  for (int k = 0; k < 3; k++) CHECK_NEAR(t1[k], t2[k], 1e-6);
  /* matrix round trip */
  float m[9], q2[4];
  cm_q_to_mat(m, qab); cm_mat_to_q(q2, m); cm_q_pos(q2); cm_q_pos(qab);
  for (int k = 0; k < 4; k++) CHECK_NEAR(q2[k], qab[k], 1e-6);
  /* slerp halfway between identity and 90 deg about z is 45 deg */
  float id[4] = {0, 0, 0, 1}, h[4];
  cm_q_from_axis_angle(q, axis, CM_PI / 2);
  cm_q_slerp(h, id, q, 0.5f);
  CHECK_NEAR(cm_q_twist_angle(h, axis), CM_PI / 4, 1e-6);
  CHECK_NEAR(cm_q_heading(q), CM_PI / 2, 1e-6);
}

static void test_rng(void) {
  cm_rng a = cm_rng_make(7, 3, 11, 1), b = cm_rng_make(7, 3, 11, 1), c = cm_rng_make(7, 4, 11, 1);
  int same = 1, differ = 0;
  double sum = 0, sq = 0;
  for (int i = 0; i < 20000; i++) {
    uint32_t x = cm_rng_u32(&a), y = cm_rng_u32(&b), z = cm_rng_u32(&c);
    same &= x == y;
    differ += x != z;
  }
  CHECK(same);
  CHECK(differ > 19990);
  cm_rng n = cm_rng_make(1, 0, 0, 0);
  for (int i = 0; i < 100000; i++) { double g = cm_rng_normal(&n); sum += g; sq += g * g; }
  CHECK_NEAR(sum / 100000, 0.0, 0.02);
  CHECK_NEAR(sq / 100000, 1.0, 0.02);
}

typedef struct { int *hits; } pool_ctx;
static void mark(void *ctx, int begin, int end, int worker) {
  (void)worker;
  for (int i = begin; i < end; i++) ((pool_ctx *)ctx)->hits[i]++;
}

static void test_pool(void) {
  cm_pool *p = cm_pool_create(3);
  int hits[1000] = {0};
  pool_ctx ctx = {hits};
  for (int r = 0; r < 50; r++) cm_pool_for(p, 1000, mark, &ctx);
  int ok = 1;
  for (int i = 0; i < 1000; i++) ok &= hits[i] == 50;
  CHECK(ok);
  cm_pool_destroy(p);
}

static void test_atomic_write(void) {
  cm_err err;
  const char *path = "build/test_core_atomic.txt";
  cm_mkdirs("build", &err);
  CHECK_OK(cm_write_file_atomic(path, "hello", 5, &err), &err);
  char *data; size_t n;
  CHECK_OK(cm_read_file(path, &data, &n, &err), &err);
  CHECK(n == 5 && !memcmp(data, "hello", 5));
  free(data);
  CHECK(cm_read_file("build/definitely_missing_file", &data, &n, &err) != 0);
  CHECK(strstr(err.msg, "definitely_missing_file") != NULL);
}

int main(void) {
  test_quat();
  test_rng();
  test_pool();
  test_atomic_write();
  return check_report("test_core");
}
