/* cgroup v2: one unified tree; controllers are enabled down the path. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "cleanup.h"
#include "log.h"

/* The controllers these resources need (space-separated). */
static void needed_controllers(const struct berth_resources *res, char *out, size_t size)
{
	const typeof(res->cpu) *c = &res->cpu;
	bool io = res->blkio.weight.set || res->blkio.leaf_weight.set;

	for (int l = 0; l < BERTH_BLKIO_LISTS; l++)
		io = io || res->blkio.n[l];
	out[0] = '\0';
	if (res->memory.limit.set || res->memory.reservation.set || res->memory.swap.set)
		strncat(out, "memory ", size - strlen(out) - 1);
	if (c->shares.set || c->quota.set || c->period.set || c->burst.set || c->idle.set)
		strncat(out, "cpu ", size - strlen(out) - 1);
	if ((c->cpus && c->cpus[0]) || (c->mems && c->mems[0]))
		strncat(out, "cpuset ", size - strlen(out) - 1);
	if (io)
		strncat(out, "io ", size - strlen(out) - 1);
	if (res->pids_limit.set)
		strncat(out, "pids ", size - strlen(out) - 1);
	if (res->n_hugepages)
		strncat(out, "hugetlb ", size - strlen(out) - 1);
	if (res->n_rdma)
		strncat(out, "rdma ", size - strlen(out) - 1);
	if (res->unified) {
		const char *key;
		json_t *v;
		json_object_foreach (res->unified, key, v) {
			char ctrl[64];
			const char *dot = strchr(key, '.');
			if (dot == NULL || (size_t) (dot - key) >= sizeof(ctrl) || strncmp(key, "cgroup.", 7) == 0)
				continue;
			snprintf(ctrl, sizeof(ctrl), "%.*s ", (int) (dot - key), key);
			if (strstr(out, ctrl) == NULL)
				strncat(out, ctrl, size - strlen(out) - 1);
		}
	}
}

/* Is word[0..len) one of the words of a space-separated list? */
static bool word_in(const char *list, const char *word, size_t len)
{
	const char *p = list;

	while (*p) {
		const char *end;
		while (*p == ' ' || *p == '\n')
			p++;
		end = p;
		while (*end && *end != ' ' && *end != '\n')
			end++;
		if ((size_t) (end - p) == len && strncmp(p, word, len) == 0)
			return true;
		p = end;
	}
	return false;
}

int berth_cgroup_v2_enable_controllers(const char *root, const char *leaf, const struct berth_resources *res,
				       struct berth_error *err)
{
	char needed[256], available[1024] = "", dir[PATH_MAX];
	size_t rootlen = strlen(root);

	needed_controllers(res, needed, sizeof(needed));
	if (needed[0] == '\0')
		return 0;
	if (berth_cg_read(root, "cgroup.controllers", available, sizeof(available)) < 0)
		return berth_error_sys(err, errno, "read %s/cgroup.controllers", root);
	for (char *w = needed; *w;) {
		char *end = strchr(w, ' ');
		size_t len = end ? (size_t) (end - w) : strlen(w);
		if (len && !word_in(available, w, len))
			return berth_error_set(err, ENOTSUP, "linux.resources: the %.*s controller is not available in %s",
					       (int) len, w, root);
		w = end ? end + 1 : w + len;
	}
	/* +controller in every cgroup.subtree_control from the root to the
	 * leaf's parent. */
	snprintf(dir, sizeof(dir), "%s", root);
	for (const char *p = leaf + rootlen; *p;) {
		const char *end = strchrnul(p + 1, '/');
		for (char *w = needed; *w;) {
			char *wend = strchr(w, ' ');
			size_t len = wend ? (size_t) (wend - w) : strlen(w);
			char enable[80];
			snprintf(enable, sizeof(enable), "+%.*s", (int) len, w);
			if (len && berth_cg_write(dir, "cgroup.subtree_control", enable, err) < 0)
				return berth_error_wrap(err, "enable the %.*s controller", (int) len, w);
			w = wend ? wend + 1 : w + len;
		}
		if (*end == '\0')
			break;
		snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "%.*s", (int) (end - p), p);
		p = end;
	}
	return 0;
}

/* runc's conversions, so that the same config means the same on v1 and v2:
 * cpu.shares 2..262144 onto cpu.weight 1..10000, blkio weight 10..1000 onto
 * io.weight 1..10000. */
static uint64_t shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static uint64_t blkio_to_io_weight(uint64_t w)
{
	if (w == 0)
		return 0;
	if (w < 10)
		w = 10;
	if (w > 1000)
		w = 1000;
	return 1 + (w - 10) * 9999 / 990;
}

static int write_max(const char *dir, const char *file, int64_t v, struct berth_error *err)
{
	if (v < 0)
		return berth_cg_write(dir, file, "max", err);
	return berth_cg_writef(dir, file, err, "%" PRId64, v);
}

static int apply_memory(const char *dir, const struct berth_resources *res, bool update, struct berth_error *err)
{
	const typeof(res->memory) *m = &res->memory;
	int r;

	if (m->limit.set && update && m->check_before_update && m->limit.v >= 0) {
		char cur[32];
		if (berth_cg_read(dir, "memory.current", cur, sizeof(cur)) > 0 &&
		    strtoull(cur, NULL, 10) > (uint64_t) m->limit.v)
			return berth_error_set(err, EBUSY,
					       "linux.resources.memory.limit: %" PRId64 " is below the current usage %llu "
					       "(checkBeforeUpdate)",
					       m->limit.v, strtoull(cur, NULL, 10));
	}
	if (m->limit.set && (r = write_max(dir, "memory.max", m->limit.v, err)) < 0)
		return r;
	if (m->reservation.set && (r = write_max(dir, "memory.low", m->reservation.v, err)) < 0)
		return r;
	if (m->swap.set) {
		/* OCI swap is memory+swap; v2's swap.max is the swap alone. */
		int64_t swap = m->swap.v;
		if (swap > 0 && m->limit.set && m->limit.v > 0) {
			if (swap < m->limit.v)
				return berth_error_set(err, EINVAL,
						       "linux.resources.memory.swap: %" PRId64 " is below the limit %" PRId64,
						       swap, m->limit.v);
			swap -= m->limit.v;
		}
		if ((r = write_max(dir, "memory.swap.max", swap, err)) < 0)
			return r;
	}
	if (m->swappiness.set)
		berth_warn("linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness; ignored");
	if (m->disable_oom_killer_set && m->disable_oom_killer)
		berth_warn("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer; ignored");
	return 0;
}

static int apply_cpu(const char *dir, const struct berth_resources *res, struct berth_error *err)
{
	const typeof(res->cpu) *c = &res->cpu;
	int r;

	if (c->realtime_period.set || c->realtime_runtime.set)
		return berth_error_set(err, ENOTSUP,
				       "linux.resources.cpu: realtimeRuntime and realtimePeriod need cgroup v1");
	if (c->shares.set && c->shares.v &&
	    (r = berth_cg_writef(dir, "cpu.weight", err, "%" PRIu64, shares_to_weight(c->shares.v))) < 0)
		return r;
	if (c->quota.set || c->period.set) {
		char cur[64] = "max 100000", quota[32];
		uint64_t period = 100000;
		berth_cg_read(dir, "cpu.max", cur, sizeof(cur));
		sscanf(cur, "%31s %" SCNu64, quota, &period);
		if (c->period.set)
			period = c->period.v;
		if (c->quota.set) {
			if (c->quota.v < 0)
				snprintf(quota, sizeof(quota), "max");
			else
				snprintf(quota, sizeof(quota), "%" PRId64, c->quota.v);
		}
		if ((r = berth_cg_writef(dir, "cpu.max", err, "%s %" PRIu64, quota, period)) < 0)
			return r;
	}
	if (c->burst.set && (r = berth_cg_writef(dir, "cpu.max.burst", err, "%" PRIu64, c->burst.v)) < 0)
		return r;
	if (c->idle.set && (r = berth_cg_writef(dir, "cpu.idle", err, "%" PRId64, c->idle.v)) < 0)
		return r;
	if (c->cpus && c->cpus[0] && (r = berth_cg_write(dir, "cpuset.cpus", c->cpus, err)) < 0)
		return r;
	if (c->mems && c->mems[0] && (r = berth_cg_write(dir, "cpuset.mems", c->mems, err)) < 0)
		return r;
	return 0;
}

static int apply_io(const char *dir, const struct berth_resources *res, struct berth_error *err)
{
	static const char *const keys[BERTH_BLKIO_LISTS] = { NULL, "rbps", "wbps", "riops", "wiops" };
	int r;

	if (res->blkio.weight.set) {
		/* BFQ takes the same 1..1000 range as v1; the core io.weight 1..10000. */
		if (berth_cg_has(dir, "io.bfq.weight"))
			r = berth_cg_writef(dir, "io.bfq.weight", err, "%" PRIu64, res->blkio.weight.v);
		else
			r = berth_cg_writef(dir, "io.weight", err, "default %" PRIu64,
					    blkio_to_io_weight(res->blkio.weight.v));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < res->blkio.n[BERTH_BLKIO_WEIGHT_DEVICE]; i++) {
		const struct berth_blkio_device *d = &res->blkio.lists[BERTH_BLKIO_WEIGHT_DEVICE][i];
		if (d->weight.set && (r = berth_cg_writef(dir, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
							   d->major, d->minor, blkio_to_io_weight(d->weight.v))) < 0)
			return r;
	}
	for (int l = BERTH_BLKIO_READ_BPS; l < BERTH_BLKIO_LISTS; l++)
		for (size_t i = 0; i < res->blkio.n[l]; i++) {
			const struct berth_blkio_device *d = &res->blkio.lists[l][i];
			if ((r = berth_cg_writef(dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major,
						 d->minor, keys[l], d->rate)) < 0)
				return r;
		}
	return 0;
}

static int apply_unified(const char *dir, const struct berth_resources *res, struct berth_error *err)
{
	char available[1024] = "";
	const char *key;
	json_t *v;
	int r;

	if (res->unified == NULL)
		return 0;
	berth_cg_read(dir, "cgroup.controllers", available, sizeof(available));
	json_object_foreach (res->unified, key, v) {
		const char *dot = strchr(key, '.');
		if (dot && strncmp(key, "cgroup.", 7) != 0 && !word_in(available, key, (size_t) (dot - key)))
			return berth_error_set(err, ENOTSUP,
					       "linux.resources.unified.%s: the %.*s controller is not enabled for %s", key,
					       (int) (dot - key), key, dir);
		if ((r = berth_cg_write(dir, key, json_string_value(v), err)) < 0)
			return berth_error_wrap(err, "linux.resources.unified.%s", key);
	}
	return 0;
}

int berth_cgroup_v2_apply(const char *dir, const struct berth_resources *res, bool update, struct berth_error *err)
{
	int r;

	if (res->network.class_id.set || res->network.n_priorities)
		return berth_error_set(err, ENOTSUP,
				       "linux.resources.network: net_cls and net_prio exist only in cgroup v1");
	if ((r = apply_memory(dir, res, update, err)) < 0 || (r = apply_cpu(dir, res, err)) < 0 ||
	    (r = apply_io(dir, res, err)) < 0)
		return r;
	if (res->pids_limit.set && (r = write_max(dir, "pids.max", res->pids_limit.v, err)) < 0)
		return r;
	for (size_t i = 0; i < res->n_hugepages; i++) {
		char file[64];
		snprintf(file, sizeof(file), "hugetlb.%s.max", res->hugepages[i].page_size);
		if ((r = berth_cg_writef(dir, file, err, "%" PRIu64, res->hugepages[i].limit)) < 0)
			return r;
		snprintf(file, sizeof(file), "hugetlb.%s.rsvd.max", res->hugepages[i].page_size);
		if (berth_cg_has(dir, file) && (r = berth_cg_writef(dir, file, err, "%" PRIu64, res->hugepages[i].limit)) < 0)
			return r;
	}
	for (size_t i = 0; i < res->n_rdma; i++) {
		const struct berth_rdma_limit *l = &res->rdma[i];
		char value[256];
		berth_rdma_limit_format(l, value, sizeof(value));
		if ((r = berth_cg_write(dir, "rdma.max", value, err)) < 0)
			return r;
	}
	return apply_unified(dir, res, err);
}

int berth_cgroup_v2_freeze(const char *dir, bool frozen, struct berth_error *err)
{
	uint64_t state = 2;
	int r;

	if ((r = berth_cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err)) < 0)
		return r;
	for (int i = 0; i < 2000; i++) {
		if (berth_cg_read_key(dir, "cgroup.events", "frozen", &state) && state == (frozen ? 1 : 0))
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	return berth_error_set(err, ETIMEDOUT, "%s %s: cgroup.events did not report it", frozen ? "freeze" : "thaw", dir);
}

int berth_cgroup_v2_stats(const char *dir, json_t *data)
{
	uint64_t v[6] = { 0 };
	char buf[64];

	berth_cg_read_key(dir, "cpu.stat", "usage_usec", &v[0]);
	berth_cg_read_key(dir, "cpu.stat", "user_usec", &v[1]);
	berth_cg_read_key(dir, "cpu.stat", "system_usec", &v[2]);
	berth_cg_read_key(dir, "cpu.stat", "nr_periods", &v[3]);
	berth_cg_read_key(dir, "cpu.stat", "nr_throttled", &v[4]);
	berth_cg_read_key(dir, "cpu.stat", "throttled_usec", &v[5]);
	json_object_set_new(data, "cpu",
			    json_pack("{s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}}", "usage", "total",
				      (json_int_t) (v[0] * 1000), "user", (json_int_t) (v[1] * 1000), "kernel",
				      (json_int_t) (v[2] * 1000), "throttling", "periods", (json_int_t) v[3],
				      "throttledPeriods", (json_int_t) v[4], "throttledTime", (json_int_t) (v[5] * 1000)));
	if (berth_cg_read(dir, "memory.current", buf, sizeof(buf)) > 0) {
		uint64_t current = strtoull(buf, NULL, 10), limit = 0, file = 0;
		if (berth_cg_read(dir, "memory.max", buf, sizeof(buf)) > 0 && strncmp(buf, "max", 3) != 0)
			limit = strtoull(buf, NULL, 10);
		berth_cg_read_key(dir, "memory.stat", "file", &file);
		json_object_set_new(data, "memory",
				    json_pack("{s:I, s:{s:I, s:I}}", "cache", (json_int_t) file, "usage", "usage",
					      (json_int_t) current, "limit", (json_int_t) limit));
	}
	if (berth_cg_read(dir, "pids.current", buf, sizeof(buf)) > 0) {
		uint64_t current = strtoull(buf, NULL, 10), limit = 0;
		if (berth_cg_read(dir, "pids.max", buf, sizeof(buf)) > 0 && strncmp(buf, "max", 3) != 0)
			limit = strtoull(buf, NULL, 10);
		json_object_set_new(data, "pids", json_pack("{s:I, s:I}", "current", (json_int_t) current, "limit",
							    (json_int_t) limit));
	}
	return 0;
}
