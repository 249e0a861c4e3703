/* Presets (app/preset.h) and batch_size: auto, against independent expectations: the table of
 * docs/PRESETS.md (what a user reads) against what each shipped preset resolves to over
 * MimicKit's humanoid agent yaml; the precedence command line > preset > arg file; the overlay's
 * merge rules; the auto rule's worked examples and its definition checked by brute force; one
 * clear line for bad names, bad values and typos inside a preset. Runs from the source root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/preset.h"
#include "check.h"
#include "core/fileio.h"
#include "learn/agent.h"
#include "learn/mlp.h"

#define BASE_AGENT "data/agents/deepmimic_humanoid_ppo_agent.yaml"

static char tmpdir[256];

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
  fputs(text, f);
  fclose(f);
}

/* ---- batch_size: auto ---- */

static void test_auto_rule(void) {
  /* the worked examples of docs/PRESETS.md and exp_buffer.h */
  CHECK(cm_auto_batch_size(32, 4096) == 4);   /* MimicKit's humanoid mini-batch: 4 x 4096 */
  CHECK(cm_auto_batch_size(32, 64) == 32);    /* the whole batch fits */
  CHECK(cm_auto_batch_size(30, 1000) == 15);  /* 30 x 1000 too big, 15 x 1000 = 15000 fits */
  CHECK(cm_auto_batch_size(32, 16384) == 1);  /* exactly the cap */
  CHECK(cm_auto_batch_size(32, 65536) == 1);  /* beyond it: one step of all envs */
  CHECK(cm_auto_batch_size(7, 3000) == 1);    /* 7 x 3000 > 16384, 7 is prime */
  CHECK(cm_auto_batch_size(16, 64) == 16);
  /* the definition, over a grid: a divisor that fits (or 1), and no larger divisor fits */
  int bad = 0;
  for (int t = 1; t <= 64; t++)
    for (int n = 1; n <= 40000; n = n * 3 / 2 + 1) {
      int b = cm_auto_batch_size(t, n);
      if (t % b || (b > 1 && (long)b * n > CM_AUTO_MINI_BATCH_SAMPLES)) bad++;
      for (int c = b + 1; c <= t; c++)
        if (t % c == 0 && (long)c * n <= CM_AUTO_MINI_BATCH_SAMPLES) bad++;
    }
  CHECK(bad == 0);
  CHECK(CM_AUTO_MINI_BATCH_SAMPLES == 4 * 4096);
}

/* batch_size: auto in an agent yaml is accepted; other words are one line naming the key */
static void test_auto_in_yaml(void) {
  cm_err err;
  cm_cfg *cfg = NULL;
  cm_agent_cfg ac;
  const cm_agent_type *type;
  CHECK_OK(cm_cfg_load(BASE_AGENT, &cfg, &err), &err);
  CHECK_OK(cm_cfg_set(cfg, "batch_size", "auto", "test", &err), &err);
  CHECK_OK(cm_agent_cfg_load(cfg, &ac, &type, &err), &err);
  CHECK(ac.batch_size == CM_BATCH_AUTO);
  CHECK_OK(cm_cfg_set(cfg, "batch_size", "full", "test", &err), &err);
  CHECK(cm_agent_cfg_load(cfg, &ac, &type, &err) == -1);
  CHECK(strstr(err.msg, "batch_size") && strstr(err.msg, "auto") && !strchr(err.msg, '\n'));
  CHECK_OK(cm_cfg_set(cfg, "batch_size", "0", "test", &err), &err);
  CHECK(cm_agent_cfg_load(cfg, &ac, &type, &err) == -1);
  CHECK(strstr(err.msg, "must be positive") != NULL);
  cm_cfg_free(cfg);
}

/* ---- the overlay ---- */

static void test_merge(void) {
  cm_err err;
  cm_cfg *dst = NULL, *over = NULL;
  CHECK_OK(cm_cfg_parse("dst.yaml", "a: 1\nm:\n  x: 1\n  y: 2\nl: [1, 2]\n", &dst, &err), &err);
  CHECK_OK(cm_cfg_parse("over.yaml", "m:\n  y: 3\n  z: 4\nl: [5]\nskip_me: 9\nnew: hi\n", &over, &err), &err);
  const char *skip[] = {"skip_me", NULL};
  CHECK_OK(cm_cfg_merge(dst, over, skip, &err), &err);
  cm_cfg *want = NULL;
  CHECK_OK(cm_cfg_parse("want.yaml", "a: 1\nm:\n  x: 1\n  y: 3\n  z: 4\nl: [5]\nnew: hi\n", &want, &err), &err);
  CHECK(cm_cfg_equal(dst, want));
  /* merged values keep their origin, so a message about them names the overlay */
  const cm_cfg *z = cm_cfg_get(cm_cfg_get(dst, "m"), "z");
  CHECK(z && !strcmp(z->file, "over.yaml") && z->line == 3);
  cm_cfg_free(want);
  cm_cfg_free(dst);
  cm_cfg_free(over);
}

/* ---- precedence: command line > preset > arg file ---- */

static long num_envs_of(const char *argline, const char *arg_file_text, const char **preset_file) {
  static char preset_path[1200];
  cm_err err;
  cm_args a = {0};
  char buf[512], *argv[16];
  int argc = 0;
  snprintf(buf, sizeof buf, "%s", argline);
  for (char *t = strtok(buf, " "); t && argc < 16; t = strtok(NULL, " ")) argv[argc++] = t;
  long n = -1;
  cm_cfg *preset = NULL;
  CHECK_OK(cm_args_parse_argv(&a, argc, argv, &err), &err);
  if (arg_file_text) {
    char path[300];
    snprintf(path, sizeof path, "%s/case_args.txt", tmpdir);
    write_text(path, arg_file_text);
    CHECK_OK(cm_args_load_file(&a, path, &err), &err);
  }
  CHECK_OK(cm_preset_apply_args(&a, &preset, &err), &err);
  CHECK_OK(cm_args_int(&a, "num_envs", 1, &n, &err), &err);
  if (preset_file) {
    snprintf(preset_path, sizeof preset_path, "%s", preset ? preset->file : "");
    *preset_file = preset_path;
  }
  cm_cfg_free(preset);
  cm_args_free(&a);
  return n;
}

static void test_precedence(void) {
  const char *file = "--num_envs 4096\n--agent_config " BASE_AGENT "\n";
  const char *which = NULL;
  CHECK(num_envs_of("--preset fast", file, &which) == 64);            /* the preset beats the arg file */
  CHECK(!strcmp(which, "data/agents/presets/fast.yaml"));
  CHECK(num_envs_of("--preset fast --num_envs 8", file, NULL) == 8);  /* the command line beats both */
  CHECK(num_envs_of("--num_envs 8 --preset beast", file, NULL) == 8); /* wherever it stands */
  CHECK(num_envs_of("--preset heavy --preset fast", file, &which) == 64); /* the last --preset wins */
  CHECK(!strcmp(which, "data/agents/presets/fast.yaml"));
  CHECK(num_envs_of("--preset beast", NULL, NULL) == 16384);         /* no arg file */
  CHECK(num_envs_of("--num_envs 3", file, NULL) == 3);               /* no preset: as before */
  CHECK(num_envs_of("--mode train", file, NULL) == 4096);
  /* a preset named in the arg file still beats the file's --num_envs */
  CHECK(num_envs_of("--mode train", "--num_envs 4096\n--preset heavy\n", NULL) == 4096);
  CHECK(num_envs_of("--mode train", "--num_envs 12\n--preset fast\n", NULL) == 64);
}

/* ---- the shipped presets against docs/PRESETS.md ---- */

typedef struct row {
  char key[64];
  char val[3][64]; /* fast, heavy, beast */
} row;

/* The rows "| `key` | v | v | v |" of the first table after the line naming the presets. */
static int read_doc_table(row *rows, int max) {
  char *text = NULL;
  size_t len;
  cm_err err;
  if (cm_read_file("docs/PRESETS.md", &text, &len, &err)) return -1;
  char *start = strstr(text, "| key | fast | heavy | beast |");
  int n = 0;
  for (char *line = start ? strtok(start, "\n") : NULL; line && n < max; line = strtok(NULL, "\n")) {
    if (line[0] != '|') {
      if (n) break;
      continue;
    }
    char *cell[5];
    int k = 0;
    char *save = NULL;
    for (char *c = strtok_r(line + 1, "|", &save); c && k < 5; c = strtok_r(NULL, "|", &save)) {
      while (*c == ' ') c++;
      size_t l = strlen(c);
      while (l && c[l - 1] == ' ') c[--l] = 0;
      cell[k++] = c;
    }
    if (k != 4 || cell[0][0] != '`') continue; /* header and separator rows */
    snprintf(rows[n].key, sizeof rows[n].key, "%.*s", (int)strlen(cell[0]) - 2, cell[0] + 1);
    for (int p = 0; p < 3; p++) snprintf(rows[n].val[p], sizeof rows[n].val[p], "%s", cell[1 + p]);
    n++;
  }
  free(text);
  return n;
}

/* The agent key's value as text in a resolved agent cfg ("model.actor_net": dotted). */
static const char *agent_value(const cm_cfg *cfg, const char *key) {
  char k[64];
  snprintf(k, sizeof k, "%s", key);
  char *dot = strchr(k, '.');
  if (dot) {
    *dot = 0;
    cfg = cm_cfg_get(cfg, k);
    key = key + (dot - k) + 1;
  }
  const cm_cfg *n = cm_cfg_get(cfg, key);
  return n && n->kind == CM_CFG_SCALAR ? n->str : NULL;
}

static void test_presets_as_documented(void) {
  static const char *names[3] = {"fast", "heavy", "beast"};
  row rows[16];
  int nrows = read_doc_table(rows, 16);
  CHECK(nrows >= 6);
  cm_err err;
  cm_cfg *base = NULL;
  CHECK_OK(cm_cfg_load(BASE_AGENT, &base, &err), &err);
  for (int p = 0; p < 3; p++) {
    char line[64];
    snprintf(line, sizeof line, "--preset %s", names[p]);
    long envs = num_envs_of(line, "--num_envs 4096\n", NULL);
    cm_cfg *preset = NULL, *agent = NULL;
    CHECK_OK(cm_preset_load(names[p], &preset, &err), &err);
    CHECK_OK(cm_preset_agent_cfg(BASE_AGENT, preset, &agent, &err), &err);
    cm_agent_cfg ac;
    const cm_agent_type *type;
    CHECK_OK(cm_agent_cfg_load(agent, &ac, &type, &err), &err); /* a valid agent yaml */
    for (int r = 0; r < nrows; r++) {
      const char *doc = rows[r].val[p], *key = rows[r].key;
      if (!strcmp(key, "num_envs")) {
        CHECK(envs == atol(doc));
        continue;
      }
      const char *got = agent_value(agent, key);
      if (!strcmp(doc, "–")) { /* left alone: MimicKit's value */
        const char *was = agent_value(base, key);
        CHECK(got && was && !strcmp(got, was));
        CHECK(agent_value(preset, key) == NULL);
        continue;
      }
      if (!strncmp(doc, "auto", 4)) { /* "auto (16 at 64 envs)" */
        int b = 0, at = 0;
        CHECK(got && !strcmp(got, "auto"));
        CHECK(sscanf(doc, "auto (%d at %d envs)", &b, &at) == 2);
        CHECK(at == envs);
        CHECK(cm_auto_batch_size(ac.steps_per_iter, at) == b);
        continue;
      }
      if (!got || strcmp(got, doc)) fprintf(stderr, "preset %s: %s is '%s', the docs say '%s'\n", names[p], key, got ? got : "(none)", doc);
      CHECK(got && !strcmp(got, doc));
    }
    cm_cfg_free(agent);
    cm_cfg_free(preset);
  }
  cm_cfg_free(base);
}

/* ---- the users' humanoid profiles (the seeds' saturation study) ---- */

static void test_profiles(void) {
  cm_err err;
  cm_cfg *thr = NULL, *hi = NULL, *base = NULL;
  CHECK_OK(cm_cfg_load("data/agents/deepmimic_humanoid_ppo_agent_throughput.yaml", &thr, &err), &err);
  CHECK_OK(cm_cfg_load("data/agents/deepmimic_humanoid_ppo_agent_hiutil.yaml", &hi, &err), &err);
  CHECK_OK(cm_cfg_load(BASE_AGENT, &base, &err), &err);
  if (!thr || !hi || !base) goto done;
  CHECK(cm_cfg_equal(thr, base)); /* "throughput": the default agent, at 4096 envs per GPU */
  cm_agent_cfg ac;
  const cm_agent_type *type;
  CHECK_OK(cm_agent_cfg_load(hi, &ac, &type, &err), &err);
  CHECK(!strcmp(ac.actor_net, "fc_3layers_1024units") && !strcmp(ac.critic_net, "fc_3layers_1024units"));
  CHECK(ac.update_epochs == 40 && ac.batch_size == 2 && ac.steps_per_iter == 32);
  /* everything else as MimicKit's agent */
  const char *same[] = {"discount", "td_lambda", "ppo_clip_ratio", "norm_adv_clip", "action_bound_weight", "normalizer_samples"};
  for (int i = 0; i < 6; i++) CHECK(cm_cfg_equal(cm_cfg_get(hi, same[i]), cm_cfg_get(base, same[i])));
  /* MimicKit's fc_3layers_1024units: Linear layers of 1024, 1024, 512 */
  int sizes[8], n = 0;
  CHECK_OK(cm_net_hidden_sizes("fc_3layers_1024units", sizes, 8, &n, &err), &err);
  CHECK(n == 3 && sizes[0] == 1024 && sizes[1] == 1024 && sizes[2] == 512);
done:
  cm_cfg_free(thr);
  cm_cfg_free(hi);
  cm_cfg_free(base);
}

/* ---- bad input: one line each ---- */

static void test_bad_input(void) {
  cm_err err;
  cm_cfg *p = NULL;
  CHECK(cm_preset_load("fats", &p, &err) == -1 && p == NULL);
  CHECK(strstr(err.msg, "unknown preset 'fats'") && strstr(err.msg, "did you mean 'fast'") &&
        strstr(err.msg, "beast, fast, heavy") && !strchr(err.msg, '\n'));
  CHECK(cm_preset_load("../fast", &p, &err) == -1);
  CHECK(strstr(err.msg, "no such file") != NULL);
  CHECK(cm_preset_load("", &p, &err) == -1);
  CHECK(strstr(err.msg, "unknown preset") != NULL);
  /* a typo inside a preset names the preset's file and line */
  char path[300];
  snprintf(path, sizeof path, "%s/mine.yaml", tmpdir);
  write_text(path, "num_envs: 32\nupdate_epoch: 3\n");
  CHECK_OK(cm_preset_load(path, &p, &err), &err);
  cm_cfg *agent = NULL;
  CHECK_OK(cm_preset_agent_cfg(BASE_AGENT, p, &agent, &err), &err);
  cm_agent_cfg ac;
  const cm_agent_type *type;
  CHECK(cm_agent_cfg_load(agent, &ac, &type, &err) == -1);
  char want[400];
  snprintf(want, sizeof want, "%s:2: unknown key 'update_epoch' (did you mean 'update_epochs'?)", path);
  CHECK(strstr(err.msg, want) != NULL);
  cm_cfg_free(agent);
  cm_cfg_free(p);
  /* a bad num_envs in a preset */
  write_text(path, "num_envs: many\n");
  cm_args a = {0};
  char *argv[] = {"--preset", path};
  CHECK_OK(cm_args_parse_argv(&a, 2, argv, &err), &err);
  CHECK(cm_preset_apply_args(&a, &p, &err) == -1 && p == NULL);
  CHECK(strstr(err.msg, "num_envs") && strstr(err.msg, path));
  cm_args_free(&a);
  write_text(path, "num_envs: 0\n");
  CHECK_OK(cm_args_parse_argv(&a, 2, argv, &err), &err);
  CHECK(cm_preset_apply_args(&a, &p, &err) == -1);
  CHECK(strstr(err.msg, "at least 1") != NULL);
  cm_args_free(&a);
  remove(path);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/cmimic_test_presets_%d", (int)getpid());
  cm_err err;
  if (cm_mkdirs(tmpdir, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  test_auto_rule();
  test_auto_in_yaml();
  test_merge();
  test_precedence();
  test_presets_as_documented();
  test_profiles();
  test_bad_input();
  char path[300];
  snprintf(path, sizeof path, "%s/case_args.txt", tmpdir);
  remove(path);
  rmdir(tmpdir);
  return check_report("test_presets");
}
