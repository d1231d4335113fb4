/* Registry credentials as the Docker Engine API carries them.
 *
 * A client sends credentials for a pull or push in the `X-Registry-Auth`
 * header: base64url of a JSON object
 *
 *     {"username": "...", "password": "...", "auth": "...", "email": "...",
 *      "serveraddress": "...", "identitytoken": "...", "registrytoken": "..."}
 *
 * and the same object, as plain JSON, is the body of `POST /auth`.  An
 * empty header, `{}` or `null` means anonymous access.  The docker CLI
 * encodes with the URL-safe alphabet and padding; other clients use the
 * standard alphabet or drop the padding, so decoding accepts all of them.
 * As with Go's encoding/json in dockerd, field names match without regard
 * to case and unknown fields are ignored.
 *
 * The base64 helpers here are OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock
 * with the alphabet and padding handled around them; authfile.c uses them
 * for the `auth` field of ~/.docker/config.json.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Identity and registry tokens are JWTs of a few KiB; this leaves room. */
#define BERTH_REGISTRY_AUTH_HEADER_MAX (64 * 1024)
#define BERTH_REGISTRY_AUTH_BODY_MAX (64 * 1024)

/* Every field is a malloc'ed string or NULL (never "").  Functions that
 * fill one overwrite it without freeing: pass an empty (zeroed) struct. */
struct berth_registry_credentials {
	char *username;
	char *password;
	char *identity_token; /* OAuth2 refresh token from a login: traded for bearer tokens */
	char *registry_token; /* a bearer token for the registry, sent as is */
	char *server_address;
};

/* Wipe the secrets and free every field; the struct is left all NULL. */
void berth_registry_credentials_clear(struct berth_registry_credentials *c);
#define _cleanup_registry_credentials_ __attribute__((cleanup(berth_registry_credentials_clear)))

/* True when there is nothing to authenticate with. */
bool berth_registry_credentials_is_anonymous(const struct berth_registry_credentials *c);

int berth_registry_credentials_copy(const struct berth_registry_credentials *src,
				    struct berth_registry_credentials *ret, struct berth_error *err);

enum berth_base64_flags {
	BERTH_BASE64_URL = 1 << 0,     /* encode with the URL-safe alphabet ('-', '_') */
	BERTH_BASE64_NO_PAD = 1 << 1,  /* encode without '=' padding */
	BERTH_BASE64_LENIENT = 1 << 2, /* decode either alphabet, padding optional */
};

/* Encode len bytes into a NUL-terminated malloc'ed string. */
int berth_base64_encode(const void *data, size_t len, unsigned flags, char **ret, struct berth_error *err);

/* Decode text[0..len) into a malloc'ed buffer with a NUL after the data.
 * Without BERTH_BASE64_LENIENT only the standard alphabet with padding is
 * accepted.  Whitespace is never accepted.  Messages say "not valid base64"
 * and the caller wraps them with what was being decoded. */
int berth_base64_decode(const char *text, size_t len, unsigned flags, char **ret, size_t *ret_len,
			struct berth_error *err);

/* The `auth` field: standard base64 of "user:password".  The password may
 * contain ':' (the split is at the first one); NUL bytes at either end of
 * the password are dropped, as the docker CLI does; an empty user name or
 * a NUL inside either part is an error. */
int berth_registry_auth_decode_basic(const char *auth, char **ret_username, char **ret_password,
				     struct berth_error *err);
/* base64("user:password"): the `auth` field, and an HTTP Basic credential. */
int berth_registry_auth_encode_basic(const char *username, const char *password, char **ret,
				     struct berth_error *err);

/* How the `auth` field combines with username/password in an object. */
enum berth_registry_auth_json {
	/* X-Registry-Auth and POST /auth: username/password are used; `auth`
	 * only when both are empty (dockerd ignores it; other clients send it). */
	BERTH_AUTH_JSON_FIELDS_FIRST = 0,
	/* ~/.docker/config.json: a non-empty `auth` replaces username/password. */
	BERTH_AUTH_JSON_AUTH_FIRST = 1,
};

/* Read credentials from a JSON object (an API body or a config.json entry).
 * `what` names the source and `path` the object in messages
 * ("config.json: auths.example.com.auth: not valid base64"). */
int berth_registry_auth_from_json(json_t *obj, const char *what, const char *path, enum berth_registry_auth_json mode,
				  struct berth_registry_credentials *ret, struct berth_error *err);

/* The JSON object of the API (only the fields that are set). */
int berth_registry_auth_to_json(const struct berth_registry_credentials *c, json_t **ret, struct berth_error *err);

/* X-Registry-Auth.  value[0..len) is the header value (surrounding blanks
 * are ignored); anonymous access gives all-NULL credentials. */
int berth_registry_auth_decode_header(const char *value, size_t len, struct berth_registry_credentials *ret,
				      struct berth_error *err);
/* The header value the docker CLI would send: base64url, padded. */
int berth_registry_auth_encode_header(const struct berth_registry_credentials *c, char **ret,
				      struct berth_error *err);

/* The body of POST /auth (plain JSON). */
int berth_registry_auth_decode_body(const char *body, size_t len, struct berth_registry_credentials *ret,
				    struct berth_error *err);
int berth_registry_auth_encode_body(const struct berth_registry_credentials *c, char **ret, struct berth_error *err);
