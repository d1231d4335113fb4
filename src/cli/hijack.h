/* Connections of their own to the daemon, for what the client's one
 * libcurl handle does not do:
 *   - attach, hijacked as the docker CLI does it: "Connection: Upgrade",
 *     "Upgrade: tcp", an HTTP 101 answer (200 from old daemons), then the
 *     socket carries the container's raw bytes both ways;
 *   - a request whose answer is read later, on its own time: the wait that
 *     `run` sends before it starts the container and reads after the
 *     output ended;
 *   - a body read piece by piece as it comes (`logs -f`).
 *
 * A plain socket (unix or TCP, from the client's host) and HTTP/1.1 written
 * and read here: the request line with the client's negotiated /vX.Y
 * prefix, the answer's status and headers, then the body as it is framed
 * (Content-Length, chunked, or up to the end of the connection).  Errors
 * are worded as client.h words them ("Error response from daemon: ...").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "client.h"
#include "error.h"

struct berth_conn;

/* Connect to the client's daemon (negotiating its API version first if
 * that was not done yet). */
int berth_conn_open(struct berth_client *c, struct berth_conn **ret, struct berth_error *err);
void berth_conn_free(struct berth_conn *conn);
static inline void berth_conn_freep(struct berth_conn **conn)
{
	berth_conn_free(*conn);
}
#define _cleanup_conn_ __attribute__((cleanup(berth_conn_freep)))

/* Send one request (path without the version prefix; body NULL for none)
 * and read the answer's status line and headers.  upgrade asks for the
 * hijack.  A status >= 400 reads the body and returns its error, with the
 * errno of the status (ENOENT for 404, EBUSY 409, EINVAL 400, EIO...). */
int berth_conn_request(struct berth_conn *conn, const char *method, const char *path, const char *body, bool upgrade,
		       struct berth_error *err);

long berth_conn_status(const struct berth_conn *conn);
/* The socket, to poll; bytes may already wait in the connection's buffer
 * (berth_conn_buffered), to be read before polling. */
int berth_conn_fd(const struct berth_conn *conn);
size_t berth_conn_buffered(const struct berth_conn *conn);

/* Up to len bytes of the body (of the raw stream after a hijack): > 0,
 * 0 at its end, or a negative errno.  Blocks only when nothing is
 * buffered. */
ssize_t berth_conn_read(struct berth_conn *conn, char *buf, size_t len, struct berth_error *err);

/* The whole body, NUL-terminated, at most max bytes. */
int berth_conn_read_all(struct berth_conn *conn, size_t max, char **ret, size_t *ret_len, struct berth_error *err);
