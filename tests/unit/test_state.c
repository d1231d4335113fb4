/* Container ids, signal names, state.json round trips. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "json.h"
#include "signals.h"
#include "state.h"

struct tmp {
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->path, sizeof(t->path), "/tmp/berth-state-XXXXXX");
	if (mkdtemp(t->path) == NULL) {
		free(t);
		return -1;
	}
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = t;
	return t->fd < 0 ? -1 : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	int r;

	close(t->fd);
	r = nftw(t->path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return r;
}

static void test_container_id(void **state)
{
	static const char *const valid[] = { "a", "abc-DEF_1.2+3", "0", "...", "a..b", ".hidden", "Z9" };
	static const char *const invalid[] = { "", ".", "..", "a/b", "/", "a b", "a\tb", "a\nb", "é", "a:b", "a*", "-\\" };
	char id[1026];

	(void) state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		if (!berth_container_id_valid(valid[i]))
			fail_msg("\"%s\" should be valid", valid[i]);
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		if (berth_container_id_valid(invalid[i]))
			fail_msg("\"%s\" should be invalid", invalid[i]);
	memset(id, 'x', sizeof(id) - 1);
	id[1024] = '\0';
	assert_true(berth_container_id_valid(id));
	id[1024] = 'x';
	id[1025] = '\0';
	assert_int_equal(strlen(id), 1025);
	assert_false(berth_container_id_valid(id));
}

static void test_signal_parse(void **state)
{
	static const struct {
		const char *text;
		int want;
	} ok[] = {
		{ "KILL", SIGKILL },   { "SIGKILL", SIGKILL }, { "kill", SIGKILL },	 { "sigterm", SIGTERM },
		{ "TERM", SIGTERM },   { "9", 9 },	       { "1", 1 },		 { "HUP", SIGHUP },
		{ "SIGUSR1", SIGUSR1 }, { "WINCH", SIGWINCH }, { "SIGCHLD", SIGCHLD }, { "CLD", SIGCHLD },
	};
	struct berth_error err = { 0 };
	char buf[32];
	int sig;

	(void) state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		sig = -1;
		if (berth_signal_parse(ok[i].text, &sig, &err) != 0)
			fail_msg("\"%s\": %s", ok[i].text, err.msg);
		if (sig != ok[i].want)
			fail_msg("\"%s\": %d, expected %d", ok[i].text, sig, ok[i].want);
	}
	assert_int_equal(berth_signal_parse("SIGRTMIN+3", &sig, &err), 0);
	assert_int_equal(sig, SIGRTMIN + 3);
	assert_int_equal(berth_signal_parse("RTMAX-1", &sig, &err), 0);
	assert_int_equal(sig, SIGRTMAX - 1);
	assert_int_equal(berth_signal_parse("SIGRTMIN", &sig, &err), 0);
	assert_int_equal(sig, SIGRTMIN);
	assert_int_equal(berth_signal_parse("rtmax", &sig, &err), 0);
	assert_int_equal(sig, SIGRTMAX);
	snprintf(buf, sizeof(buf), "%d", SIGRTMAX);
	assert_int_equal(berth_signal_parse(buf, &sig, &err), 0);
	assert_int_equal(sig, SIGRTMAX);
}

static void test_signal_parse_invalid(void **state)
{
	static const char *const bad[] = { "SIGFOO", "0", "99999", "", "-9", "SIG", "9x", "KILLX", "SIGRTMIN-1",
					   "RTMAX+1", "RTMIN+99", "RTMIN+", "SIGSIGKILL" };
	struct berth_error err;
	char buf[64], big[32];
	int sig;

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		berth_error_clear(&err);
		sig = 12345;
		if (berth_signal_parse(bad[i], &sig, &err) != -EINVAL)
			fail_msg("\"%s\" accepted as %d", bad[i], sig);
		assert_int_equal(err.code, EINVAL);
		assert_int_equal(sig, 12345);
		snprintf(buf, sizeof(buf), "invalid signal %s", bad[i]);
		assert_string_equal(err.msg, buf);
	}
	/* One past the last real-time signal. */
	snprintf(big, sizeof(big), "%d", SIGRTMAX + 1);
	assert_int_equal(berth_signal_parse(big, &sig, &err), -EINVAL);
}

static void test_signal_name(void **state)
{
	(void) state;
	assert_string_equal(berth_signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(berth_signal_name(SIGTERM), "SIGTERM");
	assert_string_equal(berth_signal_name(SIGCHLD), "SIGCHLD");
	assert_null(berth_signal_name(0));
	assert_null(berth_signal_name(SIGRTMIN + 1));
	/* Every name parses back to its number. */
	for (int s = 1; s < 32; s++) {
		const char *n = berth_signal_name(s);
		struct berth_error err = { 0 };
		int back = -1;
		if (n == NULL)
			continue;
		assert_int_equal(berth_signal_parse(n, &back, &err), 0);
		assert_int_equal(back, s);
	}
}

static json_t *sample_config(void)
{
	json_t *c = json_pack("{s:s, s:{s:s}, s:{s:s}}", "ociVersion", "1.2.0", "root", "path", "rootfs",
			      "annotations", "k", "v");

	assert_non_null(c);
	return c;
}

static void test_state_round_trip(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	json_t *config = sample_config();
	struct berth_state s = {
		.id = "ctr-1",
		.pid = 4242,
		.pid_start_time = UINT64_C(123456789012),
		.bundle = "/var/lib/bundles/ctr-1",
		.rootfs = "/var/lib/bundles/ctr-1/rootfs",
		.created = "2026-01-02T03:04:05.123456789Z",
		.owner = 1000,
		.creating = true,
		.config = config,
	};
	struct berth_state *r = NULL;
	struct stat st;

	assert_int_equal(berth_state_write(t->fd, &s, &err), 0);
	assert_int_equal(fstatat(t->fd, BERTH_STATE_FILE, &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_int_equal(berth_state_read(t->fd, "ctr-1", &r, &err), 0);
	assert_non_null(r);
	assert_string_equal(r->id, "ctr-1");
	assert_int_equal(r->pid, 4242);
	assert_true(r->pid_start_time == UINT64_C(123456789012));
	assert_string_equal(r->bundle, s.bundle);
	assert_string_equal(r->rootfs, s.rootfs);
	assert_string_equal(r->created, s.created);
	assert_int_equal(r->owner, 1000);
	assert_true(r->creating);
	assert_true(json_equal(r->config, config));
	berth_state_free(r);

	/* Rewriting replaces it; creating goes back to false. */
	s.creating = false;
	s.pid = 1;
	s.owner = 0;
	assert_int_equal(berth_state_write(t->fd, &s, &err), 0);
	r = NULL;
	assert_int_equal(berth_state_read(t->fd, "ctr-1", &r, &err), 0);
	assert_false(r->creating);
	assert_int_equal(r->pid, 1);
	assert_int_equal(r->owner, 0);
	/* The printed state: a stopped container shows pid 0, annotations come along. */
	{
		json_t *j = berth_state_to_json(r, BERTH_STATUS_STOPPED);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "status")), "stopped");
		assert_int_equal(json_integer_value(json_object_get(j, "pid")), 0);
		assert_string_equal(json_string_value(json_object_get(j, "id")), "ctr-1");
		assert_string_equal(json_string_value(json_object_get(json_object_get(j, "annotations"), "k")), "v");
		json_decref(j);
	}
	berth_state_free(r);

	/* Only state.json is in the directory: no temporary file left. */
	assert_int_equal(faccessat(t->fd, BERTH_STATE_FILE, F_OK, 0), 0);
	{
		int dfd = openat(t->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = fdopendir(dfd);
		struct dirent *de;
		int n = 0;
		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
				n++;
		closedir(d);
		assert_int_equal(n, 1);
	}
	json_decref(config);
}

static void put(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	close(fd);
}

static void test_state_read_errors(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	struct berth_state *r = NULL;

	assert_int_equal(berth_state_read(t->fd, "c", &r, &err), -ENOENT);
	assert_string_equal(err.msg, "container c is still being created");
	assert_null(r);

	put(t->fd, BERTH_STATE_FILE, "{not json");
	assert_int_equal(berth_state_read(t->fd, "c", &r, &err), -EINVAL);
	assert_memory_equal(err.msg, "container c: state.json: not valid JSON", 39);
	assert_null(r);

	put(t->fd, BERTH_STATE_FILE, "{\"id\": \"c\"}");
	assert_int_equal(berth_state_read(t->fd, "c", &r, &err), -EINVAL);
	assert_string_equal(err.msg, "container c: state.json: pid: required field is missing");

	put(t->fd, BERTH_STATE_FILE,
	    "{\"id\": \"c\", \"pid\": 5, \"pidStartTime\": 1, \"bundle\": \"/b\", \"rootfs\": \"/r\", "
	    "\"created\": \"x\", \"owner\": 0, \"config\": []}");
	assert_int_equal(berth_state_read(t->fd, "c", &r, &err), -EINVAL);
	assert_string_equal(err.msg, "container c: state.json: config: must be an object");
	assert_null(r);

	/* "creating" is optional: an older state.json without it reads as false. */
	put(t->fd, BERTH_STATE_FILE,
	    "{\"id\": \"c\", \"pid\": 5, \"pidStartTime\": 1, \"bundle\": \"/b\", \"rootfs\": \"/r\", "
	    "\"created\": \"x\", \"owner\": 0, \"config\": {}}");
	assert_int_equal(berth_state_read(t->fd, "c", &r, &err), 0);
	assert_false(r->creating);
	assert_int_equal(r->pid, 5);
	berth_state_free(r);
}

static void test_state_dirs(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	char root[128];
	int fd;

	snprintf(root, sizeof(root), "%s/run/berth", t->path);
	assert_true(berth_state_root_open(root, false, &err) < 0);
	assert_int_equal(err.code, ENOENT);
	fd = berth_state_root_open(root, true, &err);
	assert_true(fd >= 0);
	close(fd);

	fd = berth_state_root_open(root, false, &err);
	assert_true(fd >= 0);
	assert_int_equal(berth_state_dir_open(fd, "nope", &err), -ENOENT);
	assert_string_equal(err.msg, "container nope does not exist");
	assert_int_equal(berth_state_dir_open(fd, "../x", &err), -EINVAL);
	assert_memory_equal(err.msg, "invalid container id \"../x\"", 27);
	assert_int_equal(mkdirat(fd, "c1", 0700), 0);
	{
		int d = berth_state_dir_open(fd, "c1", &err);
		assert_true(d >= 0);
		assert_int_equal(berth_state_lock(d, "c1", &err), 0);
		close(d);
	}
	/* A symlink in place of a container directory is not followed. */
	assert_int_equal(symlinkat("c1", fd, "c2"), 0);
	assert_true(berth_state_dir_open(fd, "c2", &err) < 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_id),
		cmocka_unit_test(test_signal_parse),
		cmocka_unit_test(test_signal_parse_invalid),
		cmocka_unit_test(test_signal_name),
		cmocka_unit_test_setup_teardown(test_state_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_read_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_dirs, setup, teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
