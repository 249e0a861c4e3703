/* The "cuda" engine: our own articulated-body physics (src/sim/cuda/phys_*.h) compiled from
 * the mjModel of the character file, behind the cm_engine interface with the mujoco engine's
 * batched state and conventions. Every per-env computation is a CM_HD function; this file's
 * driver runs them over the CPU thread pool (--devices cpu). A GPU driver runs the same
 * functions as a kernel over the same batched block (see the seam below). */
#ifndef CM_CUDA_ENGINE_H
#define CM_CUDA_ENGINE_H
#include <mujoco/mujoco.h>
#include "sim/cuda/phys_state.h"
#include "sim/engine.h"

#ifdef CM_PHYS_DOUBLE /* the same engine in double, for tests (cuda_engine_f64.c): every
                         * function declared in this header needs a line here */
#define cm_cuda_engine_create cm_cuda_engine_create_f64
#define cm_cuda_engine_parts_get cm_cuda_engine_parts_get_f64
#define cm_cuda_engine_env cm_cuda_engine_env_f64
#define cm_cuda_engine_mj_model cm_cuda_engine_mj_model_f64
#define cm_cuda_engine_pose_mj cm_cuda_engine_pose_mj_f64
#define cm_cuda_engine_num_resets cm_cuda_engine_num_resets_f64
#define cm_cuda_engine_gpu cm_cuda_engine_gpu_f64
#endif

int cm_cuda_engine_create(const cm_engine_cfg *cfg, const cm_engine_opts *opts, const char *char_file,
                          const cm_char *chr, int num_envs, cm_engine **out, cm_err *err);

/* ---- the seam for a kernel driver and for tests (e must be a "cuda" engine) ----
 * The physics of env i is cm_phys_step_env(model, &view_i, substeps) on the view
 * cm_phys_data_at(layout, block, i, &view_i); its batched state is moved by
 * cm_phys_set_targets (command row i -> dof_target), cm_phys_state_unpack (view -> e->st) and
 * cm_phys_state_pack (e->st -> view, then cm_phys_forward). All four are CM_HD. Only the state
 * family of the block (layout->state_total elements at its start) persists between calls; a
 * kernel may keep each env's work in its own memory (cm_phys_data_at_work). */
typedef struct cm_cuda_engine_parts {
  const cm_phys_model *model;
  const cm_phys_bridge *bridge;
  const cm_phys_layout *layout;
  cm_preal *block;       /* host block of layout->total cm_preal elements */
  const float *cmd;      /* [N][D]: the last set_targets */
  int substeps;
} cm_cuda_engine_parts;
void cm_cuda_engine_parts_get(cm_engine *e, cm_cuda_engine_parts *out);
/* env i's view into the host block */
void cm_cuda_engine_env(cm_engine *e, int i, cm_phys_data *d);
/* The mjModel the physics was compiled from (scene included): renderers pose an mjData of it
 * with cm_cuda_engine_pose_mj. */
const mjModel *cm_cuda_engine_mj_model(const cm_engine *e);
void cm_cuda_engine_pose_mj(cm_engine *e, int env, mjData *d);
/* The kernel driver when the engine runs on a GPU (--devices cuda:N), else NULL (phys_gpu.h:
 * launch shape and timings, for benchmarks). */
struct cm_phys_gpu *cm_cuda_engine_gpu(cm_engine *e);
/* Envs reset after going non-finite since creation, summed over envs. */
long cm_cuda_engine_num_resets(cm_engine *e);
#endif
