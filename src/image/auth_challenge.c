#include "auth_challenge.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"

#define WHAT "WWW-Authenticate"

struct scanner {
	const char *s;
	size_t len;
	size_t pos;
};

static bool is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 7230 tchar. */
static bool is_tchar(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 7235 token68, without its trailing '='. */
static bool is_token68_char(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("-._~+/", c) != NULL);
}

static size_t skip_ows_at(const struct scanner *sc, size_t p)
{
	while (p < sc->len && (sc->s[p] == ' ' || sc->s[p] == '\t'))
		p++;
	return p;
}

static size_t token_end_at(const struct scanner *sc, size_t p)
{
	while (p < sc->len && is_tchar((unsigned char) sc->s[p]))
		p++;
	return p;
}

/* Does an auth-param (token BWS "=" BWS value) start here?  Telling it from
 * a new challenge's scheme or a token68 ("abc==") needs this look-ahead. */
static bool at_param(const struct scanner *sc)
{
	size_t p = token_end_at(sc, sc->pos);

	if (p == sc->pos)
		return false;
	p = skip_ows_at(sc, p);
	if (p >= sc->len || sc->s[p] != '=')
		return false;
	p = skip_ows_at(sc, p + 1);
	return p < sc->len && (sc->s[p] == '"' || is_tchar((unsigned char) sc->s[p]));
}

static int syntax_error(const struct scanner *sc, const char *why, struct berth_error *err)
{
	return berth_error_set(err, EINVAL, WHAT ": %s at offset %zu", why, sc->pos);
}

static int take_token(struct scanner *sc, char **ret, struct berth_error *err)
{
	size_t end = token_end_at(sc, sc->pos);

	*ret = strndup(sc->s + sc->pos, end - sc->pos);
	if (*ret == NULL)
		return berth_error_sys(err, ENOMEM, "parse " WHAT);
	sc->pos = end;
	return 0;
}

/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE */
static int take_quoted(struct scanner *sc, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *out = malloc(sc->len - sc->pos);
	size_t n = 0;

	if (out == NULL)
		return berth_error_sys(err, ENOMEM, "parse " WHAT);
	sc->pos++; /* the opening quote */
	while (sc->pos < sc->len) {
		unsigned char c = (unsigned char) sc->s[sc->pos];
		if (c == '"') {
			sc->pos++;
			out[n] = '\0';
			*ret = berth_steal_ptr(&out);
			return 0;
		}
		if (c == '\\') {
			if (++sc->pos >= sc->len)
				break;
			c = (unsigned char) sc->s[sc->pos];
		}
		/* HTAB, SP, VCHAR and obs-text; never a control character. */
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return syntax_error(sc, "control character in a quoted string", err);
		out[n++] = (char) c;
		sc->pos++;
	}
	return syntax_error(sc, "unterminated quoted string", err);
}

static int add_param(struct scanner *sc, struct berth_auth_challenge *c, struct berth_error *err)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *value = NULL;
	struct berth_auth_param *params;
	int r;

	if (c->token68)
		return syntax_error(sc, "parameter after a token68", err);
	if (c->n_params >= BERTH_AUTH_PARAMS_MAX)
		return syntax_error(sc, "too many parameters", err);
	r = take_token(sc, &name, err);
	if (r < 0)
		return r;
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char) (*p - 'A' + 'a');
	if (berth_auth_challenge_param(c, name))
		return berth_error_set(err, EINVAL, WHAT ": parameter \"%s\" given twice", name);
	sc->pos = skip_ows_at(sc, sc->pos) + 1; /* at_param() saw the '=' */
	sc->pos = skip_ows_at(sc, sc->pos);
	r = sc->s[sc->pos] == '"' ? take_quoted(sc, &value, err) : take_token(sc, &value, err);
	if (r < 0)
		return r;
	params = realloc(c->params, (c->n_params + 1) * sizeof(*params));
	if (params == NULL)
		return berth_error_sys(err, ENOMEM, "parse " WHAT);
	c->params = params;
	params[c->n_params].name = berth_steal_ptr(&name);
	params[c->n_params].value = berth_steal_ptr(&value);
	c->n_params++;
	return 0;
}

static int take_token68(struct scanner *sc, struct berth_auth_challenge *c, struct berth_error *err)
{
	size_t start = sc->pos;

	while (sc->pos < sc->len && is_token68_char((unsigned char) sc->s[sc->pos]))
		sc->pos++;
	if (sc->pos == start)
		return syntax_error(sc, "expected a parameter or a token68", err);
	while (sc->pos < sc->len && sc->s[sc->pos] == '=')
		sc->pos++;
	c->token68 = strndup(sc->s + start, sc->pos - start);
	if (c->token68 == NULL)
		return berth_error_sys(err, ENOMEM, "parse " WHAT);
	return 0;
}

static void challenge_free(struct berth_auth_challenge *c)
{
	for (size_t i = 0; i < c->n_params; i++) {
		free(c->params[i].name);
		free(c->params[i].value);
	}
	free(c->params);
	free(c->scheme);
	free(c->token68);
}

/* A new challenge: its scheme, then nothing, a token68 or the first
 * parameter (after at least one space). */
static int add_challenge(struct scanner *sc, struct berth_auth_challenges *list, size_t limit,
			 struct berth_error *err)
{
	struct berth_auth_challenge *items, *c;
	size_t after;
	int r;

	if (list->n_items >= limit)
		return syntax_error(sc, "too many challenges", err);
	items = realloc(list->items, (list->n_items + 1) * sizeof(*items));
	if (items == NULL)
		return berth_error_sys(err, ENOMEM, "parse " WHAT);
	list->items = items;
	c = &items[list->n_items++];
	memset(c, 0, sizeof(*c));
	r = take_token(sc, &c->scheme, err);
	if (r < 0)
		return r;
	after = skip_ows_at(sc, sc->pos);
	if (after >= sc->len || sc->s[after] == ',') {
		sc->pos = after;
		return 0;
	}
	if (after == sc->pos)
		return syntax_error(sc, "expected a space or ',' after the scheme", err);
	sc->pos = after;
	return at_param(sc) ? add_param(sc, c, err) : take_token68(sc, c, err);
}

static int parse_into(struct scanner *sc, struct berth_auth_challenges *tmp, size_t limit, struct berth_error *err)
{
	int r;

	for (;;) {
		/* Empty list elements (", ,") are allowed by RFC 7230's #rule. */
		sc->pos = skip_ows_at(sc, sc->pos);
		if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
			sc->pos++;
			continue;
		}
		if (sc->pos >= sc->len)
			return 0;
		if (!is_tchar((unsigned char) sc->s[sc->pos]))
			return syntax_error(sc, "expected an auth scheme or parameter", err);
		if (tmp->n_items > 0 && at_param(sc))
			r = add_param(sc, &tmp->items[tmp->n_items - 1], err);
		else
			r = add_challenge(sc, tmp, limit, err);
		if (r < 0)
			return r;
		sc->pos = skip_ows_at(sc, sc->pos);
		if (sc->pos < sc->len && sc->s[sc->pos] != ',')
			return syntax_error(sc, "expected ','", err);
	}
}

int berth_auth_challenges_parse(struct berth_auth_challenges *list, const char *value, size_t len,
				struct berth_error *err)
{
	struct berth_auth_challenges tmp = { 0 };
	struct scanner sc = { .s = value ? value : "", .len = value ? len : 0, .pos = 0 };
	struct berth_auth_challenge *items = NULL;
	int r;

	if (sc.len > BERTH_AUTH_HEADER_MAX)
		return berth_error_set(err, EFBIG, WHAT ": longer than %d bytes", BERTH_AUTH_HEADER_MAX);
	if (memchr(sc.s, '\0', sc.len))
		return berth_error_set(err, EINVAL, WHAT ": contains a NUL byte");
	if (list->n_items >= BERTH_AUTH_CHALLENGES_MAX)
		return berth_error_set(err, EINVAL, WHAT ": more than %d challenges", BERTH_AUTH_CHALLENGES_MAX);
	r = parse_into(&sc, &tmp, BERTH_AUTH_CHALLENGES_MAX - list->n_items, err);
	if (r == 0 && tmp.n_items == 0)
		r = berth_error_set(err, EINVAL, WHAT ": no challenge");
	if (r == 0) {
		items = realloc(list->items, (list->n_items + tmp.n_items) * sizeof(*items));
		if (items == NULL)
			r = berth_error_sys(err, ENOMEM, "parse " WHAT);
	}
	if (r < 0) {
		berth_auth_challenges_clear(&tmp);
		return r;
	}
	memcpy(items + list->n_items, tmp.items, tmp.n_items * sizeof(*items));
	list->items = items;
	list->n_items += tmp.n_items;
	free(tmp.items);
	return 0;
}

void berth_auth_challenges_clear(struct berth_auth_challenges *list)
{
	for (size_t i = 0; i < list->n_items; i++)
		challenge_free(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->n_items = 0;
}

const struct berth_auth_challenge *berth_auth_challenges_find(const struct berth_auth_challenges *list,
							      const char *scheme)
{
	for (size_t i = 0; i < list->n_items; i++)
		if (strcasecmp(list->items[i].scheme, scheme) == 0)
			return &list->items[i];
	return NULL;
}

const char *berth_auth_challenge_param(const struct berth_auth_challenge *c, const char *name)
{
	for (size_t i = 0; i < c->n_params; i++)
		if (strcasecmp(c->params[i].name, name) == 0)
			return c->params[i].value;
	return NULL;
}

/* --- the token request ---------------------------------------------------- */

struct urlbuf {
	char *p;
	size_t len;
	size_t cap;
};

static int urlbuf_put(struct urlbuf *b, const char *s, size_t n, struct berth_error *err)
{
	if (n > BERTH_AUTH_TOKEN_URL_MAX - b->len)
		return berth_error_set(err, EFBIG, "token URL: longer than %d bytes", BERTH_AUTH_TOKEN_URL_MAX);
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return berth_error_sys(err, ENOMEM, "build token URL");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int urlbuf_put_escaped(struct urlbuf *b, const char *s, struct berth_error *err)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		char enc[3] = { '%', hex[c >> 4], hex[c & 15] };
		int r;
		if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			r = urlbuf_put(b, s, 1, err);
		else
			r = urlbuf_put(b, enc, 3, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int berth_url_query_escape(const char *s, char **ret, struct berth_error *err)
{
	struct urlbuf b = { 0 };
	int r = urlbuf_put(&b, "", 0, err);

	if (r == 0)
		r = urlbuf_put_escaped(&b, s, err);
	if (r < 0) {
		free(b.p);
		return r;
	}
	*ret = b.p;
	return 0;
}

/* The realm comes from the registry: accept only an absolute http(s) URL
 * made of visible ASCII, without a fragment the query would land in. */
static int check_realm(const char *realm, struct berth_error *err)
{
	size_t skip;

	if (strncasecmp(realm, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(realm, "http://", 7) == 0)
		skip = 7;
	else
		return berth_error_set(err, EINVAL, "token realm \"%.200s\": not an http or https URL", realm);
	if (realm[skip] == '\0' || strchr("/?#", realm[skip]))
		return berth_error_set(err, EINVAL, "token realm \"%.200s\": no host", realm);
	for (const char *p = realm; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f || *p == '#')
			return berth_error_set(err, EINVAL, "token realm \"%.200s\": invalid character at offset %zu",
					       realm, (size_t) (p - realm));
	return 0;
}

static int add_query(struct urlbuf *b, bool *first, const char *name, const char *value, struct berth_error *err)
{
	const char *sep = "&";
	char last = b->p[b->len - 1];
	int r;

	if (value == NULL || value[0] == '\0')
		return 0;
	/* The realm may carry a query of its own, even end in "?" or "&". */
	if (*first && !strchr(b->p, '?'))
		sep = "?";
	else if (*first && (last == '?' || last == '&'))
		sep = "";
	*first = false;
	r = urlbuf_put(b, sep, strlen(sep), err);
	if (r == 0)
		r = urlbuf_put(b, name, strlen(name), err);
	if (r == 0)
		r = urlbuf_put(b, "=", 1, err);
	if (r == 0)
		r = urlbuf_put_escaped(b, value, err);
	return r;
}

int berth_auth_token_url(const char *realm, const char *service, const char *const *scopes, size_t n_scopes,
			 const char *account, char **ret, struct berth_error *err)
{
	struct urlbuf b = { 0 };
	bool first = true;
	int r;

	if (realm == NULL)
		return berth_error_set(err, EINVAL, "token realm: missing");
	r = check_realm(realm, err);
	if (r == 0)
		r = urlbuf_put(&b, realm, strlen(realm), err);
	if (r == 0)
		r = add_query(&b, &first, "service", service, err);
	for (size_t i = 0; r == 0 && i < n_scopes; i++)
		r = add_query(&b, &first, "scope", scopes[i], err);
	if (r == 0)
		r = add_query(&b, &first, "account", account, err);
	if (r < 0) {
		free(b.p);
		return r;
	}
	*ret = b.p;
	return 0;
}

int berth_auth_challenge_token_url(const struct berth_auth_challenge *c, const char *const *scopes, size_t n_scopes,
				   const char *account, char **ret, struct berth_error *err)
{
	const char *realm = berth_auth_challenge_param(c, "realm");
	const char *own_scope = berth_auth_challenge_param(c, "scope");

	if (realm == NULL || realm[0] == '\0')
		return berth_error_set(err, EINVAL, "%s challenge: no realm", c->scheme);
	if (n_scopes == 0 && own_scope) {
		scopes = &own_scope;
		n_scopes = 1;
	}
	return berth_auth_token_url(realm, berth_auth_challenge_param(c, "service"), scopes, n_scopes, account, ret,
				    err);
}
