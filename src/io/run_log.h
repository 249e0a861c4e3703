/* Training log in MimicKit's format (mimickit/util/logger.py): a console table printed every
 * iteration and out_dir/log.txt, one row per output interval.
 *
 * log.txt: every field, header names and values alike, is left-justified in 25 characters
 * (Python "{:<25}"), the last one too, and every line ends with a single '\r' (MimicKit writes
 * "\r", not "\n"; its plot_log.py and numpy read that with universal newlines). Values are
 * written as Python's str(): integers as digits, floats as the shortest string that reads
 * back to the same double ("0.1", "1e-05", "1500000.0", "nan", "inf").
 *
 * Console table (print_log): a rule of 22 + K dashes, then "| %Ks | %15s |" per key that is
 * not quiet, then the rule again; K is the longest registered key. Floats are "%8.3g",
 * integers their digits.
 *
 * Keys are registered in the order of their first cm_log_set before the first row is written;
 * that order is the column order. A new key after the first row is an error (MimicKit asserts).
 * A key not set in a later iteration keeps its last value (MimicKit never clears the row).
 *
 * Crash safety: each row (the header too) is written with one write() on an O_APPEND
 * descriptor followed by fdatasync(), so a crash leaves whole rows only; on resume a torn tail
 * (bytes after the last line end, possible only if the process died inside that write) is cut
 * off before appending. */
#ifndef CM_IO_RUN_LOG_H
#define CM_IO_RUN_LOG_H
#include <stdio.h>
#include "core/err.h"

/* Width of every log.txt field; a key must be shorter so columns stay separated. */
#define CM_LOG_COL_WIDTH 25

enum {
  CM_LOG_FLOAT = 0, /* printed "%8.3g" on the console, shortest round-trip in log.txt */
  CM_LOG_INT = 1,   /* an integer count (Iteration, Samples, episodes): printed as digits */
  CM_LOG_QUIET = 2, /* written to log.txt but left out of the console table */
};

typedef struct cm_log cm_log;

/* Opens a log. out_path NULL: console only (write_row only counts rows). append = 0 truncates
 * an existing file (MimicKit opens it with 'w'); append = 1 (resume) keeps its rows: its header
 * must then equal this run's keys, checked at the first cm_log_write_row, and is not repeated.
 * Parent folders are created. */
int cm_log_open(const char *out_path, int append, cm_log **log, cm_err *err);
void cm_log_close(cm_log *log);

/* Sets the current value of key (a float, shown on the console). */
int cm_log_set(cm_log *log, const char *key, double value, cm_err *err);
/* Same with CM_LOG_* flags, e.g. CM_LOG_INT | CM_LOG_QUIET. */
int cm_log_set_ex(cm_log *log, const char *key, double value, unsigned flags, cm_err *err);

/* Prints the console table of the current values. */
void cm_log_print_table(const cm_log *log, FILE *out);
/* The same with console-only rows at the end (e.g. progress and ETA), never written to log.txt. */
void cm_log_print_table_ex(const cm_log *log, FILE *out, int n_extra, const char *const *extra_keys,
                           const char *const *extra_vals);
/* Appends the current values as one row of log.txt (and the header first if needed). Returns
 * -1 on a usage error (no values set, a resumed header that does not match) and CM_LOG_IO_ERROR
 * when the disk refused the row (full, I/O error): the file then still holds whole rows only. */
#define CM_LOG_IO_ERROR (-2)
int cm_log_write_row(cm_log *log, cm_err *err);

int cm_log_num_keys(const cm_log *log);
const char *cm_log_key(const cm_log *log, int i);
/* Current value of key i (NAN when out of range). */
double cm_log_value(const cm_log *log, int i);
/* Rows written by this process / rows already in the file when it was opened for append. */
int cm_log_rows_written(const cm_log *log);
int cm_log_rows_existing(const cm_log *log);
/* Bytes of a torn last row cut off when opening for append (0 normally). */
size_t cm_log_repaired_bytes(const cm_log *log);

/* Python str() of a float: the shortest decimal that reads back to v, in Python's layout.
 * buf needs 32 bytes. Returns buf. */
char *cm_log_format_float(double v, char buf[32]);

/* A parsed log.txt: column-major values, names in header order. */
typedef struct cm_log_table {
  int num_cols, num_rows;
  char **names;   /* [num_cols] */
  double **cols;  /* [num_cols][num_rows] */
} cm_log_table;

/* Reads a log.txt: first non-empty line the column names, then one row of numbers per line.
 * Lines may end with '\r' (MimicKit), '\n' or "\r\n"; fields are separated by blanks (or commas,
 * as plot_log.py accepts). Values: numbers, nan, inf, True/False. Errors name the file and line. */
int cm_log_read(const char *path, cm_log_table *t, cm_err *err);
/* The same on text in memory; name is used in messages. */
int cm_log_parse(const char *text, size_t len, const char *name, cm_log_table *t, cm_err *err);
/* Index of a column, or -1. */
int cm_log_table_find(const cm_log_table *t, const char *name);
void cm_log_table_free(cm_log_table *t);
#endif
