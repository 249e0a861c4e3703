#include "env/char_obs.h"

#include "env/env.h"

static void obs_range(void *ctx, int begin, int end, int worker) {
  (void)worker;
  cm_env *e = ctx;
  const cm_sim_state *s = &e->engine->st;
  int B = s->num_bodies, D = s->num_dofs;
  for (int i = begin; i < end; i++)
    cm_char_obs(&e->chr, s->root_pos + 3 * i, s->root_rot + 4 * i, s->root_vel + 3 * i, s->root_ang_vel + 3 * i,
                s->dof_pos + (size_t)D * i, s->dof_vel + (size_t)D * i, s->body_pos + (size_t)3 * B * i,
                e->key_body_ids, e->num_key_bodies, e->global_obs, e->root_height_obs,
                e->obs + (size_t)e->obs_dim * i);
}

void cm_char_obs_batch(cm_env *e) { cm_pool_for(e->pool, e->num_envs, obs_range, e); }
