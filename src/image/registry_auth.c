#include "registry_auth.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "json.h"

/* Free a string that may hold a secret: wipe it first, so a password does
 * not linger in freed heap memory (core dumps, later allocations). */
static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void secret_freep(char **s)
{
	int saved = errno;
	secret_free(*s);
	errno = saved;
}
#define _cleanup_secret_ _cleanup_(secret_freep)

void berth_registry_credentials_clear(struct berth_registry_credentials *c)
{
	int saved = errno;

	secret_free(c->username);
	secret_free(c->password);
	secret_free(c->identity_token);
	secret_free(c->registry_token);
	free(c->server_address);
	memset(c, 0, sizeof(*c));
	errno = saved;
}

bool berth_registry_credentials_is_anonymous(const struct berth_registry_credentials *c)
{
	return c->username == NULL && c->password == NULL && c->identity_token == NULL && c->registry_token == NULL;
}

/* strdup that maps NULL and "" to NULL, so "not set" has one spelling. */
static int dup_field(const char *s, char **ret, struct berth_error *err)
{
	*ret = NULL;
	if (s == NULL || s[0] == '\0')
		return 0;
	*ret = strdup(s);
	if (*ret == NULL)
		return berth_error_sys(err, ENOMEM, "copy credentials");
	return 0;
}

static int fill_credentials(const char *const v[5], struct berth_registry_credentials *ret, struct berth_error *err)
{
	struct berth_registry_credentials c = { 0 };
	int r = 0;

	if (r == 0)
		r = dup_field(v[0], &c.username, err);
	if (r == 0)
		r = dup_field(v[1], &c.password, err);
	if (r == 0)
		r = dup_field(v[2], &c.identity_token, err);
	if (r == 0)
		r = dup_field(v[3], &c.registry_token, err);
	if (r == 0)
		r = dup_field(v[4], &c.server_address, err);
	if (r < 0) {
		berth_registry_credentials_clear(&c);
		return r;
	}
	*ret = c;
	return 0;
}

int berth_registry_credentials_copy(const struct berth_registry_credentials *src,
				    struct berth_registry_credentials *ret, struct berth_error *err)
{
	const char *v[5] = { src->username, src->password, src->identity_token, src->registry_token,
			     src->server_address };
	return fill_credentials(v, ret, err);
}

/* --- base64 ------------------------------------------------------------- */

/* EVP_*Block take an int length; stay well below it. */
#define BASE64_MAX_INPUT ((size_t) INT_MAX / 2)

int berth_base64_encode(const void *data, size_t len, unsigned flags, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *out = NULL;
	size_t n;

	if (len > BASE64_MAX_INPUT / 2)
		return berth_error_set(err, EFBIG, "base64 encode: %zu bytes is too large", len);
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out == NULL)
		return berth_error_sys(err, ENOMEM, "base64 encode");
	n = (size_t) EVP_EncodeBlock((unsigned char *) out, data, (int) len);
	if (flags & BERTH_BASE64_URL) {
		for (size_t i = 0; i < n; i++) {
			if (out[i] == '+')
				out[i] = '-';
			else if (out[i] == '/')
				out[i] = '_';
		}
	}
	if (flags & BERTH_BASE64_NO_PAD)
		while (n > 0 && out[n - 1] == '=')
			out[--n] = '\0';
	*ret = berth_steal_ptr(&out);
	return 0;
}

/* Check the characters and bring the text to the standard, padded form
 * EVP_DecodeBlock wants.  Offsets, not characters, go into messages: the
 * text may be a password. */
static int base64_normalize(const char *text, size_t len, unsigned flags, char *norm, size_t *ret_len,
			    size_t *ret_pad, struct berth_error *err)
{
	bool lenient = flags & BERTH_BASE64_LENIENT;
	size_t pad = 0, body;

	while (pad < len && pad < 3 && text[len - 1 - pad] == '=')
		pad++;
	body = len - pad;
	if (pad > 2 || body % 4 == 1)
		return berth_error_set(err, EINVAL, "not valid base64: wrong length or padding");
	if (pad > 0 ? len % 4 != 0 : (!lenient && body % 4 != 0))
		return berth_error_set(err, EINVAL, "not valid base64: wrong length or padding");
	for (size_t i = 0; i < body; i++) {
		char c = text[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
		    c == '/')
			norm[i] = c;
		else if (lenient && (c == '-' || c == '_'))
			norm[i] = c == '-' ? '+' : '/';
		else
			return berth_error_set(err, EINVAL, "not valid base64: unexpected character at offset %zu", i);
	}
	/* The padding the text had, or the padding it left out. */
	pad = (4 - body % 4) % 4;
	memset(norm + body, '=', pad);
	*ret_len = body + pad;
	*ret_pad = pad;
	return 0;
}

int berth_base64_decode(const char *text, size_t len, unsigned flags, char **ret, size_t *ret_len,
			struct berth_error *err)
{
	_cleanup_secret_ char *norm = NULL;
	_cleanup_free_ char *out = NULL;
	size_t n = 0, pad = 0;
	int r;

	if (len > BASE64_MAX_INPUT)
		return berth_error_set(err, EFBIG, "not valid base64: %zu bytes is too large", len);
	norm = calloc(1, len + 4);
	if (norm == NULL)
		return berth_error_sys(err, ENOMEM, "base64 decode");
	r = base64_normalize(text, len, flags, norm, &n, &pad, err);
	if (r < 0)
		return r;
	out = malloc(n / 4 * 3 + 1);
	if (out == NULL)
		return berth_error_sys(err, ENOMEM, "base64 decode");
	r = EVP_DecodeBlock((unsigned char *) out, (const unsigned char *) norm, (int) n);
	if (r < 0 || (size_t) r != n / 4 * 3)
		return berth_error_set(err, EINVAL, "not valid base64");
	/* EVP_DecodeBlock counts the bytes the padding stands for. */
	n = (size_t) r - pad;
	out[n] = '\0';
	*ret = berth_steal_ptr(&out);
	if (ret_len)
		*ret_len = n;
	return 0;
}

/* --- the `auth` field ----------------------------------------------------- */

int berth_registry_auth_decode_basic(const char *auth, char **ret_username, char **ret_password,
				     struct berth_error *err)
{
	_cleanup_secret_ char *plain = NULL;
	_cleanup_secret_ char *user = NULL;
	size_t len, ulen, plen;
	const char *colon, *pw;
	int r;

	r = berth_base64_decode(auth, strlen(auth), 0, &plain, &len, err);
	if (r < 0)
		return r;
	colon = memchr(plain, ':', len);
	if (colon == NULL || colon == plain)
		return berth_error_set(err, EINVAL, "not base64 of \"username:password\"");
	ulen = (size_t) (colon - plain);
	pw = colon + 1;
	plen = len - ulen - 1;
	/* The docker CLI strips NULs around the password (its decoder pads
	 * the buffer with them); do the same so both read the same password. */
	while (plen > 0 && pw[0] == '\0')
		pw++, plen--;
	while (plen > 0 && pw[plen - 1] == '\0')
		plen--;
	if (memchr(plain, '\0', ulen) || memchr(pw, '\0', plen))
		return berth_error_set(err, EINVAL, "user name or password contains a NUL byte");
	user = strndup(plain, ulen);
	if (user == NULL)
		return berth_error_sys(err, ENOMEM, "decode credentials");
	*ret_password = strndup(pw, plen);
	if (*ret_password == NULL)
		return berth_error_sys(err, ENOMEM, "decode credentials");
	*ret_username = berth_steal_ptr(&user);
	return 0;
}

int berth_registry_auth_encode_basic(const char *username, const char *password, char **ret,
				     struct berth_error *err)
{
	_cleanup_secret_ char *plain = NULL;

	if (asprintf(&plain, "%s:%s", username ? username : "", password ? password : "") < 0) {
		plain = NULL;
		return berth_error_sys(err, ENOMEM, "encode credentials");
	}
	return berth_base64_encode(plain, strlen(plain), 0, ret, err);
}

/* --- JSON ----------------------------------------------------------------- */

enum { F_USER, F_PASS, F_IDENTITY, F_REGISTRY, F_SERVER, F_AUTH, F_EMAIL, F_COUNT };
static const char *const field_names[F_COUNT] = {
	[F_USER] = "username",	       [F_PASS] = "password",	      [F_IDENTITY] = "identitytoken",
	[F_REGISTRY] = "registrytoken", [F_SERVER] = "serveraddress", [F_AUTH] = "auth",
	[F_EMAIL] = "email",
};

static int json_fail(struct berth_error *err, const char *what, const char *path, const char *key, const char *why)
{
	char p[BJSON_PATH_MAX];

	if (key == NULL && (path == NULL || path[0] == '\0'))
		return berth_error_set(err, EINVAL, "%s: %s", what, why);
	if (key)
		bjson_path_key(p, path, key);
	else
		snprintf(p, sizeof(p), "%s", path);
	return berth_error_set(err, EINVAL, "%s: %s: %s", what, p, why);
}

/* Collect the known fields; names match without regard to case and the
 * last occurrence wins, as with encoding/json in dockerd and the CLI. */
static int collect_fields(json_t *obj, const char *what, const char *path, const char *v[F_COUNT],
			  const char *keys[F_COUNT], struct berth_error *err)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return json_fail(err, what, path, NULL, "must be a JSON object");
	json_object_foreach (obj, key, val) {
		for (int f = 0; f < F_COUNT; f++) {
			if (strcasecmp(key, field_names[f]) != 0)
				continue;
			if (json_is_null(val))
				break;
			if (!json_is_string(val))
				return json_fail(err, what, path, key, "must be a string");
			v[f] = json_string_value(val);
			keys[f] = key;
			break;
		}
	}
	return 0;
}

int berth_registry_auth_from_json(json_t *obj, const char *what, const char *path, enum berth_registry_auth_json mode,
				  struct berth_registry_credentials *ret, struct berth_error *err)
{
	_cleanup_secret_ char *user = NULL;
	_cleanup_secret_ char *pass = NULL;
	const char *v[F_COUNT] = { 0 }, *keys[F_COUNT] = { 0 };
	bool fields_empty;
	int r;

	r = collect_fields(obj, what, path, v, keys, err);
	if (r < 0)
		return r;
	fields_empty = (v[F_USER] == NULL || !v[F_USER][0]) && (v[F_PASS] == NULL || !v[F_PASS][0]);
	if (v[F_AUTH] && v[F_AUTH][0] && (mode == BERTH_AUTH_JSON_AUTH_FIRST || fields_empty)) {
		r = berth_registry_auth_decode_basic(v[F_AUTH], &user, &pass, err);
		if (r < 0) {
			char p[BJSON_PATH_MAX];
			bjson_path_key(p, path, keys[F_AUTH]);
			return berth_error_wrap(err, "%s: %s", what, p);
		}
		v[F_USER] = user;
		v[F_PASS] = pass;
	}
	return fill_credentials(v, ret, err);
}

int berth_registry_auth_to_json(const struct berth_registry_credentials *c, json_t **ret, struct berth_error *err)
{
	const char *v[F_COUNT] = { c->username, c->password, c->identity_token, c->registry_token, c->server_address };
	_cleanup_json_ json_t *obj = json_object();

	if (obj == NULL)
		return berth_error_sys(err, ENOMEM, "encode credentials");
	for (int f = 0; f < F_AUTH; f++) {
		json_t *s;
		if (v[f] == NULL || v[f][0] == '\0')
			continue;
		s = json_string(v[f]);
		if (s == NULL)
			return berth_error_set(err, EINVAL, "encode credentials: %s is not valid UTF-8", field_names[f]);
		if (json_object_set_new(obj, field_names[f], s) < 0)
			return berth_error_sys(err, ENOMEM, "encode credentials");
	}
	*ret = berth_steal_ptr(&obj);
	return 0;
}

/* Parse a JSON document that must be an object or null (null and {} mean
 * anonymous).  Duplicate keys are allowed, the last one winning, as in Go. */
static int decode_json(const char *text, size_t len, const char *what, struct berth_registry_credentials *ret,
		       struct berth_error *err)
{
	_cleanup_json_ json_t *j = NULL;
	json_error_t jerr;

	j = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	if (j == NULL)
		return berth_error_set(err, EINVAL, "%s: not valid JSON: line %d, column %d: %s", what, jerr.line,
				       jerr.column, jerr.text);
	if (json_is_null(j)) {
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	return berth_registry_auth_from_json(j, what, "", BERTH_AUTH_JSON_FIELDS_FIRST, ret, err);
}

static void trim_blanks(const char **s, size_t *len)
{
	while (*len > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t'))
		(*s)++, (*len)--;
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

int berth_registry_auth_decode_header(const char *value, size_t len, struct berth_registry_credentials *ret,
				      struct berth_error *err)
{
	_cleanup_free_ char *json = NULL;
	size_t json_len = 0;
	int r;

	if (value == NULL)
		len = 0;
	trim_blanks(&value, &len);
	if (len == 0) {
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	if (len > BERTH_REGISTRY_AUTH_HEADER_MAX)
		return berth_error_set(err, EFBIG, "X-Registry-Auth: longer than %d bytes",
				       BERTH_REGISTRY_AUTH_HEADER_MAX);
	r = berth_base64_decode(value, len, BERTH_BASE64_LENIENT, &json, &json_len, err);
	if (r < 0)
		return berth_error_wrap(err, "X-Registry-Auth");
	r = decode_json(json, json_len, "X-Registry-Auth", ret, err);
	explicit_bzero(json, json_len);
	return r;
}

int berth_registry_auth_decode_body(const char *body, size_t len, struct berth_registry_credentials *ret,
				    struct berth_error *err)
{
	if (body == NULL)
		len = 0;
	trim_blanks(&body, &len);
	if (len == 0) {
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	if (len > BERTH_REGISTRY_AUTH_BODY_MAX)
		return berth_error_set(err, EFBIG, "auth request body: longer than %d bytes",
				       BERTH_REGISTRY_AUTH_BODY_MAX);
	return decode_json(body, len, "auth request body", ret, err);
}

int berth_registry_auth_encode_body(const struct berth_registry_credentials *c, char **ret, struct berth_error *err)
{
	_cleanup_json_ json_t *obj = NULL;
	int r = berth_registry_auth_to_json(c, &obj, err);

	if (r < 0)
		return r;
	*ret = bjson_dump(obj);
	if (*ret == NULL)
		return berth_error_sys(err, ENOMEM, "encode credentials");
	return 0;
}

int berth_registry_auth_encode_header(const struct berth_registry_credentials *c, char **ret,
				      struct berth_error *err)
{
	_cleanup_secret_ char *json = NULL;
	int r = berth_registry_auth_encode_body(c, &json, err);

	if (r < 0)
		return r;
	return berth_base64_encode(json, strlen(json), BERTH_BASE64_URL, ret, err);
}
