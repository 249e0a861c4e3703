/* ADD (MimicKit learning/add_agent.py, add_model.py, diff_normalizer.py): AMP's discriminator
 * judging differences d = disc_obs_demo - disc_obs between the reference motion and the
 * simulated character at the same step (both from the env). The positive class is the single
 * zero difference (not normalized); the negatives are the mini-batch's first
 * ceil(disc_batch_size / 2) differences plus as many from the replay buffer of differences,
 * normalized by |mean| (_disc_obs_norm._mean_abs). Loss:
 *   0.5 (BCE(D(0), 1) + BCE(D(neg), 0)) + disc_logit_reg |w_logits|^2
 *   + disc_grad_penalty mean ||dD/dx(neg)||^2 + disc_weight_decay sum |W|^2,
 * reward and mixing as AMP's, from D(normalized d). */
#include <stdlib.h>
#include <string.h>
#include "learn/amp.h"

static int add_create(cm_agent *a, const cm_cfg *root, cm_err *err) {
  cm_amp *m = calloc(1, sizeof *m);
  if (!m) return cm_fail(err, "%s:%d: out of memory", __FILE__, __LINE__);
  a->impl = m;
  m->diff = 1;
  return cm_amp_init(a, m, root, err);
}

static int add_build_train_data(cm_agent *a, cm_stats *out, cm_err *err) {
  cm_amp *m = a->impl;
  size_t n = (size_t)cm_exp_capacity(&a->buf), k = n * m->D;
  /* the differences replace the demo rows in place: the loss reads them back by index */
  float *diff = m->disc_obs_demo;
  a->dev->ops->axpy(k, -1.f, m->disc_obs, diff); /* y + (-1) x rounds as y - x */
  if (cm_replay_store(&m->replay, diff, (int)n, m->disc_replay_samples, err)) return -1;
  cm_stats rew;
  cm_stats_clear(&rew);
  if (cm_amp_mix_rewards(a, diff, NULL, 0, &rew, err)) return -1;
  if (cm_agent_need_norm_update(a)) cm_diff_norm_record(&m->dnorm, diff, (int)n);
  if (cm_ppo_build_train_data(a, out, err)) return -1;
  cm_stats_merge(out, &rew);
  return 0;
}

/* The disc loss's slots (from rec->off): each class's sums, the logit-layer and weight-decay sums of squares. */
enum { ADD_POS = 0, ADD_NEG = CM_DISC_SUMS, ADD_LOGIT = 2 * CM_DISC_SUMS, ADD_WD, ADD_SLOTS };

static int add_disc_loss(cm_agent *a, const int *idx, int rows, cm_aux_rec *rec, cm_err *err) {
  cm_amp *m = a->impl;
  int B = m->disc_batch_size, nn = (B + 1) / 2;
  if (nn > rows) nn = rows;
  float w = (float)m->disc_loss_weight;
  if (cm_agent_its_take(a, ADD_SLOTS, &rec->off, err)) return -1;
  /* positive: the zero difference, one row */
  a->dev->ops->fill(m->mb_nx, 0.f, (size_t)m->D);
  if (cm_disc_bce_dev(&m->disc, m->mb_nx, 1, 1, 0.5f * w, 0.f, cm_agent_its_at(a, rec->off + ADD_POS), err)) return -1;
  /* negatives: the mini-batch's differences and replayed ones, with the gradient penalty */
  const int *idx_d = cm_amp_dev_idx(a, idx, rows, err);
  if (!idx_d) return -1;
  a->dev->ops->gather_rows(m->mb_x, m->disc_obs_demo, m->D, idx_d, nn);
  if (cm_replay_sample(&m->replay, nn, m->mb_x + (size_t)nn * m->D, err)) return -1;
  cm_amp_normalize(m, m->mb_nx, m->mb_x, 2 * nn);
  if (cm_disc_bce_dev(&m->disc, m->mb_nx, 2 * nn, 0, 0.5f * w, w * (float)m->disc_grad_penalty,
                      cm_agent_its_at(a, rec->off + ADD_NEG), err))
    return -1;
  cm_disc_weight_sq_dev(&m->disc, 1, w * (float)m->disc_logit_reg, cm_agent_its_at(a, rec->off + ADD_LOGIT));
  if (m->disc_weight_decay != 0)
    cm_disc_weight_sq_dev(&m->disc, 0, w * (float)m->disc_weight_decay, cm_agent_its_at(a, rec->off + ADD_WD));
  return 0;
}

static void add_disc_stats(cm_agent *a, const cm_aux_rec *rec, const double *its, double *loss, cm_stats *st) {
  cm_amp *m = a->impl;
  const double *v = its + rec->off;
  int nn = (m->disc_batch_size + 1) / 2;
  if (nn > rec->rows) nn = rec->rows;
  cm_disc_term pos, neg;
  cm_disc_term_of(v + ADD_POS, 1, &pos);
  cm_disc_term_of(v + ADD_NEG, 2 * nn, &neg);
  double logit_sq = v[ADD_LOGIT];
  double dl = 0.5 * (pos.loss + neg.loss) + m->disc_logit_reg * logit_sq + m->disc_grad_penalty * neg.grad_penalty;
  if (m->disc_weight_decay != 0) dl += m->disc_weight_decay * v[ADD_WD];
  cm_stats_set(st, "Disc_Loss", dl);
  cm_stats_set(st, "Disc_Grad_Penalty", neg.grad_penalty);
  cm_stats_set(st, "Disc_Logit_Loss", logit_sq);
  cm_stats_set(st, "Disc_Pos_Acc", pos.acc);
  cm_stats_set(st, "Disc_Neg_Acc", neg.acc);
  cm_stats_set(st, "Disc_Pos_Logit", pos.logit_mean);
  cm_stats_set(st, "Disc_Neg_Logit", neg.logit_mean);
  *loss = m->disc_loss_weight * dl;
}

const cm_agent_type cm_agent_add = {
    .name = "ADD",
    .base = &cm_agent_amp,
    .create = add_create,
    .destroy = cm_amp_destroy,
    .params = cm_amp_params,
    .save = cm_amp_save,
    .load = cm_amp_load,
    .after_step = cm_amp_after_step,
    .build_train_data = add_build_train_data,
    .aux_loss = add_disc_loss,
    .aux_stats = add_disc_stats,
    .update_normalizers = cm_amp_update_normalizers,
};
