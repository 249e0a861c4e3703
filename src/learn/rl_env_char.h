/* cm_rl_env over a character environment (env/env.h). The cm_env is borrowed: the adapter
 * never frees it. set_mode reaches the env (test mode accumulates its statistics, served by
 * env_stats); the discriminator arrays are copies the adapter takes after each step, before it
 * resets the finished envs. Fail and success rewards are 0 (MimicKit BaseEnv defaults). */
#ifndef CM_LEARN_RL_ENV_CHAR_H
#define CM_LEARN_RL_ENV_CHAR_H
#include "learn/rl_env.h"

struct cm_env;
int cm_rl_env_from_char(cm_rl_env *out, struct cm_env *env, cm_err *err);
/* An observer called after every reset of all envs and after every step, before finished envs
 * are reset (e.g. to record video); a non-zero return fails the step. */
typedef int (*cm_env_observer)(void *user, struct cm_env *env, cm_err *err);
void cm_rl_env_char_observe(cm_rl_env *rl, cm_env_observer fn, void *user);
#endif
