#include "reference.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* Offsets of the parts of a reference string that matched the grammar. */
struct ref_match {
	size_t domain_len; /* 0: the name had no domain */
	size_t path_off, path_len;
	const char *tag; /* NULL or into the string */
	size_t tag_len;
	const char *digest; /* NULL or into the string */
};

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

/* [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)* (one component), s[0..n). */
static bool path_component_valid(const char *s, size_t n)
{
	size_t i = 0;
	for (;;) {
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
	}
}

static bool path_valid(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!path_component_valid(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* domain-component ('.' domain-component)*, each component
 * [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?; or "[" [a-fA-F0-9:]+ "]";
 * then an optional ":" [0-9]+.  Matches s[0..n) whole. */
static bool domain_valid(const char *s, size_t n)
{
	size_t i = 0;
	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && (is_hex(s[i]) || s[i] == ':'); i++)
			;
		if (i == 1 || i >= n || s[i] != ']')
			return false;
		i++;
	} else {
		for (;;) {
			if (i >= n || !is_alnum(s[i]))
				return false;
			while (i < n && (is_alnum(s[i]) || s[i] == '-'))
				i++;
			if (s[i - 1] == '-')
				return false;
			if (i < n && s[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool berth_reference_tag_valid(const char *tag)
{
	size_t n = tag ? strlen(tag) : 0;
	if (n == 0 || n > BERTH_REFERENCE_TAG_MAX || !is_word(tag[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(tag[i]) && tag[i] != '.' && tag[i] != '-')
			return false;
	return true;
}

/* The reference grammar's digest shape, before the digest itself is checked:
 * [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,} */
static bool digest_shape_valid(const char *s)
{
	size_t i = 0;
	for (;;) {
		if (!is_alpha(s[i]))
			return false;
		while (is_alnum(s[i]))
			i++;
		if (s[i] == ':')
			break;
		if (s[i] == '\0' || !strchr("-_+.", s[i]))
			return false;
		i++;
	}
	size_t hex = 0;
	for (i++; s[i]; i++, hex++)
		if (!is_hex(s[i]))
			return false;
	return hex >= 32;
}

/* Match s against docker's anchored reference grammar
 * name [":" tag] ["@" digest], name = [domain "/"] path, preferring a
 * domain when the first component can be one, as docker's regexp does. */
static bool reference_match(const char *s, struct ref_match *m)
{
	memset(m, 0, sizeof(*m));
	const char *at = strchr(s, '@');
	size_t n = at ? (size_t) (at - s) : strlen(s);
	if (at) {
		if (!digest_shape_valid(at + 1))
			return false;
		m->digest = at + 1;
	}
	/* Paths never hold ':' and a domain is always followed by '/', so a
	 * ':' after the last '/' can only start the tag. */
	const char *slash = memrchr(s, '/', n);
	const char *colon = memrchr(s, ':', n);
	if (colon && (!slash || colon > slash)) {
		m->tag = colon + 1;
		m->tag_len = n - (size_t) (colon + 1 - s);
		if (m->tag_len == 0 || m->tag_len > BERTH_REFERENCE_TAG_MAX || !is_word(m->tag[0]))
			return false;
		for (size_t i = 1; i < m->tag_len; i++)
			if (!is_word(m->tag[i]) && m->tag[i] != '.' && m->tag[i] != '-')
				return false;
		n = (size_t) (colon - s);
	}
	const char *first = memchr(s, '/', n);
	if (first && domain_valid(s, (size_t) (first - s)) && path_valid(first + 1, n - (size_t) (first + 1 - s))) {
		m->domain_len = (size_t) (first - s);
		m->path_off = m->domain_len + 1;
		m->path_len = n - m->path_off;
		return true;
	}
	m->path_len = n;
	return path_valid(s, n);
}

static bool is_identifier(const char *s)
{
	size_t n = strlen(s);
	return n == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* docker's splitDockerDomain: which registry a familiar name lives on.
 * Writes "domain/remainder" into out and returns the remainder's offset. */
static size_t split_docker_domain(const char *s, char out[BERTH_REFERENCE_MAX + 64])
{
	const char *slash = strchr(s, '/');
	const char *domain = BERTH_REFERENCE_DEFAULT_DOMAIN;
	size_t domain_len = strlen(domain);
	const char *rest = s;
	if (slash) {
		size_t n = (size_t) (slash - s);
		bool is_domain = (n == 9 && memcmp(s, "localhost", 9) == 0) || memchr(s, '.', n) ||
				 memchr(s, ':', n) || has_upper(s, n);
		bool legacy = n == strlen(BERTH_REFERENCE_LEGACY_DOMAIN) &&
			      memcmp(s, BERTH_REFERENCE_LEGACY_DOMAIN, n) == 0;
		if (is_domain && !legacy) {
			domain = s;
			domain_len = n;
		}
		if (is_domain)
			rest = slash + 1;
	}
	bool hub = domain_len == strlen(BERTH_REFERENCE_DEFAULT_DOMAIN) &&
		   memcmp(domain, BERTH_REFERENCE_DEFAULT_DOMAIN, domain_len) == 0;
	const char *prefix = hub && !strchr(rest, '/') ? BERTH_REFERENCE_OFFICIAL_PREFIX : "";
	snprintf(out, BERTH_REFERENCE_MAX + 64, "%.*s/%s%s", (int) domain_len, domain, prefix, rest);
	return domain_len + 1;
}

static int format_error(const char *s, struct berth_error *err)
{
	/* docker's second chance: a string that only fails because of case. */
	char lower[BERTH_REFERENCE_MAX + 64];
	struct ref_match m;
	size_t n = strlen(s);
	for (size_t i = 0; i <= n; i++)
		lower[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char) (s[i] - 'A' + 'a') : s[i];
	if (strcmp(lower, s) != 0 && reference_match(lower, &m))
		return berth_error_set(err, EINVAL, "invalid reference format: repository name must be lowercase");
	return berth_error_set(err, EINVAL, "invalid reference format");
}

static int reference_new(const char *full, const struct ref_match *m, unsigned flags,
			 struct berth_reference **ret, struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *r = calloc(1, sizeof(*r));
	if (!r || !(r->domain = strndup(full, m->domain_len)) ||
	    !(r->path = strndup(full + m->path_off, m->path_len)))
		return berth_error_sys(err, ENOMEM, "allocate a reference");
	const char *tag = NULL;
	size_t tag_len = 0;
	if (m->tag) {
		tag = m->tag;
		tag_len = m->tag_len;
	} else if (!m->digest && !(flags & BERTH_REFERENCE_NO_DEFAULT_TAG)) {
		tag = BERTH_REFERENCE_DEFAULT_TAG;
		tag_len = strlen(tag);
	}
	if ((tag && !(r->tag = strndup(tag, tag_len))) || (m->digest && !(r->digest = strdup(m->digest))))
		return berth_error_sys(err, ENOMEM, "allocate a reference");
	*ret = berth_steal_ptr(&r);
	return 0;
}

int berth_reference_parse(const char *s, unsigned flags, struct berth_reference **ret, struct berth_error *err)
{
	if (!s)
		return berth_error_set(err, EINVAL, "invalid reference format");
	size_t len = strnlen(s, BERTH_REFERENCE_MAX);
	if (len >= BERTH_REFERENCE_MAX)
		return berth_error_set(err, EINVAL, "invalid reference format: longer than %d bytes",
				       BERTH_REFERENCE_MAX - 1);
	if (is_identifier(s))
		return berth_error_set(err, EINVAL,
				       "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);

	char full[BERTH_REFERENCE_MAX + 64];
	size_t rest = split_docker_domain(s, full);
	/* docker checks case on the remainder up to its first ':' */
	size_t remote_len = strcspn(full + rest, ":");
	if (has_upper(full + rest, remote_len))
		return berth_error_set(err, EINVAL, "invalid reference format: repository name (%.*s) must be lowercase",
				       (int) remote_len, full + rest);

	struct ref_match m;
	if (!reference_match(full, &m))
		return format_error(full, err);
	/* docker would take the whole name as a path on an empty domain here
	 * ("foo_bar.com/x"); no registry can be reached that way, so refuse. */
	if (m.domain_len == 0)
		return berth_error_set(err, EINVAL, "invalid reference format: invalid registry domain in \"%s\"", s);
	if (m.path_len > BERTH_REFERENCE_PATH_MAX)
		return berth_error_set(err, EINVAL,
				       "invalid reference format: repository name must not be more than %d characters",
				       BERTH_REFERENCE_PATH_MAX);
	if (m.domain_len > BERTH_REFERENCE_DOMAIN_MAX)
		return berth_error_set(err, EINVAL,
				       "invalid reference format: registry domain must not be more than %d characters",
				       BERTH_REFERENCE_DOMAIN_MAX);
	if (m.digest) {
		int r = berth_digest_validate(m.digest, NULL, err);
		if (r < 0)
			return berth_error_wrap(err, "invalid reference format");
	}
	return reference_new(full, &m, flags, ret, err);
}

void berth_reference_free(struct berth_reference *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	free(r);
}

static int replace_string(char **field, const char *value, struct berth_error *err)
{
	char *copy = NULL;
	if (value && !(copy = strdup(value)))
		return berth_error_sys(err, ENOMEM, "copy \"%.64s\"", value);
	free(*field);
	*field = copy;
	return 0;
}

int berth_reference_set_tag(struct berth_reference *r, const char *tag, struct berth_error *err)
{
	if (tag && !berth_reference_tag_valid(tag))
		return berth_error_set(err, EINVAL, "invalid tag format: \"%.*s\"", 200, tag);
	return replace_string(&r->tag, tag, err);
}

int berth_reference_set_digest(struct berth_reference *r, const char *digest, struct berth_error *err)
{
	if (digest && berth_digest_validate(digest, NULL, err) < 0)
		return -berth_error_code(err);
	return replace_string(&r->digest, digest, err);
}

int berth_reference_dup(const struct berth_reference *r, struct berth_reference **ret, struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *c = calloc(1, sizeof(*c));
	if (!c || replace_string(&c->domain, r->domain, err) < 0 || replace_string(&c->path, r->path, err) < 0 ||
	    replace_string(&c->tag, r->tag, err) < 0 || replace_string(&c->digest, r->digest, err) < 0)
		return berth_error_sys(err, ENOMEM, "copy the reference %s/%s", r->domain, r->path);
	*ret = berth_steal_ptr(&c);
	return 0;
}

void berth_reference_name(const struct berth_reference *r, char out[BERTH_REFERENCE_MAX])
{
	snprintf(out, BERTH_REFERENCE_MAX, "%s/%s", r->domain, r->path);
}

/* Append ":tag" and "@digest" to the name already in out. */
static void append_tag_digest(const struct berth_reference *r, char out[BERTH_REFERENCE_MAX])
{
	size_t n = strlen(out);
	snprintf(out + n, BERTH_REFERENCE_MAX - n, "%s%s%s%s", r->tag ? ":" : "", r->tag ? r->tag : "",
		 r->digest ? "@" : "", r->digest ? r->digest : "");
}

void berth_reference_string(const struct berth_reference *r, char out[BERTH_REFERENCE_MAX])
{
	berth_reference_name(r, out);
	append_tag_digest(r, out);
}

void berth_reference_familiar_name(const struct berth_reference *r, char out[BERTH_REFERENCE_MAX])
{
	if (strcmp(r->domain, BERTH_REFERENCE_DEFAULT_DOMAIN) != 0) {
		berth_reference_name(r, out);
		return;
	}
	const char *path = r->path;
	size_t plen = strlen(BERTH_REFERENCE_OFFICIAL_PREFIX);
	/* docker shortens library/x but not a nested library/a/b */
	if (strncmp(path, BERTH_REFERENCE_OFFICIAL_PREFIX, plen) == 0 && !strchr(path + plen, '/'))
		path += plen;
	snprintf(out, BERTH_REFERENCE_MAX, "%s", path);
}

void berth_reference_familiar_string(const struct berth_reference *r, char out[BERTH_REFERENCE_MAX])
{
	berth_reference_familiar_name(r, out);
	append_tag_digest(r, out);
}

const char *berth_reference_registry_host(const struct berth_reference *r)
{
	if (strcmp(r->domain, BERTH_REFERENCE_DEFAULT_DOMAIN) == 0)
		return BERTH_REFERENCE_DOCKER_HUB_HOST;
	return r->domain;
}
