#include "container_rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "file.h"
#include "mountinfo.h"

/* overlayfs takes its options in one page */
#define OVERLAY_OPTIONS_MAX 4000

static int make_dir(const char *dir, const char *name, struct berth_error *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "mkdir %s", path);
	return 0;
}

int berth_container_rootfs_lowerdir(struct berth_snapshotter *sn, const char *dir, const char *top, char **ret,
				    struct berth_error *err)
{
	_cleanup_strv_ char **lowers = NULL;
	char *out = NULL;
	if (!top) {
		/* an image without layers: an empty lower dir of its own */
		if (asprintf(&out, "%s/empty", dir) < 0)
			return berth_error_sys(err, ENOMEM, "container rootfs");
		*ret = out;
		return 0;
	}
	int r = berth_snapshot_lower_dirs(sn, top, &lowers, err);
	if (r < 0)
		return r;
	size_t len = 1;
	for (char **l = lowers; *l; l++)
		len += strlen(*l) + 1;
	out = calloc(1, len);
	if (!out)
		return berth_error_sys(err, ENOMEM, "container rootfs");
	for (char **l = lowers; *l; l++) {
		if (l != lowers)
			strcat(out, ":");
		strcat(out, *l);
	}
	*ret = out;
	return 0;
}

int berth_container_rootfs_create(struct berth_snapshotter *sn, const char *dir, const char *top,
				  struct berth_error *err)
{
	int r;
	if ((r = make_dir(dir, "rootfs", err)) < 0)
		return r;
	if (!berth_snapshotter_full_trees(sn))
		return (r = make_dir(dir, "upper", err)) < 0 || (r = make_dir(dir, "work", err)) < 0 ||
				       (r = make_dir(dir, "empty", err)) < 0
			       ? r
			       : 0;
	if (!top)
		return 0;
	/* copy driver: the container gets its own full tree */
	_cleanup_free_ char *src = NULL;
	char dst[4096];
	if ((r = berth_container_rootfs_lowerdir(sn, dir, top, &src, err)) < 0)
		return r;
	snprintf(dst, sizeof(dst), "%s/rootfs", dir);
	_cleanup_close_ int srcfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int dstfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srcfd < 0 || dstfd < 0)
		return berth_error_sys(err, errno, "copy %s to %s", src, dst);
	r = berth_copy_tree_flags(srcfd, dstfd, BERTH_COPY_XATTRS | BERTH_COPY_HARDLINKS, err);
	return r < 0 ? berth_error_wrap(err, "container root file system") : 0;
}

struct mount_query {
	const char *path;
	bool found;
};

static int find_mount(const struct berth_mountinfo_entry *m, void *ctx)
{
	struct mount_query *q = ctx;
	q->found |= strcmp(m->mountpoint, q->path) == 0;
	return 0;
}

/* 1 when something is mounted on path, 0 when not. */
static int is_mounted(const char *path, struct berth_error *err)
{
	struct mount_query q = { .path = path };
	int r = berth_mountinfo_foreach(find_mount, &q, err);
	return r < 0 ? r : q.found;
}

int berth_container_rootfs_mount(struct berth_snapshotter *sn, const char *dir, const char *top,
				 struct berth_error *err)
{
	char target[4096], options[OVERLAY_OPTIONS_MAX + 64];
	_cleanup_free_ char *lower = NULL;
	if (berth_snapshotter_full_trees(sn))
		return 0;
	snprintf(target, sizeof(target), "%s/rootfs", dir);
	int r = is_mounted(target, err);
	if (r != 0)
		return r < 0 ? r : 0;
	if ((r = berth_container_rootfs_lowerdir(sn, dir, top, &lower, err)) < 0)
		return r;
	int n = snprintf(options, sizeof(options), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, dir, dir);
	if (n < 0 || n > OVERLAY_OPTIONS_MAX)
		return berth_error_set(err, E2BIG, "mount the root of %s: the layer paths take more than %d bytes", dir,
				       OVERLAY_OPTIONS_MAX);
	if (mount("overlay", target, "overlay", 0, options) < 0)
		return berth_error_sys(err, errno, "mount overlay on %s", target);
	return 0;
}

int berth_container_rootfs_unmount(const char *dir, struct berth_error *err)
{
	char target[4096];
	snprintf(target, sizeof(target), "%s/rootfs", dir);
	int r = is_mounted(target, err);
	if (r <= 0)
		return r;
	if (umount2(target, MNT_DETACH) < 0 && errno != EINVAL)
		return berth_error_sys(err, errno, "unmount %s", target);
	return 0;
}
