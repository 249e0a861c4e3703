/* TensorBoard event files (what tensorboardX's SummaryWriter writes for MimicKit's TBLogger):
 * out_dir/events.out.tfevents.<unix time>.<hostname>, scalars only.
 *
 * Written by this project: Debian 12 packages no C library that writes TensorFlow event files
 * (no TensorFlow, TensorBoard or tensorboardX C API; protobuf-c would need a .proto and a code
 * generator for three tiny messages), so the two layers are encoded here by hand:
 *  - TFRecord framing, per record: uint64 length (little endian), uint32 masked CRC32C of those
 *    8 bytes, the data, uint32 masked CRC32C of the data. mask(c) = ((c >> 15) | (c << 17)) +
 *    0xa282ead8; CRC32C is the Castagnoli CRC (reflected polynomial 0x82f63b78).
 *  - each record an Event protobuf: wall_time (1, double), step (2, int64), file_version
 *    (3, string, "brain.Event:2" in the first record only) or summary (5, Summary), where
 *    Summary = repeated value (1, Value) and Value = tag (1, string), simple_value (2, float).
 * One cm_tb_write_row is one Event holding every value of a log row at one step, written with
 * a single write() on an O_APPEND descriptor and flushed to disk, so a crash leaves whole
 * records only (TensorBoard stops reading at a torn tail). */
#ifndef CM_IO_TB_EVENTS_H
#define CM_IO_TB_EVENTS_H
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

typedef struct cm_tb cm_tb;

/* Creates dir/events.out.tfevents.<unix time>.<hostname> and writes its file_version record. */
int cm_tb_open(const char *dir, cm_tb **tb, cm_err *err);
void cm_tb_close(cm_tb *tb);
const char *cm_tb_path(const cm_tb *tb);

/* One Event at step with a Summary of n scalars tags[i] = values[i] (stored as float32). */
int cm_tb_write_row(cm_tb *tb, int64_t step, int n, const char *const *tags, const double *values, cm_err *err);

/* CRC32C (Castagnoli) of data, continuing from crc (0 to start); and TFRecord's mask of it. */
uint32_t cm_crc32c(uint32_t crc, const void *data, size_t len);
uint32_t cm_crc32c_masked(const void *data, size_t len);
#endif
