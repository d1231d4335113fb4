/* Reading registries.conf: its schema over the TOML scanner of toml.c, the
 * checks containers/image makes, and the object's life.  The lookups and
 * the daemon's insecure list are in registries_lookup.c. */
#include "registries_conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "toml.h"

#define MAX_HEADER_KEYS 8 /* components of a [table.header] */

/* --- the registries.conf schema ----------------------------------------------- */

enum table { T_ROOT, T_REGISTRY, T_MIRROR, T_SEARCH, T_INSECURE, T_BLOCK, T_OTHER };

enum key_id { K_SEARCH, K_PREFIX, K_LOCATION, K_INSECURE, K_BLOCKED, K_BY_DIGEST, K_PULL_FROM, K_REGISTRIES };

static const struct known_key {
	enum table table;
	const char *name;
	enum berth_toml_kind kind;
	enum key_id id;
} known_keys[] = {
	{ T_ROOT, "unqualified-search-registries", BERTH_TOML_ARRAY, K_SEARCH },
	{ T_REGISTRY, "prefix", BERTH_TOML_STRING, K_PREFIX },
	{ T_REGISTRY, "location", BERTH_TOML_STRING, K_LOCATION },
	{ T_REGISTRY, "insecure", BERTH_TOML_BOOL, K_INSECURE },
	{ T_REGISTRY, "blocked", BERTH_TOML_BOOL, K_BLOCKED },
	{ T_REGISTRY, "mirror-by-digest-only", BERTH_TOML_BOOL, K_BY_DIGEST },
	{ T_REGISTRY, "pull-from-mirror", BERTH_TOML_STRING, K_PULL_FROM },
	{ T_MIRROR, "location", BERTH_TOML_STRING, K_LOCATION },
	{ T_MIRROR, "insecure", BERTH_TOML_BOOL, K_INSECURE },
	{ T_MIRROR, "pull-from-mirror", BERTH_TOML_STRING, K_PULL_FROM },
	{ T_SEARCH, "registries", BERTH_TOML_ARRAY, K_REGISTRIES },
	{ T_INSECURE, "registries", BERTH_TOML_ARRAY, K_REGISTRIES },
	{ T_BLOCK, "registries", BERTH_TOML_ARRAY, K_REGISTRIES },
};

struct conf {
	struct berth_toml t;
	struct berth_registries *r;
	enum table table;
	unsigned long seen;	/* known keys set in the current table */
	unsigned v1_tables;	/* which [registries.*] tables appeared */
	char **v1[3];		/* search, insecure, block */
	size_t v1_n[3];
	unsigned v1_line[3];	/* of each registries = [...] */
	unsigned search_line;	/* of unqualified-search-registries */
	bool v2_search;		/* unqualified-search-registries was set */
};

static int open_registry(struct conf *c)
{
	struct berth_registries *r = c->r;
	struct berth_registry_entry *e;

	if (r->n_entries >= BERTH_REGISTRIES_MAX)
		return berth_toml_error(&c->t, "more than %d [[registry]] tables", BERTH_REGISTRIES_MAX);
	e = reallocarray(r->entries, r->n_entries + 1, sizeof(*e));
	if (e == NULL)
		return berth_error_sys(c->t.err, ENOMEM, "parse %s", c->t.what);
	r->entries = e;
	memset(&e[r->n_entries], 0, sizeof(*e));
	e[r->n_entries++].line = c->t.line;
	c->table = T_REGISTRY;
	return 0;
}

static int open_mirror(struct conf *c)
{
	struct berth_registry_entry *e;
	struct berth_registry_mirror *m;

	if (c->r->n_entries == 0)
		return berth_toml_error(&c->t, "[[registry.mirror]] before any [[registry]]");
	e = &c->r->entries[c->r->n_entries - 1];
	if (e->n_mirrors >= BERTH_REGISTRY_MIRRORS_MAX)
		return berth_toml_error(&c->t, "more than %d mirrors for one registry", BERTH_REGISTRY_MIRRORS_MAX);
	m = reallocarray(e->mirrors, e->n_mirrors + 1, sizeof(*m));
	if (m == NULL)
		return berth_error_sys(c->t.err, ENOMEM, "parse %s", c->t.what);
	e->mirrors = m;
	memset(&m[e->n_mirrors++], 0, sizeof(*m));
	c->table = T_MIRROR;
	return 0;
}

static int pick_table(struct conf *c, char **keys, size_t n, bool array)
{
	static const char *const v1_names[] = { "search", "insecure", "block" };
	bool registry = n >= 1 && strcmp(keys[0], "registry") == 0;

	c->seen = 0;
	c->table = T_OTHER;
	if (registry && (n == 1 || (n == 2 && strcmp(keys[1], "mirror") == 0))) {
		if (!array)
			return berth_toml_error(&c->t, "[%s] must be an array of tables: [[%s]]",
						n == 1 ? "registry" : "registry.mirror",
						n == 1 ? "registry" : "registry.mirror");
		return n == 1 ? open_registry(c) : open_mirror(c);
	}
	if (n == 2 && strcmp(keys[0], "registries") == 0) {
		for (unsigned i = 0; i < 3; i++) {
			if (strcmp(keys[1], v1_names[i]) != 0)
				continue;
			if (array || (c->v1_tables & (1u << i)))
				return berth_toml_error(&c->t, "[registries.%s] must appear once, as a table",
							v1_names[i]);
			c->v1_tables |= 1u << i;
			c->table = (enum table) (T_SEARCH + i);
		}
	}
	return 0;
}

static int take_header(struct conf *c)
{
	char *keys[MAX_HEADER_KEYS] = { NULL };
	unsigned line = c->t.line, next;
	size_t n = 0;
	bool array;
	int r = 0;

	c->t.p++;
	array = berth_toml_at(&c->t, '[');
	if (array)
		c->t.p++;
	for (;;) {
		berth_toml_skip_ws(&c->t);
		if (n >= MAX_HEADER_KEYS) {
			r = berth_toml_error(&c->t, "table name with more than %d parts", MAX_HEADER_KEYS);
			break;
		}
		if ((r = berth_toml_take_key(&c->t, &keys[n])) < 0)
			break;
		n++;
		berth_toml_skip_ws(&c->t);
		if (!berth_toml_at(&c->t, '.'))
			break;
		c->t.p++;
	}
	if (r == 0 && (!berth_toml_at(&c->t, ']') || (array && (c->t.end - c->t.p < 2 || c->t.p[1] != ']'))))
		r = berth_toml_error(&c->t, "expected '%s' to end the table header", array ? "]]" : "]");
	if (r == 0) {
		c->t.p += array ? 2 : 1;
		r = berth_toml_end_of_line(&c->t);
	}
	if (r == 0) {
		/* Messages and entries name the header's line, not the next. */
		next = c->t.line;
		c->t.line = line;
		r = pick_table(c, keys, n, array);
		c->t.line = next;
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	return r;
}

static int set_pull_from(struct conf *c, const char *s, enum berth_mirror_pull *ret)
{
	if (s[0] == '\0' || strcmp(s, "all") == 0)
		*ret = BERTH_MIRROR_PULL_ALL;
	else if (strcmp(s, "digest-only") == 0)
		*ret = BERTH_MIRROR_PULL_DIGEST_ONLY;
	else if (strcmp(s, "tag-only") == 0)
		*ret = BERTH_MIRROR_PULL_TAG_ONLY;
	else
		return berth_toml_error(&c->t, "pull-from-mirror: \"%.100s\" is not all, digest-only or tag-only", s);
	if (c->table == T_REGISTRY && s[0])
		return berth_toml_error(&c->t, "pull-from-mirror applies to [[registry.mirror]], not [[registry]]");
	return 0;
}

/* Store a checked value; ownership of strings moves out of v. */
static int apply_key(struct conf *c, enum key_id id, struct berth_toml_value *v)
{
	struct berth_registry_entry *e = c->r->n_entries ? &c->r->entries[c->r->n_entries - 1] : NULL;
	struct berth_registry_mirror *m = e && e->n_mirrors ? &e->mirrors[e->n_mirrors - 1] : NULL;
	bool mirror = c->table == T_MIRROR;
	enum berth_mirror_pull ignored;

	switch (id) {
	case K_SEARCH:
	case K_REGISTRIES:
		if (id == K_SEARCH) {
			berth_toml_strv_free(c->r->search, c->r->n_search);
			c->r->search = v->strv;
			c->r->n_search = v->n;
			c->v2_search = v->n > 0;
			c->search_line = c->t.line;
		} else {
			c->v1[c->table - T_SEARCH] = v->strv;
			c->v1_n[c->table - T_SEARCH] = v->n;
			c->v1_line[c->table - T_SEARCH] = c->t.line;
		}
		v->strv = NULL;
		v->n = 0;
		return 0;
	case K_PREFIX:
		e->prefix = berth_steal_ptr(&v->s);
		return 0;
	case K_LOCATION:
		*(mirror ? &m->location : &e->location) = berth_steal_ptr(&v->s);
		return 0;
	case K_INSECURE:
		*(mirror ? &m->insecure : &e->insecure) = v->b;
		return 0;
	case K_BLOCKED:
		e->blocked = v->b;
		return 0;
	case K_BY_DIGEST:
		e->mirror_by_digest_only = v->b;
		return 0;
	case K_PULL_FROM:
		return set_pull_from(c, v->s, mirror ? &m->pull_from : &ignored);
	default:
		return 0;
	}
}

static int take_key_value(struct conf *c)
{
	static const char *const kind_names[] = { "a string", "a boolean", "an integer", "an array of strings" };
	_cleanup_free_ char *key = NULL;
	struct berth_toml_value v = { 0 };
	unsigned line = c->t.line, next;
	int r;

	if ((r = berth_toml_take_key(&c->t, &key)) < 0)
		return r;
	berth_toml_skip_ws(&c->t);
	if (berth_toml_at(&c->t, '.'))
		return berth_toml_error(&c->t, "dotted keys are not supported (use a [table] header)");
	if (!berth_toml_at(&c->t, '='))
		return berth_toml_error(&c->t, "expected '=' after \"%.100s\"", key);
	c->t.p++;
	berth_toml_skip_ws(&c->t);
	r = berth_toml_take_value(&c->t, &v);
	if (r == 0)
		r = berth_toml_end_of_line(&c->t);
	for (size_t i = 0; r == 0 && i < BERTH_ARRAY_SIZE(known_keys); i++) {
		const struct known_key *k = &known_keys[i];
		if (k->table != c->table || strcmp(k->name, key) != 0)
			continue;
		/* The value may span lines: report the key's. */
		next = c->t.line;
		c->t.line = line;
		if (c->seen & (1ul << i))
			r = berth_toml_error(&c->t, "%s is set twice in one table", key);
		else if (v.kind != k->kind || (k->kind == BERTH_TOML_ARRAY && !v.strings_only))
			r = berth_toml_error(&c->t, "%s must be %s", key, kind_names[k->kind]);
		else
			r = apply_key(c, k->id, &v);
		c->t.line = next;
		c->seen |= 1ul << i;
		break;
	}
	berth_toml_value_free(&v);
	return r;
}

static int parse_document(struct conf *c)
{
	struct berth_toml *t = &c->t;
	int r;

	while (t->p < t->end) {
		berth_toml_skip_ws(t);
		if ((r = berth_toml_skip_comment(t)) < 0)
			return r;
		if (t->p >= t->end || berth_toml_newline(t))
			continue;
		if (berth_toml_at(t, '['))
			r = take_header(c);
		else
			r = take_key_value(c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- checks after parsing, as containers/image makes them -------------------- */

/* An error about something parsed earlier, at its line. */
#define conf_err(c, at_line, ...) ((c)->t.line = (at_line), berth_toml_error(&(c)->t, __VA_ARGS__))

/* A location, prefix or search entry: trailing '/' dropped, no URL scheme,
 * visible ASCII only.  An empty one becomes NULL. */
static int normalize(struct conf *c, char **s, unsigned line, const char *field)
{
	size_t len;

	if (*s == NULL)
		return 0;
	len = strlen(*s);
	while (len > 0 && (*s)[len - 1] == '/')
		(*s)[--len] = '\0';
	if (len == 0) {
		free(*s);
		*s = NULL;
		return 0;
	}
	if (strncmp(*s, "http://", 7) == 0 || strncmp(*s, "https://", 8) == 0)
		return conf_err(c, line, "%s \"%.100s\": URI schemes are not supported", field, *s);
	for (const char *p = *s; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f)
			return conf_err(c, line, "%s \"%.100s\": invalid character", field, *s);
	return 0;
}

static int finish_entry(struct conf *c, struct berth_registry_entry *e)
{
	int r = normalize(c, &e->location, e->line, "location");

	if (r == 0)
		r = normalize(c, &e->prefix, e->line, "prefix");
	if (r < 0)
		return r;
	if (e->prefix == NULL) {
		if (e->location == NULL)
			return conf_err(c, e->line, "[[registry]] sets neither prefix nor location");
		e->prefix = strdup(e->location);
		if (e->prefix == NULL)
			return berth_error_sys(c->t.err, ENOMEM, "parse %s", c->t.what);
	}
	if (e->prefix[0] == '*' ? e->prefix[1] != '.' || e->prefix[2] == '\0' || strpbrk(e->prefix + 1, "/@:*")
				: strchr(e->prefix, '*') != NULL)
		return conf_err(c, e->line, "prefix \"%.100s\": a wildcard prefix must look like *.example.com",
				e->prefix);
	if (e->location == NULL && e->prefix[0] != '*')
		return conf_err(c, e->line, "location is unset and prefix \"%.100s\" is not a wildcard", e->prefix);
	for (size_t i = 0; i < e->n_mirrors; i++) {
		struct berth_registry_mirror *m = &e->mirrors[i];
		if ((r = normalize(c, &m->location, e->line, "mirror location")) < 0)
			return r;
		if (m->location == NULL)
			return conf_err(c, e->line, "a [[registry.mirror]] of \"%.100s\" has no location", e->prefix);
		if (e->mirror_by_digest_only && m->pull_from != BERTH_MIRROR_PULL_ALL)
			return conf_err(c, e->line, "mirror-by-digest-only and pull-from-mirror of mirror \"%.100s\" "
				       "can not both be set", m->location);
	}
	return 0;
}

/* A registry may appear under several prefixes, but not as both secure
 * and insecure, or blocked and not. */
static int check_conflicts(struct conf *c)
{
	const struct berth_registries *r = c->r;

	for (size_t i = 0; i < r->n_entries; i++) {
		const struct berth_registry_entry *a = &r->entries[i];
		const char *ka = a->location ? a->location : a->prefix;
		for (size_t j = 0; j < i; j++) {
			const struct berth_registry_entry *b = &r->entries[j];
			if (strcmp(ka, b->location ? b->location : b->prefix) != 0)
				continue;
			if (a->insecure != b->insecure || a->blocked != b->blocked)
				return conf_err(c, a->line, "registry \"%.100s\" is defined again with a different %s setting",
						ka, a->insecure != b->insecure ? "insecure" : "blocked");
		}
	}
	return 0;
}

static int v1_entry(struct conf *c, const char *location, unsigned line, struct berth_registry_entry **ret)
{
	_cleanup_free_ char *loc = strdup(location);
	struct berth_registry_entry *e;
	int r;

	if (loc == NULL)
		return berth_error_sys(c->t.err, ENOMEM, "parse %s", c->t.what);
	if ((r = normalize(c, &loc, line, "registry")) < 0)
		return r;
	if (loc == NULL)
		return conf_err(c, line, "an empty registry name");
	for (size_t i = 0; i < c->r->n_entries; i++)
		if (strcmp(c->r->entries[i].location, loc) == 0) {
			*ret = &c->r->entries[i];
			return 0;
		}
	c->t.line = line;
	if ((r = open_registry(c)) < 0)
		return r;
	e = &c->r->entries[c->r->n_entries - 1];
	e->prefix = strdup(loc);
	e->location = berth_steal_ptr(&loc);
	*ret = e;
	return e->prefix ? 0 : berth_error_sys(c->t.err, ENOMEM, "parse %s", c->t.what);
}

/* [registries.block] and [registries.insecure] become [[registry]] tables
 * (blocked ones first, as containers/image orders them). */
static int convert_v1(struct conf *c)
{
	struct berth_registry_entry *e = NULL;
	int r;

	for (int list = 2; list >= 1; list--)
		for (size_t i = 0; i < c->v1_n[list]; i++) {
			if ((r = v1_entry(c, c->v1[list][i], c->v1_line[list], &e)) < 0)
				return r;
			*(list == 2 ? &e->blocked : &e->insecure) = true;
		}
	berth_toml_strv_free(c->r->search, c->r->n_search);
	c->r->search = berth_steal_ptr(&c->v1[0]);
	c->r->n_search = c->v1_n[0];
	return 0;
}

static int finish(struct conf *c)
{
	struct berth_registries *r = c->r;
	bool v1 = c->v1_n[0] || c->v1_n[1] || c->v1_n[2];
	int ret;

	if (v1 && (r->n_entries > 0 || c->v2_search))
		return berth_error_set(c->t.err, EINVAL,
				       "%s: mixing the v1 format ([registries.*]) with the v2 format ([[registry]], "
				       "unqualified-search-registries) is not supported",
				       c->t.what);
	if (v1 && (ret = convert_v1(c)) < 0)
		return ret;
	for (size_t i = 0; i < r->n_entries; i++)
		if ((ret = finish_entry(c, &r->entries[i])) < 0)
			return ret;
	if ((ret = check_conflicts(c)) < 0)
		return ret;
	for (size_t i = 0; i < r->n_search; i++) {
		unsigned line = v1 ? c->v1_line[0] : c->search_line;
		if ((ret = normalize(c, &r->search[i], line, "search registry")) < 0)
			return ret;
		if (r->search[i] == NULL || strpbrk(r->search[i], "/@"))
			return conf_err(c, line, "search registry \"%.100s\" is not a host[:port]",
					r->search[i] ? r->search[i] : "");
	}
	if (r->search == NULL && (r->search = calloc(1, sizeof(char *))) == NULL)
		return berth_error_sys(c->t.err, ENOMEM, "parse %s", c->t.what);
	return 0;
}

/* --- the object ------------------------------------------------------------------ */

int berth_registries_new(struct berth_registries **ret, struct berth_error *err)
{
	struct berth_registries *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->search = calloc(1, sizeof(char *))) == NULL ||
	    (r->source = strdup("registries.conf")) == NULL) {
		berth_registries_free(r);
		return berth_error_sys(err, ENOMEM, "allocate the registry configuration");
	}
	*ret = r;
	return 0;
}

void berth_registries_free(struct berth_registries *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_entries; i++) {
		struct berth_registry_entry *e = &r->entries[i];
		free(e->prefix);
		free(e->location);
		for (size_t j = 0; j < e->n_mirrors; j++)
			free(e->mirrors[j].location);
		free(e->mirrors);
	}
	free(r->entries);
	berth_toml_strv_free(r->search, r->n_search);
	for (size_t i = 0; i < r->n_insecure; i++)
		free(r->insecure[i].host);
	free(r->insecure);
	free(r->source);
	free(r);
}

int berth_registries_parse(const char *text, size_t len, const char *what, struct berth_registries **ret,
			   struct berth_error *err)
{
	struct conf c = { .t = { .p = text, .end = text + len, .line = 1, .what = what, .err = err } };
	int r;

	if (len > BERTH_REGISTRIES_CONF_MAX)
		return berth_error_set(err, EFBIG, "%s: larger than %d bytes", what, BERTH_REGISTRIES_CONF_MAX);
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c.t.p += 3; /* a UTF-8 byte order mark */
	r = berth_registries_new(&c.r, err);
	if (r < 0)
		return r;
	free(c.r->source);
	c.r->source = strdup(what);
	r = c.r->source ? parse_document(&c) : berth_error_sys(err, ENOMEM, "parse %s", what);
	if (r == 0)
		r = finish(&c);
	for (int i = 0; i < 3; i++)
		berth_toml_strv_free(c.v1[i], c.v1_n[i]);
	if (r < 0) {
		berth_registries_free(c.r);
		return r;
	}
	*ret = c.r;
	return 0;
}

int berth_registries_load(const char *path, bool missing_ok, struct berth_registries **ret, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = berth_read_file_at(AT_FDCWD, path, BERTH_REGISTRIES_CONF_MAX, &text, &len, err);
	if (r == -ENOENT && missing_ok)
		return berth_registries_parse("", 0, path, ret, err);
	if (r < 0)
		return r;
	return berth_registries_parse(text, len, path, ret, err);
}
