#include "render/png.h"

#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"

static int check_size(const char *what, int width, int height, cm_err *err) {
  if (width < 1 || height < 1 || width > 65535 || height > 65535)
    return cm_fail(err, "%s: picture size %dx%d is outside 1x1 .. 65535x65535", what, width, height);
  return 0;
}

int cm_png_write_rgb(const char *path, const unsigned char *rgb, int width, int height, cm_err *err) {
  if (!path || !rgb) return cm_fail(err, "cm_png_write_rgb: missing path or pixels");
  if (check_size(path, width, height, err)) return -1;
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = (png_uint_32)width;
  img.height = (png_uint_32)height;
  img.format = PNG_FORMAT_RGB;
  /* Encode in memory first so the file itself is written in one atomic step. */
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&img, NULL, &size, 0, rgb, 0, NULL))
    return cm_fail(err, "%s: PNG encoding failed: %s", path, img.message);
  void *buf = malloc(size);
  if (!buf) return cm_fail(err, "%s: out of memory for %zu PNG bytes", path, (size_t)size);
  if (!png_image_write_to_memory(&img, buf, &size, 0, rgb, 0, NULL)) {
    free(buf);
    return cm_fail(err, "%s: PNG encoding failed: %s", path, img.message);
  }
  int rc = cm_write_file_atomic(path, buf, size, err);
  free(buf);
  return rc;
}

int cm_png_read_rgb(const char *path, unsigned char **rgb, int *width, int *height, cm_err *err) {
  *rgb = NULL;
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path)) return cm_fail(err, "%s: cannot read PNG: %s", path, img.message);
  img.format = PNG_FORMAT_RGB;
  size_t n = PNG_IMAGE_SIZE(img);
  unsigned char *buf = malloc(n ? n : 1);
  if (!buf) {
    png_image_free(&img);
    return cm_fail(err, "%s: out of memory for %ux%u pixels", path, img.width, img.height);
  }
  if (!png_image_finish_read(&img, NULL, buf, 0, NULL)) {
    free(buf);
    return cm_fail(err, "%s: cannot decode PNG: %s", path, img.message);
  }
  *rgb = buf;
  *width = (int)img.width;
  *height = (int)img.height;
  return 0;
}

/* Averages the source pixels that fall in each destination pixel (box filter). */
static void shrink(const unsigned char *src, int sw, int sh, unsigned char *dst, int dw, int dh, int dst_stride) {
  for (int y = 0; y < dh; y++) {
    int y0 = (int)((int64_t)y * sh / dh), y1 = (int)((int64_t)(y + 1) * sh / dh);
    if (y1 <= y0) y1 = y0 + 1;
    for (int x = 0; x < dw; x++) {
      int x0 = (int)((int64_t)x * sw / dw), x1 = (int)((int64_t)(x + 1) * sw / dw);
      if (x1 <= x0) x1 = x0 + 1;
      uint32_t sum[3] = {0, 0, 0}, cnt = 0;
      for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++, cnt++)
          for (int c = 0; c < 3; c++) sum[c] += src[((size_t)yy * (size_t)sw + (size_t)xx) * 3 + (size_t)c];
      for (int c = 0; c < 3; c++)
        dst[(size_t)y * (size_t)dst_stride + (size_t)x * 3 + (size_t)c] = (unsigned char)((sum[c] + cnt / 2) / cnt);
    }
  }
}

int cm_contact_sheet(const unsigned char *const *frames, int k, int width, int height, int cols, int tile_w,
                     unsigned char **out, int *out_w, int *out_h, cm_err *err) {
  *out = NULL;
  if (!frames || k < 1) return cm_fail(err, "cm_contact_sheet: no frames");
  if (check_size("cm_contact_sheet", width, height, err)) return -1;
  if (cols < 1 || tile_w < 1) return cm_fail(err, "cm_contact_sheet: cols %d and tile_w %d must be >= 1", cols, tile_w);
  for (int i = 0; i < k; i++)
    if (!frames[i]) return cm_fail(err, "cm_contact_sheet: frame %d is missing", i);
  if (cols > k) cols = k;
  int rows = (k + cols - 1) / cols;
  int tile_h = (int)((int64_t)tile_w * height / width);
  if (tile_h < 1) tile_h = 1;
  int64_t w = (int64_t)cols * tile_w + (int64_t)(cols + 1) * CM_SHEET_GAP;
  int64_t h = (int64_t)rows * tile_h + (int64_t)(rows + 1) * CM_SHEET_GAP;
  if (w > 65535 || h > 65535) return cm_fail(err, "cm_contact_sheet: sheet %lldx%lld is too large", (long long)w, (long long)h);
  unsigned char *sheet = malloc((size_t)(w * h * 3));
  if (!sheet) return cm_fail(err, "cm_contact_sheet: out of memory");
  memset(sheet, 40, (size_t)(w * h * 3));
  int stride = (int)w * 3;
  for (int i = 0; i < k; i++) {
    int r = i / cols, c = i % cols;
    size_t x0 = (size_t)(CM_SHEET_GAP + c * (tile_w + CM_SHEET_GAP));
    size_t y0 = (size_t)(CM_SHEET_GAP + r * (tile_h + CM_SHEET_GAP));
    shrink(frames[i], width, height, sheet + y0 * (size_t)stride + x0 * 3, tile_w, tile_h, stride);
  }
  *out = sheet;
  *out_w = (int)w;
  *out_h = (int)h;
  return 0;
}

int cm_png_write_contact_sheet(const char *path, const unsigned char *const *frames, int k, int width, int height,
                               int cols, int tile_w, cm_err *err) {
  unsigned char *sheet = NULL;
  int w = 0, h = 0;
  if (cm_contact_sheet(frames, k, width, height, cols, tile_w, &sheet, &w, &h, err))
    return cm_wrap(err, "%s", path);
  int rc = cm_png_write_rgb(path, sheet, w, h, err);
  free(sheet);
  return rc;
}

int cm_contact_sheet_path(const char *video_path, char *out, size_t n, cm_err *err) {
  if (!video_path || !*video_path) return cm_fail(err, "cm_contact_sheet_path: empty video path");
  const char *slash = strrchr(video_path, '/');
  const char *base = slash ? slash + 1 : video_path;
  const char *dot = strrchr(base, '.');
  size_t stem = dot && dot != base ? (size_t)(dot - video_path) : strlen(video_path);
  if (stem + 5 > n) return cm_fail(err, "%s: path too long for its contact sheet name", video_path);
  memcpy(out, video_path, stem);
  memcpy(out + stem, ".png", 5);
  if (strcmp(out, video_path) == 0)
    return cm_fail(err, "%s: the video path is already a .png; its contact sheet would overwrite it", video_path);
  return 0;
}
