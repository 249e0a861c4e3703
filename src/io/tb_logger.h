/* MimicKit's TBLogger naming on top of the event-file writer: each log.txt row becomes one
 * TensorBoard event at step = the row's Samples, with every other column as a scalar tagged
 * "<collection>/<key>": 0_Main (returns and episode lengths), 1_Info (Iteration, Wall_Time,
 * episode counts), Misc (losses and everything else), as base_agent.py assigns them. */
#ifndef CM_IO_TB_LOGGER_H
#define CM_IO_TB_LOGGER_H
#include <stddef.h>
#include "io/run_log.h"
#include "io/tb_events.h"

/* The TensorBoard tag of a log column, e.g. "0_Main/Test_Return". Returns buf. */
const char *cm_tb_tag(const char *key, char *buf, size_t n);
/* Writes the log's current row (the one cm_log_write_row just wrote) to tb. */
int cm_tb_write_log_row(cm_tb *tb, const cm_log *log, cm_err *err);
#endif
