#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mountinfo.h"

static void test_line_with_optional_fields(void **state)
{
	(void) state;
	char line[] = "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue";
	struct berth_mountinfo_entry e;
	assert_true(berth_mountinfo_parse_line(line, &e));
	assert_string_equal(e.root, "/mnt1");
	assert_string_equal(e.mountpoint, "/mnt/parent");
	assert_string_equal(e.options, "rw,noatime");
	assert_string_equal(e.fstype, "ext3");
	assert_string_equal(e.source, "/dev/root");
	assert_string_equal(e.superopts, "rw,errors=continue");
}

static void test_private_mount_and_escapes(void **state)
{
	(void) state;
	char line[] = "40 1 0:50 / /tmp/with\\040space\\011tab\\134 rw - tmpfs my\\040src rw,size=10k";
	struct berth_mountinfo_entry e;
	assert_true(berth_mountinfo_parse_line(line, &e));
	assert_string_equal(e.mountpoint, "/tmp/with space\ttab\\");
	assert_string_equal(e.source, "my src");
	assert_string_equal(e.fstype, "tmpfs");
}

static void test_malformed(void **state)
{
	(void) state;
	char no_sep[] = "40 1 0:50 / /tmp rw tmpfs x rw";
	char short_line[] = "40 1 0:50 /";
	char no_source[] = "40 1 0:50 / /tmp rw - tmpfs";
	struct berth_mountinfo_entry e;
	assert_false(berth_mountinfo_parse_line(no_sep, &e));
	assert_false(berth_mountinfo_parse_line(short_line, &e));
	assert_false(berth_mountinfo_parse_line(no_source, &e));
}

static int find_root(const struct berth_mountinfo_entry *e, void *ctx)
{
	if (strcmp(e->mountpoint, "/") == 0)
		*(int *) ctx = 1;
	return 0;
}

static void test_foreach_sees_root(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	int found = 0;
	assert_int_equal(berth_mountinfo_foreach(find_root, &found, &err), 0);
	assert_int_equal(found, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_with_optional_fields),
		cmocka_unit_test(test_private_mount_and_escapes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_foreach_sees_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
