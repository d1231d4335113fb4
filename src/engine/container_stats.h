/* A container's resource usage as docker's stats document shows it, read
 * from its cgroup's files (v1: a directory per controller; v2: the unified
 * directory) and from /proc.
 *
 * berthd does not link the OCI runtime's cgroup code: it finds the
 * container's cgroup the way the runtime made it (the same cgroupsPath
 * under every mounted hierarchy) and only reads.  Every reader takes the
 * directories, so it runs as well against a fake cgroupfs (unit tests). */
#pragma once

#include <jansson.h>
#include <limits.h>
#include <stdint.h>

#include "error.h"

struct berth_stats_cgroup {
	int version; /* 1 or 2 */
	/* v1: each controller's directory, "" when it is not mounted */
	char memory[PATH_MAX], cpu[PATH_MAX], cpuacct[PATH_MAX], pids[PATH_MAX], blkio[PATH_MAX];
	char unified[PATH_MAX]; /* v2 */
};

/* Where cgroups_path (absolute, as berthd writes it into config.json) is
 * on this host.  BERTH_CGROUP_V2_ROOT names the v2 tree to use, as it does
 * for berth-runtime. */
int berth_stats_cgroup_resolve(const char *cgroups_path, struct berth_stats_cgroup *ret, struct berth_error *err);

/* {pids_stats, blkio_stats, cpu_stats (without the host's part),
 * memory_stats} of docker's document.  host_memory: the limit shown for a
 * container without one (docker shows the machine's memory). */
int berth_stats_cgroup_read(const struct berth_stats_cgroup *cg, uint64_t host_memory, json_t **ret,
			    struct berth_error *err);

/* The host's CPU time in nanoseconds, from the "cpu" line of /proc/stat's
 * text (docker's system_cpu_usage); 0 when unreadable. */
uint64_t berth_stats_system_cpu(const char *proc_stat, long clock_ticks);

/* /proc/PID/net/dev's text as docker's networks object (per interface
 * rx_bytes, rx_packets, rx_errors, rx_dropped, tx_...); NULL when there is
 * no interface but lo, as docker omits networks then. */
json_t *berth_stats_net_dev(const char *text);

/* docker's document with every figure zero, for a container that does
 * not run (name: "/NAME"). */
json_t *berth_stats_zero(const char *name, const char *id);
