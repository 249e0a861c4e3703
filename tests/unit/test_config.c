/* YAML config tree: MimicKit-shaped fixtures load with the right values and lines; wrong types,
 * typos, duplicates, missing keys and malformed YAML give the exact file:line messages; trees
 * survive write -> parse; overrides land where they should. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "io/config.h"

#define D "tests/data/io/"

/* The call failed with exactly this message. */
#define CHECK_ERR(expr, e, want) do { (e).msg[0] = 0; int _rc = (expr); CHECK(_rc == -1); \
  if (strcmp((e).msg, (want))) { check_failures++; \
    fprintf(stderr, "%s:%d: message\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, (e).msg, (want)); } \
  check_count++; } while (0)
/* The call failed with a message starting with this prefix and containing this part. */
#define CHECK_ERR_HAS(expr, e, prefix, part) do { (e).msg[0] = 0; int _rc = (expr); CHECK(_rc == -1); \
  if (strncmp((e).msg, (prefix), strlen(prefix)) || !strstr((e).msg, (part))) { check_failures++; \
    fprintf(stderr, "%s:%d: message\n  got:  %s\n  want: %s...%s\n", __FILE__, __LINE__, (e).msg, \
            (prefix), (part)); } \
  check_count++; } while (0)

static cm_cfg *load(const char *path) {
  cm_cfg *c = NULL;
  cm_err e = {{0}};
  CHECK_OK(cm_cfg_load(path, &c, &e), &e);
  return c;
}

static void test_engine(void) {
  cm_err e = {{0}};
  cm_cfg *c = load(D "engine_mujoco.yaml");
  if (!c) return;
  CHECK(c->kind == CM_CFG_MAP && c->n == 6);
  const char *s = NULL;
  CHECK_OK(cm_cfg_str(c, "engine_name", "", &s, &e), &e);
  CHECK(s && !strcmp(s, "mujoco"));
  CHECK_OK(cm_cfg_str(c, "control_mode", "", &s, &e), &e);
  CHECK(s && !strcmp(s, "pos"));
  long freq = 0, sim = 0, spacing = 0;
  CHECK_OK(cm_cfg_int(c, "control_freq", 0, &freq, &e), &e);
  CHECK_OK(cm_cfg_int(c, "sim_freq", 0, &sim, &e), &e);
  CHECK_OK(cm_cfg_int(c, "env_spacing", 0, &spacing, &e), &e);
  CHECK(freq == 30 && sim == 120 && spacing == 5);
  double h = 0, sp = 0;
  CHECK_OK(cm_cfg_float(c, "ground_contact_height", 0, &h, &e), &e);
  CHECK_NEAR(h, 0.3, 0);
  CHECK_OK(cm_cfg_float(c, "env_spacing", 0, &sp, &e), &e); /* an integer is a number */
  CHECK_NEAR(sp, 5.0, 0);
  /* absent keys give the default */
  long absent = -1;
  CHECK_OK(cm_cfg_int(c, "num_envs", 7, &absent, &e), &e);
  CHECK(absent == 7);
  CHECK(cm_cfg_get(c, "num_envs") == NULL);
  /* every node knows its line */
  const cm_cfg *v = cm_cfg_get(c, "control_freq");
  CHECK(v && v->line == 5 && v->col == 15 && !strcmp(v->file, D "engine_mujoco.yaml"));
  CHECK(c->key_lines[0] == 2 && c->key_lines[5] == 9);
  /* the full key list passes the unknown-key check */
  static const char *const known[] = {"engine_name", "control_mode", "control_freq", "sim_freq",
                                      "env_spacing", "ground_contact_height", NULL};
  CHECK_OK(cm_cfg_check_keys(c, known, &e), &e);
  CHECK_OK(cm_cfg_require(c, "engine_name", &e), &e);
  cm_cfg_free(c);
}

static void test_env(void) {
  cm_err e = {{0}};
  cm_cfg *c = load(D "env_deepmimic.yaml");
  if (!c) return;
  const char *s = NULL;
  CHECK_OK(cm_cfg_str(c, "camera_mode", "", &s, &e), &e); /* unquoted text is a string too */
  CHECK(s && !strcmp(s, "track"));
  int b1 = -1, b2 = -1, b3 = -1, b4 = -1;
  CHECK_OK(cm_cfg_bool(c, "global_obs", 0, &b1, &e), &e);
  CHECK_OK(cm_cfg_bool(c, "enable_phase_obs", 1, &b2, &e), &e);
  CHECK_OK(cm_cfg_bool(c, "rand_reset", 0, &b3, &e), &e);
  CHECK_OK(cm_cfg_bool(c, "absent_flag", 1, &b4, &e), &e);
  CHECK(b1 == 1 && b2 == 0 && b3 == 1 && b4 == 1);

  double pose[8] = {9, 9, 9, 9, 9, 9, 9, 9};
  int n = -1;
  CHECK_OK(cm_cfg_floats(c, "init_pose", pose, 8, &n, &e), &e);
  CHECK(n == 3);
  CHECK_NEAR(pose[0], 0, 0); CHECK_NEAR(pose[1], 0, 0); CHECK_NEAR(pose[2], 1.2, 0);
  CHECK_NEAR(pose[3], 9, 0); /* untouched past the count */
  CHECK_ERR(cm_cfg_floats(c, "init_pose", pose, 2, &n, &e), e,
            D "env_deepmimic.yaml:13: key 'init_pose': expected at most 2 numbers, got 3");
  double dflt[2] = {4, 5};
  n = 2;
  CHECK_OK(cm_cfg_floats(c, "absent_list", dflt, 2, &n, &e), &e);
  CHECK(n == 2 && dflt[0] == 4 && dflt[1] == 5);

  const char *bodies[4] = {0};
  CHECK_OK(cm_cfg_strs(c, "key_bodies", bodies, 4, &n, &e), &e);
  CHECK(n == 2 && !strcmp(bodies[0], "head") && !strcmp(bodies[1], "right_hand"));
  CHECK_OK(cm_cfg_strs(c, "contact_bodies", bodies, 4, &n, &e), &e); /* block style list */
  CHECK(n == 2 && !strcmp(bodies[0], "right_foot") && !strcmp(bodies[1], "left_foot"));
  const cm_cfg *cb = cm_cfg_get(c, "contact_bodies");
  CHECK(cb && cb->kind == CM_CFG_SEQ && cb->items[0]->line == 17 && cb->items[1]->line == 18);
  CHECK(c->key_lines[11] == 16 && !strcmp(c->keys[11], "contact_bodies"));

  double inf = 0, scale = 0, ep = 0, notes = -1;
  CHECK_OK(cm_cfg_float(c, "pose_termination_dist", 0, &inf, &e), &e);
  CHECK(isinf(inf) && inf > 0);
  CHECK_OK(cm_cfg_float(c, "reward_vel_scale", 0, &scale, &e), &e);
  CHECK_NEAR(scale, 0.01, 1e-18);
  CHECK_OK(cm_cfg_float(c, "episode_length", 0, &ep, &e), &e);
  CHECK_NEAR(ep, 10.0, 0);
  /* a null value counts as absent */
  CHECK(cm_cfg_is_null(cm_cfg_get(c, "notes")));
  CHECK_OK(cm_cfg_float(c, "notes", 2.5, &notes, &e), &e);
  CHECK_NEAR(notes, 2.5, 0);
  long steps = 0;
  CHECK_ERR(cm_cfg_int(c, "tar_obs_steps", 0, &steps, &e), e,
            D "env_deepmimic.yaml:9: key 'tar_obs_steps': expected an integer, got a sequence");
  CHECK_ERR(cm_cfg_require(c, "motion_file", &e), e,
            D "env_deepmimic.yaml: missing required key 'motion_file'");
  cm_cfg_free(c);
}

static void test_agent_nested(void) {
  cm_err e = {{0}};
  cm_cfg *c = load(D "agent_ppo.yaml");
  if (!c) return;
  const cm_cfg *opt = cm_cfg_get(c, "optimizer");
  CHECK(opt && opt->kind == CM_CFG_MAP && opt->line == 8);
  double lr = 0, std = 0;
  CHECK_OK(cm_cfg_float(opt, "learning_rate", 0, &lr, &e), &e);
  CHECK_NEAR(lr, 5e-5, 1e-20);
  CHECK_OK(cm_cfg_float(cm_cfg_get(c, "model"), "action_std", 0, &std, &e), &e);
  CHECK_NEAR(std, 0.05, 0);
  long bad = 0;
  CHECK_ERR(cm_cfg_int(opt, "learning_rate", 0, &bad, &e), e,
            D "agent_ppo.yaml:9: key 'learning_rate': expected an integer, got '5e-5'");
  /* a nested map names its own line */
  CHECK_ERR(cm_cfg_require(opt, "momentum", &e), e,
            D "agent_ppo.yaml:8: missing required key 'momentum'");
  /* lookups on a non-map */
  CHECK_ERR(cm_cfg_float(cm_cfg_get(c, "discount"), "x", 0, &lr, &e), e,
            D "agent_ppo.yaml:11: looking up key 'x': expected a map, got a scalar");
  CHECK(cm_cfg_get(cm_cfg_get(c, "discount"), "x") == NULL);
  cm_cfg_free(c);
}

static void test_wrong_types(void) {
  cm_err e = {{0}};
  cm_cfg *c = load(D "wrong_types.yaml");
  if (!c) return;
  long i = 0;
  double f = 0, fs[4];
  int b = 0, n = 0;
  const char *ss[4], *s;
  CHECK_ERR(cm_cfg_int(c, "control_freq", 0, &i, &e), e,
            D "wrong_types.yaml:1: key 'control_freq': expected an integer, got 'abc'");
  CHECK_ERR(cm_cfg_float(c, "control_freq", 0, &f, &e), e,
            D "wrong_types.yaml:1: key 'control_freq': expected a number, got 'abc'");
  CHECK_ERR(cm_cfg_int(c, "sim_freq", 0, &i, &e), e,
            D "wrong_types.yaml:2: key 'sim_freq': expected an integer, got '12.5'");
  CHECK_ERR(cm_cfg_float(c, "env_spacing", 0, &f, &e), e,
            D "wrong_types.yaml:3: key 'env_spacing': expected a number, got a sequence");
  CHECK_ERR(cm_cfg_bool(c, "visualize", 0, &b, &e), e,
            D "wrong_types.yaml:4: key 'visualize': expected true or false, got 'yes'");
  CHECK_ERR(cm_cfg_floats(c, "init_pose", fs, 4, &n, &e), e,
            D "wrong_types.yaml:5: key 'init_pose' item 2: expected a number, got 'oops'");
  CHECK_ERR(cm_cfg_strs(c, "key_bodies", ss, 4, &n, &e), e,
            D "wrong_types.yaml:6: key 'key_bodies' item 1: expected a string, got a sequence");
  CHECK_ERR(cm_cfg_float(c, "learning_rate", 0, &f, &e), e,
            D "wrong_types.yaml:7: key 'learning_rate': expected a number, got '5e-5e'");
  CHECK_ERR(cm_cfg_str(c, "init_pose", "", &s, &e), e,
            D "wrong_types.yaml:5: key 'init_pose': expected a string, got a sequence");
  CHECK_ERR(cm_cfg_floats(c, "control_freq", fs, 4, &n, &e), e,
            D "wrong_types.yaml:1: key 'control_freq': expected a sequence of numbers, got 'abc'");
  cm_cfg_free(c);

  /* number and boolean spellings, one scalar at a time */
  static const struct { const char *text; int ok; double v; } nums[] = {
      {"5e-5", 1, 5e-5}, {"-3", 1, -3}, {"+2.5", 1, 2.5}, {".5", 1, 0.5}, {"1.", 1, 1.0},
      {"1E3", 1, 1000}, {"0x10", 0, 0}, {"inf", 0, 0}, {"nan", 0, 0}, {"1e", 0, 0},
      {"", 0, 0}, {"-.", 0, 0}, {"1,5", 0, 0}, {"\"30\"", 1, 30}, {"1e999", 0, 0}};
  for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
    char text[64];
    snprintf(text, sizeof text, "x: %s\n", nums[k].text);
    cm_cfg *t = NULL;
    CHECK_OK(cm_cfg_parse("n.yaml", text, &t, &e), &e);
    if (!t) continue;
    double v = -99;
    int rc = cm_cfg_float(t, "x", -7, &v, &e);
    if (!*nums[k].text) CHECK(rc == 0 && v == -7); /* empty is null: the default */
    else CHECK(rc == (nums[k].ok ? 0 : -1) && (!nums[k].ok || v == nums[k].v));
    cm_cfg_free(t);
  }
  cm_cfg *t = NULL;
  CHECK_OK(cm_cfg_parse("s.yaml", "a: -.inf\nb: .NaN\nc: True\nd: 0\ne: FALSE\nf: \"true\"\n"
                        "g: 9223372036854775808\nh: -12\n", &t, &e), &e);
  if (t) {
    double a = 0, nn = 0;
    int c1 = -1, d = -1, ef = -1, fq = -1;
    long g = 0, h = 0;
    CHECK_OK(cm_cfg_float(t, "a", 0, &a, &e), &e);
    CHECK(isinf(a) && a < 0);
    CHECK_OK(cm_cfg_float(t, "b", 0, &nn, &e), &e);
    CHECK(isnan(nn));
    CHECK_OK(cm_cfg_bool(t, "c", 0, &c1, &e), &e);
    CHECK_OK(cm_cfg_bool(t, "d", 1, &d, &e), &e);
    CHECK_OK(cm_cfg_bool(t, "e", 1, &ef, &e), &e);
    CHECK_OK(cm_cfg_bool(t, "f", 0, &fq, &e), &e);
    CHECK(c1 == 1 && d == 0 && ef == 0 && fq == 1);
    CHECK_ERR(cm_cfg_int(t, "g", 0, &g, &e), e,
              "s.yaml:7: key 'g': expected an integer in range, got '9223372036854775808'");
    CHECK_OK(cm_cfg_int(t, "h", 0, &h, &e), &e);
    CHECK(h == -12);
    cm_cfg_free(t);
  }
}

static void test_keys(void) {
  cm_err e = {{0}};
  static const char *const engine_keys[] = {"engine_name", "control_mode", "control_freq",
                                            "sim_freq", "env_spacing", NULL};
  cm_cfg *c = load(D "typo_key.yaml");
  if (c) {
    CHECK_ERR(cm_cfg_check_keys(c, engine_keys, &e), e,
              D "typo_key.yaml:3: unknown key 'contol_freq' (did you mean 'control_freq'?)");
    cm_cfg_free(c);
  }
  c = load(D "unknown_key.yaml");
  if (c) { /* nothing close: no suggestion */
    CHECK_ERR(cm_cfg_check_keys(c, engine_keys, &e), e,
              D "unknown_key.yaml:4: unknown key 'gravity_direction'");
    cm_cfg_free(c);
  }
  c = load(D "missing_key.yaml");
  if (c) {
    CHECK_ERR(cm_cfg_require(c, "char_file", &e), e,
              D "missing_key.yaml: missing required key 'char_file'");
    CHECK_OK(cm_cfg_require(c, "env_name", &e), &e);
    cm_cfg_free(c);
  }
  /* edit distances against hand-counted values */
  CHECK(cm_edit_distance("kitten", "sitting") == 3);
  CHECK(cm_edit_distance("contol_freq", "control_freq") == 1);
  CHECK(cm_edit_distance("contorl_freq", "control_freq") == 1); /* swapped neighbours */
  CHECK(cm_edit_distance("", "abc") == 3 && cm_edit_distance("abc", "") == 3);
  CHECK(cm_edit_distance("same", "same") == 0);
  static const char *const names[] = {"num_envs", "num_steps", "mode", NULL};
  CHECK(cm_closest_name("num_env", names) == names[0]);
  CHECK(cm_closest_name("mdoe", names) == names[2]);
  CHECK(cm_closest_name("devices", names) == NULL);
  CHECK(cm_closest_name("x", names) == NULL);
  /* an abbreviation names the one flag it begins; one that begins two names guesses neither */
  static const char *const long_names[] = {"seconds", "char_file", "num_envs", "num_threads", NULL};
  CHECK(cm_closest_name("sec", long_names) == long_names[0]);
  CHECK(cm_closest_name("char", long_names) == long_names[1]);
  CHECK(cm_closest_name("num_", long_names) == NULL);
  CHECK(cm_closest_name("se", long_names) == NULL);
}

static void test_duplicates(void) {
  cm_err e = {{0}};
  cm_cfg *c = NULL;
  CHECK_ERR(cm_cfg_load(D "dup_key.yaml", &c, &e), e,
            D "dup_key.yaml:5: duplicate key 'control_freq' (first defined at line 2)");
  CHECK(c == NULL);
  CHECK_ERR(cm_cfg_load(D "dup_nested_key.yaml", &c, &e), e,
            D "dup_nested_key.yaml:6: duplicate key 'type' (first defined at line 4)");
  /* the same key in two different maps is fine */
  CHECK_OK(cm_cfg_parse("ok.yaml", "a:\n  type: 1\nb:\n  type: 2\n", &c, &e), &e);
  cm_cfg_free(c);
}

static void test_malformed(void) {
  cm_err e = {{0}};
  cm_cfg *c = NULL;
  /* line:col agree with PyYAML's report on the same files */
  CHECK_ERR_HAS(cm_cfg_load(D "bad_tab.yaml", &c, &e), e, D "bad_tab.yaml:3:1: YAML syntax error: ",
                "found character that cannot start any token");
  CHECK_ERR_HAS(cm_cfg_load(D "bad_indent.yaml", &c, &e), e,
                D "bad_indent.yaml:4:2: YAML syntax error: ", "did not find expected key");
  CHECK_ERR_HAS(cm_cfg_load(D "bad_quote.yaml", &c, &e), e,
                D "bad_quote.yaml:3:15: YAML syntax error: ", "did not find expected key");
  CHECK_ERR_HAS(cm_cfg_load(D "bad_bracket.yaml", &c, &e), e,
                D "bad_bracket.yaml:3:1: YAML syntax error: ",
                "did not find expected ',' or ']' (while parsing a flow sequence at line 2)");
  CHECK(c == NULL);
  /* more kinds, in memory */
  CHECK_ERR_HAS(cm_cfg_parse("m.yaml", "a: 1\nb: 'open\n", &c, &e), e, "m.yaml:3:1: YAML syntax error: ",
                "found unexpected end of stream (while scanning a quoted scalar at line 2)");
  CHECK_ERR_HAS(cm_cfg_parse("m.yaml", "a: {x: 1\n", &c, &e), e, "m.yaml:2:1: YAML syntax error: ",
                "flow mapping");
  CHECK_ERR_HAS(cm_cfg_parse("m.yaml", "a: 1\n\tb: 2\n", &c, &e), e, "m.yaml:2:1: YAML syntax error: ",
                "tab");
  CHECK_ERR_HAS(cm_cfg_parse("m.yaml", "a: 1\nb: 2\n c: 3\n", &c, &e), e,
                "m.yaml:3:3: YAML syntax error: ", "mapping values are not allowed");
  CHECK_ERR_HAS(cm_cfg_parse("m.yaml", "a: 1\nb: \xff\xfe\n", &c, &e), e,
                "m.yaml:2: YAML syntax error: ", "invalid");
  CHECK_ERR(cm_cfg_parse("m.yaml", "a: 1\n---\nb: 2\n", &c, &e), e,
            "m.yaml:2: more than one YAML document (a config file holds one)");
  CHECK_ERR(cm_cfg_parse("m.yaml", "a: &x 1\nb: *x\n", &c, &e), e,
            "m.yaml:2:4: YAML aliases (*x) are not supported");
  CHECK_ERR(cm_cfg_parse("m.yaml", "? [1, 2]\n: 3\n", &c, &e), e,
            "m.yaml:1:3: map keys must be plain scalars");
  /* hostile nesting ends in an error, not a stack overflow */
  char deep[1200];
  memset(deep, '[', 600);
  memset(deep + 600, ']', 600);
  deep[1199] = 0;
  deep[599] = '1';
  CHECK_ERR_HAS(cm_cfg_parse("deep.yaml", deep, &c, &e), e, "deep.yaml:1:", "nesting deeper than");
  CHECK(c == NULL);
  CHECK_ERR(cm_cfg_load(D "no_such_file.yaml", &c, &e), e,
            D "no_such_file.yaml: cannot open: No such file or directory");
  /* an empty file is an empty map */
  CHECK_OK(cm_cfg_parse("empty.yaml", "# only a comment\n", &c, &e), &e);
  CHECK(c && c->kind == CM_CFG_MAP && c->n == 0);
  cm_cfg_free(c);
}

static int round_trip(const cm_cfg *c) {
  cm_err e = {{0}};
  char *t1 = NULL, *t2 = NULL;
  cm_cfg *back = NULL;
  int ok = 0;
  if (cm_cfg_write(c, &t1, &e) == 0 && cm_cfg_parse("written.yaml", t1, &back, &e) == 0 &&
      cm_cfg_write(back, &t2, &e) == 0)
    ok = cm_cfg_equal(c, back) && !strcmp(t1, t2); /* same tree, and writing is a fixed point */
  if (!ok) fprintf(stderr, "round trip failed (%s):\n%s\n", e.msg, t1 ? t1 : "");
  free(t1);
  free(t2);
  cm_cfg_free(back);
  return ok;
}

static void test_write(void) {
  cm_err e = {{0}};
  const char *files[] = {D "engine_mujoco.yaml", D "env_deepmimic.yaml", D "agent_ppo.yaml",
                         D "wrong_types.yaml"};
  for (int i = 0; i < 4; i++) {
    cm_cfg *c = load(files[i]);
    if (c) CHECK(round_trip(c));
    cm_cfg_free(c);
  }
  /* awkward scalars survive: quotes, escapes, colons, commas in lists, empty containers */
  const char *text =
      "s: \"he said \\\"hi\\\"\\n\"\nt: 'it''s: #not a comment'\nq: \"30\"\nu: plain text\n"
      "l:\n  - a,b\n  - c\nm: []\nn: {}\nnested:\n  - {x: 1, y: [1, 2]}\n  - - deep\nempty: \"\"\n"
      "nul: ~\nuni: \"h\xc3\xa9llo\"\n";
  cm_cfg *c = NULL;
  CHECK_OK(cm_cfg_parse("awk.yaml", text, &c, &e), &e);
  if (c) {
    CHECK(round_trip(c));
    CHECK(!strcmp(cm_cfg_get(c, "t")->str, "it's: #not a comment"));
    CHECK(cm_cfg_get(c, "q")->quoted && !cm_cfg_get(c, "u")->quoted);
    cm_cfg_free(c);
  }
  /* the exact text for a small engine config: flow lists, quotes kept */
  CHECK_OK(cm_cfg_parse("w.yaml", "engine_name: \"mujoco\"\ncontrol_freq: 30\n"
                        "init_pose: [0, 0, 1.2]\nkey_bodies: [\"head\", right_hand]\n"
                        "model:\n  actor_net: fc\n", &c, &e), &e);
  char *out = NULL;
  if (c) CHECK_OK(cm_cfg_write(c, &out, &e), &e);
  CHECK(out && !strcmp(out, "engine_name: \"mujoco\"\ncontrol_freq: 30\ninit_pose: [0, 0, 1.2]\n"
                            "key_bodies: [\"head\", right_hand]\nmodel:\n  actor_net: fc\n"));
  if (out && strcmp(out, "engine_name: \"mujoco\"\ncontrol_freq: 30\ninit_pose: [0, 0, 1.2]\n"
                         "key_bodies: [\"head\", right_hand]\nmodel:\n  actor_net: fc\n"))
    fprintf(stderr, "written:\n%s", out);
  free(out);
  /* save (atomic) and load back */
  char dir[] = "/tmp/cm_test_config_XXXXXX";
  if (c && mkdtemp(dir)) {
    char path[256];
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    CHECK_OK(cm_cfg_save(c, path, &e), &e);
    cm_cfg *back = load(path);
    CHECK(back && cm_cfg_equal(c, back));
    cm_cfg_free(back);
    unlink(path);
    rmdir(dir);
  }
  /* clone is deep and equal */
  if (c) {
    cm_cfg *k = cm_cfg_clone(c);
    CHECK(k && cm_cfg_equal(c, k) && k->items[0] != c->items[0]);
    cm_cfg_free(k);
  }
  cm_cfg_free(c);
}

static void test_set(void) {
  cm_err e = {{0}};
  cm_cfg *c = load(D "agent_ppo.yaml");
  if (!c) return;
  const char *src = "command line";
  CHECK_OK(cm_cfg_set(c, "steps_per_iter", "64", src, &e), &e);
  long steps = 0;
  CHECK_OK(cm_cfg_int(c, "steps_per_iter", 0, &steps, &e), &e);
  CHECK(steps == 64);
  CHECK(!strcmp(c->keys[4], "steps_per_iter") && c->n == 5); /* replaced in place */
  CHECK(!strcmp(cm_cfg_get(c, "steps_per_iter")->file, "command line"));
  CHECK_OK(cm_cfg_override(c, "optimizer.learning_rate=1e-4", src, &e), &e);
  double lr = 0;
  CHECK_OK(cm_cfg_float(cm_cfg_get(c, "optimizer"), "learning_rate", 0, &lr, &e), &e);
  CHECK_NEAR(lr, 1e-4, 1e-20);
  const cm_cfg *opt = cm_cfg_get(c, "optimizer");
  CHECK(opt->n == 2 && !strcmp(cm_cfg_get(opt, "type")->str, "SGD")); /* siblings kept */
  /* new nested keys create their maps; values are YAML */
  CHECK_OK(cm_cfg_set(c, "model.critic.sizes", "[1024, 512]", src, &e), &e);
  double sizes[4];
  int n = 0;
  CHECK_OK(cm_cfg_floats(cm_cfg_get(cm_cfg_get(c, "model"), "critic"), "sizes", sizes, 4, &n, &e),
           &e);
  CHECK(n == 2 && sizes[0] == 1024 && sizes[1] == 512);
  CHECK_OK(cm_cfg_set(c, "discount", "", src, &e), &e); /* blank: null, so the default applies */
  double disc = 0;
  CHECK_OK(cm_cfg_float(c, "discount", 0.5, &disc, &e), &e);
  CHECK_NEAR(disc, 0.5, 0);
  /* a wrong type set from the command line is reported against the command line */
  CHECK_OK(cm_cfg_set(c, "steps_per_iter", "many", src, &e), &e);
  CHECK_ERR(cm_cfg_int(c, "steps_per_iter", 0, &steps, &e), e,
            "command line:1: key 'steps_per_iter': expected an integer, got 'many'");
  CHECK_ERR(cm_cfg_set(c, "steps_per_iter.x", "1", src, &e), e,
            "command line: cannot set 'steps_per_iter.x': 'steps_per_iter' is not a map "
            "(command line:1)");
  CHECK_ERR(cm_cfg_set(c, "agent_name.x", "1", src, &e), e,
            "command line: cannot set 'agent_name.x': 'agent_name' is not a map ("
            D "agent_ppo.yaml:1)");
  CHECK_ERR_HAS(cm_cfg_set(c, "x", "[1, 2", src, &e), e, "setting 'x': command line:",
                "YAML syntax error");
  CHECK_ERR(cm_cfg_set(c, "a..b", "1", src, &e), e, "command line: cannot set 'a..b': empty key in path");
  CHECK_ERR(cm_cfg_override(c, "no_equals", src, &e), e,
            "command line: override 'no_equals': expected key=value");
  /* a null parent becomes a map */
  CHECK_OK(cm_cfg_set(c, "discount.x", "1", src, &e), &e);
  CHECK(cm_cfg_get(c, "discount")->kind == CM_CFG_MAP && !strcmp(c->keys[3], "discount"));
  CHECK(round_trip(c));
  /* building a resolved config from parts */
  cm_cfg *all = cm_cfg_new_map("resolved");
  cm_cfg *part = cm_cfg_clone(c);
  CHECK(all && part);
  CHECK_OK(cm_cfg_set_node(all, "agent", part, &e), &e);
  CHECK(cm_cfg_equal(cm_cfg_get(all, "agent"), c));
  CHECK(round_trip(all));
  cm_cfg_free(all);
  cm_cfg_free(c);
}

int main(void) {
  test_engine();
  test_env();
  test_agent_nested();
  test_wrong_types();
  test_keys();
  test_duplicates();
  test_malformed();
  test_write();
  test_set();
  return check_report("test_config");
}
