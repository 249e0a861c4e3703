/* SGD (momentum 0.9) and AdamW against hand-worked steps, gradient clipping by global norm,
 * Adam on a quadratic, and one small regression through the MLP. */
#include <math.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/mlp.h"
#include "learn/optim.h"

static cm_err err;

static void make_param(cm_param *p, int n, const float *v) {
  CHECK_OK(cm_param_alloc(p, cm_dev_cpu(), "p", n, 0, 1, &err), &err);
  memcpy(p->data, v, sizeof(float) * n);
}

static void test_config(void) {
  cm_optim_config c;
  CHECK_OK(cm_optim_config_default(&c, "SGD", 5e-5f, &err), &err);
  CHECK(c.type == CM_OPT_SGD && c.momentum == 0.9f && c.weight_decay == 0.f && c.grad_clip == 0.f);
  CHECK_OK(cm_optim_config_default(&c, "Adam", 2e-5f, &err), &err);
  CHECK(c.type == CM_OPT_ADAM && c.beta1 == 0.9 && c.beta2 == 0.999 && c.eps == 1e-8);
  CHECK(cm_optim_config_default(&c, "RMSprop", 1e-3f, &err) == -1 && strstr(err.msg, "RMSprop"));
  CHECK(cm_optim_config_default(&c, "SGD", -1.f, &err) == -1);
  /* a parameter without gradient (e.g. FIXED log-std) is refused */
  cm_param fixed;
  CHECK_OK(cm_param_alloc(&fixed, cm_dev_cpu(), "_model._action_dist._logstd_net", 3, 0, 0, &err), &err);
  cm_param *list[1] = {&fixed};
  cm_optim opt;
  CHECK_OK(cm_optim_config_default(&c, "SGD", 0.1f, &err), &err);
  CHECK(cm_optim_create(&opt, cm_dev_cpu(), &c, list, 1, &err) == -1 && strstr(err.msg, "_logstd_net"));
  cm_param_release(&fixed, cm_dev_cpu());
}

/* p = (1, -2), lr 0.1, momentum 0.9:
 *   g1 = (0.5, 0.25): buf = g1,                        p = (0.95, -2.025)
 *   g2 = (-1, 0.5):   buf = 0.9 g1 + g2 = (-0.55, 0.725), p = (1.005, -2.0975)
 * with weight decay 0.1 the first step sees d = g1 + 0.1 p = (0.6, 0.05): p = (0.94, -2.005). */
static void test_sgd(void) {
  cm_param p;
  float p0[2] = {1.f, -2.f};
  make_param(&p, 2, p0);
  cm_optim_config c;
  CHECK_OK(cm_optim_config_default(&c, "SGD", 0.1f, &err), &err);
  cm_param *list[1] = {&p};
  cm_optim opt;
  CHECK_OK(cm_optim_create(&opt, cm_dev_cpu(), &c, list, 1, &err), &err);
  p.grad[0] = 0.5f; p.grad[1] = 0.25f;
  cm_optim_step(&opt);
  CHECK_NEAR(p.data[0], 0.95, 1e-6); CHECK_NEAR(p.data[1], -2.025, 1e-6);
  CHECK_NEAR(opt.buf1[0][0], 0.5, 1e-7);
  cm_optim_zero_grad(&opt);
  CHECK(p.grad[0] == 0.f && p.grad[1] == 0.f);
  p.grad[0] = -1.f; p.grad[1] = 0.5f;
  cm_optim_step(&opt);
  CHECK_NEAR(p.data[0], 1.005, 1e-6); CHECK_NEAR(p.data[1], -2.0975, 1e-6);
  CHECK(opt.steps == 2);
  cm_optim_destroy(&opt);

  memcpy(p.data, p0, sizeof p0);
  c.weight_decay = 0.1f;
  CHECK_OK(cm_optim_create(&opt, cm_dev_cpu(), &c, list, 1, &err), &err);
  p.grad[0] = 0.5f; p.grad[1] = 0.25f;
  cm_optim_step(&opt);
  CHECK_NEAR(p.data[0], 0.94, 1e-6); CHECK_NEAR(p.data[1], -2.005, 1e-6);
  cm_optim_destroy(&opt);
  cm_param_release(&p, cm_dev_cpu());
}

/* AdamW, lr 0.01, weight decay 0.1, p = 1:
 *   t=1, g=0.5: p = 0.999 - 0.01 * 0.5 / (0.5 + 1e-8)                       = 0.9890000002
 *   t=2, g=-1:  m = -0.055, v = 0.00124975, m^ = -0.2894737, v^ = 0.6251876
 *               p = 0.989 * 0.999 + 0.01 * 0.2894737 / 0.7906880             = 0.9916720354 */
static void test_adam_steps(void) {
  cm_param p;
  float p0[1] = {1.f};
  make_param(&p, 1, p0);
  cm_optim_config c;
  CHECK_OK(cm_optim_config_default(&c, "Adam", 0.01f, &err), &err);
  c.weight_decay = 0.1f;
  cm_param *list[1] = {&p};
  cm_optim opt;
  CHECK_OK(cm_optim_create(&opt, cm_dev_cpu(), &c, list, 1, &err), &err);
  p.grad[0] = 0.5f;
  cm_optim_step(&opt);
  CHECK_NEAR(p.data[0], 0.9890000002, 2e-7);
  CHECK_NEAR(opt.buf1[0][0], 0.05, 1e-8);  /* (1 - beta) rounded from double, not 1.f - 0.9f */
  CHECK_NEAR(opt.buf2[0][0], 0.00025, 1e-10);
  p.grad[0] = -1.f;
  cm_optim_step(&opt);
  CHECK_NEAR(p.data[0], 0.9916720354, 3e-7);
  CHECK(opt.steps == 2);
  cm_optim_destroy(&opt);
  cm_param_release(&p, cm_dev_cpu());
}

/* Gradients (3, 4) and (0) have global norm 5; clip 1 scales them by 1 / (5 + 1e-6). */
static void test_clip(void) {
  cm_param a, b;
  float a0[2] = {0.f, 0.f}, b0[1] = {1.f};
  make_param(&a, 2, a0);
  make_param(&b, 1, b0);
  cm_optim_config c;
  CHECK_OK(cm_optim_config_default(&c, "SGD", 1.f, &err), &err);
  c.grad_clip = 1.f;
  cm_param *list[2] = {&a, &b};
  cm_optim opt;
  CHECK_OK(cm_optim_create(&opt, cm_dev_cpu(), &c, list, 2, &err), &err);
  a.grad[0] = 3.f; a.grad[1] = 4.f; b.grad[0] = 0.f;
  cm_optim_step(&opt);
  CHECK_NEAR(opt.last_grad_norm, 5.0, 1e-9);
  CHECK_NEAR(a.data[0], -0.6, 1e-6); CHECK_NEAR(a.data[1], -0.8, 1e-6);
  CHECK(b.data[0] == 1.f);
  /* below the threshold nothing changes: momentum 0.9 * (0.6, 0.8) + (0.03, 0.04) */
  cm_optim_zero_grad(&opt);
  a.grad[0] = 0.03f; a.grad[1] = 0.04f;
  cm_optim_step(&opt);
  CHECK_NEAR(a.data[0], -0.6 - 0.57, 1e-5); CHECK_NEAR(a.data[1], -0.8 - 0.76, 1e-5);
  cm_optim_destroy(&opt);
  /* the same first step with the sums in caller's slots (cm_optim_step_dev): each tensor's sum
   * of squared gradients in its slot, the clip formed from them, identical parameters */
  a.data[0] = a.data[1] = 0.f;
  b.data[0] = 1.f;
  CHECK_OK(cm_optim_create(&opt, cm_dev_cpu(), &c, list, 2, &err), &err);
  a.grad[0] = 3.f; a.grad[1] = 4.f; b.grad[0] = 0.f;
  double sq[2] = {0, 0};
  cm_optim_step_dev(&opt, sq);
  CHECK(sq[0] == 25.0 && sq[1] == 0.0 && opt.steps == 1);
  CHECK(a.data[0] == -3.f * (float)(1.0 / (5.0 + 1e-6)) && a.data[1] == -4.f * (float)(1.0 / (5.0 + 1e-6)));
  CHECK(b.data[0] == 1.f);
  cm_optim_destroy(&opt);
  cm_param_release(&a, cm_dev_cpu());
  cm_param_release(&b, cm_dev_cpu());
}

/* f(p) = 1/2 sum a_i (p_i - t_i)^2 with very different curvatures: Adam reaches the minimum. */
static void test_adam_quadratic(void) {
  enum { N = 4 };
  float a[N] = {100.f, 1.f, 0.01f, 5.f}, t[N] = {1.f, -2.f, 0.5f, 3.f}, p0[N] = {0};
  cm_param p;
  make_param(&p, N, p0);
  cm_optim_config c;
  CHECK_OK(cm_optim_config_default(&c, "Adam", 0.05f, &err), &err);
  cm_param *list[1] = {&p};
  cm_optim opt;
  CHECK_OK(cm_optim_create(&opt, cm_dev_cpu(), &c, list, 1, &err), &err);
  for (int it = 0; it < 3000; it++) {
    for (int i = 0; i < N; i++) p.grad[i] = a[i] * (p.data[i] - t[i]);
    cm_optim_step(&opt);
  }
  for (int i = 0; i < N; i++) CHECK_NEAR(p.data[i], t[i], 1e-2);
  cm_optim_destroy(&opt);
  cm_param_release(&p, cm_dev_cpu());
}

/* A small MLP fits a smooth function with Adam: mean squared error drops tenfold. */
static void test_mlp_regression(void) {
  enum { B = 64 };
  cm_mlp net;
  int hidden[2] = {32, 32};
  CHECK_OK(cm_mlp_create_sizes(&net, cm_dev_cpu(), 2, hidden, 2, 1, "l", "o", &err), &err);
  CHECK_OK(cm_mlp_init(&net, 3, 0, 0.f, &err), &err);
  float x[B * 2], y[B], dout[B];
  cm_rng r = cm_rng_make(4, 0, 0, 0);
  for (int i = 0; i < B; i++) {
    x[2 * i] = 2.f * cm_rng_uniform(&r) - 1.f;
    x[2 * i + 1] = 2.f * cm_rng_uniform(&r) - 1.f;
    y[i] = sinf(2.f * x[2 * i]) + x[2 * i + 1] * x[2 * i + 1];
  }
  cm_param *ps[6];
  int np = cm_mlp_params(&net, ps, 6);
  cm_optim_config c;
  CHECK_OK(cm_optim_config_default(&c, "Adam", 3e-3f, &err), &err);
  cm_optim opt;
  CHECK_OK(cm_optim_create(&opt, cm_dev_cpu(), &c, ps, np, &err), &err);
  double first = 0, last = 0;
  for (int it = 0; it < 400; it++) {
    CHECK_OK(cm_mlp_forward(&net, x, B, &err), &err);
    double mse = 0;
    for (int i = 0; i < B; i++) {
      float d = cm_mlp_out(&net)[i] - y[i];
      mse += d * d / B;
      dout[i] = 2.f * d / B;
    }
    if (it == 0) first = mse;
    last = mse;
    cm_optim_zero_grad(&opt);
    CHECK_OK(cm_mlp_backward(&net, dout, NULL, &err), &err);
    cm_optim_step(&opt);
  }
  CHECK(last < 0.1 * first);
  cm_optim_destroy(&opt);
  cm_mlp_destroy(&net);
}

int main(void) {
  test_config();
  test_sgd();
  test_adam_steps();
  test_clip();
  test_adam_quadratic();
  test_mlp_regression();
  return check_report("test_optim");
}
