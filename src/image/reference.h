/* Image references ("busybox", "user/repo:tag", "localhost:5000/x@sha256:...")
 * parsed and normalised the way `docker pull` does (docker's
 * distribution/reference grammar and its ParseNormalizedNamed rules):
 *
 *     busybox                 -> docker.io/library/busybox:latest
 *     user/repo               -> docker.io/user/repo:latest
 *     index.docker.io/busybox -> docker.io/library/busybox:latest
 *     localhost:5000/x        -> localhost:5000/x:latest
 *     [::1]:5000/x@sha256:... -> [::1]:5000/x@sha256:...
 *
 * The first path component names a registry only when it contains '.' or
 * ':', is "localhost", or has an uppercase letter, and more components
 * follow.  A reference that keeps both a tag and a digest keeps both.
 *
 * Errors are worded as docker words them, all starting with
 * "invalid reference format" (EINVAL), except a bare 64-hex string:
 * "invalid repository name (...), cannot specify 64-byte hexadecimal strings".
 */
#pragma once

#include <stdbool.h>

#include "digest.h"
#include "error.h"

#define BERTH_REFERENCE_DEFAULT_DOMAIN "docker.io"
#define BERTH_REFERENCE_LEGACY_DOMAIN "index.docker.io"
#define BERTH_REFERENCE_OFFICIAL_PREFIX "library/"
#define BERTH_REFERENCE_DEFAULT_TAG "latest"
/* The host that serves docker.io's registry API. */
#define BERTH_REFERENCE_DOCKER_HUB_HOST "registry-1.docker.io"

/* Bounds: the repository path as docker's grammar; the tag as its
 * [\w][\w.-]{0,127}; the domain (DNS names stop at 253) is berth's own. */
#define BERTH_REFERENCE_PATH_MAX 255
#define BERTH_REFERENCE_TAG_MAX 128
#define BERTH_REFERENCE_DOMAIN_MAX 255
/* Room for any string built from a parsed reference, NUL included; also the
 * longest input accepted (longer input is refused before it is examined). */
#define BERTH_REFERENCE_MAX 1024

enum {
	/* Leave tag NULL when neither tag nor digest is given, instead of
	 * "latest": for filters (`docker images busybox`) and all-tags pulls. */
	BERTH_REFERENCE_NO_DEFAULT_TAG = 1u << 0,
};

struct berth_reference {
	char *domain; /* "docker.io", "localhost:5000", "[::1]:5000"; never NULL */
	char *path;   /* "library/busybox", "user/repo"; never NULL */
	char *tag;    /* "latest"; NULL when there is none */
	char *digest; /* "sha256:<hex>", validated; NULL when there is none */
};

/* Parse and normalise s.  *ret is set only on success; free it with
 * berth_reference_free. */
int berth_reference_parse(const char *s, unsigned flags, struct berth_reference **ret, struct berth_error *err);

void berth_reference_free(struct berth_reference *r);
static inline void berth_reference_freep(struct berth_reference **r)
{
	berth_reference_free(*r);
}
#define _cleanup_reference_ __attribute__((cleanup(berth_reference_freep)))

int berth_reference_dup(const struct berth_reference *r, struct berth_reference **ret, struct berth_error *err);

/* Whether tag matches docker's tag grammar. */
bool berth_reference_tag_valid(const char *tag);

/* Replace the tag (NULL removes it): "invalid tag format" for a bad one. */
int berth_reference_set_tag(struct berth_reference *r, const char *tag, struct berth_error *err);

/* Replace the digest (NULL removes it); it must pass berth_digest_validate. */
int berth_reference_set_digest(struct berth_reference *r, const char *digest, struct berth_error *err);

/* The strings below are written into the caller's buffer; a reference made
 * by berth_reference_parse (or changed by the setters) always fits. */

/* "docker.io/library/busybox" */
void berth_reference_name(const struct berth_reference *r, char out[BERTH_REFERENCE_MAX]);

/* "docker.io/library/busybox:latest", "...@sha256:...", "...:tag@sha256:..." */
void berth_reference_string(const struct berth_reference *r, char out[BERTH_REFERENCE_MAX]);

/* The name as `docker images` shows REPOSITORY: "busybox", "user/repo",
 * "localhost:5000/x" (docker.io and a single-component library/ dropped). */
void berth_reference_familiar_name(const struct berth_reference *r, char out[BERTH_REFERENCE_MAX]);

/* The familiar name with the tag and digest: "busybox:latest". */
void berth_reference_familiar_string(const struct berth_reference *r, char out[BERTH_REFERENCE_MAX]);

/* The registry to contact: "registry-1.docker.io" for docker.io, else the
 * domain.  Borrowed from r or static. */
const char *berth_reference_registry_host(const struct berth_reference *r);
