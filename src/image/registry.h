/* A client of one repository on an OCI distribution registry (libcurl).
 *
 * Opening probes /v2/: that settles the scheme (an insecure registry is
 * tried over HTTPS without verification first, then plain HTTP, as docker
 * does) and the authentication the registry wants.  Requests that get 401
 * answer the challenge (Bearer: a token from the realm, cached per scope;
 * Basic: the credentials) and are sent again.  A client may be used by
 * several threads at once: each request has its own curl handle, and
 * connections are shared. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"
#include "registry_auth.h"

struct berth_registry_options {
	const char *host;       /* "registry-1.docker.io", "127.0.0.1:5000" */
	const char *repository; /* "library/busybox" */
	bool insecure;
	const char *certs_dir;  /* per-registry TLS files: <certs_dir>/<host>/{*.crt,*.cert,*.key} */
	const struct berth_registry_credentials *credentials; /* NULL: anonymous */
	/* Asked while transfers run; true stops them (ECANCELED).  May be NULL. */
	bool (*cancelled)(void *ctx);
	void *cancel_ctx;
	bool push;              /* ask tokens for push as well as pull */
};

struct berth_registry;

int berth_registry_open(const struct berth_registry_options *opts, struct berth_registry **ret,
			struct berth_error *err);
void berth_registry_free(struct berth_registry *reg);

/* "https" or "http", as the probe settled. */
const char *berth_registry_scheme(const struct berth_registry *reg);

struct berth_registry_manifest {
	char *body;
	size_t len;
	char *media_type; /* the Content-Type of the answer */
	char digest[BERTH_DIGEST_MAX];
};
void berth_registry_manifest_clear(struct berth_registry_manifest *m);

/* GET the manifest of a tag or digest.  Bodies over max bytes are refused
 * (EFBIG).  Fetched by digest, the body must hash to it; by tag, its digest
 * is computed, and a Docker-Content-Digest that disagrees is an error. */
int berth_registry_get_manifest(struct berth_registry *reg, const char *reference, size_t max,
				struct berth_registry_manifest *ret, struct berth_error *err);

/* Receives blob data in order; a negative return stops the download. */
typedef int (*berth_registry_sink)(void *ctx, const void *data, size_t len, struct berth_error *err);

/* GET a blob from byte `offset` on (Range), following redirects.  A server
 * that ignores the range answers with the whole blob: the first offset bytes
 * are skipped, so the sink always sees the data from `offset`.  size >= 0:
 * the size the descriptor gives; an answer whose Content-Length (or
 * Content-Range total) says otherwise is refused before any data reaches
 * the sink (EBADMSG). */
int berth_registry_fetch_blob(struct berth_registry *reg, const char *digest, int64_t size, uint64_t offset,
			      berth_registry_sink sink, void *ctx, struct berth_error *err);

/* GET a small blob (an image config) into memory, verified. */
int berth_registry_fetch_small_blob(struct berth_registry *reg, const char *digest, size_t max, char **ret,
				    size_t *ret_len, struct berth_error *err);

/* Whether an error of this client is worth retrying: connection resets,
 * timeouts, 5xx and 429 answers. */
bool berth_registry_error_is_transient(int code);

/* Log in: check the credentials against the registry (as `docker login`
 * does, through the token service when there is one). */
int berth_registry_check_login(const struct berth_registry_options *opts, struct berth_error *err);

static inline void berth_registry_freep(struct berth_registry **r)
{
	berth_registry_free(*r);
}
#define _cleanup_registry_ __attribute__((cleanup(berth_registry_freep)))
