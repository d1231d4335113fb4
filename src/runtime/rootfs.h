/* The container's root filesystem, built in the init's new mount namespace:
 * propagation, the rootfs self-bind, config.json mounts in order, devices,
 * then pivot_root, then masked and read-only paths. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "spec.h"

struct berth_rootfs {
	const struct berth_spec *spec;
	const char *path;   /* host path of the rootfs */
	int rootfd;	    /* the rootfs mount; after pivot, "/" */
	int devnullfd;	    /* the host's /dev/null (O_PATH), to mask files with */
	bool userns;	    /* in a user namespace: bind devices instead of mknod */
	bool cgroupns;	    /* the container has its own cgroup namespace */
	bool no_pivot;
	bool callers_mount_ns; /* no mount namespace of its own: mounts land in the caller's, chroot */
};

int berth_rootfs_prepare(struct berth_rootfs *r, struct berth_error *err);
int berth_rootfs_pivot(struct berth_rootfs *r, struct berth_error *err);
int berth_rootfs_finish(struct berth_rootfs *r, struct berth_error *err);
void berth_rootfs_release(struct berth_rootfs *r);

/* devices.c */
int berth_devices_setup(struct berth_rootfs *r, struct berth_error *err);
/* mount_cgroup.c: a "cgroup" or "cgroup2" entry of config.json */
int berth_mount_cgroup(struct berth_rootfs *r, const struct berth_mount *m, int targetfd, struct berth_error *err);
