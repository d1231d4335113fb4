#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "userdb.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# a comment\n"
			     "\n"
			     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			     "broken:x:notanumber:1::/:/bin/sh\n"
			     "app:x:1000:1000:App,,,:/home/app:/bin/sh\n"
			     "nohome:x:1001:1001\n";
static const char group[] = "root:x:0:\n"
			    "daemon:x:1:\n"
			    "wheel:x:10:root,app\n"
			    "audio:x:29:app\n"
			    "app:x:1000:\n"
			    "staff:x:50:other\n"
			    "1234:x:77:\n";

struct want {
	long uid, gid;
	const char *sgids; /* "10,29" */
	const char *home;
};

static void check(const char *user, const char *const *add, struct want w)
{
	struct berth_error err = { 0 };
	_cleanup_exec_user_ struct berth_exec_user u = { 0 };
	char sgids[512] = "";
	if (berth_userdb_resolve(passwd, group, user, add, &u, &err) != 0)
		fail_msg("\"%s\": %s", user ? user : "(null)", err.msg);
	for (size_t i = 0; i < u.n_sgids; i++)
		snprintf(sgids + strlen(sgids), sizeof(sgids) - strlen(sgids), "%s%u", i ? "," : "", u.sgids[i]);
	if ((long) u.uid != w.uid || (long) u.gid != w.gid || strcmp(sgids, w.sgids) != 0 || strcmp(u.home, w.home))
		fail_msg("\"%s\": got %u:%u [%s] %s, want %ld:%ld [%s] %s", user ? user : "(null)", u.uid, u.gid, sgids,
			 u.home, w.uid, w.gid, w.sgids, w.home);
}

static void test_users(void **state)
{
	(void) state;
	check("", NULL, (struct want){ 0, 0, "10", "/root" });
	check(NULL, NULL, (struct want){ 0, 0, "10", "/root" });
	check("app", NULL, (struct want){ 1000, 1000, "10,29", "/home/app" });
	check("1000", NULL, (struct want){ 1000, 1000, "10,29", "/home/app" });
	check("daemon", NULL, (struct want){ 1, 1, "", "/usr/sbin" });
	check("nohome", NULL, (struct want){ 1001, 1001, "", "/" });
	/* a uid without an entry: gid 0, home / */
	check("4242", NULL, (struct want){ 4242, 0, "", "/" });
	/* an explicit group replaces the gid and drops the member groups */
	check("app:audio", NULL, (struct want){ 1000, 29, "", "/home/app" });
	check("app:500", NULL, (struct want){ 1000, 500, "", "/home/app" });
	check("4242:4343", NULL, (struct want){ 4242, 4343, "", "/" });
	/* a group named by digits is a name first */
	check("app:1234", NULL, (struct want){ 1000, 77, "", "/home/app" });
	/* --group-add: by name or number, after the member groups */
	static const char *const add[] = { "staff", "9999", NULL };
	check("app", add, (struct want){ 1000, 1000, "10,29,50,9999", "/home/app" });
}

static void check_bad(const char *user, const char *const *add, const char *want)
{
	struct berth_error err = { 0 };
	_cleanup_exec_user_ struct berth_exec_user u = { 0 };
	if (berth_userdb_resolve(passwd, group, user, add, &u, &err) == 0)
		fail_msg("\"%s\" should be refused", user);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\": error \"%s\" does not contain \"%s\"", user, err.msg, want);
	assert_null(u.home);
}

static void test_bad_users(void **state)
{
	(void) state;
	check_bad("nobody", NULL, "unable to find user nobody: no matching entries in passwd file");
	check_bad("app:nogroup", NULL, "unable to find group nogroup: no matching entries in group file");
	check_bad(":wheel", NULL, "invalid user");
	check_bad("app:", NULL, "invalid user");
	check_bad("-1", NULL, "unable to find user -1");
	check_bad("99999999999", NULL, "unable to find user 99999999999");
	static const char *const add[] = { "nosuch", NULL };
	check_bad("app", add, "unable to find group nosuch");
}

static void test_no_files(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_exec_user_ struct berth_exec_user u = { 0 };
	/* a scratch image: numeric ids work, names do not */
	assert_int_equal(berth_userdb_resolve(NULL, NULL, "1000:1000", NULL, &u, &err), 0);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1000);
	berth_exec_user_clear(&u);
	assert_int_equal(berth_userdb_resolve(NULL, NULL, "", NULL, &u, &err), 0);
	assert_int_equal(u.uid, 0);
	berth_exec_user_clear(&u);
	assert_int_equal(berth_userdb_resolve(NULL, NULL, "root", NULL, &u, &err), -ENOENT);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* In a root: the files are read inside it, a symlink pointing out of the
 * root resolves inside it instead. */
static void test_in_root(void **state)
{
	(void) state;
	char dir[] = "/tmp/berth-userdb.XXXXXX", etc[600], cmd[700];
	struct berth_error err = { 0 };
	_cleanup_exec_user_ struct berth_exec_user u = { 0 };
	assert_non_null(mkdtemp(dir));
	snprintf(etc, sizeof(etc), "%s/etc", dir);
	assert_int_equal(mkdir(etc, 0755), 0);
	write_file(etc, "passwd", passwd);
	snprintf(cmd, sizeof(cmd), "%s/group", etc);
	/* etc/group -> /etc/group: inside the root, that is this same file */
	assert_int_equal(symlink("/etc/real-group", cmd), 0);
	write_file(etc, "real-group", group);
	_cleanup_close_ int rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	assert_int_equal(berth_userdb_resolve_in_root(rootfd, dir, "app", NULL, &u, &err), 0);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.n_sgids, 2);
	assert_int_equal(u.sgids[1], 29);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_bad_users),
		cmocka_unit_test(test_no_files),
		cmocka_unit_test(test_in_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
