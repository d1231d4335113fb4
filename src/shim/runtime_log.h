/* What the OCI runtime said when it failed.
 *
 * The shim runs the runtime with `--log STATE/runtime.log --log-format json`:
 * runc and berth-runtime write one {"level":"error","msg":"...","time":"..."}
 * object per line, crun writes {"msg": "...", "level": "error", ...}.  The
 * message a caller wants is the "msg" of the last error line.  This is not a
 * JSON parser: it reads flat objects of string (and bare) values, which is
 * all a runtime log line is, and skips any line it does not understand.
 */
#pragma once

#include <stddef.h>

/* The "msg" of the last line of buf whose "level" is "error" or "fatal",
 * decoded (escapes, \uXXXX as UTF-8) into out as one line (line breaks become
 * spaces), NUL-terminated and truncated to fit.  Returns its length; 0 when
 * no such line was found. */
size_t shim_runtime_log_last_error(const char *buf, size_t len, char *out, size_t size);

/* The last non-empty line of free text (a runtime's stderr) into out, as
 * above: trimmed of surrounding white space and control characters. */
size_t shim_last_text_line(const char *buf, size_t len, char *out, size_t size);
