/* The one error idiom of berth.
 *
 * A fallible function returns 0 (or a non-negative result) on success and a
 * negative errno on failure, after filling the caller's struct berth_error
 * with a message that says what failed, on what, and why:
 *
 *     return berth_error_sys(err, errno, "mount %s on %s", src, dst);
 *         -> "mount proc on /run/x/rootfs/proc: Operation not permitted"
 *
 * Callers add context on the way up with berth_error_wrap().  The message is
 * kept inline (no allocation), so the object can be filled in a forked child
 * and shipped to the parent as plain bytes.
 */
#pragma once

#include <stddef.h>

#define BERTH_ERROR_MAX 2048

struct berth_error {
	int code; /* positive errno value; 0 when no error is recorded */
	char msg[BERTH_ERROR_MAX];
};

#define BERTH_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Record an error: the message is the formatted text. Returns -code. */
int berth_error_set(struct berth_error *err, int code, const char *fmt, ...) BERTH_PRINTF(3, 4);

/* Record an error caused by a failed system call: the message is the
 * formatted text followed by ": " and strerror(code). Returns -code. */
int berth_error_sys(struct berth_error *err, int code, const char *fmt, ...) BERTH_PRINTF(3, 4);

/* Prefix the recorded message with "<formatted text>: ". Returns -code. */
int berth_error_wrap(struct berth_error *err, const char *fmt, ...) BERTH_PRINTF(2, 3);

void berth_error_clear(struct berth_error *err);

/* Normalise a negative return into a recorded error, for callers of helpers
 * that return -errno without filling an error object. */
static inline int berth_error_code(const struct berth_error *err)
{
	return err->code > 0 ? err->code : 1;
}
