/* A container's root file system, under its directory ROOT/containers/ID:
 *
 *   overlay driver   rootfs/ is an overlay mount: the image's layer
 *                    snapshots as lower dirs (shared, never written), upper/
 *                    and work/ the container's own; mounted at start and
 *                    unmounted at stop, so a stopped container holds no mount
 *   copy driver      rootfs/ is a full copy of the image's tree, made once
 *                    at create (slow, but needs no overlayfs)
 *
 * The mount is made in berthd's mount namespace (the host's): it outlives
 * a daemon restart like the container does, and a restarted daemon finds it
 * in /proc/self/mountinfo.
 */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "snapshot.h"

/* Make upper/, work/ and rootfs/ (and the copy, for the copy driver) for a
 * container of the image whose top layer snapshot is top (NULL: no layers). */
int berth_container_rootfs_create(struct berth_snapshotter *sn, const char *dir, const char *top,
				  struct berth_error *err);

/* Mount rootfs/ (overlay driver; nothing to do for copy).  Already mounted
 * is fine. */
int berth_container_rootfs_mount(struct berth_snapshotter *sn, const char *dir, const char *top,
				 struct berth_error *err);

/* Unmount rootfs/ if it is mounted. */
int berth_container_rootfs_unmount(const char *dir, struct berth_error *err);

/* The overlay's lowerdir option (top first), for inspect's GraphDriver. */
int berth_container_rootfs_lowerdir(struct berth_snapshotter *sn, const char *dir, const char *top, char **ret,
				    struct berth_error *err);
