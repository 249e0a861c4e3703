/* Training log: MimicKit's console table and log.txt layout, round trips through the reader,
 * resume-append, torn rows, malformed files; python3 (repr, numpy.genfromtxt as plot_log.py
 * uses it) as the oracle for the file format. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "core/fileio.h"
#include "io/run_log.h"

static char g_dir[256];

static const char *tmp_path(const char *name) {
  static char buf[4][512];
  static int k = 0;
  char *b = buf[k++ % 4];
  snprintf(b, sizeof buf[0], "%s/%s", g_dir, name);
  return b;
}

static char *slurp(const char *path) {
  char *t = NULL;
  cm_err err;
  if (cm_read_file(path, &t, NULL, &err)) return NULL;
  return t;
}

static int count_substr(const char *s, const char *sub) {
  int n = 0;
  for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub)) n++;
  return n;
}

/* Python's repr of floats, hand-written from Python 3. */
static void test_float_format(void) {
  struct { double v; const char *s; } cases[] = {
      {0.1, "0.1"}, {1e-5, "1e-05"}, {1500000.0, "1500000.0"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"},
      {0.0001, "0.0001"}, {-2.5, "-2.5"}, {1.0 / 3.0, "0.3333333333333333"}, {0.1 + 0.2, "0.30000000000000004"},
      {123.456, "123.456"}, {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
      {0.0, "0.0"}, {-0.0, "-0.0"}, {NAN, "nan"}, {INFINITY, "inf"}, {-INFINITY, "-inf"},
      {1.2345678901234567e-100, "1.2345678901234567e-100"}, {2.0, "2.0"}, {-0.00012, "-0.00012"},
      {123456789012345678.0, "1.2345678901234568e+17"}, {0.0123456, "0.0123456"}};
  char buf[32];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cm_log_format_float(cases[i].v, buf);
    if (strcmp(buf, cases[i].s) != 0) fprintf(stderr, "format %.17g: got '%s' want '%s'\n", cases[i].v, buf, cases[i].s);
    CHECK(strcmp(buf, cases[i].s) == 0);
  }
}

/* Many random doubles against python3's repr (skipped, loudly, without python3). */
static void test_float_format_python(void) {
  const char *in = tmp_path("floats.txt");
  FILE *f = fopen(in, "w");
  CHECK(f != NULL);
  if (!f) return;
  uint64_t s = 0x9E3779B97F4A7C15ull;
  enum { N = 3000 };
  static char mine[N][32];
  for (int i = 0; i < N; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    double v;
    if (i % 3 == 0) { /* any bit pattern */
      memcpy(&v, &s, sizeof v);
      if (!isfinite(v)) v = (double)(s >> 11);
    } else { /* typical log magnitudes */
      v = (double)(s >> 11) / 9007199254740992.0 * pow(10.0, (double)(i % 25) - 12.0);
      if (i % 2) v = -v;
    }
    cm_log_format_float(v, mine[i]);
    fprintf(f, "%a\n", v);
  }
  fclose(f);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "python3 -c \"import sys\nfor l in open(sys.argv[1]): print(repr(float.fromhex(l)))\" %s",
           in);
  FILE *p = popen(cmd, "r");
  if (!p) {
    printf("python3 not available: skipping the repr oracle\n");
    return;
  }
  char line[64];
  int i = 0, bad = 0;
  while (fgets(line, sizeof line, p) && i < N) {
    line[strcspn(line, "\n")] = 0;
    if (strcmp(line, mine[i]) != 0 && bad++ < 5) fprintf(stderr, "repr mismatch: python '%s' ours '%s'\n", line, mine[i]);
    i++;
  }
  int st = pclose(p);
  if (st != 0 && i == 0) {
    printf("python3 not available: skipping the repr oracle\n");
    return;
  }
  CHECK(i == N);
  CHECK(bad == 0);
}

static const char *k_table_expected =
    "-----------------------------------------\n"
    "|           Iteration |              10 |\n"
    "|           Wall_Time |          0.0123 |\n"
    "|             Samples |         1310720 |\n"
    "|         Test_Return |             123 |\n"
    "|        Train_Return |            -0.5 |\n"
    "|                Loss |         1.5e-05 |\n"
    "|            Exp_Prob |             nan |\n"
    "-----------------------------------------\n";

static void set_row(cm_log *log, int it, double ret, cm_err *err) {
  CHECK_OK(cm_log_set_ex(log, "Iteration", it, CM_LOG_INT, err), err);
  CHECK_OK(cm_log_set(log, "Wall_Time", 0.0123456 * (it + 1), err), err);
  CHECK_OK(cm_log_set_ex(log, "Samples", 131072.0 * (it + 1), CM_LOG_INT, err), err);
  CHECK_OK(cm_log_set(log, "Test_Return", ret, err), err);
  CHECK_OK(cm_log_set_ex(log, "Test_Episode_Length", 50.5, CM_LOG_QUIET, err), err);
  CHECK_OK(cm_log_set(log, "Train_Return", -0.5, err), err);
  CHECK_OK(cm_log_set(log, "Loss", 1.5e-05, err), err);
  CHECK_OK(cm_log_set(log, "Exp_Prob", NAN, err), err);
}

static void test_console_table(void) {
  cm_err err = {{0}};
  cm_log *log = NULL;
  CHECK_OK(cm_log_open(NULL, 0, &log, &err), &err);
  if (!log) return;
  set_row(log, 9, 123.456, &err);
  CHECK_OK(cm_log_set_ex(log, "Samples", 1310720, CM_LOG_INT, &err), &err);
  CHECK_OK(cm_log_set_ex(log, "Iteration", 10, CM_LOG_INT, &err), &err);
  CHECK_OK(cm_log_set(log, "Wall_Time", 0.0123456, &err), &err);
  char *text = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&text, &len);
  cm_log_print_table(log, m);
  fclose(m);
  if (strcmp(text, k_table_expected) != 0) fprintf(stderr, "table:\n%s", text);
  CHECK(strcmp(text, k_table_expected) == 0);
  free(text);
  /* Console-only logs count rows and still freeze the keys. */
  CHECK_OK(cm_log_write_row(log, &err), &err);
  CHECK(cm_log_rows_written(log) == 1);
  CHECK(cm_log_set(log, "Late_Key", 1, &err) != 0);
  cm_log_close(log);
}

/* The exact bytes of a log line as MimicKit writes it: "{:<25}" per field, then '\r'. */
static void pad_line(char *out, const char *const *fields, int n) {
  out[0] = 0;
  for (int i = 0; i < n; i++) sprintf(out + strlen(out), "%-25s", fields[i]);
  strcat(out, "\r");
}

static void test_write_read(void) {
  cm_err err = {{0}};
  const char *path = tmp_path("run/sub/log.txt"); /* parent folders are created */
  cm_log *log = NULL;
  CHECK_OK(cm_log_open(path, 0, &log, &err), &err);
  if (!log) return;
  double rets[3] = {0.25, 1.0 / 3.0, -1e-7};
  for (int it = 0; it < 3; it++) {
    set_row(log, it, rets[it], &err);
    CHECK_OK(cm_log_write_row(log, &err), &err);
  }
  /* New keys after the first row are an error, as MimicKit asserts. */
  CHECK(cm_log_set(log, "Disc_Loss", 1.0, &err) != 0);
  CHECK(strstr(err.msg, "Disc_Loss") != NULL);
  /* A key not set again keeps its value. */
  CHECK_OK(cm_log_set_ex(log, "Iteration", 3, CM_LOG_INT, &err), &err);
  CHECK_OK(cm_log_write_row(log, &err), &err);
  cm_log_close(log);

  char *text = slurp(path);
  CHECK(text != NULL);
  if (!text) return;
  const char *names[] = {"Iteration", "Wall_Time", "Samples", "Test_Return", "Test_Episode_Length",
                         "Train_Return", "Loss", "Exp_Prob"};
  const char *row0[] = {"0", "0.0123456", "131072", "0.25", "50.5", "-0.5", "1.5e-05", "nan"};
  char want[1024], want0[1024];
  pad_line(want, names, 8);
  pad_line(want0, row0, 8);
  strcat(want, want0);
  CHECK(strncmp(text, want, strlen(want)) == 0);
  CHECK(strchr(text, '\n') == NULL); /* MimicKit ends lines with '\r' only */
  CHECK(strlen(text) == 5 * (8 * 25 + 1));
  free(text);

  cm_log_table t;
  CHECK_OK(cm_log_read(path, &t, &err), &err);
  CHECK(t.num_cols == 8 && t.num_rows == 4);
  if (t.num_cols == 8 && t.num_rows == 4) {
    for (int i = 0; i < 8; i++) CHECK(strcmp(t.names[i], names[i]) == 0);
    for (int r = 0; r < 3; r++) {
      CHECK(t.cols[0][r] == r);
      CHECK(t.cols[1][r] == 0.0123456 * (r + 1)); /* exact: shortest repr round-trips */
      CHECK(t.cols[2][r] == 131072.0 * (r + 1));
      CHECK(t.cols[3][r] == rets[r]);
      CHECK(isnan(t.cols[7][r]));
    }
    CHECK(t.cols[0][3] == 3 && t.cols[3][3] == rets[2] && t.cols[6][3] == 1.5e-05);
    CHECK(cm_log_table_find(&t, "Loss") == 6 && cm_log_table_find(&t, "loss") == -1);
  }
  cm_log_table_free(&t);

  /* numpy.genfromtxt the way MimicKit's plot_log.py reads logs (any python3 that has numpy). */
  const char *script = tmp_path("genfromtxt.py");
  FILE *sf = fopen(script, "w");
  if (sf) {
    fputs("import sys, numpy as np\n"
          "lines = [l.replace(',', '\\t') for l in open(sys.argv[1])]\n"
          "d = np.genfromtxt(lines, delimiter=None, dtype=None, names=True)\n"
          "print(' '.join(d.dtype.names))\n"
          "print(repr(float(d['Test_Return'][1])), int(d['Samples'][2]), len(d))\n",
          sf);
    fclose(sf);
  }
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "for py in python3 /usr/bin/python3; do if $py -c 'import numpy' 2>/dev/null; then exec $py %s %s; fi; "
           "done",
           script, path);
  FILE *p = popen(cmd, "r");
  char l1[512] = "", l2[256] = "";
  if (p && fgets(l1, sizeof l1, p) && fgets(l2, sizeof l2, p)) {
    CHECK(strcmp(l1, "Iteration Wall_Time Samples Test_Return Test_Episode_Length Train_Return Loss Exp_Prob\n") == 0);
    CHECK(strcmp(l2, "0.3333333333333333 393216 4\n") == 0);
  } else {
    printf("python3/numpy not available: skipping the genfromtxt oracle\n");
  }
  if (p) pclose(p);
}

static void test_resume(void) {
  cm_err err = {{0}};
  const char *path = tmp_path("resume/log.txt");
  cm_log *log = NULL;
  CHECK_OK(cm_log_open(path, 0, &log, &err), &err);
  for (int it = 0; log && it < 3; it++) {
    set_row(log, it, it, &err);
    CHECK_OK(cm_log_write_row(log, &err), &err);
  }
  cm_log_close(log);

  /* A torn last row (the process died inside its write) is cut off on resume. */
  const char *torn = "3                        0.04";
  FILE *f = fopen(path, "a");
  fputs(torn, f);
  fclose(f);

  CHECK_OK(cm_log_open(path, 1, &log, &err), &err);
  if (!log) return;
  CHECK(cm_log_rows_existing(log) == 3);
  CHECK(cm_log_repaired_bytes(log) == strlen(torn));
  for (int it = 3; it < 5; it++) {
    set_row(log, it, it, &err);
    CHECK_OK(cm_log_write_row(log, &err), &err);
  }
  cm_log_close(log);
  char *text = slurp(path);
  CHECK(text && count_substr(text, "Iteration") == 1);
  free(text);
  cm_log_table t;
  CHECK_OK(cm_log_read(path, &t, &err), &err);
  CHECK(t.num_rows == 5);
  for (int r = 0; r < t.num_rows && t.num_cols > 3; r++) CHECK(t.cols[0][r] == r && t.cols[3][r] == r);
  cm_log_table_free(&t);

  /* Resuming with a key the header does not have is refused at the first row, naming it. */
  CHECK_OK(cm_log_open(path, 1, &log, &err), &err);
  if (log) {
    CHECK_OK(cm_log_set_ex(log, "Iteration", 5, CM_LOG_INT, &err), &err);
    CHECK_OK(cm_log_set(log, "Disc_Loss", 5, &err), &err);
    CHECK(cm_log_write_row(log, &err) != 0);
    CHECK(strstr(err.msg, "cannot resume") && strstr(err.msg, "'Disc_Loss'") && strstr(err.msg, "8 columns"));
    cm_log_close(log);
  }
  CHECK_OK(cm_log_read(path, &t, &err), &err);
  CHECK(t.num_rows == 5); /* the refused row left nothing behind */
  cm_log_table_free(&t);
  /* A row that sets only some keys (an interrupted iteration that ran no test) keeps the
   * header's columns, the other values repeated from the last row. */
  CHECK_OK(cm_log_open(path, 1, &log, &err), &err);
  if (log) {
    CHECK_OK(cm_log_set(log, "Samples", 5, &err), &err); /* out of header order on purpose */
    CHECK_OK(cm_log_set_ex(log, "Iteration", 5, CM_LOG_INT, &err), &err);
    CHECK_OK(cm_log_write_row(log, &err), &err);
    cm_log_close(log);
  }
  CHECK_OK(cm_log_read(path, &t, &err), &err);
  CHECK(t.num_rows == 6 && t.num_cols == 8);
  if (t.num_rows == 6 && t.num_cols == 8) {
    CHECK(!strcmp(t.names[0], "Iteration") && t.cols[0][5] == 5 && !strcmp(t.names[2], "Samples") && t.cols[2][5] == 5);
    CHECK(t.cols[1][5] == t.cols[1][4] && t.cols[3][5] == 4 && t.cols[6][5] == t.cols[6][4] && isnan(t.cols[7][5]));
  }
  cm_log_table_free(&t);

  /* Resuming onto a missing or empty file writes the header. */
  const char *fresh = tmp_path("resume/empty.txt");
  cm_write_file_atomic(fresh, "", 0, &err);
  CHECK_OK(cm_log_open(fresh, 1, &log, &err), &err);
  if (log) {
    set_row(log, 0, 1, &err);
    CHECK_OK(cm_log_write_row(log, &err), &err);
    cm_log_close(log);
  }
  CHECK_OK(cm_log_read(fresh, &t, &err), &err);
  CHECK(t.num_cols == 8 && t.num_rows == 1);
  cm_log_table_free(&t);

  /* append = 0 starts over, as MimicKit's open(..., 'w'). */
  CHECK_OK(cm_log_open(path, 0, &log, &err), &err);
  if (log) {
    set_row(log, 0, 1, &err);
    CHECK_OK(cm_log_write_row(log, &err), &err);
    cm_log_close(log);
  }
  CHECK_OK(cm_log_read(path, &t, &err), &err);
  CHECK(t.num_rows == 1);
  cm_log_table_free(&t);

  /* A malformed existing log is not appended to. */
  const char *bad = tmp_path("resume/bad.txt");
  cm_write_file_atomic(bad, "A B\r1 2\r3\r", 10, &err);
  CHECK(cm_log_open(bad, 1, &log, &err) != 0);
  CHECK(log == NULL && strstr(err.msg, "bad.txt:3:") != NULL);
}

static void test_keys(void) {
  cm_err err = {{0}};
  cm_log *log = NULL;
  CHECK_OK(cm_log_open(NULL, 0, &log, &err), &err);
  if (!log) return;
  CHECK(cm_log_write_row(log, &err) != 0); /* nothing set */
  CHECK(cm_log_set(log, "Has Space", 1, &err) != 0);
  CHECK(cm_log_set(log, "Comma,Key", 1, &err) != 0);
  CHECK(cm_log_set(log, "", 1, &err) != 0);
  CHECK(cm_log_set(log, "A_Key_Of_Twenty_Five_Chr", 1, &err) == 0); /* 24: fits */
  CHECK(cm_log_set(log, "A_Key_Of_Twenty_Five_Chrs", 1, &err) != 0);
  CHECK(cm_log_num_keys(log) == 1 && strcmp(cm_log_key(log, 0), "A_Key_Of_Twenty_Five_Chr") == 0);
  cm_log_close(log);
}

static void expect_parse_error(const char *text, const char *must_contain) {
  cm_log_table t;
  cm_err err = {{0}};
  int rc = cm_log_parse(text, strlen(text), "log.txt", &t, &err);
  CHECK(rc != 0);
  if (rc == 0) cm_log_table_free(&t);
  if (!strstr(err.msg, must_contain)) fprintf(stderr, "error '%s' lacks '%s'\n", err.msg, must_contain);
  CHECK(strstr(err.msg, must_contain) != NULL);
}

static void test_malformed(void) {
  expect_parse_error("", "empty log");
  expect_parse_error("\r \r\n", "empty log");
  expect_parse_error("1 2 3\r4 5 6\r", "log.txt:1: header field 1 is the number '1'");
  expect_parse_error("A B C\r1 2 3\r4 5\r", "log.txt:3: row has 2 values but the header names 3 columns");
  expect_parse_error("A B C\n1 2 3\n1 2 3\nabc 2 3\n", "log.txt:4: column 'A': 'abc' is not a number");
  expect_parse_error("A B C\r\n1 2 3\r\n1 2 x3\r\n", "log.txt:3: column 'C': 'x3' is not a number");
  expect_parse_error("A B A\r1 2 3\r", "log.txt:1: column 'A' appears twice");
  expect_parse_error("A B\r1 2 3\r", "log.txt:2: row has 3 values");
  cm_err err = {{0}};
  cm_log_table t;
  CHECK(cm_log_read(tmp_path("no_such_log.txt"), &t, &err) != 0);
  CHECK(strstr(err.msg, "no_such_log.txt") != NULL);

  /* Accepted variants: '\n' and "\r\n" ends, blank lines, commas, tabs, True/False, inf. */
  const char *ok = "\nA,B\tC\r\n1, 2\t3\r\n\r\n-inf True 1e-05\n";
  CHECK_OK(cm_log_parse(ok, strlen(ok), "ok.txt", &t, &err), &err);
  CHECK(t.num_cols == 3 && t.num_rows == 2);
  if (t.num_rows == 2) {
    CHECK(t.cols[0][0] == 1 && t.cols[1][0] == 2 && t.cols[2][0] == 3);
    CHECK(isinf(t.cols[0][1]) && t.cols[0][1] < 0 && t.cols[1][1] == 1 && t.cols[2][1] == 1e-05);
  }
  cm_log_table_free(&t);
  /* A header-only log is valid (a run that has not reached its first output yet). */
  CHECK_OK(cm_log_parse("A B\r", 4, "h.txt", &t, &err), &err);
  CHECK(t.num_cols == 2 && t.num_rows == 0);
  cm_log_table_free(&t);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/cm_test_run_log_%ld", (long)getpid());
  cm_err err;
  cm_mkdirs(g_dir, &err);
  test_float_format();
  test_float_format_python();
  test_console_table();
  test_write_read();
  test_resume();
  test_keys();
  test_malformed();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  return check_report("test_run_log");
}
