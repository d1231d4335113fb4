/* The Docker Engine API client of the berth command.
 *
 * HTTP/1.1 over a unix socket (unix:///run/berth/berth.sock) or plain TCP
 * (tcp://host:port) through libcurl, one connection kept alive for the
 * whole command.  Before the first call the API version is negotiated as
 * the docker CLI does: GET /_ping, take its API-Version header ("1.24" when
 * there is none), and use the lower of it and BERTH_CLIENT_API_VERSION as
 * the /vX.Y prefix of every path; $DOCKER_API_VERSION fixes the version
 * and skips the ping.
 *
 * Errors are worded as the docker CLI words them, so that a user sees the
 * same text from either:
 *   - a status >= 400: "Error response from daemon: <message of the JSON
 *     body>" (the body itself when it is not JSON);
 *   - no connection: "Cannot connect to the berth daemon at
 *     unix:///run/berth/berth.sock. Is the daemon running?" (-ECONNREFUSED).
 * The errno of an error status says which: ENOENT 404, EEXIST/EBUSY 409,
 * EACCES 401/403, EINVAL 400, EIO otherwise.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "jsonstream.h"

#define BERTH_CLIENT_DEFAULT_HOST "unix:///run/berth/berth.sock"
/* The newest API version berth speaks. */
#define BERTH_CLIENT_API_VERSION "1.47"
/* Without an API-Version header, docker assumes the last version before it. */
#define BERTH_CLIENT_API_FALLBACK "1.24"
/* Bodies read whole (lists, inspect) are bounded. */
#define BERTH_CLIENT_BODY_MAX (256 * 1024 * 1024)

struct berth_client;

/* host: "unix:///path", "tcp://host[:port]" (port 2375 by default) or
 * "http://host[:port]"; anything else is refused.  debug logs each request
 * on stderr. */
int berth_client_new(const char *host, bool debug, struct berth_client **ret, struct berth_error *err);
void berth_client_free(struct berth_client *c);
static inline void berth_client_freep(struct berth_client **c)
{
	berth_client_free(*c);
}
#define _cleanup_client_ __attribute__((cleanup(berth_client_freep)))

const char *berth_client_host(const struct berth_client *c);

/* What GET /_ping says (negotiating if not done yet). */
struct berth_ping {
	const char *api_version; /* as the server said it, or "" */
	const char *os_type;
	bool experimental;
};
int berth_client_ping(struct berth_client *c, struct berth_ping *ret, struct berth_error *err);

/* The version in use ("1.41"); negotiates first when needed. */
int berth_client_api_version(struct berth_client *c, const char **ret, struct berth_error *err);

struct berth_request {
	const char *method; /* "GET" when NULL */
	const char *path;   /* "/images/json?all=1": without the version prefix */
	const char *body;   /* NULL: no body */
	size_t body_len;
	const char *content_type;  /* with a body; "application/json" when NULL */
	const char *registry_auth; /* X-Registry-Auth, or NULL */
	/* Instead of body: stream the body from this descriptor, chunked, to
	 * its end (a tar on stdin for import or cp). */
	bool body_from_fd;
	int body_fd;
	/* When not NULL: receives the X-Docker-Container-Path-Stat header of
	 * the answer (the archive routes), malloc'd, or NULL without one. */
	char **path_stat;
};

struct berth_response {
	long status;
	char *body; /* NUL-terminated, may hold NULs */
	size_t len;
};
void berth_response_clear(struct berth_response *r);
#define _cleanup_response_ __attribute__((cleanup(berth_response_clear)))

/* One request; the whole body is read.  A status >= 400 is an error (the
 * response is filled anyway, for callers that look at the status). */
int berth_client_do(struct berth_client *c, const struct berth_request *req, struct berth_response *ret,
		    struct berth_error *err);

/* The same, with the body parsed as JSON into *ret (ret may be NULL when the
 * answer does not matter). */
int berth_client_do_json(struct berth_client *c, const struct berth_request *req, json_t **ret,
			 struct berth_error *err);

/* A request answered with a stream of JSON messages (pull, events): cb runs
 * for each message as soon as it has arrived whole.  A negative return
 * from cb stops the stream and is returned. */
typedef int (*berth_client_message_cb)(void *userdata, const struct berth_jsonmessage *m, struct berth_error *err);
int berth_client_stream(struct berth_client *c, const struct berth_request *req, berth_client_message_cb cb,
			void *userdata, struct berth_error *err);

/* A request whose answer is a byte stream (export, archives): a status
 * below 400 has its body written to out_fd as it arrives; an error status
 * is reported as berth_client_do reports it. */
int berth_client_download(struct berth_client *c, const struct berth_request *req, int out_fd,
			  struct berth_error *err);

/* ---- building paths ---- */

/* A path with a query string, grown by the functions below. */
struct berth_path {
	char *s;
	size_t len, cap;
	bool has_query;
	bool failed; /* out of memory at some point: the path is unusable */
};

/* Start with a literal path ("/images/json"). */
void berth_path_init(struct berth_path *p, const char *path);
/* Append a path segment escaped for the URL (an image name such as
 * "localhost:5000/a/b:tag" stays readable: only what URLs forbid is
 * %-encoded). */
void berth_path_segment(struct berth_path *p, const char *segment);
/* Append literal text ("/json"). */
void berth_path_append(struct berth_path *p, const char *text);
/* Append "?key=value" or "&key=value", both %-encoded. */
void berth_path_query(struct berth_path *p, const char *key, const char *value);
/* Append "?key=<compact JSON of value>" (the API's filters), unless value
 * is NULL or an empty object. */
void berth_path_query_json(struct berth_path *p, const char *key, json_t *value);
/* The finished path, or NULL when memory ran out (err filled). */
const char *berth_path_get(struct berth_path *p, struct berth_error *err);
void berth_path_clear(struct berth_path *p);
#define _cleanup_path_ __attribute__((cleanup(berth_path_clear)))
