/* The character model (compiled description, built once, never mutated): bodies in MJCF
 * depth-first order, parent indices, local offsets, and joints grouped as MimicKit groups
 * them. Three hinges on one body form one spherical joint whose 3 dofs are an exp-map;
 * a single hinge is 1 dof; a body without joints is fixed. Plain arrays of fixed size so the
 * struct can be copied to a GPU as is. */
#ifndef CM_CHAR_H
#define CM_CHAR_H
#include "core/err.h"
#include "core/quat.h"

#define CM_MAX_BODIES 64
#define CM_MAX_DOFS 128
#define CM_NAME_LEN 64

typedef enum { CM_JOINT_ROOT = 0, CM_JOINT_HINGE = 1, CM_JOINT_SPHERE = 2, CM_JOINT_FIXED = 3 } cm_joint_type;

typedef struct cm_char {
  int num_bodies;
  int num_dofs;                        /* MimicKit dofs: 3 per spherical joint, 1 per hinge */
  char body_names[CM_MAX_BODIES][CM_NAME_LEN];
  int parent[CM_MAX_BODIES];           /* -1 for the root */
  float local_pos[CM_MAX_BODIES][3];   /* offset from the parent body frame */
  float local_rot[CM_MAX_BODIES][4];   /* xyzw */
  int joint_type[CM_MAX_BODIES];       /* cm_joint_type; body 0 is CM_JOINT_ROOT */
  float hinge_axis[CM_MAX_BODIES][3][3]; /* the MJCF hinge axes (1 for hinge, 3 for sphere) */
  int dof_idx[CM_MAX_BODIES];          /* first dof of the body's joint */
  int dof_dim[CM_MAX_BODIES];          /* 0, 1 or 3 */
  /* per MimicKit dof; spherical joints keep their three hinges' values in order */
  float dof_low[CM_MAX_DOFS], dof_high[CM_MAX_DOFS]; /* joint range, radians */
  float kp[CM_MAX_DOFS], kd[CM_MAX_DOFS];            /* PD gains (MJCF joint stiffness, damping) */
  float torque_limit[CM_MAX_DOFS];                   /* N m */
  float armature[CM_MAX_DOFS];
  float action_low[CM_MAX_DOFS], action_high[CM_MAX_DOFS]; /* pos-control bounds, MimicKit rule */
  float total_mass;
  float body_mass[CM_MAX_BODIES];
  /* where each body's joint lives in the MuJoCo model compiled from the same file (no scene,
   * root free): mj_body is the MuJoCo body id; the qpos/dof addresses are those of the body's
   * first joint (the free joint for the root, the first hinge otherwise), -1 without joints.
   * A spherical joint's three hinges occupy 3 consecutive qpos and dof slots. */
  int mj_body[CM_MAX_BODIES];
  int mj_qpos_adr[CM_MAX_BODIES], mj_dof_adr[CM_MAX_BODIES];
  int mj_nq, mj_nv;                    /* sizes of that model's qpos and qvel */
} cm_char;

/* Loads an MJCF file through libmujoco (after normalising attributes newer than the installed
 * MuJoCo, e.g. joint actuatorfrcrange, which becomes the torque limit). */
int cm_char_load(const char *path, cm_char *out, cm_err *err);
/* Action bounds for position control; zero_center centres hinge bounds on 0 (env option). */
void cm_char_action_bounds(const cm_char *c, int zero_center, float *low, float *high);
int cm_char_body_id(const cm_char *c, const char *name); /* -1 if absent */

/* Torque limit used for a hinge that has neither actuatorfrcrange nor a limited motor:
 * the value MimicKit writes into the MJCF files it generates for new characters. */
#define CM_CHAR_DEFAULT_TORQUE_LIMIT 100.f
/* Unlimited hinges get this range (radians) for the action bounds. */
#define CM_CHAR_UNLIMITED_RANGE CM_PI

/* The MJCF joint stiffness/damping carry the PD gains kp/kd (read into cm_char). An engine that
 * applies PD control itself calls this on its mjModel so MuJoCo does not also apply them as a
 * passive spring (jnt_stiffness) and damper (dof_damping) of every hinge. */
struct mjModel_;
void cm_char_clear_passive_pd(struct mjModel_ *m);
#endif
