/* The HTTP layer of the registry client: one request on a fresh curl handle
 * that shares connections with the client's other requests.  Internal to
 * registry*.c. */
#pragma once

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "auth_challenge.h"
#include "registry.h"

struct berth_registry {
	char *host;
	char *repository;
	char *certs_dir;
	bool insecure;
	bool push;
	bool (*cancelled)(void *ctx);
	void *cancel_ctx;
	struct berth_registry_credentials creds;

	char base[300]; /* "https://host" once probed */
	bool verify_tls;

	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	char *ca_bundle; /* system CAs plus the registry's own, or NULL */
	size_t ca_bundle_len;
	char *client_cert, *client_key;

	/* What the registry asked for at the probe, and the token got for it. */
	pthread_mutex_t auth_lock;
	char *bearer_realm, *bearer_service;
	bool wants_basic;
	char *token;
	time_t token_expiry;
};

struct http_request {
	const char *method;          /* GET (default), HEAD, POST */
	const char *url;             /* absolute */
	const char *const *headers;  /* extra "Name: value" lines, NULL-terminated */
	const char *post_fields;     /* POST body (form-encoded) */
	uint64_t range_from;         /* 0: no Range header */
	berth_registry_sink sink;    /* receives a 2xx body; otherwise it is kept in the response */
	int64_t expect_size;         /* with a sink, > 0: the whole blob's size; a 2xx answer for
	                              * another size fails (EBADMSG) before the sink sees data */
	void *sink_ctx;
	size_t body_max;             /* bound on a kept body */
	const char *authorization;   /* the Authorization header value, or NULL */
	const char *basic_userpwd;   /* HTTP Basic credentials "user:password" for this request */
	bool verify_tls;
};

struct http_response {
	long status;
	char *content_type;
	char *docker_digest;
	struct berth_auth_challenges challenges;
	char *body; /* non-2xx answers, and 2xx when there is no sink; NUL-terminated */
	size_t len;
	bool body_too_large;
};

void http_response_clear(struct http_response *r);

/* Perform one request.  Transport failures map to an errno (ECONNREFUSED,
 * ETIMEDOUT, ECONNRESET, EPROTO for TLS, ECANCELED); any HTTP answer is a
 * success here, with its status in the response. */
int berth_registry_http(struct berth_registry *reg, const struct http_request *req, struct http_response *resp,
			struct berth_error *err);

/* Set up the shared connection cache and the TLS material for reg->host. */
int berth_registry_http_init(struct berth_registry *reg, struct berth_error *err);
void berth_registry_http_cleanup(struct berth_registry *reg);

/* "code: message" of a registry's JSON error body, or the status line. */
void berth_registry_error_text(const struct http_response *resp, char *out, size_t size);
