#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "registries_conf.h"

static struct berth_registries *parse_ok(const char *text)
{
	struct berth_error err = { 0 };
	struct berth_registries *r = NULL;
	int ret = berth_registries_parse(text, strlen(text), "registries.conf", &r, &err);

	if (ret != 0)
		fail_msg("unexpected error: %s", err.msg);
	assert_non_null(r);
	assert_non_null(r->search);
	return r;
}

static void parse_fails(const char *text, size_t len, const char *expect)
{
	struct berth_error err = { 0 };
	struct berth_registries *r = NULL;
	int ret = berth_registries_parse(text, len, "registries.conf", &r, &err);

	if (ret >= 0)
		fail_msg("parsed, expected an error containing \"%s\"", expect);
	assert_null(r);
	if (strstr(err.msg, expect) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, expect);
}
#define FAILS(text, expect) parse_fails(text, strlen(text), expect)

static void test_v2_example(void **state)
{
	(void) state;
	_cleanup_registries_ struct berth_registries *r = parse_ok(
		"# the man page's example\n"
		"unqualified-search-registries = [\"example.com\"]\n"
		"\n"
		"[[registry]]\n"
		"prefix = \"example.com/foo\"\n"
		"insecure = false\n"
		"blocked = false\n"
		"location = \"internal-registry-for-example.com/bar\"\n"
		"\n"
		"[[registry.mirror]]\n"
		"location = \"example-mirror-0.local/mirror-for-foo\"\n"
		"\n"
		"[[registry.mirror]]\n"
		"location = \"example-mirror-1.local/mirrors/foo\"\n"
		"insecure = true\n"
		"\n"
		"[[registry]]\n"
		"location = \"registry.com\"\n"
		"\n"
		"[[registry.mirror]]\n"
		"location = \"mirror.registry.com\"\n");
	struct berth_error err = { 0 };
	struct berth_pull_source *src = NULL;
	size_t n = 0;

	assert_int_equal(r->n_search, 1);
	assert_string_equal(r->search[0], "example.com");
	assert_null(r->search[1]);
	assert_int_equal(r->n_entries, 2);
	assert_string_equal(r->entries[0].prefix, "example.com/foo");
	assert_int_equal(r->entries[0].line, 4);
	assert_int_equal(r->entries[0].n_mirrors, 2);
	assert_true(r->entries[0].mirrors[1].insecure);
	assert_string_equal(r->entries[1].prefix, "registry.com");
	assert_int_equal(r->entries[1].n_mirrors, 1);

	assert_int_equal(berth_registries_pull_sources(r, "example.com/foo/image:latest", &src, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(src[0].name, "example-mirror-0.local/mirror-for-foo/image:latest");
	assert_true(src[0].mirror);
	assert_false(src[0].insecure);
	assert_string_equal(src[1].name, "example-mirror-1.local/mirrors/foo/image:latest");
	assert_true(src[1].insecure);
	assert_string_equal(src[2].name, "internal-registry-for-example.com/bar/image:latest");
	assert_false(src[2].mirror);
	berth_pull_sources_free(src, n);

	/* A mirror belongs to its own [[registry]] only. */
	assert_int_equal(berth_registries_pull_sources(r, "registry.com/image:latest", &src, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(src[0].name, "mirror.registry.com/image:latest");
	assert_string_equal(src[1].name, "registry.com/image:latest");
	berth_pull_sources_free(src, n);

	/* No entry: the name itself. */
	assert_int_equal(berth_registries_pull_sources(r, "quay.io/a/b@sha256:00", &src, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(src[0].name, "quay.io/a/b@sha256:00");
	berth_pull_sources_free(src, n);
}

static void test_syntax_variety(void **state)
{
	(void) state;
	_cleanup_registries_ struct berth_registries *r = parse_ok(
		"\xef\xbb\xbf  # indented comment\r\n"
		"short-name-mode = \"enforcing\"\r\n"
		"credential-helpers = [ 'containers-auth.json', ]\r\n"
		"some-number = -1_000\n"
		"nested = [ [1, 2], [\"a\"], true ]\n"
		"unqualified-search-registries = [   # comment inside\n"
		"   'registry.fedoraproject.org',\n"
		"\n"
		"   \"quay.io\" , \"docker.io\",  # trailing comma\n"
		"]\n"
		"[aliases]\n"
		"  \"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
		"  'opensuse/leap' = 'registry.opensuse.org/opensuse/leap'\n"
		"[ registry . \"unknown\" ]\n"
		"x = \"\\u00e9\\U0001F600\\t\\\"\\\\\"\n"
		"[[registry]]\n"
		"location='cafe.example'  \n"
		"\"insecure\"=true\n");

	assert_int_equal(r->n_search, 3);
	assert_string_equal(r->search[0], "registry.fedoraproject.org");
	assert_string_equal(r->search[2], "docker.io");
	assert_int_equal(r->n_entries, 1);
	assert_true(r->entries[0].insecure);
	/* UTF-8 is fine in strings, but not in a registry name. */
	FAILS("[[registry]]\nlocation='caf\xc3\xa9.example'\n", "line 1: location \"caf\xc3\xa9.example\": invalid character");
}

static void test_escapes(void **state)
{
	(void) state;
	_cleanup_registries_ struct berth_registries *r = parse_ok(
		"[[registry]]\n"
		"location = \"a\\u002eexample\\u002Ecom/\\u0078\"\n"
		"prefix = 'lit\\eral.com'\n");
	assert_string_equal(r->entries[0].location, "a.example.com/x");
	assert_string_equal(r->entries[0].prefix, "lit\\eral.com");
	/* Non-ASCII is no registry name, but the message shows the decoding. */
	FAILS("[[registry]]\nlocation = \"\\u00e9\\u20ac\\U0001F600\\u07ff\\u0080\\uFFFF\"\n",
	      "location \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xdf\xbf\xc2\x80\xef\xbf\xbf\": invalid character");
}

static void test_v1(void **state)
{
	(void) state;
	_cleanup_registries_ struct berth_registries *r = parse_ok(
		"[registries.search]\n"
		"registries = ['registry1.com', 'registry2.com']\n"
		"[registries.insecure]\n"
		"registries = ['registry3.com', 'registry.unsafe.com/']\n"
		"[registries.block]\n"
		"registries = ['registry.untrusted.com', 'registry.unsafe.com']\n");
	struct berth_error err = { 0 };
	struct berth_pull_source *src = NULL;
	size_t n = 0;

	assert_int_equal(r->n_search, 2);
	assert_string_equal(r->search[1], "registry2.com");
	/* Blocked first, then insecure; one entry per location. */
	assert_int_equal(r->n_entries, 3);
	assert_string_equal(r->entries[0].location, "registry.untrusted.com");
	assert_true(r->entries[0].blocked);
	assert_string_equal(r->entries[1].location, "registry.unsafe.com");
	assert_true(r->entries[1].blocked);
	assert_true(r->entries[1].insecure);
	assert_string_equal(r->entries[2].prefix, "registry3.com");
	assert_true(r->entries[2].insecure);
	assert_false(r->entries[2].blocked);
	assert_true(berth_registries_is_insecure(r, "registry3.com"));
	assert_false(berth_registries_is_insecure(r, "registry1.com"));

	assert_int_equal(berth_registries_pull_sources(r, "registry.untrusted.com/x:1", &src, &n, &err), -EACCES);
	assert_non_null(strstr(err.msg, "blocked"));
	assert_int_equal(berth_registries_pull_sources(r, "registry3.com/x:1", &src, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(src[0].insecure);
	berth_pull_sources_free(src, n);

	FAILS("[registries.search]\nregistries = ['a.com']\n[[registry]]\nlocation = 'b.com'\n", "mixing");
	FAILS("unqualified-search-registries = ['x.com']\n[registries.block]\nregistries = ['a.com']\n", "mixing");
	FAILS("[registries.block]\nregistries = ['a.com']\n[registries.block]\nregistries = []\n", "line 3");
	FAILS("[registries.search]\nregistries = 'a.com'\n", "line 2: registries must be an array of strings");
	FAILS("[registries.insecure]\nregistries = ['']\n", "line 2: an empty registry name");
	/* Empty v1 lists do not count as v1. */
	struct berth_registries *ok = parse_ok("[registries.search]\nregistries = []\n[[registry]]\nlocation='a.com'\n");
	berth_registries_free(ok);
}

static void test_prefix_matching(void **state)
{
	(void) state;
	_cleanup_registries_ struct berth_registries *r = parse_ok(
		"[[registry]]\nlocation = 'example.com'\n"
		"[[registry]]\nprefix = 'example.com/foo'\nlocation = 'mirror.local/foo'\n"
		"[[registry]]\nprefix = 'example.com/foo'\nlocation = 'second.local/foo'\n"
		"[[registry]]\nprefix = 'example.com/foo/bar:tag'\nlocation = 'pinned.local/x:y'\n"
		"[[registry]]\nprefix = '*.wild.org'\ninsecure = true\n"
		"[[registry]]\nprefix = '*.deep.wild.org'\nlocation = 'rewritten.local'\n");
	const struct berth_registry_entry *e;

	e = berth_registries_find(r, "example.com/foo/bar");
	assert_non_null(e);
	assert_string_equal(e->location, "mirror.local/foo"); /* ties: the first */
	assert_string_equal(berth_registries_find(r, "example.com/foo")->location, "mirror.local/foo");
	assert_string_equal(berth_registries_find(r, "example.com/foo:1")->location, "mirror.local/foo");
	assert_string_equal(berth_registries_find(r, "example.com/foo@sha256:ab")->location, "mirror.local/foo");
	assert_string_equal(berth_registries_find(r, "example.com/foobar")->location, "example.com");
	assert_string_equal(berth_registries_find(r, "example.com")->location, "example.com");
	assert_string_equal(berth_registries_find(r, "example.com/foo/bar:tag")->location, "pinned.local/x:y");
	assert_string_equal(berth_registries_find(r, "example.com/foo/bar:tag2")->location, "mirror.local/foo");
	/* A port makes another registry. */
	assert_null(berth_registries_find(r, "example.com:5000/foo"));
	assert_null(berth_registries_find(r, "example.community/foo"));
	assert_null(berth_registries_find(r, "wild.org/x"));
	e = berth_registries_find(r, "a.b.wild.org/x");
	assert_non_null(e);
	assert_null(e->location);
	assert_true(berth_registries_is_insecure(r, "a.wild.org"));
	assert_false(berth_registries_is_insecure(r, "wild.org"));
	assert_null(berth_registries_find(r, "a.wild.org:443/x"));
	assert_null(berth_registries_find(r, "xwild.org/x"));
	assert_string_equal(berth_registries_find(r, "x.deep.wild.org/a")->location, "rewritten.local");

	struct berth_error err = { 0 };
	struct berth_pull_source *src = NULL;
	size_t n = 0;
	assert_int_equal(berth_registries_pull_sources(r, "a.wild.org/ns/img:1", &src, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(src[0].name, "a.wild.org/ns/img:1");
	assert_true(src[0].insecure);
	berth_pull_sources_free(src, n);
	assert_int_equal(berth_registries_pull_sources(r, "x.deep.wild.org/ns/img", &src, &n, &err), 0);
	assert_string_equal(src[0].name, "rewritten.local/ns/img");
	berth_pull_sources_free(src, n);
	assert_int_equal(berth_registries_pull_sources(r, "", &src, &n, &err), -EINVAL);
}

static void test_mirror_rules(void **state)
{
	(void) state;
	_cleanup_registries_ struct berth_registries *r = parse_ok(
		"[[registry]]\nlocation = 'a.com'\nmirror-by-digest-only = true\n"
		"[[registry.mirror]]\nlocation = 'm1.a.com'\n"
		"[[registry]]\nlocation = 'b.com'\n"
		"[[registry.mirror]]\nlocation = 'digest.b.com'\npull-from-mirror = 'digest-only'\n"
		"[[registry.mirror]]\nlocation = 'tag.b.com'\npull-from-mirror = \"tag-only\"\n"
		"[[registry.mirror]]\nlocation = 'all.b.com'\npull-from-mirror = 'all'\n");
	struct berth_error err = { 0 };
	struct berth_pull_source *src = NULL;
	size_t n = 0;

	assert_int_equal(berth_registries_pull_sources(r, "a.com/x:1", &src, &n, &err), 0);
	assert_int_equal(n, 1);
	berth_pull_sources_free(src, n);
	assert_int_equal(berth_registries_pull_sources(r, "a.com/x@sha256:1", &src, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(src[0].name, "m1.a.com/x@sha256:1");
	berth_pull_sources_free(src, n);

	assert_int_equal(berth_registries_pull_sources(r, "b.com/x:1", &src, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(src[0].name, "tag.b.com/x:1");
	assert_string_equal(src[1].name, "all.b.com/x:1");
	assert_string_equal(src[2].name, "b.com/x:1");
	berth_pull_sources_free(src, n);
	assert_int_equal(berth_registries_pull_sources(r, "b.com/x@sha256:1", &src, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(src[0].name, "digest.b.com/x@sha256:1");
	assert_string_equal(src[1].name, "all.b.com/x@sha256:1");
	berth_pull_sources_free(src, n);

	FAILS("[[registry]]\nlocation='a.com'\nmirror-by-digest-only=true\n[[registry.mirror]]\nlocation='m'\n"
	      "pull-from-mirror='tag-only'\n",
	      "can not both be set");
	FAILS("[[registry]]\nlocation='a.com'\n[[registry.mirror]]\nlocation='m'\npull-from-mirror='sometimes'\n",
	      "line 5: pull-from-mirror");
	FAILS("[[registry]]\nlocation='a.com'\npull-from-mirror='all'\n", "applies to [[registry.mirror]]");
	FAILS("[[registry]]\nlocation='a.com'\n[[registry.mirror]]\ninsecure=true\n", "has no location");
}

static void test_semantic_errors(void **state)
{
	(void) state;
	FAILS("[[registry]]\ninsecure = true\n", "line 1: [[registry]] sets neither prefix nor location");
	FAILS("[[registry]]\nprefix = 'a.com/x'\n", "location is unset");
	FAILS("[[registry]]\nlocation = 'https://a.com'\n", "URI schemes are not supported");
	FAILS("[[registry]]\nprefix = '*.a.com/foo'\n", "wildcard prefix must look like");
	FAILS("[[registry]]\nprefix = 'a.*.com'\nlocation='x'\n", "wildcard prefix must look like");
	FAILS("[[registry]]\nprefix = '*.'\n", "wildcard prefix must look like");
	FAILS("[[registry]]\nlocation = 'a b.com'\n", "invalid character");
	FAILS("[[registry]]\nlocation = 'a.com'\ninsecure = true\n[[registry]]\nprefix = 'a.com/x'\nlocation = 'a.com'\n",
	      "line 4: registry \"a.com\" is defined again with a different insecure setting");
	FAILS("unqualified-search-registries = ['a.com/ns']\n", "line 1: search registry \"a.com/ns\" is not a host");
	FAILS("unqualified-search-registries = ['']\n", "is not a host");
	FAILS("[registry]\nlocation = 'a'\n", "line 1: [registry] must be an array of tables");
	FAILS("[[registry.mirror]]\nlocation = 'a'\n", "before any [[registry]]");
	FAILS("[[registry]]\nlocation = 'a'\nlocation = 'b'\n", "line 3: location is set twice");
	FAILS("[[registry]]\ninsecure = 'yes'\n", "line 2: insecure must be a boolean");
	FAILS("[[registry]]\nlocation = ['a']\n", "location must be a string");
	FAILS("unqualified-search-registries = ['a', 1]\n", "must be an array of strings");

	/* Trailing slashes go; keys of another table do not leak. */
	_cleanup_registries_ struct berth_registries *r =
		parse_ok("[[registry]]\nlocation = 'a.com/ns///'\n[other]\ninsecure = true\nlocation = 'b'\n");
	assert_string_equal(r->entries[0].location, "a.com/ns");
	assert_string_equal(r->entries[0].prefix, "a.com/ns");
	assert_false(r->entries[0].insecure);
}

static void test_syntax_errors(void **state)
{
	(void) state;
	FAILS("a = 1\nb = \"unterminated\n", "line 2: unterminated string");
	FAILS("a = 'unterminated\n", "line 1: unterminated string");
	FAILS("a = \"x", "unterminated string");
	FAILS("a = [\"x\",\n\"y\"\n", "line 3: unterminated array");
	FAILS("a = [\"x\" \"y\"]\n", "expected ',' or ']'");
	FAILS("a = \"\"\"multi\nline\"\"\"\n", "multi-line strings are not supported");
	FAILS("a = '''multi'''\n", "multi-line strings are not supported");
	FAILS("a = { b = 1 }\n", "inline tables are not supported");
	FAILS("a.b = 1\n", "dotted keys are not supported");
	FAILS("a = 1.5\n", "unsupported value \"1.5\"");
	FAILS("a = 1979-05-27T07:32:00Z\n", "unsupported value");
	FAILS("a = nan\n", "unsupported value \"nan\"");
	FAILS("a = 1_\n", "unsupported value");
	FAILS("a = \n", "line 1: expected a value");
	FAILS("a = \"x\" b\n", "unexpected text after the value");
	FAILS("a\n", "expected '='");
	FAILS("= 1\n", "expected a key");
	FAILS("[a\n", "expected ']' to end the table header");
	FAILS("[[a]\n", "expected ']]'");
	FAILS("[a.b.c.d.e.f.g.h.i]\n", "more than 8 parts");
	FAILS("a = \"\\x41\"\n", "invalid escape \\x");
	FAILS("a = \"\\u00\"\n", "needs 4 hex digits");
	FAILS("a = \"\\u0000\"\n", "NUL");
	FAILS("a = \"\\uD800\"\n", "not a Unicode scalar value");
	FAILS("a = \"\\U00110000\"\n", "not a Unicode scalar value");
	FAILS("a = \"tab\tok but bell\a\"\n", "control character 0x07");
	FAILS("# comment with \x01 control\n", "line 1: control character 0x01 in a comment");
	FAILS("a = 'x'\r\rb = 1\n", "control character 0x0d");
	parse_fails("a = \"x\0y\"\n", 10, "control character 0x00");
	parse_fails("# x\n\0", 5, "line 2");
	parse_fails("\0", 1, "line 1");
	FAILS("a = [[[[[[[[[1]]]]]]]]]\n", "nested deeper than 8");
}

static void test_bounds(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_registries *r = NULL;
	size_t big = BERTH_REGISTRIES_CONF_MAX + 1;
	_cleanup_free_ char *text = malloc(big + 64);
	size_t n = 0;

	assert_non_null(text);
	memset(text, '#', big);
	assert_int_equal(berth_registries_parse(text, big, "x", &r, &err), -EFBIG);

	/* Too many array elements. */
	n = (size_t) sprintf(text, "a = [");
	for (int i = 0; i <= BERTH_REGISTRIES_ARRAY_MAX; i++)
		n += (size_t) sprintf(text + n, "1,");
	n += (size_t) sprintf(text + n, "]\n");
	parse_fails(text, n, "longer than 4096 elements");

	/* Too many registries and mirrors. */
	n = 0;
	for (int i = 0; i <= BERTH_REGISTRIES_MAX; i++)
		n += (size_t) sprintf(text + n, "[[registry]]\n");
	parse_fails(text, n, "more than 1024 [[registry]] tables");
	n = (size_t) sprintf(text, "[[registry]]\nlocation='a'\n");
	for (int i = 0; i <= BERTH_REGISTRY_MIRRORS_MAX; i++)
		n += (size_t) sprintf(text + n, "[[registry.mirror]]\nlocation='m'\n");
	parse_fails(text, n, "more than 64 mirrors");

	/* A long string is fine. */
	n = (size_t) sprintf(text, "[[registry]]\nlocation='");
	memset(text + n, 'a', 100000);
	n += 100000;
	n += (size_t) sprintf(text + n, "'\n");
	assert_int_equal(berth_registries_parse(text, n, "x", &r, &err), 0);
	assert_int_equal(strlen(r->entries[0].location), 100000);
	berth_registries_free(r);
}

static void test_insecure(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_registries_ struct berth_registries *r = NULL;

	assert_int_equal(berth_registries_new(&r, &err), 0);
	assert_int_equal(r->n_entries, 0);
	assert_null(r->search[0]);
	/* dockerd's defaults: loopback in every spelling. */
	assert_true(berth_registries_is_insecure(r, "127.0.0.1"));
	assert_true(berth_registries_is_insecure(r, "127.0.0.1:5000"));
	assert_true(berth_registries_is_insecure(r, "127.255.1.2:443"));
	assert_true(berth_registries_is_insecure(r, "localhost:5000"));
	assert_true(berth_registries_is_insecure(r, "LocalHost"));
	assert_true(berth_registries_is_insecure(r, "[::1]:5000"));
	assert_true(berth_registries_is_insecure(r, "::1"));
	assert_true(berth_registries_is_insecure(r, "[::ffff:127.0.0.1]:80"));
	assert_false(berth_registries_is_insecure(r, "128.0.0.1:5000"));
	assert_false(berth_registries_is_insecure(r, "localhost.example.com"));
	assert_false(berth_registries_is_insecure(r, "[::2]:5000"));
	assert_false(berth_registries_is_insecure(r, "docker.io"));
	assert_false(berth_registries_is_insecure(r, ""));
	assert_false(berth_registries_is_insecure(r, "[::1"));

	assert_int_equal(berth_registries_add_insecure(r, "myreg.local:5000", &err), 0);
	assert_int_equal(berth_registries_add_insecure(r, "10.0.0.0/8", &err), 0);
	assert_int_equal(berth_registries_add_insecure(r, "192.168.1.77/23", &err), 0);
	assert_int_equal(berth_registries_add_insecure(r, "fd00::/8", &err), 0);
	assert_int_equal(berth_registries_add_insecure(r, "0.0.0.0/0", &err), 0);
	assert_true(berth_registries_is_insecure(r, "myreg.local:5000"));
	assert_true(berth_registries_is_insecure(r, "MYREG.local:5000"));
	assert_false(berth_registries_is_insecure(r, "myreg.local"));
	assert_false(berth_registries_is_insecure(r, "myreg.local:5001"));
	assert_true(berth_registries_is_insecure(r, "10.1.2.3:5000"));
	assert_true(berth_registries_is_insecure(r, "192.168.0.1"));
	assert_true(berth_registries_is_insecure(r, "192.168.1.254"));
	assert_true(berth_registries_is_insecure(r, "[fd12::1]:5000"));
	assert_false(berth_registries_is_insecure(r, "[fe80::1]:5000"));
	/* 0.0.0.0/0 covers every IPv4 literal, but names are not resolved. */
	assert_true(berth_registries_is_insecure(r, "8.8.8.8"));
	assert_false(berth_registries_is_insecure(r, "example.com"));

	assert_int_equal(berth_registries_add_insecure(r, "http://myreg:5000", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "URL scheme"));
	assert_int_equal(berth_registries_add_insecure(r, "10.0.0.0/33", &err), -EINVAL);
	assert_int_equal(berth_registries_add_insecure(r, "10.0.0.0/", &err), -EINVAL);
	assert_int_equal(berth_registries_add_insecure(r, "10.0.0/8", &err), -EINVAL);
	assert_int_equal(berth_registries_add_insecure(r, "fd00::/129", &err), -EINVAL);
	assert_int_equal(berth_registries_add_insecure(r, "10.0.0.0/-1", &err), -EINVAL);
	assert_int_equal(berth_registries_add_insecure(r, "a.com/path", &err), -EINVAL);
	assert_int_equal(berth_registries_add_insecure(r, "", &err), -EINVAL);
	assert_int_equal(berth_registries_add_insecure(r, "bad host", &err), -EINVAL);
	assert_int_equal(berth_registries_add_insecure(r, NULL, &err), -EINVAL);

	struct berth_pull_source *src = NULL;
	size_t n = 0;
	assert_int_equal(berth_registries_pull_sources(r, "10.9.9.9:5000/x", &src, &n, &err), 0);
	assert_true(src[0].insecure);
	berth_pull_sources_free(src, n);
}

static void test_load(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_registries *r = NULL;
	char path[] = "/tmp/berth-regconf-XXXXXX";
	int fd = mkstemp(path);
	const char text[] = "unqualified-search-registries = ['docker.io']\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	close(fd);
	assert_int_equal(berth_registries_load(path, false, &r, &err), 0);
	assert_string_equal(r->search[0], "docker.io");
	assert_string_equal(r->source, path);
	berth_registries_free(r);
	unlink(path);
	assert_int_equal(berth_registries_load(path, false, &r, &err), -ENOENT);
	assert_int_equal(berth_registries_load(path, true, &r, &err), 0);
	assert_int_equal(r->n_entries, 0);
	assert_string_equal(r->source, path);
	berth_registries_free(r);

	/* The file containers-common installs must parse. */
	if (access(BERTH_REGISTRIES_CONF_PATH, R_OK) == 0) {
		assert_int_equal(berth_registries_load(BERTH_REGISTRIES_CONF_PATH, false, &r, &err), 0);
		berth_registries_free(r);
	}
	if (access("/etc/containers/registries.conf.d/shortnames.conf", R_OK) == 0) {
		assert_int_equal(berth_registries_load("/etc/containers/registries.conf.d/shortnames.conf", false, &r, &err),
				 0);
		berth_registries_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_example),	 cmocka_unit_test(test_syntax_variety),
		cmocka_unit_test(test_escapes),		 cmocka_unit_test(test_v1),
		cmocka_unit_test(test_prefix_matching),	 cmocka_unit_test(test_mirror_rules),
		cmocka_unit_test(test_semantic_errors), cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_bounds),		 cmocka_unit_test(test_insecure),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
