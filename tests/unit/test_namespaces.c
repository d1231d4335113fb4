/* Which namespaces a spec creates, and checking the ones it joins by path. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
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

#include "namespaces.h"
#include "spec.h"

#define DOC_NS(ns, extra)                                                                                   \
	"{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, "                                    \
	"\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"]}, \"linux\": {\"namespaces\": [" ns "]" extra "}}"
#define MAPS                                                                                  \
	", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}], " \
	"\"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]"

static struct berth_spec *parse(const char *text)
{
	struct berth_error err = { 0 };
	struct berth_spec *spec = NULL;

	if (berth_spec_parse(text, strlen(text), &spec, &err) < 0)
		fail_msg("parse: %s", err.msg);
	return spec;
}

/* The lowest free descriptor: it moves up if a call leaked one. */
static int next_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static bool have_ns(enum berth_ns_type t)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/ns/%s", berth_ns_proc_name(t));
	return access(path, F_OK) == 0;
}

static void assert_all_closed(const int fds[BERTH_NS_COUNT])
{
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		assert_int_equal(fds[t], -1);
}

static void test_type_tables(void **state)
{
	static const char *const oci[BERTH_NS_COUNT] = { "user", "mount", "pid", "network", "ipc", "uts", "cgroup", "time" };
	static const int flags[BERTH_NS_COUNT] = { CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET,
						   CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME };

	(void) state;
	for (int t = 0; t < BERTH_NS_COUNT; t++) {
		assert_string_equal(berth_ns_type_name(t), oci[t]);
		assert_int_equal(berth_ns_type_from_name(oci[t]), t);
		assert_int_equal(berth_ns_clone_flag(t), flags[t]);
		assert_non_null(berth_ns_proc_name(t));
	}
	assert_string_equal(berth_ns_proc_name(BERTH_NS_MOUNT), "mnt");
	assert_string_equal(berth_ns_proc_name(BERTH_NS_NETWORK), "net");
	/* /proc names and odd spellings are not OCI names. */
	assert_int_equal(berth_ns_type_from_name("mnt"), -1);
	assert_int_equal(berth_ns_type_from_name("net"), -1);
	assert_int_equal(berth_ns_type_from_name("PID"), -1);
	assert_int_equal(berth_ns_type_from_name(""), -1);
}

static void test_new_flags(void **state)
{
	struct berth_spec *spec;

	(void) state;
	spec = parse(DOC_NS("{\"type\": \"mount\"}", ""));
	assert_int_equal(berth_ns_new_flags(spec), CLONE_NEWNS);
	berth_spec_free(spec);

	/* A namespace joined by path is not created. */
	spec = parse(DOC_NS("{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, "
			    "{\"type\": \"cgroup\"}, {\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}",
			    ""));
	assert_int_equal(berth_ns_new_flags(spec),
			 CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP);
	berth_spec_free(spec);

	spec = parse(DOC_NS("{\"type\": \"user\"}, {\"type\": \"mount\"}, {\"type\": \"network\"}, {\"type\": \"time\"}",
			    MAPS));
	assert_int_equal(berth_ns_new_flags(spec), CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWTIME);
	berth_spec_free(spec);

	spec = parse(DOC_NS("{\"type\": \"user\", \"path\": \"/proc/self/ns/user\"}, {\"type\": \"mount\"}", ""));
	assert_int_equal(berth_ns_new_flags(spec), CLONE_NEWNS);
	berth_spec_free(spec);

	/* An empty path means "create". */
	spec = parse(DOC_NS("{\"type\": \"mount\"}, {\"type\": \"ipc\", \"path\": \"\"}", ""));
	assert_int_equal(berth_ns_new_flags(spec), CLONE_NEWNS | CLONE_NEWIPC);
	assert_null(spec->ns[BERTH_NS_IPC].path);
	berth_spec_free(spec);
}

static void test_open_refuses_wrong_type(void **state)
{
	struct berth_error err = { 0 };
	struct berth_spec *spec;
	int fds[BERTH_NS_COUNT];
	int before = next_fd();

	(void) state;
	spec = parse(DOC_NS("{\"type\": \"mount\"}, {\"type\": \"pid\", \"path\": \"/proc/self/ns/net\"}", ""));
	memset(fds, 0x7f, sizeof(fds));
	assert_int_equal(berth_ns_open_paths(spec, fds, &err), -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, "linux.namespaces: /proc/self/ns/net is not a namespace of type pid");
	assert_all_closed(fds);
	assert_int_equal(next_fd(), before);
	berth_spec_free(spec);

	/* A good one opened before the bad one is closed again. */
	spec = parse(DOC_NS("{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}, "
			    "{\"type\": \"uts\", \"path\": \"/proc/self/ns/ipc\"}",
			    ""));
	assert_int_equal(berth_ns_open_paths(spec, fds, &err), -EINVAL);
	assert_string_equal(err.msg, "linux.namespaces: /proc/self/ns/ipc is not a namespace of type uts");
	assert_all_closed(fds);
	assert_int_equal(next_fd(), before);
	berth_spec_free(spec);

	/* Not a namespace at all, and nothing there. */
	spec = parse(DOC_NS("{\"type\": \"mount\"}, {\"type\": \"ipc\", \"path\": \"/proc/self/ns\"}", ""));
	assert_int_equal(berth_ns_open_paths(spec, fds, &err), -EINVAL);
	assert_string_equal(err.msg, "linux.namespaces: /proc/self/ns is not a namespace of type ipc");
	assert_all_closed(fds);
	berth_spec_free(spec);

	spec = parse(DOC_NS("{\"type\": \"mount\"}, {\"type\": \"ipc\", \"path\": \"/proc/self/ns/nonexistent\"}", ""));
	assert_int_equal(berth_ns_open_paths(spec, fds, &err), -ENOENT);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, "/proc/self/ns/nonexistent"));
	assert_memory_equal(err.msg, "linux.namespaces: ", 18);
	assert_all_closed(fds);
	assert_int_equal(next_fd(), before);
	berth_spec_free(spec);
}

static void test_open_accepts_matching(void **state)
{
	struct berth_error err = { 0 };
	struct berth_spec *spec;
	int fds[BERTH_NS_COUNT];
	struct stat want, got;
	int before = next_fd();

	(void) state;
	spec = parse(DOC_NS("{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}, "
			    "{\"type\": \"pid\", \"path\": \"/proc/self/ns/pid_for_children\"}, {\"type\": \"uts\"}",
			    ""));
	memset(fds, 0x7f, sizeof(fds));
	assert_int_equal(berth_ns_open_paths(spec, fds, &err), 0);
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		if (t != BERTH_NS_NETWORK && t != BERTH_NS_PID)
			assert_int_equal(fds[t], -1);
	assert_true(fds[BERTH_NS_NETWORK] >= 0);
	assert_true(fds[BERTH_NS_PID] >= 0);
	assert_true(fcntl(fds[BERTH_NS_NETWORK], F_GETFD) & FD_CLOEXEC);
	assert_int_equal(stat("/proc/self/ns/net", &want), 0);
	assert_int_equal(fstat(fds[BERTH_NS_NETWORK], &got), 0);
	assert_true(want.st_ino == got.st_ino && want.st_dev == got.st_dev);
	berth_ns_close(fds);
	assert_all_closed(fds);
	assert_int_equal(next_fd(), before);
	berth_spec_free(spec);

	/* Nothing to join: nothing opened. */
	spec = parse(DOC_NS("{\"type\": \"mount\"}", ""));
	assert_int_equal(berth_ns_open_paths(spec, fds, &err), 0);
	assert_all_closed(fds);
	berth_spec_free(spec);
}

/* Every type against every /proc/self/ns entry: only its own is accepted.
 * The spec is built by hand so that even "mount" (which config.json may not
 * join) exercises the check. */
static void test_open_every_pair(void **state)
{
	(void) state;
	for (int t = 0; t < BERTH_NS_COUNT; t++) {
		if (!have_ns(t))
			continue;
		for (int u = 0; u < BERTH_NS_COUNT; u++) {
			struct berth_spec spec = { 0 };
			struct berth_error err = { 0 };
			int fds[BERTH_NS_COUNT];
			char path[64];
			int r;

			if (!have_ns(u))
				continue;
			snprintf(path, sizeof(path), "/proc/self/ns/%s", berth_ns_proc_name(u));
			spec.ns[t].enabled = true;
			spec.ns[t].path = path;
			r = berth_ns_open_paths(&spec, fds, &err);
			if (t == u) {
				if (r != 0)
					fail_msg("%s as %s: %s", path, berth_ns_type_name(t), err.msg);
				assert_true(fds[t] >= 0);
				berth_ns_close(fds);
			} else {
				char want[128];
				if (r != -EINVAL)
					fail_msg("%s accepted as a %s namespace", path, berth_ns_type_name(t));
				snprintf(want, sizeof(want), "linux.namespaces: %s is not a namespace of type %s", path,
					 berth_ns_type_name(t));
				assert_string_equal(err.msg, want);
				assert_all_closed(fds);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_tables),
		cmocka_unit_test(test_new_flags),
		cmocka_unit_test(test_open_refuses_wrong_type),
		cmocka_unit_test(test_open_accepts_matching),
		cmocka_unit_test(test_open_every_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
