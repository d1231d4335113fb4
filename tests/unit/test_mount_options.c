/* Mount option strings -> struct berth_mount_flags (config.md "Linux mount
 * options"), and MS_* -> MOUNT_ATTR_*. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "mount.h"
#include "spec.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PARSE(f, ...) parse((const char *[]){ __VA_ARGS__ }, N(((const char *[]){ __VA_ARGS__ })), f)

static void parse(const char *const *opts, size_t n, struct berth_mount_flags *f)
{
	struct berth_error err = { 0 };

	memset(f, 0xff, sizeof(*f));
	if (berth_mount_options_parse((const char **) opts, n, f, "mounts[0]", &err) < 0)
		fail_msg("unexpected error: %s", err.msg);
}

static void assert_nothing_else(const struct berth_mount_flags *f)
{
	assert_int_equal(f->n_propagation, 0);
	assert_true(f->rec_attr_set == 0 && f->rec_attr_clr == 0);
	assert_false(f->bind || f->recursive_bind || f->tmpcopyup || f->idmap || f->recursive_idmap);
	assert_null(f->data);
}

static void test_table_sorted(void **state)
{
	const char *const *names = berth_mount_option_names();
	size_t n = 0;

	(void) state;
	assert_non_null(names);
	for (; names[n]; n++)
		if (n > 0 && strcmp(names[n - 1], names[n]) >= 0)
			fail_msg("option table out of order: \"%s\" before \"%s\"", names[n - 1], names[n]);
	/* Everything config.md lists is there. */
	assert_true(n >= 50);
	/* The same array on every call. */
	assert_ptr_equal(berth_mount_option_names(), names);
}

static void test_every_name_is_found(void **state)
{
	const char *const *names = berth_mount_option_names();

	(void) state;
	/* A name the binary search missed would end up as filesystem data. */
	for (size_t i = 0; names[i]; i++) {
		struct berth_mount_flags f;
		parse(&names[i], 1, &f);
		if (f.data != NULL)
			fail_msg("option \"%s\" is not found by lookup", names[i]);
	}
}

static void test_empty_and_defaults(void **state)
{
	struct berth_error err = { 0 };
	struct berth_mount_flags f;

	(void) state;
	memset(&f, 0xff, sizeof(f));
	assert_int_equal(berth_mount_options_parse(NULL, 0, &f, "m", &err), 0);
	assert_int_equal(f.flags, 0);
	assert_nothing_else(&f);
	PARSE(&f, "defaults");
	assert_int_equal(f.flags, 0);
	assert_nothing_else(&f);
}

static void test_flag_options(void **state)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} set[] = {
		{ "ro", MS_RDONLY },	      { "nosuid", MS_NOSUID },	       { "nodev", MS_NODEV },
		{ "noexec", MS_NOEXEC },      { "sync", MS_SYNCHRONOUS },      { "dirsync", MS_DIRSYNC },
		{ "mand", MS_MANDLOCK },      { "noatime", MS_NOATIME },       { "nodiratime", MS_NODIRATIME },
		{ "relatime", MS_RELATIME },  { "strictatime", MS_STRICTATIME }, { "lazytime", MS_LAZYTIME },
		{ "iversion", MS_I_VERSION }, { "silent", MS_SILENT },	       { "nosymfollow", MS_NOSYMFOLLOW },
		{ "remount", MS_REMOUNT },
	};
	static const struct {
		const char *on, *off;
	} pairs[] = {
		{ "ro", "rw" },		     { "nosuid", "suid" },	     { "nodev", "dev" },
		{ "noexec", "exec" },	     { "sync", "async" },	     { "mand", "nomand" },
		{ "noatime", "atime" },	     { "nodiratime", "diratime" },   { "relatime", "norelatime" },
		{ "strictatime", "nostrictatime" }, { "lazytime", "nolazytime" }, { "iversion", "noiversion" },
		{ "silent", "loud" },	     { "nosymfollow", "symfollow" },
	};
	struct berth_mount_flags f;

	(void) state;
	for (size_t i = 0; i < N(set); i++) {
		parse(&set[i].name, 1, &f);
		if (f.flags != set[i].flag)
			fail_msg("\"%s\": flags %#lx, expected %#lx", set[i].name, f.flags, set[i].flag);
		assert_nothing_else(&f);
	}
	/* The negative option clears what the positive one set, and only that;
	 * a later positive one sets it again. */
	for (size_t i = 0; i < N(pairs); i++) {
		const char *v[3] = { "dirsync", pairs[i].on, pairs[i].off };
		parse(v, 3, &f);
		if (f.flags != MS_DIRSYNC)
			fail_msg("\"%s\" then \"%s\": flags %#lx", pairs[i].on, pairs[i].off, f.flags);
		v[0] = pairs[i].off;
		v[1] = pairs[i].off;
		v[2] = pairs[i].on;
		parse(v, 3, &f);
		assert_true(f.flags != 0);
	}
	PARSE(&f, "ro", "nosuid", "nodev", "noexec");
	assert_int_equal(f.flags, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	PARSE(&f, "ro", "rw");
	assert_false(f.flags & MS_RDONLY);
}

static void test_bind(void **state)
{
	struct berth_mount_flags f;

	(void) state;
	PARSE(&f, "bind");
	assert_true(f.bind);
	assert_false(f.recursive_bind);
	assert_int_equal(f.flags, 0);
	PARSE(&f, "rbind", "ro");
	assert_true(f.bind);
	assert_true(f.recursive_bind);
	assert_int_equal(f.flags, MS_RDONLY);
	assert_null(f.data);
}

static void test_propagation_in_order(void **state)
{
	struct berth_error err = { 0 };
	struct berth_mount_flags f;
	const char *five[] = { "private", "shared", "slave", "unbindable", "rprivate" };

	(void) state;
	PARSE(&f, "rslave");
	assert_int_equal(f.n_propagation, 1);
	assert_int_equal(f.propagation[0], MS_SLAVE | MS_REC);
	assert_int_equal(f.flags, 0);

	PARSE(&f, "private", "ro", "rshared", "slave", "runbindable");
	assert_int_equal(f.n_propagation, 4);
	assert_int_equal(f.propagation[0], MS_PRIVATE);
	assert_int_equal(f.propagation[1], MS_SHARED | MS_REC);
	assert_int_equal(f.propagation[2], MS_SLAVE);
	assert_int_equal(f.propagation[3], MS_UNBINDABLE | MS_REC);
	/* Propagation never leaks into the mount flags. */
	assert_int_equal(f.flags, MS_RDONLY);

	PARSE(&f, "shared", "rprivate", "unbindable", "rslave");
	assert_int_equal(f.propagation[0], MS_SHARED);
	assert_int_equal(f.propagation[1], MS_PRIVATE | MS_REC);
	assert_int_equal(f.propagation[2], MS_UNBINDABLE);
	assert_int_equal(f.propagation[3], MS_SLAVE | MS_REC);

	/* More than the array holds is an error, not an overflow. */
	assert_int_equal(berth_mount_options_parse(five, 5, &f, "mounts[2]", &err), -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_memory_equal(err.msg, "mounts[2].options", 17);
}

static void test_recursive_attrs(void **state)
{
	static const struct {
		const char *on, *off;
		uint64_t attr;
	} pairs[] = {
		{ "rro", "rrw", MOUNT_ATTR_RDONLY },
		{ "rnosuid", "rsuid", MOUNT_ATTR_NOSUID },
		{ "rnodev", "rdev", MOUNT_ATTR_NODEV },
		{ "rnoexec", "rexec", MOUNT_ATTR_NOEXEC },
		{ "rnodiratime", "rdiratime", MOUNT_ATTR_NODIRATIME },
		{ "rnosymfollow", "rsymfollow", MOUNT_ATTR_NOSYMFOLLOW },
	};
	struct berth_mount_flags f;

	(void) state;
	for (size_t i = 0; i < N(pairs); i++) {
		const char *v[2] = { pairs[i].on, pairs[i].off };

		parse(v, 1, &f);
		assert_true(f.rec_attr_set == pairs[i].attr);
		assert_true(f.rec_attr_clr == 0);
		assert_int_equal(f.flags, 0);
		assert_null(f.data);

		parse(v + 1, 1, &f);
		assert_true(f.rec_attr_set == 0);
		assert_true(f.rec_attr_clr == pairs[i].attr);

		/* The last one wins. */
		parse(v, 2, &f);
		assert_true(f.rec_attr_set == 0);
		assert_true(f.rec_attr_clr == pairs[i].attr);
		v[0] = pairs[i].off;
		v[1] = pairs[i].on;
		parse(v, 2, &f);
		assert_true(f.rec_attr_set == pairs[i].attr);
		assert_true(f.rec_attr_clr == 0);
	}
	PARSE(&f, "rro", "rnosuid", "rnodev");
	assert_true(f.rec_attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
	/* Recursive options are not per-mount flags. */
	assert_int_equal(f.flags, 0);
}

static uint64_t atime_mode(const struct berth_mount_flags *f)
{
	return f->rec_attr_set & MOUNT_ATTR__ATIME;
}

static void test_recursive_atime(void **state)
{
	static const struct {
		const char *name;
		uint64_t mode;
	} modes[] = {
		{ "rnoatime", MOUNT_ATTR_NOATIME },
		{ "rstrictatime", MOUNT_ATTR_STRICTATIME },
		{ "rrelatime", MOUNT_ATTR_RELATIME },
	};
	/* Each negation and the mode it undoes. */
	static const struct {
		const char *name, *undoes;
		uint64_t not_mode;
	} negations[] = {
		{ "ratime", "rnoatime", MOUNT_ATTR_NOATIME },
		{ "rnostrictatime", "rstrictatime", MOUNT_ATTR_STRICTATIME },
		{ "rnorelatime", "rrelatime", MOUNT_ATTR_RELATIME },
	};
	struct berth_mount_flags f;

	(void) state;
	for (size_t i = 0; i < N(modes); i++) {
		parse(&modes[i].name, 1, &f);
		assert_true(atime_mode(&f) == modes[i].mode);
		/* mount_setattr(2) needs the whole atime field in attr_clr. */
		assert_true((f.rec_attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME);
		assert_true((f.rec_attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) == 0);
		assert_int_equal(f.flags, 0);
	}
	for (size_t i = 0; i < N(negations); i++) {
		const char *v[2] = { negations[i].undoes, negations[i].name };
		parse(&negations[i].name, 1, &f);
		assert_true(atime_mode(&f) != negations[i].not_mode);
		assert_true((f.rec_attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME);
		/* It replaces the earlier mode rather than mixing bits with it. */
		parse(v, 2, &f);
		assert_true(atime_mode(&f) != negations[i].not_mode);
		assert_true(atime_mode(&f) == MOUNT_ATTR_NOATIME || atime_mode(&f) == MOUNT_ATTR_STRICTATIME ||
			    atime_mode(&f) == MOUNT_ATTR_RELATIME);
		assert_true((f.rec_attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME);
	}
	/* The last mode wins, other recursive attributes stay. */
	PARSE(&f, "rro", "rnoatime", "rstrictatime");
	assert_true(atime_mode(&f) == MOUNT_ATTR_STRICTATIME);
	assert_true(f.rec_attr_set & MOUNT_ATTR_RDONLY);
	PARSE(&f, "rstrictatime", "rnoatime", "rnosuid");
	assert_true(atime_mode(&f) == MOUNT_ATTR_NOATIME);
	assert_true(f.rec_attr_set & MOUNT_ATTR_NOSUID);
}

static void test_tmpcopyup_idmap(void **state)
{
	struct berth_mount_flags f;

	(void) state;
	PARSE(&f, "tmpcopyup");
	assert_true(f.tmpcopyup);
	assert_false(f.idmap);
	assert_int_equal(f.flags, 0);
	assert_null(f.data);
	PARSE(&f, "idmap");
	assert_true(f.idmap);
	assert_false(f.recursive_idmap);
	assert_false(f.tmpcopyup);
	PARSE(&f, "ridmap");
	assert_true(f.idmap);
	assert_true(f.recursive_idmap);
}

static void test_data_joined(void **state)
{
	struct berth_mount_flags f;

	(void) state;
	PARSE(&f, "mode=755");
	assert_string_equal(f.data, "mode=755");
	assert_int_equal(f.flags, 0);
	free(f.data);

	PARSE(&f, "nosuid", "mode=755", "ro", "size=64k", "uid=0", "strictatime", "X");
	assert_string_equal(f.data, "mode=755,size=64k,uid=0,X");
	assert_int_equal(f.flags, MS_NOSUID | MS_RDONLY | MS_STRICTATIME);
	free(f.data);

	/* Case matters: "RO" is not "ro". */
	PARSE(&f, "RO", "Bind");
	assert_string_equal(f.data, "RO,Bind");
	assert_int_equal(f.flags, 0);
	assert_false(f.bind);
	free(f.data);
}

static void test_empty_option_is_error(void **state)
{
	struct berth_error err = { 0 };
	struct berth_mount_flags f = { 0 };
	const char *a[] = { "" };
	const char *b[] = { "ro", "mode=1", "size=2", "" };
	int r;

	(void) state;
	r = berth_mount_options_parse(a, 1, &f, "mounts[3]", &err);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, "mounts[3].options[0]: must not be empty");
	/* After data was collected: no leak (ASan), same message. */
	r = berth_mount_options_parse(b, 4, &f, "mounts[0]", &err);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err.msg, "mounts[0].options[3]: must not be empty");
	assert_null(f.data);
}

static void test_flags_to_attr(void **state)
{
	uint64_t set = 99, clr = 99;

	(void) state;
	berth_mount_flags_to_attr(0, &set, &clr);
	assert_true(set == 0 && clr == 0);
	berth_mount_flags_to_attr(MS_RDONLY, &set, &clr);
	assert_true(set == MOUNT_ATTR_RDONLY && clr == 0);
	berth_mount_flags_to_attr(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NODIRATIME | MS_NOSYMFOLLOW, &set,
				  &clr);
	assert_true(set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
			    MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
	assert_true(clr == 0);
	berth_mount_flags_to_attr(MS_NOATIME, &set, &clr);
	assert_true(set == MOUNT_ATTR_NOATIME && clr == MOUNT_ATTR__ATIME);
	berth_mount_flags_to_attr(MS_STRICTATIME | MS_NOSUID, &set, &clr);
	assert_true(set == (MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_NOSUID) && clr == MOUNT_ATTR__ATIME);
	berth_mount_flags_to_attr(MS_RELATIME, &set, &clr);
	assert_true((set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_RELATIME && clr == MOUNT_ATTR__ATIME);
	/* Flags with no mount attribute give none. */
	berth_mount_flags_to_attr(MS_BIND | MS_REC | MS_SYNCHRONOUS | MS_SILENT | MS_LAZYTIME, &set, &clr);
	assert_true(set == 0 && clr == 0);

	/* What the option parser produces feeds straight in. */
	{
		struct berth_mount_flags f;
		PARSE(&f, "ro", "nodev", "noatime");
		berth_mount_flags_to_attr(f.flags, &set, &clr);
		assert_true(set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOATIME));
		assert_true(clr == MOUNT_ATTR__ATIME);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_sorted),
		cmocka_unit_test(test_every_name_is_found),
		cmocka_unit_test(test_empty_and_defaults),
		cmocka_unit_test(test_flag_options),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_propagation_in_order),
		cmocka_unit_test(test_recursive_attrs),
		cmocka_unit_test(test_recursive_atime),
		cmocka_unit_test(test_tmpcopyup_idmap),
		cmocka_unit_test(test_data_joined),
		cmocka_unit_test(test_empty_option_is_error),
		cmocka_unit_test(test_flags_to_attr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
