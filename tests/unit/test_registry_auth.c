#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "registry_auth.h"

static int decode_header(const char *value, struct berth_registry_credentials *c, struct berth_error *err)
{
	return berth_registry_auth_decode_header(value, value ? strlen(value) : 0, c, err);
}

static void test_base64(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char *out = NULL;
	size_t len = 0;
	static const unsigned char bytes[] = { 0xfb, 0xff, 0xbf, 0x00, 'a' };

	assert_int_equal(berth_base64_encode(bytes, sizeof(bytes), 0, &out, &err), 0);
	assert_string_equal(out, "+/+/AGE=");
	free(out);
	assert_int_equal(berth_base64_encode(bytes, sizeof(bytes), BERTH_BASE64_URL | BERTH_BASE64_NO_PAD, &out, &err), 0);
	assert_string_equal(out, "-_-_AGE");
	free(out);
	assert_int_equal(berth_base64_encode("", 0, 0, &out, &err), 0);
	assert_string_equal(out, "");
	free(out);

	/* Strict: the standard alphabet with padding. */
	assert_int_equal(berth_base64_decode("+/+/AGE=", 8, 0, &out, &len, &err), 0);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(out, bytes, sizeof(bytes));
	assert_int_equal(out[len], '\0');
	free(out);
	assert_int_equal(berth_base64_decode("-_-_AGE=", 8, 0, &out, &len, &err), -EINVAL);
	assert_int_equal(berth_base64_decode("+/+/AGE", 7, 0, &out, &len, &err), -EINVAL);
	/* Lenient: either alphabet, padding optional, even mixed. */
	assert_int_equal(berth_base64_decode("-_+/AGE", 7, BERTH_BASE64_LENIENT, &out, &len, &err), 0);
	assert_memory_equal(out, bytes, sizeof(bytes));
	free(out);
	assert_int_equal(berth_base64_decode("YQ", 2, BERTH_BASE64_LENIENT, &out, &len, &err), 0);
	assert_string_equal(out, "a");
	free(out);
	assert_int_equal(berth_base64_decode("", 0, 0, &out, &len, &err), 0);
	assert_int_equal(len, 0);
	free(out);

	/* Hostile: bad lengths, padding in the middle, whitespace, NUL. */
	static const char *const bad[] = { "Y", "YQ=", "YQ===", "Y===", "=", "==", "YQ==YQ==", "Y Q=", "YQ==\n", "*abc" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(berth_base64_decode(bad[i], strlen(bad[i]), BERTH_BASE64_LENIENT, &out, &len, &err),
				 -EINVAL);
		assert_non_null(strstr(err.msg, "not valid base64"));
	}
	assert_int_equal(berth_base64_decode("YQ\0=", 4, BERTH_BASE64_LENIENT, &out, &len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "offset 2"));
}

static void test_basic(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char *user = NULL, *pass = NULL, *enc = NULL;

	assert_int_equal(berth_registry_auth_encode_basic("user", "pa:ss:word", &enc, &err), 0);
	assert_int_equal(berth_registry_auth_decode_basic(enc, &user, &pass, &err), 0);
	assert_string_equal(user, "user");
	assert_string_equal(pass, "pa:ss:word");
	free(user), free(pass), free(enc);

	/* "user:" - an empty password is allowed. */
	assert_int_equal(berth_registry_auth_decode_basic("dXNlcjo=", &user, &pass, &err), 0);
	assert_string_equal(user, "user");
	assert_string_equal(pass, "");
	free(user), free(pass);
	/* NULs around the password are dropped, as the docker CLI does: "u:\0p\0\0" */
	assert_int_equal(berth_registry_auth_decode_basic("dToAcAAA", &user, &pass, &err), 0);
	assert_string_equal(pass, "p");
	free(user), free(pass);

	assert_int_equal(berth_registry_auth_decode_basic("dXNlcg==", &user, &pass, &err), -EINVAL); /* "user" */
	assert_non_null(strstr(err.msg, "username:password"));
	assert_int_equal(berth_registry_auth_decode_basic("OnBhc3M=", &user, &pass, &err), -EINVAL); /* ":pass" */
	assert_int_equal(berth_registry_auth_decode_basic("dQBzOnA=", &user, &pass, &err), -EINVAL); /* "u\0s:p" */
	assert_non_null(strstr(err.msg, "NUL"));
	assert_int_equal(berth_registry_auth_decode_basic("dTpwAHE=", &user, &pass, &err), -EINVAL); /* "u:p\0q" */
	assert_int_equal(berth_registry_auth_decode_basic("dXNlcjpw", &user, &pass, &err), 0);	     /* "user:p" */
	free(user), free(pass);
	assert_int_equal(berth_registry_auth_decode_basic("not base64!", &user, &pass, &err), -EINVAL);
}

static void test_header_roundtrip(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_registry_credentials_ struct berth_registry_credentials in = {
		.username = strdup("alice"),
		.password = strdup("s3cr?t>>~~"),
		.server_address = strdup("registry.example.com:5000"),
	};
	_cleanup_registry_credentials_ struct berth_registry_credentials out = { 0 };
	_cleanup_free_ char *hdr = NULL;

	assert_int_equal(berth_registry_auth_encode_header(&in, &hdr, &err), 0);
	assert_null(strpbrk(hdr, "+/")); /* URL-safe */
	assert_int_equal(strlen(hdr) % 4, 0);
	assert_int_equal(decode_header(hdr, &out, &err), 0);
	assert_string_equal(out.username, "alice");
	assert_string_equal(out.password, "s3cr?t>>~~");
	assert_string_equal(out.server_address, "registry.example.com:5000");
	assert_null(out.identity_token);
	assert_false(berth_registry_credentials_is_anonymous(&out));
	berth_registry_credentials_clear(&out);

	/* Without padding, and in the standard alphabet, as other clients send it. */
	while (hdr[strlen(hdr) - 1] == '=')
		hdr[strlen(hdr) - 1] = '\0';
	for (char *p = hdr; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	assert_int_equal(decode_header(hdr, &out, &err), 0);
	assert_string_equal(out.password, "s3cr?t>>~~");
}

static void test_header_forms(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_registry_credentials_ struct berth_registry_credentials c = { 0 };
	_cleanup_free_ char *hdr = NULL;

	/* Anonymous: no header, blanks, {}, null. */
	assert_int_equal(decode_header(NULL, &c, &err), 0);
	assert_true(berth_registry_credentials_is_anonymous(&c));
	assert_int_equal(decode_header(" \t", &c, &err), 0);
	assert_true(berth_registry_credentials_is_anonymous(&c));
	assert_int_equal(decode_header("e30=", &c, &err), 0); /* {} */
	assert_true(berth_registry_credentials_is_anonymous(&c));
	assert_int_equal(decode_header("bnVsbA", &c, &err), 0); /* null */
	assert_true(berth_registry_credentials_is_anonymous(&c));

	/* Field names match without regard to case; the last wins; "" is unset;
	 * unknown fields are ignored. */
	const char *json = "{\"Username\":\"a\",\"USERNAME\":\"b\",\"password\":\"\",\"IdentityToken\":\"tok\","
			   "\"email\":\"x@y\",\"other\":[1,2]}";
	assert_int_equal(berth_base64_encode(json, strlen(json), BERTH_BASE64_URL, &hdr, &err), 0);
	assert_int_equal(decode_header(hdr, &c, &err), 0);
	assert_string_equal(c.username, "b");
	assert_null(c.password);
	assert_string_equal(c.identity_token, "tok");
	berth_registry_credentials_clear(&c);

	/* `auth` stands in when username and password are absent. */
	assert_int_equal(berth_registry_auth_decode_body("{\"auth\":\"dTpw\",\"registrytoken\":\"rt\"}", 36, &c, &err),
			 0);
	assert_string_equal(c.username, "u");
	assert_string_equal(c.password, "p");
	assert_string_equal(c.registry_token, "rt");
	berth_registry_credentials_clear(&c);
	const char *both = "{\"username\":\"x\",\"password\":\"y\",\"auth\":\"!!\"}";
	assert_int_equal(berth_registry_auth_decode_body(both, strlen(both), &c, &err), 0);
	assert_string_equal(c.username, "x");
	berth_registry_credentials_clear(&c);
}

static void test_header_hostile(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_registry_credentials c = { 0 };
	_cleanup_free_ char *hdr = NULL;
	_cleanup_free_ char *huge = malloc(BERTH_REGISTRY_AUTH_HEADER_MAX + 2);

	assert_int_equal(decode_header("!!!!", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "X-Registry-Auth: not valid base64"));
	assert_int_equal(decode_header("bm90IGpzb24", &c, &err), -EINVAL); /* "not json" */
	assert_non_null(strstr(err.msg, "X-Registry-Auth: not valid JSON"));
	assert_int_equal(decode_header("WzFd", &c, &err), -EINVAL); /* [1] */
	assert_non_null(strstr(err.msg, "must be a JSON object"));
	assert_int_equal(decode_header("eyJ1c2VybmFtZSI6MX0", &c, &err), -EINVAL); /* {"username":1} */
	assert_string_equal(err.msg, "X-Registry-Auth: username: must be a string");
	/* {"username":"a\u0000b"} */
	assert_int_equal(decode_header("eyJ1c2VybmFtZSI6ImFcdTAwMDBiIn0", &c, &err), -EINVAL);
	/* {"auth":"!"}: a bad auth is reported with its path */
	assert_int_equal(decode_header("eyJhdXRoIjoiISJ9", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "X-Registry-Auth: auth: not valid base64"));
	/* Trailing garbage after the object. */
	const char *trail = "{} x";
	assert_int_equal(berth_base64_encode(trail, strlen(trail), 0, &hdr, &err), 0);
	assert_int_equal(decode_header(hdr, &c, &err), -EINVAL);

	assert_non_null(huge);
	memset(huge, 'A', BERTH_REGISTRY_AUTH_HEADER_MAX + 1);
	huge[BERTH_REGISTRY_AUTH_HEADER_MAX + 1] = '\0';
	assert_int_equal(decode_header(huge, &c, &err), -EFBIG);
	assert_int_equal(berth_registry_auth_decode_body(huge, BERTH_REGISTRY_AUTH_BODY_MAX + 1, &c, &err), -EFBIG);
	/* Deeply nested JSON is refused by jansson's depth limit, not a crash. */
	memset(huge, '[', 10000);
	assert_int_equal(berth_registry_auth_decode_body(huge, 10000, &c, &err), -EINVAL);
	assert_true(berth_registry_credentials_is_anonymous(&c));
}

static void test_body_and_copy(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_registry_credentials_ struct berth_registry_credentials c = { 0 };
	_cleanup_registry_credentials_ struct berth_registry_credentials copy = { 0 };
	_cleanup_free_ char *body = NULL;
	const char *in = "{\"username\":\"bob\",\"password\":\"pw\",\"serveraddress\":\"https://index.docker.io/v1/\"}";

	assert_int_equal(berth_registry_auth_decode_body(in, strlen(in), &c, &err), 0);
	assert_int_equal(berth_registry_credentials_copy(&c, &copy, &err), 0);
	assert_string_equal(copy.server_address, "https://index.docker.io/v1/");
	assert_int_equal(berth_registry_auth_encode_body(&copy, &body, &err), 0);
	assert_string_equal(body,
			    "{\"username\":\"bob\",\"password\":\"pw\",\"serveraddress\":\"https://index.docker.io/v1/\"}");
	/* Decoding overwrites its output without freeing it. */
	berth_registry_credentials_clear(&c);
	assert_int_equal(berth_registry_auth_decode_body("", 0, &c, &err), 0);
	assert_true(berth_registry_credentials_is_anonymous(&c));
	assert_int_equal(berth_registry_auth_decode_body("{", 1, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "auth request body: not valid JSON"));

	/* A user name that is not UTF-8 (possible from `auth`) can't be re-encoded. */
	struct berth_registry_credentials bad = { .username = (char *) "\xff" };
	free(body);
	body = NULL;
	assert_int_equal(berth_registry_auth_encode_body(&bad, &body, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "UTF-8"));
	struct berth_registry_credentials anon = { 0 };
	assert_int_equal(berth_registry_auth_encode_header(&anon, &body, &err), 0);
	assert_string_equal(body, "e30="); /* {} */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),		 cmocka_unit_test(test_basic),
		cmocka_unit_test(test_header_roundtrip), cmocka_unit_test(test_header_forms),
		cmocka_unit_test(test_header_hostile),	 cmocka_unit_test(test_body_and_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
