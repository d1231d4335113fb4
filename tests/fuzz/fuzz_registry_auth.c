/* X-Registry-Auth and the POST /auth body come from any API client: any
 * bytes must give credentials or an error, never a crash, a leak or
 * undefined behaviour; what decodes must encode and decode back the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void roundtrip(const struct berth_registry_credentials *c)
{
	struct berth_registry_credentials back = { 0 };
	struct berth_error err = { 0 };
	char *hdr = NULL;

	if ((c->username && !c->username[0]) || (c->password && !c->password[0]))
		__builtin_trap(); /* "" is always NULL */
	/* A user name from `auth` may not be UTF-8: then encoding refuses. */
	if (berth_registry_auth_encode_header(c, &hdr, &err) < 0)
		return;
	if (berth_registry_auth_decode_header(hdr, strlen(hdr), &back, &err) < 0)
		__builtin_trap();
	if (!same(c->username, back.username) || !same(c->password, back.password) ||
	    !same(c->identity_token, back.identity_token) || !same(c->registry_token, back.registry_token) ||
	    !same(c->server_address, back.server_address))
		__builtin_trap();
	berth_registry_credentials_clear(&back);
	free(hdr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_registry_credentials c = { 0 };
	struct berth_error err = { 0 };
	char *bytes = NULL, *text = NULL;
	size_t len = 0;

	if (berth_registry_auth_decode_header((const char *) data, size, &c, &err) == 0) {
		roundtrip(&c);
		berth_registry_credentials_clear(&c);
	} else if (strncmp(err.msg, "X-Registry-Auth", 15) != 0) {
		__builtin_trap();
	}
	if (berth_registry_auth_decode_body((const char *) data, size, &c, &err) == 0) {
		roundtrip(&c);
		berth_registry_credentials_clear(&c);
	}
	/* Lenient base64 decodes re-encode to what decodes the same. */
	if (size < 4096 && berth_base64_decode((const char *) data, size, BERTH_BASE64_LENIENT, &bytes, &len, &err) == 0) {
		char *back = NULL;
		size_t back_len = 0;
		if (berth_base64_encode(bytes, len, BERTH_BASE64_URL, &text, &err) < 0)
			__builtin_trap();
		/* The strict decoder takes only the standard alphabet. */
		if (berth_base64_decode(text, strlen(text), 0, &back, &back_len, &err) == 0 && strpbrk(text, "-_"))
			__builtin_trap();
		free(back);
		back = NULL;
		if (berth_base64_decode(text, strlen(text), BERTH_BASE64_LENIENT, &back, &back_len, &err) < 0 ||
		    back_len != len || memcmp(back, bytes, len) != 0)
			__builtin_trap();
		free(back);
		free(text);
		free(bytes);
	}
	return 0;
}
