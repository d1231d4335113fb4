/* The shim's wire formats that outsiders write: the control request line and
 * the attach header.  Pure functions (no I/O, no allocation), kept apart so
 * that tests/fuzz/fuzz_shim_request.c can drive them with any bytes.
 *
 * Control requests (one line per connection on control.sock, no '\n' here):
 *     start
 *     kill SIGNAL [all]
 *     resize ROWS COLS
 *     resize-exec EXECID ROWS COLS
 *     close-stdin
 *     wait
 *     exec EXECID PROCESS_JSON_PATH [tty] [stdin]
 *     wait-exec EXECID
 *     kill-exec EXECID SIGNAL
 *     state
 * Attach header (first line on attach.sock / exec-EXECID.sock):
 *     attach [stdin] [stdout] [stderr]
 *
 * Words are separated by one or more spaces.  Optional words may come in any
 * order but only once: a request that names something twice was built by a
 * confused client, and guessing which one it meant is worse than refusing.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* An exec id names files in the state directory (exec-EXECID.sock, .exit,
 * .pid), so it is a plain file-name word: docker's are 64 hex digits. */
#define SHIM_EXEC_ID_MAX 128
/* The longest control request line: "exec", an id, a path and the options. */
#define SHIM_REQUEST_MAX (PATH_MAX + SHIM_EXEC_ID_MAX + 64)
/* The longest attach header line. */
#define SHIM_ATTACH_HEADER_MAX 64

enum shim_request_kind {
	SHIM_REQUEST_START,
	SHIM_REQUEST_KILL,
	SHIM_REQUEST_RESIZE,
	SHIM_REQUEST_RESIZE_EXEC,
	SHIM_REQUEST_CLOSE_STDIN,
	SHIM_REQUEST_WAIT,
	SHIM_REQUEST_EXEC,
	SHIM_REQUEST_WAIT_EXEC,
	SHIM_REQUEST_KILL_EXEC,
	SHIM_REQUEST_STATE,
};

struct shim_request {
	enum shim_request_kind kind;
	char exec_id[SHIM_EXEC_ID_MAX + 1]; /* resize-exec, exec, wait-exec, kill-exec */
	int signal;                         /* kill, kill-exec: 1 .. SIGRTMAX */
	bool all;                           /* kill: every process of the container */
	unsigned short rows, cols;          /* resize, resize-exec */
	char process_path[PATH_MAX];        /* exec: absolute path of the process JSON */
	bool tty, stdin;                    /* exec */
};

struct shim_attach_request {
	bool want_stdin, want_stdout, want_stderr;
};

/* Parse one request line of `len` bytes (without its '\n'). */
int shim_request_parse(const char *line, size_t len, struct shim_request *ret, struct berth_error *err);

/* Parse one attach header line of `len` bytes (without its '\n'). */
int shim_attach_parse(const char *line, size_t len, struct shim_attach_request *ret, struct berth_error *err);

/* Is `id` usable as an exec id (see SHIM_EXEC_ID_MAX)? */
bool shim_exec_id_valid(const char *id);
