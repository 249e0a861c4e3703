/* The discriminator family's numerics against independent expectations: the input gradient
 * and the gradient penalty's weight gradient of a ReLU MLP against finite differences, the BCE
 * term's weight gradient against finite differences, the style reward at known logits (by
 * hand), the encoder error's gradient against finite differences, the replay buffer's push /
 * wrap / draw-without-replacement, and the difference normalizer's running |mean|. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/rng.h"
#include "learn/diff_norm.h"
#include "learn/disc.h"
#include "learn/ase_rows.h"
#include "learn/replay.h"

#define B 5
#define IN 3

static void fill_rand(float *x, size_t n, float scale, uint32_t stream) {
  cm_rng r = cm_rng_make(123, stream, 0, 0);
  for (size_t i = 0; i < n; i++) x[i] = scale * cm_rng_normal(&r);
}

static cm_mlp make_net(void) {
  cm_mlp net;
  cm_err err = {{0}};
  int hidden[2] = {6, 4};
  CHECK_OK(cm_mlp_create_sizes(&net, cm_dev_cpu(), IN, hidden, 2, 1, "body", "head", &err), &err);
  CHECK_OK(cm_mlp_init(&net, 7, 1, 1.f, &err), &err);
  /* biases away from zero so that few units sit near their ReLU kink */
  for (int i = 0; i < net.num_linear; i++) fill_rand(net.b[i].data, net.b[i].n, 0.3f, 40 + i);
  return net;
}

static double logit_sum(cm_mlp *net, const float *x) {
  cm_err err = {{0}};
  cm_mlp_forward(net, x, B, &err);
  double s = 0;
  for (int r = 0; r < B; r++) s += cm_mlp_out(net)[r];
  return s;
}

static double penalty_at(cm_mlp *net, cm_gp_ws *ws, const float *x) {
  cm_err err = {{0}};
  double p = 0;
  cm_mlp_forward(net, x, B, &err);
  CHECK_OK(cm_mlp_grad_penalty(net, ws, 0.f, &p, &err), &err);
  return p;
}

/* P by finite differences of the logits in x (the reference for the penalty's value), and
 * dP/dW by finite differences of P in each weight */
static void test_grad_penalty(void) {
  cm_mlp net = make_net();
  cm_gp_ws ws = {0};
  cm_err err = {{0}};
  float x[B * IN];
  fill_rand(x, B * IN, 1.f, 2);
  const double h = 1e-3;
  double p_fd = 0;
  for (int r = 0; r < B; r++) {
    for (int j = 0; j < IN; j++) {
      float *xi = &x[r * IN + j], keep = *xi;
      *xi = keep + (float)h;
      double up = logit_sum(&net, x);
      *xi = keep - (float)h;
      double dn = logit_sum(&net, x);
      *xi = keep;
      double g = (up - dn) / (2 * h);
      p_fd += g * g;
    }
  }
  p_fd /= B;
  double p = penalty_at(&net, &ws, x);
  CHECK(p > 1e-3);
  CHECK_NEAR(p, p_fd, 1e-3 * fmax(1.0, p_fd));

  /* analytic weight gradient of weight * P */
  const float weight = 0.7f;
  cm_mlp_zero_grad(&net);
  cm_mlp_forward(&net, x, B, &err);
  double pv;
  CHECK_OK(cm_mlp_grad_penalty(&net, &ws, weight, &pv, &err), &err);
  double worst = 0;
  int checked = 0;
  for (int l = 0; l < net.num_linear; l++) {
    for (size_t k = 0; k < net.w[l].n; k++) {
      float *w = &net.w[l].data[k], keep = *w;
      *w = keep + (float)h;
      double up = penalty_at(&net, &ws, x);
      *w = keep - (float)h;
      double dn = penalty_at(&net, &ws, x);
      *w = keep;
      double fd = weight * (up - dn) / (2 * h), an = net.w[l].grad[k];
      worst = fmax(worst, fabs(fd - an) / fmax(0.05, fabs(fd)));
      checked++;
    }
    /* biases only move the ReLU masks: no gradient */
    for (size_t k = 0; k < net.b[l].n; k++) CHECK(net.b[l].grad[k] == 0.f);
  }
  CHECK(checked == 6 * IN + 4 * 6 + 4);
  if (worst > 2e-2) fprintf(stderr, "grad penalty: worst relative error %g\n", worst);
  CHECK(worst <= 2e-2);
  cm_gp_ws_destroy(&ws);
  cm_mlp_destroy(&net);
}

static double bce_at(cm_disc *d, const float *x, int target) {
  cm_err err = {{0}};
  cm_disc_term t;
  cm_mlp_zero_grad(&d->net);
  CHECK_OK(cm_disc_bce(d, x, B, target, 0.f, 0.f, &t, &err), &err);
  return t.loss;
}

/* mean BCE of one class, its weight gradient against finite differences, accuracy and logits */
static void test_bce(void) {
  cm_disc d;
  cm_err err = {{0}};
  CHECK_OK(cm_disc_create(&d, cm_dev_cpu(), "fc_2layers_128units", IN, 3, 1, &err), &err);
  CHECK(!strcmp(d.net.w[0].name, "_model._disc_layers.0.weight"));
  CHECK(!strcmp(d.net.w[1].name, "_model._disc_layers.2.weight"));
  CHECK(!strcmp(d.net.w[2].name, "_model._disc_logits.weight"));
  CHECK(d.net.dims[1] == 128 && d.net.dims[2] == 64 && d.net.dims[3] == 1);
  float x[B * IN];
  fill_rand(x, B * IN, 1.f, 5);
  for (int target = 0; target <= 1; target++) {
    cm_disc_term t;
    cm_mlp_zero_grad(&d.net);
    CHECK_OK(cm_disc_bce(&d, x, B, target, 0.5f, 0.f, &t, &err), &err);
    /* by hand from the logits */
    float z[B];
    CHECK_OK(cm_disc_logits(&d, x, B, z, &err), &err);
    double loss = 0, acc = 0;
    for (int r = 0; r < B; r++) {
      double p = 1.0 / (1.0 + exp(-z[r]));
      loss += target ? -log(p) : -log(1 - p);
      acc += target ? z[r] > 0 : z[r] < 0;
    }
    CHECK_NEAR(t.loss, loss / B, 1e-5);
    CHECK_NEAR(t.acc, acc / B, 1e-12);
    /* gradient of 0.5 * loss in a few weights of every layer */
    cm_mlp_zero_grad(&d.net);
    CHECK_OK(cm_disc_bce(&d, x, B, target, 0.5f, 0.f, &t, &err), &err);
    float grads[3][4];
    for (int l = 0; l < 3; l++)
      for (int k = 0; k < 4; k++) grads[l][k] = d.net.w[l].grad[k * 3];
    for (int l = 0; l < 3; l++)
      for (int k = 0; k < 4; k++) {
        float *w = &d.net.w[l].data[k * 3], keep = *w;
        const double h = 1e-3;
        *w = keep + (float)h;
        double up = bce_at(&d, x, target);
        *w = keep - (float)h;
        double dn = bce_at(&d, x, target);
        *w = keep;
        CHECK_NEAR(grads[l][k], 0.5 * (up - dn) / (2 * h), 2e-3 * fmax(1.0, fabs(grads[l][k])) + 1e-4);
      }
  }
  /* weight_sq of the logit layer and its gradient 2 scale w */
  cm_mlp_zero_grad(&d.net);
  double sq = cm_disc_weight_sq(&d, 1, 0.25f), want = 0;
  for (size_t k = 0; k < d.net.w[2].n; k++) want += (double)d.net.w[2].data[k] * d.net.w[2].data[k];
  CHECK_NEAR(sq, want, 1e-4 * want);
  CHECK_NEAR(d.net.w[2].grad[7], 0.5 * d.net.w[2].data[7], 1e-7);
  CHECK(d.net.w[0].grad[0] == 0.f);
  /* the logit head starts U(-1, 1) as amp_model._build_disc sets it */
  float lo = 1, hi = -1;
  for (size_t k = 0; k < d.net.w[2].n; k++) {
    lo = fminf(lo, d.net.w[2].data[k]);
    hi = fmaxf(hi, d.net.w[2].data[k]);
  }
  CHECK(lo >= -1.f && hi <= 1.f && hi - lo > 1.5f);
  cm_disc_destroy(&d);
}

/* r = -log(max(1 - sigmoid(z), 1e-4)) * scale, at logits whose values are known by hand */
/* The BCE rows (disc_bce_rows on the CPU) at logits whose sigmoids are known: sigmoid(0) = 1/2,
 * sigmoid(log 3) = 3/4, sigmoid(-log 3) = 1/4, sigmoid(2) = 1 / (1 + e^-2). Weight 0.5 over 4 rows:
 *   target 1: BCE = log(1 + e^-z): log 2, log(4/3), log 4, log(1 + e^-2); right where z > 0 (2 of 4);
 *             dL/dz = 0.5 (sigmoid(z) - 1) / 4
 *   target 0: BCE = log(1 + e^z): log 2, log 4, log(4/3), log(1 + e^2); right where z < 0 (1 of 4);
 *             dL/dz = 0.5 sigmoid(z) / 4
 * and the logits sum to 2 either way. The style reward of the same logits: -log(1 - sigmoid(z)). */
static void test_bce_rows(void) {
  const float z[4] = {0.f, logf(3.f), -logf(3.f), 2.f};
  const double sg[4] = {0.5, 0.75, 0.25, 1.0 / (1.0 + exp(-2.0))};
  const double bce1 = log(2.0) + log(4.0 / 3.0) + log(4.0) + log(1.0 + exp(-2.0));
  const double bce0 = log(2.0) + log(4.0) + log(4.0 / 3.0) + log(1.0 + exp(2.0));
  for (int target = 0; target <= 1; target++) {
    float dz[4];
    double sum[CM_BCE_N];
    cm_ops_cpu.disc_bce_rows(dz, z, 4, target, 0.5f, sum);
    CHECK_NEAR(sum[CM_BCE_LOSS], target ? bce1 : bce0, 1e-6);
    CHECK(sum[CM_BCE_ACC] == (target ? 2.0 : 1.0)); /* z = 0 is right for neither class */
    CHECK_NEAR(sum[CM_BCE_LOGIT], 2.0, 1e-6);
    for (int i = 0; i < 4; i++) CHECK_NEAR(dz[i], 0.5 * (sg[i] - target) / 4, 1e-7);
  }
  float r[4];
  cm_ops_cpu.disc_reward(r, z, 4, 2.f);
  CHECK_NEAR(r[0], 2.0 * log(2.0), 1e-6);
  CHECK_NEAR(r[1], 2.0 * log(4.0), 1e-5);
  CHECK_NEAR(r[2], -2.0 * log(0.75), 1e-6);
  CHECK_NEAR(r[3], -2.0 * log(1.0 - sg[3]), 1e-5);
}

static void test_reward(void) {
  CHECK_NEAR(cm_disc_reward(0.f, 2.f), 2.0 * log(2.0), 1e-6);                 /* 1 - p = 1/2 */
  CHECK_NEAR(cm_disc_reward(logf(3.f), 1.f), log(4.0), 1e-6);                 /* p = 3/4 */
  CHECK_NEAR(cm_disc_reward(-logf(3.f), 1.f), -log(0.75), 1e-6);              /* p = 1/4 */
  CHECK_NEAR(cm_disc_reward(30.f, 2.f), -2.0 * log(1e-4), 1e-4);              /* clamped */
  CHECK_NEAR(cm_disc_reward(-30.f, 2.f), 0.0, 1e-6);
  /* a confident logit: log(1 + e^z) to float's precision, not to what 1 - sigmoid(z) keeps */
  for (float z = 3.f; z <= 9.f; z += 0.37f) CHECK_NEAR(cm_disc_reward(z, 1.f), log1p(exp((double)z)), 1e-6);
  CHECK(cm_disc_reward(1.f, 1.f) > cm_disc_reward(0.5f, 1.f)); /* more demo-like, more reward */
  CHECK_NEAR(cm_bce_logit(0.f, 1), log(2.0), 1e-12);
  CHECK_NEAR(cm_bce_logit(100.f, 0), 100.0, 1e-9); /* stable far out */
}

static double enc_err_at(int Z, const float *u, const float *z) {
  float du[8];
  return cm_ase_enc_loss_row(Z, u, z, 0.f, du);
}

/* err = -z . u/|u| and its gradient in u */
static void test_encoder_error(void) {
  enum { Z = 5 };
  float u[Z], z[Z], q[Z], du[Z] = {0};
  fill_rand(u, Z, 2.f, 8);
  fill_rand(z, Z, 1.f, 9);
  cm_unit_normalize(Z, z);
  memcpy(q, u, sizeof q);
  float len = cm_unit_normalize(Z, q);
  CHECK_NEAR(cm_dot(Z, q, q), 1.0, 1e-6);
  CHECK_NEAR(cm_unit_len(Z, u), len, 0);
  float e = cm_ase_enc_loss_row(Z, u, z, 1.5f, du);
  CHECK_NEAR(e, -cm_dot(Z, z, q), 1e-7);
  for (int j = 0; j < Z; j++) {
    const float h = 1e-3f;
    float keep = u[j];
    u[j] = keep + h;
    double up = enc_err_at(Z, u, z);
    u[j] = keep - h;
    double dn = enc_err_at(Z, u, z);
    u[j] = keep;
    CHECK_NEAR(du[j], 1.5 * (up - dn) / (2 * h), 2e-3);
  }
  /* z = q: the error is -1, its minimum, and the gradient vanishes */
  float d2[Z] = {0};
  CHECK_NEAR(cm_ase_enc_loss_row(Z, u, q, 1.f, d2), -1.0, 1e-6);
  for (int j = 0; j < Z; j++) CHECK_NEAR(d2[j], 0.0, 1e-6);
}

static void test_replay(void) {
  cm_replay r;
  cm_err err = {{0}};
  CHECK_OK(cm_replay_create(&r, cm_dev_cpu(), 10, 2, 1, &err), &err);
  float x[8 * 2];
  for (int i = 0; i < 16; i++) x[i] = (float)i;
  /* not full: every row goes in */
  CHECK_OK(cm_replay_store(&r, x, 8, 3, &err), &err);
  CHECK(cm_replay_count(&r) == 8 && !cm_replay_full(&r) && r.head == 8);
  CHECK_OK(cm_replay_store(&r, x, 8, 3, &err), &err);
  CHECK(cm_replay_full(&r) && r.head == 6 && r.total == 16);
  /* full: 3 distinct rows of the 8, written at the head */
  float y[8 * 2];
  for (int i = 0; i < 16; i++) y[i] = 100.f + (float)i;
  CHECK_OK(cm_replay_store(&r, y, 8, 3, &err), &err);
  CHECK(r.total == 19 && r.head == 9);
  int seen[8] = {0}, ok = 1;
  for (int k = 6; k < 9; k++) {
    float a0 = r.data[k * 2], a1 = r.data[k * 2 + 1];
    int i = (int)(a0 - 100.f) / 2;
    ok &= a0 >= 100.f && i >= 0 && i < 8 && a1 == a0 + 1.f && !seen[i];
    if (i >= 0 && i < 8) seen[i] = 1;
  }
  CHECK(ok);
  /* draws come from stored rows */
  float s[50 * 2];
  CHECK_OK(cm_replay_sample(&r, 50, s, &err), &err);
  int valid = 1;
  for (int i = 0; i < 50; i++) {
    int found = 0;
    for (int k = 0; k < 10; k++) found |= r.data[k * 2] == s[i * 2] && r.data[k * 2 + 1] == s[i * 2 + 1];
    valid &= found;
  }
  CHECK(valid);
  cm_replay_destroy(&r);
}

static void test_diff_norm(void) {
  cm_diff_norm n;
  cm_err err = {{0}};
  CHECK_OK(cm_diff_norm_create(&n, cm_dev_cpu(), "_disc_obs_norm", 2, &err), &err);
  float x[3 * 2] = {1, -2, -3, 0, 2, 0}, y[3 * 2];
  cm_diff_norm_normalize(&n, y, x, 3); /* starts at mean_abs 1 */
  CHECK(y[1] == -2.f && y[2] == -3.f);
  cm_diff_norm_record(&n, x, 3);
  cm_diff_norm_update(&n);
  CHECK(n.count == 3);
  CHECK_NEAR(n.mean_abs_h[0], 2.0, 1e-12);
  CHECK_NEAR(n.mean_abs_h[1], 2.0 / 3.0, 1e-12);
  float x2[2] = {5, 0};
  cm_diff_norm_record(&n, x2, 1);
  cm_diff_norm_update(&n); /* weighted by counts: (3 * 2 + 5) / 4 */
  CHECK_NEAR(n.mean_abs_h[0], 11.0 / 4.0, 1e-12);
  CHECK_NEAR(n.mean_abs_h[1], 0.5, 1e-12);
  cm_diff_norm_normalize(&n, y, x, 1);
  CHECK_NEAR(y[0], 1.0 / 2.75, 1e-6);
  CHECK_NEAR(y[1], -4.0, 1e-6);
  cm_diff_norm_destroy(&n);
}

int main(void) {
  test_bce_rows();
  test_grad_penalty();
  test_bce();
  test_reward();
  test_encoder_error();
  test_replay();
  test_diff_norm();
  return check_report("test_disc");
}
