#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_challenge.h"
#include "cleanup.h"

static int parse(struct berth_auth_challenges *l, const char *s, struct berth_error *err)
{
	return berth_auth_challenges_parse(l, s, strlen(s), err);
}

static void parse_fails(const char *s, size_t len, const char *expect)
{
	_cleanup_auth_challenges_ struct berth_auth_challenges l = { 0 };
	struct berth_error err = { 0 };

	if (berth_auth_challenges_parse(&l, s, len, &err) >= 0)
		fail_msg("\"%s\" parsed, expected an error containing \"%s\"", s, expect);
	if (strstr(err.msg, expect) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, expect);
	assert_int_equal(l.n_items, 0);
	assert_null(l.items);
}
#define FAILS(s, expect) parse_fails(s, strlen(s), expect)

static void test_docker_hub(void **state)
{
	(void) state;
	_cleanup_auth_challenges_ struct berth_auth_challenges l = { 0 };
	struct berth_error err = { 0 };
	const struct berth_auth_challenge *c;
	_cleanup_free_ char *url = NULL;

	assert_int_equal(parse(&l,
			       "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
			       "scope=\"repository:library/busybox:pull\"",
			       &err),
			 0);
	assert_int_equal(l.n_items, 1);
	c = berth_auth_challenges_bearer(&l);
	assert_non_null(c);
	assert_string_equal(c->scheme, "Bearer");
	assert_null(c->token68);
	assert_int_equal(c->n_params, 3);
	assert_string_equal(berth_auth_challenge_param(c, "realm"), "https://auth.docker.io/token");
	assert_string_equal(berth_auth_challenge_param(c, "SERVICE"), "registry.docker.io");
	assert_string_equal(berth_auth_challenge_param(c, "scope"), "repository:library/busybox:pull");
	assert_null(berth_auth_challenge_param(c, "error"));

	assert_int_equal(berth_auth_challenge_token_url(c, NULL, 0, NULL, &url, &err), 0);
	assert_string_equal(url, "https://auth.docker.io/token?service=registry.docker.io"
				 "&scope=repository%3Alibrary%2Fbusybox%3Apull");
}

static void test_several_challenges(void **state)
{
	(void) state;
	_cleanup_auth_challenges_ struct berth_auth_challenges l = { 0 };
	struct berth_error err = { 0 };

	/* Two challenges in one value, whitespace variations, a comma inside
	 * quotes, escapes, a token value, empty list elements, case. */
	assert_int_equal(parse(&l,
			       " ,basic   realm = \"Registry, \\\"Realm\\\\\" ,  , BEARER realm=\"https://a/t\",\t"
			       "error=insufficient_scope , scope=\"\" ",
			       &err),
			 0);
	assert_int_equal(l.n_items, 2);
	assert_string_equal(l.items[0].scheme, "basic");
	assert_string_equal(berth_auth_challenge_param(&l.items[0], "realm"), "Registry, \"Realm\\");
	assert_non_null(berth_auth_challenges_find(&l, "Basic"));
	assert_ptr_equal(berth_auth_challenges_bearer(&l), &l.items[1]);
	assert_string_equal(berth_auth_challenge_param(&l.items[1], "error"), "insufficient_scope");
	assert_string_equal(berth_auth_challenge_param(&l.items[1], "scope"), "");
	assert_null(berth_auth_challenges_find(&l, "Negotiate"));

	/* A second header field appends. */
	assert_int_equal(parse(&l, "Negotiate abc+/==, Newauth, Other x=y", &err), 0);
	assert_int_equal(l.n_items, 5);
	assert_string_equal(l.items[2].token68, "abc+/==");
	assert_int_equal(l.items[2].n_params, 0);
	assert_string_equal(l.items[3].scheme, "Newauth");
	assert_int_equal(l.items[3].n_params, 0);
	assert_string_equal(berth_auth_challenge_param(&l.items[4], "x"), "y");

	/* Parameters with UTF-8 (obs-text) and a tab inside quotes. */
	assert_int_equal(parse(&l, "Basic realm=\"caf\xc3\xa9\tx\"", &err), 0);
	assert_string_equal(berth_auth_challenge_param(&l.items[5], "realm"), "caf\xc3\xa9\tx");
}

static void test_hostile(void **state)
{
	(void) state;
	FAILS("", "no challenge");
	parse_fails(NULL, 0, "no challenge");
	FAILS(" , ,", "no challenge");
	FAILS("Bearer realm=\"unterminated", "unterminated quoted string");
	FAILS("Bearer realm=\"x\\", "unterminated quoted string");
	FAILS("Bearer realm=\"a\rb\"", "control character");
	FAILS("Bearer realm=\"a\x7f\"", "control character");
	FAILS("Bearer realm=\"x\", realm=\"y\"", "\"realm\" given twice");
	FAILS("Bearer Realm=x, REALM=y", "given twice");
	FAILS("Bearer realm=https://unquoted/url", "expected ','");
	FAILS("Bearer=x", "expected a space or ','");
	FAILS("Bearer\"x\"", "expected a space or ','");
	FAILS("\"Bearer\"", "expected an auth scheme");
	FAILS("=x", "expected an auth scheme");
	FAILS("Negotiate abc==, x=y", "parameter after a token68");
	FAILS("Negotiate abc=d=", "expected ','");
	FAILS("Bearer realm=\"x\" service=\"y\"", "expected ','");
	FAILS("Bearer @@@", "expected a parameter or a token68");
	parse_fails("Bearer realm=\"a\0b\"", 18, "NUL");
	parse_fails("Basic\0", 6, "NUL");

	/* Bounds: length, challenges, parameters. */
	char *big = malloc(BERTH_AUTH_HEADER_MAX + 100);
	size_t n = 0;
	assert_non_null(big);
	memset(big, 'a', BERTH_AUTH_HEADER_MAX + 1);
	parse_fails(big, BERTH_AUTH_HEADER_MAX + 1, "longer than");
	for (int i = 0; i <= BERTH_AUTH_CHALLENGES_MAX; i++)
		n += (size_t) sprintf(big + n, "S%d, ", i);
	parse_fails(big, n, "too many challenges");
	n = (size_t) sprintf(big, "Bearer ");
	for (int i = 0; i <= BERTH_AUTH_PARAMS_MAX; i++)
		n += (size_t) sprintf(big + n, "p%d=v, ", i);
	parse_fails(big, n, "too many parameters");
	free(big);

	/* The limit counts what a list holds already. */
	_cleanup_auth_challenges_ struct berth_auth_challenges l = { 0 };
	struct berth_error err = { 0 };
	for (int i = 0; i < BERTH_AUTH_CHALLENGES_MAX; i++)
		assert_int_equal(parse(&l, "Basic", &err), 0);
	assert_int_equal(parse(&l, "Basic", &err), -EINVAL);
	assert_int_equal(l.n_items, BERTH_AUTH_CHALLENGES_MAX);
	/* A failed parse leaves the list as it was. */
	berth_auth_challenges_clear(&l);
	assert_int_equal(parse(&l, "Basic realm=x", &err), 0);
	assert_int_equal(parse(&l, "Bearer realm=\"y\", Bad \"", &err), -EINVAL);
	assert_int_equal(l.n_items, 1);
}

static void test_token_url(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char *url = NULL;
	const char *scopes[] = { "repository:a/b:pull,push", "repository:c d:pull", NULL, "" };

	assert_int_equal(berth_auth_token_url("https://auth.example.com/token", "reg.example.com", scopes, 4, "bob smith",
					      &url, &err),
			 0);
	assert_string_equal(url, "https://auth.example.com/token?service=reg.example.com"
				 "&scope=repository%3Aa%2Fb%3Apull%2Cpush&scope=repository%3Ac%20d%3Apull&account=bob%20smith");
	free(url);
	/* A realm with a query of its own, or ending in '?' or '&'. */
	assert_int_equal(berth_auth_token_url("http://h/t?x=1", "s", NULL, 0, NULL, &url, &err), 0);
	assert_string_equal(url, "http://h/t?x=1&service=s");
	free(url);
	assert_int_equal(berth_auth_token_url("HTTPS://h/t?", "s", scopes, 1, NULL, &url, &err), 0);
	assert_string_equal(url, "HTTPS://h/t?service=s&scope=repository%3Aa%2Fb%3Apull%2Cpush");
	free(url);
	assert_int_equal(berth_auth_token_url("https://h/t?a=b&", NULL, scopes, 1, NULL, &url, &err), 0);
	assert_string_equal(url, "https://h/t?a=b&scope=repository%3Aa%2Fb%3Apull%2Cpush");
	free(url);
	assert_int_equal(berth_auth_token_url("https://h", NULL, NULL, 0, NULL, &url, &err), 0);
	assert_string_equal(url, "https://h");
	free(url);

	assert_int_equal(berth_auth_token_url("ftp://h/t", "s", NULL, 0, NULL, &url, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not an http or https URL"));
	assert_int_equal(berth_auth_token_url("https:///t", "s", NULL, 0, NULL, &url, &err), -EINVAL);
	assert_int_equal(berth_auth_token_url("https://h/t#frag", "s", NULL, 0, NULL, &url, &err), -EINVAL);
	assert_int_equal(berth_auth_token_url("https://h/a b", "s", NULL, 0, NULL, &url, &err), -EINVAL);
	assert_int_equal(berth_auth_token_url("https://h/\n", "s", NULL, 0, NULL, &url, &err), -EINVAL);
	assert_int_equal(berth_auth_token_url(NULL, "s", NULL, 0, NULL, &url, &err), -EINVAL);

	/* Bounded: a huge scope list is refused, not built. */
	char *long_scope = malloc(40000);
	assert_non_null(long_scope);
	memset(long_scope, '/', 39999);
	long_scope[39999] = '\0';
	assert_int_equal(berth_auth_token_url("https://h/t", NULL, (const char *const *) &long_scope, 1, NULL, &url,
					      &err),
			 -EFBIG);
	free(long_scope);

	assert_int_equal(berth_url_query_escape("a-._~Z9 /?&=%\xc3\xa9", &url, &err), 0);
	assert_string_equal(url, "a-._~Z9%20%2F%3F%26%3D%25%C3%A9");
	free(url);
	assert_int_equal(berth_url_query_escape("", &url, &err), 0);
	assert_string_equal(url, "");
	free(url);

	/* From a challenge: explicit scopes replace the challenge's own; no realm is an error. */
	_cleanup_auth_challenges_ struct berth_auth_challenges l = { 0 };
	assert_int_equal(berth_auth_challenges_parse(&l, "Bearer realm=\"https://r/t\",scope=own, Bearer service=x", 54,
						     &err),
			 0);
	assert_int_equal(berth_auth_challenge_token_url(&l.items[0], scopes, 1, "u", &url, &err), 0);
	assert_string_equal(url, "https://r/t?scope=repository%3Aa%2Fb%3Apull%2Cpush&account=u");
	free(url);
	assert_int_equal(berth_auth_challenge_token_url(&l.items[1], NULL, 0, NULL, &url, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no realm"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_hub),
		cmocka_unit_test(test_several_challenges),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_token_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
