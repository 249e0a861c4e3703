/* amp, ase, add: deepmimic envs with a discriminator observation (MimicKit's AMPEnv, ASEEnv,
 * ADDEnv; amp_disc.h holds the per-env observation). They extend deepmimic the way MimicKit's
 * classes do:
 *   amp  the policy sees the deepmimic observation (its yaml turns phase and target terms off);
 *        reward 0 (the agent's discriminator makes it); episodes end on time-out and falls, not
 *        at the clip's end; a reset is deepmimic's reference-state init plus a history filled
 *        from the reference motion; demo observations come from (clip, time) pairs drawn as
 *        deepmimic draws its resets.
 *   ase  amp, and with probability default_reset_prob a reset puts the character in the
 *        init_pose at rest instead (the history is still the motion's).
 *   add  amp with ADD's observation, deepmimic's episode ends (clip end included), and every
 *        step the reference motion's observation at the env's own motion time (disc_obs_demo).
 * The task envs (task_location, task_steering) extend amp through the hooks below. */
#ifndef CM_AMP_H
#define CM_AMP_H
#include "env/amp_disc.h"
#include "env/deepmimic.h"

extern const cm_env_type cm_env_amp, cm_env_ase, cm_env_add;

/* cm_dm_env.ext of an amp-family env. */
typedef struct cm_amp_env {
  cm_disc_params dp;
  float default_reset_prob; /* ase; 0 otherwise */
  int frame_size;           /* floats per frame record */
  float *hist;              /* [N][T][frame_size] */
  int head;                 /* the ring's write slot */
  float *demo_frames;       /* [demo_cap][T][frame_size] scratch of fetch_disc_obs_demo */
  int demo_cap;
  uint64_t demo_draws;      /* fetch_disc_obs_demo calls so far: the rng key of the next */
  void *task;               /* the task env's own state */
} cm_amp_env;

cm_amp_env *cm_amp_of(const cm_env *e); /* NULL unless e is amp or extends it */

/* amp's hooks, for the types that extend it. */
int cm_amp_env_init(cm_env *e, const cm_cfg *cfg, cm_err *err);
void cm_amp_env_destroy(cm_env *e);
void cm_amp_env_reset(cm_env *e, const int *ids, int n);
void cm_amp_env_post_physics(cm_env *e);
void cm_amp_env_compute_obs(cm_env *e);
void cm_amp_env_reward_done(cm_env *e); /* sets reward 0: a task writes its own afterwards */
int cm_amp_env_fetch_disc_obs_demo(cm_env *e, int n, float *out, cm_err *err);
#endif
