/* RGB pictures as PNG files (libpng), written atomically, and contact sheets: several
 * frames of a video shrunk and tiled into one picture for a quick look. */
#ifndef CM_RENDER_PNG_H
#define CM_RENDER_PNG_H
#include "core/err.h"

/* rgb: width*height*3 bytes, top row first. */
int cm_png_write_rgb(const char *path, const unsigned char *rgb, int width, int height, cm_err *err);
/* Reads any PNG as 8-bit RGB; *rgb is malloc'd (the caller frees it). */
int cm_png_read_rgb(const char *path, unsigned char **rgb, int *width, int *height, cm_err *err);

/* Gap in pixels between (and around) the tiles of a contact sheet, filled with a dark grey. */
#define CM_SHEET_GAP 2
/* Tiles k frames of width x height (RGB) into a grid of `cols` columns and ceil(k/cols) rows,
 * each shrunk (box filter) to tile_w wide and tile_w*height/width tall. *out is malloc'd;
 * *out_w = cols*tile_w + (cols+1)*CM_SHEET_GAP, likewise *out_h with the rows. */
int cm_contact_sheet(const unsigned char *const *frames, int k, int width, int height, int cols, int tile_w,
                     unsigned char **out, int *out_w, int *out_h, cm_err *err);
/* cm_contact_sheet written to a PNG file. */
int cm_png_write_contact_sheet(const char *path, const unsigned char *const *frames, int k, int width, int height,
                               int cols, int tile_w, cm_err *err);
/* The contact sheet that goes with a video: "dir/run.mp4" -> "dir/run.png" (the extension
 * replaced; ".png" appended when the name has none). Returns -1 if it does not fit in n. */
int cm_contact_sheet_path(const char *video_path, char *out, size_t n, cm_err *err);
#endif
