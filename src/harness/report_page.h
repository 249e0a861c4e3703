/* HTML writing for the report pages (harness/report.h): a page buffer with escaping, links
 * made relative to the page's folder, thumbnails, learning curves drawn by the plot code, and the
 * page frame. Shared by the training-folder and harness-root pages. */
#ifndef CM_HARNESS_REPORT_PAGE_H
#define CM_HARNESS_REPORT_PAGE_H
#include <limits.h>
#include <stddef.h>
#include "core/bytebuf.h"
#include "core/err.h"

typedef struct cm_page {
  cm_buf b;
  const char *dir;         /* the folder the page is written into, as given */
  char dir_real[PATH_MAX]; /* its real path, to turn file paths into relative links */
} cm_page;

void cm_page_put(cm_page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text with the five HTML specials escaped (safe in elements and quoted attributes). */
void cm_page_esc(cm_page *pg, const char *s);
/* A number with fmt, or "-" when not finite. */
void cm_page_num(cm_page *pg, double v, const char *fmt);
/* Modification time in seconds, -1 when missing. */
double cm_mtime_of(const char *path);
/* The href of an existing file: relative when inside the page's folder, else file://; 0 when missing. */
int cm_page_href(const cm_page *pg, const char *path, char *out, size_t n);
/* <a href=...>text</a>, or the text greyed out when the file is missing. */
void cm_page_link(cm_page *pg, const char *path, const char *text);
/* A linked thumbnail of an existing image (nothing when missing). */
void cm_page_image(cm_page *pg, const char *path, const char *alt, int width);
/* The contact sheet path of a video (0 when it has one). */
int cm_sheet_of(const char *video, char *out, size_t n);
/* Names in dir ending with suffix, sorted; free with cm_list_free. */
int cm_list_dir(const char *dir, const char *suffix, char ***out);
void cm_list_free(char **names, int n);
/* The learning curves of log_path drawn into png (when the log is newer), shown as a thumbnail,
 * or a line saying why there are none. */
void cm_page_curves(cm_page *pg, const char *log_path, const char *png, const char *title, int width);
/* The document head (refresh > 0: reload every refresh seconds), the title as h1; the footer. */
void cm_page_head(cm_page *pg, const char *title, int refresh);
void cm_page_foot(cm_page *pg);

/* The NR scale of a training folder, from its env_config.yaml and engine_config.yaml copies:
 * for DeepMimic envs the best possible episode return, episode_length x control_freq x the sum
 * of the five reward weights (bench/learn.sh's NR = Test_Return / that); NAN for other envs or
 * when the copies are missing. */
double cm_report_nr_scale(const char *train_dir);

/* The page of a training output folder (pg->dir has log.txt). */
void cm_report_training_page(cm_page *pg);
#endif
