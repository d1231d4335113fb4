/* linux.resources of config.json (and of `update --resources`) as typed C.
 * Strings are borrowed from the JSON the resources were parsed from. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct berth_opt_i64 {
	bool set;
	int64_t v;
};

struct berth_opt_u64 {
	bool set;
	uint64_t v;
};

struct berth_device_rule {
	bool allow;
	char type;	     /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	char access[4];	     /* a subset of "rwm" */
};

struct berth_blkio_device {
	int64_t major, minor;
	struct berth_opt_u64 weight, leaf_weight; /* weightDevice */
	uint64_t rate;				  /* throttle lists */
};

struct berth_hugepage_limit {
	const char *page_size; /* "2MB" */
	uint64_t limit;
};

struct berth_net_priority {
	const char *name;
	uint32_t priority;
};

struct berth_rdma_limit {
	const char *device;
	struct berth_opt_u64 hca_handles, hca_objects;
};

#define BERTH_BLKIO_LISTS 5
enum berth_blkio_list {
	BERTH_BLKIO_WEIGHT_DEVICE,
	BERTH_BLKIO_READ_BPS,
	BERTH_BLKIO_WRITE_BPS,
	BERTH_BLKIO_READ_IOPS,
	BERTH_BLKIO_WRITE_IOPS,
};

struct berth_resources {
	struct {
		struct berth_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
		struct berth_opt_u64 swappiness;
		bool disable_oom_killer_set, disable_oom_killer;
		bool check_before_update;
	} memory;
	struct {
		struct berth_opt_u64 shares, period, realtime_period, burst;
		struct berth_opt_i64 quota, realtime_runtime, idle;
		const char *cpus, *mems;
	} cpu;
	struct berth_opt_i64 pids_limit;
	struct {
		struct berth_opt_u64 weight, leaf_weight;
		struct berth_blkio_device *lists[BERTH_BLKIO_LISTS];
		size_t n[BERTH_BLKIO_LISTS];
	} blkio;
	struct berth_hugepage_limit *hugepages;
	size_t n_hugepages;
	struct berth_device_rule *devices;
	size_t n_devices;
	struct {
		struct berth_opt_u64 class_id;
		struct berth_net_priority *priorities;
		size_t n_priorities;
	} network;
	struct berth_rdma_limit *rdma;
	size_t n_rdma;
	json_t *unified; /* borrowed object: file name -> value */
};

/* Parse a LinuxResources object; `path` names it in errors ("linux.resources"). */
int berth_resources_parse(json_t *obj, const char *path, struct berth_resources *ret, struct berth_error *err);
void berth_resources_release(struct berth_resources *r);

/* True when the resources ask for nothing a cgroup would have to enforce. */
bool berth_resources_empty(const struct berth_resources *r);

/* The rdma.max line for one device ("mlx5_1 hca_handle=3 hca_object=10"), the same in v1 and v2. */
void berth_rdma_limit_format(const struct berth_rdma_limit *l, char *buf, size_t size);

/* "2MB" -> 2097152 (base 1024); 0 if malformed. */
uint64_t berth_page_size_bytes(const char *text);
