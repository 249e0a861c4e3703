/* The engine interface: N environments of one character, simulated with PD position
 * control. State is exposed as batched float arrays in MimicKit's conventions (z-up,
 * quaternions xyzw, spherical joints as exp-map dofs); environments read them directly and
 * write them before calling push_state. Engines are chosen by engine_name. */
#ifndef CM_ENGINE_H
#define CM_ENGINE_H
#include <stdint.h>
#include "anim/char.h"
#include "core/err.h"
#include "anim/static_object.h"

typedef enum { CM_CTRL_NONE = 0, CM_CTRL_POS, CM_CTRL_VEL, CM_CTRL_TORQUE, CM_CTRL_PD_EXPLICIT } cm_control_mode;

typedef struct cm_engine_cfg {
  char engine_name[32];      /* "mujoco" */
  int control_mode;          /* cm_control_mode */
  int control_freq;          /* Hz: PD targets change at this rate */
  int sim_freq;              /* Hz: physics substeps */
  float env_spacing;
  float ground_contact_height;
  int num_threads;           /* 0: one per core */
  char device[16];           /* "" or "cpu": CPU threads; "cuda:N": an engine with a GPU path runs
                                there (others ignore it); set from --devices, not from the yaml */
} cm_engine_cfg;

typedef struct cm_engine_opts {
  int fix_root;              /* root welded to the world (dof_test) */
  int disable_motors;        /* kinematic playback (view_motion) */
  int with_ref_char;         /* a visual-only reference character, never collides */
  uint64_t seed;
  int num_objects;           /* static objects in every env's world (static_objects env) */
  cm_static_object objects[CM_MAX_STATIC_OBJECTS];
} cm_engine_opts;

/* Batched state; arrays are [num_envs][...]. */
typedef struct cm_sim_state {
  int num_envs, num_bodies, num_dofs;
  float *root_pos, *root_rot, *root_vel, *root_ang_vel; /* [N][3], [N][4], [N][3], [N][3] */
  float *dof_pos, *dof_vel;                             /* [N][D] */
  float *body_pos, *body_rot, *body_vel, *body_ang_vel; /* [N][B][3|4] */
  uint8_t *ground_contact;                              /* [N][B]: body touches the ground */
  float *ref_root_pos, *ref_root_rot, *ref_dof_pos;     /* reference character pose (visual) */
} cm_sim_state;

typedef struct cm_engine cm_engine;
typedef struct cm_engine_ops {
  /* Sets PD targets [N][D] (MimicKit dofs) used until the next call. */
  void (*set_targets)(cm_engine *e, const float *targets);
  /* Advances every env one control step (sim_freq / control_freq substeps), then refreshes state. */
  int (*step)(cm_engine *e, cm_err *err);
  /* Writes root/dof pos/vel of the listed envs (NULL = all) into the simulation and refreshes
   * their derived state (bodies, contacts). */
  void (*push_state)(cm_engine *e, const int *env_ids, int n);
  void (*destroy)(cm_engine *e);
  /* How many times an env was reset because its simulation went non-finite, summed over envs
   * since creation: for the log (NULL: the engine does not count them). */
  long (*num_resets)(cm_engine *e);
} cm_engine_ops;

struct cm_engine {
  const cm_engine_ops *ops;
  cm_engine_cfg cfg;
  cm_engine_opts opts;
  const cm_char *chr;
  cm_sim_state st;
  double control_dt, sim_dt;
  void *impl;
};

/* Builds the engine named by cfg->engine_name for the character file (already loaded as chr). */
int cm_engine_create(const cm_engine_cfg *cfg, const cm_engine_opts *opts, const char *char_file,
                     const cm_char *chr, int num_envs, cm_engine **out, cm_err *err);
void cm_engine_destroy(cm_engine *e);
/* For engine constructors: checks the character's size (file names it in the message) and
 * returns a zeroed engine with ops, cfg, opts, the step lengths and a zeroed impl of impl_size
 * bytes; NULL and err on failure. The constructor's destroy frees both. */
cm_engine *cm_engine_alloc(const cm_engine_cfg *cfg, const cm_engine_opts *opts, const cm_engine_ops *ops,
                           const cm_char *chr, const char *char_file, size_t impl_size, cm_err *err);
#endif
