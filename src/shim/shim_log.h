/* The shim's own diagnostics: STATE/shim.log, one text line per event.
 *
 * The shim's stdio is /dev/null (it outlives whoever started it), so this
 * file is where a failure that no client asked about is told: a log write
 * dropped, an attacher cut off, a runtime command that failed on the way
 * out.  berth_log (src/common/log.c) is not used because its JSON mode
 * links jansson, and the shim links only libc.
 */
#pragma once

#include "error.h"

/* Append to path (created 0600); until then, and if it cannot be opened,
 * messages are dropped. */
void shim_log_open(const char *path);
void shim_log(const char *level, const char *fmt, ...) BERTH_PRINTF(2, 3);

#define shim_warn(...) shim_log("warning", __VA_ARGS__)
#define shim_info(...) shim_log("info", __VA_ARGS__)
