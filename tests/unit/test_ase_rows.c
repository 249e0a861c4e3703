/* ASE's rows (learn/ase_rows.h) through the CPU ops table, against hand values: latents on the
 * unit sphere, fixed by their key; resampled only where the env is done or its schedule says;
 * the encoder reward, the encoder loss rows and the diversity rows at known inputs, their
 * gradients against finite differences; the concatenation of the policy's inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "learn/ase_rows.h"
#include "learn/ops.h"

static double norm2(int Z, const float *z) {
  double s = 0;
  for (int j = 0; j < Z; j++) s += (double)z[j] * z[j];
  return s;
}

/* unit length for every Z; the same key the same latent, any other key another; env0 shifts the key */
static void test_latent_draw(void) {
  const int Zs[] = {1, 2, 3, 64};
  for (size_t k = 0; k < sizeof Zs / sizeof *Zs; k++) {
    int Z = Zs[k];
    float a[64], b[64], c[64], d[64];
    cm_ase_draw_latent(7, 3, 11, Z, a);
    cm_ase_draw_latent(7, 3, 11, Z, b);
    cm_ase_draw_latent(7, 4, 11, Z, c);
    cm_ase_draw_latent(7, 3, 12, Z, d);
    CHECK_NEAR(norm2(Z, a), 1.0, 1e-6);
    CHECK_NEAR(norm2(Z, c), 1.0, 1e-6);
    CHECK(!memcmp(a, b, (size_t)Z * sizeof(float)));
    if (Z > 1) CHECK(memcmp(a, c, (size_t)Z * sizeof(float)) && memcmp(a, d, (size_t)Z * sizeof(float)));
    if (Z == 1) CHECK(fabsf(a[0]) == 1.f);
  }
  /* the latent is the normalized vector of the key's normal draws (core/rng.h) */
  float z[3], g[3];
  cm_ase_draw_latent(7, 3, 11, 3, z);
  cm_rng r = cm_rng_make(7, 3, 11, CM_STREAM_LATENT);
  for (int j = 0; j < 3; j++) g[j] = cm_rng_normal(&r);
  double len = sqrt(norm2(3, g));
  for (int j = 0; j < 3; j++) CHECK_NEAR(z[j], g[j] / len, 1e-6);
  /* across ranks: env 1 of a rank whose env0 is 5 draws env 6's latent */
  enum { N = 2, Z = 4 };
  float zz[N * Z], et[N] = {0}, rt[N] = {0};
  cm_ase_latent_args p = {.Z = Z, .reset_all = 1, .seed = 7, .env0 = 5, .draws = 2, .dt = 0.1f, .time_min = 1,
                          .time_max = 2, .z = zz, .env_time = et, .reset_time = rt};
  cm_ops_cpu.ase_latents(&p, N);
  float want[Z];
  cm_ase_draw_latent(7, 6, 2, Z, want);
  CHECK(!memcmp(zz + Z, want, sizeof want));
}

/* The schedule with latent_time_min = max = 0.25 s and 0.1 s steps: a reset of all sets every
 * time to 0 and every reset time to 0.25; env 2 is done at the first step (new latent, its time
 * 0); at the third step the others pass 0.3 >= 0.25 and draw again, reset at 0.55; env 2 (at
 * 0.2) keeps its latent. Nothing changes anywhere else. */
static void test_latent_schedule(void) {
  enum { N = 4, Z = 3 };
  float z[N * Z], et[N], rt[N], before[N * Z];
  unsigned char done[N] = {0, 0, 1, 0}, none[N] = {0};
  memset(et, 0x7f, sizeof et); /* garbage the reset overwrites */
  cm_ase_latent_args p = {.Z = Z, .reset_all = 1, .seed = 9, .draws = 0, .dt = 0.1f, .time_min = 0.25,
                          .time_max = 0.25, .z = z, .env_time = et, .reset_time = rt};
  cm_ops_cpu.ase_latents(&p, N);
  for (int i = 0; i < N; i++) {
    float w[Z];
    cm_ase_draw_latent(9, (uint32_t)i, 0, Z, w);
    CHECK(!memcmp(z + i * Z, w, sizeof w));
    CHECK(et[i] == 0.f);
    CHECK_NEAR(rt[i], 0.25, 1e-7);
    CHECK_NEAR(norm2(Z, z + i * Z), 1.0, 1e-6);
  }
  /* step 1 (draws 1): only env 2, done */
  memcpy(before, z, sizeof z);
  p.reset_all = 0;
  p.draws = 1;
  p.done = done;
  cm_ops_cpu.ase_latents(&p, N);
  for (int i = 0; i < N; i++) {
    int changed = memcmp(z + i * Z, before + i * Z, Z * sizeof(float)) != 0;
    CHECK(changed == (i == 2));
    CHECK_NEAR(et[i], i == 2 ? 0.0 : 0.1, 1e-7);
    CHECK_NEAR(rt[i], 0.25, 1e-7);
  }
  float w2[Z];
  cm_ase_draw_latent(9, 2, 1, Z, w2);
  CHECK(!memcmp(z + 2 * Z, w2, sizeof w2));
  /* step 2: nothing due */
  memcpy(before, z, sizeof z);
  p.draws = 2;
  p.done = none;
  cm_ops_cpu.ase_latents(&p, N);
  CHECK(!memcmp(z, before, sizeof z));
  /* step 3: the envs at 0.3 s draw again */
  p.draws = 3;
  cm_ops_cpu.ase_latents(&p, N);
  for (int i = 0; i < N; i++) {
    int changed = memcmp(z + i * Z, before + i * Z, Z * sizeof(float)) != 0;
    CHECK(changed == (i != 2));
    CHECK_NEAR(rt[i], i == 2 ? 0.25 : 0.55, 1e-6);
    CHECK_NEAR(norm2(Z, z + i * Z), 1.0, 1e-6);
  }
  /* a done env whose time is also due draws once more after its time went to 0: the reset time
   * counts from 0 */
  p.draws = 4;
  p.time_min = 0.5;
  p.time_max = 1.5;
  unsigned char all[N] = {1, 1, 1, 1};
  p.done = all;
  cm_ops_cpu.ase_latents(&p, N);
  for (int i = 0; i < N; i++) {
    CHECK(et[i] == 0.f);
    CHECK(rt[i] >= 0.5f && rt[i] < 1.5f);
  }
}

/* u = (3, 4): q = (0.6, 0.8). Rewards max(z . q, 0): z = (1, 0) 0.6, (0, -1) 0, q itself 1; a
 * scaled u the same; u = 0 normalizes to 0 (eps 1e-12) and earns 0. */
static void test_enc_reward(void) {
  const float u[5 * 2] = {3, 4, 3, 4, 3, 4, 30, 40, 0, 0};
  const float z[5 * 2] = {1, 0, 0, -1, 0.6f, 0.8f, 1, 0, 1, 0};
  float r[5];
  cm_ops_cpu.ase_enc_reward(r, u, z, 5, 2);
  CHECK_NEAR(r[0], 0.6, 1e-7);
  CHECK(r[1] == 0.f);
  CHECK_NEAR(r[2], 1.0, 1e-7);
  CHECK_NEAR(r[3], 0.6, 1e-7);
  CHECK(r[4] == 0.f);
}

/* err = -z . u / |u|: for u = (3, 4), z = (1, 0) it is -0.6 and d err / du = -(z - 0.6 q) / 5 =
 * (-0.128, 0.096), times the scale 0.5. Row 1 takes z row 0 through idx; the sum comes back.
 * Then a 5-D row's gradient against central differences of err. */
static void test_enc_loss(void) {
  const float u[2 * 2] = {3, 4, 0, 2};
  const float z[2 * 2] = {1, 0, 0, -1};
  const int idx[2] = {0, 1}; /* row 1's latent z[1] = (0, -1): err = -(-1) = 1, grad 0 (z parallel to q) */
  float du[2 * 2];
  double sum = 0;
  cm_ops_cpu.ase_enc_loss_rows(du, u, z, idx, 2, 2, 0.5f, &sum);
  CHECK_NEAR(sum, -0.6 + 1.0, 1e-7);
  CHECK_NEAR(du[0], 0.5 * -0.128, 1e-7);
  CHECK_NEAR(du[1], 0.5 * 0.096, 1e-7);
  CHECK_NEAR(du[2], 0.0, 1e-7);
  CHECK_NEAR(du[3], 0.0, 1e-7);
  const int swap[2] = {1, 0};
  sum = 0.25; /* the sum is added into the slot */
  cm_ops_cpu.ase_enc_loss_rows(du, u, z, swap, 2, 2, 1.f, &sum); /* row 0 against (0,-1): 0.8; row 1 against (1,0): 0 */
  CHECK_NEAR(sum, 0.25 + 0.8 + 0.0, 1e-7);
  sum = 0;
  enum { Z = 5 };
  float uu[Z] = {0.3f, -1.2f, 0.7f, 2.0f, -0.4f}, zz[Z] = {0.2f, 0.4f, -0.4f, 0.8f, 0.0f}, g[Z];
  int i0 = 0;
  cm_ops_cpu.ase_enc_loss_rows(g, uu, zz, &i0, 1, Z, 1.f, &sum);
  for (int j = 0; j < Z; j++) {
    double e[2];
    for (int s = 0; s < 2; s++) {
      double v[Z], n = 0, d = 0;
      for (int k = 0; k < Z; k++) v[k] = uu[k] + (k == j ? (s ? -1e-3 : 1e-3) : 0);
      for (int k = 0; k < Z; k++) n += v[k] * v[k];
      for (int k = 0; k < Z; k++) d += zz[k] * v[k] / sqrt(n);
      e[s] = -d;
    }
    CHECK_NEAR(g[j], (e[0] - e[1]) / 2e-3, 1e-4);
  }
}

/* The diversity rows: each extra row keeps its observation and gets a unit z' of key (seed, row,
 * step); z_diff = 0.5 - 0.5 z' . z. Then the loss at u0 = (0, 0), u1 = (1, 1): a_diff = 1,
 * e = 1 - 1 / (z_diff + 1e-5), its gradient against finite differences. */
static void test_diversity(void) {
  enum { M = 3, O = 2, Z = 3, W = O + Z };
  float in[M * W] = {1, 2, 1, 0, 0, 3, 4, 0, 1, 0, 5, 6, 0, 0, 1};
  float extra[M * W], extra2[M * W], zd[M], zd2[M];
  cm_ops_cpu.ase_div_rows(extra, zd, in, M, O, Z, 5, 17);
  cm_ops_cpu.ase_div_rows(extra2, zd2, in, M, O, Z, 5, 17);
  CHECK(!memcmp(extra, extra2, sizeof extra) && !memcmp(zd, zd2, sizeof zd));
  for (int r = 0; r < M; r++) {
    const float *e = extra + r * W, *x = in + r * W;
    CHECK(e[0] == x[0] && e[1] == x[1]);
    CHECK_NEAR(norm2(Z, e + O), 1.0, 1e-6);
    double dot = 0;
    for (int j = 0; j < Z; j++) dot += (double)e[O + j] * x[O + j];
    CHECK_NEAR(zd[r], 0.5 - 0.5 * dot, 1e-6);
    CHECK(zd[r] >= 0.f && zd[r] <= 1.f);
    float w[Z];
    cm_rng g = cm_rng_make(5, (uint32_t)r, 17, CM_STREAM_DIVERSITY);
    for (int j = 0; j < Z; j++) w[j] = cm_rng_normal(&g);
    double len = sqrt(norm2(Z, w));
    for (int j = 0; j < Z; j++) CHECK_NEAR(e[O + j], w[j] / len, 1e-6);
  }
  cm_ops_cpu.ase_div_rows(extra2, zd2, in, M, O, Z, 5, 18); /* another optimizer step: other latents */
  CHECK(memcmp(extra, extra2, sizeof extra) != 0);

  enum { A = 2 };
  float u0[A] = {0, 0}, u1[A] = {1, 1}, zdiff = 0.5f, dmean[A] = {0.25f, -0.5f}, dextra[A] = {9, 9};
  const float w = 0.1f;
  double sum = 0;
  cm_ops_cpu.ase_div_loss_rows(dmean, dextra, u0, u1, &zdiff, 1, A, 1.0, w, &sum);
  double den = 0.5 + 1e-5, e = 1.0 - 1.0 / den;
  CHECK_NEAR(sum, e * e, 1e-9);
  double g1 = -4.0 * e / (A * den) * w; /* d (w e^2) / d u1_j at u1 - u0 = 1 */
  CHECK_NEAR(dextra[0], g1, 1e-6);
  CHECK_NEAR(dextra[1], g1, 1e-6);
  CHECK_NEAR(dmean[0], 0.25 - g1, 1e-6);
  CHECK_NEAR(dmean[1], -0.5 - g1, 1e-6);
  /* against central differences of w e(u1)^2 at an asymmetric point */
  float v0[A] = {0.3f, -0.2f}, v1[A] = {0.9f, 0.4f}, dm[A] = {0, 0}, dx[A];
  sum = 0;
  cm_ops_cpu.ase_div_loss_rows(dm, dx, v0, v1, &zdiff, 1, A, 0.7, w, &sum);
  for (int j = 0; j < A; j++) {
    double l[2];
    for (int s = 0; s < 2; s++) {
      double ad = 0;
      for (int k = 0; k < A; k++) {
        double d = v1[k] + (k == j ? (s ? -1e-4 : 1e-4) : 0) - v0[k];
        ad += d * d;
      }
      double ee = 0.7 - ad / A / den;
      l[s] = w * ee * ee;
    }
    CHECK_NEAR(dx[j], (l[0] - l[1]) / 2e-4, 1e-5);
    CHECK_NEAR(dm[j], -dx[j], 1e-9);
  }
}

static void test_concat(void) {
  const float x[2 * 3] = {1, 2, 3, 4, 5, 6}, c[2 * 2] = {-1, -2, -3, -4};
  float y[2 * 5];
  cm_ops_cpu.concat_cols(y, x, 3, c, 2, 2);
  const float want[2 * 5] = {1, 2, 3, -1, -2, 4, 5, 6, -3, -4};
  CHECK(!memcmp(y, want, sizeof want));
}

int main(void) {
  test_latent_draw();
  test_latent_schedule();
  test_enc_reward();
  test_enc_loss();
  test_diversity();
  test_concat();
  return check_report("test_ase_rows");
}
