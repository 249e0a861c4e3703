#include "io/run_log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/fault.h"
#include "core/fileio.h"

struct cm_log {
  char *path; /* NULL: console only */
  int fd;
  int num_keys, cap_keys;
  char **keys;
  double *vals;
  unsigned *flags;
  int max_key_len;
  int rows_written, rows_existing;
  size_t repaired;
  cm_log_table existing; /* header (and rows) of the file we append to; num_cols 0 if none */
};

/* ------------------------------------------------------------------ value formatting */

char *cm_log_format_float(double v, char buf[32]) {
  if (isnan(v)) return strcpy(buf, "nan");
  if (isinf(v)) return strcpy(buf, v < 0 ? "-inf" : "inf");
  if (v == 0) return strcpy(buf, signbit(v) ? "-0.0" : "0.0");
  /* Shortest significand that reads back exactly (what Python's repr finds with dtoa mode 0);
   * glibc's %e is correctly rounded, so the first precision that round-trips is the answer. */
  char e[40];
  for (int p = 1; p <= 17; p++) {
    snprintf(e, sizeof e, "%.*e", p - 1, v);
    if (strtod(e, NULL) == v) break;
  }
  const char *s = e;
  int neg = *s == '-';
  if (neg) s++;
  char digits[24];
  int nd = 0;
  for (; *s && *s != 'e'; s++)
    if (isdigit((unsigned char)*s) && nd < 20) digits[nd++] = *s;
  int exp10 = *s == 'e' ? atoi(s + 1) : 0;
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  int decpt = exp10 + 1; /* v = 0.d1d2... * 10^decpt */
  char *o = buf;
  if (neg) *o++ = '-';
  if (decpt <= -4 || decpt > 16) { /* Python switches to exponent form outside this window */
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, digits + 1, (size_t)(nd - 1));
      o += nd - 1;
    }
    int ax = abs(exp10) % 1000; /* doubles need at most 3 exponent digits */
    *o++ = 'e';
    *o++ = exp10 < 0 ? '-' : '+';
    if (ax >= 100) *o++ = (char)('0' + ax / 100);
    *o++ = (char)('0' + ax / 10 % 10);
    *o++ = (char)('0' + ax % 10);
    *o = 0;
    return buf;
  }
  if (decpt <= 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -decpt; i++) *o++ = '0';
    memcpy(o, digits, (size_t)nd);
    o += nd;
  } else if (decpt < nd) {
    memcpy(o, digits, (size_t)decpt);
    o += decpt;
    *o++ = '.';
    memcpy(o, digits + decpt, (size_t)(nd - decpt));
    o += nd - decpt;
  } else {
    memcpy(o, digits, (size_t)nd);
    o += nd;
    for (int i = nd; i < decpt; i++) *o++ = '0';
    *o++ = '.';
    *o++ = '0';
  }
  *o = 0;
  return buf;
}

/* An integer-flagged value is printed as digits only when it really is an integer. */
static int as_integer(double v, unsigned flags) {
  return (flags & CM_LOG_INT) && isfinite(v) && v == floor(v) && fabs(v) < 9.0e18;
}

static void format_file_value(double v, unsigned flags, char buf[32]) {
  if (as_integer(v, flags))
    snprintf(buf, 32, "%lld", (long long)v);
  else
    cm_log_format_float(v, buf);
}

/* ------------------------------------------------------------------ writer */

static int valid_key(const char *key) {
  size_t n = strlen(key);
  if (n == 0 || n >= CM_LOG_COL_WIDTH) return 0;
  for (size_t i = 0; i < n; i++)
    if (!isgraph((unsigned char)key[i]) || key[i] == ',') return 0;
  return 1;
}

/* Position just after the last line end, i.e. the length of the whole rows in text. */
static size_t whole_lines_len(const char *text, size_t len) {
  while (len > 0 && text[len - 1] != '\r' && text[len - 1] != '\n') len--;
  return len;
}

static int only_blanks(const char *text, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!isspace((unsigned char)text[i])) return 0;
  return 1;
}

static int find_key(const cm_log *log, const char *key) {
  for (int i = 0; i < log->num_keys; i++)
    if (strcmp(log->keys[i], key) == 0) return i;
  return -1;
}

/* Reads the file we are about to append to: cuts a torn last row, keeps the header. */
static int load_existing(cm_log *log, cm_err *err) {
  if (!cm_file_exists(log->path)) return 0;
  char *text = NULL;
  size_t len = 0;
  if (cm_read_file(log->path, &text, &len, err)) return -1;
  size_t keep = whole_lines_len(text, len);
  int rc = 0;
  if (keep < len) {
    if (truncate(log->path, (off_t)keep) != 0) {
      rc = cm_fail(err, "%s: cannot cut the torn last row: %s", log->path, strerror(errno));
      goto done;
    }
    log->repaired = len - keep;
  }
  if (!only_blanks(text, keep)) {
    if (cm_log_parse(text, keep, log->path, &log->existing, err)) {
      rc = cm_wrap(err, "resuming log");
      goto done;
    }
    log->rows_existing = log->existing.num_rows;
    /* The resumed run's columns start as the file's, holding its last row: a row this run writes
     * before setting every key (an interrupted iteration that ran no test) keeps the header's
     * order and repeats the last values, as a fresh run's rows do. */
    const cm_log_table *t = &log->existing;
    for (int i = 0; i < t->num_cols && rc == 0; i++)
      if (valid_key(t->names[i]) && find_key(log, t->names[i]) < 0)
        rc = cm_log_set_ex(log, t->names[i], t->num_rows ? t->cols[i][t->num_rows - 1] : NAN, CM_LOG_FLOAT, err);
  }
done:
  free(text);
  return rc;
}

int cm_log_open(const char *out_path, int append, cm_log **out, cm_err *err) {
  *out = NULL;
  cm_log *log = calloc(1, sizeof *log);
  if (!log) return cm_fail(err, "log: out of memory");
  log->fd = -1;
  if (out_path) {
    log->path = strdup(out_path);
    if (!log->path) {
      cm_log_close(log);
      return cm_fail(err, "log: out of memory");
    }
    char *dir = strdup(out_path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
      *slash = 0;
      if (cm_mkdirs(dir, err)) {
        free(dir);
        cm_log_close(log);
        return -1;
      }
    }
    free(dir);
    if (append && load_existing(log, err)) {
      cm_log_close(log);
      return -1;
    }
    log->fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (append ? 0 : O_TRUNC), 0644);
    if (log->fd < 0) {
      int e = errno;
      cm_log_close(log);
      return cm_fail(err, "%s: cannot open for writing: %s", out_path, strerror(e));
    }
  }
  *out = log;
  return 0;
}

void cm_log_close(cm_log *log) {
  if (!log) return;
  if (log->fd >= 0) close(log->fd);
  for (int i = 0; i < log->num_keys; i++) free(log->keys[i]);
  free(log->keys);
  free(log->vals);
  free(log->flags);
  cm_log_table_free(&log->existing);
  free(log->path);
  free(log);
}

int cm_log_set_ex(cm_log *log, const char *key, double value, unsigned flags, cm_err *err) {
  int i = find_key(log, key);
  if (i < 0) {
    if (log->rows_written > 0)
      return cm_fail(err, "log: new key '%s' after the first row was written (all keys must be set in the "
                          "first iteration; they fix the columns of log.txt)", key);
    if (!valid_key(key))
      return cm_fail(err, "log: bad key '%s' (1 to %d printable characters, no blanks or commas)", key,
                     CM_LOG_COL_WIDTH - 1);
    if (log->num_keys == log->cap_keys) {
      int cap = log->cap_keys ? 2 * log->cap_keys : 16;
      char **k = realloc(log->keys, (size_t)cap * sizeof *k);
      if (k) log->keys = k;
      double *v = realloc(log->vals, (size_t)cap * sizeof *v);
      if (v) log->vals = v;
      unsigned *f = realloc(log->flags, (size_t)cap * sizeof *f);
      if (f) log->flags = f;
      if (!k || !v || !f) return cm_fail(err, "log: out of memory");
      log->cap_keys = cap;
    }
    log->keys[log->num_keys] = strdup(key);
    if (!log->keys[log->num_keys]) return cm_fail(err, "log: out of memory");
    i = log->num_keys++;
    int n = (int)strlen(key);
    if (n > log->max_key_len) log->max_key_len = n;
  }
  log->vals[i] = value;
  log->flags[i] = flags;
  return 0;
}

int cm_log_set(cm_log *log, const char *key, double value, cm_err *err) {
  return cm_log_set_ex(log, key, value, CM_LOG_FLOAT, err);
}

void cm_log_print_table(const cm_log *log, FILE *out) { cm_log_print_table_ex(log, out, 0, NULL, NULL); }

void cm_log_print_table_ex(const cm_log *log, FILE *out, int n_extra, const char *const *extra_keys,
                           const char *const *extra_vals) {
  int w = log->max_key_len;
  for (int i = 0; i < n_extra; i++) w = (int)strlen(extra_keys[i]) > w ? (int)strlen(extra_keys[i]) : w;
  char rule[128];
  int nr = 22 + w < (int)sizeof rule - 1 ? 22 + w : (int)sizeof rule - 1;
  memset(rule, '-', (size_t)nr);
  rule[nr] = 0;
  fprintf(out, "%s\n", rule);
  for (int i = 0; i < log->num_keys; i++) {
    if (log->flags[i] & CM_LOG_QUIET) continue;
    char val[40];
    if (as_integer(log->vals[i], log->flags[i]))
      snprintf(val, sizeof val, "%lld", (long long)log->vals[i]);
    else
      snprintf(val, sizeof val, "%8.3g", log->vals[i]);
    fprintf(out, "| %*s | %15s |\n", w, log->keys[i], val);
  }
  for (int i = 0; i < n_extra; i++) fprintf(out, "| %*s | %15s |\n", w, extra_keys[i], extra_vals[i]);
  fprintf(out, "%s\n", rule);
}

/* Appends one log.txt line: every field left-justified in CM_LOG_COL_WIDTH, then '\r'. */
static void put_line(char *buf, size_t *len, const char *const *fields, int n) {
  for (int i = 0; i < n; i++) {
    size_t fl = strlen(fields[i]);
    memcpy(buf + *len, fields[i], fl);
    *len += fl;
    for (; fl < CM_LOG_COL_WIDTH; fl++) buf[(*len)++] = ' ';
  }
  buf[(*len)++] = '\r';
}

static int check_resumed_header(const cm_log *log, cm_err *err) {
  const cm_log_table *t = &log->existing;
  int n = t->num_cols < log->num_keys ? t->num_cols : log->num_keys;
  for (int i = 0; i < n; i++)
    if (strcmp(t->names[i], log->keys[i]) != 0)
      return cm_fail(err, "%s: cannot resume: column %d of the existing header is '%s' but this run logs '%s'",
                     log->path, i + 1, t->names[i], log->keys[i]);
  if (t->num_cols < log->num_keys) /* the header's own keys come first (load_existing) */
    return cm_fail(err, "%s: cannot resume: this run logs '%s', which the existing header (%d columns) does not have",
                   log->path, log->keys[t->num_cols], t->num_cols);
  if (t->num_cols != log->num_keys)
    return cm_fail(err, "%s: cannot resume: the existing header has %d columns but this run logs %d keys", log->path,
                   t->num_cols, log->num_keys);
  return 0;
}

int cm_log_write_row(cm_log *log, cm_err *err) {
  if (log->num_keys == 0) return cm_fail(err, "log: no values set before writing a row");
  if (log->fd < 0) {
    log->rows_written++;
    return 0;
  }
  int header = 0;
  if (log->rows_written == 0) {
    if (log->existing.num_cols > 0) {
      if (check_resumed_header(log, err)) return -1;
    } else {
      header = 1;
    }
  }
  /* Longest value text is 24 characters (see cm_log_format_float), shorter than a field. */
  size_t cap = (size_t)(header + 1) * ((size_t)log->num_keys * CM_LOG_COL_WIDTH + 1);
  char *buf = malloc(cap);
  char(*vals)[32] = malloc((size_t)log->num_keys * sizeof *vals);
  const char **fields = malloc((size_t)log->num_keys * sizeof *fields);
  int rc = 0;
  if (!buf || !vals || !fields) {
    rc = cm_fail(err, "log: out of memory");
    goto done;
  }
  size_t len = 0;
  if (header) put_line(buf, &len, (const char *const *)log->keys, log->num_keys);
  for (int i = 0; i < log->num_keys; i++) {
    format_file_value(log->vals[i], log->flags[i], vals[i]);
    fields[i] = vals[i];
  }
  put_line(buf, &len, fields, log->num_keys);
  /* One write() per row on an O_APPEND descriptor: the row lands whole or, if the process
   * dies inside the call, as a torn tail that the next append-open cuts off. */
  size_t off = 0;
  struct stat before;
  int have_size = fstat(log->fd, &before) == 0;
  int injected = cm_fault_write_errno(log->path);
  if (injected) { /* a full disk takes part of the row */
    ssize_t w = write(log->fd, buf, len / 2);
    (void)w;
  }
  while (off < len && !injected) {
    ssize_t w = write(log->fd, buf + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      injected = errno;
      break;
    }
    off += (size_t)w;
  }
  if (injected) {
    /* Cut what the failed write left, so the file keeps whole rows and later rows stay aligned. */
    if (have_size && ftruncate(log->fd, before.st_size) != 0)
      rc = cm_fail(err, "%s: write failed: %s; the partial row stays (cut on resume): %s", log->path,
                   strerror(injected), strerror(errno));
    else
      rc = cm_fail(err, "%s: write failed: %s", log->path, strerror(injected));
    rc = CM_LOG_IO_ERROR;
    goto done;
  }
  if (fdatasync(log->fd) != 0) {
    cm_fail(err, "%s: cannot flush: %s", log->path, strerror(errno));
    rc = CM_LOG_IO_ERROR;
    goto done;
  }
  log->rows_written++;
done:
  free(buf);
  free(vals);
  free(fields);
  return rc;
}

int cm_log_num_keys(const cm_log *log) { return log->num_keys; }
const char *cm_log_key(const cm_log *log, int i) { return i >= 0 && i < log->num_keys ? log->keys[i] : NULL; }
double cm_log_value(const cm_log *log, int i) { return i >= 0 && i < log->num_keys ? log->vals[i] : NAN; }
int cm_log_rows_written(const cm_log *log) { return log->rows_written; }
int cm_log_rows_existing(const cm_log *log) { return log->rows_existing; }
size_t cm_log_repaired_bytes(const cm_log *log) { return log->repaired; }

/* ------------------------------------------------------------------ reader */

static int is_sep(char c) { return c == ' ' || c == '\t' || c == ',' || c == '\v' || c == '\f'; }

/* Splits [s, e) into fields; returns the count, stores at most max (start, length) pairs. */
static int split_fields(const char *s, const char *e, const char **starts, int *lens, int max) {
  int n = 0;
  while (s < e) {
    while (s < e && is_sep(*s)) s++;
    if (s >= e) break;
    const char *f = s;
    while (s < e && !is_sep(*s)) s++;
    if (n < max) {
      starts[n] = f;
      lens[n] = (int)(s - f);
    }
    n++;
  }
  return n;
}

static int parse_value(const char *s, int n, double *v) {
  char tmp[128];
  if (n <= 0 || n >= (int)sizeof tmp) return -1;
  memcpy(tmp, s, (size_t)n);
  tmp[n] = 0;
  if (strcmp(tmp, "True") == 0) return *v = 1, 0; /* Python str(bool) */
  if (strcmp(tmp, "False") == 0) return *v = 0, 0;
  char *end = NULL;
  errno = 0;
  double d = strtod(tmp, &end);
  if (end == tmp || *end) return -1;
  *v = d; /* overflow gives +-inf, as Python's float() would */
  return 0;
}

void cm_log_table_free(cm_log_table *t) {
  if (!t) return;
  for (int i = 0; i < t->num_cols; i++) {
    if (t->names) free(t->names[i]);
    if (t->cols) free(t->cols[i]);
  }
  free(t->names);
  free(t->cols);
  memset(t, 0, sizeof *t);
}

int cm_log_table_find(const cm_log_table *t, const char *name) {
  for (int i = 0; i < t->num_cols; i++)
    if (strcmp(t->names[i], name) == 0) return i;
  return -1;
}

int cm_log_parse(const char *text, size_t len, const char *name, cm_log_table *t, cm_err *err) {
  memset(t, 0, sizeof *t);
  const char **starts = NULL;
  int *lens = NULL;
  double *rows = NULL; /* row-major while reading */
  size_t rows_cap = 0;
  int ncols = 0, nrows = 0, line = 0, rc = 0;
  const char *p = text, *end = text + len;
  while (p < end) {
    const char *e = p;
    while (e < end && *e != '\r' && *e != '\n') e++;
    line++;
    /* A line ends at '\r' (MimicKit), '\n', or "\r\n" (counted as one). */
    const char *next = e;
    if (next < end) next += (*e == '\r' && e + 1 < end && e[1] == '\n') ? 2 : 1;

    int n = split_fields(p, e, starts, lens, ncols);
    if (n == 0) {
      p = next;
      continue;
    }
    if (ncols == 0) { /* header */
      ncols = n;
      starts = malloc((size_t)n * sizeof *starts);
      lens = malloc((size_t)n * sizeof *lens);
      t->names = calloc((size_t)n, sizeof *t->names);
      t->cols = calloc((size_t)n, sizeof *t->cols);
      if (!starts || !lens || !t->names || !t->cols) {
        rc = cm_fail(err, "%s: out of memory", name);
        goto done;
      }
      t->num_cols = n;
      split_fields(p, e, starts, lens, n);
      for (int i = 0; i < n; i++) {
        t->names[i] = strndup(starts[i], (size_t)lens[i]);
        if (!t->names[i]) {
          rc = cm_fail(err, "%s: out of memory", name);
          goto done;
        }
        double dummy;
        if (parse_value(starts[i], lens[i], &dummy) == 0) {
          rc = cm_fail(err, "%s:%d: header field %d is the number '%s'; the first line of a log must name the "
                            "columns", name, line, i + 1, t->names[i]);
          goto done;
        }
        for (int j = 0; j < i; j++)
          if (strcmp(t->names[j], t->names[i]) == 0) {
            rc = cm_fail(err, "%s:%d: column '%s' appears twice in the header", name, line, t->names[i]);
            goto done;
          }
      }
      p = next;
      continue;
    }
    if (n != ncols) {
      rc = cm_fail(err, "%s:%d: row has %d values but the header names %d columns", name, line, n, ncols);
      goto done;
    }
    if ((size_t)(nrows + 1) * (size_t)ncols > rows_cap) {
      size_t cap = rows_cap ? 2 * rows_cap : (size_t)ncols * 64;
      double *r = realloc(rows, cap * sizeof *r);
      if (!r) {
        rc = cm_fail(err, "%s: out of memory", name);
        goto done;
      }
      rows = r;
      rows_cap = cap;
    }
    for (int i = 0; i < ncols; i++)
      if (parse_value(starts[i], lens[i], &rows[(size_t)nrows * (size_t)ncols + (size_t)i])) {
        rc = cm_fail(err, "%s:%d: column '%s': '%.*s' is not a number", name, line, t->names[i],
                     lens[i] > 40 ? 40 : lens[i], starts[i]);
        goto done;
      }
    nrows++;
    p = next;
  }
  if (ncols == 0) {
    rc = cm_fail(err, "%s: empty log (no header line)", name);
    goto done;
  }
  for (int i = 0; i < ncols; i++) {
    t->cols[i] = malloc((size_t)(nrows > 0 ? nrows : 1) * sizeof(double));
    if (!t->cols[i]) {
      rc = cm_fail(err, "%s: out of memory", name);
      goto done;
    }
    for (int r = 0; r < nrows; r++) t->cols[i][r] = rows[(size_t)r * (size_t)ncols + (size_t)i];
  }
  t->num_rows = nrows;
done:
  free(starts);
  free(lens);
  free(rows);
  if (rc) cm_log_table_free(t);
  return rc;
}

int cm_log_read(const char *path, cm_log_table *t, cm_err *err) {
  memset(t, 0, sizeof *t);
  char *text = NULL;
  size_t len = 0;
  if (cm_read_file(path, &text, &len, err)) return -1;
  int rc = cm_log_parse(text, len, path, t, err);
  free(text);
  return rc;
}
