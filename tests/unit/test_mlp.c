/* MLP: forward against a hand-written reference, backward against central finite
 * differences (every parameter entry and every input entry of a small net), MimicKit's
 * initialisation statistics and parameter names. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/mlp.h"

static cm_err err;

/* Scalar loss L = sum_ij c_ij out_ij, accumulated in double. */
static double loss_of(cm_mlp *net, const float *x, int batch, const float *c) {
  CHECK_OK(cm_mlp_forward(net, x, batch, &err), &err);
  const float *y = cm_mlp_out(net);
  double l = 0;
  for (int i = 0; i < batch * cm_mlp_out_dim(net); i++) l += (double)c[i] * y[i];
  return l;
}

static void fill_uniform(float *x, int n, float lo, float hi, uint32_t stream) {
  cm_rng r = cm_rng_make(99, 0, 0, stream);
  for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * cm_rng_uniform(&r);
}

/* Checks dL/dtheta for entries of v (stride apart) against central differences. In one
 * parameter the loss is piecewise linear (ReLU), so where the two one-sided differences
 * disagree a kink lies inside the step: such entries are skipped, and must stay rare. */
static int fd_check(cm_mlp *net, float *v, const float *analytic, int n, int stride, const float *x, int batch,
                    const float *c, const char *what) {
  const float h = 1e-3f;
  int bad = 0, checked = 0, kinks = 0;
  double l0 = loss_of(net, x, batch, c);
  for (int k = 0; k < n; k += stride) {
    float keep = v[k];
    v[k] = keep + h; double lp = loss_of(net, x, batch, c);
    v[k] = keep - h; double lm = loss_of(net, x, batch, c);
    v[k] = keep;
    double fwd = (lp - l0) / h, bwd = (l0 - lm) / h, fd = (lp - lm) / (2.0 * h);
    double tol = 1e-3 + 1e-3 * fabs(fd);
    checked++;
    if (fabs(fwd - bwd) > 2 * tol) { kinks++; continue; }
    if (fabs(fd - analytic[k]) > tol) {
      if (bad++ < 3) fprintf(stderr, "  %s[%d]: analytic %.6g, finite difference %.6g\n", what, k, analytic[k], fd);
    }
  }
  if (kinks * 10 > checked) {
    fprintf(stderr, "  %s: %d of %d entries straddle a ReLU kink\n", what, kinks, checked);
    bad++;
  }
  return bad;
}

static void grad_check(cm_mlp *net, int batch, int stride) {
  int in = cm_mlp_in_dim(net), out = cm_mlp_out_dim(net);
  float *x = malloc(sizeof(float) * batch * in), *c = malloc(sizeof(float) * batch * out);
  float *dx = malloc(sizeof(float) * batch * in), *dx_copy = malloc(sizeof(float) * batch * in);
  fill_uniform(x, batch * in, -2.f, 2.f, 1);
  fill_uniform(c, batch * out, -1.f, 1.f, 2);
  cm_mlp_zero_grad(net);
  loss_of(net, x, batch, c);
  CHECK_OK(cm_mlp_backward(net, c, dx, &err), &err);
  memcpy(dx_copy, dx, sizeof(float) * batch * in);
  cm_param *ps[2 * CM_MLP_MAX_LINEAR];
  int np = cm_mlp_params(net, ps, 2 * CM_MLP_MAX_LINEAR);
  CHECK(np == 2 * net->num_linear);
  for (int i = 0; i < np; i++) {
    float *g = malloc(sizeof(float) * ps[i]->n);
    memcpy(g, ps[i]->grad, sizeof(float) * ps[i]->n);
    int s = ps[i]->n > 64 ? stride : 1;
    CHECK(fd_check(net, ps[i]->data, g, (int)ps[i]->n, s, x, batch, c, ps[i]->name) == 0);
    free(g);
  }
  CHECK(fd_check(net, x, dx_copy, batch * in, 1, x, batch, c, "input") == 0);

  /* Gradients accumulate: a second backward of the same forward doubles them. */
  float g0 = ps[0]->grad[1], gb = ps[np - 1]->grad[0];
  loss_of(net, x, batch, c);
  CHECK_OK(cm_mlp_backward(net, c, NULL, &err), &err);
  CHECK_NEAR(ps[0]->grad[1], 2.f * g0, 1e-5 + 1e-5 * fabs(g0));
  CHECK_NEAR(ps[np - 1]->grad[0], 2.f * gb, 1e-5 + 1e-5 * fabs(gb));
  cm_mlp_zero_grad(net);
  CHECK(ps[0]->grad[1] == 0.f && ps[np - 1]->grad[0] == 0.f);
  free(x); free(c); free(dx); free(dx_copy);
}

/* Forward pass of the tiny net in double by hand: ReLU hidden layers, linear head. */
static void test_forward_reference(void) {
  cm_mlp net;
  int hidden[2] = {6, 5};
  CHECK_OK(cm_mlp_create_sizes(&net, cm_dev_cpu(), 4, hidden, 2, 3, "_model._actor_layers",
                               "_model._action_dist._mean_net", &err), &err);
  CHECK_OK(cm_mlp_init(&net, 7, 0, 0.5f, &err), &err);
  /* non-zero biases so their addition is exercised */
  for (int l = 0; l < net.num_linear; l++) fill_uniform(net.b[l].data, (int)net.b[l].n, -0.3f, 0.3f, 10 + l);
  enum { B = 3 };
  float x[B * 4];
  fill_uniform(x, B * 4, -1.f, 1.f, 3);
  CHECK_OK(cm_mlp_forward(&net, x, B, &err), &err);
  for (int r = 0; r < B; r++) {
    double h[8], o[8];
    for (int j = 0; j < 4; j++) h[j] = x[r * 4 + j];
    for (int l = 0; l < net.num_linear; l++) {
      for (int i = 0; i < net.dims[l + 1]; i++) {
        double s = net.b[l].data[i];
        for (int j = 0; j < net.dims[l]; j++) s += (double)net.w[l].data[i * net.dims[l] + j] * h[j];
        o[i] = (l < net.num_hidden && s < 0) ? 0 : s;
      }
      memcpy(h, o, sizeof o);
    }
    for (int i = 0; i < 3; i++) CHECK_NEAR(cm_mlp_out(&net)[r * 3 + i], h[i], 1e-5);
  }
  cm_mlp_destroy(&net);
}

static void test_grad_small(void) {
  cm_mlp net;
  int hidden[2] = {6, 5};
  CHECK_OK(cm_mlp_create_sizes(&net, cm_dev_cpu(), 4, hidden, 2, 3, "a", "h", &err), &err);
  CHECK_OK(cm_mlp_init(&net, 11, 0, 0.f, &err), &err);
  for (int l = 0; l < net.num_linear; l++) fill_uniform(net.b[l].data, (int)net.b[l].n, -0.3f, 0.3f, 20 + l);
  grad_check(&net, 3, 1);
  cm_mlp_destroy(&net);
  /* without a head the output is the last ReLU layer */
  CHECK_OK(cm_mlp_create_sizes(&net, cm_dev_cpu(), 3, hidden, 2, 0, "b", NULL, &err), &err);
  CHECK_OK(cm_mlp_init(&net, 12, 0, 0.f, &err), &err);
  for (int l = 0; l < net.num_linear; l++) fill_uniform(net.b[l].data, (int)net.b[l].n, 0.0f, 0.3f, 30 + l);
  CHECK(cm_mlp_out_dim(&net) == 5);
  grad_check(&net, 4, 1);
  cm_mlp_destroy(&net);
}

/* A MimicKit net by name: names and torch shapes, then a sampled gradient check. */
static void test_named_net(void) {
  cm_mlp net;
  CHECK_OK(cm_mlp_create(&net, cm_dev_cpu(), "fc_2layers_128units", 7, 2, "_model._actor_layers",
                         "_model._action_dist._mean_net", &err), &err);
  cm_param *ps[8];
  CHECK(cm_mlp_params(&net, ps, 8) == 6);
  const char *names[6] = {"_model._actor_layers.0.weight", "_model._actor_layers.0.bias",
                          "_model._actor_layers.2.weight", "_model._actor_layers.2.bias",
                          "_model._action_dist._mean_net.weight", "_model._action_dist._mean_net.bias"};
  int shapes[6][2] = {{128, 7}, {128, 0}, {64, 128}, {64, 0}, {2, 64}, {2, 0}};
  for (int i = 0; i < 6; i++) {
    CHECK(strcmp(ps[i]->name, names[i]) == 0);
    CHECK(ps[i]->shape[0] == shapes[i][0] && ps[i]->shape[1] == shapes[i][1]);
    CHECK(ps[i]->ndim == (shapes[i][1] ? 2 : 1));
  }
  CHECK_OK(cm_mlp_init(&net, 5, 0, 0.f, &err), &err);
  for (int l = 0; l < net.num_linear; l++) fill_uniform(net.b[l].data, (int)net.b[l].n, -0.1f, 0.1f, 40 + l);
  grad_check(&net, 2, 37);
  cm_mlp_destroy(&net);

  int sizes[4], n = 0;
  CHECK_OK(cm_net_hidden_sizes("fc_3layers_1024units", sizes, 4, &n, &err), &err);
  CHECK(n == 3 && sizes[0] == 1024 && sizes[1] == 1024 && sizes[2] == 512);
  CHECK_OK(cm_net_hidden_sizes("fc_2layers_1024units", sizes, 4, &n, &err), &err);
  CHECK(n == 2 && sizes[0] == 1024 && sizes[1] == 512);
  CHECK_OK(cm_net_hidden_sizes("fc_2layers_256units", sizes, 4, &n, &err), &err);
  CHECK(n == 2 && sizes[0] == 256 && sizes[1] == 128);
  CHECK_OK(cm_net_hidden_sizes("fc_2layers_512units", sizes, 4, &n, &err), &err);
  CHECK(n == 2 && sizes[0] == 512 && sizes[1] == 256);
  /* bad input is an error with a message, not a crash */
  CHECK(cm_mlp_create(&net, cm_dev_cpu(), "fc_9layers", 7, 2, "a", "b", &err) == -1);
  CHECK(strstr(err.msg, "fc_9layers") != NULL);
  CHECK(cm_mlp_create(&net, cm_dev_cpu(), "fc_2layers_128units", 0, 2, "a", "b", &err) == -1);
  CHECK(cm_mlp_backward(&net, NULL, NULL, &err) == -1);
}

static void uniform_stats(const cm_param *p, float bound, const char *what) {
  double s = 0, s2 = 0, mx = 0;
  for (size_t i = 0; i < p->n; i++) {
    double v = p->data[i];
    s += v; s2 += v * v;
    if (fabs(v) > mx) mx = fabs(v);
  }
  double mean = s / p->n, var = s2 / p->n - mean * mean, want = (double)bound * bound / 3.0;
  int ok = mx <= bound && mx > 0.99 * bound && fabs(mean) < 0.01 * bound && fabs(var / want - 1) < 0.03;
  if (!ok) fprintf(stderr, "  %s: max %g mean %g var %g (bound %g, want var %g)\n", what, mx, mean, var, bound, want);
  CHECK(ok);
}

static void test_init(void) {
  cm_mlp actor, critic, again;
  const int in = 64;
  CHECK_OK(cm_mlp_create(&actor, cm_dev_cpu(), "fc_2layers_1024units", in, 28, "_model._actor_layers",
                         "_model._action_dist._mean_net", &err), &err);
  CHECK_OK(cm_mlp_create(&critic, cm_dev_cpu(), "fc_2layers_1024units", in, 1, "_model._critic_layers",
                         "_model._critic_out", &err), &err);
  CHECK_OK(cm_mlp_init(&actor, 1, 0, 0.01f, &err), &err);
  CHECK_OK(cm_mlp_init(&critic, 1, 1, 0.f, &err), &err);
  uniform_stats(&actor.w[0], 1.f / 8.f, "actor layer 0");
  uniform_stats(&actor.w[1], 1.f / sqrtf(1024.f), "actor layer 2");
  uniform_stats(&actor.w[2], 0.01f, "actor mean head");
  uniform_stats(&critic.w[1], 1.f / sqrtf(1024.f), "critic layer 2");
  float cb = 1.f / sqrtf(512.f), cmax = 0;
  for (size_t i = 0; i < critic.w[2].n; i++) cmax = fmaxf(cmax, fabsf(critic.w[2].data[i]));
  CHECK(cmax <= cb && cmax > 0.5f * cb); /* only 512 draws: a looser lower bound */
  CHECK(strcmp(critic.w[2].name, "_model._critic_out.weight") == 0);
  CHECK(critic.w[2].shape[0] == 1 && critic.w[2].shape[1] == 512);
  int zero = 1;
  for (int l = 0; l < 3; l++) {
    for (size_t i = 0; i < actor.b[l].n; i++) zero &= actor.b[l].data[i] == 0.f;
    for (size_t i = 0; i < critic.b[l].n; i++) zero &= critic.b[l].data[i] == 0.f;
  }
  CHECK(zero);
  /* reproducible from the seed; the critic's stream differs from the actor's */
  CHECK_OK(cm_mlp_create(&again, cm_dev_cpu(), "fc_2layers_1024units", in, 28, "x", "y", &err), &err);
  CHECK_OK(cm_mlp_init(&again, 1, 0, 0.01f, &err), &err);
  int same = 1;
  for (int l = 0; l < 3; l++) same &= memcmp(again.w[l].data, actor.w[l].data, actor.w[l].n * sizeof(float)) == 0;
  CHECK(same);
  CHECK(memcmp(actor.w[0].data, critic.w[0].data, actor.w[0].n * sizeof(float)) != 0);
  CHECK_OK(cm_mlp_init(&again, 2, 0, 0.01f, &err), &err);
  CHECK(memcmp(again.w[0].data, actor.w[0].data, actor.w[0].n * sizeof(float)) != 0);
  cm_mlp_destroy(&actor); cm_mlp_destroy(&critic); cm_mlp_destroy(&again);
}

int main(void) {
  test_forward_reference();
  test_grad_small();
  test_named_net();
  test_init();
  return check_report("test_mlp");
}
