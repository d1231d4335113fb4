#include "container_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "mountinfo.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* cgroup files are small; memory.stat and cpuacct.usage_percpu of a big
 * host are the largest. */
#define CG_FILE_MAX (256u * 1024)
#define NS_PER_USEC 1000u

/* ---- where ---- */

struct resolve_ctx {
	const char *cgpath;
	struct berth_stats_cgroup *cg;
};

/* Whether the comma-separated superblock options name controller. */
static bool has_controller(const char *superopts, const char *controller)
{
	size_t n = strlen(controller);
	for (const char *p = superopts; *p;) {
		const char *end = strchrnul(p, ',');
		if ((size_t) (end - p) == n && strncmp(p, controller, n) == 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static int resolve_mount(const struct berth_mountinfo_entry *e, void *data)
{
	struct resolve_ctx *c = data;
	struct {
		const char *name;
		char *dir;
	} want[] = { { "memory", c->cg->memory }, { "cpu", c->cg->cpu },     { "cpuacct", c->cg->cpuacct },
		     { "pids", c->cg->pids },	  { "blkio", c->cg->blkio } };
	if (strcmp(e->fstype, "cgroup") != 0)
		return 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!want[i].dir[0] && has_controller(e->superopts, want[i].name))
			snprintf(want[i].dir, PATH_MAX, "%s%s", e->mountpoint, c->cgpath);
	return 0;
}

int berth_stats_cgroup_resolve(const char *cgroups_path, struct berth_stats_cgroup *cg, struct berth_error *err)
{
	const char *forced = getenv("BERTH_CGROUP_V2_ROOT");
	struct statfs sfs;
	memset(cg, 0, sizeof(*cg));
	if (cgroups_path[0] != '/' || strstr(cgroups_path, ".."))
		return berth_error_set(err, EINVAL, "cgroup path \"%s\": want an absolute path", cgroups_path);
	if ((forced && forced[0]) ||
	    (statfs("/sys/fs/cgroup", &sfs) == 0 && (unsigned long) sfs.f_type == CGROUP2_SUPER_MAGIC)) {
		cg->version = 2;
		snprintf(cg->unified, sizeof(cg->unified), "%s%s", forced && forced[0] ? forced : "/sys/fs/cgroup",
			 cgroups_path);
		return 0;
	}
	cg->version = 1;
	struct resolve_ctx c = { cgroups_path, cg };
	return berth_mountinfo_foreach(resolve_mount, &c, err);
}

/* ---- reading ---- */

static char *read_text(const char *dir, const char *file)
{
	char *text = NULL;
	struct berth_error ignored = { 0 };
	if (!dir[0])
		return NULL;
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || berth_read_file_at(fd, file, CG_FILE_MAX, &text, NULL, &ignored) < 0)
		return NULL;
	return text;
}

/* A file holding one number; "max" is UINT64_MAX.  false when absent. */
static bool read_u64(const char *dir, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *text = read_text(dir, file);
	char *end;
	if (!text)
		return false;
	if (strncmp(text, "max", 3) == 0) {
		*ret = UINT64_MAX;
		return true;
	}
	errno = 0;
	*ret = strtoull(text, &end, 10);
	return errno == 0 && end != text;
}

/* The value of "key value" in a flat-keyed file's text; false when absent. */
static bool keyed(const char *text, const char *key, uint64_t *ret)
{
	size_t n = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ' ') {
			*ret = strtoull(p + n + 1, NULL, 10);
			return true;
		}
	return false;
}

/* Every "key value" line of text whose key is in keys (NULL: any) into obj. */
static void keyed_into(json_t *obj, const char *text, const char *const *keys)
{
	for (const char *p = text; p && *p;) {
		const char *sp = strchr(p, ' '), *nl = strchrnul(p, '\n');
		if (sp && sp < nl && sp - p < 64) {
			char key[64];
			snprintf(key, sizeof(key), "%.*s", (int) (sp - p), p);
			bool wanted = keys == NULL;
			for (size_t i = 0; keys && keys[i] && !wanted; i++)
				wanted = strcmp(keys[i], key) == 0;
			if (wanted)
				json_object_set_new(obj, key, json_integer((json_int_t) strtoull(sp + 1, NULL, 10)));
		}
		p = *nl ? nl + 1 : nl;
	}
}

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t) v);
}

/* ---- pids ---- */

static json_t *pids_stats(const char *dir)
{
	json_t *o = json_object();
	uint64_t v;
	if (read_u64(dir, "pids.current", &v))
		json_object_set_new(o, "current", u64(v));
	if (read_u64(dir, "pids.max", &v) && v != UINT64_MAX && v > 0)
		json_object_set_new(o, "limit", u64(v));
	return o;
}

/* ---- blkio ---- */

/* v1 blkio lines "MAJ:MIN Op N" (or "MAJ:MIN N"); "Total N" is skipped. */
static json_t *blkio_v1_entries(const char *dir, const char *file, const char *fallback)
{
	_cleanup_free_ char *text = read_text(dir, file);
	json_t *a = json_array();
	if ((!text || !text[0]) && fallback) {
		free(text);
		text = read_text(dir, fallback);
	}
	for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		char op[32] = "";
		unsigned long long value;
		if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &value) == 4)
			json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:I}", "major", (json_int_t) maj, "minor",
							   (json_int_t) min, "op", op, "value", (json_int_t) value));
		else if (sscanf(line, "%u:%u %llu", &maj, &min, &value) == 3)
			json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:I}", "major", (json_int_t) maj, "minor",
							   (json_int_t) min, "op", "", "value", (json_int_t) value));
	}
	return a;
}

static json_t *blkio_v1(const char *dir)
{
	if (!dir[0])
		return NULL;
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "io_service_bytes_recursive",
			 blkio_v1_entries(dir, "blkio.io_service_bytes_recursive",
					  "blkio.throttle.io_service_bytes_recursive"),
			 "io_serviced_recursive",
			 blkio_v1_entries(dir, "blkio.io_serviced_recursive", "blkio.throttle.io_serviced_recursive"),
			 "io_queue_recursive", blkio_v1_entries(dir, "blkio.io_queued_recursive", NULL),
			 "io_service_time_recursive", blkio_v1_entries(dir, "blkio.io_service_time_recursive", NULL),
			 "io_wait_time_recursive", blkio_v1_entries(dir, "blkio.io_wait_time_recursive", NULL),
			 "io_merged_recursive", blkio_v1_entries(dir, "blkio.io_merged_recursive", NULL),
			 "io_time_recursive", blkio_v1_entries(dir, "blkio.time_recursive", NULL), "sectors_recursive",
			 blkio_v1_entries(dir, "blkio.sectors_recursive", NULL));
}

/* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
static json_t *blkio_v2(const char *dir)
{
	_cleanup_free_ char *text = read_text(dir, "io.stat");
	json_t *bytes = json_array(), *ios = json_array();
	for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		int at = 0;
		if (sscanf(line, "%u:%u %n", &maj, &min, &at) != 2 || at == 0)
			continue;
		for (char *f = line + at, *fs = NULL, *tok = strtok_r(f, " ", &fs); tok; tok = strtok_r(NULL, " ", &fs)) {
			char *eq = strchr(tok, '=');
			if (!eq)
				continue;
			*eq = '\0';
			json_t *into = strcmp(tok, "rbytes") == 0 || strcmp(tok, "wbytes") == 0 ? bytes
				       : strcmp(tok, "rios") == 0 || strcmp(tok, "wios") == 0	 ? ios
												 : NULL;
			if (into)
				json_array_append_new(into, json_pack("{s:I, s:I, s:s, s:I}", "major", (json_int_t) maj,
								      "minor", (json_int_t) min, "op",
								      tok[0] == 'r' ? "read" : "write", "value",
								      (json_int_t) strtoull(eq + 1, NULL, 10)));
		}
	}
	return json_pack("{s:o, s:o, s:n, s:n, s:n, s:n, s:n, s:n}", "io_service_bytes_recursive", bytes,
			 "io_serviced_recursive", ios, "io_queue_recursive", "io_service_time_recursive",
			 "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive", "sectors_recursive");
}

/* ---- cpu ---- */

static json_t *throttling(uint64_t periods, uint64_t throttled, uint64_t time_ns)
{
	return json_pack("{s:o, s:o, s:o}", "periods", u64(periods), "throttled_periods", u64(throttled),
			 "throttled_time", u64(time_ns));
}

static json_t *cpu_v1(const struct berth_stats_cgroup *cg)
{
	uint64_t total = 0, user = 0, sys = 0, periods = 0, throttled = 0, ttime = 0;
	long tick = sysconf(_SC_CLK_TCK);
	_cleanup_free_ char *percpu = read_text(cg->cpuacct, "cpuacct.usage_percpu");
	_cleanup_free_ char *stat = read_text(cg->cpuacct, "cpuacct.stat");
	_cleanup_free_ char *cpustat = read_text(cg->cpu, "cpu.stat");
	read_u64(cg->cpuacct, "cpuacct.usage", &total);
	if (stat && keyed(stat, "user", &user) && keyed(stat, "system", &sys) && tick > 0) {
		user = user * (1000000000u / (uint64_t) tick);
		sys = sys * (1000000000u / (uint64_t) tick);
	}
	if (cpustat) {
		keyed(cpustat, "nr_periods", &periods);
		keyed(cpustat, "nr_throttled", &throttled);
		keyed(cpustat, "throttled_time", &ttime);
	}
	json_t *usage = json_pack("{s:o}", "total_usage", u64(total));
	if (percpu) {
		json_t *a = json_array();
		for (char *p = percpu, *end; *p; p = end) {
			uint64_t v = strtoull(p, &end, 10);
			if (end == p)
				break;
			json_array_append_new(a, u64(v));
		}
		json_object_set_new(usage, "percpu_usage", a);
	}
	json_object_set_new(usage, "usage_in_kernelmode", u64(sys));
	json_object_set_new(usage, "usage_in_usermode", u64(user));
	return json_pack("{s:o, s:o}", "cpu_usage", usage, "throttling_data", throttling(periods, throttled, ttime));
}

static json_t *cpu_v2(const char *dir)
{
	uint64_t total = 0, user = 0, sys = 0, periods = 0, throttled = 0, ttime = 0;
	_cleanup_free_ char *stat = read_text(dir, "cpu.stat");
	if (stat) {
		keyed(stat, "usage_usec", &total);
		keyed(stat, "user_usec", &user);
		keyed(stat, "system_usec", &sys);
		keyed(stat, "nr_periods", &periods);
		keyed(stat, "nr_throttled", &throttled);
		keyed(stat, "throttled_usec", &ttime);
	}
	json_t *usage = json_pack("{s:o, s:o, s:o}", "total_usage", u64(total * NS_PER_USEC), "usage_in_kernelmode",
				  u64(sys * NS_PER_USEC), "usage_in_usermode", u64(user * NS_PER_USEC));
	return json_pack("{s:o, s:o}", "cpu_usage", usage, "throttling_data",
			 throttling(periods, throttled, ttime * NS_PER_USEC));
}

/* ---- memory ---- */

/* The memory.stat keys dockerd reports on v1 (and their total_ forms). */
static const char *const v1_keys[] = { "cache", "rss", "rss_huge", "mapped_file", "dirty", "writeback", "pgpgin",
				       "pgpgout", "pgfault", "pgmajfault", "inactive_anon", "active_anon",
				       "inactive_file", "active_file", "unevictable", "hierarchical_memory_limit",
				       "hierarchical_memsw_limit", "total_cache", "total_rss", "total_rss_huge",
				       "total_mapped_file", "total_dirty", "total_writeback", "total_pgpgin",
				       "total_pgpgout", "total_pgfault", "total_pgmajfault", "total_inactive_anon",
				       "total_active_anon", "total_inactive_file", "total_active_file",
				       "total_unevictable", NULL };

/* ...and on v2. */
static const char *const v2_keys[] = { "anon", "file", "kernel_stack", "slab", "sock", "shmem", "file_mapped",
				       "file_dirty", "file_writeback", "anon_thp", "inactive_anon", "active_anon",
				       "inactive_file", "active_file", "unevictable", "slab_reclaimable",
				       "slab_unreclaimable", "pgfault", "pgmajfault", "workingset_refault",
				       "workingset_activate", "workingset_nodereclaim", "pgrefill", "pgscan", "pgsteal",
				       "pgactivate", "pgdeactivate", "pglazyfree", "pglazyfreed", "thp_fault_alloc",
				       "thp_collapse_alloc", NULL };

static json_t *memory_stats(const char *dir, int version, uint64_t host_memory)
{
	uint64_t usage = 0, max_usage = 0, limit = UINT64_MAX;
	_cleanup_free_ char *stat = read_text(dir, "memory.stat");
	if (!stat)
		return json_object();
	json_t *o = json_object(), *stats = json_object();
	keyed_into(stats, stat, version == 1 ? v1_keys : v2_keys);
	if (version == 1) {
		read_u64(dir, "memory.usage_in_bytes", &usage);
		if (read_u64(dir, "memory.max_usage_in_bytes", &max_usage))
			json_object_set_new(o, "max_usage", u64(max_usage));
		read_u64(dir, "memory.limit_in_bytes", &limit);
	} else {
		read_u64(dir, "memory.current", &usage);
		read_u64(dir, "memory.max", &limit);
	}
	json_object_set_new(o, "usage", u64(usage));
	json_object_set_new(o, "stats", stats);
	/* no limit (v1 shows a page-rounded LONG_MAX): the machine's memory */
	if (host_memory > 0 && limit > host_memory)
		limit = host_memory;
	json_object_set_new(o, "limit", u64(limit));
	return o;
}

int berth_stats_cgroup_read(const struct berth_stats_cgroup *cg, uint64_t host_memory, json_t **ret,
			    struct berth_error *err)
{
	json_t *doc;
	if (cg->version == 1)
		doc = json_pack("{s:o, s:o*, s:o, s:o}", "pids_stats", pids_stats(cg->pids), "blkio_stats",
				blkio_v1(cg->blkio), "cpu_stats", cpu_v1(cg), "memory_stats",
				memory_stats(cg->memory, 1, host_memory));
	else
		doc = json_pack("{s:o, s:o, s:o, s:o}", "pids_stats", pids_stats(cg->unified), "blkio_stats",
				blkio_v2(cg->unified), "cpu_stats", cpu_v2(cg->unified), "memory_stats",
				memory_stats(cg->unified, 2, host_memory));
	if (!doc)
		return berth_error_sys(err, ENOMEM, "container statistics");
	*ret = doc;
	return 0;
}

/* ---- the host and the network ---- */

uint64_t berth_stats_system_cpu(const char *proc_stat, long clock_ticks)
{
	unsigned long long f[7] = { 0 };
	if (clock_ticks <= 0 || strncmp(proc_stat, "cpu ", 4) != 0 ||
	    sscanf(proc_stat + 4, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5],
		   &f[6]) != 7)
		return 0;
	uint64_t ticks = 0;
	for (int i = 0; i < 7; i++)
		ticks += f[i];
	return ticks * (1000000000u / (uint64_t) clock_ticks);
}

/* "  eth0: rx_bytes rx_packets rx_errs rx_drop fifo frame compressed
 *  multicast tx_bytes tx_packets tx_errs tx_drop ..." */
json_t *berth_stats_net_dev(const char *text)
{
	json_t *nets = json_object();
	for (const char *p = text; p && *p;) {
		const char *nl = strchrnul(p, '\n'), *colon = memchr(p, ':', (size_t) (nl - p));
		unsigned long long v[12];
		char name[64];
		const char *s = p;
		while (s < nl && *s == ' ')
			s++;
		if (colon && colon > s && colon - s < (long) sizeof(name) &&
		    sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]) == 12) {
			snprintf(name, sizeof(name), "%.*s", (int) (colon - s), s);
			if (strcmp(name, "lo") != 0)
				json_object_set_new(
					nets, name,
					json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_bytes",
						  (json_int_t) v[0], "rx_packets", (json_int_t) v[1], "rx_errors",
						  (json_int_t) v[2], "rx_dropped", (json_int_t) v[3], "tx_bytes",
						  (json_int_t) v[8], "tx_packets", (json_int_t) v[9], "tx_errors",
						  (json_int_t) v[10], "tx_dropped", (json_int_t) v[11]));
		}
		p = *nl ? nl + 1 : nl;
	}
	if (json_object_size(nets) == 0) {
		json_decref(nets);
		return NULL;
	}
	return nets;
}

static json_t *zero_cpu(void)
{
	return json_pack("{s:{s:i, s:i, s:i}, s:o}", "cpu_usage", "total_usage", 0, "usage_in_kernelmode", 0,
			 "usage_in_usermode", 0, "throttling_data", throttling(0, 0, 0));
}

json_t *berth_stats_zero(const char *name, const char *id)
{
	static const char *const zero_time = "0001-01-01T00:00:00Z";
	return json_pack("{s:s, s:s, s:{}, s:{s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n}, s:i, s:{}, s:o, s:o, s:{}, "
			 "s:s, s:s}",
			 "read", zero_time, "preread", zero_time, "pids_stats", "blkio_stats",
			 "io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive",
			 "io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive",
			 "io_time_recursive", "sectors_recursive", "num_procs", 0, "storage_stats", "cpu_stats",
			 zero_cpu(), "precpu_stats", zero_cpu(), "memory_stats", "name", name, "id", id);
}
