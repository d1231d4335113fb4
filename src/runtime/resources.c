/* linux.resources -> struct berth_resources (config-linux.md "Control groups"). */
#include "resources.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

static int opt_i64(json_t *obj, const char *path, const char *key, int64_t min, int64_t max,
		   struct berth_opt_i64 *ret, struct berth_error *err)
{
	int r = bjson_get_int(obj, path, key, false, min, max, &ret->v, err);

	if (r > 0)
		ret->set = true;
	return r < 0 ? r : 0;
}

static int opt_u64(json_t *obj, const char *path, const char *key, struct berth_opt_u64 *ret, struct berth_error *err)
{
	int r = bjson_get_uint64(obj, path, key, false, &ret->v, err);

	if (r > 0)
		ret->set = true;
	return r < 0 ? r : 0;
}

static int parse_memory(json_t *res, const char *parent, struct berth_resources *r, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *m;
	int e = bjson_get_object(res, parent, "memory", false, &m, err);

	if (e <= 0)
		return e;
	bjson_path_key(path, parent, "memory");
	if ((e = opt_i64(m, path, "limit", -1, INT64_MAX, &r->memory.limit, err)) < 0 ||
	    (e = opt_i64(m, path, "reservation", -1, INT64_MAX, &r->memory.reservation, err)) < 0 ||
	    (e = opt_i64(m, path, "swap", -1, INT64_MAX, &r->memory.swap, err)) < 0 ||
	    (e = opt_i64(m, path, "kernel", -1, INT64_MAX, &r->memory.kernel, err)) < 0 ||
	    (e = opt_i64(m, path, "kernelTCP", -1, INT64_MAX, &r->memory.kernel_tcp, err)) < 0 ||
	    (e = opt_u64(m, path, "swappiness", &r->memory.swappiness, err)) < 0 ||
	    (e = bjson_get_bool(m, path, "checkBeforeUpdate", false, &r->memory.check_before_update, err)) < 0)
		return e;
	e = bjson_get_bool(m, path, "disableOOMKiller", false, &r->memory.disable_oom_killer, err);
	if (e < 0)
		return e;
	r->memory.disable_oom_killer_set = e > 0;
	if (r->memory.swappiness.set && r->memory.swappiness.v > 100)
		return berth_error_set(err, EINVAL, "%s.swappiness: must be from 0 to 100", path);
	return 0;
}

static int parse_cpu(json_t *res, const char *parent, struct berth_resources *r, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *c;
	int e = bjson_get_object(res, parent, "cpu", false, &c, err);

	if (e <= 0)
		return e;
	bjson_path_key(path, parent, "cpu");
	if ((e = opt_u64(c, path, "shares", &r->cpu.shares, err)) < 0 ||
	    (e = opt_i64(c, path, "quota", -1, INT64_MAX, &r->cpu.quota, err)) < 0 ||
	    (e = opt_u64(c, path, "burst", &r->cpu.burst, err)) < 0 ||
	    (e = opt_u64(c, path, "period", &r->cpu.period, err)) < 0 ||
	    (e = opt_i64(c, path, "realtimeRuntime", -1, INT64_MAX, &r->cpu.realtime_runtime, err)) < 0 ||
	    (e = opt_u64(c, path, "realtimePeriod", &r->cpu.realtime_period, err)) < 0 ||
	    (e = opt_i64(c, path, "idle", 0, 1, &r->cpu.idle, err)) < 0 ||
	    (e = bjson_get_string(c, path, "cpus", false, &r->cpu.cpus, err)) < 0 ||
	    (e = bjson_get_string(c, path, "mems", false, &r->cpu.mems, err)) < 0)
		return e;
	if (r->cpu.burst.set && r->cpu.quota.set && r->cpu.quota.v > 0 && r->cpu.burst.v > (uint64_t) r->cpu.quota.v)
		return berth_error_set(err, EINVAL, "%s.burst: must not exceed quota", path);
	return 0;
}

static int parse_blkio_list(json_t *b, const char *parent, const char *key, enum berth_blkio_list which,
			    struct berth_resources *r, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *arr, *item;
	size_t i;
	int e = bjson_get_array(b, parent, key, false, &arr, err);

	if (e <= 0)
		return e;
	bjson_path_key(path, parent, key);
	r->blkio.lists[which] = calloc(json_array_size(arr) + 1, sizeof(struct berth_blkio_device));
	if (r->blkio.lists[which] == NULL)
		return berth_error_sys(err, ENOMEM, "%s", path);
	json_array_foreach (arr, i, item) {
		struct berth_blkio_device *d = &r->blkio.lists[which][i];
		char ipath[BJSON_PATH_MAX];

		bjson_path_index(ipath, path, i);
		if (!json_is_object(item))
			return berth_error_set(err, EINVAL, "%s: must be an object", ipath);
		if ((e = bjson_get_int(item, ipath, "major", true, 0, UINT32_MAX, &d->major, err)) < 0 ||
		    (e = bjson_get_int(item, ipath, "minor", true, 0, UINT32_MAX, &d->minor, err)) < 0)
			return e;
		if (which == BERTH_BLKIO_WEIGHT_DEVICE) {
			if ((e = opt_u64(item, ipath, "weight", &d->weight, err)) < 0 ||
			    (e = opt_u64(item, ipath, "leafWeight", &d->leaf_weight, err)) < 0)
				return e;
			if (!d->weight.set && !d->leaf_weight.set)
				return berth_error_set(err, EINVAL, "%s: needs weight or leafWeight", ipath);
		} else if ((e = bjson_get_uint64(item, ipath, "rate", true, &d->rate, err)) < 0) {
			return e;
		}
		r->blkio.n[which] = i + 1;
	}
	return 0;
}

static int parse_blkio(json_t *res, const char *parent, struct berth_resources *r, struct berth_error *err)
{
	static const char *const lists[BERTH_BLKIO_LISTS] = {
		"weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
		"throttleWriteIOPSDevice",
	};
	char path[BJSON_PATH_MAX];
	json_t *b;
	int e = bjson_get_object(res, parent, "blockIO", false, &b, err);

	if (e <= 0)
		return e;
	bjson_path_key(path, parent, "blockIO");
	if ((e = opt_u64(b, path, "weight", &r->blkio.weight, err)) < 0 ||
	    (e = opt_u64(b, path, "leafWeight", &r->blkio.leaf_weight, err)) < 0)
		return e;
	for (int l = 0; l < BERTH_BLKIO_LISTS; l++)
		if ((e = parse_blkio_list(b, path, lists[l], l, r, err)) < 0)
			return e;
	/* A weight of 0 means "not set", as docker sends it and runc reads it. */
	if (r->blkio.weight.set && r->blkio.weight.v == 0)
		r->blkio.weight.set = false;
	if (r->blkio.leaf_weight.set && r->blkio.leaf_weight.v == 0)
		r->blkio.leaf_weight.set = false;
	return 0;
}

static int parse_device_rule(json_t *item, const char *path, struct berth_device_rule *d, struct berth_error *err)
{
	const char *type = NULL, *access = NULL;
	int e;

	if (!json_is_object(item))
		return berth_error_set(err, EINVAL, "%s: must be an object", path);
	if ((e = bjson_get_bool(item, path, "allow", true, &d->allow, err)) < 0 ||
	    (e = bjson_get_string(item, path, "type", false, &type, err)) < 0 ||
	    (e = bjson_get_string(item, path, "access", false, &access, err)) < 0)
		return e;
	d->type = type && type[0] ? type[0] : 'a';
	if (strchr("acb", d->type) == NULL || (type && strlen(type) > 1))
		return berth_error_set(err, EINVAL, "%s.type: must be a, c or b, not \"%s\"", path, type);
	d->major = d->minor = -1;
	if ((e = bjson_get_int(item, path, "major", false, -1, UINT32_MAX, &d->major, err)) < 0 ||
	    (e = bjson_get_int(item, path, "minor", false, -1, UINT32_MAX, &d->minor, err)) < 0)
		return e;
	if (access == NULL || access[0] == '\0')
		access = "rwm";
	if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
		return berth_error_set(err, EINVAL, "%s.access: must be made of r, w and m, not \"%s\"", path, access);
	memcpy(d->access, access, strlen(access) + 1);
	return 0;
}

static int parse_devices(json_t *res, const char *parent, struct berth_resources *r, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *arr, *item;
	size_t i;
	int e = bjson_get_array(res, parent, "devices", false, &arr, err);

	if (e <= 0)
		return e;
	bjson_path_key(path, parent, "devices");
	r->devices = calloc(json_array_size(arr) + 1, sizeof(*r->devices));
	if (r->devices == NULL)
		return berth_error_sys(err, ENOMEM, "%s", path);
	json_array_foreach (arr, i, item) {
		char ipath[BJSON_PATH_MAX];
		bjson_path_index(ipath, path, i);
		if ((e = parse_device_rule(item, ipath, &r->devices[i], err)) < 0)
			return e;
		r->n_devices = i + 1;
	}
	return 0;
}

uint64_t berth_page_size_bytes(const char *text)
{
	static const char units[] = "KMGTPE";
	char *end;
	unsigned long long n = strtoull(text, &end, 10);
	const char *u;

	if (end == text || n == 0 || end[0] == '\0' || strcmp(end + 1, "B") != 0)
		return 0;
	u = strchr(units, end[0]);
	if (u == NULL)
		return 0;
	for (ptrdiff_t i = 0; i <= u - units; i++)
		n *= 1024;
	return n;
}

static int parse_hugepages(json_t *res, const char *parent, struct berth_resources *r, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *arr, *item;
	size_t i;
	int e = bjson_get_array(res, parent, "hugepageLimits", false, &arr, err);

	if (e <= 0)
		return e;
	bjson_path_key(path, parent, "hugepageLimits");
	r->hugepages = calloc(json_array_size(arr) + 1, sizeof(*r->hugepages));
	if (r->hugepages == NULL)
		return berth_error_sys(err, ENOMEM, "%s", path);
	json_array_foreach (arr, i, item) {
		struct berth_hugepage_limit *h = &r->hugepages[i];
		char ipath[BJSON_PATH_MAX];

		bjson_path_index(ipath, path, i);
		if (!json_is_object(item))
			return berth_error_set(err, EINVAL, "%s: must be an object", ipath);
		if ((e = bjson_get_string(item, ipath, "pageSize", true, &h->page_size, err)) < 0 ||
		    (e = bjson_get_uint64(item, ipath, "limit", true, &h->limit, err)) < 0)
			return e;
		if (berth_page_size_bytes(h->page_size) == 0)
			return berth_error_set(err, EINVAL, "%s.pageSize: \"%s\" is not a size like 2MB or 1GB", ipath,
					       h->page_size);
		r->n_hugepages = i + 1;
	}
	return 0;
}

static int parse_network(json_t *res, const char *parent, struct berth_resources *r, struct berth_error *err)
{
	char path[BJSON_PATH_MAX], ppath[BJSON_PATH_MAX];
	json_t *n, *arr, *item;
	size_t i;
	int e = bjson_get_object(res, parent, "network", false, &n, err);

	if (e <= 0)
		return e;
	bjson_path_key(path, parent, "network");
	if ((e = opt_u64(n, path, "classID", &r->network.class_id, err)) < 0)
		return e;
	e = bjson_get_array(n, path, "priorities", false, &arr, err);
	if (e <= 0)
		return e;
	bjson_path_key(ppath, path, "priorities");
	r->network.priorities = calloc(json_array_size(arr) + 1, sizeof(*r->network.priorities));
	if (r->network.priorities == NULL)
		return berth_error_sys(err, ENOMEM, "%s", ppath);
	json_array_foreach (arr, i, item) {
		struct berth_net_priority *p = &r->network.priorities[i];
		char ipath[BJSON_PATH_MAX];
		int64_t v;

		bjson_path_index(ipath, ppath, i);
		if (!json_is_object(item))
			return berth_error_set(err, EINVAL, "%s: must be an object", ipath);
		if ((e = bjson_get_string(item, ipath, "name", true, &p->name, err)) < 0 ||
		    (e = bjson_get_int(item, ipath, "priority", true, 0, UINT32_MAX, &v, err)) < 0)
			return e;
		p->priority = (uint32_t) v;
		r->network.n_priorities = i + 1;
	}
	return 0;
}

static int parse_rdma(json_t *res, const char *parent, struct berth_resources *r, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	const char *dev;
	json_t *obj, *v;
	size_t i = 0;
	int e = bjson_get_object(res, parent, "rdma", false, &obj, err);

	if (e <= 0)
		return e;
	bjson_path_key(path, parent, "rdma");
	r->rdma = calloc(json_object_size(obj) + 1, sizeof(*r->rdma));
	if (r->rdma == NULL)
		return berth_error_sys(err, ENOMEM, "%s", path);
	json_object_foreach (obj, dev, v) {
		struct berth_rdma_limit *l = &r->rdma[i++];
		char ipath[BJSON_PATH_MAX];

		bjson_path_key(ipath, path, dev);
		if (!json_is_object(v))
			return berth_error_set(err, EINVAL, "%s: must be an object", ipath);
		l->device = dev;
		if ((e = opt_u64(v, ipath, "hcaHandles", &l->hca_handles, err)) < 0 ||
		    (e = opt_u64(v, ipath, "hcaObjects", &l->hca_objects, err)) < 0)
			return e;
		if (!l->hca_handles.set && !l->hca_objects.set)
			return berth_error_set(err, EINVAL, "%s: needs hcaHandles or hcaObjects", ipath);
		r->n_rdma = i;
	}
	return 0;
}

/* runc reads 0 as "not set" for these, and its callers rely on it: docker
 * sends a whole resources object with zeros for everything it leaves alone
 * (update with only --memory carries cpu period 0, for one).  The spec
 * calls pids.limit 0 a valid limit, but no caller means it that way. */
static void zero_means_unset(struct berth_resources *r)
{
	struct berth_opt_i64 *i64[] = { &r->memory.limit, &r->memory.reservation, &r->memory.swap, &r->memory.kernel,
					 &r->memory.kernel_tcp, &r->cpu.quota, &r->cpu.realtime_runtime, &r->pids_limit };
	struct berth_opt_u64 *u64[] = { &r->cpu.shares, &r->cpu.period, &r->cpu.realtime_period };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(i64); i++)
		if (i64[i]->set && i64[i]->v == 0)
			i64[i]->set = false;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(u64); i++)
		if (u64[i]->set && u64[i]->v == 0)
			u64[i]->set = false;
	if (r->cpu.cpus && r->cpu.cpus[0] == '\0')
		r->cpu.cpus = NULL;
	if (r->cpu.mems && r->cpu.mems[0] == '\0')
		r->cpu.mems = NULL;
}

int berth_resources_parse(json_t *obj, const char *path, struct berth_resources *r, struct berth_error *err)
{
	json_t *pids;
	int e;

	memset(r, 0, sizeof(*r));
	if (obj == NULL)
		return 0;
	if (!json_is_object(obj))
		return berth_error_set(err, EINVAL, "%s: must be an object", path);
	if ((e = parse_memory(obj, path, r, err)) < 0 || (e = parse_cpu(obj, path, r, err)) < 0 ||
	    (e = parse_blkio(obj, path, r, err)) < 0 || (e = parse_devices(obj, path, r, err)) < 0 ||
	    (e = parse_hugepages(obj, path, r, err)) < 0 || (e = parse_network(obj, path, r, err)) < 0 ||
	    (e = parse_rdma(obj, path, r, err)) < 0 ||
	    (e = bjson_get_object(obj, path, "unified", false, &r->unified, err)) < 0)
		goto fail;
	e = bjson_get_object(obj, path, "pids", false, &pids, err);
	if (e > 0) {
		char ppath[BJSON_PATH_MAX];
		bjson_path_key(ppath, path, "pids");
		e = opt_i64(pids, ppath, "limit", -1, INT64_MAX, &r->pids_limit, err);
	}
	if (e < 0)
		goto fail;
	zero_means_unset(r);
	if (r->unified) {
		const char *key;
		json_t *v;
		json_object_foreach (r->unified, key, v) {
			if (!json_is_string(v) || key[0] == '\0' || strchr(key, '/') || key[0] == '.') {
				e = berth_error_set(err, EINVAL, "%s.unified.%s: must be a string value for a cgroup file",
						    path, key);
				goto fail;
			}
		}
	}
	return 0;
fail:
	berth_resources_release(r);
	return e;
}

void berth_resources_release(struct berth_resources *r)
{
	for (int l = 0; l < BERTH_BLKIO_LISTS; l++)
		free(r->blkio.lists[l]);
	free(r->hugepages);
	free(r->devices);
	free(r->network.priorities);
	free(r->rdma);
	memset(r, 0, sizeof(*r));
}

bool berth_resources_empty(const struct berth_resources *r)
{
	static const struct berth_resources zero;
	return memcmp(r, &zero, sizeof(zero)) == 0;
}

void berth_rdma_limit_format(const struct berth_rdma_limit *l, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s", l->device);

	if (l->hca_handles.set && n >= 0 && (size_t) n < size)
		n += snprintf(buf + n, size - (size_t) n, " hca_handle=%" PRIu64, l->hca_handles.v);
	if (l->hca_objects.set && n >= 0 && (size_t) n < size)
		snprintf(buf + n, size - (size_t) n, " hca_object=%" PRIu64, l->hca_objects.v);
}
