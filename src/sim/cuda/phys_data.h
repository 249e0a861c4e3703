/* Per-environment data of the cuda engine, in mjData's names, in two families:
 *   CM_PHYS_STATE_ARRAYS  what must persist between steps (qpos, qvel, the solver's warm start
 *                         qacc, mocap pose, targets, applied forces, the reset counter);
 *   CM_PHYS_WORK_ARRAYS   everything the stages recompute from the state (poses, qM, contacts,
 *                         constraint rows, forces, solver scratch).
 * The batched block holds the state field-major (field f of env i at off[f] + i * size[f]
 * elements: the state of N envs is a few contiguous slabs, cheap to upload, download and
 * compare) followed by the work env-major (env i's work at work_off + i * work_stride, fields
 * at their off[f] inside it). cm_phys_data_at views env i in the block; cm_phys_data_at_work
 * puts its work in a buffer of the caller's (e.g. a GPU kernel's local or shared memory: the
 * work of a step never needs to outlive it, except for readers that want it, like tests).
 * Sizes and offsets count cm_preal slots: an int or cm_preal element takes one (an int uses the
 * first half of its slot when cm_preal is double), a double cm_preal_m element two in the float
 * build (-DCM_PHYS_M_DOUBLE), and then every work field starts on a double boundary. All of
 * this is CM_HD and plain data. */
#ifndef CM_PHYS_DATA_H
#define CM_PHYS_DATA_H
#include <math.h>
#include <stddef.h>
#include "core/hd.h"
#include "sim/cuda/phys_model.h"
#include "sim/cuda/phys_solver.h"

/* X(type, name, elements per env) ; m is the cm_phys_model */
#define CM_PHYS_STATE_ARRAYS(X, m) \
  X(cm_preal, qpos, (m)->nq) X(cm_preal, qvel, (m)->nv) \
  X(cm_preal, qacc, (m)->nv) /* the last acceleration: the constraint solver's warm start */ \
  X(cm_preal, mocap_pos, 3 * (m)->nmocap) X(cm_preal, mocap_quat, 4 * (m)->nmocap) \
  /* inputs: PD targets (hinge angles per dof) and applied generalised forces */ \
  X(cm_preal, dof_target, (m)->nv) X(cm_preal, qfrc_applied, (m)->nv) \
  /* how many times the env was reset after going non-finite */ \
  X(int, nbad, 1)

#define CM_PHYS_WORK_ARRAYS(X, m) \
  /* computed by cm_phys_kinematics */ \
  X(cm_preal, xpos, 3 * (m)->nbody) X(cm_preal, xquat, 4 * (m)->nbody) X(cm_preal, xmat, 9 * (m)->nbody) \
  X(cm_preal, xipos, 3 * (m)->nbody) X(cm_preal, ximat, 9 * (m)->nbody) \
  X(cm_preal, xanchor, 3 * (m)->njnt) X(cm_preal, xaxis, 3 * (m)->njnt) \
  X(cm_preal, geom_xpos, 3 * (m)->ngeom) X(cm_preal, geom_xmat, 9 * (m)->ngeom) \
  /* computed by cm_phys_com_pos */ \
  X(cm_preal, subtree_com, 3 * (m)->nbody) X(cm_preal, cinert, 10 * (m)->nbody) X(cm_preal, cdof, 6 * (m)->nv) \
  /* the same two in a wider mass-matrix scalar (cinert and cdof are their roundings), for \
   * cm_phys_crb; empty when that scalar is cm_preal (cm_phys_cinert_m/cdof_m then view cinert/cdof) */ \
  X(cm_preal_m, cinert_m, CM_PHYS_M_SEP * 10 * (m)->nbody) X(cm_preal_m, cdof_m, CM_PHYS_M_SEP * 6 * (m)->nv) \
  /* computed by cm_phys_crb and cm_phys_factor_m (dense nv x nv, tree-sparse entries used) */ \
  X(cm_preal_m, crb, 10 * (m)->nbody) X(cm_preal, qM, (m)->nv * (m)->nv) X(cm_preal, qLD, (m)->nv * (m)->nv) \
  /* computed by cm_phys_collide and cm_phys_make_constraint */ \
  X(int, ncon, 1) X(int, nefc, 1) X(int, ncon_dropped, 1) \
  X(cm_preal, contact_pos, 3 * (m)->ncon_max) X(cm_preal, contact_frame, 9 * (m)->ncon_max) \
  X(cm_preal, contact_dist, (m)->ncon_max) X(int, contact_pair, (m)->ncon_max) \
  X(int, contact_geom1, (m)->ncon_max) X(int, contact_geom2, (m)->ncon_max) \
  X(cm_preal, efc_J, (m)->nefc_max * (m)->nv) X(cm_preal, efc_R, (m)->nefc_max) X(cm_preal, efc_aref, (m)->nefc_max) \
  /* computed by cm_phys_com_vel, cm_phys_passive, cm_phys_rne */ \
  X(cm_preal, cvel, 6 * (m)->nbody) X(cm_preal, cdof_dot, 6 * (m)->nv) \
  X(cm_preal, qfrc_passive, (m)->nv) X(cm_preal, qfrc_bias, (m)->nv) \
  X(cm_preal, cacc, 6 * (m)->nbody) X(cm_preal, cfrc_body, 6 * (m)->nbody) \
  /* computed by cm_phys_control, cm_phys_fwd_acceleration, cm_phys_fwd_constraint */ \
  X(cm_preal, qfrc_actuator, (m)->nv) X(cm_preal, qfrc_smooth, (m)->nv) X(cm_preal, qacc_smooth, (m)->nv) \
  X(cm_preal, efc_force, (m)->nefc_max) X(cm_preal, qfrc_constraint, (m)->nv) \
  /* solver scratch */ \
  X(cm_preal, efc_scratch, CM_PHYS_SOLVER_SCRATCH(m)) X(int, efc_active, CM_PHYS_LR_KMAX(m))

#define CM_PHYS_DATA_ARRAYS(X, m) CM_PHYS_STATE_ARRAYS(X, m) CM_PHYS_WORK_ARRAYS(X, m)

/* cm_preal slots per element of type t, and the alignment (in slots) of every work field: that
 * of cm_preal_m (1 unless the mass-matrix path is double in a float build) */
#define CM_PHYS_SLOTS(t) ((long)((sizeof(t) + sizeof(cm_preal) - 1) / sizeof(cm_preal)))
#define CM_PHYS_ALIGN CM_PHYS_SLOTS(cm_preal_m)
#define CM_PHYS_ALIGN_UP(x) (((x) + CM_PHYS_ALIGN - 1) / CM_PHYS_ALIGN * CM_PHYS_ALIGN)

/* The low-rank Newton solver (cm_solve_newton_lowrank) takes problems of up to CM_PHYS_LR_ROWS
 * rows of which up to CM_PHYS_LR_KMAX are active; past that the dense one solves. The caps
 * keep a humanoid's work inside the GPU kernel's 20480-slot frame class (phys_gpu.cu): 64 rows
 * are 16 contacts; a standing or walking humanoid has 2-4 contacts, 3-4 active rows. */
#define CM_PHYS_LR_ROWS(m) ((m)->nefc_max < 64 ? (m)->nefc_max : 64)
#define CM_PHYS_LR_KMAX(m) ((m)->nefc_max < 24 ? (m)->nefc_max : 24)
#define CM_PHYS_SCRATCH_MAX(a, b) ((a) > (b) ? (a) : (b))
/* scratch of the constraint stages per env: the dense Newton solver's workspace
 * (phys_solver.h) or the low-rank one's after its W rows, or two 3 x nv point Jacobians while
 * the rows are built */
#define CM_PHYS_SOLVER_SCRATCH(m)                                                                       \
  CM_PHYS_SCRATCH_MAX(CM_SOLVE_NEWTON_WORK((m)->nv, (m)->nefc_max) + 6 * (m)->nv,                      \
                      CM_PHYS_LR_ROWS(m) * (m)->nv +                                                    \
                          CM_SOLVE_NEWTON_LR_WORK((m)->nv, CM_PHYS_LR_ROWS(m), CM_PHYS_LR_KMAX(m)))

enum {
#define CM_PHYS_X_ENUM(t, n, s) CM_PHYS_F_##n,
  CM_PHYS_STATE_ARRAYS(CM_PHYS_X_ENUM, _)
  CM_PHYS_NSTATE,
  CM_PHYS_WORK_BEFORE_FIRST = CM_PHYS_NSTATE - 1,
  CM_PHYS_WORK_ARRAYS(CM_PHYS_X_ENUM, _)
#undef CM_PHYS_X_ENUM
  CM_PHYS_NFIELD
};

/* One env's view: pointers to its slice of every array. */
typedef struct cm_phys_data {
#define CM_PHYS_X_PTR(t, n, s) t *n;
  CM_PHYS_DATA_ARRAYS(CM_PHYS_X_PTR, _)
#undef CM_PHYS_X_PTR
} cm_phys_data;

/* cinert and cdof in the mass-matrix scalar: their own arrays, or cinert/cdof themselves */
CM_HD static inline cm_preal_m *cm_phys_cinert_m(const cm_phys_data *d) {
  return CM_PHYS_M_SEP ? d->cinert_m : (cm_preal_m *)(void *)d->cinert;
}
CM_HD static inline cm_preal_m *cm_phys_cdof_m(const cm_phys_data *d) {
  return CM_PHYS_M_SEP ? d->cdof_m : (cm_preal_m *)(void *)d->cdof;
}

/* The batched block's layout for N envs; plain data (copied to the GPU as is). */
typedef struct cm_phys_layout {
  int num_envs;
  long size[CM_PHYS_NFIELD];   /* cm_preal slots per env */
  long off[CM_PHYS_NFIELD];    /* state: offset of the field's [N][size] slab in the block;
                                  work: offset inside one env's work */
  long state_total;            /* elements of the state family (all envs) */
  long work_off, work_stride;  /* where the work family starts; elements of one env's work */
  long total;                  /* elements in the block (each sizeof(cm_preal) bytes) */
} cm_phys_layout;

CM_HD static inline void cm_phys_layout_make(const cm_phys_model *m, int num_envs, cm_phys_layout *L) {
  long off = 0;
  int f = 0;
  L->num_envs = num_envs;
#define CM_PHYS_X_STATE(t, n, s) L->size[f] = (long)(s) * CM_PHYS_SLOTS(t); L->off[f] = off; off += L->size[f] * num_envs; f++;
  CM_PHYS_STATE_ARRAYS(CM_PHYS_X_STATE, m)
#undef CM_PHYS_X_STATE
  L->state_total = off;
  L->work_off = CM_PHYS_ALIGN_UP(off);
  long w = 0;
#define CM_PHYS_X_WORK(t, n, s) \
  L->size[f] = (long)(s) * CM_PHYS_SLOTS(t); L->off[f] = w; w = CM_PHYS_ALIGN_UP(w + L->size[f]); f++;
  CM_PHYS_WORK_ARRAYS(CM_PHYS_X_WORK, m)
#undef CM_PHYS_X_WORK
  L->work_stride = w;
  L->total = L->work_off + w * num_envs;
}

/* The view of env i with its state in the block (base: cm_preal slots) and its work in work
 * (L->work_stride slots, aligned for cm_preal_m like base). */
CM_HD static inline void cm_phys_data_at_work(const cm_phys_layout *L, void *base, int i, void *work, cm_phys_data *d) {
  cm_preal *b = (cm_preal *)base, *w = (cm_preal *)work;
  int f = 0;
#define CM_PHYS_X_SVIEW(t, n, s) d->n = (t *)(b + L->off[f] + (long)i * L->size[f]); f++;
  CM_PHYS_STATE_ARRAYS(CM_PHYS_X_SVIEW, _)
#undef CM_PHYS_X_SVIEW
#define CM_PHYS_X_WVIEW(t, n, s) d->n = (t *)(w + L->off[f]); f++;
  CM_PHYS_WORK_ARRAYS(CM_PHYS_X_WVIEW, _)
#undef CM_PHYS_X_WVIEW
}

/* The view of env i wholly in the block laid out by L. */
CM_HD static inline void cm_phys_data_at(const cm_phys_layout *L, void *base, int i, cm_phys_data *d) {
  cm_phys_data_at_work(L, base, i, (cm_preal *)base + L->work_off + (long)i * L->work_stride, d);
}

/* Field name by index in list order, for messages ("qacc env 17 dof 4 ..."). */
static inline const char *cm_phys_field_name(int f) {
  static const char *const k_names[CM_PHYS_NFIELD] = {
#define CM_PHYS_X_NAME(t, n, s) #n,
      CM_PHYS_DATA_ARRAYS(CM_PHYS_X_NAME, _)
#undef CM_PHYS_X_NAME
  };
  return f >= 0 && f < CM_PHYS_NFIELD ? k_names[f] : "?";
}
/* ---- comparing two blocks field by field (host code: a kernel check names the first field
 * that diverges, e.g. "qacc env 17 [4]: 1.2e-3 vs 9.8e-1") ---- */

/* element kinds, by field: 0 cm_preal, 1 int, 2 cm_preal_m */
#define CM_PHYS_KIND_int 1
#define CM_PHYS_KIND_cm_preal 0
#define CM_PHYS_KIND_cm_preal_m 2
static inline int cm_phys_field_kind(int f) {
  static const int k_kind[CM_PHYS_NFIELD] = {
#define CM_PHYS_X_KIND(t, n, s) CM_PHYS_KIND_##t,
      CM_PHYS_DATA_ARRAYS(CM_PHYS_X_KIND, _)
#undef CM_PHYS_X_KIND
  };
  return k_kind[f];
}

/* Elements of field f that carry meaning in env view d: all of them, except the capacity
 * arrays of contacts and constraint rows (their first ncon / nefc entries) and the solver's
 * scratch (none). */
static inline long cm_phys_field_used(const cm_phys_layout *L, int f, const cm_phys_data *d, int nv) {
  long n = L->size[f] / (cm_phys_field_kind(f) == 2 ? CM_PHYS_SLOTS(cm_preal_m) : 1);
  switch (f) {
    case CM_PHYS_F_contact_pos: return 3L * d->ncon[0];
    case CM_PHYS_F_contact_frame: return 9L * d->ncon[0];
    case CM_PHYS_F_contact_dist: case CM_PHYS_F_contact_pair: case CM_PHYS_F_contact_geom1: case CM_PHYS_F_contact_geom2:
      return d->ncon[0];
    case CM_PHYS_F_efc_J: return (long)d->nefc[0] * nv;
    case CM_PHYS_F_efc_R: case CM_PHYS_F_efc_aref: case CM_PHYS_F_efc_force: return d->nefc[0];
    case CM_PHYS_F_efc_scratch: case CM_PHYS_F_efc_active: return 0;
    default: return n;
  }
}

typedef struct cm_phys_diff {
  int field, env;
  long index;     /* element within the env's field */
  double a, b;
} cm_phys_diff;

/* The first element (in field order, then env, then index) where blocks a and b of layout L
 * differ by more than atol + rtol * max(|a|, |b|); int fields must be equal, and so must the
 * counts ncon/nefc before the arrays they size are compared. with_work: also the work family
 * (both blocks forwarded by the same stages). Returns 1 and fills out at a difference, else 0. */
static inline int cm_phys_block_diff(const cm_phys_layout *L, const cm_phys_model *m, void *a, void *b, double atol,
                                     double rtol, int with_work, cm_phys_diff *out) {
  int nf = with_work ? CM_PHYS_NFIELD : CM_PHYS_NSTATE;
  for (int f = 0; f < nf; f++)
    for (int i = 0; i < L->num_envs; i++) {
      cm_phys_data da, db;
      cm_phys_data_at(L, a, i, &da);
      cm_phys_data_at(L, b, i, &db);
      long n = cm_phys_field_used(L, f, &da, m->nv);
      if (cm_phys_field_used(L, f, &db, m->nv) != n) {
        *out = (cm_phys_diff){f, i, -1, (double)n, (double)cm_phys_field_used(L, f, &db, m->nv)};
        return 1;
      }
      const cm_preal *pa = (const cm_preal *)a + (f < CM_PHYS_NSTATE ? L->off[f] + (long)i * L->size[f]
                                                                     : L->work_off + (long)i * L->work_stride + L->off[f]);
      const cm_preal *pb = (const cm_preal *)b + (pa - (const cm_preal *)a);
      for (long k = 0; k < n; k++) {
        double x, y;
        int kind = cm_phys_field_kind(f);
        if (kind == 1) { x = ((const int *)pa)[k]; y = ((const int *)pb)[k]; }
        else if (kind == 2) { x = ((const cm_preal_m *)pa)[k]; y = ((const cm_preal_m *)pb)[k]; }
        else { x = pa[k]; y = pb[k]; }
        double tol = kind == 1 ? 0 : atol + rtol * fmax(fabs(x), fabs(y));
        if (!(fabs(x - y) <= tol)) {
          *out = (cm_phys_diff){f, i, k, x, y};
          return 1;
        }
      }
    }
  return 0;
}
#endif
