/* The reset of one amp-family environment (CPU and GPU): deepmimic's reference-state init at a
 * drawn (clip, time); for ase, with probability default_reset_prob, the character put in the
 * init pose at rest instead (MimicKit ASEEnv._reset_char -> CharEnv._reset_char); then the
 * discriminator history filled from the reference motion ending at the start time (MimicKit
 * AMPEnv._reset_disc_hist: for a default reset too). */
#ifndef CM_AMP_RESET_H
#define CM_AMP_RESET_H
#include "core/rng.h"
#include "env/amp_disc.h"
#include "env/deepmimic_ref.h"

#define CM_AMP_RNG_STREAM_DEFAULT_RESET 0x41534552u
#define CM_AMP_RNG_STREAM_DEMO 0x414d5044u

/* The character's init pose (env yaml init_pose): root position, rotation, dofs. */
typedef struct cm_init_pose {
  const float *root_pos, *root_rot, *dof_pos;
} cm_init_pose;

CM_HD static inline void cm_amp_reset_env(const cm_char *c, const cm_dm_params *p, const cm_disc_params *dp,
                                          const cm_motion_lib_view *v, cm_dm_buf *b, cm_sim_state *s,
                                          uint64_t seed, uint32_t env0, int i, float default_reset_prob, cm_init_pose init,
                                          float *hist_i, int head) {
  int D = c->num_dofs;
  cm_dm_reset_env(c, p, v, b, s, seed, env0, i);
  if (default_reset_prob > 0.f) {
    cm_rng rng = cm_rng_make(seed, env0 + (uint32_t)i, b->episode[i], CM_AMP_RNG_STREAM_DEFAULT_RESET);
    if (cm_rng_uniform(&rng) < default_reset_prob) {
      cm_v3_copy(s->root_pos + 3 * i, init.root_pos);
      cm_q_copy(s->root_rot + 4 * i, init.root_rot);
      cm_v3_set(s->root_vel + 3 * i, 0.f, 0.f, 0.f);
      cm_v3_set(s->root_ang_vel + 3 * i, 0.f, 0.f, 0.f);
      for (int k = 0; k < D; k++) {
        s->dof_pos[(long)D * i + k] = init.dof_pos[k];
        s->dof_vel[(long)D * i + k] = 0.f;
      }
    }
  }
  cm_disc_fill_from_motion(c, dp, v, b->motion_id[i], b->time_offset[i], hist_i, head);
}

/* Demo sample j of fetch call `draw`: a clip by weight and, with rand_reset, a uniform time in
 * it (else 0), as deepmimic draws its resets; its T records go into ring (head 0). */
CM_HD static inline void cm_amp_demo_sample(const cm_char *c, const cm_dm_params *p, const cm_disc_params *dp,
                                            const cm_motion_lib_view *v, uint64_t seed, uint64_t draw, int j,
                                            float *ring) {
  cm_rng rng = cm_rng_make(seed, (uint32_t)j, draw, CM_AMP_RNG_STREAM_DEMO);
  int m = cm_mlib_sample_motion(v, &rng);
  float t = p->rand_reset ? cm_mlib_sample_time(v, m, 0.f, &rng) : 0.f;
  cm_disc_fill_from_motion(c, dp, v, m, t, ring, 0);
}
#endif
