/* MP4 video writer: raw RGB frames are streamed to an ffmpeg child process (H.264, yuv420p).
 * The file appears under its final name only after ffmpeg has finished successfully
 * (it is written to a temporary name and renamed), a dead ffmpeg is reported as an error
 * rather than a SIGPIPE, and the child is always reaped. */
#ifndef CM_RENDER_VIDEO_H
#define CM_RENDER_VIDEO_H
#include "core/err.h"

typedef struct cm_video cm_video;

/* Starts ffmpeg (found on PATH) writing path. width and height must be even (yuv420p). */
int cm_video_open(const char *path, int width, int height, int fps, cm_video **out, cm_err *err);
/* Appends one frame: width*height*3 bytes, top row first. */
int cm_video_write(cm_video *v, const unsigned char *rgb, cm_err *err);
/* Ends the stream, waits for ffmpeg and moves the file into place; frees v in every case.
 * On failure nothing is left at path or at the temporary name. */
int cm_video_close(cm_video *v, cm_err *err);
/* Stops ffmpeg, removes the partial file and frees v (for error paths of the caller). */
void cm_video_abort(cm_video *v);
/* Frames written so far. */
long cm_video_frames(const cm_video *v);
/* 1 if an executable named `name` is on PATH. */
int cm_have_program(const char *name);
#endif
