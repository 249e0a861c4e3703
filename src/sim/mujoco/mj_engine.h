/* The "mujoco" engine: one shared mjModel compiled from the character file with a ground
 * scene, one mjData per environment, stepped by a thread pool in contiguous chunks. PD
 * control is computed by us at every substep and applied as generalised forces. The
 * renderer reads the model and the per-env data through the accessors below. */
#ifndef CM_MJ_ENGINE_H
#define CM_MJ_ENGINE_H
#include <mujoco/mujoco.h>
#include "sim/engine.h"

int cm_mj_engine_create(const cm_engine_cfg *cfg, const cm_engine_opts *opts, const char *char_file,
                        const cm_char *chr, int num_envs, cm_engine **out, cm_err *err);

/* Read-only access for renderers and tests (e must be a "mujoco" engine). */
const mjModel *cm_mj_model(const cm_engine *e);
mjData *cm_mj_data(cm_engine *e, int env);

/* How the derivative term of the PD controller is integrated. Implicit (the default): kd sits in
 * the model's dof_damping, which MuJoCo's Euler integrator treats implicitly, and only the
 * spring term (plus a correction when the torque saturates) is applied explicitly. Explicit:
 * the whole clamped PD torque is applied as a force computed from the current state.
 * Exists so the stability measurement can compare the two; see docs/ENGINE.md. */
void cm_mj_engine_set_implicit_damping(cm_engine *e, int on);

/* How many times MuJoCo reset an env's data after a bad (NaN or huge) qpos/qvel/qacc since the
 * engine was created: non-zero means the simulation went unstable. */
long cm_mj_engine_num_resets(const cm_engine *e);
#endif
