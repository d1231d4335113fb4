/* The WWW-Authenticate challenges of a registry, and the token request.
 *
 * A registry that wants credentials answers 401 with challenges in the
 * syntax of RFC 7235:
 *
 *     WWW-Authenticate: Bearer realm="https://auth.docker.io/token",
 *         service="registry.docker.io",scope="repository:library/busybox:pull"
 *     WWW-Authenticate: Basic realm="Registry Realm"
 *
 * One header value may hold several challenges, separated by commas like
 * their parameters; a parameter value is a token or a quoted string with
 * backslash escapes.  Schemes and parameter names are case-insensitive:
 * names are stored lowercased, schemes as sent.  A challenge may carry a
 * token68 (`Negotiate abc==`) instead of parameters.
 *
 * For Bearer, the client then asks the realm for a token:
 *     GET <realm>?service=<service>&scope=<scope>&scope=...
 */
#pragma once

#include <stddef.h>

#include "error.h"

#define BERTH_AUTH_HEADER_MAX (16 * 1024) /* bytes of one header value */
#define BERTH_AUTH_CHALLENGES_MAX 16	  /* challenges in a response */
#define BERTH_AUTH_PARAMS_MAX 32	  /* parameters of one challenge */
#define BERTH_AUTH_TOKEN_URL_MAX (64 * 1024)

struct berth_auth_param {
	char *name; /* lowercased */
	char *value;
};

struct berth_auth_challenge {
	char *scheme;  /* as sent; compare with strcasecmp */
	char *token68; /* or NULL */
	struct berth_auth_param *params;
	size_t n_params;
};

/* Zero-initialise; parse appends to it, so every WWW-Authenticate field of
 * a response can be added in turn. */
struct berth_auth_challenges {
	struct berth_auth_challenge *items;
	size_t n_items;
};

/* Parse one header value (value[0..len), which must not contain NUL) and
 * append its challenges.  On error the list is unchanged.  Duplicate
 * parameter names in a challenge are an error: which `realm` to trust
 * would be a guess. */
int berth_auth_challenges_parse(struct berth_auth_challenges *list, const char *value, size_t len,
				struct berth_error *err);

void berth_auth_challenges_clear(struct berth_auth_challenges *list);
#define _cleanup_auth_challenges_ __attribute__((cleanup(berth_auth_challenges_clear)))

/* The first challenge of the scheme (case-insensitive), or NULL. */
const struct berth_auth_challenge *berth_auth_challenges_find(const struct berth_auth_challenges *list,
							      const char *scheme);
static inline const struct berth_auth_challenge *berth_auth_challenges_bearer(const struct berth_auth_challenges *list)
{
	return berth_auth_challenges_find(list, "Bearer");
}

/* The value of a parameter (name case-insensitive), or NULL. */
const char *berth_auth_challenge_param(const struct berth_auth_challenge *c, const char *name);

/* Percent-encode s for a URL query component: everything but the RFC 3986
 * unreserved characters (ALPHA DIGIT - . _ ~) becomes %XX. */
int berth_url_query_escape(const char *s, char **ret, struct berth_error *err);

/* The token request URL of a Bearer challenge: realm (an absolute http or
 * https URL, which may already carry a query) followed by service (if not
 * NULL), each scope in order, and account (if not NULL: the user name, as
 * the docker client sends it) as query parameters. */
int berth_auth_token_url(const char *realm, const char *service, const char *const *scopes, size_t n_scopes,
			 const char *account, char **ret, struct berth_error *err);

/* The same, from a parsed Bearer challenge: its realm and service, and the
 * given scopes (the challenge's own scope if n_scopes is 0). */
int berth_auth_challenge_token_url(const struct berth_auth_challenge *c, const char *const *scopes, size_t n_scopes,
				   const char *account, char **ret, struct berth_error *err);
