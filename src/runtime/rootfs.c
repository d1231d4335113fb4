#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "log.h"
#include "mount.h"
#include "mountinfo.h"
#include "path.h"

/* Is a the path b or one of its ancestors? */
static bool path_is_within(const char *b, const char *a)
{
	size_t len = strlen(a);
	return strncmp(b, a, len) == 0 && (b[len] == '/' || b[len] == '\0' || (len == 1 && a[0] == '/'));
}

void berth_rootfs_release(struct berth_rootfs *r)
{
	berth_closep(&r->rootfd);
	berth_closep(&r->devnullfd);
}

static int open_bind_source(const struct berth_mount *m, struct berth_error *err)
{
	/* The source is the config author's, on the host: it is resolved
	 * like any host path (relative ones from the bundle, our cwd). */
	int fd = open(m->source, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return berth_error_sys(err, errno, "bind mount %s on %s: open source", m->source, m->destination);
	return fd;
}

/* proc and sysfs must land exactly where asked: a symlink planted at /proc
 * would let a later mount or mask miss the real one. */
static int refuse_symlinked_destination(struct berth_rootfs *r, const struct berth_mount *m, struct berth_error *err)
{
	_cleanup_close_ int fd = berth_openat_in_root(r->rootfd, m->destination, O_PATH | O_NOFOLLOW);
	struct stat st;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode))
		return berth_error_set(err, EINVAL, "mount %s on %s: the destination is a symlink in %s", m->type,
				       m->destination, r->path);
	return 0;
}

/* The check above and the mount are two steps: something else writing to
 * the rootfs could swap the destination for a symlink, or rename it, in
 * between.  Mount points cannot be renamed, so looking again afterwards,
 * without following symlinks, settles where the filesystem really is. */
static int verify_destination(struct berth_rootfs *r, const struct berth_mount *m, struct berth_error *err)
{
	_cleanup_close_ int fd = berth_openat_in_root(r->rootfd, m->destination, O_PATH | O_NOFOLLOW);
	long want = strcmp(m->type, "proc") == 0 ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
	struct statfs sfs;

	if (fd < 0 || fstatfs(fd, &sfs) < 0 || sfs.f_type != want)
		return berth_error_set(err, EXDEV, "mount %s on %s: the destination was moved while mounting in %s",
				       m->type, m->destination, r->path);
	return 0;
}

static int mount_entry(struct berth_rootfs *r, const struct berth_mount *m, struct berth_error *err)
{
	_cleanup_close_ int srcfd = -1, targetfd = -1, copyfd = -1, mntfd = -1;
	struct berth_mount_req req = {
		.what = m->destination,
		.srcfd = -1,
		.copyup_fromfd = -1,
		.flags = m->opts.flags,
		.rec_set = m->opts.rec_attr_set,
		.rec_clr = m->opts.rec_attr_clr,
		.propagation = m->opts.propagation,
		.n_propagation = m->opts.n_propagation,
	};
	struct stat st;

	if (m->opts.idmap)
		return berth_error_set(err, ENOTSUP, "mount %s: idmapped mounts are not supported yet", m->destination);
	if (!m->opts.bind && m->type && (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)) {
		targetfd = berth_mkdir_all_in_root(r->rootfd, r->path, m->destination, 0755, err);
		if (targetfd < 0)
			return targetfd;
		return berth_mount_cgroup(r, m, targetfd, err);
	}
	if (m->opts.flags & MS_REMOUNT) {
		uint64_t set, clr;
		targetfd = berth_open_in_root(r->rootfd, r->path, m->destination, O_PATH, err);
		if (targetfd < 0)
			return targetfd;
		berth_mount_flags_to_attr(m->opts.flags, &set, &clr);
		return berth_mount_setattr(targetfd, false, set, clr, m->destination, err);
	}
	if (m->opts.bind) {
		srcfd = open_bind_source(m, err);
		if (srcfd < 0)
			return srcfd;
		if (fstat(srcfd, &st) < 0)
			return berth_error_sys(err, errno, "bind mount %s: stat", m->source);
		if (S_ISDIR(st.st_mode))
			targetfd = berth_mkdir_all_in_root(r->rootfd, r->path, m->destination, 0755, err);
		else
			targetfd = berth_create_file_in_root(r->rootfd, r->path, m->destination, 0644, err);
		req.srcfd = srcfd;
		req.recursive_bind = m->opts.recursive_bind;
	} else {
		if ((strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0) &&
		    refuse_symlinked_destination(r, m, err) < 0)
			return -err->code;
		targetfd = berth_mkdir_all_in_root(r->rootfd, r->path, m->destination, 0755, err);
		req.fstype = m->type;
		req.source = m->source;
		req.data = m->opts.data;
	}
	if (targetfd < 0)
		return targetfd;
	if (m->opts.tmpcopyup) {
		copyfd = openat(targetfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (copyfd < 0)
			return berth_error_sys(err, errno, "tmpcopyup for %s", m->destination);
		req.copyup_fromfd = copyfd;
	}
	mntfd = berth_mount_make(&req, targetfd, err);
	if (mntfd < 0)
		return mntfd;
	if (!m->opts.bind && (strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0))
		return verify_destination(r, m, err);
	return 0;
}

static int bind_rootfs_onto_itself(struct berth_rootfs *r, struct berth_error *err)
{
	_cleanup_close_ int fd = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct berth_mount_req req = {
		.what = r->path,
		.srcfd = fd,
		.recursive_bind = true,
		.copyup_fromfd = -1,
	};
	int mnt;

	if (fd < 0)
		return berth_error_sys(err, errno, "open root filesystem %s", r->path);
	/* pivot_root needs the new root to be a mount point; the bind also
	 * makes the rootfs a mount of its own, whatever it was before. */
	mnt = berth_mount_make(&req, fd, err);
	if (mnt < 0)
		return mnt;
	r->rootfd = mnt;
	return 0;
}

/* A process.cwd missing from the image is made (root-owned, 0755), as runc
 * and crun do: a CRI workingDir need not exist in the image. */
static int make_cwd(struct berth_rootfs *r, struct berth_error *err)
{
	const char *cwd = r->spec->process.cwd;
	if (cwd == NULL || strcmp(cwd, "/") == 0)
		return 0;
	_cleanup_close_ int fd = berth_mkdir_all_in_root(r->rootfd, r->path, cwd, 0755, err);
	return fd < 0 ? berth_error_wrap(err, "process.cwd") : 0;
}

struct parent_mount {
	const char *path;
	char best[PATH_MAX];
};

static int find_parent_mount(const struct berth_mountinfo_entry *e, void *ctx)
{
	struct parent_mount *p = ctx;
	if (path_is_within(p->path, e->mountpoint) && strlen(e->mountpoint) >= strlen(p->best))
		snprintf(p->best, sizeof(p->best), "%s", e->mountpoint);
	return 0;
}

/* The mount holding the rootfs's parent directory, made private (in our
 * mount namespace only). */
static int make_parent_mount_private(struct berth_rootfs *r, struct berth_error *err)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", r->path);
	char *slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = '\0';
	struct parent_mount p = { .path = parent, .best = "" };
	int res = berth_mountinfo_foreach(find_parent_mount, &p, err);
	if (res < 0)
		return res;
	if (p.best[0] && mount(NULL, p.best, NULL, MS_PRIVATE, NULL) < 0)
		return berth_error_sys(err, errno, "make %s private (rootfsPropagation shared)", p.best);
	return 0;
}

int berth_rootfs_prepare(struct berth_rootfs *r, struct berth_error *err)
{
	const struct berth_spec *spec = r->spec;
	unsigned long root_prop = MS_SLAVE | MS_REC;
	int r_;

	if (r->callers_mount_ns) {
		/* The config gave the container no mount namespace: its mounts go
		 * into the caller's, as asked, and propagation there is not ours
		 * to change. */
		r->rootfd = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (r->rootfd < 0)
			return berth_error_sys(err, errno, "open root filesystem %s", r->path);
		goto mounts;
	}
	/* Cut propagation towards the host first: nothing mounted here may
	 * appear outside.  rslave keeps host mounts flowing in, as runc does;
	 * a private rootfs asks for rprivate. */
	if (spec->rootfs_propagation & MS_PRIVATE)
		root_prop = MS_PRIVATE | MS_REC;
	/* rshared (Kubernetes' Bidirectional mounts) keeps / in the host's
	 * peer groups, so that shared binds carry mounts both ways, as runc
	 * does; pivot_root then needs the rootfs's parent mount private. */
	if (spec->rootfs_propagation & MS_SHARED)
		root_prop = MS_SHARED | MS_REC;
	if (mount(NULL, "/", NULL, root_prop, NULL) < 0)
		return berth_error_sys(err, errno, "make / %s in the container's mount namespace",
				       root_prop & MS_PRIVATE ? "rprivate" : root_prop & MS_SHARED ? "rshared" : "rslave");
	if ((root_prop & MS_SHARED) && (r_ = make_parent_mount_private(r, err)) < 0)
		return r_;
	if ((r_ = bind_rootfs_onto_itself(r, err)) < 0)
		return r_;
mounts:
	for (size_t i = 0; i < spec->n_mounts; i++)
		if ((r_ = mount_entry(r, &spec->mounts[i], err)) < 0)
			return r_;
	if ((r_ = make_cwd(r, err)) < 0)
		return r_;
	return berth_devices_setup(r, err);
}

static int pivot(struct berth_rootfs *r, struct berth_error *err)
{
	_cleanup_close_ int oldroot = -1, newroot = -1;

	oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		return berth_error_sys(err, errno, "open /");
	newroot = openat(r->rootfd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (newroot < 0)
		return berth_error_sys(err, errno, "open %s", r->path);
	if (fchdir(newroot) < 0)
		return berth_error_sys(err, errno, "chdir to %s", r->path);
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * it is then unmounted from under us without ever needing a
	 * directory for it inside the container. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berth_error_sys(err, errno, "pivot_root to %s", r->path);
	if (fchdir(oldroot) < 0)
		return berth_error_sys(err, errno, "chdir to the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berth_error_sys(err, errno, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return berth_error_sys(err, errno, "unmount the old root");
	if (chdir("/") < 0)
		return berth_error_sys(err, errno, "chdir to /");
	return 0;
}

static int compare_longest_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *) a), lb = strlen(*(char *const *) b);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

struct host_mounts {
	const char *rootfs;
	char **points;
	size_t n, cap;
};

static int collect_host_mount(const struct berth_mountinfo_entry *e, void *ctx)
{
	struct host_mounts *h = ctx;
	/* The rootfs, what is mounted inside it, and the mounts that hold it
	 * (detaching /tmp would take the rootfs bind with it) stay. */
	if (path_is_within(e->mountpoint, h->rootfs) || path_is_within(h->rootfs, e->mountpoint))
		return 0;
	if (h->n == h->cap) {
		char **np = realloc(h->points, (h->cap = h->cap ? h->cap * 2 : 64) * sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		h->points = np;
	}
	if ((h->points[h->n] = strdup(e->mountpoint)) == NULL)
		return -ENOMEM;
	h->n++;
	return 0;
}

/* --no-pivot: the host's other mounts stay in this namespace under the new
 * root; detach every one that is not part of the rootfs so none can be
 * reached later, then move the rootfs over "/". */
static int detach_host_mounts(struct berth_rootfs *r, struct berth_error *err)
{
	struct host_mounts h = { .rootfs = r->path };
	int res = berth_mountinfo_foreach(collect_host_mount, &h, err);

	if (res == -ENOMEM)
		berth_error_sys(err, ENOMEM, "list mounts");
	if (res == 0) {
		qsort(h.points, h.n, sizeof(*h.points), compare_longest_first);
		for (size_t i = 0; i < h.n; i++)
			umount2(h.points[i], MNT_DETACH); /* gone already with a parent: fine */
	}
	for (size_t i = 0; i < h.n; i++)
		free(h.points[i]);
	free(h.points);
	return res;
}

static int move_root(struct berth_rootfs *r, struct berth_error *err)
{
	int res;

	if ((res = detach_host_mounts(r, err)) < 0)
		return res;
	if (chdir(r->path) < 0)
		return berth_error_sys(err, errno, "chdir to %s", r->path);
	if (mount(r->path, "/", NULL, MS_MOVE, NULL) < 0)
		return berth_error_sys(err, errno, "move %s to /", r->path);
	if (chroot(".") < 0)
		return berth_error_sys(err, errno, "chroot to %s", r->path);
	if (chdir("/") < 0)
		return berth_error_sys(err, errno, "chdir to /");
	return 0;
}

/* Without a mount namespace of its own pivot_root would move the caller's
 * root: chroot is all there is. */
static int enter_root(struct berth_rootfs *r, struct berth_error *err)
{
	if (chroot(r->path) < 0)
		return berth_error_sys(err, errno, "chroot to %s", r->path);
	if (chdir("/") < 0)
		return berth_error_sys(err, errno, "chdir to /");
	return 0;
}

int berth_rootfs_pivot(struct berth_rootfs *r, struct berth_error *err)
{
	int res = r->callers_mount_ns ? enter_root(r, err) : r->no_pivot ? move_root(r, err) : pivot(r, err);

	if (res < 0)
		return res;
	/* From here "/" is the container's root. */
	berth_closep(&r->rootfd);
	r->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->rootfd < 0)
		return berth_error_sys(err, errno, "open the new /");
	return 0;
}

static int mask_path(struct berth_rootfs *r, const char *path, struct berth_error *err)
{
	_cleanup_close_ int fd = -1, mnt = -1;
	struct berth_mount_req req = { .what = path, .srcfd = -1, .copyup_fromfd = -1, .flags = MS_RDONLY };
	struct stat st;

	fd = berth_openat_in_root(r->rootfd, path, O_PATH);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return berth_error_sys(err, -fd, "mask %s", path);
	if (fstat(fd, &st) < 0)
		return berth_error_sys(err, errno, "mask %s", path);
	if (S_ISDIR(st.st_mode)) {
		req.fstype = "tmpfs";
		req.source = "tmpfs";
		req.data = "size=0k,mode=0555";
		req.flags |= MS_NOSUID | MS_NODEV | MS_NOEXEC;
	} else {
		req.srcfd = r->devnullfd;
	}
	mnt = berth_mount_make(&req, fd, err);
	return mnt < 0 ? berth_error_wrap(err, "mask %s", path) : 0;
}

static int make_readonly(struct berth_rootfs *r, const char *path, struct berth_error *err)
{
	_cleanup_close_ int fd = -1, mnt = -1;
	struct berth_mount_req req = {
		.what = path,
		.copyup_fromfd = -1,
		.recursive_bind = true,
		.flags = MS_RDONLY,
		.rec_set = MOUNT_ATTR_RDONLY,
	};

	fd = berth_openat_in_root(r->rootfd, path, O_PATH);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return berth_error_sys(err, -fd, "make %s read-only", path);
	req.srcfd = fd;
	mnt = berth_mount_make(&req, fd, err);
	return mnt < 0 ? berth_error_wrap(err, "make %s read-only", path) : 0;
}

/* Files are masked with the container's /dev/null: the host's went away
 * with the old root.  It must really be the null device. */
static int open_dev_null(struct berth_rootfs *r, struct berth_error *err)
{
	struct stat st;

	r->devnullfd = berth_openat_in_root(r->rootfd, "/dev/null", O_PATH);
	if (r->devnullfd < 0)
		return berth_error_sys(err, -r->devnullfd, "open /dev/null in the container to mask paths with");
	if (fstat(r->devnullfd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return berth_error_set(err, EINVAL, "/dev/null in the container is not the null device");
	return 0;
}

int berth_rootfs_finish(struct berth_rootfs *r, struct berth_error *err)
{
	const struct berth_spec *spec = r->spec;
	int res;

	if (spec->masked_paths && spec->masked_paths[0] && (res = open_dev_null(r, err)) < 0)
		return res;

	for (size_t i = 0; spec->masked_paths && spec->masked_paths[i]; i++)
		if ((res = mask_path(r, spec->masked_paths[i], err)) < 0)
			return res;
	for (size_t i = 0; spec->readonly_paths && spec->readonly_paths[i]; i++)
		if ((res = make_readonly(r, spec->readonly_paths[i], err)) < 0)
			return res;
	if (!r->callers_mount_ns && spec->rootfs_propagation && !(spec->rootfs_propagation & MS_PRIVATE) &&
	    (res = berth_mount_propagation(r->rootfd, spec->rootfs_propagation, "/", err)) < 0)
		return res;
	if (spec->root_readonly && (res = berth_mount_setattr(r->rootfd, false, MOUNT_ATTR_RDONLY, 0, "/", err)) < 0)
		return berth_error_wrap(err, "make the root filesystem read-only");
	return 0;
}
