/* The report page: DIR/index.html, one self-contained page (no script, nothing fetched from
 * the network; images and videos are relative links into DIR), written atomically.
 *
 *  - A training output folder (it has log.txt): the learning curves as a PNG drawn by the
 *    plot code (DIR/report_curves.png: Test_Return and Train_Return against Samples), the last
 *    log row, the figures (*.png) in DIR, the latest video (*.mp4) with its contact sheet, and
 *    links to the files.
 *  - A harness root (it has best_by_case.tsv or progress.json): the run's state (counts, current
 *    case and stage, elapsed, ETA, last failure), then one row per case with its status, stage,
 *    attempts, best env count, samples/s, GPU utilisation min/avg, Mean Return and links to its
 *    logs, curves (ROOT/report/<case>.png, redrawn when the log is newer) and video. While the
 *    run is live (progress.json neither finished nor interrupted) the page reloads itself
 *    (meta refresh). The harness rewrites it with progress.json, after every stage. */
#ifndef CM_HARNESS_REPORT_H
#define CM_HARNESS_REPORT_H
#include "core/err.h"

/* Seconds between reloads of a live harness page. */
#define CM_REPORT_REFRESH_S 15

/* Writes dir/index.html for a training folder or a harness root; out (may be NULL) gets its path. */
int cm_report_write(const char *dir, char *out, unsigned long cap, cm_err *err);
/* `cmimic report DIR`. */
int cm_cmd_report(int argc, char **argv);
#endif
