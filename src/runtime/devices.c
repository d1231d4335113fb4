/* /dev inside the container: the default devices, linux.devices, and the
 * standard symlinks (runtime-linux.md "Dev symbolic links"). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "mount.h"
#include "path.h"
#include "rootfs.h"

static const struct berth_device default_devices[] = {
	{ .type = 'c', .path = "/dev/null", .major = 1, .minor = 3, .file_mode = 0666, .has_file_mode = true },
	{ .type = 'c', .path = "/dev/zero", .major = 1, .minor = 5, .file_mode = 0666, .has_file_mode = true },
	{ .type = 'c', .path = "/dev/full", .major = 1, .minor = 7, .file_mode = 0666, .has_file_mode = true },
	{ .type = 'c', .path = "/dev/random", .major = 1, .minor = 8, .file_mode = 0666, .has_file_mode = true },
	{ .type = 'c', .path = "/dev/urandom", .major = 1, .minor = 9, .file_mode = 0666, .has_file_mode = true },
	{ .type = 'c', .path = "/dev/tty", .major = 5, .minor = 0, .file_mode = 0666, .has_file_mode = true },
};

static mode_t device_type_mode(char type)
{
	switch (type) {
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default:
		return S_IFCHR;
	}
}

/* In a user namespace mknod is not allowed: bind the host's node instead. */
static int bind_device(struct berth_rootfs *r, const struct berth_device *d, struct berth_error *err)
{
	_cleanup_close_ int target = -1, src = -1, mnt = -1;
	struct berth_mount_req req = { .what = d->path, .copyup_fromfd = -1 };

	src = open(d->path, O_PATH | O_CLOEXEC);
	if (src < 0)
		return berth_error_sys(err, errno, "device %s: open the host's node to bind it", d->path);
	target = berth_create_file_in_root(r->rootfd, r->path, d->path, 0000, err);
	if (target < 0)
		return target;
	req.srcfd = src;
	mnt = berth_mount_make(&req, target, err);
	return mnt < 0 ? mnt : 0;
}

static int check_existing(int parentfd, const char *base, const struct berth_device *d, mode_t type, dev_t dev,
			  struct berth_error *err)
{
	struct stat st;

	if (fstatat(parentfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_sys(err, errno, "device %s", d->path);
	if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != dev))
		return berth_error_set(err, EEXIST, "device %s: a different file is already there", d->path);
	return 0;
}

static int make_device(struct berth_rootfs *r, const struct berth_device *d, struct berth_error *err)
{
	_cleanup_close_ int parentfd = -1;
	char parent[PATH_MAX];
	const char *base;
	mode_t type = device_type_mode(d->type);
	mode_t perm = d->has_file_mode ? d->file_mode & 07777 : 0666;
	dev_t dev = makedev((unsigned) d->major, (unsigned) d->minor);

	if (r->userns)
		return bind_device(r, d, err);
	base = berth_path_split(d->path, parent, sizeof(parent));
	parentfd = berth_mkdir_all_in_root(r->rootfd, r->path, parent, 0755, err);
	if (parentfd < 0)
		return parentfd;
	/* mknodat never follows a symlink in the last component, and the
	 * init runs with umask 0, so the node gets exactly perm. */
	if (mknodat(parentfd, base, type | perm, dev) < 0) {
		if (errno != EEXIST)
			return berth_error_sys(err, errno, "create device %s in %s", d->path, r->path);
		if (check_existing(parentfd, base, d, type, dev, err) < 0)
			return -err->code;
	}
	if (fchownat(parentfd, base, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_sys(err, errno, "set the owner of device %s", d->path);
	return 0;
}

static int make_symlinks(struct berth_rootfs *r, struct berth_error *err)
{
	static const struct {
		const char *target, *name;
	} links[] = {
		{ "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },
	};
	_cleanup_close_ int devfd = berth_mkdir_all_in_root(r->rootfd, r->path, "/dev", 0755, err);

	if (devfd < 0)
		return devfd;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(links); i++)
		if (symlinkat(links[i].target, devfd, links[i].name) < 0 && errno != EEXIST)
			return berth_error_sys(err, errno, "create /dev/%s in %s", links[i].name, r->path);
	return 0;
}

/* /dev bind-mounted from somewhere already has its nodes: leave it alone. */
static bool dev_is_bind_mounted(const struct berth_spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (strcmp(spec->mounts[i].destination, "/dev") == 0 && spec->mounts[i].opts.bind)
			return true;
	return false;
}

int berth_devices_setup(struct berth_rootfs *r, struct berth_error *err)
{
	const struct berth_spec *spec = r->spec;
	int res;

	if (!dev_is_bind_mounted(spec)) {
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(default_devices); i++)
			if ((res = make_device(r, &default_devices[i], err)) < 0)
				return res;
		if ((res = make_symlinks(r, err)) < 0)
			return res;
	}
	for (size_t i = 0; i < spec->n_devices; i++)
		if ((res = make_device(r, &spec->devices[i], err)) < 0)
			return res;
	return 0;
}
