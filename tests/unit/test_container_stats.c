/* docker stats from a fake cgroupfs: v1 (a directory per controller) and
 * v2 (one unified directory), /proc/stat and /proc/PID/net/dev texts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "container_stats.h"
#include "file.h"

static void put(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static json_int_t at(json_t *doc, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(doc, a), b));
}

static void test_v1(void **state)
{
	(void) state;
	char tmp[] = "/tmp/test-stats-XXXXXX";
	struct berth_stats_cgroup cg = { .version = 1 };
	struct berth_error err = { 0 };
	json_t *doc = NULL;
	assert_non_null(mkdtemp(tmp));
	snprintf(cg.memory, sizeof(cg.memory), "%s", tmp);
	snprintf(cg.cpu, sizeof(cg.cpu), "%s", tmp);
	snprintf(cg.cpuacct, sizeof(cg.cpuacct), "%s", tmp);
	snprintf(cg.pids, sizeof(cg.pids), "%s", tmp);
	snprintf(cg.blkio, sizeof(cg.blkio), "%s", tmp);
	put(tmp, "memory.usage_in_bytes", "30000000\n");
	put(tmp, "memory.max_usage_in_bytes", "31000000\n");
	put(tmp, "memory.limit_in_bytes", "9223372036854771712\n");
	put(tmp, "memory.stat", "cache 4096\nrss 8192\nshmem 1\ntotal_inactive_file 4096\nswap 0\n");
	put(tmp, "cpuacct.usage", "5000\n");
	put(tmp, "cpuacct.usage_percpu", "3000 2000 \n");
	put(tmp, "cpuacct.stat", "user 2\nsystem 3\n");
	put(tmp, "cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 777\n");
	put(tmp, "pids.current", "4\n");
	put(tmp, "pids.max", "max\n");
	put(tmp, "blkio.throttle.io_service_bytes_recursive", "8:0 Read 100\n8:0 Write 200\nTotal 300\n");
	assert_int_equal(berth_stats_cgroup_read(&cg, 1 << 30, &doc, &err), 0);
	json_t *mem = json_object_get(doc, "memory_stats");
	assert_int_equal(at(doc, "memory_stats", "usage"), 30000000);
	assert_int_equal(at(doc, "memory_stats", "max_usage"), 31000000);
	/* no limit: the machine's memory */
	assert_int_equal(at(doc, "memory_stats", "limit"), 1 << 30);
	/* dockerd's keys only */
	assert_int_equal(at(mem, "stats", "rss"), 8192);
	assert_null(json_object_get(json_object_get(mem, "stats"), "shmem"));
	json_t *usage = json_object_get(json_object_get(doc, "cpu_stats"), "cpu_usage");
	assert_int_equal(json_integer_value(json_object_get(usage, "total_usage")), 5000);
	assert_int_equal(json_array_size(json_object_get(usage, "percpu_usage")), 2);
	long tick = sysconf(_SC_CLK_TCK);
	assert_int_equal(json_integer_value(json_object_get(usage, "usage_in_usermode")), 2 * (1000000000 / tick));
	assert_int_equal(at(json_object_get(doc, "cpu_stats"), "throttling_data", "throttled_time"), 777);
	assert_int_equal(at(doc, "pids_stats", "current"), 4);
	assert_null(json_object_get(json_object_get(doc, "pids_stats"), "limit"));
	json_t *bytes = json_object_get(json_object_get(doc, "blkio_stats"), "io_service_bytes_recursive");
	assert_int_equal(json_array_size(bytes), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(bytes, 1), "op")), "Write");
	json_decref(doc);
	berth_remove_tree_at(AT_FDCWD, tmp, &err);
}

static void test_v2(void **state)
{
	(void) state;
	char tmp[] = "/tmp/test-stats-XXXXXX";
	struct berth_stats_cgroup cg = { .version = 2 };
	struct berth_error err = { 0 };
	json_t *doc = NULL;
	assert_non_null(mkdtemp(tmp));
	snprintf(cg.unified, sizeof(cg.unified), "%s", tmp);
	put(tmp, "memory.current", "1000\n");
	put(tmp, "memory.max", "2000\n");
	put(tmp, "memory.stat", "anon 10\nfile 20\ninactive_file 5\nzswap 1\n");
	put(tmp, "cpu.stat", "usage_usec 7\nuser_usec 4\nsystem_usec 3\nnr_periods 1\nnr_throttled 0\nthrottled_usec 2\n");
	put(tmp, "pids.current", "2\n");
	put(tmp, "pids.max", "30\n");
	put(tmp, "io.stat", "8:0 rbytes=11 wbytes=22 rios=1 wios=2 dbytes=0 dios=0\n");
	assert_int_equal(berth_stats_cgroup_read(&cg, 1 << 30, &doc, &err), 0);
	assert_int_equal(at(doc, "memory_stats", "limit"), 2000);
	assert_null(json_object_get(json_object_get(doc, "memory_stats"), "max_usage"));
	assert_int_equal(at(json_object_get(doc, "memory_stats"), "stats", "anon"), 10);
	assert_null(json_object_get(json_object_get(json_object_get(doc, "memory_stats"), "stats"), "zswap"));
	json_t *usage = json_object_get(json_object_get(doc, "cpu_stats"), "cpu_usage");
	assert_int_equal(json_integer_value(json_object_get(usage, "total_usage")), 7000);
	assert_int_equal(at(json_object_get(doc, "cpu_stats"), "throttling_data", "throttled_time"), 2000);
	assert_int_equal(at(doc, "pids_stats", "limit"), 30);
	json_t *bytes = json_object_get(json_object_get(doc, "blkio_stats"), "io_service_bytes_recursive");
	assert_int_equal(json_array_size(bytes), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(bytes, 0), "op")), "read");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(bytes, 1), "value")), 22);
	json_decref(doc);
	berth_remove_tree_at(AT_FDCWD, tmp, &err);
}

static void test_missing_cgroup(void **state)
{
	(void) state;
	struct berth_stats_cgroup cg = { .version = 1 };
	struct berth_error err = { 0 };
	json_t *doc = NULL;
	snprintf(cg.memory, sizeof(cg.memory), "/nonexistent/berth-test");
	assert_int_equal(berth_stats_cgroup_read(&cg, 0, &doc, &err), 0);
	assert_int_equal(json_object_size(json_object_get(doc, "memory_stats")), 0);
	assert_true(json_is_null(json_object_get(doc, "blkio_stats")) || !json_object_get(doc, "blkio_stats"));
	json_decref(doc);
}

static void test_proc_texts(void **state)
{
	(void) state;
	assert_int_equal(berth_stats_system_cpu("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1 1 1 1\n", 100),
			 28ull * 10000000);
	assert_int_equal(berth_stats_system_cpu("garbage", 100), 0);
	const char *dev = "Inter-|   Receive                                                |  Transmit\n"
			  " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop "
			  "fifo colls carrier compressed\n"
			  "    lo:     100       1    0    0    0     0          0         0      100       1    0    0 "
			  "   0     0       0          0\n"
			  "  eth0:    5000      10    1    2    0     0          0         0     7000      20    3    4 "
			  "   0     0       0          0\n";
	json_t *nets = berth_stats_net_dev(dev);
	assert_non_null(nets);
	assert_null(json_object_get(nets, "lo"));
	assert_int_equal(at(nets, "eth0", "rx_bytes"), 5000);
	assert_int_equal(at(nets, "eth0", "tx_dropped"), 4);
	json_decref(nets);
	/* only lo: no networks, as dockerd for --network none */
	assert_null(berth_stats_net_dev("    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_missing_cgroup),
		cmocka_unit_test(test_proc_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
