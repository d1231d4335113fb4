/* Registry configuration: /etc/containers/registries.conf and the daemon's
 * --insecure-registry list.
 *
 * registries.conf is TOML; berth reads the subset the file uses
 * (containers-registries.conf(5)) with its own small, strict parser:
 *
 *   - comments, blank lines, LF or CRLF line ends;
 *   - [table] and [[array.of.tables]] headers with dotted bare or quoted keys;
 *   - key = value with a bare or quoted key (no dotted keys);
 *   - values: basic strings "..." with the TOML escapes (\b \t \n \f \r \"
 *     \\ \uXXXX \UXXXXXXXX), literal strings '...', true / false, decimal
 *     integers, and arrays of these (nested, over several lines, with
 *     comments and a trailing comma).
 *   Not supported, reported as an error with the line: multi-line strings,
 *   inline tables, floats, dates, dotted keys, NUL (\u0000) in a string.
 *   Control characters other than tab are errors everywhere.
 *
 * Of the v2 format: top-level unqualified-search-registries, and
 * [[registry]] tables with prefix, location, insecure, blocked,
 * mirror-by-digest-only and [[registry.mirror]] tables with location,
 * insecure, pull-from-mirror.  Of the deprecated v1 format:
 * [registries.search], [registries.insecure] and [registries.block], each
 * with registries = [...], converted to v2 as containers/image does.
 * Mixing the formats is an error.  Unknown keys and tables are ignored
 * (short-name [aliases], credential-helpers, ...).  Drop-in files in
 * registries.conf.d are not read.
 *
 * After berth_registries_add_insecure() calls at start-up the object is
 * only read, so threads may share it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define BERTH_REGISTRIES_CONF_PATH "/etc/containers/registries.conf"
#define BERTH_REGISTRIES_CONF_MAX (1024 * 1024) /* bytes of the file */
#define BERTH_REGISTRIES_MAX 1024		  /* [[registry]] tables */
#define BERTH_REGISTRY_MIRRORS_MAX 64		  /* [[registry.mirror]] tables of one registry */
#define BERTH_REGISTRIES_ARRAY_MAX 4096		  /* elements of one array */
#define BERTH_REGISTRIES_INSECURE_MAX 1024	  /* --insecure-registry values */

enum berth_mirror_pull {
	BERTH_MIRROR_PULL_ALL = 0,
	BERTH_MIRROR_PULL_DIGEST_ONLY,
	BERTH_MIRROR_PULL_TAG_ONLY,
};

struct berth_registry_mirror {
	char *location;
	bool insecure;
	enum berth_mirror_pull pull_from;
};

struct berth_registry_entry {
	char *prefix;	/* host[:port][/path] or *.domain; defaults to location */
	char *location; /* NULL only with a wildcard prefix: names are used as they are */
	bool insecure;
	bool blocked;
	bool mirror_by_digest_only;
	struct berth_registry_mirror *mirrors;
	size_t n_mirrors;
	unsigned line; /* of its [[registry]] header; 0 when converted from v1 */
};

/* A --insecure-registry value: a host[:port], or a network. */
struct berth_insecure_registry {
	char *host; /* NULL for a network */
	int family; /* AF_INET or AF_INET6 for a network */
	unsigned char addr[16];
	unsigned prefix_len;
};

struct berth_registries {
	struct berth_registry_entry *entries;
	size_t n_entries;
	char **search; /* unqualified-search-registries, NULL-terminated (never NULL) */
	size_t n_search;
	struct berth_insecure_registry *insecure;
	size_t n_insecure;
	char *source; /* the file name, for messages */
};

/* An empty configuration (no file). */
int berth_registries_new(struct berth_registries **ret, struct berth_error *err);
/* Parse registries.conf text; `what` names it in messages
 * ("/etc/containers/registries.conf: line 12: unterminated string"). */
int berth_registries_parse(const char *text, size_t len, const char *what, struct berth_registries **ret,
			   struct berth_error *err);
/* Read and parse a file; with missing_ok a missing file is an empty config. */
int berth_registries_load(const char *path, bool missing_ok, struct berth_registries **ret, struct berth_error *err);
void berth_registries_free(struct berth_registries *r);
static inline void berth_registries_freep(struct berth_registries **r)
{
	if (*r)
		berth_registries_free(*r);
}
#define _cleanup_registries_ __attribute__((cleanup(berth_registries_freep)))

/* The daemon's --insecure-registry: "host", "host:port", "[v6]:port" or a
 * CIDR ("10.0.0.0/8", "fd00::/8"), as dockerd accepts them.  A URL scheme
 * is refused, as dockerd does. */
int berth_registries_add_insecure(struct berth_registries *r, const char *host_or_cidr, struct berth_error *err);

/* The [[registry]] whose prefix matches name ("host[:port]/path[:tag|@digest]"
 * or just "host[:port]") longest, or NULL.  A prefix matches whole path
 * components: "example.com/foo" matches "example.com/foo/bar" and
 * "example.com/foo:tag", not "example.com/foobar"; a bare host prefix does
 * not match the same host with a port.  "*.example.com" matches any host
 * under example.com (not example.com itself, and not with a port); of two
 * wildcards matching a host, the longer wins.  Equal matches: the first. */
const struct berth_registry_entry *berth_registries_find(const struct berth_registries *r, const char *name);

/* May host ("host[:port]") be reached over plain HTTP or unverified TLS?
 * Yes for loopback (127.0.0.0/8, ::1, "localhost"), as dockerd always
 * allows; for a host the daemon's list names exactly or an IP literal in
 * one of its networks; for a registries.conf entry matching the host with
 * insecure = true.  Names are not resolved through DNS (dockerd does). */
bool berth_registries_is_insecure(const struct berth_registries *r, const char *host);

/* Where to pull name from, in order: the mirrors (those that apply to a
 * tag or digest pull), then the location, each with name rewritten from
 * the entry's prefix to that location.  -EACCES when the entry is blocked. */
struct berth_pull_source {
	char *name;    /* host[:port]/path[:tag|@digest] to pull */
	bool insecure; /* the endpoint's own setting, or the daemon's list */
	bool mirror;
};
int berth_registries_pull_sources(const struct berth_registries *r, const char *name, struct berth_pull_source **ret,
				  size_t *ret_n, struct berth_error *err);
void berth_pull_sources_free(struct berth_pull_source *s, size_t n);
