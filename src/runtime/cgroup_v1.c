/* cgroup v1: one hierarchy per controller, files named after the controller. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "cleanup.h"
#include "log.h"

static int need(const struct berth_cgroup *cg, const char *controller, const char *what, const char **dir,
		struct berth_error *err)
{
	*dir = berth_cgroup_dir_for(cg, controller);
	if (*dir == NULL)
		return berth_error_set(err, ENOTSUP, "linux.resources.%s: the %s cgroup controller is not mounted", what,
				       controller);
	return 0;
}

static int write_limit(const char *dir, const char *file, int64_t v, struct berth_error *err)
{
	return berth_cg_writef(dir, file, err, "%" PRId64, v);
}

/* The kernel refuses (EBUSY) a memory limit it cannot reclaim down to:
 * say so with the figures, as runc does, rather than the bare errno. */
static int write_memory_limit(const char *dir, int64_t v, struct berth_error *err)
{
	char usage[32] = "?", peak[32] = "?";
	int r = write_limit(dir, "memory.limit_in_bytes", v, err);
	if (r != -EBUSY)
		return r;
	berth_cg_read(dir, "memory.usage_in_bytes", usage, sizeof(usage));
	berth_cg_read(dir, "memory.max_usage_in_bytes", peak, sizeof(peak));
	usage[strcspn(usage, "\n")] = '\0';
	peak[strcspn(peak, "\n")] = '\0';
	return berth_error_set(err, EBUSY, "unable to set memory limit to %" PRId64 " (current usage: %s, peak usage: %s)",
			       v, usage, peak);
}

static int apply_memory(const struct berth_cgroup *cg, const struct berth_resources *res, struct berth_error *err)
{
	const typeof(res->memory) *m = &res->memory;
	const char *dir;
	int r;

	if (!m->limit.set && !m->reservation.set && !m->swap.set && !m->swappiness.set && !m->disable_oom_killer_set &&
	    !m->kernel.set && !m->kernel_tcp.set)
		return 0;
	if ((r = need(cg, "memory", "memory", &dir, err)) < 0)
		return r;
	if (m->swap.set && !berth_cg_has(dir, "memory.memsw.limit_in_bytes"))
		return berth_error_set(err, ENOTSUP,
				       "linux.resources.memory.swap: the kernel does not account swap (memory.memsw files "
				       "are missing; boot with swapaccount=1)");
	/* memory+swap may never be below memory: when raising, memsw goes
	 * first; when lowering, memory does.  Try one order, then the other. */
	if (m->limit.set && m->swap.set) {
		struct berth_error first;
		if ((r = write_memory_limit(dir, m->limit.v, &first)) < 0) {
			if (r == -EBUSY) {
				*err = first;
				return r;
			}
			if ((r = write_limit(dir, "memory.memsw.limit_in_bytes", m->swap.v, err)) < 0 ||
			    (r = write_limit(dir, "memory.limit_in_bytes", m->limit.v, err)) < 0)
				return r;
		} else if ((r = write_limit(dir, "memory.memsw.limit_in_bytes", m->swap.v, err)) < 0) {
			return r;
		}
	} else if (m->limit.set && (r = write_memory_limit(dir, m->limit.v, err)) < 0) {
		return r;
	} else if (m->swap.set && (r = write_limit(dir, "memory.memsw.limit_in_bytes", m->swap.v, err)) < 0) {
		return r;
	}
	if (m->reservation.set && (r = write_limit(dir, "memory.soft_limit_in_bytes", m->reservation.v, err)) < 0)
		return r;
	if (m->swappiness.set && (r = write_limit(dir, "memory.swappiness", (int64_t) m->swappiness.v, err)) < 0)
		return r;
	if (m->disable_oom_killer_set &&
	    (r = berth_cg_write(dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err)) < 0)
		return r;
	if (m->kernel_tcp.set && (r = write_limit(dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.v, err)) < 0)
		return r;
	/* Kernel memory limits are gone since Linux 5.16 (the file refuses
	 * writes); the spec calls them not recommended: warn, as runc does. */
	if (m->kernel.set && write_limit(dir, "memory.kmem.limit_in_bytes", m->kernel.v, &(struct berth_error){ 0 }) < 0)
		berth_warn("linux.resources.memory.kernel: this kernel no longer limits kernel memory; ignored");
	return 0;
}

static int apply_cpu(const struct berth_cgroup *cg, const struct berth_resources *res, struct berth_error *err)
{
	const typeof(res->cpu) *c = &res->cpu;
	const char *dir;
	int r;

	if (c->shares.set || c->period.set || c->quota.set || c->burst.set || c->realtime_period.set ||
	    c->realtime_runtime.set || c->idle.set) {
		if ((r = need(cg, "cpu", "cpu", &dir, err)) < 0)
			return r;
		if (c->shares.set && (r = berth_cg_writef(dir, "cpu.shares", err, "%" PRIu64, c->shares.v)) < 0)
			return r;
		if (c->period.set && (r = berth_cg_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, c->period.v)) < 0)
			return r;
		if (c->quota.set && (r = write_limit(dir, "cpu.cfs_quota_us", c->quota.v, err)) < 0)
			return r;
		if (c->burst.set && (r = berth_cg_writef(dir, "cpu.cfs_burst_us", err, "%" PRIu64, c->burst.v)) < 0)
			return r;
		/* The realtime period must allow the runtime: period first. */
		if (c->realtime_period.set &&
		    (r = berth_cg_writef(dir, "cpu.rt_period_us", err, "%" PRIu64, c->realtime_period.v)) < 0)
			return r;
		if (c->realtime_runtime.set && (r = write_limit(dir, "cpu.rt_runtime_us", c->realtime_runtime.v, err)) < 0)
			return r;
		if (c->idle.set && (r = write_limit(dir, "cpu.idle", c->idle.v, err)) < 0)
			return r;
	}
	if (c->cpus || c->mems) {
		if ((r = need(cg, "cpuset", "cpu.cpus", &dir, err)) < 0)
			return r;
		if (c->cpus && c->cpus[0] && (r = berth_cg_write(dir, "cpuset.cpus", c->cpus, err)) < 0)
			return r;
		if (c->mems && c->mems[0] && (r = berth_cg_write(dir, "cpuset.mems", c->mems, err)) < 0)
			return r;
	}
	return 0;
}

static int apply_blkio(const struct berth_cgroup *cg, const struct berth_resources *res, struct berth_error *err)
{
	static const char *const files[BERTH_BLKIO_LISTS] = {
		NULL, "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};
	const char *dir;
	bool any = res->blkio.weight.set || res->blkio.leaf_weight.set;
	int r;

	for (int l = 0; l < BERTH_BLKIO_LISTS; l++)
		any = any || res->blkio.n[l] > 0;
	if (!any)
		return 0;
	if ((r = need(cg, "blkio", "blockIO", &dir, err)) < 0)
		return r;
	/* CFQ has blkio.weight; BFQ names it blkio.bfq.weight. */
	const char *weight = berth_cg_has(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
	if (res->blkio.weight.set && (r = berth_cg_writef(dir, weight, err, "%" PRIu64, res->blkio.weight.v)) < 0)
		return r;
	if (res->blkio.leaf_weight.set &&
	    (r = berth_cg_writef(dir, "blkio.leaf_weight", err, "%" PRIu64, res->blkio.leaf_weight.v)) < 0)
		return r;
	for (size_t i = 0; i < res->blkio.n[BERTH_BLKIO_WEIGHT_DEVICE]; i++) {
		const struct berth_blkio_device *d = &res->blkio.lists[BERTH_BLKIO_WEIGHT_DEVICE][i];
		if (d->weight.set && (r = berth_cg_writef(dir, "blkio.weight_device", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
							   d->major, d->minor, d->weight.v)) < 0)
			return r;
		if (d->leaf_weight.set &&
		    (r = berth_cg_writef(dir, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major,
					 d->minor, d->leaf_weight.v)) < 0)
			return r;
	}
	for (int l = BERTH_BLKIO_READ_BPS; l < BERTH_BLKIO_LISTS; l++)
		for (size_t i = 0; i < res->blkio.n[l]; i++) {
			const struct berth_blkio_device *d = &res->blkio.lists[l][i];
			if ((r = berth_cg_writef(dir, files[l], err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
						 d->rate)) < 0)
				return r;
		}
	return 0;
}

static void format_rule(const struct berth_device_rule *d, char *buf, size_t size)
{
	char major[24] = "*", minor[24] = "*";

	if (d->major >= 0)
		snprintf(major, sizeof(major), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
	if (d->type == 'a')
		snprintf(buf, size, "a");
	else
		snprintf(buf, size, "%c %s:%s %s", d->type, major, minor, d->access);
}

static int apply_devices(const struct berth_cgroup *cg, const struct berth_resources *res, bool update,
			 struct berth_error *err)
{
	const char *dir = berth_cgroup_dir_for(cg, "devices");
	char rule[80];
	int r;

	if (update && res->n_devices == 0)
		return 0; /* an update without device rules keeps the ones in force */
	if (dir == NULL) {
		if (res->n_devices == 0)
			return 0;
		return berth_error_set(err, ENOTSUP, "linux.resources.devices: the devices cgroup controller is not mounted");
	}
	/* A new cgroup inherits its parent's list, usually "a *:* rwm": start
	 * from nothing allowed, as the v2 eBPF program does, so a config
	 * without a deny-all rule does not open every device of the host.
	 * Then the rules in order, as the spec says; the defaults come last so
	 * that the container can always use its default devices. */
	if ((r = berth_cg_write(dir, "devices.deny", "a", err)) < 0)
		return r;
	for (size_t i = 0; i < res->n_devices + berth_n_default_device_rules; i++) {
		const struct berth_device_rule *d =
			i < res->n_devices ? &res->devices[i] : &berth_default_device_rules[i - res->n_devices];
		format_rule(d, rule, sizeof(rule));
		if ((r = berth_cg_write(dir, d->allow ? "devices.allow" : "devices.deny", rule, err)) < 0)
			return r;
	}
	return 0;
}

static int apply_others(const struct berth_cgroup *cg, const struct berth_resources *res, struct berth_error *err)
{
	const char *dir;
	int r;

	if (res->pids_limit.set) {
		if ((r = need(cg, "pids", "pids", &dir, err)) < 0)
			return r;
		r = res->pids_limit.v < 0 ? berth_cg_write(dir, "pids.max", "max", err)
					  : write_limit(dir, "pids.max", res->pids_limit.v, err);
		if (r < 0)
			return r;
	}
	if (res->n_hugepages) {
		if ((r = need(cg, "hugetlb", "hugepageLimits", &dir, err)) < 0)
			return r;
		for (size_t i = 0; i < res->n_hugepages; i++) {
			char file[64];
			snprintf(file, sizeof(file), "hugetlb.%s.rsvd.limit_in_bytes", res->hugepages[i].page_size);
			if (!berth_cg_has(dir, file))
				snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", res->hugepages[i].page_size);
			if ((r = berth_cg_writef(dir, file, err, "%" PRIu64, res->hugepages[i].limit)) < 0)
				return r;
		}
	}
	if (res->network.class_id.set) {
		if ((r = need(cg, "net_cls", "network.classID", &dir, err)) < 0 ||
		    (r = berth_cg_writef(dir, "net_cls.classid", err, "%" PRIu64, res->network.class_id.v)) < 0)
			return r;
	}
	for (size_t i = 0; i < res->network.n_priorities; i++) {
		if ((r = need(cg, "net_prio", "network.priorities", &dir, err)) < 0 ||
		    (r = berth_cg_writef(dir, "net_prio.ifpriomap", err, "%s %u", res->network.priorities[i].name,
					 res->network.priorities[i].priority)) < 0)
			return r;
	}
	for (size_t i = 0; i < res->n_rdma; i++) {
		const struct berth_rdma_limit *l = &res->rdma[i];
		char value[256];
		berth_rdma_limit_format(l, value, sizeof(value));
		if ((r = need(cg, "rdma", "rdma", &dir, err)) < 0 || (r = berth_cg_write(dir, "rdma.max", value, err)) < 0)
			return r;
	}
	if (res->unified && json_object_size(res->unified) > 0)
		return berth_error_set(err, ENOTSUP,
				       "linux.resources.unified: needs cgroup v2, and this host's controllers are on v1");
	return 0;
}

int berth_cgroup_v1_apply(const struct berth_cgroup *cg, const struct berth_resources *res, bool update,
			  struct berth_error *err)
{
	int r;

	if ((r = apply_memory(cg, res, err)) < 0 || (r = apply_cpu(cg, res, err)) < 0 ||
	    (r = apply_blkio(cg, res, err)) < 0 || (r = apply_devices(cg, res, update, err)) < 0)
		return r;
	return apply_others(cg, res, err);
}

int berth_cgroup_v1_freeze(const struct berth_cgroup *cg, bool frozen, struct berth_error *err)
{
	const char *dir = berth_cgroup_dir_for(cg, "freezer");
	const char *want = frozen ? "FROZEN" : "THAWED";
	char state[32];
	int r;

	/* Writing FROZEN starts freezing; the state reads FREEZING until every
	 * task has stopped.  Ask again until it holds. */
	for (int i = 0; i < 2000; i++) {
		if ((r = berth_cg_write(dir, "freezer.state", want, err)) < 0)
			return r;
		if (berth_cg_read(dir, "freezer.state", state, sizeof(state)) > 0 && strncmp(state, want, strlen(want)) == 0)
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	return berth_error_set(err, ETIMEDOUT, "%s %s: the freezer did not settle", frozen ? "freeze" : "thaw", dir);
}

static uint64_t read_u64(const char *dir, const char *file)
{
	char buf[64];
	return berth_cg_read(dir, file, buf, sizeof(buf)) > 0 ? strtoull(buf, NULL, 10) : 0;
}

int berth_cgroup_v1_stats(const struct berth_cgroup *cg, json_t *data)
{
	const char *dir;

	if ((dir = berth_cgroup_dir_for(cg, "cpuacct")) != NULL) {
		uint64_t user = 0, sys = 0;
		berth_cg_read_key(dir, "cpuacct.stat", "user", &user);
		berth_cg_read_key(dir, "cpuacct.stat", "system", &sys);
		/* cpuacct.stat counts USER_HZ ticks (100 per second). */
		json_object_set_new(data, "cpu",
				    json_pack("{s:{s:I, s:I, s:I}}", "usage", "total",
					      (json_int_t) read_u64(dir, "cpuacct.usage"), "user",
					      (json_int_t) (user * 10000000), "kernel", (json_int_t) (sys * 10000000)));
	}
	if ((dir = berth_cgroup_dir_for(cg, "cpu")) != NULL) {
		uint64_t periods = 0, throttled = 0, time = 0;
		json_t *cpu = json_object_get(data, "cpu");
		berth_cg_read_key(dir, "cpu.stat", "nr_periods", &periods);
		berth_cg_read_key(dir, "cpu.stat", "nr_throttled", &throttled);
		berth_cg_read_key(dir, "cpu.stat", "throttled_time", &time);
		if (cpu == NULL)
			json_object_set_new(data, "cpu", cpu = json_object());
		json_object_set_new(cpu, "throttling",
				    json_pack("{s:I, s:I, s:I}", "periods", (json_int_t) periods, "throttledPeriods",
					      (json_int_t) throttled, "throttledTime", (json_int_t) time));
	}
	if ((dir = berth_cgroup_dir_for(cg, "memory")) != NULL) {
		uint64_t cache = 0;
		berth_cg_read_key(dir, "memory.stat", "total_cache", &cache);
		json_object_set_new(data, "memory",
				    json_pack("{s:I, s:{s:I, s:I, s:I, s:I}}", "cache", (json_int_t) cache, "usage",
					      "usage", (json_int_t) read_u64(dir, "memory.usage_in_bytes"), "max",
					      (json_int_t) read_u64(dir, "memory.max_usage_in_bytes"), "limit",
					      (json_int_t) read_u64(dir, "memory.limit_in_bytes"), "failcnt",
					      (json_int_t) read_u64(dir, "memory.failcnt")));
	}
	if ((dir = berth_cgroup_dir_for(cg, "pids")) != NULL) {
		char max[32] = "";
		berth_cg_read(dir, "pids.max", max, sizeof(max));
		json_object_set_new(data, "pids",
				    json_pack("{s:I, s:I}", "current", (json_int_t) read_u64(dir, "pids.current"), "limit",
					      (json_int_t) (strncmp(max, "max", 3) == 0 ? 0 : strtoull(max, NULL, 10))));
	}
	if ((dir = berth_cgroup_dir_for(cg, "blkio")) != NULL) {
		char buf[8192];
		json_t *entries = json_array();
		if (berth_cg_read(dir, "blkio.throttle.io_service_bytes", buf, sizeof(buf)) > 0)
			for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
				unsigned maj, min;
				char op[16];
				unsigned long long v;
				if (sscanf(line, "%u:%u %15s %llu", &maj, &min, op, &v) == 4)
					json_array_append_new(entries, json_pack("{s:i, s:i, s:s, s:I}", "major", maj, "minor",
										 min, "op", op, "value", (json_int_t) v));
			}
		json_object_set_new(data, "blkio", json_pack("{s:o}", "ioServiceBytesRecursive", entries));
	}
	return 0;
}
