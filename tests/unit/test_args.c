/* MimicKit-style args: flags with zero or more values, comments and blank lines in arg files,
 * the last occurrence wins within a source, the command line wins over its --arg_file, strict typed getters whose
 * messages name the command line or file:line, and typo suggestions for unknown flags. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/args.h"

#define D "tests/data/io/"

#define CHECK_ERR(expr, e, want) do { (e).msg[0] = 0; int _rc = (expr); CHECK(_rc == -1); \
  if (strcmp((e).msg, (want))) { check_failures++; \
    fprintf(stderr, "%s:%d: message\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, (e).msg, (want)); } \
  check_count++; } while (0)

static int streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static void test_argv(void) {
  cm_err e = {{0}};
  cm_args a = {0};
  char *argv[] = {"--mode", "test", "--devices", "cuda:0", "cuda:1", "--visualize",
                  "--num_envs=16", "--rate", "-0.5", "--", "-x", "--mode", "train"};
  CHECK_OK(cm_args_parse_argv(&a, 13, argv, &e), &e);
  CHECK(a.n == 5);
  CHECK(streq(cm_args_str(&a, "mode", ""), "train")); /* the last --mode wins */
  CHECK(cm_args_count(&a, "mode") == 1);
  CHECK(cm_args_count(&a, "devices") == 2);
  CHECK(streq(cm_args_at(&a, "devices", 0), "cuda:0") && streq(cm_args_at(&a, "devices", 1), "cuda:1"));
  CHECK(cm_args_at(&a, "devices", 2) == NULL && cm_args_at(&a, "devices", -1) == NULL);
  /* a flag with no values is present but falls back to the default */
  CHECK(cm_args_has(&a, "visualize") && cm_args_count(&a, "visualize") == 0);
  CHECK(streq(cm_args_str(&a, "visualize", "dflt"), "dflt"));
  int vis = -1;
  CHECK_ERR(cm_args_bool(&a, "visualize", 1, &vis, &e), e,
            "command line: --visualize: expected true or false, got no value");
  long n = 0;
  CHECK_OK(cm_args_int(&a, "num_envs", 1, &n, &e), &e);
  CHECK(n == 16);
  /* single-dash tokens and a bare "--" are values, as in MimicKit */
  CHECK(cm_args_count(&a, "rate") == 3 && streq(cm_args_at(&a, "rate", 1), "--") &&
        streq(cm_args_at(&a, "rate", 2), "-x"));
  double r = 0;
  CHECK_ERR(cm_args_float(&a, "rate", 0, &r, &e), e,
            "command line: --rate: expected one value (a number), got 3: '-0.5' '--' ...");
  CHECK(!cm_args_has(&a, "absent") && cm_args_count(&a, "absent") == 0);
  CHECK(cm_args_str(&a, "absent", NULL) == NULL);
  long dn = 0;
  CHECK_OK(cm_args_int(&a, "absent", 42, &dn, &e), &e);
  CHECK(dn == 42);
  cm_args_free(&a);
  CHECK(a.n == 0 && a.items == NULL);

  char *stray[] = {"4096", "--num_envs", "1"};
  CHECK_ERR(cm_args_parse_argv(&a, 3, stray, &e), e,
            "command line: unexpected value '4096' before any --flag");
  cm_args_free(&a);
  char *empty_key[] = {"--=3"};
  CHECK_ERR(cm_args_parse_argv(&a, 1, empty_key, &e), e, "command line: empty flag name in '--=3'");
  cm_args_free(&a);
  CHECK_OK(cm_args_parse_argv(&a, 0, NULL, &e), &e);
  CHECK(a.n == 0);
  cm_args_free(&a);
}

static void test_file(void) {
  cm_err e = {{0}};
  cm_args a = {0};
  CHECK_OK(cm_args_load_file(&a, D "run_args.txt", &e), &e);
  /* num_envs engine_config env_config agent_config devices visualize out_dir learning_rate
   * test_episodes mode: the repeated --num_envs replaces the first (the later line wins) and the
   * commented-out flag adds nothing */
  CHECK(a.n == 10);
  long n = 0;
  CHECK_OK(cm_args_int(&a, "num_envs", 1, &n, &e), &e);
  CHECK(n == 8);
  CHECK(streq(cm_args_str(&a, "env_config", ""), "data/envs/deepmimic_humanoid_env.yaml"));
  CHECK(cm_args_count(&a, "env_config") == 1); /* the trailing comment is not a value */
  CHECK(streq(cm_args_str(&a, "agent_config", ""), "data/agents/deepmimic_humanoid_ppo_agent.yaml"));
  CHECK(cm_args_count(&a, "devices") == 3 && streq(cm_args_at(&a, "devices", 2), "cuda:2"));
  int vis = 1;
  CHECK_OK(cm_args_bool(&a, "visualize", 1, &vis, &e), &e);
  CHECK(vis == 0);
  double lr = 0;
  CHECK_OK(cm_args_float(&a, "learning_rate", 0, &lr, &e), &e);
  CHECK_NEAR(lr, 5e-5, 1e-20);
  CHECK(cm_args_has(&a, "test_episodes") && cm_args_count(&a, "test_episodes") == 0);
  CHECK(streq(cm_args_str(&a, "mode", ""), "train"));
  /* flags remember where they were written */
  for (int i = 0; i < a.n; i++) {
    if (!strcmp(a.items[i].key, "devices"))
      CHECK(a.items[i].line == 10 && a.items[i].val_lines[0] == 10 && a.items[i].val_lines[2] == 11);
    if (!strcmp(a.items[i].key, "mode")) CHECK(a.items[i].line == 17 && streq(a.items[i].file, D "run_args.txt"));
  }
  long te = 0;
  CHECK_ERR(cm_args_int(&a, "test_episodes", 10, &te, &e), e,
            D "run_args.txt:16: --test_episodes: expected an integer, got no value");
  cm_args_free(&a);

  /* Windows line ends count lines the same way */
  CHECK_OK(cm_args_load_file(&a, D "crlf_args.txt", &e), &e);
  CHECK(a.n == 3 && streq(cm_args_str(&a, "mode", ""), "test"));
  for (int i = 0; i < a.n; i++)
    if (!strcmp(a.items[i].key, "rate")) CHECK(a.items[i].line == 4);
  CHECK_OK(cm_args_int(&a, "num_envs", 1, &n, &e), &e);
  CHECK(n == 32);
  cm_args_free(&a);

  CHECK_ERR(cm_args_load_file(&a, D "stray_args.txt", &e), e,
            D "stray_args.txt:3: unexpected value '4096' before any --flag");
  cm_args_free(&a);
  CHECK_ERR(cm_args_load_file(&a, D "no_such_args.txt", &e), e,
            D "no_such_args.txt: cannot open: No such file or directory");
  cm_args_free(&a);
}

static void test_bad_values(void) {
  cm_err e = {{0}};
  cm_args a = {0};
  CHECK_OK(cm_args_load_file(&a, D "bad_values_args.txt", &e), &e);
  long n = 0;
  int b = 0;
  double r = 0;
  CHECK_ERR(cm_args_int(&a, "num_envs", 1, &n, &e), e,
            D "bad_values_args.txt:1: --num_envs: expected an integer, got 'x'");
  CHECK_ERR(cm_args_bool(&a, "visualize", 1, &b, &e), e,
            D "bad_values_args.txt:2: --visualize: expected true or false, got 'maybe'");
  CHECK_ERR(cm_args_int(&a, "max_samples", 1, &n, &e), e,
            D "bad_values_args.txt:4: --max_samples: expected one value (an integer), got 2: '10' '20'");
  CHECK_ERR(cm_args_float(&a, "rate", 0, &r, &e), e,
            D "bad_values_args.txt:5: --rate: expected a number, got '1e-3q'");
  CHECK_OK(cm_args_int(&a, "seed", 0, &n, &e), &e); /* the value sits on the next line */
  CHECK(n == -12);
  /* the strings are still there for callers that want them */
  CHECK(streq(cm_args_str(&a, "num_envs", ""), "x"));
  cm_args_free(&a);

  /* spellings, one value at a time */
  static const struct { const char *v; int ok; double x; } nums[] = {
      {"1e-3", 1, 1e-3}, {"-2", 1, -2}, {"inf", 1, INFINITY}, {"0x10", 0, 0}, {"", 0, 0},
      {"1.5.2", 0, 0}, {"1e999", 0, 0}};
  for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
    char *argv[] = {"--x", (char *)nums[k].v};
    CHECK_OK(cm_args_parse_argv(&a, 2, argv, &e), &e);
    double x = 0;
    int rc = cm_args_float(&a, "x", 0, &x, &e);
    CHECK(rc == (nums[k].ok ? 0 : -1) && (!nums[k].ok || x == nums[k].x));
    cm_args_free(&a);
  }
  static const struct { const char *v; int ok; long x; } ints[] = {
      {"12", 1, 12}, {"-3", 1, -3}, {"+4", 1, 4}, {"1.0", 0, 0}, {"1e3", 0, 0}, {"-", 0, 0},
      {"99999999999999999999", 0, 0}};
  for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
    char *argv[] = {"--x", (char *)ints[k].v};
    CHECK_OK(cm_args_parse_argv(&a, 2, argv, &e), &e);
    long x = 0;
    int rc = cm_args_int(&a, "x", 0, &x, &e);
    CHECK(rc == (ints[k].ok ? 0 : -1) && (!ints[k].ok || x == ints[k].x));
    cm_args_free(&a);
  }
  static const struct { const char *v; int x; } bools[] = {
      {"true", 1}, {"True", 1}, {"1", 1}, {"T", 1}, {"false", 0}, {"False", 0}, {"0", 0}, {"f", 0},
      {"yes", -1}, {"2", -1}};
  for (size_t k = 0; k < sizeof bools / sizeof bools[0]; k++) {
    char *argv[] = {"--x", (char *)bools[k].v};
    CHECK_OK(cm_args_parse_argv(&a, 2, argv, &e), &e);
    int x = -5;
    int rc = cm_args_bool(&a, "x", 0, &x, &e);
    CHECK(bools[k].x < 0 ? rc == -1 : (rc == 0 && x == bools[k].x));
    cm_args_free(&a);
  }
}

static void test_override_order(void) {
  cm_err e = {{0}};
  cm_args a = {0};
  /* run.py's order: the command line first, then its --arg_file; the command line wins */
  char *argv[] = {"--num_envs", "16", "--arg_file", D "run_args.txt", "--devices", "cpu"};
  CHECK_OK(cm_args_load(&a, 6, argv, &e), &e);
  long n = 0;
  CHECK_OK(cm_args_int(&a, "num_envs", 1, &n, &e), &e);
  CHECK(n == 16);
  CHECK(cm_args_count(&a, "devices") == 1 && streq(cm_args_str(&a, "devices", ""), "cpu"));
  CHECK(streq(cm_args_str(&a, "engine_config", ""), "data/engines/mujoco_engine.yaml")); /* from file */
  CHECK(streq(cm_args_str(&a, "arg_file", ""), D "run_args.txt"));
  cm_args_free(&a);

  /* without --arg_file only the command line counts */
  char *plain[] = {"--mode", "test"};
  CHECK_OK(cm_args_load(&a, 2, plain, &e), &e);
  CHECK(a.n == 1);
  cm_args_free(&a);

  /* loading a file after another keeps the first file's values */
  CHECK_OK(cm_args_load_file(&a, D "crlf_args.txt", &e), &e);
  CHECK_OK(cm_args_load_file(&a, D "run_args.txt", &e), &e);
  CHECK_OK(cm_args_int(&a, "num_envs", 1, &n, &e), &e);
  CHECK(n == 32 && streq(cm_args_str(&a, "mode", ""), "test"));
  cm_args_free(&a);

  /* a repeated flag: the last occurrence wins on the command line (over the file too), and the
   * repeat replaces every value of the earlier one; the file's keys keep their file and line */
  char *twice[] = {"--num_envs", "16", "--devices", "cuda:0", "cuda:1", "--arg_file", D "run_args.txt",
                   "--num_envs", "4", "--devices", "cpu"};
  CHECK_OK(cm_args_load(&a, 11, twice, &e), &e);
  CHECK_OK(cm_args_int(&a, "num_envs", 1, &n, &e), &e);
  CHECK(n == 4);
  CHECK(cm_args_count(&a, "devices") == 1 && streq(cm_args_str(&a, "devices", ""), "cpu"));
  CHECK(streq(cm_args_str(&a, "engine_config", ""), "data/engines/mujoco_engine.yaml"));
  cm_args_free(&a);

  char *missing[] = {"--arg_file", D "missing_args.txt"};
  CHECK_ERR(cm_args_load(&a, 2, missing, &e), e,
            D "missing_args.txt: cannot open: No such file or directory");
  cm_args_free(&a);
}

static void test_known(void) {
  cm_err e = {{0}};
  cm_args a = {0};
  static const char *const known[] = {"arg_file", "mode", "num_envs", "devices", "visualize",
                                      "out_dir", NULL};
  char *argv[] = {"--mode", "train", "--num_env", "4"};
  CHECK_OK(cm_args_parse_argv(&a, 4, argv, &e), &e);
  CHECK_ERR(cm_args_check_known(&a, known, &e), e,
            "command line: unknown flag --num_env (did you mean --num_envs?)");
  cm_args_free(&a);
  CHECK_OK(cm_args_load_file(&a, D "typo_args.txt", &e), &e);
  CHECK_ERR(cm_args_check_known(&a, known, &e), e,
            D "typo_args.txt:2: unknown flag --num_env (did you mean --num_envs?)");
  cm_args_free(&a);
  char *far[] = {"--mode", "x", "--learning_rate", "1"};
  CHECK_OK(cm_args_parse_argv(&a, 4, far, &e), &e);
  CHECK_ERR(cm_args_check_known(&a, known, &e), e, "command line: unknown flag --learning_rate");
  cm_args_free(&a);
  char *good[] = {"--mode", "x", "--devices", "cuda:0", "cuda:1"};
  CHECK_OK(cm_args_parse_argv(&a, 5, good, &e), &e);
  CHECK_OK(cm_args_check_known(&a, known, &e), &e);
  cm_args_free(&a);
}

int main(void) {
  test_argv();
  test_file();
  test_bad_values();
  test_override_order();
  test_known();
  return check_report("test_args");
}
