/* The packed physics model of the "cuda" engine: the subset of MuJoCo's mjModel that the engine
 * simulates, in cm_preal (float; double when CM_PHYS_DOUBLE is defined, for tests), with
 * mjModel's names and addressing (body_jntadr, jnt_qposadr, jnt_dofadr,
 * dof_parentid ...). Plain data of fixed capacity, no pointers, so a GPU copy is the same struct
 * (one cudaMemcpy). Quaternions keep MuJoCo's order w,x,y,z; spatial vectors are
 * [angular(3), linear(3)] as in mjData's cdof/cvel/cinert.
 *
 * Compiled from the mjModel that libmujoco builds from the MJCF (anim/mjcf.c with the
 * ground scene added), so every attribute MuJoCo parses is honoured. What the engine cannot
 * simulate is refused at compile time with one line naming the file, the element and the
 * feature (cm_phys_model_compile). */
#ifndef CM_PHYS_MODEL_H
#define CM_PHYS_MODEL_H
#include "core/hd.h"
#include "sim/cuda/phys_real.h"

#define CM_PHYS_MAX_BODY 64   /* including the world body 0 */
#define CM_PHYS_MAX_JNT 96    /* = CM_PHYS_MAX_DOF: every joint has a dof (SMPL: 70 hinges + free) */
#define CM_PHYS_MAX_DOF 96
#define CM_PHYS_MAX_QPOS 112
#define CM_PHYS_MAX_GEOM 128
#define CM_PHYS_MAX_PAIR 512  /* geom pairs that pass the collision filter */
#define CM_PHYS_MAX_CON 64    /* contacts kept per env; more are dropped and counted */

/* mjtJoint / mjtGeom values, so the packed arrays compare directly with mjModel's */
enum { CM_PHYS_JNT_FREE = 0, CM_PHYS_JNT_BALL = 1, CM_PHYS_JNT_SLIDE = 2, CM_PHYS_JNT_HINGE = 3 };
enum { CM_PHYS_CTRL_NONE = 0, CM_PHYS_CTRL_PD = 1, CM_PHYS_CTRL_TORQUE = 2 };
enum { CM_PHYS_GEOM_PLANE = 0, CM_PHYS_GEOM_SPHERE = 2, CM_PHYS_GEOM_CAPSULE = 3, CM_PHYS_GEOM_CYLINDER = 5, CM_PHYS_GEOM_BOX = 6 };

typedef struct cm_phys_model {
  /* sizes */
  int nq, nv, nbody, njnt, ngeom;
  int nmocap;               /* bodies welded to the world at a per-env pose (fix_root) */
  int npair;                /* candidate geom pairs (pair_geom1/2) */
  int ncon_max;             /* contacts kept per env: the pairs' maxima summed, at most CM_PHYS_MAX_CON */
  int nefc_max;             /* most constraint rows: limits + contact rows (pyramidal: 2*(condim-1)) */
  /* options (mjOption) */
  cm_preal opt_timestep;
  cm_preal opt_gravity[3];
  cm_preal opt_impratio;
  int opt_iterations;       /* constraint solver iterations */
  cm_preal opt_tolerance;
  int opt_disable_contact;  /* mjDSBL_CONTACT */
  int opt_disable_limit;    /* mjDSBL_LIMIT */
  /* bodies (nbody); body 0 is the world */
  int body_parentid[CM_PHYS_MAX_BODY];
  int body_rootid[CM_PHYS_MAX_BODY];
  int body_depth[CM_PHYS_MAX_BODY];    /* levels below the world (its children: 1) */
  int tree_depth;                      /* the deepest body's level */
  int body_mocapid[CM_PHYS_MAX_BODY];   /* -1 unless welded at a per-env pose */
  int body_jntnum[CM_PHYS_MAX_BODY], body_jntadr[CM_PHYS_MAX_BODY];
  int body_dofnum[CM_PHYS_MAX_BODY], body_dofadr[CM_PHYS_MAX_BODY];
  cm_preal body_pos[CM_PHYS_MAX_BODY][3], body_quat[CM_PHYS_MAX_BODY][4];
  cm_preal body_ipos[CM_PHYS_MAX_BODY][3], body_iquat[CM_PHYS_MAX_BODY][4];
  cm_preal body_mass[CM_PHYS_MAX_BODY], body_inertia[CM_PHYS_MAX_BODY][3];
  cm_preal body_subtreemass[CM_PHYS_MAX_BODY];   /* the body and its descendants (mjModel's) */
  cm_preal body_invweight0[CM_PHYS_MAX_BODY][2];  /* translational, rotational (constraint diagApprox) */
  /* joints (njnt): free and hinge */
  int jnt_type[CM_PHYS_MAX_JNT], jnt_qposadr[CM_PHYS_MAX_JNT], jnt_dofadr[CM_PHYS_MAX_JNT];
  int jnt_bodyid[CM_PHYS_MAX_JNT], jnt_limited[CM_PHYS_MAX_JNT];
  cm_preal jnt_pos[CM_PHYS_MAX_JNT][3], jnt_axis[CM_PHYS_MAX_JNT][3];
  cm_preal jnt_range[CM_PHYS_MAX_JNT][2], jnt_margin[CM_PHYS_MAX_JNT];
  cm_preal jnt_solref[CM_PHYS_MAX_JNT][2], jnt_solimp[CM_PHYS_MAX_JNT][5];
  cm_preal qpos0[CM_PHYS_MAX_QPOS];
  /* dofs (nv) */
  int dof_bodyid[CM_PHYS_MAX_DOF], dof_jntid[CM_PHYS_MAX_DOF], dof_parentid[CM_PHYS_MAX_DOF];
  /* the dof tree's levels (a root dof: 0) and each dof's last descendant (dofs come depth
   * first, as MuJoCo orders them: the descendants of v are v+1 .. dof_last[v]) */
  int dof_depth[CM_PHYS_MAX_DOF], dof_last[CM_PHYS_MAX_DOF], dof_depth_max;
  cm_preal dof_armature[CM_PHYS_MAX_DOF];
  cm_preal dof_damping[CM_PHYS_MAX_DOF];   /* passive damping, integrated implicitly (PD kd lives here) */
  cm_preal dof_invweight0[CM_PHYS_MAX_DOF];
  /* geoms (ngeom) */
  int geom_type[CM_PHYS_MAX_GEOM], geom_bodyid[CM_PHYS_MAX_GEOM];
  int geom_contype[CM_PHYS_MAX_GEOM], geom_conaffinity[CM_PHYS_MAX_GEOM], geom_condim[CM_PHYS_MAX_GEOM];
  int geom_priority[CM_PHYS_MAX_GEOM];
  cm_preal geom_size[CM_PHYS_MAX_GEOM][3], geom_pos[CM_PHYS_MAX_GEOM][3], geom_quat[CM_PHYS_MAX_GEOM][4];
  cm_preal geom_friction[CM_PHYS_MAX_GEOM][3], geom_solref[CM_PHYS_MAX_GEOM][2], geom_solimp[CM_PHYS_MAX_GEOM][5];
  cm_preal geom_solmix[CM_PHYS_MAX_GEOM], geom_margin[CM_PHYS_MAX_GEOM], geom_gap[CM_PHYS_MAX_GEOM];
  cm_preal geom_rbound[CM_PHYS_MAX_GEOM];  /* bounding-sphere radius (0: plane), the broad phase */
  /* candidate pairs, as MuJoCo's filter leaves them (contype/conaffinity, welded bodies, parent
   * and child, <exclude>), ordered as mj_collision orders them (geom1 of the lower type) */
  int pair_geom1[CM_PHYS_MAX_PAIR], pair_geom2[CM_PHYS_MAX_PAIR];
  /* their contact parameters, mixed from the two geoms' as mj_collideGeoms mixes them */
  int pair_condim[CM_PHYS_MAX_PAIR];
  cm_preal pair_friction[CM_PHYS_MAX_PAIR][5], pair_solref[CM_PHYS_MAX_PAIR][2], pair_solimp[CM_PHYS_MAX_PAIR][5];
  cm_preal pair_margin[CM_PHYS_MAX_PAIR], pair_includemargin[CM_PHYS_MAX_PAIR];
  /* the engine's PD position control per dof (not MuJoCo actuators): tau = clamp(kp (target - q)
   * - kd qdot, +-torque_limit); kd also sits in dof_damping when damping is implicit */
  int ctrl_mode;            /* CM_PHYS_CTRL_*: what dof_target holds */
  int ctrl_implicit_damping;/* kd is in dof_damping (integrated implicitly by the Euler step) */
  int dof_actuated[CM_PHYS_MAX_DOF];
  cm_preal dof_kp[CM_PHYS_MAX_DOF], dof_kd[CM_PHYS_MAX_DOF], dof_torque_limit[CM_PHYS_MAX_DOF];
} cm_phys_model;

struct mjModel_;
struct cm_err;
#ifdef CM_PHYS_DOUBLE /* the double build of the same code has its own symbols (phys_model_f64.c) */
#define cm_phys_model_compile cm_phys_model_compile_f64
#endif
/* Packs m (compiled from `file`, named in errors). Refuses what the engine does not simulate:
 * ball and slide joints, equality constraints, tendons, actuators other than the ignored motors,
 * colliding mesh/ellipsoid/hfield geoms, frictionloss, elliptic cones, MPR settings other than
 * MuJoCo's defaults, sizes past the capacities above. PD gains come from the caller (cm_phys_model_set_pd). */
int cm_phys_model_compile(const struct mjModel_ *m, const char *file, cm_phys_model *out, struct cm_err *err);
#endif
