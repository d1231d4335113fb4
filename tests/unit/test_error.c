/* berth_error_set / _sys / _wrap: formats, return values, truncation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"

/* An error object followed by guard bytes, to catch writes past msg[]
 * (which ASan cannot see: they would stay inside this struct). */
struct guarded {
	struct berth_error err;
	unsigned char guard[64];
};

static void guard_init(struct guarded *g)
{
	memset(g, 0x5a, sizeof(*g));
	berth_error_clear(&g->err);
	memset(g->guard, 0xa5, sizeof(g->guard));
}

static void guard_check(const struct guarded *g)
{
	for (size_t i = 0; i < sizeof(g->guard); i++)
		assert_int_equal(g->guard[i], 0xa5);
	/* Always NUL-terminated within the buffer. */
	assert_non_null(memchr(g->err.msg, '\0', sizeof(g->err.msg)));
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_set_formats(void **state)
{
	struct berth_error err;
	int r;

	(void) state;
	berth_error_clear(&err);
	r = berth_error_set(&err, ENOENT, "container %s does not exist (%d)", "abc", 7);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, "container abc does not exist (7)");

	/* A new error replaces the old one entirely. */
	r = berth_error_set(&err, EPERM, "short");
	assert_int_equal(r, -EPERM);
	assert_int_equal(err.code, EPERM);
	assert_string_equal(err.msg, "short");
}

static void test_set_nonpositive_code(void **state)
{
	struct berth_error err;

	(void) state;
	berth_error_clear(&err);
	/* A zero code must not record "no error": the result is still a failure. */
	assert_true(berth_error_set(&err, 0, "odd") < 0);
	assert_true(err.code > 0);
	assert_int_equal(berth_error_set(&err, 0, "odd"), -err.code);
	assert_string_equal(err.msg, "odd");
}

static void test_sys_appends_strerror(void **state)
{
	struct berth_error err;
	char want[BERTH_ERROR_MAX];
	int r;

	(void) state;
	berth_error_clear(&err);
	r = berth_error_sys(&err, EACCES, "open %s", "/x/y");
	assert_int_equal(r, -EACCES);
	assert_int_equal(err.code, EACCES);
	snprintf(want, sizeof(want), "open /x/y: %s", strerror(EACCES));
	assert_string_equal(err.msg, want);

	r = berth_error_sys(&err, ENOENT, "mount %s on %s", "proc", "/run/x/rootfs/proc");
	assert_int_equal(r, -ENOENT);
	snprintf(want, sizeof(want), "mount proc on /run/x/rootfs/proc: %s", strerror(ENOENT));
	assert_string_equal(err.msg, want);
}

static void test_sys_keeps_percent_in_args(void **state)
{
	struct berth_error err;
	char want[BERTH_ERROR_MAX];

	(void) state;
	berth_error_clear(&err);
	berth_error_sys(&err, EINVAL, "open %s", "100%s%n.txt");
	snprintf(want, sizeof(want), "open 100%%s%%n.txt: %s", strerror(EINVAL));
	assert_string_equal(err.msg, want);
}

static void test_wrap_prefixes(void **state)
{
	struct berth_error err;
	char want[BERTH_ERROR_MAX];
	int r;

	(void) state;
	berth_error_clear(&err);
	berth_error_sys(&err, ENOENT, "open %s", "config.json");
	r = berth_error_wrap(&err, "bundle %s", "/b");
	assert_int_equal(r, -ENOENT);
	assert_int_equal(err.code, ENOENT);
	snprintf(want, sizeof(want), "bundle /b: open config.json: %s", strerror(ENOENT));
	assert_string_equal(err.msg, want);

	r = berth_error_wrap(&err, "create %s", "c1");
	assert_int_equal(r, -ENOENT);
	snprintf(want, sizeof(want), "create c1: bundle /b: open config.json: %s", strerror(ENOENT));
	assert_string_equal(err.msg, want);

	/* The old message is data, not a format. */
	berth_error_set(&err, EINVAL, "50%% of %s", "x");
	assert_string_equal(err.msg, "50% of x");
	berth_error_wrap(&err, "ctx");
	assert_string_equal(err.msg, "ctx: 50% of x");
}

static void test_wrap_without_error_still_fails(void **state)
{
	struct berth_error err;
	int r;

	(void) state;
	berth_error_clear(&err);
	r = berth_error_wrap(&err, "ctx");
	assert_true(r < 0);
	assert_int_equal(r, -err.code);
	assert_true(err.code > 0);
	assert_string_equal(err.msg, "ctx: ");
}

static void test_clear_and_code(void **state)
{
	struct berth_error err;

	(void) state;
	berth_error_set(&err, E2BIG, "x");
	assert_int_equal(berth_error_code(&err), E2BIG);
	berth_error_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(berth_error_code(&err), 1);
}

static void test_set_truncates(void **state)
{
	struct guarded g;
	char *big = repeat('x', 3 * BERTH_ERROR_MAX);
	int r;

	(void) state;
	guard_init(&g);
	r = berth_error_set(&g.err, EINVAL, "head %s", big);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(g.err.code, EINVAL);
	guard_check(&g);
	assert_int_equal(strlen(g.err.msg), BERTH_ERROR_MAX - 1);
	assert_memory_equal(g.err.msg, "head xxx", 8);
	free(big);
}

static void test_sys_truncates(void **state)
{
	struct guarded g;
	char *big = repeat('y', 3 * BERTH_ERROR_MAX);
	char want[BERTH_ERROR_MAX];
	int r;

	(void) state;
	guard_init(&g);
	r = berth_error_sys(&g.err, ENOENT, "open %s", big);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(g.err.code, ENOENT);
	guard_check(&g);
	assert_true(strlen(g.err.msg) <= BERTH_ERROR_MAX - 1);
	assert_memory_equal(g.err.msg, "open yyy", 8);

	/* Just short of the limit: the strerror part is cut, never overflows. */
	free(big);
	big = repeat('z', BERTH_ERROR_MAX - 4);
	guard_init(&g);
	berth_error_sys(&g.err, ENOENT, "%s", big);
	guard_check(&g);
	assert_int_equal(strlen(g.err.msg), BERTH_ERROR_MAX - 1);
	snprintf(want, sizeof(want), "%s: %s", big, strerror(ENOENT));
	assert_memory_equal(g.err.msg, want, BERTH_ERROR_MAX - 1);
	free(big);
}

static void test_wrap_truncates(void **state)
{
	struct guarded g;
	char *big = repeat('m', BERTH_ERROR_MAX + 100);
	char *bigprefix = repeat('p', 3 * BERTH_ERROR_MAX);
	int r;

	(void) state;
	/* A full message plus a prefix. */
	guard_init(&g);
	berth_error_set(&g.err, EIO, "%s", big);
	r = berth_error_wrap(&g.err, "ctx");
	assert_int_equal(r, -EIO);
	assert_int_equal(g.err.code, EIO);
	guard_check(&g);
	assert_int_equal(strlen(g.err.msg), BERTH_ERROR_MAX - 1);
	assert_memory_equal(g.err.msg, "ctx: mmm", 8);

	/* A prefix longer than the whole buffer. */
	guard_init(&g);
	berth_error_set(&g.err, EIO, "inner");
	r = berth_error_wrap(&g.err, "%s", bigprefix);
	assert_int_equal(r, -EIO);
	guard_check(&g);
	assert_int_equal(strlen(g.err.msg), BERTH_ERROR_MAX - 1);
	assert_int_equal(g.err.msg[0], 'p');
	assert_int_equal(g.err.msg[BERTH_ERROR_MAX - 2], 'p');

	/* Many wraps in a row stay bounded and keep the newest prefix first. */
	guard_init(&g);
	berth_error_set(&g.err, EIO, "base");
	for (int i = 0; i < 500; i++)
		berth_error_wrap(&g.err, "level%d", i);
	guard_check(&g);
	assert_int_equal(strlen(g.err.msg), BERTH_ERROR_MAX - 1);
	assert_memory_equal(g.err.msg, "level499: level498: ", 20);
	free(big);
	free(bigprefix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_formats),
		cmocka_unit_test(test_set_nonpositive_code),
		cmocka_unit_test(test_sys_appends_strerror),
		cmocka_unit_test(test_sys_keeps_percent_in_args),
		cmocka_unit_test(test_wrap_prefixes),
		cmocka_unit_test(test_wrap_without_error_still_fails),
		cmocka_unit_test(test_clear_and_code),
		cmocka_unit_test(test_set_truncates),
		cmocka_unit_test(test_sys_truncates),
		cmocka_unit_test(test_wrap_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
