/* The cgroup v2 driver against a fake cgroupfs: a temporary tree of plain
 * files (and FIFOs) with the names the kernel uses.  Resources come from
 * JSON through berth_resources_parse, as they do from config.json.
 *
 * The driver opens each file O_WRONLY without O_TRUNC, as cgroupfs wants:
 * in a regular file every write lands at offset 0.  So every test has a
 * fresh tree, and a file written more than once in one call (io.max,
 * io.weight, cgroup.subtree_control) is a FIFO whose reader collects the
 * writes one after the other. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"
#include "resources.h"

struct tree {
	char root[64];		/* the fake cgroup2 mount */
	char mid[PATH_MAX];	/* root/a */
	char leaf[PATH_MAX];	/* root/a/b: the container's cgroup */
	json_t *json;		/* what the resources borrow from */
	struct berth_resources res;
	bool parsed;
};

/* The files the driver writes or reads, made empty in the leaf. */
static const char *const leaf_files[] = {
	"memory.max",	 "memory.low",	    "memory.swap.max", "memory.high",	"cpu.weight",	  "cpu.max",
	"cpu.max.burst", "cpu.idle",	    "cpuset.cpus",     "cpuset.mems",	"pids.max",	  "io.weight",
	"io.max",	 "hugetlb.2MB.max", "cgroup.controllers", "cgroup.subtree_control", "cgroup.freeze",
	"cgroup.events", "memory.current",  "cgroup.max.depth",
};

static void put_at(const char *dir, const char *name, const char *content)
{
	char path[PATH_MAX * 2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
	close(fd);
}

/* The whole content of dir/name (a static buffer). */
static const char *get_at(const char *dir, const char *name)
{
	static char buf[8192];
	char path[PATH_MAX * 2];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* Replace dir/name with a FIFO, open for reading; returns the read end. */
static int fifo_at(const char *dir, const char *name)
{
	char path[PATH_MAX * 2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if (mkfifo(path, 0644) < 0)
		fail_msg("mkfifo %s: %s", path, strerror(errno));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* Everything written into a FIFO so far (a static buffer); closes it. */
static const char *drain(int fd)
{
	static char buf[8192];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t) n;
	buf[len] = '\0';
	close(fd);
	return buf;
}

#define put(t, name, content) put_at((t)->leaf, name, content)
#define get(t, name) get_at((t)->leaf, name)

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->root, sizeof(t->root), "/tmp/berth-cgv2-XXXXXX");
	if (mkdtemp(t->root) == NULL)
		return -1;
	snprintf(t->mid, sizeof(t->mid), "%s/a", t->root);
	snprintf(t->leaf, sizeof(t->leaf), "%s/a/b", t->root);
	if (mkdir(t->mid, 0755) < 0 || mkdir(t->leaf, 0755) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(leaf_files) / sizeof(leaf_files[0]); i++)
		put_at(t->leaf, leaf_files[i], "");
	/* What the kernel shows in a new cgroup. */
	put_at(t->leaf, "cpu.max", "max 100000");
	put_at(t->leaf, "cgroup.controllers", "cpuset cpu io memory hugetlb pids");
	put_at(t->root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc");
	put_at(t->root, "cgroup.subtree_control", "");
	put_at(t->mid, "cgroup.subtree_control", "");
	*state = t;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st, (void) flag, (void) ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct tree *t = *state;

	if (t->parsed)
		berth_resources_release(&t->res);
	json_decref(t->json);
	nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* t->res from a LinuxResources JSON text (the JSON is kept: strings are borrowed). */
static struct berth_resources *parse(struct tree *t, const char *text)
{
	struct berth_error err = { 0 };
	json_error_t jerr;

	if (t->parsed)
		berth_resources_release(&t->res);
	json_decref(t->json);
	t->json = json_loads(text, 0, &jerr);
	if (t->json == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	if (berth_resources_parse(t->json, "linux.resources", &t->res, &err) < 0)
		fail_msg("berth_resources_parse %s: %s", text, err.msg);
	t->parsed = true;
	return &t->res;
}

/* Apply must succeed. */
static void apply_ok(struct tree *t, const char *text, bool update)
{
	struct berth_error err = { 0 };
	int r = berth_cgroup_v2_apply(t->leaf, parse(t, text), update, &err);

	if (r != 0)
		fail_msg("apply %s: %d %s", text, r, err.msg);
}

/* Apply must fail with code, the message containing text. */
static void apply_fails(struct tree *t, const char *json, bool update, int code, const char *text)
{
	struct berth_error err = { 0 };
	int r = berth_cgroup_v2_apply(t->leaf, parse(t, json), update, &err);

	if (r != -code || err.code != code)
		fail_msg("apply %s: expected -%d, got %d (%s)", json, code, r, err.msg);
	if (strstr(err.msg, text) == NULL)
		fail_msg("apply %s: \"%s\" does not mention \"%s\"", json, err.msg, text);
}

static void test_memory(void **state)
{
	struct tree *t = *state;

	/* OCI swap is memory+swap; memory.swap.max is the swap alone. */
	apply_ok(t, "{\"memory\": {\"limit\": 104857600, \"reservation\": 52428800, \"swap\": 314572800}}", false);
	assert_string_equal(get(t, "memory.max"), "104857600");
	assert_string_equal(get(t, "memory.low"), "52428800");
	assert_string_equal(get(t, "memory.swap.max"), "209715200");
}

static void test_memory_unlimited(void **state)
{
	struct tree *t = *state;

	apply_ok(t, "{\"memory\": {\"limit\": -1, \"reservation\": -1, \"swap\": -1}}", false);
	assert_string_equal(get(t, "memory.max"), "max");
	assert_string_equal(get(t, "memory.low"), "max");
	assert_string_equal(get(t, "memory.swap.max"), "max");
}

static void test_memory_swap_equal_to_limit(void **state)
{
	struct tree *t = *state;

	/* No swap at all: memory+swap equal to memory. */
	apply_ok(t, "{\"memory\": {\"limit\": 16777216, \"swap\": 16777216}}", false);
	assert_string_equal(get(t, "memory.max"), "16777216");
	assert_string_equal(get(t, "memory.swap.max"), "0");
}

static void test_memory_swap_below_limit(void **state)
{
	struct tree *t = *state;

	apply_fails(t, "{\"memory\": {\"limit\": 104857600, \"swap\": 52428800}}", false, EINVAL,
		    "linux.resources.memory.swap");
}

static void test_zero_means_unset(void **state)
{
	struct tree *t = *state;

	apply_ok(t, "{\"memory\": {\"limit\": 0, \"swap\": 0}, \"cpu\": {\"shares\": 0, \"quota\": 0, \"period\": 0}, "
		    "\"pids\": {\"limit\": 0}, \"blockIO\": {\"weight\": 0}}",
		 false);
	assert_string_equal(get(t, "memory.max"), "");
	assert_string_equal(get(t, "memory.swap.max"), "");
	assert_string_equal(get(t, "cpu.weight"), "");
	assert_string_equal(get(t, "cpu.max"), "max 100000");
	assert_string_equal(get(t, "pids.max"), "");
	assert_string_equal(get(t, "io.weight"), "");
}

static void test_cpu_weight(void **state)
{
	static const struct {
		const char *json, *weight;
	} cases[] = {
		/* 1 + (shares - 2) * 9999 / 262142, shares clamped to 2..262144 */
		{ "{\"cpu\": {\"shares\": 1024}}", "39" },
		{ "{\"cpu\": {\"shares\": 2}}", "1" },
		{ "{\"cpu\": {\"shares\": 1}}", "1" },
		{ "{\"cpu\": {\"shares\": 262144}}", "10000" },
		{ "{\"cpu\": {\"shares\": 1000000}}", "10000" },
		{ "{\"cpu\": {\"shares\": 100000}}", "3815" },
	};
	struct tree *t = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(t, "cpu.weight", "");
		apply_ok(t, cases[i].json, false);
		if (strcmp(get(t, "cpu.weight"), cases[i].weight) != 0)
			fail_msg("%s: cpu.weight \"%s\", expected \"%s\"", cases[i].json, get(t, "cpu.weight"),
				 cases[i].weight);
	}
}

static void test_cpu_max(void **state)
{
	struct tree *t = *state;

	apply_ok(t, "{\"cpu\": {\"quota\": 50000, \"period\": 100000}}", false);
	assert_string_equal(get(t, "cpu.max"), "50000 100000");

	/* No quota: "max", with the period in force. */
	put(t, "cpu.max", "max 100000");
	apply_ok(t, "{\"cpu\": {\"quota\": -1}}", false);
	assert_string_equal(get(t, "cpu.max"), "max 100000");

	/* A period alone keeps the quota in force. */
	put(t, "cpu.max", "50000 100000");
	apply_ok(t, "{\"cpu\": {\"period\": 250000}}", false);
	assert_string_equal(get(t, "cpu.max"), "50000 250000");

	/* A quota alone keeps the period in force. */
	put(t, "cpu.max", "max 200000");
	apply_ok(t, "{\"cpu\": {\"quota\": 30000}}", false);
	assert_string_equal(get(t, "cpu.max"), "30000 200000");
}

static void test_cpu_burst_idle_cpuset(void **state)
{
	struct tree *t = *state;

	apply_ok(t, "{\"cpu\": {\"quota\": 50000, \"burst\": 10000, \"idle\": 1, \"cpus\": \"0-1\", \"mems\": \"0\"}}",
		 false);
	assert_string_equal(get(t, "cpu.max"), "50000 100000");
	assert_string_equal(get(t, "cpu.max.burst"), "10000");
	assert_string_equal(get(t, "cpu.idle"), "1");
	assert_string_equal(get(t, "cpuset.cpus"), "0-1");
	assert_string_equal(get(t, "cpuset.mems"), "0");
}

static void test_io(void **state)
{
	struct tree *t = *state;
	int weight = fifo_at(t->leaf, "io.weight"), max = fifo_at(t->leaf, "io.max");

	/* 1 + (w - 10) * 9999 / 990: 500 -> 4950, 100 -> 910. */
	apply_ok(t,
		 "{\"blockIO\": {\"weight\": 500,"
		 " \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 100}],"
		 " \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}],"
		 " \"throttleWriteBpsDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 2097152}],"
		 " \"throttleReadIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 100}],"
		 " \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 200}]}}",
		 false);
	/* One write each, in this order. */
	assert_string_equal(drain(weight), "default 4950" "8:0 910");
	assert_string_equal(drain(max), "8:0 rbps=1048576" "8:16 wbps=2097152" "8:0 riops=100" "8:0 wiops=200");
}

static void test_io_weight_range(void **state)
{
	static const struct {
		const char *json, *weight;
	} cases[] = {
		{ "{\"blockIO\": {\"weight\": 10}}", "default 1" },
		{ "{\"blockIO\": {\"weight\": 1000}}", "default 10000" },
		{ "{\"blockIO\": {\"weight\": 5}}", "default 1" },
		{ "{\"blockIO\": {\"weight\": 5000}}", "default 10000" },
	};
	struct tree *t = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(t, "io.weight", "");
		apply_ok(t, cases[i].json, false);
		if (strcmp(get(t, "io.weight"), cases[i].weight) != 0)
			fail_msg("%s: io.weight \"%s\", expected \"%s\"", cases[i].json, get(t, "io.weight"),
				 cases[i].weight);
	}
}

static void test_io_bfq(void **state)
{
	struct tree *t = *state;

	/* BFQ takes v1's 10..1000 as it is. */
	put(t, "io.bfq.weight", "");
	apply_ok(t, "{\"blockIO\": {\"weight\": 500}}", false);
	assert_string_equal(get(t, "io.bfq.weight"), "500");
	assert_string_equal(get(t, "io.weight"), "");
}

static void test_pids_and_hugetlb(void **state)
{
	struct tree *t = *state;

	apply_ok(t, "{\"pids\": {\"limit\": 100}, \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}",
		 false);
	assert_string_equal(get(t, "pids.max"), "100");
	assert_string_equal(get(t, "hugetlb.2MB.max"), "4194304");

	put(t, "pids.max", "");
	put(t, "hugetlb.2MB.max", "");
	put(t, "hugetlb.2MB.rsvd.max", "");
	apply_ok(t, "{\"pids\": {\"limit\": -1}, \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 2097152}]}",
		 false);
	assert_string_equal(get(t, "pids.max"), "max");
	assert_string_equal(get(t, "hugetlb.2MB.max"), "2097152");
	assert_string_equal(get(t, "hugetlb.2MB.rsvd.max"), "2097152");
}

static void test_refused(void **state)
{
	struct tree *t = *state;

	apply_fails(t, "{\"cpu\": {\"realtimeRuntime\": 950000}}", false, ENOTSUP, "realtime");
	apply_fails(t, "{\"cpu\": {\"realtimePeriod\": 1000000}}", false, ENOTSUP, "realtime");
	apply_fails(t, "{\"network\": {\"classID\": 1048577}}", false, ENOTSUP, "linux.resources.network");
	/* Refused before anything is written. */
	apply_fails(t, "{\"memory\": {\"limit\": 1048576}, \"network\": {\"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]}}",
		    false, ENOTSUP, "net_prio");
	assert_string_equal(get(t, "memory.max"), "");
}

static void test_unified(void **state)
{
	struct tree *t = *state;

	apply_ok(t, "{\"unified\": {\"memory.high\": \"1000000\", \"pids.max\": \"7\", \"cgroup.max.depth\": \"3\"}}",
		 false);
	assert_string_equal(get(t, "memory.high"), "1000000");
	assert_string_equal(get(t, "pids.max"), "7");
	assert_string_equal(get(t, "cgroup.max.depth"), "3");
}

static void test_unified_missing_controller(void **state)
{
	struct tree *t = *state;

	/* The leaf offers no rdma. */
	put(t, "rdma.max", "");
	apply_fails(t, "{\"unified\": {\"rdma.max\": \"mlx4_0 hca_handle=2\"}}", false, ENOTSUP,
		    "linux.resources.unified.rdma.max");
	assert_string_equal(get(t, "rdma.max"), "");
	/* A file that does not exist is an error too. */
	apply_fails(t, "{\"unified\": {\"memory.nosuch\": \"1\"}}", false, ENOENT, "memory.nosuch");
}

static void test_check_before_update(void **state)
{
	struct tree *t = *state;
	const char *below = "{\"memory\": {\"limit\": 10000000, \"checkBeforeUpdate\": true}}";

	put(t, "memory.current", "50000000\n");
	/* An update below the usage is refused, and nothing is written. */
	apply_fails(t, below, true, EBUSY, "checkBeforeUpdate");
	assert_string_equal(get(t, "memory.max"), "");
	/* At create, there is nothing to check. */
	apply_ok(t, below, false);
	assert_string_equal(get(t, "memory.max"), "10000000");
	/* Without checkBeforeUpdate the update goes through. */
	put(t, "memory.max", "");
	apply_ok(t, "{\"memory\": {\"limit\": 10000000}}", true);
	assert_string_equal(get(t, "memory.max"), "10000000");
	/* Above the usage it goes through. */
	put(t, "memory.max", "");
	apply_ok(t, "{\"memory\": {\"limit\": 60000000, \"checkBeforeUpdate\": true}}", true);
	assert_string_equal(get(t, "memory.max"), "60000000");
}

static void test_enable_controllers(void **state)
{
	struct tree *t = *state;
	struct berth_error err = { 0 };
	int top = fifo_at(t->root, "cgroup.subtree_control"), mid = fifo_at(t->mid, "cgroup.subtree_control");
	int r;

	parse(t, "{\"memory\": {\"limit\": 1048576}, \"cpu\": {\"shares\": 512}, \"pids\": {\"limit\": 10}, "
		 "\"unified\": {\"hugetlb.2MB.max\": \"0\"}}");
	r = berth_cgroup_v2_enable_controllers(t->root, t->leaf, &t->res, &err);
	if (r != 0)
		fail_msg("enable: %s", err.msg);
	/* From the root down to the leaf's parent, not in the leaf. */
	assert_string_equal(drain(top), "+memory" "+cpu" "+pids" "+hugetlb");
	assert_string_equal(drain(mid), "+memory" "+cpu" "+pids" "+hugetlb");
	assert_string_equal(get(t, "cgroup.subtree_control"), "");
}

static void test_enable_controllers_cpuset_io(void **state)
{
	struct tree *t = *state;
	struct berth_error err = { 0 };
	int top = fifo_at(t->root, "cgroup.subtree_control"), mid = fifo_at(t->mid, "cgroup.subtree_control");

	parse(t, "{\"cpu\": {\"cpus\": \"0\"}, \"blockIO\": {\"weight\": 100}}");
	assert_int_equal(berth_cgroup_v2_enable_controllers(t->root, t->leaf, &t->res, &err), 0);
	assert_string_equal(drain(top), "+cpuset" "+io");
	assert_string_equal(drain(mid), "+cpuset" "+io");
}

static void test_enable_controllers_missing(void **state)
{
	struct tree *t = *state;
	struct berth_error err = { 0 };
	char want[PATH_MAX];
	int r;

	put_at(t->root, "cgroup.controllers", "cpu pids\n");
	parse(t, "{\"pids\": {\"limit\": 10}, \"memory\": {\"limit\": 1048576}}");
	r = berth_cgroup_v2_enable_controllers(t->root, t->leaf, &t->res, &err);
	assert_int_equal(r, -ENOTSUP);
	snprintf(want, sizeof(want), "linux.resources: the memory controller is not available in %s", t->root);
	assert_string_equal(err.msg, want);
	/* Refused before any controller was enabled. */
	assert_string_equal(get_at(t->root, "cgroup.subtree_control"), "");
	assert_string_equal(get_at(t->mid, "cgroup.subtree_control"), "");
}

static void test_enable_controllers_none_needed(void **state)
{
	struct tree *t = *state;
	struct berth_error err = { 0 };

	char path[PATH_MAX];

	/* Devices need no controller: nothing is read (the root's
	 * cgroup.controllers is gone) and nothing is written. */
	snprintf(path, sizeof(path), "%s/cgroup.controllers", t->root);
	assert_int_equal(unlink(path), 0);
	parse(t, "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}");
	assert_int_equal(berth_cgroup_v2_enable_controllers(t->root, t->leaf, &t->res, &err), 0);
	assert_string_equal(get_at(t->root, "cgroup.subtree_control"), "");
}

static void test_stats(void **state)
{
	struct tree *t = *state;
	json_t *data = json_object();

	put(t, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 3\nnr_throttled 1\n"
			   "throttled_usec 20\n");
	put(t, "memory.current", "4096\n");
	put(t, "memory.max", "max\n");
	put(t, "memory.stat", "anon 1\nfile 2048\nkernel 7\n");
	put(t, "pids.current", "3\n");
	put(t, "pids.max", "10\n");
	assert_int_equal(berth_cgroup_v2_stats(t->leaf, data), 0);
	/* usec -> ns */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(data, "cpu"), "usage"), "total")),
			 1500000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(data, "cpu"), "usage"), "user")),
			 1000000);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(json_object_get(data, "cpu"), "usage"), "kernel")), 500000);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(json_object_get(data, "cpu"), "throttling"), "periods")), 3);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(data, "cpu"), "throttling"), "throttledPeriods")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(data, "cpu"), "throttling"), "throttledTime")),
			 20000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "memory"), "cache")), 2048);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(json_object_get(data, "memory"), "usage"), "usage")), 4096);
	/* "max" is no limit: 0. */
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(json_object_get(data, "memory"), "usage"), "limit")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "pids"), "current")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "pids"), "limit")), 10);
	json_decref(data);

	/* A limit that is a number is reported as such. */
	data = json_object();
	put(t, "memory.max", "16777216\n");
	put(t, "pids.max", "max\n");
	assert_int_equal(berth_cgroup_v2_stats(t->leaf, data), 0);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(json_object_get(data, "memory"), "usage"), "limit")),
		16777216);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "pids"), "limit")), 0);
	json_decref(data);
}

static void test_freeze(void **state)
{
	struct tree *t = *state;
	struct berth_error err = { 0 };
	struct timespec a, b;

	put(t, "cgroup.events", "populated 1\nfrozen 1\n");
	assert_int_equal(berth_cgroup_v2_freeze(t->leaf, true, &err), 0);
	assert_string_equal(get(t, "cgroup.freeze"), "1");

	/* cgroup.events never says thawed: the driver gives up (after ~2 s). */
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(berth_cgroup_v2_freeze(t->leaf, false, &err), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec >= 1);
	assert_non_null(strstr(err.msg, "cgroup.events"));

	put(t, "cgroup.events", "populated 1\nfrozen 0\n");
	assert_int_equal(berth_cgroup_v2_freeze(t->leaf, false, &err), 0);
	assert_string_equal(get(t, "cgroup.freeze"), "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_unlimited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_swap_equal_to_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_swap_below_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_means_unset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_weight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_burst_idle_cpuset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_weight_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_bfq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pids_and_hugetlb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unified_missing_controller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_before_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_controllers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_controllers_cpuset_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_controllers_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_controllers_none_needed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freeze, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
