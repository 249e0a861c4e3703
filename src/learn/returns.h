/* Returns and advantages as MimicKit computes them (learning/rl_util.py, ppo_agent.py).
 * Arrays are time-major [T][N] (steps_per_iter x num_envs), as the experience buffer stores
 * them. done flags follow envs/base_env.py DoneFlags. */
#ifndef CM_LEARN_RETURNS_H
#define CM_LEARN_RETURNS_H
#include <math.h>
#include <stdint.h>
#include "core/err.h"
#include "core/hd.h"
#include "learn/ops.h"

typedef enum { CM_DONE_NULL = 0, CM_DONE_FAIL = 1, CM_DONE_SUCC = 2, CM_DONE_TIME = 3 } cm_done_flag;

/* Terminal bootstrap of one next value: where an episode ended in success or failure, the value
 * of the next state is replaced by a constant (reward_succ / (1 - discount), reward_fail /
 * (1 - discount)); on a timeout (TIME) the critic's value of the last observation stays. Over
 * a whole buffer: the bootstrap_done op (ops.h). */
CM_HD static inline float cm_bootstrap_done_value(unsigned char done, float v, float succ_val, float fail_val) {
  return done == CM_DONE_SUCC ? succ_val : (done == CM_DONE_FAIL ? fail_val : v);
}

/* clamp((x - mean) / s, -clip, clip), s = max(std, 1e-5) formed by the caller */
CM_HD static inline float cm_adv_norm_value(float x, float mean, float s, float clip) {
  float z = (x - mean) / s;
  return z < -clip ? -clip : (z > clip ? clip : z);
}

/* The return tracker (return_tracker.py) per env, on the agent's device: one step of env i adds
 * its reward to the running return and length; at an episode end (any done flag) they join the
 * env's sums and restart. A step with a non-finite reward or a done flag beyond CM_DONE_TIME
 * marks the env bad. The totals over the envs come to the host in one reduction (the
 * rtrack_sums op: ops.h, CM_RT_*); over every env of a step: the rtrack_step op. The arrays:
 * cm_rtrack_rows (ops.h). */
CM_HD static inline void cm_rtrack_row(const cm_rtrack_rows *t, int i, float r, unsigned char done) {
  if (!isfinite(r) || done > CM_DONE_TIME) t->bad[i] = 1;
  t->ret[i] += r;
  t->len[i]++;
  if (done != CM_DONE_NULL) {
    t->ep_ret[i] += t->ret[i];
    t->ep_len[i] += (double)t->len[i];
    t->eps[i]++;
    t->ret[i] = 0.f;
    t->len[i] = 0;
  }
}

/* Env i's share of the totals (rtrack_sums): out[CM_RT_*] += its episodes, sums, bad flag, and
 * 1 when it has finished fewer than min_eps episodes. */
CM_HD static inline void cm_rtrack_sum_row(const cm_rtrack_rows *t, int i, int min_eps, double *out) {
  out[CM_RT_EPISODES] += t->eps[i];
  out[CM_RT_SUM_RET] += t->ep_ret[i];
  out[CM_RT_SUM_LEN] += t->ep_len[i];
  out[CM_RT_BAD] += t->bad[i];
  out[CM_RT_BELOW] += t->eps[i] < min_eps;
}

/* AMP's reward mixing (amp_agent._record_data_post_step): task reward r, style reward d and, when
 * has_e, a method's extra reward e (ASE's encoder reward) */
CM_HD static inline float cm_reward_mix_value(float r, float d, float e, int has_e, float tw, float dw, float ew) {
  return tw * r + dw * d + (has_e ? ew * e : 0.f);
}

/* AWR's advantage weight min(exp(adv / temp), clip) of a normalized advantage */
CM_HD static inline float cm_awr_weight_value(float adv, float temp, float clip) { return fminf(expf(adv / temp), clip); }

/* TD(lambda) return of one env (column env of the [T][N] arrays):
 *   ret[T-1] = r[T-1] + discount * next_vals[T-1]
 *   ret[t]   = r[t] + discount * ((1 - l_t) next_vals[t] + l_t ret[t+1]),  l_t = lambda * (done[t] == NULL)
 * so at any episode end (fail, succ or timeout) the recursion restarts from next_vals[t].
 * Over every env: the td_lambda op (ops.h). */
CM_HD static inline void cm_td_lambda_env(int T, int N, int env, const float *r, const float *next_vals,
                                          const uint8_t *done, float discount, float lambda, float *ret) {
  size_t i = (size_t)(T - 1) * N + env;
  float next_ret = r[i] + discount * next_vals[i];
  ret[i] = next_ret;
  for (int t = T - 2; t >= 0; t--) {
    i = (size_t)t * N + env;
    float l = done[i] != CM_DONE_NULL ? 0.f : lambda;
    next_ret = r[i] + discount * ((1.f - l) * next_vals[i] + l * next_ret);
    ret[i] = next_ret;
  }
}

/* Advantage statistics over the entries with mask != 0 (mask NULL: all): mean and the
 * unbiased variance (torch.std_mean). With fewer than two entries the variance is 0 (and the
 * mean 0 with none). Returns the entry count. A distributed run averages mean and var across
 * processes, as mp_util.calc_mean_std does. The agent takes them with the masked_stats op (the
 * same sums in the same order: test_loss_rows); this is the plain reference. The adv_normalize
 * op then applies cm_adv_norm_value to every entry (masked or not). */
int cm_adv_stats(int n, const float *adv, const float *mask, double *mean, double *var);
#endif
