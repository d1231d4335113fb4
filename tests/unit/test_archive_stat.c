/* docker cp's stat header: Go's FileMode bits, RFC 3339 times, base64 of
 * dockerd's JSON, and the container paths cleaned as Go's filepath.Clean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive_stat.h"
#include "cleanup.h"
#include "registry_auth.h"

static void test_go_file_mode(void **state)
{
	(void) state;
	/* the values dockerd sends (os.FileMode) */
	assert_int_equal(berth_go_file_mode(S_IFREG | 0644), 420);
	assert_int_equal(berth_go_file_mode(S_IFDIR | 0755), 2147484141u);
	assert_int_equal(berth_go_file_mode(S_IFLNK | 0777), 134218239u);
	assert_int_equal(berth_go_file_mode(S_IFCHR | 0666), (1u << 26) | (1u << 21) | 0666);
	assert_int_equal(berth_go_file_mode(S_IFBLK | 0660), (1u << 26) | 0660);
	assert_int_equal(berth_go_file_mode(S_IFIFO | 0600), (1u << 25) | 0600);
	assert_int_equal(berth_go_file_mode(S_IFSOCK | 0755), (1u << 24) | 0755);
	assert_int_equal(berth_go_file_mode(S_IFREG | S_ISUID | 0755), (1u << 23) | 0755);
	assert_int_equal(berth_go_file_mode(S_IFREG | S_ISGID | 0755), (1u << 22) | 0755);
	assert_int_equal(berth_go_file_mode(S_IFDIR | S_ISVTX | 0777), (1u << 31) | (1u << 20) | 0777);
}

static char *decoded_header(const char *name, const struct stat *st, const char *link)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *b64 = NULL;
	char *json = NULL;
	size_t len;
	assert_int_equal(berth_archive_stat_header(name, st, link, &b64, &err), 0);
	assert_int_equal(berth_base64_decode(b64, strlen(b64), 0, &json, &len, &err), 0);
	return json;
}

static void test_header(void **state)
{
	(void) state;
	struct stat st = { .st_mode = S_IFDIR | 0755, .st_size = 4096 };
	st.st_mtim.tv_sec = 1795496007; /* 2026-11-24T04:53:27Z */
	st.st_mtim.tv_nsec = 479362427;
	_cleanup_free_ char *dir = decoded_header("/", &st, "");
	assert_string_equal(dir, "{\"name\":\"/\",\"size\":4096,\"mode\":2147484141,"
				 "\"mtime\":\"2026-11-24T04:53:27.479362427Z\",\"linkTarget\":\"\"}");
	/* Go drops the fraction's trailing zeros, and a whole second's dot */
	st = (struct stat){ .st_mode = S_IFLNK | 0777, .st_size = 9 };
	st.st_mtim.tv_sec = 1795496003;
	_cleanup_free_ char *link = decoded_header("rel", &st, "/etc");
	assert_string_equal(link, "{\"name\":\"rel\",\"size\":9,\"mode\":134218239,"
				  "\"mtime\":\"2026-11-24T04:53:23Z\",\"linkTarget\":\"/etc\"}");
	st.st_mtim.tv_nsec = 500000000;
	_cleanup_free_ char *half = decoded_header("rel", &st, "/etc");
	assert_non_null(strstr(half, "\"mtime\":\"2026-11-24T04:53:23.5Z\""));
}

static void test_clean_path(void **state)
{
	(void) state;
	static const char *const cases[][2] = {
		{ "", "/" },	       { "/", "/" },		{ "etc", "/etc" },	  { "/etc/", "/etc" },
		{ "//a//b/", "/a/b" }, { "/a/./b/.", "/a/b" },	{ "/a/../b", "/b" },	  { "../../..", "/" },
		{ "/../etc/..", "/" }, { "a/b/../../../c", "/c" }, { "/a/..b/c", "/a/..b/c" }, { "...", "/..." },
	};
	char out[PATH_MAX];
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_int_equal(berth_archive_clean_path(cases[i][0], out, sizeof(out)), 0);
		assert_string_equal(out, cases[i][1]);
	}
	char small[4];
	assert_int_equal(berth_archive_clean_path("/abcd", small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(berth_archive_clean_path("/ab", small, sizeof(small)), 0);
	assert_string_equal(small, "/ab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_file_mode),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_clean_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
