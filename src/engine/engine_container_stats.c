/* docker stats: a sample of a running container's cgroup, the host's CPU
 * time and the container's network devices, in dockerd's document. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_stats.h"
#include "engine_containers_internal.h"
#include "file.h"
#include "json.h"

#define PROC_FILE_MAX (1u << 20)

static char *read_proc(const char *path)
{
	char *text = NULL;
	struct berth_error ignored = { 0 };
	if (berth_read_file_at(AT_FDCWD, path, PROC_FILE_MAX, &text, NULL, &ignored) < 0)
		return NULL;
	return text;
}

static uint64_t host_memory(void)
{
	struct sysinfo si;
	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t) si.totalram * si.mem_unit;
}

/* The container's interfaces, seen from its network namespace (its init's
 * /proc/PID/net/dev); none for host networking, as dockerd. */
static json_t *networks(const struct berth_container_record *c)
{
	const char *mode = json_string_value(json_object_get(c->host_config, "NetworkMode"));
	json_int_t pid = json_integer_value(json_object_get(c->state, "Pid"));
	char path[64];
	if (pid <= 0 || (mode && strcmp(mode, "host") == 0))
		return NULL;
	snprintf(path, sizeof(path), "/proc/%lld/net/dev", (long long) pid);
	_cleanup_free_ char *text = read_proc(path);
	return text ? berth_stats_net_dev(text) : NULL;
}

static json_t *zero_cpu(void)
{
	return json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage", 0,
			 "usage_in_kernelmode", 0, "usage_in_usermode", 0, "throttling_data", "periods", 0,
			 "throttled_periods", 0, "throttled_time", 0);
}

/* dockerd's field order around the cgroup's figures. */
static json_t *assemble(const struct berth_container_record *c, json_t *cg, json_t *prev, const char *read)
{
	char name[BERTH_CONTAINER_NAME_MAX + 2];
	snprintf(name, sizeof(name), "/%s", c->name);
	json_t *pre = json_object_get(prev, "cpu_stats");
	json_t *preread = prev ? json_incref(json_object_get(prev, "read")) : json_string("0001-01-01T00:00:00Z");
	json_t *doc = json_pack("{s:s, s:o, s:O, s:O, s:i, s:{}, s:O, s:o, s:O, s:s, s:s}", "read", read, "preread",
				preread,
				"pids_stats", json_object_get(cg, "pids_stats"), "blkio_stats",
				json_object_get(cg, "blkio_stats"), "num_procs", 0, "storage_stats", "cpu_stats",
				json_object_get(cg, "cpu_stats"), "precpu_stats", pre ? json_deep_copy(pre) : zero_cpu(),
				"memory_stats", json_object_get(cg, "memory_stats"), "name", name, "id", c->id);
	json_t *nets = doc ? networks(c) : NULL;
	if (nets)
		json_object_set_new(doc, "networks", nets);
	return doc;
}

int berth_engine_container_stats(struct berth_engine *e, const char *what, json_t *prev, json_t **ret,
				 struct berth_error *err)
{
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	_cleanup_json_ json_t *cg_doc = NULL;
	struct berth_stats_cgroup cg;
	char cgpath[BERTH_CONTAINER_ID_LEN + 16], read[64];
	int r = container_resolve(e, what, &c, err);
	if (r < 0)
		return r;
	if (!record_running(&c)) {
		char name[BERTH_CONTAINER_NAME_MAX + 2];
		snprintf(name, sizeof(name), "/%s", c.name);
		*ret = berth_stats_zero(name, c.id);
		return *ret ? 0 : berth_error_sys(err, ENOMEM, "stats %s", c.id);
	}
	/* the cgroupsPath berthd gives its containers (container_spec_linux.c) */
	snprintf(cgpath, sizeof(cgpath), "/berth/%s", c.id);
	format_time(now_nano(), read);
	if ((r = berth_stats_cgroup_resolve(cgpath, &cg, err)) < 0 ||
	    (r = berth_stats_cgroup_read(&cg, host_memory(), &cg_doc, err)) < 0)
		return berth_error_wrap(err, "stats %s", c.id);
	_cleanup_free_ char *proc_stat = read_proc("/proc/stat");
	json_t *cpu = json_object_get(cg_doc, "cpu_stats");
	json_object_set_new(cpu, "system_cpu_usage",
			    json_integer((json_int_t) (proc_stat ? berth_stats_system_cpu(proc_stat, sysconf(_SC_CLK_TCK))
								 : 0)));
	json_object_set_new(cpu, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	/* throttling_data last, as dockerd orders cpu_stats */
	json_t *thr = json_incref(json_object_get(cpu, "throttling_data"));
	json_object_del(cpu, "throttling_data");
	json_object_set_new(cpu, "throttling_data", thr);
	*ret = assemble(&c, cg_doc, prev, read);
	return *ret ? 0 : berth_error_sys(err, ENOMEM, "stats %s", c.id);
}
