/* Unit tests of berth cp's copy rules: Go's filepath.Clean and docker's
 * SplitPathDirEntry, GetRebaseName and PrepareArchiveCopy (the expected
 * values are what those Go functions return for the same input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cp_archive.h"

static void check_clean(const char *in, const char *want)
{
	char *got = berth_cp_clean(in);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_clean(void **state)
{
	(void) state;
	check_clean("", ".");
	check_clean("/", "/");
	check_clean("//a//b/", "/a/b");
	check_clean("/a/./b/../c", "/a/c");
	check_clean("/../..", "/");
	check_clean("a/../..", "..");
	check_clean("../../x", "../../x");
	check_clean("./a/", "a");
	check_clean("a/..", ".");
	check_clean("/a/b/.", "/a/b");
}

static void check_split(const char *in, const char *dir, const char *base)
{
	struct berth_error err = { 0 };
	char *d = NULL, *b = NULL;
	assert_int_equal(berth_cp_split(in, &d, &b, &err), 0);
	assert_string_equal(d, dir);
	assert_string_equal(b, base);
	free(d);
	free(b);
}

static void test_split(void **state)
{
	(void) state;
	check_split("/data/a", "/data", "a");
	check_split("/data/sub/", "/data", "sub");
	check_split("/data/sub/.", "/data/sub", ".");
	check_split("/a", "/", "a");
	check_split("/", "/", "/");
	check_split("file", ".", "file");
	assert_true(berth_cp_asserts_dir("/x/"));
	assert_true(berth_cp_asserts_dir("/x/."));
	assert_false(berth_cp_asserts_dir("/x"));
	assert_false(berth_cp_asserts_dir("/x.."));
}

static void test_rebase_name(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char *path = NULL, *rebase = NULL;
	assert_int_equal(berth_cp_rebase_name("/data/link", "/data/a", &path, &rebase, &err), 0);
	assert_string_equal(path, "/data/a");
	assert_string_equal(rebase, "link");
	free(path);
	free(rebase);
	assert_int_equal(berth_cp_rebase_name("/data/dirlink/.", "/data/sub", &path, &rebase, &err), 0);
	assert_string_equal(path, "/data/sub/.");
	assert_null(rebase);
	free(path);
	assert_int_equal(berth_cp_rebase_name("/l/", "/target", &path, &rebase, &err), 0);
	assert_string_equal(path, "/target/");
	assert_string_equal(rebase, "l");
	free(path);
	free(rebase);
}

static void check_plan(const struct berth_cp_info *src, const struct berth_cp_info *dst, const char *dir,
		       const char *old_base, const char *new_base)
{
	struct berth_error err = { 0 };
	struct berth_cp_plan p = { 0 };
	assert_int_equal(berth_cp_prepare(src, dst, &p, &err), 0);
	assert_string_equal(p.dir, dir);
	if (old_base) {
		assert_string_equal(p.old_base, old_base);
		assert_string_equal(p.new_base, new_base);
	} else {
		assert_null(p.old_base);
	}
	berth_cp_plan_clear(&p);
}

static void check_plan_error(const struct berth_cp_info *src, const struct berth_cp_info *dst, const char *msg)
{
	struct berth_error err = { 0 };
	struct berth_cp_plan p = { 0 };
	assert_true(berth_cp_prepare(src, dst, &p, &err) < 0);
	assert_string_equal(err.msg, msg);
	assert_null(p.dir);
}

static void test_prepare(void **state)
{
	(void) state;
	const struct berth_cp_info file = { .path = "/src/f", .exists = true };
	const struct berth_cp_info dir = { .path = "/src/d", .exists = true, .is_dir = true };
	const struct berth_cp_info contents = { .path = "/src/d/.", .exists = true, .is_dir = true };
	const struct berth_cp_info linked = { .path = "/src/target", .exists = true, .rebase_name = "link" };
	const struct berth_cp_info into_dir = { .path = "/dst", .exists = true, .is_dir = true };
	const struct berth_cp_info onto_file = { .path = "/dst/g", .exists = true };
	const struct berth_cp_info new_name = { .path = "/dst/new" };
	const struct berth_cp_info new_dir = { .path = "/dst/new/" };

	check_plan(&file, &into_dir, "/dst", NULL, NULL);
	check_plan(&linked, &into_dir, "/dst", "target", "link");
	check_plan(&file, &onto_file, "/dst", "f", "g");
	check_plan(&file, &new_name, "/dst", "f", "new");
	check_plan(&dir, &new_name, "/dst", "d", "new");
	check_plan(&dir, &new_dir, "/dst", "d", "new");
	check_plan(&contents, &new_name, "/dst", ".", "new");
	check_plan(&linked, &new_name, "/dst", "target", "new");
	check_plan_error(&dir, &onto_file, BERTH_CP_ERR_CANNOT_COPY_DIR);
	check_plan_error(&file, &new_dir, BERTH_CP_ERR_DIR_NOT_EXISTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_rebase_name),
		cmocka_unit_test(test_prepare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
