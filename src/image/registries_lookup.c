/* The daemon's --insecure-registry list and the lookups in a parsed
 * registries.conf: the entry for a name, whether a host is insecure, and
 * where to pull a name from.  Parsing is in registries_conf.c. */
#include "registries_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "toml.h"

/* --- insecure registries ----------------------------------------------------------- */

static int parse_cidr(const char *s, struct berth_insecure_registry *ir, struct berth_error *err)
{
	const char *slash = strchr(s, '/');
	char addr[INET6_ADDRSTRLEN];
	size_t alen = (size_t) (slash - s), plen = strlen(slash + 1);
	unsigned max, prefix = 0;

	if (alen >= sizeof(addr) || plen == 0 || plen > 3 || strspn(slash + 1, "0123456789") != plen)
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	ir->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(ir->family, addr, ir->addr) != 1)
		goto bad;
	max = ir->family == AF_INET ? 32 : 128;
	prefix = (unsigned) atoi(slash + 1);
	if (prefix > max)
		goto bad;
	ir->prefix_len = prefix;
	/* The network, as dockerd keeps it: host bits cleared. */
	for (unsigned bit = prefix; bit < max; bit++)
		ir->addr[bit / 8] &= (unsigned char) ~(0x80u >> (bit % 8));
	return 0;
bad:
	return berth_error_set(err, EINVAL, "insecure registry \"%.100s\": not a valid CIDR network", s);
}

int berth_registries_add_insecure(struct berth_registries *r, const char *host_or_cidr, struct berth_error *err)
{
	struct berth_insecure_registry ir = { 0 }, *v;
	const char *s = host_or_cidr;
	int ret;

	if (s == NULL || s[0] == '\0' || strlen(s) > 255)
		return berth_error_set(err, EINVAL, "insecure registry: must be a host[:port] or a CIDR network");
	if (strstr(s, "://"))
		return berth_error_set(err, EINVAL, "insecure registry \"%.100s\": must not contain a URL scheme", s);
	if (r->n_insecure >= BERTH_REGISTRIES_INSECURE_MAX)
		return berth_error_set(err, E2BIG, "insecure registry \"%s\": more than %d given", s,
				       BERTH_REGISTRIES_INSECURE_MAX);
	if (strchr(s, '/')) {
		if ((ret = parse_cidr(s, &ir, err)) < 0)
			return ret;
	} else {
		for (const char *p = s; *p; p++)
			if (!berth_toml_is_bare_key_char(*p) && !strchr(".:[]", *p))
				return berth_error_set(err, EINVAL, "insecure registry \"%.100s\": not a host[:port]",
						       s);
		if ((ir.host = strdup(s)) == NULL)
			return berth_error_sys(err, ENOMEM, "add insecure registry %s", s);
	}
	v = reallocarray(r->insecure, r->n_insecure + 1, sizeof(*v));
	if (v == NULL) {
		free(ir.host);
		return berth_error_sys(err, ENOMEM, "add insecure registry %s", s);
	}
	r->insecure = v;
	v[r->n_insecure++] = ir;
	return 0;
}

/* The host of "host[:port]", "[v6]:port" or a bare v6 address. */
static bool host_of(const char *s, size_t len, char *out, size_t size)
{
	const char *colon = memchr(s, ':', len);

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (close == NULL)
			return false;
		s++;
		len = (size_t) (close - s);
	} else if (colon && !memchr(colon + 1, ':', len - (size_t) (colon + 1 - s))) {
		len = (size_t) (colon - s);
	}
	if (len == 0 || len >= size)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool in_network(const struct berth_insecure_registry *n, int family, const unsigned char *addr)
{
	unsigned full = n->prefix_len / 8, bits = n->prefix_len % 8;

	if (n->host || n->family != family || memcmp(addr, n->addr, full) != 0)
		return false;
	return bits == 0 || ((addr[full] ^ n->addr[full]) & (0xff00u >> bits)) == 0;
}

/* dockerd's rule: loopback always, a host named exactly, an IP literal in
 * a listed network. */
static bool daemon_insecure(const struct berth_registries *r, const char *hostport, size_t len)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char addr[16];
	char host[256];
	int family;

	for (size_t i = 0; i < r->n_insecure; i++)
		if (r->insecure[i].host && strlen(r->insecure[i].host) == len &&
		    strncasecmp(r->insecure[i].host, hostport, len) == 0)
			return true;
	if (!host_of(hostport, len, host, sizeof(host)))
		return false;
	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, addr) == 1) {
		family = AF_INET;
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		family = AF_INET6;
		if (memcmp(addr, v4mapped, 12) == 0) {
			memmove(addr, addr + 12, 4);
			family = AF_INET;
		}
	} else {
		return false;
	}
	if ((family == AF_INET && addr[0] == 127) || (family == AF_INET6 && memcmp(addr, &in6addr_loopback, 16) == 0))
		return true;
	for (size_t i = 0; i < r->n_insecure; i++)
		if (in_network(&r->insecure[i], family, addr))
			return true;
	return false;
}

/* --- lookups ---------------------------------------------------------------------------- */

/* How much of name the prefix matches (0: no match).  Whole components
 * only; after a prefix with a path, ':' starts a tag; after a bare host it
 * would start a port, which is another registry. */
static size_t prefix_match(const char *name, const char *prefix)
{
	size_t hlen = strcspn(name, "/"), plen;

	if (prefix[0] == '*') {
		plen = strlen(prefix + 1); /* ".example.com" */
		if (hlen <= plen || memchr(name, ':', hlen) || memcmp(name + hlen - plen, prefix + 1, plen) != 0)
			return 0;
		return hlen;
	}
	plen = strlen(prefix);
	if (strncmp(name, prefix, plen) != 0)
		return 0;
	if (name[plen] == '\0' || name[plen] == '/' || name[plen] == '@')
		return plen;
	return name[plen] == ':' && strchr(prefix, '/') ? plen : 0;
}

const struct berth_registry_entry *berth_registries_find(const struct berth_registries *r, const char *name)
{
	const struct berth_registry_entry *best = NULL;
	size_t best_len = 0;

	/* The longest match wins; between wildcards matching the same host
	 * the longer (more specific) one; otherwise the first entry. */
	for (size_t i = 0; i < r->n_entries; i++) {
		size_t len = prefix_match(name, r->entries[i].prefix);
		if (len > best_len ||
		    (len > 0 && len == best_len && strlen(r->entries[i].prefix) > strlen(best->prefix))) {
			best = &r->entries[i];
			best_len = len;
		}
	}
	return best;
}

bool berth_registries_is_insecure(const struct berth_registries *r, const char *host)
{
	const struct berth_registry_entry *e;
	size_t len = strcspn(host, "/");

	if (daemon_insecure(r, host, len))
		return true;
	e = berth_registries_find(r, host);
	return e && e->insecure;
}

static int add_source(const struct berth_registries *r, struct berth_pull_source *v, size_t *n, const char *location,
		      const char *rest, bool insecure, bool mirror, struct berth_error *err)
{
	char *name = NULL;

	if (asprintf(&name, "%s%s", location, rest) < 0)
		return berth_error_sys(err, ENOMEM, "list pull sources of %s%s", location, rest);
	v[*n].name = name;
	v[*n].insecure = insecure || daemon_insecure(r, name, strcspn(name, "/"));
	v[*n].mirror = mirror;
	(*n)++;
	return 0;
}

static bool mirror_applies(const struct berth_registry_entry *e, const struct berth_registry_mirror *m, bool digest)
{
	if (e->mirror_by_digest_only || m->pull_from == BERTH_MIRROR_PULL_DIGEST_ONLY)
		return digest;
	return m->pull_from == BERTH_MIRROR_PULL_TAG_ONLY ? !digest : true;
}

int berth_registries_pull_sources(const struct berth_registries *r, const char *name, struct berth_pull_source **ret,
				  size_t *ret_n, struct berth_error *err)
{
	const struct berth_registry_entry *e;
	struct berth_pull_source *v;
	const char *rest;
	size_t n = 0;
	int ret_code = 0;

	if (name == NULL || name[0] == '\0')
		return berth_error_set(err, EINVAL, "list pull sources: empty image name");
	e = berth_registries_find(r, name);
	if (e && e->blocked)
		return berth_error_set(err, EACCES, "pull %s: blocked by %s (line %u: prefix \"%s\")", name, r->source,
				       e->line, e->prefix);
	v = calloc(e ? e->n_mirrors + 1 : 1, sizeof(*v));
	if (v == NULL)
		return berth_error_sys(err, ENOMEM, "list pull sources of %s", name);
	rest = e ? name + prefix_match(name, e->prefix) : "";
	for (size_t i = 0; e && ret_code == 0 && i < e->n_mirrors; i++)
		if (mirror_applies(e, &e->mirrors[i], strchr(name, '@') != NULL))
			ret_code = add_source(r, v, &n, e->mirrors[i].location, rest, e->mirrors[i].insecure, true, err);
	/* The primary last; without a location (a wildcard prefix) the name as is. */
	if (ret_code == 0)
		ret_code = e && e->location ? add_source(r, v, &n, e->location, rest, e->insecure, false, err)
					    : add_source(r, v, &n, name, "", e && e->insecure, false, err);
	if (ret_code < 0) {
		berth_pull_sources_free(v, n);
		return ret_code;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void berth_pull_sources_free(struct berth_pull_source *s, size_t n)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(s[i].name);
	free(s);
}
