/* Case discovery: every args/<case>.txt (or the --cases subset) with what the harness needs to know
 * about it, written to case_manifest.tsv. */
#ifndef CM_HARNESS_CASES_H
#define CM_HARNESS_CASES_H
#include "core/err.h"

typedef struct cm_case {
  char name[256];          /* file name, e.g. deepmimic_humanoid_ppo_args.txt */
  char path[768];          /* args/<name> */
  char method[32];         /* file-name prefix: add, amp, ase, deepmimic, vault, dof, view, ... */
  char character[64];      /* char_file of the env yaml without folder and extension */
  int trainable;           /* 0 for dof_test_* / view_motion_* and cases without an agent */
  int pi_plus, amp_pi_plus;
  char env_config[512], agent_config[512], engine_config[512];
  long num_envs;           /* from the arg file; 0 when absent */
  long steps_per_iter;     /* from the agent yaml; 32 when absent */
  char variant[32];        /* "hiutil" when a pi-plus case has <agent>_hiutil.yaml, else "base" */
  char variant_agent[512]; /* the agent yaml that variant uses */
} cm_case;

typedef struct cm_case_list {
  cm_case *items;
  int n;
} cm_case_list;

/* Discovers args_dir/<case>.txt, sorted by name; with only (comma list of file names or paths) just
 * those, in the order given. Non-trainable cases are dropped unless include_nontrainable.
 * all receives every discovered case (the manifest's inventory), sel the selected ones. */
int cm_cases_discover(const char *args_dir, const char *only, int include_nontrainable, cm_case_list *all,
                      cm_case_list *sel, cm_err *err);
/* case_manifest.tsv: case, method, character, trainable, selected, num_envs, env_config,
 * agent_config, engine_config (atomic write). */
int cm_cases_write_manifest(const cm_case_list *all, const cm_case_list *sel, const char *path, cm_err *err);
void cm_cases_free(cm_case_list *l);
#endif
